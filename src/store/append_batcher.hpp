#pragma once
// Group commit for message appends. Sends that arrive while a batch is being committed wait and go together
// in the next one, so a burst costs one transaction (one fsync, one round trip) instead of one per message,
// while a lone send still goes out at once. Each caller gets its own result, exactly as from a single append.
#include "core/error.hpp"
#include "core/types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace windi {

class append_batcher {
 public:
  // Appends `batch` in one transaction; one outcome per message, in order. A failure of one message must not
  // undo the others.
  using commit_fn =
      std::function<boost::asio::awaitable<std::vector<outcome<appended_message>>>(std::vector<new_message>)>;

  // At most `max_batch` messages per transaction and `max_in_flight` transactions at once.
  append_batcher(boost::asio::any_io_executor io, commit_fn commit, std::size_t max_batch, int max_in_flight);

  boost::asio::awaitable<outcome<appended_message>> append(new_message m);

 private:
  // The caller's completion handler, type-erased. Not asio::any_completion_handler: in Boost 1.81 its greedy
  // converting constructor makes a vector of them copy (and double-free) on growth.
  struct completion {
    virtual ~completion() = default;
    virtual void complete(outcome<appended_message> result) = 0;
  };
  template <class Handler>
  struct completion_for final : completion {
    explicit completion_for(Handler h) : handler(std::move(h)) {}
    void complete(outcome<appended_message> result) override { std::move(handler)(std::move(result)); }
    Handler handler;
  };
  struct waiting {
    new_message message;
    std::unique_ptr<completion> done;
    boost::asio::any_io_executor home;  // the caller's executor (its strand), where it resumes
  };

  void enqueue(waiting w);
  // Takes the next batch off the queue; none (and one drain fewer in flight) when it is empty.
  std::vector<waiting> next_batch();
  boost::asio::awaitable<void> drain();

  boost::asio::any_io_executor io_;
  commit_fn commit_;
  std::size_t max_batch_;
  int max_in_flight_;
  std::mutex mutex_;
  std::vector<waiting> queue_;  // guarded by mutex_
  int in_flight_ = 0;           // guarded by mutex_
};

}  // namespace windi
