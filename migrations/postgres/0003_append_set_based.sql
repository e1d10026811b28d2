-- A batch of appends as one set-based statement: one INSERT of all new rows, one UPDATE of the chats' counters,
-- one of the senders' read positions, instead of a dedup lookup, an INSERT and three JSON rewrites per message.
-- Same input, output and guarantees as the per-message loop of 0002, which stays as the fallback below.
-- The planner takes every batch for 100 rows, so lookups into the big tables are written as correlated
-- subqueries and "= ANY (ARRAY(...))" conditions: index probes whatever it estimates, never a scan of a table
-- that only grows.
ALTER FUNCTION windi_append_messages(JSONB) RENAME TO windi_append_messages_each;

CREATE TYPE windi_appended AS (o_ordinal INT, o_status TEXT, o_id BIGINT, o_chat BIGINT, o_seq BIGINT,
                               o_sender BIGINT, o_username TEXT, o_text TEXT, o_client_id TEXT,
                               o_created_at BIGINT, o_duplicate BOOLEAN, o_members BIGINT[]);

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
  BEGIN
    WITH batch AS (
      SELECT x.* FROM jsonb_to_recordset(p_batch)
          AS x(ordinal INT, chat BIGINT, sender BIGINT, text TEXT, client_id TEXT, created_at BIGINT)
    ),
    -- Locked in id order: two batches over the same chats cannot deadlock. "= ANY (ARRAY(...))" rather than
    -- "IN (SELECT ...)": the planner cannot estimate the batch's size and would scan every chat.
    locked AS (
      SELECT ch.id, ch.last_seq FROM chats ch WHERE ch.id = ANY (ARRAY(SELECT DISTINCT b.chat FROM batch b))
       ORDER BY ch.id FOR NO KEY UPDATE
    ),
    members AS (
      SELECT cm.chat_id, array_agg(cm.user_id ORDER BY cm.user_id) AS ids
        FROM chat_members cm WHERE cm.chat_id = ANY (ARRAY(SELECT l.id FROM locked l)) GROUP BY cm.chat_id
    ),
    checked AS (
      SELECT b.*, l.last_seq, mb.ids,
             CASE WHEN l.id IS NULL THEN 'not_found' WHEN NOT (b.sender = ANY (mb.ids)) THEN 'forbidden'
                  ELSE 'ok' END AS status,
             (SELECT p.id FROM messages p WHERE p.sender_id = b.sender AND p.client_message_id = b.client_id)
               AS prior_id
        FROM batch b
        LEFT JOIN locked l ON l.id = b.chat
        LEFT JOIN members mb ON mb.chat_id = b.chat
    ),
    -- The first send of each client id in the batch is stored; later ones in the batch are its duplicates.
    firsts AS (
      SELECT c.* FROM (SELECT c0.*, row_number() OVER (PARTITION BY c0.sender, c0.client_id ORDER BY c0.ordinal) AS nth
                         FROM checked c0 WHERE c0.status = 'ok' AND c0.prior_id IS NULL) c
       WHERE c.client_id IS NULL OR c.nth = 1
    ),
    fresh AS (
      SELECT f.*, f.last_seq + row_number() OVER (PARTITION BY f.chat ORDER BY f.ordinal) AS seq FROM firsts f
    ),
    inserted AS (
      -- No ON CONFLICT: a concurrent transaction storing the same client id would leave a gap in the seqs, so
      -- that raises unique_violation and the batch goes through the per-message loop instead.
      INSERT INTO messages AS m (chat_id, seq, sender_id, text, client_message_id, created_at)
      SELECT f.chat, f.seq, f.sender, f.text, f.client_id, f.created_at FROM fresh f
      RETURNING m.id, m.chat_id, m.seq
    ),
    chat_counters AS (
      UPDATE chats ch SET last_seq = n.seq, last_activity_at = n.created_at
        FROM (SELECT DISTINCT ON (f.chat) f.chat, f.seq, f.created_at FROM fresh f ORDER BY f.chat, f.seq DESC) n
       WHERE ch.id = n.chat AND ch.id = ANY (ARRAY(SELECT f.chat FROM fresh f))
    ),
    -- The sender has read its own messages, so unread = last_seq - last_read_seq stays exact.
    read_positions AS (
      UPDATE chat_members cm SET last_read_seq = GREATEST(cm.last_read_seq, n.seq)
        FROM (SELECT f.chat, f.sender, max(f.seq) AS seq FROM fresh f GROUP BY f.chat, f.sender) n
       WHERE cm.chat_id = n.chat AND cm.user_id = n.sender AND cm.chat_id = ANY (ARRAY(SELECT f.chat FROM fresh f))
    ),
    outcome AS (
      SELECT c.ordinal, c.status, c.ids,
             COALESCE(own.id, c.prior_id, first_of.id) AS id,
             CASE WHEN c.status <> 'ok' THEN NULL ELSE own.id IS NULL END AS duplicate
        FROM checked c
        LEFT JOIN fresh f ON f.ordinal = c.ordinal
        LEFT JOIN inserted own ON own.chat_id = f.chat AND own.seq = f.seq
        LEFT JOIN fresh f1 ON c.status = 'ok' AND c.prior_id IS NULL AND f.ordinal IS NULL
                          AND f1.sender = c.sender AND f1.client_id = c.client_id
        LEFT JOIN inserted first_of ON first_of.chat_id = f1.chat AND first_of.seq = f1.seq
    )
    SELECT array_agg(ROW(o.ordinal, o.status, o.id, COALESCE(own.chat_id, m.chat_id), COALESCE(own.seq, m.seq),
                         COALESCE(f.sender, m.sender_id),
                         (SELECT u.username FROM users u WHERE u.id = COALESCE(f.sender, m.sender_id)),
                         COALESCE(f.text, m.text),
                         COALESCE(f.client_id, m.client_message_id), COALESCE(f.created_at, m.created_at),
                         o.duplicate, CASE WHEN o.status = 'ok' THEN COALESCE(mb.ids, '{}') END)::windi_appended
                     ORDER BY o.ordinal)
      INTO v_rows
      FROM outcome o
      LEFT JOIN inserted own ON own.id = o.id
      LEFT JOIN fresh f ON own.id IS NOT NULL AND f.chat = own.chat_id AND f.seq = own.seq
      LEFT JOIN LATERAL (SELECT m0.* FROM messages m0 WHERE own.id IS NULL AND m0.id = o.id) m ON true
      LEFT JOIN members mb ON mb.chat_id = COALESCE(own.chat_id, m.chat_id);
  EXCEPTION WHEN unique_violation THEN
    RETURN QUERY SELECT * FROM windi_append_messages_each(p_batch);
    RETURN;
  END;
  RETURN QUERY SELECT * FROM unnest(v_rows);
END
$$;
