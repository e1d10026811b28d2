#pragma once
// Query parameters, in libpq's text format except those added with add_binary. Values are owned here, so a
// params object can be moved into a coroutine and outlive the caller's temporaries.
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
    binary_.push_back(false);
    return *this;
  }
  params& add(std::string_view value) { return add(std::string(value)); }
  params& add(char const* value) { return add(std::string(value)); }
  params& add(std::optional<std::string> value) {
    values_.push_back(std::move(value));
    binary_.push_back(false);
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

  // A value in binary format, for a bytea parameter ($n::bytea): the bytes as they are, any byte included,
  // where the text format would send bytea as hex, twice the size, for the server to decode.
  params& add_binary(std::string bytes) {
    values_.emplace_back(std::move(bytes));
    binary_.push_back(true);
    return *this;
  }

  int size() const { return static_cast<int>(values_.size()); }
  // Pointers into this object for PQsendQueryPrepared; valid while it is neither modified nor destroyed.
  std::vector<char const*> pointers() const;
  // True when a value was added with add_binary: only then does PQsendQueryPrepared need lengths() and
  // formats(); without, every value is NUL-terminated text, as libpq assumes when given none.
  bool has_binary() const;
  // Each value's length in bytes (0 for NULL; libpq reads it only for binary values) and format (0 text, 1
  // binary), for PQsendQueryPrepared.
  std::vector<int> lengths() const;
  std::vector<int> formats() const;

 private:
  std::vector<std::optional<std::string>> values_;
  std::vector<bool> binary_;  // per value
};

}  // namespace windi::pg
