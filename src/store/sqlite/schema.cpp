#include "store/migrations.hpp"
#include "store/sqlite/operations.hpp"

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
  return applied;
}

}  // namespace windi::sqlite
