#include "store/append_batcher.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <iterator>

namespace windi {

namespace asio = boost::asio;

append_batcher::append_batcher(asio::any_io_executor io, commit_fn commit, std::size_t max_batch,
                               int max_in_flight)
    : io_(std::move(io)), commit_(std::move(commit)), max_batch_(max_batch), max_in_flight_(max_in_flight) {}

asio::awaitable<outcome<appended_message>> append_batcher::append(new_message m) {
  auto initiate = [this](auto done, new_message message) {
    // Resumed on the caller's own executor (its strand), never on the thread that committed.
    asio::any_io_executor home = asio::get_associated_executor(done, io_);
    using handler_type = decltype(done);
    waiting w{std::move(message), std::make_unique<completion_for<handler_type>>(std::move(done)),
              std::move(home)};
    enqueue(std::move(w));
  };
  return asio::async_initiate<decltype(asio::use_awaitable), void(outcome<appended_message>)>(
      std::move(initiate), asio::use_awaitable, std::move(m));
}

void append_batcher::enqueue(waiting w) {
  bool start = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(w));
    if (in_flight_ < max_in_flight_) {
      ++in_flight_;
      start = true;
    }
  }
  if (start) asio::co_spawn(io_, drain(), asio::detached);
}

std::vector<append_batcher::waiting> append_batcher::next_batch() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) {
    --in_flight_;
    return {};
  }
  auto take = std::min(queue_.size(), max_batch_);
  std::vector<waiting> batch(std::make_move_iterator(queue_.begin()),
                             std::make_move_iterator(queue_.begin() + take));
  queue_.erase(queue_.begin(), queue_.begin() + take);
  return batch;
}

asio::awaitable<void> append_batcher::drain() {
  auto batch = next_batch();
  while (!batch.empty()) {
    std::vector<new_message> messages;
    messages.reserve(batch.size());
    for (auto& w : batch) messages.push_back(std::move(w.message));
    std::vector<outcome<appended_message>> results;
    try {
      results = co_await commit_(std::move(messages));
    } catch (std::exception const& e) {
      results.assign(batch.size(), fail(errc::internal, e.what()));
    }
    if (results.size() != batch.size())
      results.assign(batch.size(), fail(errc::internal, "append: lost results"));
    // The next batch is taken before these results go out: once the last caller has its result it may destroy
    // this batcher (its store), so after that nothing here touches it.
    auto next = next_batch();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto& done = batch[i].done;
      asio::post(batch[i].home, [done = std::move(done), result = std::move(results[i])]() mutable {
        done->complete(std::move(result));
      });
    }
    batch = std::move(next);
  }
}

}  // namespace windi
