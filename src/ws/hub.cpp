#include "ws/hub.hpp"

#include "ws/session.hpp"

#include <algorithm>

namespace windi::ws {

void hub::add(user_id user, std::shared_ptr<session> const& s) {
  std::lock_guard lock(mutex_);
  by_user_[user].push_back(s);
}

void hub::remove(user_id user, session const* s) {
  std::lock_guard lock(mutex_);
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return;
  std::erase_if(it->second, [s](std::weak_ptr<session> const& w) {
    auto p = w.lock();
    return !p || p.get() == s;
  });
  if (it->second.empty()) by_user_.erase(it);
}

void hub::deliver(envelope const& e) {
  std::vector<std::shared_ptr<session>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto user : e.recipients) {
      auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      for (auto const& w : it->second) {
        if (auto s = w.lock()) targets.push_back(std::move(s));
      }
    }
  }
  // Outside the lock: each push only posts onto the session's own strand.
  for (auto const& s : targets) s->deliver(e.frame);
}

std::size_t hub::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto const& [user, sessions] : by_user_) n += sessions.size();
  return n;
}

std::vector<std::shared_ptr<session>> hub::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<session>> out;
  for (auto const& [user, sessions] : by_user_) {
    for (auto const& w : sessions) {
      if (auto s = w.lock()) out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace windi::ws
