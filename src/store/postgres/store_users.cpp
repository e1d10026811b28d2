#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include "core/username_key.hpp"

#include <algorithm>

namespace windi::pg {
namespace {

// One row per unexpired revoked token (token_id NULL when there is none); no row when the user is unknown.
constexpr statement get_credential_state_sql{"get_credential_state", R"sql(
  SELECT u.token_generation, r.token_id FROM users u
    LEFT JOIN revoked_tokens r ON r.user_id = u.id AND r.expires_at > $2
   WHERE u.id = $1)sql"};

// Data-modifying CTEs run whether or not the final SELECT reads them; the SELECT says whether the user
// exists.
constexpr statement revoke_token_sql{"revoke_token", R"sql(
  WITH pruned AS (DELETE FROM revoked_tokens WHERE expires_at <= $4),
       added AS (INSERT INTO revoked_tokens (token_id, user_id, expires_at)
                 SELECT $2, id, $3 FROM users WHERE id = $1
                 ON CONFLICT (token_id) DO NOTHING)
  SELECT 1 FROM users WHERE id = $1)sql"};

constexpr statement set_password_sql{"set_password", R"sql(
  UPDATE users SET password_hash = $2, token_generation = token_generation + 1 WHERE id = $1
  RETURNING token_generation)sql"};

}  // namespace

task<outcome<user>> postgres_store::create_user(new_user u) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto key = username_key(u.username);
  auto r = co_await query_raw(*c, sql::create_user,
                              params(u.username, u.email, u.password_hash, u.created_at, std::move(key)));
  if (!r) co_return r.error();
  if (!r->ok()) {
    // The unique indexes are named in the migration; their names tell which field collided.
    if (r->sqlstate() == "23505") {
      std::string constraint = r->constraint();
      if (constraint == "users_username_key") co_return fail(errc::conflict, "Username already registered");
      if (constraint == "users_username_lookalike_key") {
        co_return fail(errc::conflict, username_lookalike_detail, "username");
      }
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
  co_return user_credentials{read_user(*r, 0), r->text(0, 4), r->int64(0, 5)};
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

task<outcome<credential_state>> postgres_store::get_credential_state(user_id user, micros now) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, get_credential_state_sql, params(user, now), "get_credential_state");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "User not found");
  credential_state state;
  state.token_generation = r->int64(0, 0);
  for (int row = 0; row < r->rows(); ++row) {
    if (auto id = r->optional_text(row, 1)) state.revoked_token_ids.push_back(std::move(*id));
  }
  co_return state;
}

task<outcome<void>> postgres_store::revoke_token(user_id user, std::string token_id, micros expires_at,
                                                 micros now) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, revoke_token_sql, params(user, std::move(token_id), expires_at, now),
                          "revoke_token");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "User not found");
  co_return outcome<void>{};
}

task<outcome<std::int64_t>> postgres_store::set_password(user_id user, std::string password_hash) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, set_password_sql, params(user, std::move(password_hash)), "set_password");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "User not found");
  co_return r->int64(0, 0);
}

}  // namespace windi::pg
