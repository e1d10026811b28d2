#pragma once
// What a username looks like, for refusing names people cannot tell apart: two usernames with the same key
// are confusable ("alice", "aIice", "al1ce", "alice.", "a_lice"). The key is the Unicode TR 39 skeleton
// (ICU's spoof checker) of the name with case, the separators '.', '_' and '-' and the i/l difference taken
// out, so that it also catches the look-alikes that lowercase ASCII keeps apart.
#include <string>
#include <string_view>

namespace windi {

// The 409 detail for a username whose key is taken, from every store.
inline constexpr char const* username_lookalike_detail = "Username is too similar to an existing username";

// From any thread. Throws std::runtime_error when ICU's confusables data cannot be loaded.
std::string username_key(std::string_view username);

}  // namespace windi
