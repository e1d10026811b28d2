-- Uploaded files. The bytes live in blob storage (src/files/), named by their SHA-256; a row records who
-- uploaded them, under what name, and what the server found them to be. message_attachments says which
-- messages hold which files: who may fetch a file follows from it (members of a chat with such a message), and
-- a file no message holds is removed once old enough. Kept column-for-column equal to
-- migrations/postgres/0008_files.sql.

CREATE TABLE files (
  id             INTEGER PRIMARY KEY,
  owner_id       INTEGER NOT NULL REFERENCES users (id),
  name           TEXT    NOT NULL,
  size           INTEGER NOT NULL,
  content_type   TEXT    NOT NULL,
  width          INTEGER,
  height         INTEGER,
  blob           TEXT    NOT NULL,
  thumbnail      TEXT,
  thumbnail_size INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL
);
-- The quota sums a user's files; the cleanup walks old files; a blob is removed when no file uses it.
CREATE INDEX files_owner ON files (owner_id);
CREATE INDEX files_created ON files (created_at);
CREATE INDEX files_blob ON files (blob);
CREATE INDEX files_thumbnail ON files (thumbnail) WHERE thumbnail IS NOT NULL;

-- A message keeps a copy of what its files are (a JSON array, src/store/attachments_json.hpp), NULL without any.
ALTER TABLE messages ADD COLUMN attachments TEXT;

CREATE TABLE message_attachments (
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  file_id    INTEGER NOT NULL REFERENCES files (id),
  PRIMARY KEY (message_id, position)
);
CREATE INDEX message_attachments_file ON message_attachments (file_id);

-- Blobs that no file used any more when a file was removed (its message deleted, or never sent), waiting for
-- blob storage to remove them. Not at once: an upload of the same bytes may have stored the blob and be about
-- to record its file (src/core/file_service.cpp, clean_up).
CREATE TABLE released_blobs (
  blob        TEXT   PRIMARY KEY,
  released_at BIGINT NOT NULL
);
CREATE INDEX released_blobs_time ON released_blobs (released_at);
