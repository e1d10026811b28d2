#include "client/tcp_connect.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace windi::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<void> connect_tcp(boost::beast::tcp_stream& stream, endpoint const& server,
                                  socket_options const& options) {
  tcp::resolver resolver(stream.get_executor());
  auto addresses =
      co_await resolver.async_resolve(server.host, std::to_string(server.port), asio::use_awaitable);
  if (options.local_address || options.receive_buffer > 0) {
    // Connecting to a list of addresses would open a new socket for each: this one must keep its options.
    auto& socket = stream.socket();
    auto const target = addresses.begin()->endpoint();
    socket.open(options.local_address ? (options.local_address->is_v4() ? tcp::v4() : tcp::v6())
                                      : target.protocol());
    if (options.receive_buffer > 0)
      socket.set_option(asio::socket_base::receive_buffer_size(options.receive_buffer));
    if (options.local_address) {
      // Defer the port choice to connect(), where the kernel can reuse a port across destinations.
      int const one = 1;
      ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      socket.bind(tcp::endpoint(*options.local_address, 0));
    }
    co_await stream.async_connect(target, asio::use_awaitable);
  } else {
    co_await stream.async_connect(addresses, asio::use_awaitable);
  }
  stream.socket().set_option(tcp::no_delay(true));
}

}  // namespace windi::client
