#include "client/ws_client.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/stream_base.hpp>

namespace windi::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

std::string chat_socket_path(std::string const& token) { return "/api/v1/ws/chat?token=" + token; }

ws_client::ws_client(asio::any_io_executor executor) : ws_(std::move(executor)) {}

asio::awaitable<void> ws_client::connect(endpoint const& server, std::string path, ws_options options) {
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(options.connect_timeout);
  co_await connect_tcp(stream, server, options.socket);
  co_await ws_.async_handshake(server.host + ":" + std::to_string(server.port), path, asio::use_awaitable);
  // From here the WebSocket stream owns timeouts; the server pings, and Beast answers while a read is
  // pending.
  stream.expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  ws_.text(true);
}

asio::awaitable<void> ws_client::send(std::string text) {
  co_await ws_.async_write(asio::buffer(text), asio::use_awaitable);
}

asio::awaitable<std::string> ws_client::read() {
  buffer_.clear();
  co_await ws_.async_read(buffer_, asio::use_awaitable);
  co_return beast::buffers_to_string(buffer_.data());
}

asio::awaitable<std::string> ws_client::read(std::chrono::milliseconds timeout) {
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(timeout);
  auto text = co_await read();
  stream.expires_never();
  co_return text;
}

void ws_client::close_now() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

}  // namespace windi::client
