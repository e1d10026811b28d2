#include "flood.hpp"

#include "client/api.hpp"
#include "frames.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string>

namespace windi::loadgen {

namespace asio = boost::asio;

namespace {

// Counts the answers; every one makes room in the window.
asio::awaitable<void> read_answers(connection_ptr c, std::shared_ptr<flood_totals> totals) {
  try {
    for (;;) {
      auto text = co_await c->ws.read();
      if (text.find("\"message_sent\"") != std::string::npos) {
        totals->stored.fetch_add(1, std::memory_order_relaxed);
      } else if (text.find("\"type\":\"error\"") != std::string::npos) {
        totals->refused.fetch_add(1, std::memory_order_relaxed);
      } else {
        continue;
      }
      ++c->acked;
      c->wake.cancel();
    }
  } catch (std::exception const&) {
    // Closed at the end of the run (or by the server).
  }
  c->closed = true;
  c->wake.cancel();
}

}  // namespace

asio::awaitable<void> flood(connection_ptr c, std::shared_ptr<flood_totals> totals, std::int64_t chat_id,
                            std::uint64_t window, std::int64_t start_at_ns, std::int64_t stop_at_ns) {
  asio::co_spawn(c->ws.get_executor(), read_answers(c, totals), asio::detached);
  asio::steady_timer timer(c->ws.get_executor());
  boost::system::error_code ignored;
  if (auto wait = start_at_ns - now_ns(); wait > 0) {
    timer.expires_after(std::chrono::nanoseconds(wait));
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  try {
    while (!c->closed && now_ns() < stop_at_ns) {
      if (c->sent - c->acked >= window) {
        c->wake.expires_after(std::chrono::nanoseconds(stop_at_ns - now_ns()));
        co_await c->wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        continue;
      }
      auto frame =
          client::send_message_frame(chat_id, "flood", c->cmid_prefix + "f" + std::to_string(c->sent));
      ++c->sent;
      totals->sent.fetch_add(1, std::memory_order_relaxed);
      co_await c->ws.send(std::move(frame));
    }
  } catch (std::exception const&) {
    // The server closed the connection: the flood ends there.
  }
}

}  // namespace windi::loadgen
