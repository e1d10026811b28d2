-- Appends a batch of messages in one statement, so a group commit costs one round trip and one fsync.
-- p_batch: [{"ordinal": 0, "chat": 1, "sender": 2, "text": "...", "client_id": null, "created_at": 0}, ...]
-- One row per message, as windi_append_message returns it, tagged with its ordinal and the chat's member ids
-- (to address the event without another query).
CREATE FUNCTION windi_append_messages(p_batch JSONB)
RETURNS TABLE (o_ordinal INT, o_status TEXT, o_id BIGINT, o_chat BIGINT, o_seq BIGINT, o_sender BIGINT,
               o_username TEXT, o_text TEXT, o_client_id TEXT, o_created_at BIGINT, o_duplicate BOOLEAN,
               o_members BIGINT[])
LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  -- Every chat of the batch is locked up front in id order: two batches over the same chats cannot deadlock.
  PERFORM 1 FROM chats c
   WHERE c.id IN (SELECT (e->>'chat')::BIGINT FROM jsonb_array_elements(p_batch) e)
   ORDER BY c.id
     FOR NO KEY UPDATE;
  FOR r IN SELECT * FROM jsonb_to_recordset(p_batch)
                 AS x(ordinal INT, chat BIGINT, sender BIGINT, text TEXT, client_id TEXT, created_at BIGINT)
           ORDER BY x.ordinal LOOP
    RETURN QUERY
      SELECT r.ordinal, a.*,
             (SELECT array_agg(cm.user_id ORDER BY cm.user_id) FROM chat_members cm WHERE cm.chat_id = r.chat)
        FROM windi_append_message(r.chat, r.sender, r.text, r.client_id, r.created_at) a;
  END LOOP;
END
$$;
