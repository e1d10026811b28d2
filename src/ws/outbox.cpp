#include "ws/outbox.hpp"

namespace windi::ws {

bool outbox::replace_presence(user_id user, frame_ptr frame) {
  auto found = presence_at_.find(user);
  if (found == presence_at_.end()) return false;
  auto& slot = waiting_[found->second - popped_];
  bytes_ = bytes_ - slot.frame->size() + frame->size();
  slot.frame = std::move(frame);
  return true;
}

void outbox::push(frame_ptr frame, user_id presence_of) {
  bytes_ += frame->size();
  if (presence_of != 0) presence_at_[presence_of] = popped_ + waiting_.size();
  waiting_.push_back({std::move(frame), presence_of});
}

void outbox::pop_front() {
  auto const& first = waiting_.front();
  if (first.presence_of != 0) {
    auto found = presence_at_.find(first.presence_of);
    if (found != presence_at_.end() && found->second == popped_) presence_at_.erase(found);
  }
  bytes_ -= first.frame->size();
  waiting_.pop_front();
  ++popped_;
}

void outbox::clear() {
  popped_ += waiting_.size();
  waiting_.clear();
  presence_at_.clear();
  bytes_ = 0;
}

}  // namespace windi::ws
