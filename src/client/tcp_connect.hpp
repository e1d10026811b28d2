#pragma once
// Opening a client's TCP connection to the server, for every client here (REST, WebSocket, file transfers):
// resolve, set the socket's options before connecting, connect, no Nagle delay (they all send small requests
// and wait for answers). The caller sets the stream's deadline first.
#include "client/endpoint.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <optional>

namespace windi::client {

struct socket_options {
  // Binding to one of several loopback addresses (127.0.0.x) lets one client open more connections to the
  // same server than the ephemeral port range holds.
  std::optional<boost::asio::ip::address> local_address;
  // Bytes; 0 keeps the system's default. Set before connecting, so that the window offered follows it.
  int receive_buffer = 0;
};

boost::asio::awaitable<void> connect_tcp(boost::beast::tcp_stream& stream, endpoint const& server,
                                         socket_options const& options = {});

}  // namespace windi::client
