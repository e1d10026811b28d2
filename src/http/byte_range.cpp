#include "http/byte_range.hpp"

#include <charconv>
#include <optional>

namespace windi::http {
namespace {

std::optional<std::uint64_t> number(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

range_choice choose_range(std::string_view header, std::uint64_t total) {
  range_choice whole;
  header = trimmed(header);
  constexpr std::string_view unit = "bytes=";
  if (header.size() <= unit.size() || header.substr(0, unit.size()) != unit) return whole;
  auto spec = trimmed(header.substr(unit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;
  auto const dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  auto first = trimmed(spec.substr(0, dash));
  auto last = trimmed(spec.substr(dash + 1));
  range_choice out;
  out.is = range_choice::kind::part;
  if (first.empty()) {
    // The last n bytes.
    auto n = number(last);
    if (!n) return whole;
    if (*n == 0 || total == 0) return range_choice{range_choice::kind::unsatisfiable, 0, 0};
    out.length = std::min(*n, total);
    out.offset = total - out.length;
    return out;
  }
  auto from = number(first);
  if (!from) return whole;
  std::uint64_t to = total == 0 ? 0 : total - 1;
  if (!last.empty()) {
    auto given = number(last);
    if (!given || *given < *from) return whole;
    to = std::min(to, *given);
  }
  if (*from >= total) return range_choice{range_choice::kind::unsatisfiable, 0, 0};
  out.offset = *from;
  out.length = to - *from + 1;
  return out;
}

}  // namespace windi::http
