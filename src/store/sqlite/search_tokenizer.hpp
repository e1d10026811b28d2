#pragma once
// The FTS5 tokenizer "windi" that the message search index uses (migrations/sqlite/0005_message_search.sql):
// FTS5's own unicode61 splits the text into words and folds their case, then each word is reduced to its stem
// with a Snowball stemmer from libstemmer (Russian for a word with Cyrillic letters, English otherwise), with
// the accents of Latin letters removed. Queries go through the same steps, so "messages" finds "message",
// "сообщения" finds "сообщение" and "cafe" finds "Café"; positions and byte offsets stay those of the
// original words, so phrases, snippets and highlights work on the text as written.
#include <sqlite3.h>

namespace windi::sqlite {

// Registers the tokenizer on this connection; every connection that writes messages or searches needs it.
void register_search_tokenizer(sqlite3* db);

}  // namespace windi::sqlite
