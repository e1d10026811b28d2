#pragma once
// Group commit as one decorator over any store: sends that arrive while a batch commits wait and go together
// in the next store::append_messages call, so a burst costs one transaction (one fsync, one round trip)
// instead of one per message, while a lone send still goes out at once. Every other call passes through.
#include "metrics/registry.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace windi {

struct group_commit_options {
  // Chats are split into this many shards, each committing one batch at a time: batches over the same chats
  // would only queue on each other's row locks, while different shards commit side by side.
  int shards = 1;
  std::size_t max_batch = 256;
};

// Batches are driven from inner->commit_executor(), or from `io` when the store names none.
std::unique_ptr<store> with_group_commit(std::unique_ptr<store> inner, boost::asio::any_io_executor io,
                                         group_commit_options options);

// What the decorator counts as it goes; the application registers these with its metrics.
struct group_commit_stats {
  metrics::counter messages_stored;  // new messages committed (a resend that matched an earlier one is not)
  metrics::counter append_failures;  // appends answered with an error
  metrics::histogram batch_size{metrics::exponential_buckets(1, 2, 9)};  // messages per transaction: 1..256
  metrics::histogram commit_seconds{metrics::duration_buckets()};        // per transaction
  metrics::histogram history_seconds{metrics::duration_buckets()};       // per history page
  // Appends taken and not answered yet (waiting for a batch or committing): a drain waits for 0.
  std::atomic<std::int64_t> pending{0};
};

// The stats of a store made by with_group_commit; null for any other store.
group_commit_stats* group_commit_stats_of(store& s);

}  // namespace windi
