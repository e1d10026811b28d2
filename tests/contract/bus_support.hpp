#pragma once
// Helpers for the bus contract tests: an io_context run by background threads (as in the server), an
// inbox that collects deliveries, and a private redis-server that a test may stop and restart.
#include "bus/bus.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <sys/types.h>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace windi::testing {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// Two threads, like a server's I/O pool, so that the buses' thread safety is exercised.
class io_runner {
 public:
  explicit io_runner(int threads = 2);
  ~io_runner();
  boost::asio::any_io_executor executor() { return io_.get_executor(); }
  boost::asio::io_context& context() { return io_; }
  // Lets the threads finish once nothing is left to do; false when work remained after `limit` (a bus that
  // does not let go after stop()).
  bool finish(steady::duration limit = 5s);

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  int running_ = 0;
};

// Runs an awaitable on the runner's threads and waits for it with a deadline.
template <class T>
T await_on(io_runner& runner, boost::asio::awaitable<T> work, steady::duration limit = 5s) {
  auto future = boost::asio::co_spawn(runner.context(), std::move(work), boost::asio::use_future);
  if (future.wait_for(limit) != std::future_status::ready)
    throw std::runtime_error("await_on: deadline passed");
  return future.get();
}

class inbox {
 public:
  std::function<void(envelope)> sink();
  // True once at least `n` envelopes arrived within `limit`.
  bool wait_for(std::size_t n, steady::duration limit = 5s);
  // True once an envelope with this frame arrived within `limit`.
  bool wait_for_frame(std::string const& frame, steady::duration limit = 5s);
  std::size_t count(std::string const& frame);
  std::size_t count(event_kind kind);
  std::vector<envelope> all();

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<envelope> items_;
};

// Polls `condition` every 20 ms until it holds or `limit` passes.
bool eventually(std::function<bool()> const& condition, steady::duration limit = 5s);

envelope make_envelope(std::vector<user_id> recipients, std::string frame);

// A redis-server of our own on a free loopback port, to stop and restart without disturbing anyone else.
class redis_process {
 public:
  // `extra_args` go on redis-server's command line (say, cluster mode); in them "{port}" is replaced by
  // the node's port and an argument "{free_port}" by another free port.
  explicit redis_process(std::vector<std::string> extra_args = {});
  ~redis_process();
  void start();
  void stop();
  // SIGSTOP / SIGCONT: the port stays open but nothing answers, like a hung server.
  void freeze();
  void thaw();
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }

 private:
  // Starts redis-server with args_ and waits until it answers; false if it exited first.
  bool launch();

  std::vector<std::string> extra_args_;
  std::vector<std::string> args_;  // the command line of the last start, kept for a restart
  std::string output_;             // what the last failed start printed
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace windi::testing
