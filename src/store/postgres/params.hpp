#pragma once
// Query parameters in libpq's text format. Values are owned here, so a params object can be moved into a
// coroutine and outlive the caller's temporaries.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace windi::pg {

class params {
 public:
  params() = default;
  template <class... Values>
  requires(!(sizeof...(Values) == 1 && (std::is_same_v<std::remove_cvref_t<Values>, params> &&
                                        ...))) explicit params(Values&&... values) {
    values_.reserve(sizeof...(values));
    (add(std::forward<Values>(values)), ...);
  }

  params& add(std::int64_t value) { return add(std::to_string(value)); }
  params& add(int value) { return add(static_cast<std::int64_t>(value)); }
  params& add(std::string value) {
    values_.emplace_back(std::move(value));
    return *this;
  }
  params& add(std::string_view value) { return add(std::string(value)); }
  params& add(char const* value) { return add(std::string(value)); }
  params& add(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    return *this;
  }
  // NULL when empty.
  params& add(std::optional<std::int64_t> value) {
    return add(value ? std::optional<std::string>(std::to_string(*value)) : std::nullopt);
  }
  // A bigint[] literal, for `= ANY($n::bigint[])`.
  params& add_array(std::span<std::int64_t const> values);
  // A text[] literal: every element quoted, so any text (commas, quotes, braces, backslashes) stays one
  // element.
  params& add_array(std::span<std::string const> values);

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object for PQsendQueryPrepared; valid while it is neither modified nor destroyed.
  std::vector<char const*> pointers() const;

 private:
  std::vector<std::optional<std::string>> values_;
};

}  // namespace windi::pg
