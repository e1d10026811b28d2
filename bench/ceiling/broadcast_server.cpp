#include "broadcast_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>

namespace windi::ceiling {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

// One connection: a reader that broadcasts what it receives, a writer that drains the queue, both on the
// connection's strand (the socket's executor), so the queue needs no lock.
class peer : public std::enable_shared_from_this<peer> {
 public:
  peer(tcp::socket socket, room& everyone)
      : ws_(std::move(socket)), everyone_(everyone), wake_(ws_.get_executor()) {}

  static asio::awaitable<void> run(std::shared_ptr<peer> self) {
    self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    auto [ec] = co_await self->ws_.async_accept(use_tuple);
    if (ec) co_return;
    self->ws_.text(true);
    self->everyone_.join(self);
    asio::co_spawn(self->ws_.get_executor(), write_loop(self), asio::detached);
    beast::flat_buffer buffer;
    for (;;) {
      auto [read_ec, n] = co_await self->ws_.async_read(buffer, use_tuple);
      if (read_ec) break;
      auto f = std::make_shared<std::string const>(beast::buffers_to_string(buffer.data()));
      buffer.consume(n);
      self->everyone_.broadcast(f);
    }
    self->closed_ = true;
    self->wake_.cancel();
    self->everyone_.leave(self);
  }

  asio::any_io_executor executor() { return ws_.get_executor(); }

  // Any thread.
  void deliver(frame const& f) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), f] {
      self->queue_.push_back(f);
      self->wake_.cancel();
    });
  }

 private:
  static asio::awaitable<void> write_loop(std::shared_ptr<peer> self) {
    while (!self->closed_) {
      if (self->queue_.empty()) {
        self->wake_.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code woken;  // cancelled: a frame was queued
        co_await self->wake_.async_wait(asio::redirect_error(asio::use_awaitable, woken));
        continue;
      }
      frame f = std::move(self->queue_.front());
      self->queue_.pop_front();
      auto [ec, n] = co_await self->ws_.async_write(asio::buffer(*f), use_tuple);
      if (ec) break;
    }
  }

  websocket::stream<beast::tcp_stream> ws_;
  room& everyone_;
  asio::steady_timer wake_;
  std::deque<frame> queue_;
  bool closed_ = false;
};

void room::join(std::shared_ptr<peer> const& p) {
  std::lock_guard lock(mutex_);
  peers_.insert(p);
}

void room::leave(std::shared_ptr<peer> const& p) {
  std::lock_guard lock(mutex_);
  peers_.erase(p);
}

void room::broadcast(frame const& f) {
  std::lock_guard lock(mutex_);
  for (auto const& p : peers_) p->deliver(f);
}

namespace {

asio::awaitable<void> accept_loop(asio::io_context& io, tcp::acceptor& acceptor, room& everyone) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;  // e.g. out of file descriptors: keep serving the others
    }
    socket.set_option(tcp::no_delay(true));
    auto p = std::make_shared<peer>(std::move(socket), everyone);
    asio::co_spawn(p->executor(), peer::run(p), asio::detached);
  }
}

}  // namespace

std::uint16_t listen(asio::io_context& io, room& everyone, std::string const& host, std::uint16_t port) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  tcp::endpoint endpoint{asio::ip::make_address(host), port};
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  auto bound = acceptor->local_endpoint().port();
  // The acceptor lives as long as the accept loop, which runs until the process exits.
  asio::co_spawn(io, accept_loop(io, *acceptor, everyone), [acceptor](std::exception_ptr) {});
  return bound;
}

}  // namespace windi::ceiling
