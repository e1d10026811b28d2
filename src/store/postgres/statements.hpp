#pragma once
// Every SQL statement the PostgreSQL store prepares. Column lists are shared with rows.hpp, which reads them
// back in this order.
#include "store/postgres/connection.hpp"

namespace windi::pg::sql {

// id, username, email, created_at
#define WINDI_USER_COLUMNS "u.id, u.username, u.email, u.created_at"
// user_id, username, role, last_read_seq, joined_at
#define WINDI_MEMBER_COLUMNS "cm.user_id, u.username, cm.role, cm.last_read_seq, cm.joined_at"

// Chats are read as windi_chat_rows (migrations/postgres/0004) returns them: id, kind, name, created_by,
// created_at, last_seq, last_change, last_activity_at, then the member columns above.
// Messages are read through windi_message_view, whose 16 columns rows.cpp reads in order: id, chat_id, seq,
// change_seq, sender_id, sender_username, text, client_message_id, created_at, edited_at, deleted, then the
// reply preview: reply_id, reply_sender_id, reply_sender_username, reply_text, reply_deleted. Every message
// result carries its reactions right after (windi_reactions' JSON array, NULL when there are none).

// --- users

inline constexpr statement create_user{"create_user",
                                       "INSERT INTO users (username, email, password_hash, created_at, "
                                       "username_key) VALUES ($1, $2, $3, $4, $5) "
                                       "RETURNING id"};

// The lower() term lets the unique index find the row; the second term makes the match exact.
inline constexpr statement find_credentials{"find_credentials",
                                            "SELECT " WINDI_USER_COLUMNS
                                            ", u.password_hash, u.token_generation FROM users u "
                                            "WHERE lower(u.username) = lower($1) AND u.username = $1"};

inline constexpr statement get_user{"get_user", "SELECT " WINDI_USER_COLUMNS " FROM users u WHERE u.id = $1"};

// LIKE wildcards in the prefix are escaped so they match literally. COLLATE "C": byte order, like SQLite's,
// whatever the database's default collation.
inline constexpr statement search_users{"search_users", "SELECT " WINDI_USER_COLUMNS R"sql( FROM users u
       WHERE lower(u.username) LIKE
             replace(replace(replace(lower($1), '\', '\\'), '%', '\%'), '_', '\_') || '%' ESCAPE '\'
         AND u.id <> $2
       ORDER BY u.username COLLATE "C"
       LIMIT $3)sql"};

// --- chats

// $1 creator, $2 the other user, $3 now, $4 private key. No row when the chat already exists (the unique key
// waits for a concurrent creator to commit) or when a user does not exist.
inline constexpr statement create_private_chat{"create_private_chat", R"sql(
  WITH pair AS (SELECT DISTINCT unnest(ARRAY[$1::bigint, $2::bigint]) AS id),
  created AS (
    INSERT INTO chats (kind, name, created_by, created_at, last_activity_at, private_key)
    SELECT 'private', '', $1::bigint, $3::bigint, $3::bigint, $4::text
    WHERE (SELECT count(*) FROM users WHERE id IN (SELECT id FROM pair)) = (SELECT count(*) FROM pair)
    ON CONFLICT (private_key) DO NOTHING
    RETURNING id),
  joined AS (
    INSERT INTO chat_members (chat_id, user_id, role, joined_at)
    SELECT created.id, pair.id, 'member', $3::bigint FROM created CROSS JOIN pair)
  SELECT id FROM created)sql"};

inline constexpr statement find_private_chat{"find_private_chat",
                                             "SELECT id FROM chats WHERE private_key = $1"};

// $1 creator, $2 name, $3 member ids, $4 now. No row when a user does not exist.
inline constexpr statement create_group_chat{"create_group_chat", R"sql(
  WITH invited AS (SELECT DISTINCT x AS id FROM unnest($3::bigint[]) AS x WHERE x <> $1::bigint),
  created AS (
    INSERT INTO chats (kind, name, created_by, created_at, last_activity_at)
    SELECT 'group', $2::text, $1::bigint, $4::bigint, $4::bigint
    WHERE (SELECT count(*) FROM users WHERE id = $1 OR id IN (SELECT id FROM invited))
          = (SELECT count(*) FROM invited) + 1
    RETURNING id),
  joined AS (
    INSERT INTO chat_members (chat_id, user_id, role, joined_at)
    SELECT created.id, $1::bigint, 'admin', $4::bigint FROM created
    UNION ALL
    SELECT created.id, invited.id, 'member', $4::bigint FROM created CROSS JOIN invited)
  SELECT id FROM created)sql"};

// The chat's columns, then one member per row (one row with NULL member columns for a chat without members).
inline constexpr statement get_chat{"get_chat", "SELECT * FROM windi_chat_rows($1)"};

inline constexpr statement get_membership{"get_membership", "SELECT " WINDI_MEMBER_COLUMNS R"sql(
       FROM chat_members cm JOIN users u ON u.id = cm.user_id
       WHERE cm.chat_id = $1 AND cm.user_id = $2)sql"};

// The chat's columns, my last_read_seq, the last message and its reactions. The last message is found through
// (chat_id, seq) = (id, last_seq), a LATERAL probe the planner cannot turn into a scan of messages; the
// reactions of all the last messages are gathered as for pages (WINDI_PAGE, below).
inline constexpr statement list_chats{"list_chats", R"sql(
  WITH list AS MATERIALIZED (
    SELECT c.id AS c_id, c.kind AS c_kind, c.name AS c_name, c.created_by AS c_created_by,
           c.created_at AS c_created_at, c.last_seq AS c_last_seq, c.last_change AS c_last_change,
           c.last_activity_at AS c_last_activity_at, me.last_read_seq AS my_last_read_seq, lm.*
      FROM chat_members me
      JOIN chats c ON c.id = me.chat_id
      LEFT JOIN LATERAL (SELECT v.* FROM windi_message_view v WHERE v.chat_id = c.id AND v.seq = c.last_seq
                          LIMIT 1) lm ON true
     WHERE me.user_id = $1),
  reactions AS MATERIALIZED (
    SELECT jsonb_object_agg(x.message_id, x.reactions) AS by_id
      FROM (SELECT array_agg(l0.id) AS ids FROM list l0) k, LATERAL windi_reactions(k.ids) x)
  SELECT l.*, r.by_id -> l.id::text
    FROM list l, reactions r
   ORDER BY l.c_last_activity_at DESC, l.c_id DESC)sql"};

inline constexpr statement chat_ids_of{"chat_ids_of", "SELECT chat_id FROM chat_members WHERE user_id = $1"};

// Through chat_members_user for the user's chats, then the primary key (chat_id, user_id) for their members.
inline constexpr statement contacts_of{"contacts_of", R"sql(
  SELECT DISTINCT other.user_id
    FROM chat_members me JOIN chat_members other ON other.chat_id = me.chat_id
   WHERE me.user_id = $1 AND other.user_id <> $1)sql"};

inline constexpr statement members_of_chats{"members_of_chats",
                                            "SELECT cm.chat_id, " WINDI_MEMBER_COLUMNS R"sql(
       FROM chat_members cm JOIN users u ON u.id = cm.user_id
       WHERE cm.chat_id = ANY($1::bigint[])
       ORDER BY cm.chat_id, cm.joined_at, cm.user_id)sql"};

// The chat changes: the outcome (status, change number, audience), then the chat as get_chat reads it.
inline constexpr statement add_member{"add_member", "SELECT * FROM windi_add_member($1, $2, $3, $4)"};
inline constexpr statement remove_member{"remove_member", "SELECT * FROM windi_remove_member($1, $2)"};
inline constexpr statement rename_chat{"rename_chat", "SELECT * FROM windi_rename_chat($1, $2)"};

// --- messages

inline constexpr statement append_messages{"append_messages",
                                           "SELECT * FROM windi_append_messages($1::jsonb)"};

// The message changes: the outcome (status, change number, member ids), then the message and its reactions.
inline constexpr statement edit_message{"edit_message", "SELECT * FROM windi_edit_message($1, $2, $3, $4)"};
inline constexpr statement delete_message{"delete_message", "SELECT * FROM windi_delete_message($1, $2, $3)"};
inline constexpr statement set_reaction{"set_reaction",
                                        "SELECT * FROM windi_set_reaction($1, $2, $3, $4, $5, $6)"};

inline constexpr statement get_message{"get_message", R"sql(
  SELECT v.*, (SELECT x.reactions FROM windi_reactions(ARRAY[v.id]) x)
    FROM windi_message_view v WHERE v.id = $1)sql"};

// Pages of messages, each with its reactions: the page is picked by an index range scan that stops at the
// limit (on (chat_id, seq) for history, (chat_id, change_seq) for changes), so depth costs nothing. The
// reactions of the whole page come from one windi_reactions over the page's ids (one index probe per id; its
// argument is a column, not a subquery, so PostgreSQL inlines it into the statement's cached plan), gathered
// into one JSONB object by message id that each row looks itself up in: no join for the planner to get wrong
// when it misjudges the page's size (a nested loop over a few hundred rows on each side was 100 ms).
// Ascending order.
#define WINDI_PAGE(selection, order)                                                           \
  "WITH page AS MATERIALIZED (SELECT v.* FROM windi_message_view v WHERE " selection           \
  "), reactions AS MATERIALIZED (SELECT jsonb_object_agg(x.message_id, x.reactions) AS by_id " \
  "FROM (SELECT array_agg(p0.id) AS ids FROM page p0) k, LATERAL windi_reactions(k.ids) x) "   \
  "SELECT p.*, r.by_id -> p.id::text FROM page p, reactions r ORDER BY " order

// Seqs are dense (assigned under the chat lock; a deleted message stays as a tombstone), so an offset from
// the newest is a seq bound too.
inline constexpr statement history_latest{
    "history_latest",
    WINDI_PAGE("v.chat_id = $1 AND v.seq <= (SELECT c.last_seq FROM chats c WHERE c.id = $1) - $2 "
               "ORDER BY v.seq DESC LIMIT $3",
               "p.seq")};

inline constexpr statement history_before{
    "history_before", WINDI_PAGE("v.chat_id = $1 AND v.seq < $2 ORDER BY v.seq DESC LIMIT $3", "p.seq")};

inline constexpr statement history_after{
    "history_after", WINDI_PAGE("v.chat_id = $1 AND v.seq > $2 ORDER BY v.seq LIMIT $3", "p.seq")};

// Read after chat_last_change ($4), in a later snapshot: every change up to that number is in these rows.
// Changes committed in between are left out: they are newer than the number the caller is told it has
// seen, so they reach it live, and once only.
inline constexpr statement changes_since{
    "changes_since",
    WINDI_PAGE("v.chat_id = $1 AND v.change_seq > $2 AND v.change_seq <= $4 ORDER BY v.change_seq LIMIT $3",
               "p.change_seq")};

inline constexpr statement chat_last_change{"chat_last_change",
                                            "SELECT last_change FROM chats WHERE id = $1"};

#undef WINDI_PAGE

inline constexpr statement mark_read{"mark_read", "SELECT * FROM windi_mark_read($1, $2, $3)"};

// --- search

// $1 the searcher, $2 the required terms (each a word, or a phrase's words separated by spaces), $3 the
// excluded terms, $4 the prefix (or NULL), $5 only these chats (empty: all), $6 only this sender (or NULL),
// $7 only ids below (or NULL), $8 the limit. The matches are picked by windi_search_ids
// (migrations/postgres/0007), which plans its query for the actual words and chats; then, for that page only,
// each message as the page statements above read it (newest first), its reactions, its chat's name as the
// searcher sees it (a private chat's is the other member's username, from the chat's key "<min id>:<max id>",
// so it stays after they leave) and its snippet, marked from the message's stored search vector.
inline constexpr statement search_messages{"search_messages", R"sql(
  WITH found AS MATERIALIZED (
    SELECT f.id FROM windi_search_ids($1::bigint, windi_search_query($2::text[], $3::text[], $4::text),
                                      $5::bigint[], $6::bigint, $7::bigint, $8::int) AS f(id)),
  page AS MATERIALIZED (
    SELECT v.* FROM windi_message_view v WHERE v.id = ANY (ARRAY(SELECT f.id FROM found f))),
  reactions AS MATERIALIZED (
    SELECT jsonb_object_agg(x.message_id, x.reactions) AS by_id
      FROM (SELECT array_agg(p0.id) AS ids FROM page p0) k, LATERAL windi_reactions(k.ids) x),
  marks AS MATERIALIZED (SELECT windi_search_marks($2::text[], $4::text) AS q)
  SELECT p.*, r.by_id -> p.id::text,
         (SELECT CASE WHEN c.kind = 'group' THEN c.name
                      ELSE (SELECT u.username FROM users u
                             WHERE u.id = CASE WHEN split_part(c.private_key, ':', 1)::bigint = $1::bigint
                                               THEN split_part(c.private_key, ':', 2)::bigint
                                               ELSE split_part(c.private_key, ':', 1)::bigint END) END
            FROM chats c WHERE c.id = p.chat_id),
         windi_search_snippet(p.text, (SELECT m.search FROM messages m WHERE m.id = p.id), k.q)
    FROM page p, reactions r, marks k
   ORDER BY p.id DESC)sql"};

// --- operations

inline constexpr statement ping{"ping", "SELECT 1"};

#undef WINDI_USER_COLUMNS
#undef WINDI_MEMBER_COLUMNS

}  // namespace windi::pg::sql
