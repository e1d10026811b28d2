#pragma once
// This process's own connections per user. The local bus's whole presence, and the Redis bus's fallback
// while Redis is unreachable and its list of connections to keep alive in Redis.
#include "core/types.hpp"

#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace windi {

class local_presence {
 public:
  struct removal {
    bool was_present = false;  // the connection was known here
    bool now_offline = false;  // the user has no connection left here
  };

  // True when this is the user's first connection here.
  bool add(user_id user, std::string const& connection_id);
  removal remove(user_id user, std::string const& connection_id);
  std::vector<user_id> online_among(std::vector<user_id> const& users) const;
  // Every (user, connection ids) pair, to refresh them in Redis.
  std::vector<std::pair<user_id, std::vector<std::string>>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<user_id, std::unordered_set<std::string>> connections_;
};

}  // namespace windi
