#include "http/params.hpp"

#include <charconv>

namespace windi::http {

outcome<std::optional<std::int64_t>> query_int(request_context const& r, std::string const& key,
                                               std::int64_t min, std::int64_t max) {
  auto text = r.query_param(key);
  if (!text) return std::optional<std::int64_t>{};
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size()) {
    return fail(errc::validation, "Input should be a valid integer", "query." + key);
  }
  if (value < min || value > max) {
    return fail(errc::validation,
                "Input should be between " + std::to_string(min) + " and " + std::to_string(max),
                "query." + key);
  }
  return std::optional<std::int64_t>(value);
}

outcome<std::int64_t> path_id(request_context const& r, std::string const& key) {
  auto const& text = r.path_params.at(key);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) {
    return fail(errc::validation, "Input should be a valid positive integer", "path." + key);
  }
  return value;
}

}  // namespace windi::http
