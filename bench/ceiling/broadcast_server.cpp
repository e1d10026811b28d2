#include "broadcast_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <deque>
#include <stdexcept>

namespace windi::ceiling {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

// One connection: a reader that broadcasts what it receives, and a writer (a chain of completion handlers)
// that drains the queue; both on the connection's thread, so the queue needs no lock.
class peer : public std::enable_shared_from_this<peer> {
 public:
  peer(tcp::socket socket, room& everyone)
      : ws_(std::move(socket)), executor_(ws_.get_executor()), everyone_(everyone) {}

  static asio::awaitable<void> run(std::shared_ptr<peer> self) {
    self->ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    auto [ec] = co_await self->ws_.async_accept(use_tuple);
    if (ec) co_return;
    self->ws_.text(true);
    self->everyone_.join(self);
    beast::flat_buffer buffer;
    for (;;) {
      auto [read_ec, n] = co_await self->ws_.async_read(buffer, use_tuple);
      if (read_ec) break;
      auto f = std::make_shared<std::string const>(beast::buffers_to_string(buffer.data()));
      buffer.consume(n);
      self->everyone_.broadcast(f);
    }
    self->closed_ = true;
    self->everyone_.leave(self);
  }

  asio::any_io_executor const& executor() const { return executor_; }

  // On this peer's thread.
  void deliver(frame const& f) {
    if (closed_) return;
    queue_.push_back(f);
    write_next();
  }

 private:
  void write_next() {
    if (writing_ || queue_.empty()) return;
    writing_ = true;
    auto f = std::move(queue_.front());
    queue_.pop_front();
    auto bytes = asio::buffer(*f);
    ws_.async_write(bytes, [self = shared_from_this(), f](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) {
        self->closed_ = true;
        self->queue_.clear();
        return;
      }
      self->write_next();
    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  asio::any_io_executor executor_;
  room& everyone_;
  std::deque<frame> queue_;
  bool writing_ = false;
  bool closed_ = false;
};

room::room(std::vector<asio::any_io_executor> threads) {
  for (auto& executor : threads) threads_.push_back({std::move(executor), {}});
}

room::local_peers& room::local_to(peer const& p) {
  for (auto& here : threads_) {
    if (here.executor == p.executor()) return here;
  }
  throw std::logic_error("ceiling: a peer runs on an executor that is not one of the I/O threads");
}

void room::join(std::shared_ptr<peer> const& p) { local_to(*p).peers.insert(p); }

void room::leave(std::shared_ptr<peer> const& p) { local_to(*p).peers.erase(p); }

void room::broadcast(frame const& f) {
  for (auto& here : threads_) {
    // Inline on the caller's own thread, one post to each other one.
    asio::dispatch(here.executor, [&here, f] {
      for (auto const& p : here.peers) p->deliver(f);
    });
  }
}

namespace {

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::function<asio::any_io_executor()> next_thread,
                                  room& everyone) {
  for (;;) {
    auto home = next_thread();
    auto [ec, socket] = co_await acceptor.async_accept(home, use_tuple);
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

std::uint16_t listen(asio::io_context& io, std::function<asio::any_io_executor()> next_thread, room& everyone,
                     std::string const& host, std::uint16_t port) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  tcp::endpoint endpoint{asio::ip::make_address(host), port};
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  auto bound = acceptor->local_endpoint().port();
  // The acceptor lives as long as the accept loop, which runs until the process exits.
  asio::co_spawn(io, accept_loop(*acceptor, std::move(next_thread), everyone),
                 [acceptor](std::exception_ptr) {});
  return bound;
}

}  // namespace windi::ceiling
