#pragma once
// Every SQL statement the PostgreSQL store prepares. Column lists are shared with rows.hpp, which reads them
// back in this order.
#include "store/postgres/connection.hpp"

namespace windi::pg::sql {

// id, username, email, created_at
#define WINDI_USER_COLUMNS "u.id, u.username, u.email, u.created_at"
// id, chat_id, seq, sender_id, sender username, text, client_message_id, created_at
#define WINDI_MESSAGE_COLUMNS \
  "m.id, m.chat_id, m.seq, m.sender_id, u.username, m.text, m.client_message_id, m.created_at"
// user_id, username, role, last_read_seq, joined_at
#define WINDI_MEMBER_COLUMNS "cm.user_id, u.username, cm.role, cm.last_read_seq, cm.joined_at"
// id, kind, name, created_by, created_at, last_seq, last_activity_at
#define WINDI_CHAT_COLUMNS "c.id, c.kind, c.name, c.created_by, c.created_at, c.last_seq, c.last_activity_at"

// --- users

inline constexpr statement create_user{
    "create_user",
    "INSERT INTO users (username, email, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id"};

// The lower() term lets the unique index find the row; the second term makes the match exact.
inline constexpr statement find_credentials{"find_credentials",
                                            "SELECT " WINDI_USER_COLUMNS
                                            ", u.password_hash FROM users u "
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

// One row per member (or one row with NULL member columns for a chat without members).
inline constexpr statement get_chat{"get_chat", "SELECT " WINDI_CHAT_COLUMNS ", " WINDI_MEMBER_COLUMNS R"sql(
       FROM chats c
       LEFT JOIN chat_members cm ON cm.chat_id = c.id
       LEFT JOIN users u ON u.id = cm.user_id
       WHERE c.id = $1
       ORDER BY cm.joined_at, cm.user_id)sql"};

inline constexpr statement get_membership{"get_membership", "SELECT " WINDI_MEMBER_COLUMNS R"sql(
       FROM chat_members cm JOIN users u ON u.id = cm.user_id
       WHERE cm.chat_id = $1 AND cm.user_id = $2)sql"};

// The last message is found through (chat_id, seq), never by scanning a chat's messages.
inline constexpr statement list_chats{
    "list_chats", "SELECT " WINDI_CHAT_COLUMNS ", me.last_read_seq, " WINDI_MESSAGE_COLUMNS R"sql(
       FROM chat_members me
       JOIN chats c ON c.id = me.chat_id
       LEFT JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq
       LEFT JOIN users u ON u.id = m.sender_id
       WHERE me.user_id = $1
       ORDER BY c.last_activity_at DESC, c.id DESC)sql"};

inline constexpr statement members_of_chats{"members_of_chats",
                                            "SELECT cm.chat_id, " WINDI_MEMBER_COLUMNS R"sql(
       FROM chat_members cm JOIN users u ON u.id = cm.user_id
       WHERE cm.chat_id = ANY($1::bigint[])
       ORDER BY cm.chat_id, cm.joined_at, cm.user_id)sql"};

// No row when the chat or the user does not exist, or when the user already is a member.
inline constexpr statement add_member{"add_member", R"sql(
  WITH added AS (
    INSERT INTO chat_members (chat_id, user_id, role, joined_at)
    SELECT $1::bigint, $2::bigint, $3::text, $4::bigint
    WHERE EXISTS (SELECT 1 FROM chats WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)
    ON CONFLICT (chat_id, user_id) DO NOTHING
    RETURNING user_id, role, last_read_seq, joined_at)
  SELECT cm.user_id, u.username, cm.role, cm.last_read_seq, cm.joined_at
  FROM added cm JOIN users u ON u.id = cm.user_id)sql"};

inline constexpr statement remove_member{"remove_member", "SELECT windi_remove_member($1, $2)"};

// --- messages

inline constexpr statement append_messages{"append_messages",
                                           "SELECT * FROM windi_append_messages($1::jsonb)"};

inline constexpr statement get_message{"get_message", "SELECT " WINDI_MESSAGE_COLUMNS
                                                      " FROM messages m JOIN users u ON u.id = m.sender_id "
                                                      "WHERE m.id = $1"};

// History pages walk the (chat_id, seq) index from a known seq, so depth costs nothing. Seqs are dense
// (assigned under the chat lock, never deleted), so an offset from the newest is a seq bound too.
// The newest-first pages come back descending; the store reverses them.
inline constexpr statement history_latest{"history_latest", "SELECT " WINDI_MESSAGE_COLUMNS R"sql(
       FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.chat_id = $1 AND m.seq <= (SELECT c.last_seq FROM chats c WHERE c.id = $1) - $2
       ORDER BY m.seq DESC LIMIT $3)sql"};

inline constexpr statement history_before{"history_before", "SELECT " WINDI_MESSAGE_COLUMNS R"sql(
       FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.chat_id = $1 AND m.seq < $2
       ORDER BY m.seq DESC LIMIT $3)sql"};

inline constexpr statement history_after{"history_after", "SELECT " WINDI_MESSAGE_COLUMNS R"sql(
       FROM messages m JOIN users u ON u.id = m.sender_id
       WHERE m.chat_id = $1 AND m.seq > $2
       ORDER BY m.seq ASC LIMIT $3)sql"};

inline constexpr statement mark_read{"mark_read", "SELECT * FROM windi_mark_read($1, $2, $3)"};

// --- operations

inline constexpr statement ping{"ping", "SELECT 1"};

#undef WINDI_USER_COLUMNS
#undef WINDI_MESSAGE_COLUMNS
#undef WINDI_MEMBER_COLUMNS
#undef WINDI_CHAT_COLUMNS

}  // namespace windi::pg::sql
