#pragma once
#include "http/client_address.hpp"
#include "http/router.hpp"
#include "metrics/traffic.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace windi::http {

struct server_limits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds idle_timeout{60};
};

// Hands an upgraded connection (a WebSocket request) to its owner; the server forgets the socket.
// The socket, the request, and the client's address (client_address.hpp).
using upgrade_handler = std::function<void(boost::asio::ip::tcp::socket, beast_request, std::string client)>;

// Where an accepted connection runs: an executor that one thread at a time runs (an io_context of its own
// thread, or a strand).
using executor_source = std::function<boost::asio::any_io_executor()>;

// Accepts connections and serves HTTP/1.1 with keep-alive.
class server {
 public:
  server(boost::asio::any_io_executor io, executor_source connections, router const& routes,
         server_limits limits);
  // Binds and listens; throws on failure (start-up error). Returns the bound port (useful with port 0).
  std::uint16_t listen(std::string const& host, std::uint16_t port);
  // WebSocket upgrade requests whose target `accepts` are handed to `h`; others are routed as usual.
  void on_upgrade(std::function<bool(std::string_view target)> accepts, upgrade_handler h) {
    upgrade_accepts_ = std::move(accepts);
    upgrade_ = std::move(h);
  }
  // Peers whose X-Forwarded-For names the client (see client_address.hpp); none by default.
  void trust_proxies(trusted_proxies proxies) { trusted_ = std::move(proxies); }
  // Where every answered and refused request is counted and logged; none by default.
  void observe(metrics::traffic* traffic) { traffic_ = traffic; }
  void start();
  // Stops accepting. In-flight requests complete; idle keep-alive connections close at their next read.
  void stop();
  // Requests being handled or answered (their response not yet written).
  std::size_t requests_in_flight() const { return in_flight_->load(); }

 private:
  static boost::asio::awaitable<void> accept_loop(server* self);
  static boost::asio::awaitable<void> serve(server* self, boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor io_;
  executor_source connections_;
  router const& routes_;
  server_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::function<bool(std::string_view)> upgrade_accepts_;
  upgrade_handler upgrade_;
  trusted_proxies trusted_;
  metrics::traffic* traffic_ = nullptr;
  std::shared_ptr<std::atomic<std::size_t>> in_flight_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<bool> stopping_{false};
};

}  // namespace windi::http
