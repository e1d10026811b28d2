// What a session tells the metrics and the access log, and its part of a shutdown.
#include "ws/hub.hpp"
#include "ws/session.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace windi::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

constexpr std::string_view socket_route = "/api/v1/ws/chat";

// Which limit refused an action with 429, for the metrics.
std::string_view rate_limit_of(std::string_view action) {
  if (action == "send_message") return "send";
  if (action == "mark_read") return "read";
  if (action == "typing") return "typing";
  if (action == "connect") return "connections";
  return "other";
}

}  // namespace

asio::awaitable<void> session::drain_and_close(std::shared_ptr<session> self) {
  self->draining_ = true;
  // Sends already read are committing: their acknowledgements go out before the close, so a client never
  // loses an acknowledgement of a stored message to the shutdown. A timer of its own (not send_done_, which
  // the reader may be waiting on): the process's shutdown bound cuts this short anyway.
  asio::steady_timer poll(self->executor_);
  while (!self->send_replies_.empty() && !self->closing_) {
    poll.expires_after(std::chrono::milliseconds(5));
    boost::system::error_code ignored;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  self->closing_ = true;
  self->write_next();
}

void session::note_failure(std::string_view action, failure const& f) {
  if (f.code != errc::rate_limited) return;
  // A client over its budget gets its answer, then the server reads nothing more from it until the budget
  // allows again (at most a second): a flood fills its own socket instead of the server's threads.
  auto const pause =
      std::min(std::chrono::seconds(std::max(f.retry_after_seconds, 1)), std::chrono::seconds(1));
  reading_paused_until_ = std::max(reading_paused_until_, std::chrono::steady_clock::now() + pause);
  if (auto* traffic = services_.local.traffic()) traffic->rate_limited(rate_limit_of(action));
}

void session::note_upgrade(upgrade_request const& request, unsigned status) {
  auto* traffic = services_.local.traffic();
  if (!traffic) return;
  if (status == 101) traffic->websocket_opened();
  auto const method = request.method_string();
  double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
  traffic->http_request({std::string_view(method.data(), method.size()), socket_route, status, seconds,
                         request.body().size(), 0, client_address_});
  if (status == 101) opened_at_ = std::chrono::steady_clock::now();
}

void session::note_frame_in(std::size_t bytes) {
  ++frames_in_;
  bytes_in_ += bytes;
  if (auto* traffic = services_.local.traffic()) {
    traffic->frames_in.inc();
    traffic->bytes_in.inc(bytes);
  }
}

void session::note_frame_out(std::size_t bytes) {
  ++frames_out_;
  bytes_out_ += bytes;
  if (auto* traffic = services_.local.traffic()) {
    traffic->frames_out.inc();
    traffic->bytes_out.inc(bytes);
  }
}

void session::note_closed(std::uint16_t code) {
  auto* traffic = services_.local.traffic();
  if (!traffic) return;
  double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - opened_at_).count();
  traffic->websocket_closed({code, seconds, frames_in_, frames_out_, bytes_in_, bytes_out_, me_.subject});
}

std::uint16_t session::close_code() const {
  if (overflowed_) return close_slow_consumer;
  if (!token_ended_.empty()) return close_token_expired;
  if (close_sent_) return static_cast<std::uint16_t>(websocket::close_code::going_away);  // the shutdown
  if (read_error_ == websocket::error::closed) {
    auto const code = static_cast<std::uint16_t>(ws_.reason().code);
    return code == 0 ? static_cast<std::uint16_t>(websocket::close_code::no_status) : code;
  }
  // Beast closed the connection itself, with these codes.
  if (read_error_ == websocket::error::message_too_big)
    return static_cast<std::uint16_t>(websocket::close_code::too_big);
  if (read_error_ == websocket::error::bad_frame_payload)
    return static_cast<std::uint16_t>(websocket::close_code::bad_payload);
  if (read_error_ == websocket::condition::protocol_violation)
    return static_cast<std::uint16_t>(websocket::close_code::protocol_error);
  return static_cast<std::uint16_t>(websocket::close_code::abnormal);  // no close frame: reset, timeout
}

}  // namespace windi::ws
