#pragma once
// The frames waiting to be written to one connection, in order. A user's presence frame that finds an
// earlier presence frame of the same user still waiting takes its place: a client behind its socket needs
// each user's latest state, not every flip of a user who reconnects faster than the client reads. Without
// this, one member reconnecting in a loop fills a reader's queue on a busy thread until it is closed as slow.
#include "api/events.hpp"
#include "core/types.hpp"

#include <cstdint>
#include <deque>
#include <unordered_map>

namespace windi::ws {

class outbox {
 public:
  bool empty() const { return waiting_.empty(); }
  std::size_t size() const { return waiting_.size(); }
  std::size_t bytes() const { return bytes_; }
  frame_ptr const& front() const { return waiting_.front().frame; }

  // Replaces the waiting presence frame of `user`, if there is one (the one on the wire, if it is the
  // front, is written all the same: the replacement follows it). False when none waits.
  bool replace_presence(user_id user, frame_ptr frame);
  // Queues a frame at the back; `presence_of` names the user whose presence it says, if it does.
  void push(frame_ptr frame, user_id presence_of = 0);
  void pop_front();
  void clear();
  // The frames waiting now are no longer replaced: a frame queued next says users' states as of a later
  // moment (a sync answer's online list), and a replacement ahead of it would then be overtaken by the older
  // state it carries.
  void seal() { presence_at_.clear(); }

 private:
  struct entry {
    frame_ptr frame;
    user_id presence_of = 0;
  };
  std::deque<entry> waiting_;
  std::size_t bytes_ = 0;
  // Entries ever popped: entries are numbered in push order, and number n sits at n - popped_.
  std::uint64_t popped_ = 0;
  std::unordered_map<user_id, std::uint64_t> presence_at_;  // user -> number of their waiting presence frame
};

}  // namespace windi::ws
