#include "core/user_service.hpp"

namespace windi {

task<outcome<user>> user_service::get(user_id id) {
  auto found = co_await db_.get_user(id);
  if (!found && found.error().code == errc::not_found) co_return fail(errc::not_found, "User not found");
  co_return found;
}

task<outcome<std::vector<user>>> user_service::search(user_id me, std::string prefix, int limit) {
  if (limit < 1 || limit > 50) co_return fail(errc::validation, "limit must be between 1 and 50", "limit");
  if (prefix.size() > 64) co_return fail(errc::validation, "q must be at most 64 characters", "q");
  co_return co_await db_.search_users(std::move(prefix), me, limit);
}

}  // namespace windi
