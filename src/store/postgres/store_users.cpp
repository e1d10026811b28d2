#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include <algorithm>

namespace windi::pg {

task<outcome<user>> postgres_store::create_user(new_user u) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r =
      co_await query_raw(*c, sql::create_user, params(u.username, u.email, u.password_hash, u.created_at));
  if (!r) co_return r.error();
  if (!r->ok()) {
    // The unique indexes are named in the migration; their names tell which field collided.
    if (r->sqlstate() == "23505") {
      std::string constraint = r->constraint();
      if (constraint == "users_username_key") co_return fail(errc::conflict, "Username already registered");
      if (constraint == "users_email_key") co_return fail(errc::conflict, "Email already registered");
    }
    co_return sql_failure(*r, "create_user");
  }
  co_return user{r->int64(0, 0), std::move(u.username), std::move(u.email), u.created_at};
}

task<outcome<user_credentials>> postgres_store::find_credentials(std::string username) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::find_credentials, params(std::move(username)), "find_credentials");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "User not found");
  co_return user_credentials{read_user(*r, 0), r->text(0, 4)};
}

task<outcome<user>> postgres_store::get_user(user_id id) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::get_user, params(id), "get_user");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "User not found");
  co_return read_user(*r, 0);
}

task<outcome<std::vector<user>>> postgres_store::search_users(std::string prefix, user_id except, int limit) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::search_users, params(std::move(prefix), except, std::max(limit, 0)),
                          "search_users");
  if (!r) co_return r.error();
  std::vector<user> found;
  found.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) found.push_back(read_user(*r, row));
  co_return found;
}

}  // namespace windi::pg
