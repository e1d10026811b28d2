#include "http/server.hpp"

#include "http/body_streams.hpp"
#include "http/errors.hpp"
#include "http/framing.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <optional>
#include <string_view>
#include <tuple>

namespace windi::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

beast_http::response<beast_http::string_body> to_beast(api_response&& r, unsigned version, bool keep_alive,
                                                       bool head) {
  beast_http::response<beast_http::string_body> out{r.status, version};
  out.set(beast_http::field::server, "windi");
  out.set(beast_http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) out.set(name, value);
  out.keep_alive(keep_alive);
  out.body() = std::move(r.body);
  out.prepare_payload();
  if (head) out.body().clear();  // Content-Length stays that of the GET body
  return out;
}

beast_http::response<beast_http::buffer_body> streamed_head(api_response const& r, unsigned version,
                                                            bool keep_alive) {
  beast_http::response<beast_http::buffer_body> out{r.status, version};
  out.set(beast_http::field::server, "windi");
  out.set(beast_http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) out.set(name, value);
  out.keep_alive(keep_alive);
  return out;
}

// After refusing an oversized body: close our side, then read and drop what the client is still sending for a
// bounded time, so that it sees the 413 instead of a reset connection.
asio::awaitable<void> discard_input(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(2));
  std::array<char, 16384> sink;
  std::size_t total = 0;
  while (total < (64u << 20)) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (ec) break;
    total += n;
  }
}

// Answers with {"detail": ...} and closes: Connection: close, our side shut down, and whatever the client
// still sends is read and dropped (never parsed) for a bounded time, so that it sees the answer, not a reset.
asio::awaitable<void> refuse(beast::tcp_stream& stream, beast_http::status status, std::string_view detail) {
  spdlog::debug("refused an HTTP request: {} {}", static_cast<unsigned>(status), detail);
  auto answer = json_response(status, boost::json::object{{"detail", detail}});
  auto [ec, written] =
      co_await beast_http::async_write(stream, to_beast(std::move(answer), 11, false, false), use_tuple);
  if (!ec) co_await discard_input(stream);
}

// Reads until `buffer` holds the whole head of the next request (it may already), checking its line endings
// as they arrive (http/framing.hpp). need_more means the connection ended or timed out first (`error` says
// which).
asio::awaitable<head_scan> read_head(beast::tcp_stream& stream, beast::flat_buffer& buffer, std::size_t limit,
                                     boost::system::error_code& error) {
  std::size_t scanned = 0;
  for (;;) {
    auto const data = buffer.data();
    std::string_view bytes(static_cast<char const*>(data.data()), data.size());
    auto scan = scan_request_head(bytes, limit, scanned);
    if (scan.state != head_state::need_more) co_return scan;
    scanned = bytes.size();
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), use_tuple);
    if (ec) {
      error = ec;
      co_return head_scan{};
    }
    buffer.commit(n);
  }
}

// Which limit a 429 from this route comes from, for the metrics.
std::string_view rate_limit_of(std::string_view route) {
  if (route == "/api/v1/auth/login" || route == "/api/v1/auth/login-json") return "login";
  if (route == "/api/v1/auth/register") return "registration";
  if (route == "/api/v1/messages") return "send";
  if (route == "/api/v1/chats/{chat_id}/read") return "read";
  if (route == "/api/v1/users/me/password") return "password";
  return "other";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct in_flight_guard {
  std::atomic<std::size_t>& count;
  explicit in_flight_guard(std::atomic<std::size_t>& c) : count(c) { ++count; }
  ~in_flight_guard() { --count; }
  in_flight_guard(in_flight_guard const&) = delete;
  in_flight_guard& operator=(in_flight_guard const&) = delete;
};

}  // namespace

server::server(asio::any_io_executor io, executor_source connections, router const& routes,
               server_limits limits)
    : io_(std::move(io)),
      connections_(std::move(connections)),
      routes_(routes),
      limits_(limits),
      acceptor_(io_) {}

std::uint16_t server::listen(std::string const& host, std::uint16_t port) {
  tcp::endpoint endpoint{asio::ip::make_address(host), port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void server::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(this), asio::detached); }

void server::stop() {
  stopping_ = true;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
}

asio::awaitable<void> server::accept_loop(server* self) {
  while (!self->stopping_) {
    auto home = self->connections_();
    auto [ec, socket] = co_await self->acceptor_.async_accept(home, use_tuple);
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) break;
    if (ec) {
      // Out of descriptors and the like: keep serving the connections we have, try again shortly.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(self->io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(self, std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> server::serve(server* self, tcp::socket socket) {
  boost::system::error_code peer_error;
  auto const peer = socket.remote_endpoint(peer_error).address();
  auto const peer_text = peer_error ? std::string() : peer.to_string();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  auto const max_body = self->limits_.max_body_bytes;
  auto* traffic = self->traffic_;
  for (;;) {
    // From here for a refused head (a slow one's whole wait), from the complete head for anything else.
    auto started = std::chrono::steady_clock::now();
    // Refusals signal probes and attacks: each is counted and leaves an access line.
    auto refused = [&](std::string_view reason, unsigned status, std::uint64_t bytes_in) {
      if (traffic) traffic->http_refused({reason, status, seconds_since(started), bytes_in, peer_text});
    };
    stream.expires_after(self->limits_.idle_timeout);
    boost::system::error_code head_error;
    auto scan = co_await read_head(stream, buffer, self->limits_.max_header_bytes, head_error);
    if (scan.state == head_state::complete) started = std::chrono::steady_clock::now();
    if (scan.state == head_state::need_more) {
      // The peer left or went quiet: nobody to answer. Between requests that is normal; halfway through a
      // head it is worth a line (slow-header attacks).
      if (buffer.size() > 0) {
        refused(head_error == beast::error::timeout ? "head_timeout" : "head_incomplete", 0, buffer.size());
      }
      break;
    }
    if (scan.state == head_state::too_large) {
      refused("header_too_large", 431, buffer.size());
      co_await refuse(stream, beast_http::status::request_header_fields_too_large, scan.detail);
      break;
    }
    if (scan.state == head_state::malformed) {
      refused("malformed_head", 400, buffer.size());
      co_await refuse(stream, beast_http::status::bad_request, scan.detail);
      break;
    }

    // The whole head is in the buffer: Beast parses it without reading, then the framing is checked before a
    // byte of the body is read. The body limit waits until then, so that a bad framing is a 400, not a 413.
    head_parser head;
    head.header_limit(static_cast<std::uint32_t>(self->limits_.max_header_bytes));
    head.body_limit(boost::none);
    auto [ec, bytes] = co_await beast_http::async_read_header(stream, buffer, head, use_tuple);
    std::uint64_t bytes_in = bytes;
    if (ec || !head.is_header_done()) {
      refused("malformed_head", 400, scan.end);
      co_await refuse(stream, beast_http::status::bad_request, "Malformed HTTP request");
      break;
    }
    if (auto problem = framing_error(head)) {
      refused("framing", 400, bytes_in);
      co_await refuse(stream, beast_http::status::bad_request, *problem);
      break;
    }
    // Uploads go to a route that reads the body as it arrives, with a limit of its own.
    auto const* streamed_limit = self->routes_.streamed_body_limit(head.get().method(), head.get().target());
    auto const most_body_bytes = streamed_limit ? streamed_limit->bytes : max_body;
    if (auto length = head.content_length(); length && *length > most_body_bytes)
      ec = beast_http::error::body_limit;
    if (!ec && !head.is_done() && beast::iequals(head.get()[beast_http::field::expect], "100-continue")) {
      // The client waits for this before it sends the body (curl does, for large ones).
      beast_http::response<beast_http::empty_body> go_on{beast_http::status::continue_, 11};
      std::tie(ec, std::ignore) = co_await beast_http::async_write(stream, go_on, use_tuple);
      if (ec) break;
    }
    std::optional<streamed_request_body> streamed;
    beast_request request;
    if (!ec && streamed_limit) {
      streamed.emplace(stream, buffer, std::move(head), *streamed_limit, self->limits_.idle_timeout);
      request = streamed->request();
    } else if (!ec) {
      beast_http::request_parser<beast_http::string_body> parser(std::move(head));
      if (!parser.is_done()) {
        parser.body_limit(max_body);  // a chunked body counts against it as it arrives
        std::tie(ec, bytes) = co_await beast_http::async_read(stream, buffer, parser, use_tuple);
        bytes_in += bytes;
      }
      if (!ec) request = parser.release();
    }
    if (ec == beast_http::error::body_limit) {
      refused("body_too_large", 413, bytes_in);
      // A streaming route says what its limit is for ("File too large: ..."); the rest say it generically.
      auto too_large = error_response(fail(
          errc::payload_too_large, streamed_limit ? streamed_limit->too_large : "Request body too large"));
      co_await beast_http::async_write(stream, to_beast(std::move(too_large), 11, false, false), use_tuple);
      co_await discard_input(stream);
      break;
    }
    if (ec) {
      // A body cut short (the peer left, timed out) gets no answer; a malformed one (a bad chunk) gets 400.
      if (ec.category() == beast_http::make_error_code(beast_http::error::bad_chunk).category() &&
          ec != beast_http::error::partial_message && ec != beast_http::error::end_of_stream) {
        refused("malformed_body", 400, bytes_in);
        co_await refuse(stream, beast_http::status::bad_request, "Malformed HTTP request body");
      } else {
        refused(ec == beast::error::timeout ? "body_timeout" : "body_incomplete", 0, bytes_in);
      }
      break;
    }
    if (!streamed && beast::websocket::is_upgrade(request) && self->upgrade_ &&
        self->upgrade_accepts_(request.target())) {
      stream.expires_never();
      auto client = client_address(peer, request["X-Forwarded-For"], self->trusted_);
      self->upgrade_(stream.release_socket(), std::move(request), std::move(client));
      co_return;
    }
    // Counted until the answer is written, so that a drain waits for it.
    in_flight_guard guard(*self->in_flight_);
    api_response response;
    std::string_view route = router::malformed_route;
    std::string client;
    try {
      client = client_address(peer, request["X-Forwarded-For"], self->trusted_);
      response = co_await self->routes_.dispatch(request, client, &route, streamed ? &*streamed : nullptr);
    } catch (std::exception const& e) {
      spdlog::error("{} {}: unhandled exception: {}", std::string(request.method_string()), route, e.what());
      response = error_response(fail(errc::internal, e.what()));
    }
    auto const status = static_cast<unsigned>(response.status);
    // A streaming route that answered before reading the whole body (refused it) leaves the rest unread: the
    // connection cannot carry another request.
    bool const body_left = streamed && !streamed->complete();
    if (streamed) bytes_in += streamed->consumed();
    bool keep_alive = request.keep_alive() && !self->stopping_ && !body_left;
    bool head_only = request.method() == beast_http::verb::head;
    boost::system::error_code write_ec;
    std::uint64_t written = 0;
    if (response.stream) {
      auto out = streamed_head(response, request.version(), keep_alive);
      std::tie(write_ec, written) = co_await write_streamed_response(
          stream, out, *response.stream, response.stream_length, head_only, self->limits_.idle_timeout);
    } else {
      std::tie(write_ec, written) = co_await beast_http::async_write(
          stream, to_beast(std::move(response), request.version(), keep_alive, head_only), use_tuple);
    }
    if (traffic) {
      auto const method = request.method_string();
      traffic->http_request({std::string_view(method.data(), method.size()), route, status,
                             seconds_since(started), bytes_in, written, client});
      if (status == 429) traffic->rate_limited(rate_limit_of(route));
    }
    if (!write_ec && body_left) {
      co_await discard_input(stream);
      break;
    }
    if (write_ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace windi::http
