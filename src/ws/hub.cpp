#include "ws/hub.hpp"

#include "ws/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <stdexcept>

namespace windi::ws {

namespace asio = boost::asio;

namespace {

// Every live session of one thread's map.
template <class SessionsByUser, class F>
void each_session(SessionsByUser const& by_user, F const& f) {
  for (auto const& [user, sessions] : by_user) {
    for (auto const& w : sessions) {
      if (auto s = w.lock()) f(*s);
    }
  }
}

}  // namespace

hub::hub(std::vector<asio::any_io_executor> threads) : where_(threads.size()) {
  for (auto& executor : threads) threads_.push_back({std::move(executor), {}});
}

std::size_t hub::thread_of(session const& s) const {
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (threads_[i].executor == s.executor()) return i;
  }
  throw std::logic_error("hub: a session runs on an executor that is not one of the I/O threads");
}

void hub::add(user_id user, std::shared_ptr<session> const& s) {
  auto const thread = thread_of(*s);
  threads_[thread].by_user[user].push_back(s);
  where_.add(user, thread);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void hub::remove(user_id user, session const* s) {
  auto const thread = thread_of(*s);
  auto& by_user = threads_[thread].by_user;
  auto it = by_user.find(user);
  if (it == by_user.end()) return;
  auto removed = std::erase_if(it->second, [s](std::weak_ptr<session> const& w) {
    auto p = w.lock();
    return !p || p.get() == s;
  });
  if (it->second.empty()) by_user.erase(it);
  where_.remove(user, thread, removed);
  count_.fetch_sub(removed, std::memory_order_relaxed);
}

void hub::deliver(envelope e) {
  auto shared = std::make_shared<envelope const>(std::move(e));
  // A resync notice is for every session, and one thread has nothing to choose from; anything else goes to
  // its audience's threads only.
  bool const everywhere = shared->kind == event_kind::events_missed || threads_.size() == 1;
  std::vector<bool> const holding =
      everywhere ? std::vector<bool>(threads_.size(), true) : where_.holding_any(shared->audience);
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (!holding[i]) continue;
    auto& here = threads_[i];
    // Inline for the caller's own thread, one post for each other one.
    asio::dispatch(here.executor, [this, &here, shared] { deliver_here(here, *shared); });
  }
}

void hub::deliver_here(local_sessions& here, envelope const& e) const {
  if (e.kind == event_kind::events_missed) {
    each_session(here.by_user, [&e](session& s) { s.deliver(e); });
    return;
  }
  std::uint64_t handed = 0;
  for (auto user : e.audience) {
    auto it = here.by_user.find(user);
    if (it == here.by_user.end()) continue;
    for (auto const& w : it->second) {
      if (auto s = w.lock()) {
        s->deliver(e);
        ++handed;
      }
    }
  }
  // Once per envelope and thread, not per recipient.
  if (traffic_ && handed > 0 && e.frame) traffic_->deliveries.inc(handed);
}

void hub::shutdown_all() {
  for (auto& here : threads_) {
    asio::post(here.executor, [&here] { each_session(here.by_user, [](session& s) { s.shutdown(); }); });
  }
}

}  // namespace windi::ws
