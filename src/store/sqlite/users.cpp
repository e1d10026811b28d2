#include "store/sqlite/operations.hpp"

#include "core/username_key.hpp"

namespace windi::sqlite {
namespace {

user read_user(statement const& s) {
  return user{.id = s.int64(0), .username = s.text(1), .email = s.text(2), .created_at = s.int64(3)};
}

}  // namespace

outcome<user> create_user(connection& db, new_user const& u) {
  transaction tx(db, transaction::mode::write);
  // Checked under the write lock, so the unique indexes never fire and the caller gets a precise detail.
  if (db.query("SELECT 1 FROM users WHERE lower(username) = lower(?1)", u.username).step()) {
    return fail(errc::conflict, "Username already registered", "username");
  }
  auto const key = username_key(u.username);
  if (db.query("SELECT 1 FROM users WHERE username_key = ?1", key).step()) {
    return fail(errc::conflict, username_lookalike_detail, "username");
  }
  if (db.query("SELECT 1 FROM users WHERE lower(email) = lower(?1)", u.email).step()) {
    return fail(errc::conflict, "Email already registered", "email");
  }
  db.query(
        "INSERT INTO users (username, email, password_hash, created_at, username_key) VALUES (?1, ?2, ?3, "
        "?4, ?5)",
        u.username, u.email, u.password_hash, u.created_at, key)
      .run();
  user created{
      .id = db.last_insert_rowid(), .username = u.username, .email = u.email, .created_at = u.created_at};
  tx.commit();
  return created;
}

outcome<user_credentials> find_credentials(connection& db, std::string const& username) {
  // The lower() term selects through the case-insensitive unique index; the second term makes the match
  // exact. Its unary + stops SQLite from propagating that constant into lower(username), which would turn
  // the lookup into a full scan.
  auto s = db.query(
      "SELECT id, username, email, created_at, password_hash, token_generation FROM users "
      "WHERE lower(username) = lower(?1) AND +username = ?1",
      username);
  if (!s.step()) return fail(errc::not_found, "User not found");
  return user_credentials{
      .account = read_user(s), .password_hash = s.text(4), .token_generation = s.int64(5)};
}

outcome<user> get_user(connection& db, user_id id) {
  auto s = db.query("SELECT id, username, email, created_at FROM users WHERE id = ?1", id);
  if (!s.step()) return fail(errc::not_found, "User not found");
  return read_user(s);
}

outcome<std::vector<user>> search_users(connection& db, std::string const& prefix, user_id except,
                                        int limit) {
  // A byte range on the lower(username) index instead of LIKE: the prefix is matched literally (no wildcard
  // escaping to get wrong) and the scan is bounded. 0xFF never occurs in UTF-8, so every string with the
  // prefix sorts below prefix || 0xFF.
  auto s = db.query(
      "SELECT id, username, email, created_at FROM users "
      "WHERE lower(username) >= lower(?1) AND lower(username) < lower(?1) || CAST(x'FF' AS TEXT) AND id <> "
      "?2 "
      "ORDER BY username, id LIMIT ?3",
      prefix, except, limit);
  std::vector<user> found;
  while (s.step()) found.push_back(read_user(s));
  return found;
}

outcome<credential_state> get_credential_state(connection& db, user_id user, micros now) {
  transaction tx(db, transaction::mode::read);  // the generation and the revocations from one snapshot
  credential_state state;
  {
    auto row = db.query("SELECT token_generation FROM users WHERE id = ?1", user);
    if (!row.step()) return fail(errc::not_found, "User not found");
    state.token_generation = row.int64(0);
  }
  {
    auto revoked =
        db.query("SELECT token_id FROM revoked_tokens WHERE user_id = ?1 AND expires_at > ?2", user, now);
    while (revoked.step()) state.revoked_token_ids.push_back(revoked.text(0));
  }
  tx.commit();
  return state;
}

outcome<void> revoke_token(connection& db, user_id user, std::string const& token_id, micros expires_at,
                           micros now) {
  transaction tx(db, transaction::mode::write);
  if (!db.query("SELECT 1 FROM users WHERE id = ?1", user).step())
    return fail(errc::not_found, "User not found");
  // An expired token is refused by its signature check alone; its revocation is no longer needed.
  db.query("DELETE FROM revoked_tokens WHERE expires_at <= ?1", now).run();
  db.query("INSERT OR IGNORE INTO revoked_tokens (token_id, user_id, expires_at) VALUES (?1, ?2, ?3)",
           token_id, user, expires_at)
      .run();
  tx.commit();
  return {};
}

outcome<std::int64_t> set_password(connection& db, user_id user, std::string const& password_hash) {
  transaction tx(db, transaction::mode::write);
  std::int64_t generation = 0;
  {
    auto row = db.query(
        "UPDATE users SET password_hash = ?2, token_generation = token_generation + 1 WHERE id = ?1 "
        "RETURNING token_generation",
        user, password_hash);
    if (!row.step()) return fail(errc::not_found, "User not found");
    generation = row.int64(0);
    row.run();  // RETURNING: the update completes when the statement is stepped to its end
  }
  tx.commit();
  return generation;
}

}  // namespace windi::sqlite
