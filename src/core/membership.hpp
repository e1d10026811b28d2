#pragma once
// Plain facts about a chat's members, shared by the services and the JSON views.
#include "core/types.hpp"

#include <vector>

namespace windi {

std::vector<user_id> member_ids(chat const& c, user_id except = 0);

// How many members other than the sender have read the message.
int read_by_count(chat const& c, message const& m);

}  // namespace windi
