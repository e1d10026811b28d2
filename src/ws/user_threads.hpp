#pragma once
// Which I/O threads hold sessions of which users, readable from any thread. The hub hands an event only to
// the threads that hold one of its recipients: a private message on a process with a thread per core wakes
// the one or two threads of its members, not every core. Each thread keeps its own sessions; this index only
// says where to look, so it may lag by a moment: a session registered while an event is being handed out
// can miss it only if the event was committed before the session followed its chats, and the client's sync
// after `connected` carries it then.
#include "core/types.hpp"

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace windi::ws {

class user_threads {
 public:
  explicit user_threads(std::size_t threads) : threads_(threads) {}

  void add(user_id user, std::size_t thread);
  // `sessions` of the user left that thread.
  void remove(user_id user, std::size_t thread, std::size_t sessions = 1);
  // For each thread, whether it holds a session of any of `users`.
  std::vector<bool> holding_any(std::vector<user_id> const& users) const;

 private:
  struct sessions_on {
    std::uint32_t thread;
    std::uint32_t count;
  };
  std::size_t const threads_;
  mutable std::mutex lock_;
  std::unordered_map<user_id, std::vector<sessions_on>> where_;  // guarded by lock_
};

}  // namespace windi::ws
