#pragma once
// Reads domain values from result rows laid out as the column lists in statements.hpp; `first` is the
// index of the first column of the group.
#include "core/types.hpp"
#include "store/postgres/result.hpp"

#include <string_view>

namespace windi::pg {

user read_user(result const& r, int row, int first = 0);
message read_message(result const& r, int row, int first = 0);
member read_member(result const& r, int row, int first = 0);
// The chat's own columns; members are read separately.
chat read_chat(result const& r, int row, int first = 0);

member_role parse_role(std::string_view text);
std::string_view role_name(member_role role);

}  // namespace windi::pg
