-- Initial schema. Times are microseconds since the Unix epoch (UTC); ids are rowid aliases.
-- Kept column-for-column equal to migrations/postgres/0001_init.sql so both stores honour one contract.

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL,
  email         TEXT    NOT NULL,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
);
-- Uniqueness is case-insensitive while usernames are stored as given; these also serve the exact-match
-- login lookup and the prefix search (both filter on lower(username) first).
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE chats (
  id               INTEGER PRIMARY KEY,
  kind             TEXT    NOT NULL CHECK (kind IN ('private', 'group')),
  name             TEXT    NOT NULL DEFAULT '',
  created_by       INTEGER NOT NULL REFERENCES users (id),
  created_at       INTEGER NOT NULL,
  last_seq         INTEGER NOT NULL DEFAULT 0,
  last_activity_at INTEGER NOT NULL,
  -- "<min user id>:<max user id>" for private chats, NULL for groups: one private chat per pair.
  private_key      TEXT    UNIQUE
);

CREATE TABLE chat_members (
  chat_id       INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  user_id       INTEGER NOT NULL REFERENCES users (id),
  role          TEXT    NOT NULL CHECK (role IN ('member', 'admin')),
  joined_at     INTEGER NOT NULL,
  last_read_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id);

CREATE TABLE messages (
  id                INTEGER PRIMARY KEY,
  chat_id           INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  sender_id         INTEGER NOT NULL REFERENCES users (id),
  text              TEXT    NOT NULL,
  client_message_id TEXT,
  created_at        INTEGER NOT NULL,
  -- Drives history paging and the last-message lookup at any depth.
  UNIQUE (chat_id, seq),
  -- Resend deduplication; NULLs are distinct, so messages without a client id never collide.
  UNIQUE (sender_id, client_message_id)
);
