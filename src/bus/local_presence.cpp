#include "bus/local_presence.hpp"

namespace windi {

bool local_presence::add(user_id user, std::string const& connection_id) {
  std::lock_guard lock(mutex_);
  auto& ids = connections_[user];
  bool const first = ids.empty();
  ids.insert(connection_id);
  return first;
}

local_presence::removal local_presence::remove(user_id user, std::string const& connection_id) {
  std::lock_guard lock(mutex_);
  auto found = connections_.find(user);
  if (found == connections_.end()) return {false, true};
  removal result;
  result.was_present = found->second.erase(connection_id) > 0;
  result.now_offline = found->second.empty();
  if (result.now_offline) connections_.erase(found);
  return result;
}

std::vector<user_id> local_presence::online_among(std::vector<user_id> const& users) const {
  std::lock_guard lock(mutex_);
  std::vector<user_id> online;
  for (user_id user : users) {
    if (connections_.contains(user)) online.push_back(user);
  }
  return online;
}

std::vector<std::pair<user_id, std::vector<std::string>>> local_presence::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<user_id, std::vector<std::string>>> all;
  all.reserve(connections_.size());
  for (auto const& [user, ids] : connections_)
    all.emplace_back(user, std::vector<std::string>(ids.begin(), ids.end()));
  return all;
}

}  // namespace windi
