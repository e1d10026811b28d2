-- Token revocation. A token carries its user's token generation when issued: a password change raises the
-- generation, so every earlier token stops counting. A signed-out token is kept here by its id until it
-- would have expired anyway. Kept column-for-column equal to migrations/postgres/0005_credentials.sql.

ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;

CREATE TABLE revoked_tokens (
  token_id   TEXT    PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_user ON revoked_tokens (user_id, expires_at);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
