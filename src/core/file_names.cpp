#include "core/file_names.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/grammar/charset.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cstdint>

namespace windi {
namespace {

// Well-formed UTF-8 (RFC 3629): no overlong forms, surrogates or code points past U+10FFFF.
bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    auto const b = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 2, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 3, cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 4, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n > text.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      auto const c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += n;
  }
  return true;
}

// The code point starting at text[i] (valid UTF-8 assumed) and its length in bytes.
std::pair<std::uint32_t, std::size_t> decode_at(std::string_view text, std::size_t i) {
  auto const b = static_cast<unsigned char>(text[i]);
  if (b < 0x80) return {b, 1};
  std::size_t const n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  std::uint32_t cp = b & (0xFF >> (n + 1));
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return {cp, n};
}

bool unwanted(std::uint32_t cp) {
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) return true;  // control characters
  if (cp >= 0x202A && cp <= 0x202E) return true;                          // bidi embeddings, overrides
  if (cp >= 0x2066 && cp <= 0x2069) return true;                          // bidi isolates
  if (cp == 0x200E || cp == 0x200F || cp == 0x061C) return true;          // direction marks
  return false;
}

}  // namespace

std::string clean_file_name(std::string_view given) {
  if (!valid_utf8(given)) return "file";
  auto const slash = given.find_last_of("/\\");
  if (slash != std::string_view::npos) given = given.substr(slash + 1);
  std::string out;
  for (std::size_t i = 0; i < given.size();) {
    auto [cp, n] = decode_at(given, i);
    if (!unwanted(cp)) {
      if (out.size() + n > max_file_name_bytes) break;
      out.append(given.substr(i, n));
    }
    i += n;
  }
  auto const first = out.find_first_not_of(" .");
  if (first == std::string::npos) return "file";
  auto const last = out.find_last_not_of(" .");
  return out.substr(first, last - first + 1);
}

std::string content_disposition(bool inline_display, std::string_view clean_name) {
  std::string ascii;
  for (char c : clean_name) {
    auto const b = static_cast<unsigned char>(c);
    ascii += (b < 0x20 || b >= 0x7F || c == '"' || c == '\\') ? '_' : c;
  }
  std::string out = inline_display ? "inline" : "attachment";
  out += "; filename=\"" + ascii + "\"; filename*=UTF-8''";
  out += boost::urls::encode(clean_name, boost::urls::unreserved_chars);
  return out;
}

}  // namespace windi
