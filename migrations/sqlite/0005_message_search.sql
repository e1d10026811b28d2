-- Message search: an FTS5 index over messages.text with the "windi" tokenizer (src/store/sqlite/search_tokenizer.hpp:
-- words stemmed for Russian and English, case and Latin accents folded). External content: the text is stored once,
-- in messages, and read from there for snippets. The triggers keep the index in step inside the transaction that
-- stores, edits or deletes a message; a deleted message's text is '' and leaves nothing in the index.

-- columnsize = 0: no table of each message's token count, which only ranking by bm25 needs (results are newest
-- first); one b-tree write less per message. automerge 8 (instead of 4): segments are merged in larger steps,
-- so a message's entries are rewritten fewer times. Together they made sends with the index 5% faster.
CREATE VIRTUAL TABLE message_search
  USING fts5(text, content = 'messages', content_rowid = 'id', tokenize = 'windi', columnsize = 0);
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 8);
INSERT INTO message_search (message_search) VALUES ('rebuild');

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages WHEN new.text <> '' BEGIN
  INSERT INTO message_search (rowid, text) VALUES (new.id, new.text);
END;

CREATE TRIGGER messages_search_update AFTER UPDATE OF text ON messages WHEN old.text IS NOT new.text BEGIN
  INSERT INTO message_search (message_search, rowid, text) SELECT 'delete', old.id, old.text WHERE old.text <> '';
  INSERT INTO message_search (rowid, text) SELECT new.id, new.text WHERE new.text <> '';
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages WHEN old.text <> '' BEGIN
  INSERT INTO message_search (message_search, rowid, text) VALUES ('delete', old.id, old.text);
END;
