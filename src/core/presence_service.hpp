#pragma once
#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "store/store.hpp"

#include <string>

namespace windi {

// Online status: a user is online while at least one connection is open on any server process. The change is
// announced (user_status) to everyone who shares a chat with the user, when the first connection opens and
// when the last one closes.
class presence_service {
 public:
  presence_service(store& db, bus& events, clock const& clock) : db_(db), events_(events), clock_(clock) {}
  task<void> connected(user_id user, std::string const& username, std::string const& connection_id);
  task<void> disconnected(user_id user, std::string const& username, std::string const& connection_id);
  // Users the bus found offline after the process holding their last connections was lost.
  task<void> gone_offline(std::vector<user_id> users);
  // Of these users, those online now.
  task<std::vector<user_id>> online_among(std::vector<user_id> users);

 private:
  task<void> announce(user_id user, std::string const& username, bool online);

  store& db_;
  bus& events_;
  clock const& clock_;
};

}  // namespace windi
