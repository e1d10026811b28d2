#include "core/emoji.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace windi {
namespace {

constexpr std::size_t max_emoji_bytes = 64;  // the longest real sequences (ZWJ families with tones) are ~35
// Unicode's longest ZWJ sequences join four pictographs (families, kisses): more is several emoji glued.
constexpr int max_joined_elements = 4;

// Strict UTF-8 decoding; nullopt on any malformed or overlong sequence or a surrogate.
std::optional<std::vector<char32_t>> decode(std::string_view text) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < text.size();) {
    auto const lead = static_cast<unsigned char>(text[i]);
    int extra = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      extra = 1;
      cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2;
      cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3;
      cp = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + static_cast<std::size_t>(extra) >= text.size() && extra > 0) return std::nullopt;
    for (int k = 1; k <= extra; ++k) {
      auto const next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (next & 0x3f);
    }
    constexpr char32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

bool in(char32_t cp, char32_t low, char32_t high) { return cp >= low && cp <= high; }

// Unicode's Extended_Pictographic, coarsely: the blocks where emoji live.
bool pictographic(char32_t cp) {
  return cp == 0xa9 || cp == 0xae || cp == 0x203c || cp == 0x2049 || cp == 0x2122 || cp == 0x2139 ||
         in(cp, 0x2194, 0x2199) || in(cp, 0x21a9, 0x21aa) || in(cp, 0x231a, 0x231b) || cp == 0x2328 ||
         cp == 0x23cf || in(cp, 0x23e9, 0x23f3) || in(cp, 0x23f8, 0x23fa) || cp == 0x24c2 ||
         in(cp, 0x25aa, 0x25ab) || cp == 0x25b6 || cp == 0x25c0 || in(cp, 0x25fb, 0x25fe) ||
         in(cp, 0x2600, 0x27bf) || in(cp, 0x2934, 0x2935) || in(cp, 0x2b05, 0x2b07) ||
         in(cp, 0x2b1b, 0x2b1c) || cp == 0x2b50 || cp == 0x2b55 || cp == 0x3030 || cp == 0x303d ||
         cp == 0x3297 || cp == 0x3299 || in(cp, 0x1f000, 0x1f0ff) || in(cp, 0x1f10d, 0x1f10f) ||
         cp == 0x1f12f || in(cp, 0x1f16c, 0x1f171) || in(cp, 0x1f17e, 0x1f17f) || cp == 0x1f18e ||
         in(cp, 0x1f191, 0x1f19a) || in(cp, 0x1f1ad, 0x1f1e5) || in(cp, 0x1f201, 0x1f20f) || cp == 0x1f21a ||
         cp == 0x1f22f || in(cp, 0x1f232, 0x1f23a) || in(cp, 0x1f23c, 0x1f23f) || in(cp, 0x1f249, 0x1f3fa) ||
         in(cp, 0x1f400, 0x1f53d) || in(cp, 0x1f546, 0x1f64f) || in(cp, 0x1f680, 0x1f6ff) ||
         in(cp, 0x1f774, 0x1f77f) || in(cp, 0x1f7d5, 0x1f7ff) || in(cp, 0x1f80c, 0x1f80f) ||
         in(cp, 0x1f848, 0x1f84f) || in(cp, 0x1f85a, 0x1f85f) || in(cp, 0x1f888, 0x1f88f) ||
         in(cp, 0x1f8ae, 0x1f8ff) || in(cp, 0x1f90c, 0x1f93a) || in(cp, 0x1f93c, 0x1f945) ||
         in(cp, 0x1f947, 0x1faff) || in(cp, 0x1fc00, 0x1fffd);
}

bool regional_indicator(char32_t cp) { return in(cp, 0x1f1e6, 0x1f1ff); }
bool skin_tone(char32_t cp) { return in(cp, 0x1f3fb, 0x1f3ff); }
constexpr char32_t zwj = 0x200d;
constexpr char32_t vs16 = 0xfe0f;
constexpr char32_t keycap = 0x20e3;

// One pictographic element with its modifiers, from `at`; returns where it ends, or nullopt.
std::optional<std::size_t> element(std::vector<char32_t> const& cps, std::size_t at) {
  if (at >= cps.size() || !pictographic(cps[at])) return std::nullopt;
  bool const black_flag = cps[at] == 0x1f3f4;
  ++at;
  if (at < cps.size() && cps[at] == vs16) ++at;
  if (at < cps.size() && skin_tone(cps[at])) ++at;
  // Subdivision flags: U+1F3F4 followed by tag characters and a cancel tag.
  if (black_flag && at < cps.size() && in(cps[at], 0xe0020, 0xe007e)) {
    while (at < cps.size() && in(cps[at], 0xe0020, 0xe007e)) ++at;
    if (at >= cps.size() || cps[at] != 0xe007f) return std::nullopt;
    ++at;
  }
  return at;
}

}  // namespace

bool is_single_emoji(std::string_view text) {
  if (text.empty() || text.size() > max_emoji_bytes) return false;
  auto decoded = decode(text);
  if (!decoded || decoded->empty()) return false;
  auto const& cps = *decoded;
  // A flag: exactly two regional indicators.
  if (regional_indicator(cps[0])) return cps.size() == 2 && regional_indicator(cps[1]);
  // A keycap: digit, '#' or '*', optional VS16, U+20E3.
  if ((cps[0] >= '0' && cps[0] <= '9') || cps[0] == '#' || cps[0] == '*') {
    if (cps.size() == 3) return cps[1] == vs16 && cps[2] == keycap;
    return cps.size() == 2 && cps[1] == keycap;
  }
  // Pictographic elements joined by ZWJ.
  std::size_t at = 0;
  for (int elements = 1; elements <= max_joined_elements; ++elements) {
    auto end = element(cps, at);
    if (!end) return false;
    at = *end;
    if (at == cps.size()) return true;
    if (cps[at] != zwj) return false;
    ++at;
  }
  return false;
}

}  // namespace windi
