#include "store/sqlite/connection.hpp"

#include "store/sqlite/search_tokenizer.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

namespace windi::sqlite {

void check(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw sqlite_error(rc, message);
}

statement::~statement() {
  if (stmt_ != nullptr) {
    // Both only report the error of the last step, which has already been thrown.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value), db_, "bind");
}

void statement::bind(int index, std::string_view value) {
  check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), db_,
        "bind");
}

void statement::bind(int index, std::optional<std::string> const& value) {
  if (value) {
    bind(index, std::string_view(*value));
  } else {
    bind(index, std::nullopt);
  }
}

void statement::bind(int index, std::optional<std::int64_t> const& value) {
  if (value) {
    bind(index, *value);
  } else {
    bind(index, std::nullopt);
  }
}

void statement::bind(int index, std::nullopt_t) { check(sqlite3_bind_null(stmt_, index), db_, "bind"); }

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  check(rc, db_, sqlite3_sql(stmt_));
  return false;
}

std::string statement::text(int column) const {
  auto const* data = reinterpret_cast<char const*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<std::string> statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

connection::connection(std::string const& path) {
  bool const in_memory = path.empty() || path == ":memory:" || path.starts_with("file:");
  if (!in_memory) {
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) throw sqlite_error(SQLITE_CANTOPEN, "cannot create " + parent.string() + ": " + ec.message());
    }
  }
  // NOMUTEX: the connection lives on one thread, so SQLite's own locking would be pure overhead.
  int const flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw sqlite_error(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
  register_search_tokenizer(db_);
  // busy_timeout first: switching to WAL itself needs a lock another process may hold.
  exec(
      "PRAGMA busy_timeout = 5000;"
      "PRAGMA journal_mode = WAL;"
      "PRAGMA synchronous = FULL;"
      "PRAGMA foreign_keys = ON;"
      // A deleted message's text must not survive in the file: freed space is overwritten with zeros.
      "PRAGMA secure_delete = ON;");
}

connection::~connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_ != nullptr && sqlite3_close_v2(db_) != SQLITE_OK) {
    spdlog::warn("sqlite: closing the database failed: {}", sqlite3_errmsg(db_));
  }
}

void connection::exec(std::string const& sql) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw sqlite_error(rc, message);
  }
}

statement connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    check(sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                             nullptr),
          db_, sql);
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  // A statement still stepping would be silently reset under its reader: a bug in the caller.
  if (sqlite3_stmt_busy(it->second))
    throw sqlite_error(SQLITE_MISUSE, "statement already in use: " + it->first);
  return statement(it->second, db_);
}

transaction::transaction(connection& db, mode m) : db_(db) {
  // IMMEDIATE takes the write lock up front: a deferred transaction upgrading to write could hit
  // SQLITE_BUSY without the busy handler being able to help.
  db_.exec(m == mode::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

transaction::~transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace windi::sqlite
