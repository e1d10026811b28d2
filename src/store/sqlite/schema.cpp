#include "store/migrations.hpp"
#include "store/sqlite/operations.hpp"

#include "core/username_key.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>
#include <vector>

namespace windi::sqlite {

outcome<int> migrate(connection& db, micros now) {
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  int applied = 0;
  for (migration const& m : migrations_for("sqlite")) {
    // Re-checked under the write lock, so a concurrent migrator in another process is waited for and then
    // its work is seen as done instead of being applied twice.
    transaction tx(db, transaction::mode::write);
    if (db.query("SELECT 1 FROM schema_migrations WHERE version = ?1", m.version).step()) continue;
    db.exec(std::string(m.sql));
    db.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)", m.version,
             m.name, now)
        .run();
    tx.commit();
    ++applied;
  }
  fill_username_keys(db);
  return applied;
}

void fill_username_keys(connection& db) {
  transaction tx(db, transaction::mode::write);
  std::vector<std::pair<user_id, std::string>> missing;
  for (auto s = db.query("SELECT id, username FROM users WHERE username_key IS NULL ORDER BY id");
       s.step();) {
    missing.emplace_back(s.int64(0), s.text(1));
  }
  for (auto const& [id, username] : missing) {
    auto const key = username_key(username);
    // Two look-alikes registered before keys existed: the older one keeps the key, the newer stays without.
    if (auto taken = db.query("SELECT id FROM users WHERE username_key = ?1", key); taken.step()) {
      spdlog::warn("username '{}' (user {}) looks like the username of user {}; both stay", username, id,
                   taken.int64(0));
      continue;
    }
    db.query("UPDATE users SET username_key = ?2 WHERE id = ?1", id, key).run();
  }
  tx.commit();
}

}  // namespace windi::sqlite
