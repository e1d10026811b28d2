#pragma once
// One PostgreSQL connection driven by libpq's asynchronous API on an Asio executor. Used by one coroutine at
// a time (the pool guarantees it); every wait has a deadline. A transport failure or a missed deadline marks
// the connection broken: the pool then drops it instead of reusing it.
#include "core/error.hpp"
#include "store/postgres/params.hpp"
#include "store/postgres/result.hpp"

#include <libpq-fe.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace windi::pg {

using clock = std::chrono::steady_clock;

// A named statement, prepared on each connection the first time that connection runs it.
// Both strings are literals, so they are NUL-terminated and live forever.
struct statement {
  char const* name;
  char const* sql;
};

class connection {
 public:
  // PQconnectStart runs on `blocking` (it may resolve a host name); the handshake then runs on `io`.
  static boost::asio::awaitable<outcome<std::unique_ptr<connection>>> open(
      std::string conninfo, boost::asio::any_io_executor io, boost::asio::any_io_executor blocking,
      clock::time_point deadline);

  connection(connection const&) = delete;
  connection& operator=(connection const&) = delete;
  ~connection();

  // How a statement's columns come back: as text (parsed by result's accessors), or in binary format, where a
  // bytea column is its bytes as they are (result::bytes) instead of hex, twice the size. Binary applies to
  // every column of the statement, so a binary statement selects only bytea columns.
  enum class format { text, binary };

  // Runs a prepared statement. A server-side error comes back as a result whose ok() is false; a failure
  // (errc::unavailable) means the connection was lost or the deadline passed.
  boost::asio::awaitable<outcome<result>> query(statement const& stmt, params const& args,
                                                clock::time_point deadline,
                                                format result_format = format::text);
  // Runs `sql` with the simple protocol, which allows several statements (migrations); returns every result.
  boost::asio::awaitable<outcome<std::vector<result>>> execute(std::string sql, clock::time_point deadline);

  // False once the connection failed, is inside a transaction, or was closed by the server while idle.
  bool usable();

 private:
  enum class direction { read, write };
  struct start_wait;

  connection(PGconn* conn, boost::asio::any_io_executor io);

  outcome<void> bind_socket();
  boost::asio::awaitable<outcome<void>> wait(direction d, clock::time_point deadline);
  boost::asio::awaitable<outcome<void>> flush(clock::time_point deadline);
  boost::asio::awaitable<outcome<std::vector<result>>> collect(clock::time_point deadline);
  failure lose(std::string_view what);

  PGconn* conn_;
  // Registered with the reactor but never the owner of libpq's socket: released, never closed.
  boost::asio::posix::stream_descriptor socket_;
  boost::asio::steady_timer timer_;
  std::unordered_set<std::string_view> prepared_;
  bool broken_ = false;
};

}  // namespace windi::pg
