#include "core/membership.hpp"

namespace windi {

int read_by_count(chat const& c, message const& m) {
  int count = 0;
  for (auto const& member : c.members) {
    if (member.id != m.sender_id && member.last_read_seq >= m.seq) ++count;
  }
  return count;
}

std::vector<user_id> member_ids(chat const& c, user_id except) {
  std::vector<user_id> ids;
  ids.reserve(c.members.size());
  for (auto const& m : c.members) {
    if (m.id != except) ids.push_back(m.id);
  }
  return ids;
}

}  // namespace windi
