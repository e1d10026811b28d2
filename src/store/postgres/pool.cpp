#include "store/postgres/pool.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace windi::pg {
namespace {
namespace asio = boost::asio;
// Opening includes the TCP handshake, authentication and possibly TLS; a server that takes longer is treated
// as down.
constexpr auto connect_budget = std::chrono::seconds(5);
}  // namespace

pool::pool(std::string conninfo, int size, asio::any_io_executor io)
    : conninfo_(std::move(conninfo)),
      io_(std::move(io)),
      permits_(io_, static_cast<std::size_t>(std::max(size, 1))) {
  for (int i = 0; i < std::max(size, 1); ++i) permits_.try_send(boost::system::error_code{});
}

pool::~pool() {
  idle_.clear();
  blocking_.join();
}

asio::awaitable<outcome<pool::lease>> pool::acquire(clock::time_point deadline) {
  bool permitted = permits_.try_receive([](boost::system::error_code) {});
  if (!permitted) {
    stats_.waits.inc();
    auto const waited_from = clock::now();
    asio::steady_timer timer(io_, deadline);
    auto [order, receive_ec, timer_ec] =
        co_await asio::experimental::make_parallel_group(permits_.async_receive(asio::deferred),
                                                         timer.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    (void)order;
    (void)timer_ec;
    stats_.wait_seconds.observe(std::chrono::duration<double>(clock::now() - waited_from).count());
    // A permit received in the same instant the timer fired is still ours: only a failed receive is a
    // timeout.
    if (receive_ec) {
      stats_.timeouts.inc();
      co_return fail(errc::unavailable, "postgres: timed out waiting for a pooled connection");
    }
  }
  std::unique_ptr<connection> conn = take_idle();
  if (!conn) {
    auto opened = co_await connection::open(conninfo_, io_, blocking_.get_executor(),
                                            std::min(deadline, clock::now() + connect_budget));
    if (!opened) {
      stats_.connect_failures.inc();
      if (!unreachable_.exchange(true)) {
        spdlog::warn(
            "database: cannot connect to PostgreSQL ({}); requests that need it get 503 until it is back",
            opened.error().detail);
      }
      permits_.try_send(boost::system::error_code{});
      co_return opened.error();
    }
    conn = std::move(*opened);
    if (unreachable_.exchange(false)) spdlog::info("database: connected to PostgreSQL again");
  }
  co_return lease(this, std::move(conn));
}

std::unique_ptr<connection> pool::take_idle() {
  for (;;) {
    std::unique_ptr<connection> conn;
    {
      std::lock_guard lock(mutex_);
      if (idle_.empty()) return nullptr;
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    if (conn->usable()) return conn;
  }
}

void pool::give_back(std::unique_ptr<connection> conn) {
  if (conn && conn->usable()) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(conn));
  }
  conn.reset();
  permits_.try_send(boost::system::error_code{});
}

}  // namespace windi::pg
