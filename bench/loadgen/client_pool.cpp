#include "client_pool.hpp"

namespace windi::loadgen {

client_pool::client_pool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& io : contexts_) threads_.emplace_back([ctx = io.get()] { ctx->run(); });
}

client_pool::~client_pool() {
  guards_.clear();
  for (auto& io : contexts_) io->stop();
  for (auto& t : threads_) t.join();
}

void wait_all(std::vector<std::future<void>>& futures) {
  std::exception_ptr first;
  for (auto& f : futures) {
    try {
      f.get();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace windi::loadgen
