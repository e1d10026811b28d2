-- Every change to a chat is numbered in that chat's stream of changes: a message sent, edited, deleted, its
-- reactions changed, a member added or removed, the chat renamed. chats.last_change is the newest number;
-- a message row keeps the number of its own last change, so "what changed after N" is one index range scan.
-- Kept column-for-column equal to migrations/sqlite/0002_chat_changes.sql.
--
-- Each change takes its number under the chat's row lock (FOR NO KEY UPDATE, as appends always did), in the
-- transaction that makes it, so numbers are gapless and in commit order. Every rule of a change (membership,
-- rights, numbering) is written once, in the function below that makes it.

-- Large tables: adding a column with a constant default (or none) only touches the catalog. The two counters
-- then take their values from seq / last_seq in one rewrite each (ALTER TYPE ... USING), which leaves the
-- table and its indexes compact, where an UPDATE of every row would write a second version of each and an
-- entry in every index for it. Until now the only change was a send, and seqs are dense: a message's change
-- number is its seq, a chat's newest change its last seq.
ALTER TABLE chats ADD COLUMN last_change BIGINT NOT NULL DEFAULT 0;
ALTER TABLE chats ALTER COLUMN last_change TYPE BIGINT USING last_seq;

ALTER TABLE messages ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ALTER COLUMN change_seq TYPE BIGINT USING seq;
CREATE INDEX messages_chat_change ON messages (chat_id, change_seq);

-- Columns without a default, in one statement of their own: PostgreSQL then knows the new foreign key holds
-- (every value is NULL) and skips the scan that would check it.
ALTER TABLE messages
  ADD COLUMN edited_at BIGINT,
  -- A deleted message keeps its row (id, seq, sender, time) as a tombstone; its text is erased.
  ADD COLUMN deleted_at BIGINT,
  -- Same chat, checked by windi_append_messages when the reply is stored; cleared when the reply is deleted.
  ADD COLUMN reply_to_id BIGINT REFERENCES messages (id);

CREATE TABLE message_reactions (
  message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    BIGINT NOT NULL REFERENCES users (id),
  emoji      TEXT   NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
);

-- A message as every read returns it (the store's rows.cpp reads these columns in this order): with the sender's
-- name and a preview of the message it replies to, as that one is now (the first 100 characters of its text,
-- src/core/types.hpp reply_preview_chars). Reactions come from windi_reactions, for a whole page at once.
-- The username is a scalar subquery and the preview a LATERAL with LIMIT (which the planner cannot flatten into a
-- join): both are primary-key probes for the rows a query returns, whatever the planner estimates, never a
-- hash join over users or messages.
CREATE VIEW windi_message_view AS
SELECT m.id, m.chat_id, m.seq, m.change_seq, m.sender_id,
       (SELECT u.username FROM users u WHERE u.id = m.sender_id) AS sender_username,
       m.text, m.client_message_id, m.created_at, m.edited_at, m.deleted_at IS NOT NULL AS deleted,
       rp.id AS reply_id, rp.sender_id AS reply_sender_id, rp.sender_username AS reply_sender_username,
       rp.text AS reply_text, rp.deleted AS reply_deleted
  FROM messages m
  LEFT JOIN LATERAL (
    SELECT r.id, r.sender_id, (SELECT ru.username FROM users ru WHERE ru.id = r.sender_id) AS sender_username,
           left(r.text, 100) AS text, r.deleted_at IS NOT NULL AS deleted
      FROM messages r WHERE r.id = m.reply_to_id LIMIT 1) rp ON true;

-- The reactions of the given messages, one row per message that has any: a JSON array of
-- {"emoji", "count", "user_ids"} in the order of each emoji's first reaction, user_ids the first 10 reacting
-- users oldest first (src/core/types.hpp reaction_user_ids_shown). One probe of the primary key per message.
CREATE FUNCTION windi_reactions(p_ids BIGINT[])
RETURNS TABLE (message_id BIGINT, reactions JSONB)
LANGUAGE sql STABLE AS $$
  SELECT g.message_id,
         jsonb_agg(jsonb_build_object('emoji', g.emoji, 'count', g.n, 'user_ids', g.user_ids[1:10])
                  ORDER BY g.first_at, g.user_ids[1], g.emoji)
    FROM (SELECT r.message_id, r.emoji, count(*) AS n, min(r.created_at) AS first_at,
                 array_agg(r.user_id ORDER BY r.created_at, r.user_id) AS user_ids
            FROM message_reactions r
           WHERE r.message_id = ANY (p_ids)
           GROUP BY r.message_id, r.emoji) g
   GROUP BY g.message_id
$$;

-- A chat and its members, one row per member (one row with NULL member columns when it has none), as rows.cpp
-- reads them.
CREATE FUNCTION windi_chat_rows(p_chat BIGINT)
RETURNS TABLE (id BIGINT, kind TEXT, name TEXT, created_by BIGINT, created_at BIGINT, last_seq BIGINT,
               last_change BIGINT, last_activity_at BIGINT, member_id BIGINT, member_username TEXT, role TEXT,
               last_read_seq BIGINT, joined_at BIGINT)
LANGUAGE sql STABLE AS $$
  SELECT c.id, c.kind, c.name, c.created_by, c.created_at, c.last_seq, c.last_change, c.last_activity_at,
         cm.user_id, u.username, cm.role, cm.last_read_seq, cm.joined_at
    FROM chats c
    LEFT JOIN chat_members cm ON cm.chat_id = c.id
    LEFT JOIN users u ON u.id = cm.user_id
   WHERE c.id = p_chat
   ORDER BY cm.joined_at, cm.user_id
$$;

-- --- appends

-- The batch append of 0003 with change numbers and replies, and without its second copy of the rules: when a
-- concurrent transaction commits a message with one of the batch's client ids after this statement began, the
-- unique index raises, and the same statement runs again; in READ COMMITTED the new run sees that message and
-- returns it as the duplicate it is.
DROP FUNCTION windi_append_messages(JSONB);
DROP FUNCTION windi_append_messages_each(JSONB);
DROP TYPE windi_appended;

-- o_status: 'ok', 'not_found' (no such chat), 'forbidden' (the sender is not a member), 'bad_reply' (reply_to is
-- not a message of the chat), 'deleted_reply' (reply_to is deleted). For 'ok': whether (sender, client id) was
-- seen before, the chat's member ids, and the message as windi_message_view shows it with its reactions.
CREATE TYPE windi_appended AS (
  o_ordinal INT, o_status TEXT, o_duplicate BOOLEAN, o_members BIGINT[],
  id BIGINT, chat_id BIGINT, seq BIGINT, change_seq BIGINT, sender_id BIGINT, sender_username TEXT, text TEXT,
  client_message_id TEXT, created_at BIGINT, edited_at BIGINT, deleted BOOLEAN, reply_id BIGINT,
  reply_sender_id BIGINT, reply_sender_username TEXT, reply_text TEXT, reply_deleted BOOLEAN, reactions JSONB);

-- p_batch: [{"ordinal": 0, "chat": 1, "sender": 2, "text": "...", "client_id": null, "created_at": 0,
--            "reply_to": null}, ...]
-- One row per message, in ordinal order. Each chat's new messages take its next seqs and next change numbers in
-- batch order. As for a send alone, in this order: the chat must exist and the sender be a member; a client id
-- seen before returns that message as it is now; reply_to must be a message of the chat, not deleted. The first
-- send of a client id in the batch whose reply is valid is stored, later ones are its duplicates.
-- The planner takes every batch for 100 rows, so lookups into the big tables are written as correlated
-- subqueries and "= ANY (ARRAY(...))" conditions: index probes whatever it estimates, never a scan of a table
-- that only grows.
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
                 reply_to BIGINT)
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
        SELECT b.*, l.last_seq, l.last_change, mb.ids,
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
      ),
      -- The sends that would store a message, each with the ordinal of the one that does: for a client id, the
      -- first in the batch with a valid reply (those before it fail on their reply, those after are its
      -- duplicates); without one, the send itself if its reply is valid.
      candidates AS (
        SELECT c.*,
               CASE WHEN c.client_id IS NULL THEN CASE WHEN c.reply_state = 'ok' THEN c.ordinal END
                    ELSE min(c.ordinal) FILTER (WHERE c.reply_state = 'ok')
                           OVER (PARTITION BY c.sender, c.client_id) END AS stored_ordinal
          FROM checked c WHERE c.status = 'ok' AND c.prior_id IS NULL
      ),
      -- Ids are taken here (the CTE is evaluated once), so the results need no join back to the inserted rows.
      fresh AS (
        SELECT nextval('messages_id_seq') AS id, k.ordinal, k.chat, k.sender, k.text, k.client_id, k.created_at,
               k.reply_to, k.last_seq + row_number() OVER per_chat AS seq,
               k.last_change + row_number() OVER per_chat AS change_seq
          FROM candidates k WHERE k.ordinal = k.stored_ordinal
        WINDOW per_chat AS (PARTITION BY k.chat ORDER BY k.ordinal)
      ),
      inserted AS (
        -- No ON CONFLICT: a concurrent transaction storing the same client id would leave a gap in the seqs, so
        -- that raises unique_violation and the statement runs again (below).
        INSERT INTO messages (id, chat_id, seq, change_seq, sender_id, text, client_message_id, created_at,
                              reply_to_id)
        SELECT f.id, f.chat, f.seq, f.change_seq, f.sender, f.text, f.client_id, f.created_at, f.reply_to
          FROM fresh f
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
                    WHEN k.stored_ordinal IS NULL OR c.ordinal < k.stored_ordinal THEN k.reply_state
                    ELSE 'ok' END AS status,
               CASE WHEN k.ordinal >= k.stored_ordinal THEN k.stored_ordinal END AS fresh_ordinal
          FROM checked c
          LEFT JOIN candidates k ON k.ordinal = c.ordinal
      )
      SELECT array_agg(
               CASE WHEN o.status <> 'ok' THEN ROW(
                      o.ordinal, o.status, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                      NULL, NULL, NULL, NULL, NULL, NULL, NULL)::windi_appended
                    -- Stored by this statement (or a later send of its client id in the batch): the new row.
                    WHEN f.ordinal IS NOT NULL THEN ROW(
                      o.ordinal, 'ok', o.ordinal <> f.ordinal, COALESCE(o.ids, '{}'), f.id, f.chat, f.seq,
                      f.change_seq, f.sender, (SELECT u.username FROM users u WHERE u.id = f.sender), f.text,
                      f.client_id, f.created_at, NULL, false, rp.id, rp.sender_id, rp.sender_username, rp.text,
                      rp.deleted, NULL)::windi_appended
                    -- Seen before: that message as it is now.
                    ELSE ROW(
                      o.ordinal, 'ok', true, COALESCE(o.ids, '{}'), d.id, d.chat_id, d.seq, d.change_seq,
                      d.sender_id, d.sender_username, d.text, d.client_message_id, d.created_at, d.edited_at,
                      d.deleted, d.reply_id, d.reply_sender_id, d.reply_sender_username, d.reply_text,
                      d.reply_deleted,
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

-- --- changes to a message

-- o_status: 'ok', 'not_found' (no such message, or the actor is not a member of its chat), 'not_sender' (edit
-- by someone else), 'not_allowed' (delete by neither the sender nor a group admin), 'deleted' (edit or
-- reaction on a deleted message), 'too_many' (a new emoji beyond the limit). For 'ok': the change number (0
-- when nothing changed), the chat's member ids, and the message as windi_message_view shows it with its
-- reactions, and how many members other than the sender have read it.
CREATE TYPE windi_message_change AS (
  o_status TEXT, o_change BIGINT, o_members BIGINT[],
  id BIGINT, chat_id BIGINT, seq BIGINT, change_seq BIGINT, sender_id BIGINT, sender_username TEXT, text TEXT,
  client_message_id TEXT, created_at BIGINT, edited_at BIGINT, deleted BOOLEAN, reply_id BIGINT,
  reply_sender_id BIGINT, reply_sender_username TEXT, reply_text TEXT, reply_deleted BOOLEAN, reactions JSONB,
  o_read_by INT);

-- The message a change applies to, with its chat locked for the change: no row when the message does not
-- exist or the actor is not a member of its chat (an outsider learns nothing about which messages exist).
-- The message is read after the lock, so it is as the previous change to the chat left it.
CREATE FUNCTION windi_lock_message(p_message BIGINT, p_actor BIGINT)
RETURNS TABLE (o_chat BIGINT, o_group BOOLEAN, o_members BIGINT[], o_admin BOOLEAN, o_sender BIGINT,
               o_text TEXT, o_deleted BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
  v_role TEXT;
BEGIN
  SELECT m.chat_id INTO o_chat FROM messages m WHERE m.id = p_message;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT c.kind = 'group' INTO o_group FROM chats c WHERE c.id = o_chat FOR NO KEY UPDATE;
  SELECT array_agg(cm.user_id ORDER BY cm.user_id), max(cm.role) FILTER (WHERE cm.user_id = p_actor)
    INTO o_members, v_role
    FROM chat_members cm WHERE cm.chat_id = o_chat;
  IF v_role IS NULL THEN
    RETURN;
  END IF;
  o_admin := v_role = 'admin';
  SELECT m.sender_id, m.text, m.deleted_at IS NOT NULL INTO o_sender, o_text, o_deleted
    FROM messages m WHERE m.id = p_message;
  RETURN NEXT;
END
$$;

-- Takes the chat's next change number; the caller holds the chat's lock and gives the number to what it changed.
CREATE FUNCTION windi_next_change(p_chat BIGINT)
RETURNS BIGINT
LANGUAGE sql AS $$
  UPDATE chats c SET last_change = c.last_change + 1 WHERE c.id = p_chat RETURNING c.last_change
$$;

-- The outcome row of a change: the message as it is now for 'ok', the status alone otherwise.
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

-- The sender replaces the text; the same text again changes nothing.
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

-- The sender, or an admin of a group, deletes: the text is erased, not hidden, and so are the reply link and
-- the reactions; the row stays as a tombstone so seqs, paging and unread counts stay exact. A deleted message
-- again changes nothing.
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
      UPDATE messages m SET text = '', deleted_at = p_now, reply_to_id = NULL, change_seq = v_change
       WHERE m.id = p_message;
      DELETE FROM message_reactions r WHERE r.message_id = p_message;
    END IF;
    RETURN QUERY SELECT * FROM windi_message_change_row('ok', v_change, t.o_members, p_message);
  END IF;
END
$$;

-- Adds (p_present) or removes the user's reaction; the same again changes nothing. A new emoji may not make
-- more than p_max_distinct different ones on the message.
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

-- --- changes to a chat

-- One row per member of the chat after the change, as windi_chat_rows, led by the outcome: o_status 'ok',
-- 'chat_not_found', 'user_not_found' or 'not_member' (then that row alone); the change number (0 when nothing
-- changed); the audience (the members before the change and after it).
CREATE TYPE windi_chat_change AS (
  o_status TEXT, o_change BIGINT, o_audience BIGINT[],
  id BIGINT, kind TEXT, name TEXT, created_by BIGINT, created_at BIGINT, last_seq BIGINT, last_change BIGINT,
  last_activity_at BIGINT, member_id BIGINT, member_username TEXT, role TEXT, last_read_seq BIGINT,
  joined_at BIGINT);

CREATE FUNCTION windi_chat_change_rows(p_status TEXT, p_change BIGINT, p_audience BIGINT[], p_chat BIGINT)
RETURNS SETOF windi_chat_change
LANGUAGE plpgsql AS $$
DECLARE
  v_row windi_chat_change;
BEGIN
  IF p_status <> 'ok' THEN
    v_row.o_status := p_status;
    RETURN NEXT v_row;
    RETURN;
  END IF;
  RETURN QUERY SELECT p_status, p_change, p_audience, r.* FROM windi_chat_rows(p_chat) r;
END
$$;

-- Adds a member; nothing when already one (the existing record stays).
CREATE FUNCTION windi_add_member(p_chat BIGINT, p_user BIGINT, p_role TEXT, p_now BIGINT)
RETURNS SETOF windi_chat_change
LANGUAGE plpgsql AS $$
DECLARE
  v_change BIGINT := 0;
BEGIN
  PERFORM 1 FROM chats c WHERE c.id = p_chat FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_chat_change_rows('chat_not_found', 0, NULL, p_chat);
    RETURN;
  END IF;
  PERFORM 1 FROM users u WHERE u.id = p_user;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_chat_change_rows('user_not_found', 0, NULL, p_chat);
    RETURN;
  END IF;
  INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES (p_chat, p_user, p_role, p_now)
  ON CONFLICT (chat_id, user_id) DO NOTHING;
  IF FOUND THEN
    v_change := windi_next_change(p_chat);
  END IF;
  RETURN QUERY SELECT * FROM windi_chat_change_rows(
    'ok', v_change, ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = p_chat ORDER BY cm.user_id),
    p_chat);
END
$$;

-- Removes a member; the audience is the members before, the removed one included. When the last admin leaves a
-- group that still has members, the longest-standing remaining member becomes admin.
DROP FUNCTION windi_remove_member(BIGINT, BIGINT);
CREATE FUNCTION windi_remove_member(p_chat BIGINT, p_user BIGINT)
RETURNS SETOF windi_chat_change
LANGUAGE plpgsql AS $$
DECLARE
  v_group BOOLEAN;
  v_role TEXT;
  v_audience BIGINT[];
  v_change BIGINT;
BEGIN
  SELECT c.kind = 'group' INTO v_group FROM chats c WHERE c.id = p_chat FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_chat_change_rows('not_member', 0, NULL, p_chat);
    RETURN;
  END IF;
  v_audience := ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = p_chat ORDER BY cm.user_id);
  DELETE FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.user_id = p_user RETURNING cm.role INTO v_role;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_chat_change_rows('not_member', 0, NULL, p_chat);
    RETURN;
  END IF;
  IF v_group AND v_role = 'admin'
     AND NOT EXISTS (SELECT 1 FROM chat_members cm WHERE cm.chat_id = p_chat AND cm.role = 'admin') THEN
    UPDATE chat_members cm SET role = 'admin'
     WHERE cm.chat_id = p_chat
       AND cm.user_id = (SELECT x.user_id FROM chat_members x WHERE x.chat_id = p_chat
                          ORDER BY x.joined_at, x.user_id LIMIT 1);
  END IF;
  v_change := windi_next_change(p_chat);
  RETURN QUERY SELECT * FROM windi_chat_change_rows('ok', v_change, v_audience, p_chat);
END
$$;

-- Renames the chat; the same name again changes nothing.
CREATE FUNCTION windi_rename_chat(p_chat BIGINT, p_name TEXT)
RETURNS SETOF windi_chat_change
LANGUAGE plpgsql AS $$
DECLARE
  v_name TEXT;
  v_change BIGINT := 0;
BEGIN
  SELECT c.name INTO v_name FROM chats c WHERE c.id = p_chat FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM windi_chat_change_rows('chat_not_found', 0, NULL, p_chat);
    RETURN;
  END IF;
  IF v_name <> p_name THEN
    UPDATE chats c SET name = p_name WHERE c.id = p_chat;
    v_change := windi_next_change(p_chat);
  END IF;
  RETURN QUERY SELECT * FROM windi_chat_change_rows(
    'ok', v_change, ARRAY(SELECT cm.user_id FROM chat_members cm WHERE cm.chat_id = p_chat ORDER BY cm.user_id),
    p_chat);
END
$$;
