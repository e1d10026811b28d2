-- Initial schema. Times are microseconds since the Unix epoch (UTC), always passed in by the server: the
-- database never reads its own clock. Kept column-for-column equal to migrations/sqlite/0001_init.sql.

CREATE TABLE users (
  id            BIGSERIAL PRIMARY KEY,
  username      TEXT   NOT NULL,
  email         TEXT   NOT NULL,
  password_hash TEXT   NOT NULL,
  created_at    BIGINT NOT NULL
);
-- Uniqueness ignores case while usernames are stored as given. The store maps a violation to its message
-- by these index names.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE chats (
  id               BIGSERIAL PRIMARY KEY,
  kind             TEXT   NOT NULL CHECK (kind IN ('private', 'group')),
  name             TEXT   NOT NULL DEFAULT '',
  created_by       BIGINT NOT NULL REFERENCES users (id),
  created_at       BIGINT NOT NULL,
  last_seq         BIGINT NOT NULL DEFAULT 0,
  last_activity_at BIGINT NOT NULL,
  -- "<min user id>:<max user id>" for private chats, NULL for groups: one private chat per pair.
  private_key      TEXT   UNIQUE
);

CREATE TABLE chat_members (
  chat_id       BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  user_id       BIGINT NOT NULL REFERENCES users (id),
  role          TEXT   NOT NULL CHECK (role IN ('member', 'admin')),
  joined_at     BIGINT NOT NULL,
  last_read_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user ON chat_members (user_id);

CREATE TABLE messages (
  id                BIGSERIAL PRIMARY KEY,
  chat_id           BIGINT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  seq               BIGINT NOT NULL,
  sender_id         BIGINT NOT NULL REFERENCES users (id),
  text              TEXT   NOT NULL,
  client_message_id TEXT,
  created_at        BIGINT NOT NULL,
  -- Drives history paging and the last-message lookup at any depth.
  UNIQUE (chat_id, seq),
  -- Resend deduplication; NULLs are distinct, so messages without a client id never collide.
  UNIQUE (sender_id, client_message_id)
);

-- The send path in one round trip. The chat row lock serializes appends to one chat, so seqs are assigned
-- and committed in order without gaps. Status is 'ok', 'not_found' (no such chat) or 'forbidden' (the
-- sender is not a member); for 'ok', duplicate tells whether (sender, client id) was seen before.
CREATE FUNCTION windi_append_message(p_chat BIGINT, p_sender BIGINT, p_text TEXT, p_client_id TEXT,
                                     p_created_at BIGINT)
RETURNS TABLE (o_status TEXT, o_id BIGINT, o_chat BIGINT, o_seq BIGINT, o_sender BIGINT, o_username TEXT,
               o_text TEXT, o_client_id TEXT, o_created_at BIGINT, o_duplicate BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  v_last BIGINT;
  v_id BIGINT;
BEGIN
  -- NO KEY UPDATE: serializes appends without blocking foreign-key checks of concurrent member changes.
  SELECT c.last_seq INTO v_last FROM chats c WHERE c.id = p_chat FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    o_status := 'not_found';
    RETURN NEXT;
    RETURN;
  END IF;
  PERFORM 1 FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = p_sender;
  IF NOT FOUND THEN
    o_status := 'forbidden';
    RETURN NEXT;
    RETURN;
  END IF;

  o_duplicate := true;
  IF p_client_id IS NOT NULL THEN
    SELECT m.id INTO v_id FROM messages m WHERE m.sender_id = p_sender AND m.client_message_id = p_client_id;
  END IF;
  IF v_id IS NULL THEN
    -- A concurrent send with the same client id into another chat holds no lock we take: the unique index
    -- decides, and the loser returns the winner's message.
    INSERT INTO messages AS m (chat_id, seq, sender_id, text, client_message_id, created_at)
    VALUES (p_chat, v_last + 1, p_sender, p_text, p_client_id, p_created_at)
    ON CONFLICT (sender_id, client_message_id) DO NOTHING
    RETURNING m.id INTO v_id;
    IF v_id IS NOT NULL THEN
      o_duplicate := false;
      UPDATE chats c SET last_seq = v_last + 1, last_activity_at = p_created_at WHERE c.id = p_chat;
      -- The sender has read its own message, so unread = last_seq - last_read_seq stays exact.
      UPDATE chat_members cm SET last_read_seq = v_last + 1 WHERE cm.chat_id = p_chat AND cm.user_id = p_sender;
    ELSE
      SELECT m.id INTO v_id FROM messages m WHERE m.sender_id = p_sender AND m.client_message_id = p_client_id;
    END IF;
  END IF;

  RETURN QUERY
    SELECT 'ok'::TEXT, m.id, m.chat_id, m.seq, m.sender_id, u.username, m.text, m.client_message_id,
           m.created_at, o_duplicate
    FROM messages m JOIN users u ON u.id = m.sender_id
    WHERE m.id = v_id;
END
$$;

-- Advances a member's read watermark to min(up_to, last_seq), never backwards. o_found is false when the
-- reader is not a member.
CREATE FUNCTION windi_mark_read(p_chat BIGINT, p_reader BIGINT, p_up_to BIGINT)
RETURNS TABLE (o_found BOOLEAN, o_last_read_seq BIGINT, o_advanced BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  v_old BIGINT;
  v_last BIGINT;
  v_new BIGINT;
BEGIN
  SELECT cm.last_read_seq, c.last_seq INTO v_old, v_last
  FROM chat_members cm JOIN chats c ON c.id = cm.chat_id
  WHERE cm.chat_id = p_chat AND cm.user_id = p_reader
  FOR UPDATE OF cm;
  IF NOT FOUND THEN
    o_found := false;
    RETURN NEXT;
    RETURN;
  END IF;
  v_new := GREATEST(v_old, LEAST(p_up_to, v_last));
  IF v_new > v_old THEN
    UPDATE chat_members cm SET last_read_seq = v_new WHERE cm.chat_id = p_chat AND cm.user_id = p_reader;
  END IF;
  o_found := true;
  o_last_read_seq := v_new;
  o_advanced := v_new > v_old;
  RETURN NEXT;
END
$$;

-- Removes a member; false when they were not one. When the last admin leaves a group that still has members,
-- the longest-standing remaining member becomes admin. The chat row lock (which also conflicts with the
-- foreign-key check of a concurrent add) keeps two leaving admins from both seeing the other remain.
CREATE FUNCTION windi_remove_member(p_chat BIGINT, p_user BIGINT)
RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  v_kind TEXT;
  v_role TEXT;
BEGIN
  SELECT c.kind INTO v_kind FROM chats c WHERE c.id = p_chat FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  DELETE FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = p_user RETURNING cm.role INTO v_role;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF v_kind = 'group' AND v_role = 'admin'
     AND NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.role = 'admin') THEN
    UPDATE chat_members cm SET role = 'admin'
    WHERE cm.chat_id = p_chat
      AND cm.user_id = (SELECT x.user_id FROM chat_members x WHERE x.chat_id = p_chat
                        ORDER BY x.joined_at, x.user_id LIMIT 1);
  END IF;
  RETURN true;
END
$$;
