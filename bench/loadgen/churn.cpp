#include "churn.hpp"

#include "client/ws_client.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

namespace windi::loadgen {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

asio::awaitable<void> churn_loop(churn_plan const& plan, member who, std::size_t index) {
  std::size_t attempt = index;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer pace(executor);
  auto const period = plan.per_second > 0 ? std::chrono::duration_cast<clock_type::duration>(
                                                std::chrono::duration<double>(1.0 / plan.per_second))
                                          : clock_type::duration::zero();
  auto next = clock_type::now();
  auto done = [&plan] {
    return plan.stopping->load() || (plan.limit > 0 && plan.cycles->load() >= plan.limit);
  };
  while (!done()) {
    if (period > clock_type::duration::zero()) {
      next += period;
      pace.expires_at(next);
      boost::system::error_code late;
      co_await pace.async_wait(asio::redirect_error(asio::use_awaitable, late));
    }
    client::ws_client ws(executor);
    bool failed = false;
    try {
      co_await ws.connect(plan.endpoint(attempt++), client::chat_socket_path(who.token));
      for (;;) {
        auto frame = co_await ws.read(5s);
        if (frame.find("\"connected\"") != std::string::npos) break;
      }
      ++*plan.cycles;
    } catch (std::exception const&) {
      failed = true;
    }
    ws.close_now();
    if (failed) {
      asio::steady_timer pause(executor, 200ms);
      boost::system::error_code ignored;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
}

}  // namespace windi::loadgen
