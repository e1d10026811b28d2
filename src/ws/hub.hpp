#pragma once
// This process's open WebSocket sessions by user, kept per I/O thread: each thread's map is read and written
// only by that thread, so delivering takes no lock there, and an envelope from the bus crosses to another
// thread once per thread (not once per recipient), every recipient sharing one frame buffer, and only to the
// threads that hold one of its recipients.
#include "bus/bus.hpp"
#include "metrics/traffic.hpp"
#include "ws/user_threads.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <memory>
#include <unordered_map>
#include <vector>

namespace windi::ws {

class session;

class hub {
 public:
  // One executor per I/O thread; every session runs on one of them.
  explicit hub(std::vector<boost::asio::any_io_executor> threads);
  // On the session's own thread.
  void add(user_id user, std::shared_ptr<session> const& s);
  void remove(user_id user, session const* s);
  // From any thread.
  void deliver(envelope e);
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }
  // From any thread: every open session closes with 1001 (going away).
  void shutdown_all();
  // Where deliveries and the sessions' frames, closes and refusals are counted and logged; none by default.
  // Set before the first session starts.
  void observe(metrics::traffic* traffic) { traffic_ = traffic; }
  metrics::traffic* traffic() const { return traffic_; }

 private:
  struct local_sessions {
    boost::asio::any_io_executor executor;
    std::unordered_map<user_id, std::vector<std::weak_ptr<session>>> by_user;
  };
  std::size_t thread_of(session const& s) const;
  void deliver_here(local_sessions& here, envelope const& e) const;

  std::vector<local_sessions> threads_;
  user_threads where_;
  std::atomic<std::size_t> count_{0};
  metrics::traffic* traffic_ = nullptr;
};

}  // namespace windi::ws
