#pragma once
// A WebSocket client for /api/v1/ws/chat: connect with a token, send text frames, read text frames. One read
// and one write may be in flight at the same time (Beast's rule), so a reader loop and a sender can share it.
// Failures throw boost::system::system_error.
#include "client/endpoint.hpp"
#include "client/tcp_connect.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace windi::client {

struct ws_options {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // A small receive buffer makes the server's writes back up soon, as over a poor mobile link.
  socket_options socket;
};

// The chat socket's path with the token in the query (a JWT is URL-safe as it is).
std::string chat_socket_path(std::string const& token);

class ws_client {
 public:
  explicit ws_client(boost::asio::any_io_executor executor);

  boost::asio::awaitable<void> connect(endpoint const& server, std::string path, ws_options options = {});
  boost::asio::awaitable<void> send(std::string text);
  // The next text frame; throws on close or error.
  boost::asio::awaitable<std::string> read();
  // The same with a deadline: throws beast::error::timeout when nothing complete arrived in time, after
  // which the connection is unusable (fine for a client that is about to give up).
  boost::asio::awaitable<std::string> read(std::chrono::milliseconds timeout);
  // Closes the socket without a handshake; pending reads and writes fail. Call it on the client's executor.
  void close_now();
  // The code of the server's close frame, once read() has thrown because of it (0 without one).
  int close_code() const { return static_cast<int>(ws_.reason().code); }

  boost::asio::any_io_executor get_executor() { return ws_.get_executor(); }

 private:
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace windi::client
