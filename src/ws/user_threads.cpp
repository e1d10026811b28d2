#include "ws/user_threads.hpp"

#include <algorithm>

namespace windi::ws {

void user_threads::add(user_id user, std::size_t thread) {
  std::lock_guard guard(lock_);
  auto& places = where_[user];
  auto found =
      std::find_if(places.begin(), places.end(), [&](sessions_on const& p) { return p.thread == thread; });
  if (found != places.end()) {
    ++found->count;
  } else {
    places.push_back({static_cast<std::uint32_t>(thread), 1});
  }
}

void user_threads::remove(user_id user, std::size_t thread, std::size_t sessions) {
  if (sessions == 0) return;
  std::lock_guard guard(lock_);
  auto it = where_.find(user);
  if (it == where_.end()) return;
  auto& places = it->second;
  auto found =
      std::find_if(places.begin(), places.end(), [&](sessions_on const& p) { return p.thread == thread; });
  if (found == places.end()) return;
  if (found->count > sessions) {
    found->count -= static_cast<std::uint32_t>(sessions);
    return;
  }
  places.erase(found);
  if (places.empty()) where_.erase(it);
}

std::vector<bool> user_threads::holding_any(std::vector<user_id> const& users) const {
  std::vector<bool> holding(threads_, false);
  std::size_t found = 0;
  std::lock_guard guard(lock_);
  for (user_id user : users) {
    auto it = where_.find(user);
    if (it == where_.end()) continue;
    for (auto const& p : it->second) {
      if (p.thread < threads_ && !holding[p.thread]) {
        holding[p.thread] = true;
        // Every thread is needed already: the rest of a large audience changes nothing.
        if (++found == threads_) return holding;
      }
    }
  }
  return holding;
}

}  // namespace windi::ws
