-- Every change to a chat is numbered in that chat's stream of changes: a message sent, edited, deleted, its
-- reactions changed, a member added or removed, the chat renamed. chats.last_change is the newest number;
-- a message row keeps the number of its own last change, so "what changed after N" is one index range scan.
-- Kept column-for-column equal to migrations/postgres/0004_chat_changes.sql, except `changed` and the index
-- it drives (PostgreSQL indexes every row's change number).

ALTER TABLE chats ADD COLUMN last_change INTEGER NOT NULL DEFAULT 0;

-- Until now the only change was a send, and seqs are dense: a message's change number is its seq.
ALTER TABLE messages ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET change_seq = seq;
UPDATE chats SET last_change = last_seq;
-- 1 once the message changed after it was sent (edited, deleted, reactions). Only those rows are indexed by
-- change number: a send's number grows with its seq, so recent sends are found from the top of the
-- (chat_id, seq) index, and a send writes no index entry more than before.
ALTER TABLE messages ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_chat_later_change ON messages (chat_id, change_seq) WHERE changed = 1;

ALTER TABLE messages ADD COLUMN edited_at INTEGER;
-- A deleted message keeps its row (id, seq, sender, time) as a tombstone; its text is erased.
ALTER TABLE messages ADD COLUMN deleted_at INTEGER;
-- Same chat, checked by the store when the reply is stored.
ALTER TABLE messages ADD COLUMN reply_to_id INTEGER REFERENCES messages (id);

CREATE TABLE message_reactions (
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  emoji      TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
);
