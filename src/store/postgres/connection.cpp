#include "store/postgres/connection.hpp"

#include "support/offload.hpp"

#include <poll.h>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <utility>

namespace windi::pg {
namespace {

namespace asio = boost::asio;

void ignore_notice(void*, char const*) {}

// Level-triggered readiness, checked with poll(). Asio's reactor is edge-triggered: an edge that arrives
// while no wait is queued is lost, so a wait must be paired with a check like this one.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0;
}

std::string error_text(PGconn* conn) {
  std::string text = PQerrorMessage(conn);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// A plain function, not a coroutine: GCC 12 mishandles a capturing lambda created as a temporary inside a
// co_await expression (it frees the capture twice).
asio::awaitable<PGconn*> start_connect(asio::any_io_executor blocking, std::string const& conninfo) {
  return offload(std::move(blocking), [info = conninfo] { return PQconnectStart(info.c_str()); });
}

}  // namespace

// Queues the wait first, then checks readiness: readiness that arrived before the wait was queued is caught
// by the check (the wait is cancelled, which wakes the caller), and any later edge completes the wait.
struct connection::start_wait {
  connection* self;
  direction d;

  template <class Handler>
  void operator()(Handler&& handler) const {
    bool reading = d == direction::read;
    self->socket_.async_wait(
        reading ? asio::posix::stream_descriptor::wait_read : asio::posix::stream_descriptor::wait_write,
        std::forward<Handler>(handler));
    if (ready_now(self->socket_.native_handle(), reading ? POLLIN : POLLOUT)) {
      boost::system::error_code ignored;
      self->socket_.cancel(ignored);
    }
  }
};

connection::connection(PGconn* conn, asio::any_io_executor io) : conn_(conn), socket_(io), timer_(io) {}

connection::~connection() {
  if (socket_.is_open()) socket_.release();
  PQfinish(conn_);
}

asio::awaitable<outcome<std::unique_ptr<connection>>> connection::open(std::string conninfo,
                                                                       asio::any_io_executor io,
                                                                       asio::any_io_executor blocking,
                                                                       clock::time_point deadline) {
  auto started = start_connect(std::move(blocking), conninfo);
  PGconn* raw = co_await std::move(started);
  if (raw == nullptr) co_return fail(errc::unavailable, "postgres connect: out of memory");
  std::unique_ptr<connection> conn(new connection(raw, std::move(io)));
  if (PQstatus(raw) == CONNECTION_BAD)
    co_return fail(errc::unavailable, "postgres connect: " + error_text(raw));

  // libpq: before the first PQconnectPoll, behave as if it returned PGRES_POLLING_WRITING.
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED)
      co_return fail(errc::unavailable, "postgres connect: " + error_text(raw));
    // libpq may open a new socket while connecting (next address, SSL fallback), even under the same number,
    // so the registration is renewed at every step.
    if (auto bound = conn->bind_socket(); !bound) co_return bound.error();
    auto ready =
        co_await conn->wait(status == PGRES_POLLING_READING ? direction::read : direction::write, deadline);
    if (!ready) co_return fail(errc::unavailable, "postgres connect: " + ready.error().detail);
    status = PQconnectPoll(raw);
  }
  if (PQsetnonblocking(raw, 1) != 0)
    co_return fail(errc::unavailable, "postgres connect: " + error_text(raw));
  // Notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
  PQsetNoticeProcessor(raw, &ignore_notice, nullptr);
  if (auto bound = conn->bind_socket(); !bound) co_return bound.error();
  co_return conn;
}

outcome<void> connection::bind_socket() {
  if (socket_.is_open()) socket_.release();
  int fd = PQsocket(conn_);
  if (fd < 0) return fail(errc::unavailable, "postgres: no socket: " + error_text(conn_));
  boost::system::error_code ec;
  socket_.assign(fd, ec);
  if (ec) return fail(errc::unavailable, "postgres: cannot watch the socket: " + ec.message());
  return {};
}

failure connection::lose(std::string_view what) {
  broken_ = true;
  return fail(errc::unavailable, "postgres: " + std::string(what));
}

asio::awaitable<outcome<void>> connection::wait(direction d, clock::time_point deadline) {
  if (ready_now(socket_.native_handle(), d == direction::read ? POLLIN : POLLOUT)) co_return outcome<void>{};
  if (clock::now() >= deadline) co_return lose("timed out");
  timer_.expires_at(deadline);
  auto [order, wait_ec, timer_ec] =
      co_await asio::experimental::make_parallel_group(
          asio::async_initiate<asio::deferred_t const&, void(boost::system::error_code)>(start_wait{this, d},
                                                                                         asio::deferred),
          timer_.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  (void)timer_ec;
  if (wait_ec && wait_ec != asio::error::operation_aborted) co_return lose(wait_ec.message());
  // An aborted wait is either the readiness check's wake-up or the timer's cancellation.
  if (wait_ec && order[0] == 1) co_return lose("timed out");
  co_return outcome<void>{};
}

asio::awaitable<outcome<void>> connection::flush(clock::time_point deadline) {
  for (;;) {
    int pending = PQflush(conn_);
    if (pending == 0) co_return outcome<void>{};
    if (pending < 0) co_return lose(error_text(conn_));
    auto ready = co_await wait(direction::write, deadline);
    if (!ready) co_return ready.error();
    // As libpq asks: the server may be blocked writing to us until we read.
    if (PQconsumeInput(conn_) == 0) co_return lose(error_text(conn_));
  }
}

asio::awaitable<outcome<std::vector<result>>> connection::collect(clock::time_point deadline) {
  std::vector<result> results;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) co_return lose(error_text(conn_));
    while (PQisBusy(conn_) == 0) {
      PGresult* raw = PQgetResult(conn_);
      if (raw == nullptr) {
        if (PQstatus(conn_) != CONNECTION_OK) co_return lose(error_text(conn_));
        co_return results;
      }
      results.emplace_back(raw);
    }
    auto ready = co_await wait(direction::read, deadline);
    if (!ready) co_return ready.error();
  }
}

asio::awaitable<outcome<result>> connection::query(statement const& stmt, params const& args,
                                                   clock::time_point deadline, format result_format) {
  if (broken_) co_return fail(errc::unavailable, "postgres: connection lost");
  if (!prepared_.contains(stmt.name)) {
    if (PQsendPrepare(conn_, stmt.name, stmt.sql, 0, nullptr) == 0) co_return lose(error_text(conn_));
    if (auto sent = co_await flush(deadline); !sent) co_return sent.error();
    auto prepared = co_await collect(deadline);
    if (!prepared) co_return prepared.error();
    for (auto& r : *prepared) {
      if (!r.ok()) co_return std::move(r);
    }
    prepared_.insert(stmt.name);
  }
  auto values = args.pointers();
  // Lengths and formats only with a binary value: text values alone go exactly as before, NUL-terminated.
  std::vector<int> lengths, formats;
  if (args.has_binary()) {
    lengths = args.lengths();
    formats = args.formats();
  }
  if (PQsendQueryPrepared(
          conn_, stmt.name, args.size(), values.data(), lengths.empty() ? nullptr : lengths.data(),
          formats.empty() ? nullptr : formats.data(), result_format == format::binary ? 1 : 0) == 0) {
    co_return lose(error_text(conn_));
  }
  if (auto sent = co_await flush(deadline); !sent) co_return sent.error();
  auto results = co_await collect(deadline);
  if (!results) co_return results.error();
  if (results->empty()) co_return lose("no result");
  for (auto& r : *results) {
    if (!r.ok()) co_return std::move(r);
  }
  co_return std::move(results->front());
}

asio::awaitable<outcome<std::vector<result>>> connection::execute(std::string sql,
                                                                  clock::time_point deadline) {
  if (broken_) co_return fail(errc::unavailable, "postgres: connection lost");
  if (PQsendQuery(conn_, sql.c_str()) == 0) co_return lose(error_text(conn_));
  if (auto sent = co_await flush(deadline); !sent) co_return sent.error();
  co_return co_await collect(deadline);
}

bool connection::usable() {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
  // An idle connection has nothing to read unless the server is closing it (restart, terminated backend,
  // idle timeout: a FATAL message, then EOF). libpq only notices the EOF on a later read, and we never
  // LISTEN, so any pending input is reason enough to drop the connection and open a fresh one.
  return !ready_now(PQsocket(conn_), POLLIN);
}

}  // namespace windi::pg
