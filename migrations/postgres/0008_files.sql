-- Uploaded files. The bytes live in blob storage (src/files/), named by their SHA-256; a row records who
-- uploaded them, under what name, and what the server found them to be. message_attachments says which
-- messages hold which files: who may fetch a file follows from it (members of a chat with such a message), and
-- a file no message holds is removed once old enough. Kept column-for-column equal to
-- migrations/sqlite/0006_files.sql.

CREATE TABLE files (
  id             BIGSERIAL PRIMARY KEY,
  owner_id       BIGINT NOT NULL REFERENCES users (id),
  name           TEXT   NOT NULL,
  size           BIGINT NOT NULL,
  content_type   TEXT   NOT NULL,
  width          INTEGER,
  height         INTEGER,
  blob           TEXT   NOT NULL,
  thumbnail      TEXT,
  thumbnail_size BIGINT NOT NULL DEFAULT 0,
  created_at     BIGINT NOT NULL
);
-- The quota sums a user's files; the cleanup walks old files; a blob is removed when no file uses it.
CREATE INDEX files_owner ON files (owner_id);
CREATE INDEX files_created ON files (created_at);
CREATE INDEX files_blob ON files (blob);
CREATE INDEX files_thumbnail ON files (thumbnail) WHERE thumbnail IS NOT NULL;

-- A message keeps a copy of what its files are (a JSON array, src/store/attachments_json.hpp), NULL without any.
ALTER TABLE messages ADD COLUMN attachments TEXT;

CREATE TABLE message_attachments (
  message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  file_id    BIGINT NOT NULL REFERENCES files (id),
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

-- --- messages carry their files

-- windi_message_view (0004) with the message's attachments as its last column.
CREATE OR REPLACE VIEW windi_message_view AS
SELECT m.id, m.chat_id, m.seq, m.change_seq, m.sender_id,
       (SELECT u.username FROM users u WHERE u.id = m.sender_id) AS sender_username,
       m.text, m.client_message_id, m.created_at, m.edited_at, m.deleted_at IS NOT NULL AS deleted,
       rp.id AS reply_id, rp.sender_id AS reply_sender_id, rp.sender_username AS reply_sender_username,
       rp.text AS reply_text, rp.deleted AS reply_deleted, m.attachments
  FROM messages m
  LEFT JOIN LATERAL (
    SELECT r.id, r.sender_id, (SELECT ru.username FROM users ru WHERE ru.id = r.sender_id) AS sender_username,
           left(r.text, 100) AS text, r.deleted_at IS NOT NULL AS deleted
      FROM messages r WHERE r.id = m.reply_to_id LIMIT 1) rp ON true;

-- The result types of an append and of a change to a message carry the attachments after the reply
-- preview, as the view does. The functions returning them go with them
-- and come back below: the change functions as 0004 made them, the append and the deletion with files.
DROP TYPE windi_appended CASCADE;
DROP TYPE windi_message_change CASCADE;

CREATE TYPE windi_appended AS (
  o_ordinal INT, o_status TEXT, o_duplicate BOOLEAN, o_members BIGINT[],
  id BIGINT, chat_id BIGINT, seq BIGINT, change_seq BIGINT, sender_id BIGINT, sender_username TEXT, text TEXT,
  client_message_id TEXT, created_at BIGINT, edited_at BIGINT, deleted BOOLEAN, reply_id BIGINT,
  reply_sender_id BIGINT, reply_sender_username TEXT, reply_text TEXT, reply_deleted BOOLEAN, attachments TEXT,
  reactions JSONB);

CREATE TYPE windi_message_change AS (
  o_status TEXT, o_change BIGINT, o_members BIGINT[],
  id BIGINT, chat_id BIGINT, seq BIGINT, change_seq BIGINT, sender_id BIGINT, sender_username TEXT, text TEXT,
  client_message_id TEXT, created_at BIGINT, edited_at BIGINT, deleted BOOLEAN, reply_id BIGINT,
  reply_sender_id BIGINT, reply_sender_username TEXT, reply_text TEXT, reply_deleted BOOLEAN, attachments TEXT,
  reactions JSONB, o_read_by INT);

-- As in 0004, and each send's "attachments" (an array of file ids, or null) must be files the sender uploaded
-- (o_status 'bad_file' otherwise); the stored message holds them.
CREATE FUNCTION windi_append_messages(p_batch JSONB)
RETURNS SETOF windi_appended
LANGUAGE plpgsql
-- The batch is one JSONB value whose size the planner cannot see anyway; planning this statement afresh for each
-- of a connection's first calls (PostgreSQL's default) costs more than running it.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  v_rows windi_appended[];
BEGIN
  -- The chats are locked by a statement of their own, in id order (two batches cannot deadlock): the statement
  -- below then takes its snapshot after every earlier change of these chats has committed, so it reads members,
  -- earlier sends and reply targets as they are now. (A lock taken inside a statement re-reads only the locked
  -- rows: a member removed meanwhile would still be seen as one.)
  PERFORM 1 FROM chats ch
   WHERE ch.id = ANY (ARRAY(SELECT DISTINCT (x ->> 'chat')::BIGINT FROM jsonb_array_elements(p_batch) x))
   ORDER BY ch.id FOR NO KEY UPDATE;
  LOOP
    BEGIN
      WITH batch AS (
        SELECT x.* FROM jsonb_to_recordset(p_batch)
            AS x(ordinal INT, chat BIGINT, sender BIGINT, text TEXT, client_id TEXT, created_at BIGINT,
                 reply_to BIGINT, attachments JSONB)
      ),
      -- Each send's files, in order: all must be the sender's uploads. Their description is copied into the
      -- message (src/store/attachments_json.hpp).
      wanted_files AS (
        SELECT b.ordinal, count(*) AS wanted, count(f.id) AS found,
               jsonb_agg(jsonb_build_object('id', f.id, 'name', f.name, 'size', f.size,
                                            'content_type', f.content_type, 'width', f.width,
                                            'height', f.height, 'thumbnail', f.thumbnail IS NOT NULL)
                         ORDER BY w.pos)::TEXT AS json
          FROM batch b
          CROSS JOIN LATERAL jsonb_array_elements_text(b.attachments) WITH ORDINALITY w(id, pos)
          LEFT JOIN files f ON f.id = w.id::BIGINT AND f.owner_id = b.sender
         WHERE jsonb_typeof(b.attachments) = 'array'
         GROUP BY b.ordinal
      ),
      -- Locked in id order: two batches over the same chats cannot deadlock. "= ANY (ARRAY(...))" rather than
      -- "IN (SELECT ...)": the planner cannot estimate the batch's size and would scan every chat.
      locked AS (
        SELECT ch.id, ch.last_seq, ch.last_change FROM chats ch
         WHERE ch.id = ANY (ARRAY(SELECT DISTINCT b.chat FROM batch b))
         ORDER BY ch.id FOR NO KEY UPDATE
      ),
      members AS (
        SELECT cm.chat_id, array_agg(cm.user_id ORDER BY cm.user_id) AS ids
          FROM chat_members cm WHERE cm.chat_id = ANY (ARRAY(SELECT l.id FROM locked l)) GROUP BY cm.chat_id
      ),
      checked AS (
        SELECT b.*, l.last_seq, l.last_change, mb.ids, wf.json AS attachments_json,
               COALESCE(wf.found = wf.wanted, true) AS files_ok,
               CASE WHEN l.id IS NULL THEN 'not_found'
                    WHEN NOT COALESCE(b.sender = ANY (mb.ids), false) THEN 'forbidden'
                    ELSE 'ok' END AS status,
               (SELECT p.id FROM messages p WHERE p.sender_id = b.sender AND p.client_message_id = b.client_id)
                 AS prior_id,
               CASE WHEN b.reply_to IS NULL THEN 'ok'
                    ELSE COALESCE((SELECT CASE WHEN o.chat_id <> b.chat THEN 'bad_reply'
                                               WHEN o.deleted_at IS NOT NULL THEN 'deleted_reply'
                                               ELSE 'ok' END
                                     FROM messages o WHERE o.id = b.reply_to), 'bad_reply') END AS reply_state
          FROM batch b
          LEFT JOIN locked l ON l.id = b.chat
          LEFT JOIN members mb ON mb.chat_id = b.chat
          LEFT JOIN wanted_files wf ON wf.ordinal = b.ordinal
      ),
      -- What the message itself says: its reply target, then its files ('bad_file').
      judged AS (
        SELECT c.*, CASE WHEN c.reply_state <> 'ok' THEN c.reply_state
                         WHEN NOT c.files_ok THEN 'bad_file'
                         ELSE 'ok' END AS content_state
          FROM checked c
      ),
      -- The sends that would store a message, each with the ordinal of the one that does: for a client id, the
      -- first in the batch whose content is valid (those before it fail on their content, those after are its
      -- duplicates); without one, the send itself if its content is valid.
      candidates AS (
        SELECT c.*,
               CASE WHEN c.client_id IS NULL THEN CASE WHEN c.content_state = 'ok' THEN c.ordinal END
                    ELSE min(c.ordinal) FILTER (WHERE c.content_state = 'ok')
                           OVER (PARTITION BY c.sender, c.client_id) END AS stored_ordinal
          FROM judged c WHERE c.status = 'ok' AND c.prior_id IS NULL
      ),
      -- Ids are taken here (the CTE is evaluated once), so the results need no join back to the inserted rows.
      fresh AS (
        SELECT nextval('messages_id_seq') AS id, k.ordinal, k.chat, k.sender, k.text, k.client_id, k.created_at,
               k.reply_to, k.attachments, k.attachments_json, k.last_seq + row_number() OVER per_chat AS seq,
               k.last_change + row_number() OVER per_chat AS change_seq
          FROM candidates k WHERE k.ordinal = k.stored_ordinal
        WINDOW per_chat AS (PARTITION BY k.chat ORDER BY k.ordinal)
      ),
      inserted AS (
        -- No ON CONFLICT: a concurrent transaction storing the same client id would leave a gap in the seqs, so
        -- that raises unique_violation and the statement runs again (below).
        INSERT INTO messages (id, chat_id, seq, change_seq, sender_id, text, client_message_id, created_at,
                              reply_to_id, attachments)
        SELECT f.id, f.chat, f.seq, f.change_seq, f.sender, f.text, f.client_id, f.created_at, f.reply_to,
               f.attachments_json
          FROM fresh f
      ),
      attached AS (
        INSERT INTO message_attachments (message_id, position, file_id)
        SELECT f.id, w.pos - 1, w.id::BIGINT
          FROM fresh f CROSS JOIN LATERAL jsonb_array_elements_text(f.attachments) WITH ORDINALITY w(id, pos)
         WHERE jsonb_typeof(f.attachments) = 'array'
      ),
      chat_counters AS (
        UPDATE chats ch SET last_seq = n.seq, last_change = n.change_seq, last_activity_at = n.created_at
          FROM (SELECT DISTINCT ON (f.chat) f.chat, f.seq, f.change_seq, f.created_at
                  FROM fresh f ORDER BY f.chat, f.seq DESC) n
         WHERE ch.id = n.chat AND ch.id = ANY (ARRAY(SELECT f.chat FROM fresh f))
      ),
      -- The sender has read its own messages, so unread = last_seq - last_read_seq stays exact.
      read_positions AS (
        UPDATE chat_members cm SET last_read_seq = GREATEST(cm.last_read_seq, n.seq)
          FROM (SELECT f.chat, f.sender, max(f.seq) AS seq FROM fresh f GROUP BY f.chat, f.sender) n
         WHERE cm.chat_id = n.chat AND cm.user_id = n.sender
           AND cm.chat_id = ANY (ARRAY(SELECT f.chat FROM fresh f))
      ),
      outcome AS (
        SELECT c.ordinal, c.ids, c.prior_id,
               CASE WHEN c.status <> 'ok' OR c.prior_id IS NOT NULL THEN c.status
                    WHEN k.stored_ordinal IS NULL OR c.ordinal < k.stored_ordinal THEN k.content_state
                    ELSE 'ok' END AS status,
               CASE WHEN k.ordinal >= k.stored_ordinal THEN k.stored_ordinal END AS fresh_ordinal
          FROM judged c
          LEFT JOIN candidates k ON k.ordinal = c.ordinal
      )
      SELECT array_agg(
               CASE WHEN o.status <> 'ok' THEN ROW(
                      o.ordinal, o.status, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                      NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::windi_appended
                    -- Stored by this statement (or a later send of its client id in the batch): the new row.
                    WHEN f.ordinal IS NOT NULL THEN ROW(
                      o.ordinal, 'ok', o.ordinal <> f.ordinal, COALESCE(o.ids, '{}'), f.id, f.chat, f.seq,
                      f.change_seq, f.sender, (SELECT u.username FROM users u WHERE u.id = f.sender), f.text,
                      f.client_id, f.created_at, NULL, false, rp.id, rp.sender_id, rp.sender_username, rp.text,
                      rp.deleted, f.attachments_json, NULL)::windi_appended
                    -- Seen before: that message as it is now.
                    ELSE ROW(
                      o.ordinal, 'ok', true, COALESCE(o.ids, '{}'), d.id, d.chat_id, d.seq, d.change_seq,
                      d.sender_id, d.sender_username, d.text, d.client_message_id, d.created_at, d.edited_at,
                      d.deleted, d.reply_id, d.reply_sender_id, d.reply_sender_username, d.reply_text,
                      d.reply_deleted, d.attachments,
                      (SELECT x.reactions FROM windi_reactions(ARRAY[d.id]) x))::windi_appended
               END
               ORDER BY o.ordinal)
        INTO v_rows
        FROM outcome o
        LEFT JOIN fresh f ON f.ordinal = o.fresh_ordinal
        LEFT JOIN LATERAL (
          SELECT r.id, r.sender_id,
                 (SELECT ru.username FROM users ru WHERE ru.id = r.sender_id) AS sender_username,
                 left(r.text, 100) AS text, r.deleted_at IS NOT NULL AS deleted
            FROM messages r WHERE r.id = f.reply_to LIMIT 1) rp ON true
        LEFT JOIN LATERAL (
          SELECT v.* FROM windi_message_view v WHERE v.id = o.prior_id LIMIT 1) d ON true;
      EXIT;
    EXCEPTION WHEN unique_violation THEN
      -- A concurrent transaction committed one of the batch's client ids after this statement's snapshot: the
      -- next run sees it. Each run that raises finds one more such message, so this ends.
      NULL;
    END;
  END LOOP;
  RETURN QUERY SELECT * FROM unnest(v_rows);
END
$$;

CREATE FUNCTION windi_message_change_row(p_status TEXT, p_change BIGINT, p_members BIGINT[], p_message BIGINT)
RETURNS SETOF windi_message_change
LANGUAGE plpgsql AS $$
DECLARE
  v_row windi_message_change;
BEGIN
  IF p_status <> 'ok' THEN
    v_row.o_status := p_status;
    RETURN NEXT v_row;
    RETURN;
  END IF;
  RETURN QUERY
    SELECT p_status, p_change, p_members, v.*, (SELECT x.reactions FROM windi_reactions(ARRAY[v.id]) x),
           (SELECT count(*)::INT FROM chat_members cm
             WHERE cm.chat_id = v.chat_id AND cm.user_id <> v.sender_id AND cm.last_read_seq >= v.seq)
      FROM windi_message_view v WHERE v.id = p_message;
END
$$;

CREATE FUNCTION windi_edit_message(p_message BIGINT, p_editor BIGINT, p_text TEXT, p_now BIGINT)
RETURNS SETOF windi_message_change
LANGUAGE plpgsql AS $$
DECLARE
  t RECORD;
  v_change BIGINT := 0;
BEGIN
  SELECT * INTO t FROM windi_lock_message(p_message, p_editor);
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('not_found', 0, NULL, p_message);
  ELSIF t.o_sender <> p_editor THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('not_sender', 0, NULL, p_message);
  ELSIF t.o_deleted THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('deleted', 0, NULL, p_message);
  ELSE
    IF t.o_text <> p_text THEN
      v_change := windi_next_change(t.o_chat);
      UPDATE messages m SET text = p_text, edited_at = p_now, change_seq = v_change WHERE m.id = p_message;
    END IF;
    RETURN QUERY SELECT * FROM windi_message_change_row('ok', v_change, t.o_members, p_message);
  END IF;
END
$$;

-- As in 0004; the message's files go too, unless another message holds them.
CREATE FUNCTION windi_delete_message(p_message BIGINT, p_by BIGINT, p_now BIGINT)
RETURNS SETOF windi_message_change
LANGUAGE plpgsql AS $$
DECLARE
  t RECORD;
  v_change BIGINT := 0;
BEGIN
  SELECT * INTO t FROM windi_lock_message(p_message, p_by);
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('not_found', 0, NULL, p_message);
  ELSIF t.o_sender <> p_by AND NOT (t.o_group AND t.o_admin) THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('not_allowed', 0, NULL, p_message);
  ELSE
    IF NOT t.o_deleted THEN
      v_change := windi_next_change(t.o_chat);
      UPDATE messages m SET text = '', deleted_at = p_now, reply_to_id = NULL, attachments = NULL,
                            change_seq = v_change
       WHERE m.id = p_message;
      DELETE FROM message_reactions r WHERE r.message_id = p_message;
      -- Its files go with it unless another message holds them; the blobs no file uses any more are released.
      -- (The CTEs all see the rows as they were before this statement.)
      WITH held AS (
        DELETE FROM message_attachments a WHERE a.message_id = p_message RETURNING a.file_id),
      freed AS (
        DELETE FROM files f
         WHERE f.id IN (SELECT DISTINCT h.file_id FROM held h)
           AND NOT EXISTS (SELECT 1 FROM message_attachments a
                            WHERE a.file_id = f.id AND a.message_id <> p_message)
        RETURNING f.id, f.blob, f.thumbnail)
      INSERT INTO released_blobs (blob, released_at)
      SELECT DISTINCT b.name, p_now
        FROM freed fr, LATERAL (VALUES (fr.blob), (fr.thumbnail)) b(name)
       WHERE b.name IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM files f
                          WHERE (f.blob = b.name OR f.thumbnail = b.name)
                            AND f.id NOT IN (SELECT fr2.id FROM freed fr2))
      ON CONFLICT (blob) DO UPDATE SET released_at = excluded.released_at;
    END IF;
    RETURN QUERY SELECT * FROM windi_message_change_row('ok', v_change, t.o_members, p_message);
  END IF;
END
$$;

CREATE FUNCTION windi_set_reaction(p_message BIGINT, p_user BIGINT, p_emoji TEXT, p_present BOOLEAN,
                                   p_max_distinct INT, p_now BIGINT)
RETURNS SETOF windi_message_change
LANGUAGE plpgsql AS $$
DECLARE
  t RECORD;
  v_change BIGINT := 0;
BEGIN
  SELECT * INTO t FROM windi_lock_message(p_message, p_user);
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('not_found', 0, NULL, p_message);
    RETURN;
  ELSIF t.o_deleted THEN
    RETURN QUERY SELECT * FROM windi_message_change_row('deleted', 0, NULL, p_message);
    RETURN;
  END IF;
  IF p_present THEN
    IF NOT EXISTS (SELECT 1 FROM message_reactions r
                    WHERE r.message_id = p_message AND r.emoji = p_emoji AND r.user_id = p_user) THEN
      IF NOT EXISTS (SELECT 1 FROM message_reactions r WHERE r.message_id = p_message AND r.emoji = p_emoji)
         AND (SELECT count(DISTINCT r.emoji) FROM message_reactions r WHERE r.message_id = p_message)
             >= p_max_distinct THEN
        RETURN QUERY SELECT * FROM windi_message_change_row('too_many', 0, NULL, p_message);
        RETURN;
      END IF;
      INSERT INTO message_reactions (message_id, user_id, emoji, created_at)
      VALUES (p_message, p_user, p_emoji, p_now);
      v_change := windi_next_change(t.o_chat);
    END IF;
  ELSE
    DELETE FROM message_reactions r WHERE r.message_id = p_message AND r.emoji = p_emoji AND r.user_id = p_user;
    IF FOUND THEN
      v_change := windi_next_change(t.o_chat);
    END IF;
  END IF;
  IF v_change <> 0 THEN
    UPDATE messages m SET change_seq = v_change WHERE m.id = p_message;
  END IF;
  RETURN QUERY SELECT * FROM windi_message_change_row('ok', v_change, t.o_members, p_message);
END
$$;
