#pragma once
// A thin RAII layer over one sqlite3 connection. It is used only from the store's own thread, so nothing here
// locks. Errors are thrown as sqlite_error and turned into outcome values at the store boundary, which keeps
// the query code linear.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace windi::sqlite {

class sqlite_error : public std::runtime_error {
 public:
  sqlite_error(int code, std::string const& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }  // extended result code

 private:
  int code_;
};

// A cached statement borrowed for one use: bound on creation, reset when it goes out of scope, so a
// half-read cursor never holds a read lock past its query.
class statement {
 public:
  statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  statement(statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}
  statement(statement const&) = delete;
  statement& operator=(statement const&) = delete;
  statement& operator=(statement&&) = delete;
  ~statement();

  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, static_cast<std::int64_t>(value)); }
  void bind(int index, std::string_view value);
  void bind(int index, std::string const& value) { bind(index, std::string_view(value)); }
  void bind(int index, char const* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::optional<std::string> const& value);
  void bind(int index, std::optional<std::int64_t> const& value);
  void bind(int index, std::nullopt_t);

  // True when a row is available, false when the statement is done.
  bool step();
  // Runs a statement that returns no rows of interest.
  void run() {
    while (step()) {
    }
  }

  std::int64_t int64(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const {
    if (is_null(column)) return std::nullopt;
    return int64(column);
  }

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

class connection {
 public:
  // Creates the file (and its folder) when missing and applies the connection pragmas.
  explicit connection(std::string const& path);
  connection(connection const&) = delete;
  connection& operator=(connection const&) = delete;
  ~connection();

  // Runs one or more statements without results (schema, pragmas, transaction control).
  void exec(std::string const& sql);

  // A cached prepared statement with `args` bound to ?1, ?2, ...
  template <class... Args>
  statement query(std::string_view sql, Args const&... args) {
    statement s = prepare(sql);
    [[maybe_unused]] int index = 0;
    (s.bind(++index, args), ...);
    return s;
  }

  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() const { return db_; }

 private:
  statement prepare(std::string_view sql);

  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*, text_hash, std::equal_to<>> cache_;
};

// BEGIN on construction, ROLLBACK on destruction unless committed, so every early return (an expected
// failure) or thrown sqlite_error leaves no transaction open.
class transaction {
 public:
  enum class mode { read, write };
  transaction(connection& db, mode m);
  transaction(transaction const&) = delete;
  transaction& operator=(transaction const&) = delete;
  ~transaction();
  void commit();

 private:
  connection& db_;
  bool open_ = true;
};

// Throws sqlite_error for a non-OK result code.
void check(int rc, sqlite3* db, std::string_view what);

}  // namespace windi::sqlite
