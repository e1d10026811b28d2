#pragma once
// Reads domain values from result rows laid out as the column lists in statements.hpp; `first` is the
// index of the first column of the group.
#include "core/types.hpp"
#include "store/postgres/result.hpp"

#include <string_view>
#include <vector>

namespace windi::pg {

user read_user(result const& r, int row, int first = 0);
// The columns of windi_message_view, then its reactions (a JSON array from windi_reactions, or NULL).
inline constexpr int message_columns = 17;
message read_message(result const& r, int row, int first = 0);
member read_member(result const& r, int row, int first = 0);
// The chat's own columns (as windi_chat_rows); members are read separately.
inline constexpr int chat_columns = 8;
chat read_chat(result const& r, int row, int first = 0);
// A chat from rows that each carry the chat's columns then one member's (NULL for a chat without members).
chat read_chat_with_members(result const& r, int first = 0);

// "{1,2,3}" -> {1, 2, 3}; NULL or "{}" -> {}.
std::vector<std::int64_t> read_id_array(std::string_view text);

member_role parse_role(std::string_view text);
std::string_view role_name(member_role role);

}  // namespace windi::pg
