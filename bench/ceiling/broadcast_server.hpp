#pragma once
// The transport ceiling: a WebSocket server that does nothing but broadcast. No auth, no JSON, no store, no
// bus; one group of everyone connected. Each incoming frame is copied once into a shared buffer and handed to
// every connection, and each connection has one write in flight, as a real chat server's fan-out would at
// best. Its threading is windi's: one event loop per I/O thread, each connection on one of them for its whole
// life, a broadcast crossing to each other thread once. The load generator runs the same client load against
// it and against windi, so the ratio isolates windi's own cost.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace windi::ceiling {

class peer;
using frame = std::shared_ptr<std::string const>;

// Everyone connected, kept per I/O thread: each thread's set is touched only by that thread.
class room {
 public:
  explicit room(std::vector<boost::asio::any_io_executor> threads);
  // On the peer's own thread.
  void join(std::shared_ptr<peer> const& p);
  void leave(std::shared_ptr<peer> const& p);
  // From any thread.
  void broadcast(frame const& f);

 private:
  struct local_peers {
    boost::asio::any_io_executor executor;
    std::unordered_set<std::shared_ptr<peer>> peers;
  };
  local_peers& local_to(peer const& p);
  std::vector<local_peers> threads_;
};

// Accepts on host:port (0: any free port) with `io` and returns the bound port; each connection runs on the
// executor `next_thread` gives it.
std::uint16_t listen(boost::asio::io_context& io, std::function<boost::asio::any_io_executor()> next_thread,
                     room& everyone, std::string const& host, std::uint16_t port);

}  // namespace windi::ceiling
