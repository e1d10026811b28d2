-- Usernames people cannot tell apart ("alice", "aIice", "al1ce", "alice.") share a key (src/core/username_key.hpp),
-- and a key is taken once. The key is computed by the server (ICU), so rows from before this migration get theirs
-- when the server next migrates; until then they hold NULL, which the unique index ignores. Kept column-for-column
-- equal to migrations/sqlite/0004_username_keys.sql.

ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX users_username_lookalike_key ON users (username_key);
