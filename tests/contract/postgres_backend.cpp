#include "contract/store_backends.hpp"
#include "store/group_commit.hpp"
#include "store/open_store.hpp"
#include "support/run_task.hpp"

#include <libpq-fe.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace windi::testing {
namespace {

void ignore_notice(void*, char const*) {}

// Empties the test database with a plain blocking connection, independent of the store under test.
void reset_database(std::string const& url) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("connecting to WINDI_TEST_POSTGRES_URL failed: ") +
                             PQerrorMessage(conn.get()));
  }
  PQsetNoticeProcessor(conn.get(), &ignore_notice, nullptr);
  std::unique_ptr<PGresult, decltype(&PQclear)> reset(
      PQexec(conn.get(), "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"), &PQclear);
  if (PQresultStatus(reset.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string("emptying the test database failed: ") +
                             PQresultErrorMessage(reset.get()));
  }
}

// The store does its socket I/O on `io`, so its migration has to run there too.
outcome<int> migrate_on(boost::asio::any_io_executor io, store& db) {
  if (auto* owned = io.target<boost::asio::io_context::executor_type>()) {
    return run_task(owned->context(), db.migrate());
  }
  auto future = boost::asio::co_spawn(io, db.migrate(), boost::asio::use_future);
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    throw std::runtime_error("migrating the PostgreSQL test database did not finish within 30 s");
  }
  return future.get();
}

}  // namespace

std::unique_ptr<store> open_empty_postgres_store(boost::asio::any_io_executor io, std::string& skip_reason) {
  char const* url = std::getenv("WINDI_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    skip_reason = "WINDI_TEST_POSTGRES_URL is not set (eval \"$(scripts/services start)\")";
    return nullptr;
  }
  reset_database(url);
  auto db = make_postgres_store(url, 4, io);
  auto applied = migrate_on(io, *db);
  // The server is configured and reachable (the reset worked), so a failure here is a bug, never a skip.
  if (!applied)
    throw std::runtime_error("migrating the PostgreSQL test database failed: " + applied.error().detail);
  // As the server uses it: behind group commit, two shards as with the default pool.
  return with_group_commit(std::move(db), std::move(io), {.shards = 2, .max_batch = 256});
}

}  // namespace windi::testing
