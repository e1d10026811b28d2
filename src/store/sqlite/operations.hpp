#pragma once
// The store's operations as plain blocking functions over one connection. Each runs one whole transaction
// and is called only on the store's own thread (sqlite_store.cpp). They may throw sqlite_error; the store
// turns that into errc::unavailable or errc::internal.
#include "core/error.hpp"
#include "core/types.hpp"
#include "store/sqlite/connection.hpp"
#include "store/store.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi::sqlite {

// users.cpp
outcome<user> create_user(connection& db, new_user const& u);
outcome<user_credentials> find_credentials(connection& db, std::string const& username);
outcome<user> get_user(connection& db, user_id id);
outcome<std::vector<user>> search_users(connection& db, std::string const& prefix, user_id except, int limit);
outcome<credential_state> get_credential_state(connection& db, user_id user, micros now);
outcome<void> revoke_token(connection& db, user_id user, std::string const& token_id, micros expires_at,
                           micros now);
outcome<std::int64_t> set_password(connection& db, user_id user, std::string const& password_hash);

// chats.cpp
outcome<store::private_chat_result> find_or_create_private_chat(connection& db, user_id a, user_id b,
                                                                micros now);
outcome<chat> create_group_chat(connection& db, user_id creator, std::string const& name,
                                std::vector<user_id> member_ids, micros now);
outcome<chat> get_chat(connection& db, chat_id id);
outcome<std::optional<member>> get_membership(connection& db, chat_id chat, user_id user);
outcome<std::vector<chat_id>> chat_ids_of(connection& db, user_id user);
outcome<std::vector<user_id>> contacts_of(connection& db, user_id user);
outcome<chat_change> add_member(connection& db, chat_id chat, user_id user, member_role role, micros now);
outcome<chat_change> remove_member(connection& db, chat_id chat, user_id user);
outcome<chat_change> rename_chat(connection& db, chat_id chat, std::string const& name);

// messages.cpp
// All of `batch` in one write transaction (one fsync); one outcome per message, in order.
std::vector<outcome<appended_message>> append_messages(connection& db, std::vector<new_message> const& batch);
outcome<std::vector<message>> history(connection& db, history_query const& q);
outcome<message> get_message(connection& db, message_id id);
outcome<read_marker> mark_read(connection& db, chat_id chat, user_id reader, std::int64_t up_to_seq);
outcome<std::vector<chat_summary>> list_chats(connection& db, user_id user);

// files.cpp
outcome<file_record> create_file(connection& db, new_file const& f);
outcome<file_record> get_file(connection& db, file_id id, user_id reader);
outcome<file_record> get_chat_file(connection& db, file_id id, chat_id chat);
outcome<std::int64_t> stored_bytes(connection& db, user_id owner);
// The files a message will hold, in order: each must exist and be the sender's (errc::validation on
// "attachments" otherwise). Inside the caller's transaction.
outcome<std::vector<attachment>> attachable_files(connection& db, user_id sender,
                                                  std::vector<file_id> const& ids);
// Records that message `id` holds `files`. Inside the caller's transaction.
void attach_files(connection& db, message_id id, std::vector<attachment> const& files);
// Lets go of the message's files: those no other message holds are removed, and the blobs no file uses any
// more released at `now`. Inside the caller's transaction.
void detach_files(connection& db, message_id id, micros now);
outcome<int> remove_unattached_files(connection& db, micros created_before, int limit, micros now);
outcome<std::vector<std::string>> released_blobs(connection& db, micros released_before, int limit);
outcome<void> forget_released_blob(connection& db, std::string const& blob);

// changes.cpp: changes to stored messages.
outcome<message_change> edit_message(connection& db, message_id id, user_id editor, std::string const& text,
                                     micros now);
outcome<message_change> delete_message(connection& db, message_id id, user_id by, micros now);
outcome<message_change> set_reaction(connection& db, message_id id, user_id user, std::string const& emoji,
                                     bool present, int max_distinct, micros now);
outcome<changes_page> changes_since(connection& db, chat_id chat, std::int64_t after_change, int limit);

// search.cpp
outcome<std::vector<search_hit>> search_messages(connection& db, search_request const& q);

// schema.cpp
outcome<int> migrate(connection& db, micros now);
// Gives every user without a username key (registered before keys existed) its key.
void fill_username_keys(connection& db);

// SQL text joined at compile time, so shared column lists cost nothing per call.
template <std::size_t N>
struct sql_text {
  char chars[N];
  constexpr operator std::string_view() const { return {chars, N - 1}; }
};

template <std::size_t N, std::size_t M>
constexpr sql_text<N + M - 1> concat(char const (&head)[N], char const (&tail)[M]) {
  sql_text<N + M - 1> out{};
  for (std::size_t i = 0; i + 1 < N; ++i) out.chars[i] = head[i];
  for (std::size_t i = 0; i < M; ++i) out.chars[N - 1 + i] = tail[i];
  return out;
}

// rows.cpp: shared by the files above; they run inside the caller's transaction.
// A message with the preview of the message it replies to (as that one is now); reactions come separately
// (load_reactions), one query per page.
#define WINDI_SQLITE_MESSAGE_COLUMNS                                                                  \
  "m.id, m.chat_id, m.seq, m.sender_id, u.username, m.text, m.client_message_id, m.created_at, "      \
  "m.change_seq, m.edited_at, m.deleted_at, r.id, r.sender_id, ru.username, substr(r.text, 1, 100), " \
  "r.deleted_at, m.attachments "
#define WINDI_SQLITE_MESSAGE_JOINS                                                   \
  "JOIN users u ON u.id = m.sender_id LEFT JOIN messages r ON r.id = m.reply_to_id " \
  "LEFT JOIN users ru ON ru.id = r.sender_id "
inline constexpr char select_message_sql[] =
    "SELECT " WINDI_SQLITE_MESSAGE_COLUMNS "FROM messages m " WINDI_SQLITE_MESSAGE_JOINS;
inline constexpr int message_column_count = 17;
message read_message(statement const& s, int first);
// Fills in the reactions of every message given, with one query.
void load_reactions(connection& db, std::vector<message>& messages);
void load_reactions(connection& db, message& m);
// Takes the chat's next change number; the caller's write transaction holds the chat.
std::int64_t next_change(connection& db, chat_id chat);
std::vector<user_id> member_ids_of(connection& db, chat_id chat);

inline constexpr char select_chat_sql[] =
    "SELECT c.id, c.kind, c.name, c.created_by, c.created_at, c.last_seq, c.last_activity_at, c.last_change "
    "FROM chats c ";
inline constexpr int chat_column_count = 8;
chat read_chat(statement const& s, int first);

inline constexpr char select_member_sql[] =
    "SELECT cm.user_id, u.username, cm.role, cm.last_read_seq, cm.joined_at "
    "FROM chat_members cm JOIN users u ON u.id = cm.user_id ";
inline constexpr int member_column_count = 5;
member read_member(statement const& s, int first);

char const* role_name(member_role role);
bool user_exists(connection& db, user_id id);
// The chat with its members, or nullopt.
std::optional<chat> load_chat(connection& db, chat_id id);

}  // namespace windi::sqlite
