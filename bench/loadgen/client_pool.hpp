#pragma once
// The load generator's threads: each runs its own io_context, so every connection (and its coroutines) lives
// on exactly one thread and needs no locks; connections are spread over the threads round-robin.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace windi::loadgen {

class client_pool {
 public:
  explicit client_pool(int threads);
  ~client_pool();
  client_pool(client_pool const&) = delete;
  client_pool& operator=(client_pool const&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *contexts_[i % contexts_.size()]; }

  // Runs `task` on thread i (modulo the count); the future carries its result or exception.
  template <class T>
  std::future<T> spawn(std::size_t i, boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(at(i), std::move(task), boost::asio::use_future);
  }

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
};

// Waits for every future; rethrows the first failure after all have finished.
template <class T>
std::vector<T> wait_all(std::vector<std::future<T>>& futures) {
  std::vector<T> out;
  std::exception_ptr first;
  for (auto& f : futures) {
    try {
      out.push_back(f.get());
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
  return out;
}

void wait_all(std::vector<std::future<void>>& futures);

}  // namespace windi::loadgen
