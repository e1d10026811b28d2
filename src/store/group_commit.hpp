#pragma once
// Group commit as one decorator over any store: sends that arrive while a batch commits wait and go together
// in the next store::append_messages call, so a burst costs one transaction (one fsync, one round trip)
// instead of one per message, while a lone send still goes out at once. Every other call passes through.
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
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

}  // namespace windi
