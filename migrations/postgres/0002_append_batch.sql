-- Appends a batch of messages in one statement, so a group commit costs one round trip and one fsync.
-- p_batch: [{"ordinal": 0, "chat": 1, "sender": 2, "text": "...", "client_id": null, "created_at": 0}, ...]
-- One row per message, in ordinal order: its status ('ok', 'not_found': no such chat, 'forbidden': the sender is
-- not a member), the stored message (for 'ok'), whether (sender, client id) was seen before, and the chat's
-- member ids (to address the event without another query). The batch's chats are locked and read once,
-- members read once per chat, and the chats' counters and the senders' read positions written once per batch:
-- per message only the dedup lookup and the INSERT remain.
CREATE FUNCTION windi_append_messages(p_batch JSONB)
RETURNS TABLE (o_ordinal INT, o_status TEXT, o_id BIGINT, o_chat BIGINT, o_seq BIGINT, o_sender BIGINT,
               o_username TEXT, o_text TEXT, o_client_id TEXT, o_created_at BIGINT, o_duplicate BOOLEAN,
               o_members BIGINT[])
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
  v_last JSONB;              -- chat id -> last seq (only chats that exist; locked)
  v_members JSONB;           -- chat id -> [member ids]
  v_activity JSONB := '{}';  -- chat id -> created_at of its newest stored message
  v_read JSONB := '{}';      -- "chat:sender" -> seq of the sender's newest stored message
  v_key TEXT;
  v_seq BIGINT;
  v_id BIGINT;
  v_duplicate BOOLEAN;
  v_ordinals INT[] := '{}';
  v_statuses TEXT[] := '{}';
  v_ids BIGINT[] := '{}';
  v_duplicates BOOLEAN[] := '{}';
BEGIN
  -- Locked in id order: two batches over the same chats cannot deadlock.
  SELECT COALESCE(jsonb_object_agg(c.id::TEXT, c.last_seq), '{}') INTO v_last
    FROM (SELECT ch.id, ch.last_seq FROM chats ch
           WHERE ch.id IN (SELECT (e->>'chat')::BIGINT FROM jsonb_array_elements(p_batch) e)
           ORDER BY ch.id
             FOR NO KEY UPDATE) c;
  SELECT COALESCE(jsonb_object_agg(m.chat_id::TEXT, m.ids), '{}') INTO v_members
    FROM (SELECT cm.chat_id, jsonb_agg(cm.user_id ORDER BY cm.user_id) AS ids
            FROM chat_members cm
           WHERE cm.chat_id IN (SELECT k::BIGINT FROM jsonb_object_keys(v_last) k)
           GROUP BY cm.chat_id) m;

  FOR r IN SELECT * FROM jsonb_to_recordset(p_batch)
                 AS x(ordinal INT, chat BIGINT, sender BIGINT, text TEXT, client_id TEXT, created_at BIGINT)
           ORDER BY x.ordinal LOOP
    v_key := r.chat::TEXT;
    v_id := NULL;
    v_duplicate := NULL;
    IF NOT (v_last ? v_key) THEN
      v_statuses := v_statuses || 'not_found'::TEXT;
    ELSIF NOT (COALESCE(v_members->v_key, '[]') @> to_jsonb(r.sender)) THEN
      v_statuses := v_statuses || 'forbidden'::TEXT;
    ELSE
      v_duplicate := true;
      IF r.client_id IS NOT NULL THEN
        SELECT m.id INTO v_id FROM messages m WHERE m.sender_id = r.sender AND m.client_message_id = r.client_id;
      END IF;
      IF v_id IS NULL THEN
        v_seq := (v_last->>v_key)::BIGINT + 1;
        -- A concurrent send with the same client id into another chat holds no lock we take: the unique index
        -- decides, and the loser returns the winner's message (no seq is used up).
        INSERT INTO messages AS m (chat_id, seq, sender_id, text, client_message_id, created_at)
        VALUES (r.chat, v_seq, r.sender, r.text, r.client_id, r.created_at)
        ON CONFLICT (sender_id, client_message_id) DO NOTHING
        RETURNING m.id INTO v_id;
        IF v_id IS NOT NULL THEN
          v_duplicate := false;
          v_last := jsonb_set(v_last, ARRAY[v_key], to_jsonb(v_seq));
          v_activity := jsonb_set(v_activity, ARRAY[v_key], to_jsonb(r.created_at));
          v_read := jsonb_set(v_read, ARRAY[v_key || ':' || r.sender::TEXT], to_jsonb(v_seq));
        ELSE
          SELECT m.id INTO v_id FROM messages m WHERE m.sender_id = r.sender AND m.client_message_id = r.client_id;
        END IF;
      END IF;
      v_statuses := v_statuses || 'ok'::TEXT;
    END IF;
    v_ordinals := v_ordinals || r.ordinal;
    v_ids := v_ids || v_id;
    v_duplicates := v_duplicates || v_duplicate;
  END LOOP;

  UPDATE chats c
     SET last_seq = (v_last->>a.key)::BIGINT, last_activity_at = a.value::BIGINT
    FROM jsonb_each_text(v_activity) a
   WHERE c.id = a.key::BIGINT;
  -- The sender has read its own messages, so unread = last_seq - last_read_seq stays exact.
  UPDATE chat_members cm
     SET last_read_seq = GREATEST(cm.last_read_seq, rd.value::BIGINT)
    FROM jsonb_each_text(v_read) rd
   WHERE cm.chat_id = split_part(rd.key, ':', 1)::BIGINT AND cm.user_id = split_part(rd.key, ':', 2)::BIGINT;

  RETURN QUERY
    SELECT t.ordinal, t.status, m.id, m.chat_id, m.seq, m.sender_id, u.username, m.text, m.client_message_id,
           m.created_at, t.duplicate,
           (SELECT array_agg(x::BIGINT ORDER BY x::BIGINT)
              FROM jsonb_array_elements_text(v_members->(m.chat_id::TEXT)) x)
      FROM unnest(v_ordinals, v_statuses, v_ids, v_duplicates) AS t(ordinal, status, id, duplicate)
      LEFT JOIN messages m ON m.id = t.id
      LEFT JOIN users u ON u.id = m.sender_id
     ORDER BY t.ordinal;
END
$$;

-- The one-message function of 0001 is replaced by the batch above (a send alone is a batch of one).
DROP FUNCTION windi_append_message(BIGINT, BIGINT, TEXT, TEXT, BIGINT);
