#pragma once
// This process's open WebSocket sessions by user, so that an envelope from the bus reaches each of the
// recipients' local connections. One frame buffer is shared by every recipient.
#include "bus/bus.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace windi::ws {

class session;

class hub {
 public:
  void add(user_id user, std::shared_ptr<session> const& s);
  void remove(user_id user, session const* s);
  void deliver(envelope const& e);
  std::size_t size() const;
  // Every open session, for shutdown.
  std::vector<std::shared_ptr<session>> all() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<user_id, std::vector<std::weak_ptr<session>>> by_user_;
};

}  // namespace windi::ws
