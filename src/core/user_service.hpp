#pragma once
#include "store/store.hpp"

#include <string>
#include <vector>

namespace windi {

// Looking people up: one's own profile, another's public profile, and a name search to start a chat.
class user_service {
 public:
  explicit user_service(store& db) : db_(db) {}
  task<outcome<user>> get(user_id id);
  // Case-insensitive username prefix; the caller is left out. limit in [1, 50].
  task<outcome<std::vector<user>>> search(user_id me, std::string prefix, int limit);

 private:
  store& db_;
};

}  // namespace windi
