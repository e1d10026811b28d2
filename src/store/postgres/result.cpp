#include "store/postgres/result.hpp"

#include <charconv>
#include <stdexcept>

namespace windi::pg {

bool result::ok() const {
  if (!raw_) return false;
  switch (PQresultStatus(raw_.get())) {
    case PGRES_BAD_RESPONSE:
    case PGRES_NONFATAL_ERROR:
    case PGRES_FATAL_ERROR:
    case PGRES_PIPELINE_ABORTED:
      return false;
    default:
      return true;
  }
}

std::string_view result::view(int row, int column) const {
  char const* value = PQgetvalue(raw_.get(), row, column);
  return {value, static_cast<std::size_t>(PQgetlength(raw_.get(), row, column))};
}

std::optional<std::string> result::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t result::int64(int row, int column) const {
  if (is_null(row, column)) return 0;
  auto text = view(row, column);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    // The schema only has BIGINT columns where this is called: anything else is a bug in a query.
    throw std::logic_error("postgres: not an integer: " + std::string(text));
  }
  return value;
}

bool result::boolean(int row, int column) const { return !is_null(row, column) && view(row, column) == "t"; }

std::string result::message() const {
  if (!raw_) return "no result";
  std::string text = PQresultErrorMessage(raw_.get());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string result::field(int code) const {
  if (!raw_) return {};
  char const* value = PQresultErrorField(raw_.get(), code);
  return value ? value : "";
}

failure sql_failure(result const& r, std::string_view what) {
  std::string state = r.sqlstate();
  std::string detail = std::string(what) + ": " + r.message();
  // 08: connection exception, 53: insufficient resources, 57P0x: shutdown / cannot connect now,
  // 40001 / 40P01: serialization failure / deadlock, which a later retry resolves.
  bool transient = state.starts_with("08") || state.starts_with("53") || state.starts_with("57P") ||
                   state == "40001" || state == "40P01" || state.empty();
  return fail(transient ? errc::unavailable : errc::internal, std::move(detail));
}

}  // namespace windi::pg
