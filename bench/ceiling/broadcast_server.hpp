#pragma once
// The transport ceiling: a WebSocket server that does nothing but broadcast. No auth, no JSON, no store, no
// bus; one group of everyone connected. Each incoming frame is copied once into a shared buffer and queued to
// every connection, and each connection has one write in flight, as a real chat server's fan-out would at
// best. The load generator runs the same client load against it and against windi, so the ratio isolates
// windi's cost.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace windi::ceiling {

class peer;
using frame = std::shared_ptr<std::string const>;

// Everyone connected; thread-safe.
class room {
 public:
  void join(std::shared_ptr<peer> const& p);
  void leave(std::shared_ptr<peer> const& p);
  void broadcast(frame const& f);

 private:
  std::mutex mutex_;
  std::unordered_set<std::shared_ptr<peer>> peers_;
};

// Accepts on host:port (0: any free port) and returns the bound port; connections run on `io`.
std::uint16_t listen(boost::asio::io_context& io, room& everyone, std::string const& host,
                     std::uint16_t port);

}  // namespace windi::ceiling
