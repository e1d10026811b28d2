#pragma once
// The Range header of a download (RFC 9110, 14.2): one range of bytes is served as 206; several ranges, or a
// header we do not understand, get the whole file (which the RFC allows), so a client always gets an answer.
#include <cstdint>
#include <string_view>

namespace windi::http {

struct range_choice {
  enum class kind { whole, part, unsatisfiable } is = kind::whole;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // part: at least 1
};

range_choice choose_range(std::string_view header, std::uint64_t total);

}  // namespace windi::http
