#include "store/postgres/postgres_store.hpp"

#include "store/migrations.hpp"
#include "store/open_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include "core/username_key.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <set>

namespace windi {

std::unique_ptr<store> make_postgres_store(std::string conninfo, int pool_size,
                                           boost::asio::any_io_executor io) {
  return std::make_unique<pg::postgres_store>(std::move(conninfo), pool_size, std::move(io));
}

}  // namespace windi

namespace windi::pg {
namespace {

// Serializes concurrent migrate() calls across processes: an arbitrary key, ours by convention ("windi").
constexpr char const* lock_sql = "SELECT pg_advisory_lock(2003464557673)";
constexpr char const* unlock_sql = "SELECT pg_advisory_unlock(2003464557673)";
// Migrations may wait for another process's migrations (the lock) and rewrite tables.
constexpr auto migrate_budget = std::chrono::minutes(5);
// Health must answer quickly even when the server is unreachable.
constexpr auto health_budget = std::chrono::seconds(2);

micros system_now() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char ch : text) {
    if (ch == '\'') out += '\'';
    out += ch;
  }
  return out + "'";
}

// The first failed result of a simple-protocol run, as a failure; empty when all succeeded.
std::optional<failure> first_error(std::vector<result> const& results, std::string_view what) {
  for (auto const& r : results) {
    if (!r.ok()) return sql_failure(r, what);
  }
  return std::nullopt;
}

// Applies the migrations not yet recorded, each with its record in one transaction. The caller holds the
// lock.
task<outcome<int>> apply_pending(connection& conn, clock::time_point deadline) {
  auto table = co_await conn.execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at BIGINT NOT NULL)",
      deadline);
  if (!table) co_return table.error();
  if (auto error = first_error(*table, "migrate: schema_migrations")) co_return *error;

  auto versions = co_await conn.execute("SELECT version FROM schema_migrations", deadline);
  if (!versions) co_return versions.error();
  if (auto error = first_error(*versions, "migrate: schema_migrations")) co_return *error;
  std::set<std::int64_t> done;
  for (auto const& r : *versions) {
    for (int row = 0; row < r.rows(); ++row) done.insert(r.int64(row, 0));
  }

  int applied = 0;
  for (auto const& m : migrations_for("postgres")) {
    if (m.sql.empty() || done.contains(m.version)) continue;
    // The simple protocol runs the whole text, plpgsql $$ bodies included; an error skips the rest.
    std::string text = "BEGIN;\n" + std::string(m.sql) +
                       "\n;\nINSERT INTO schema_migrations (version, name, applied_at) VALUES (" +
                       std::to_string(m.version) + ", " + quote_literal(m.name) + ", " +
                       std::to_string(system_now()) + ");\nCOMMIT;";
    auto results = co_await conn.execute(std::move(text), deadline);
    if (!results) co_return results.error();
    std::string what = "migration " + std::to_string(m.version) + " " + std::string(m.name);
    if (auto error = first_error(*results, what)) co_return *error;
    ++applied;
  }
  co_return applied;
}

constexpr statement users_without_key_sql{
    "users_without_key", "SELECT id, username FROM users WHERE username_key IS NULL ORDER BY id"};
// A key that is taken already is left alone: of two look-alikes registered before keys existed, the older one
// keeps it.
constexpr statement set_username_key_sql{"set_username_key", R"sql(
  UPDATE users SET username_key = $2
   WHERE id = $1 AND username_key IS NULL
     AND NOT EXISTS (SELECT 1 FROM users WHERE username_key = $2)
  RETURNING id)sql"};

// Gives every user without a username key (registered before keys existed) its key. The caller holds the
// lock.
task<outcome<void>> fill_username_keys(connection& conn, clock::time_point deadline) {
  auto missing = co_await conn.query(users_without_key_sql, params(), deadline);
  if (!missing) co_return missing.error();
  if (!missing->ok()) co_return sql_failure(*missing, "migrate: users without a username key");
  for (int row = 0; row < missing->rows(); ++row) {
    auto const id = missing->int64(row, 0);
    auto const username = missing->text(row, 1);
    auto set = co_await conn.query(set_username_key_sql, params(id, username_key(username)), deadline);
    if (!set) co_return set.error();
    // 23505: a look-alike registered by another process just now took the key.
    if (!set->ok() && set->sqlstate() != "23505") co_return sql_failure(*set, "migrate: set a username key");
    if (!set->ok() || set->rows() == 0) {
      spdlog::warn("username '{}' (user {}) looks like another user's username; both stay", username, id);
    }
  }
  co_return outcome<void>{};
}

}  // namespace

postgres_store::postgres_store(std::string conninfo, int pool_size, boost::asio::any_io_executor io)
    : pool_(std::move(conninfo), pool_size, io) {}

task<outcome<postgres_store::call>> postgres_store::begin(clock::duration budget) {
  auto deadline = clock::now() + budget;
  auto conn = co_await pool_.acquire(deadline);
  if (!conn) co_return conn.error();
  co_return call{std::move(*conn), deadline};
}

task<outcome<result>> postgres_store::query_raw(call& c, statement const& stmt, params args) {
  co_return co_await c.conn->query(stmt, args, c.deadline);
}

task<outcome<result>> postgres_store::query(call& c, statement const& stmt, params args,
                                            std::string_view what) {
  auto r = co_await c.conn->query(stmt, args, c.deadline);
  if (!r) co_return r.error();
  if (!r->ok()) co_return sql_failure(*r, what);
  co_return std::move(*r);
}

task<outcome<chat>> postgres_store::load_chat(call& c, chat_id id) {
  auto r = co_await query(c, sql::get_chat, params(id), "get_chat");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "Chat not found");
  co_return read_chat_with_members(*r);
}

task<outcome<int>> postgres_store::migrate() {
  auto c = co_await begin(migrate_budget);
  if (!c) co_return c.error();
  connection& conn = *c->conn;
  auto locked = co_await conn.execute(lock_sql, c->deadline);
  if (!locked) co_return locked.error();
  if (auto error = first_error(*locked, "migrate: lock")) co_return *error;

  auto applied = co_await apply_pending(conn, c->deadline);
  if (applied) {
    auto filled = co_await fill_username_keys(conn, c->deadline);
    if (!filled) applied = filled.error();
  }
  // Leave the connection as it was found: no open transaction, no session lock. (A broken connection is
  // dropped by the pool instead, and the server releases both with its session.)
  if (!applied) (void)co_await conn.execute("ROLLBACK", c->deadline);
  auto unlocked = co_await conn.execute(unlock_sql, c->deadline);
  if (!applied) co_return applied.error();
  if (!unlocked) co_return unlocked.error();
  if (auto error = first_error(*unlocked, "migrate: unlock")) co_return *error;
  co_return applied;
}

task<store_health> postgres_store::health() {
  store_health h{"postgresql", false, {}};
  auto c = co_await begin(health_budget);
  if (!c) {
    h.detail = c.error().detail;
    co_return h;
  }
  auto r = co_await c->conn->query(sql::ping, params(), c->deadline);
  if (!r) {
    h.detail = r.error().detail;
  } else if (!r->ok()) {
    h.detail = r->message();
  } else {
    h.ok = true;
  }
  co_return h;
}

}  // namespace windi::pg
