#include "search_index.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <memory>
#include <stdexcept>

namespace windi::loadgen {
namespace {

using pg_connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using pg_result = std::unique_ptr<PGresult, decltype(&PQclear)>;

pg_connection pg_connect(std::string const& url) {
  pg_connection c(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("postgres: cannot connect: " + std::string(PQerrorMessage(c.get())));
  return c;
}

pg_result pg_run(PGconn* c, std::string const& sql) {
  pg_result r(PQexec(c, sql.c_str()), &PQclear);
  auto const status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("postgres: " + sql + ": " + PQerrorMessage(c));
  return r;
}

std::string quoted_identifier(PGconn* c, std::string const& name) {
  std::unique_ptr<char, decltype(&PQfreemem)> q(PQescapeIdentifier(c, name.data(), name.size()), &PQfreemem);
  return q.get();
}

using sqlite_connection = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

sqlite_connection sqlite_open(std::string const& path) {
  sqlite3* db = nullptr;
  int const rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  sqlite_connection c(db, &sqlite3_close);
  if (rc != SQLITE_OK) throw std::runtime_error("sqlite: cannot open " + path);
  sqlite3_busy_timeout(db, 10'000);
  return c;
}

}  // namespace

std::string fresh_postgres_database(std::string const& url, std::string const& suffix) {
  auto c = pg_connect(url);
  std::string const name = std::string(PQdb(c.get())) + "_" + suffix;
  pg_run(c.get(), "DROP DATABASE IF EXISTS " + quoted_identifier(c.get(), name) + " WITH (FORCE)");
  pg_run(c.get(), "CREATE DATABASE " + quoted_identifier(c.get(), name));
  // postgresql://user:password@host:port/database?options: the database is between the authority's end and
  // '?'.
  auto const scheme = url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("postgres: a URL is needed, not " + url);
  auto const path = url.find('/', scheme + 3);
  auto const query = url.find('?', scheme + 3);
  std::string const tail = query == std::string::npos ? "" : url.substr(query);
  std::string const head = url.substr(0, path == std::string::npos || path > query ? query : path);
  return head + "/" + name + tail;
}

void drop_search_index(std::string const& backend, std::string const& database) {
  if (backend == "postgres") {
    auto c = pg_connect(database);
    pg_run(c.get(), "ALTER TABLE messages DROP COLUMN search");
    return;
  }
  auto db = sqlite_open(database);
  char* error = nullptr;
  int const rc = sqlite3_exec(db.get(),
                              "DROP TRIGGER messages_search_insert; DROP TRIGGER messages_search_update; "
                              "DROP TRIGGER messages_search_delete;",
                              nullptr, nullptr, &error);
  std::string const what = error != nullptr ? error : "";
  sqlite3_free(error);
  if (rc != SQLITE_OK) throw std::runtime_error("sqlite: cannot drop the search triggers: " + what);
}

boost::json::object search_index_size(std::string const& backend, std::string const& database) {
  boost::json::object out;
  if (backend == "postgres") {
    auto c = pg_connect(database);
    auto r = pg_run(c.get(),
                    "SELECT pg_relation_size('messages_search'), "
                    "(SELECT coalesce(sum(pg_column_size(search)), 0) FROM messages), "
                    "(SELECT count(*) FROM messages)");
    auto const gin = std::stoll(PQgetvalue(r.get(), 0, 0));
    auto const vectors = std::stoll(PQgetvalue(r.get(), 0, 1));
    out["gin_index_bytes"] = gin;
    out["tsvector_column_bytes"] = vectors;
    out["index_bytes"] = gin + vectors;
    out["messages"] = std::stoll(PQgetvalue(r.get(), 0, 2));
    return out;
  }
  auto db = sqlite_open(database);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(
          db.get(),
          "SELECT (SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'message_search%'), "
          "(SELECT count(*) FROM messages)",
          -1, &stmt, nullptr) != SQLITE_OK)
    throw std::runtime_error("sqlite: dbstat: " + std::string(sqlite3_errmsg(db.get())));
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> guard(stmt, &sqlite3_finalize);
  if (sqlite3_step(stmt) != SQLITE_ROW) throw std::runtime_error("sqlite: dbstat gave no row");
  out["index_bytes"] = sqlite3_column_int64(stmt, 0);
  out["messages"] = sqlite3_column_int64(stmt, 1);
  return out;
}

}  // namespace windi::loadgen
