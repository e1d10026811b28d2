#pragma once
// Domain values shared by services, stores and transports. Times are microseconds since the Unix epoch (UTC).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace windi {

using user_id = std::int64_t;
using chat_id = std::int64_t;
using message_id = std::int64_t;
using micros = std::int64_t;

struct user {
  user_id id = 0;
  std::string username;
  std::string email;
  micros created_at = 0;
};

struct user_credentials {
  user account;
  std::string password_hash;
};

struct new_user {
  std::string username;
  std::string email;
  std::string password_hash;
  micros created_at = 0;
};

enum class chat_kind { private_chat, group };
enum class member_role { member, admin };

struct member {
  user_id id = 0;
  std::string username;
  member_role role = member_role::member;
  std::int64_t last_read_seq = 0;
  micros joined_at = 0;
};

struct chat {
  chat_id id = 0;
  chat_kind kind = chat_kind::group;
  std::string name;  // empty for private chats
  user_id created_by = 0;
  micros created_at = 0;
  std::int64_t last_seq = 0;  // sequence number of the newest message, 0 when empty
  micros last_activity_at = 0;
  std::vector<member> members;
};

struct message {
  message_id id = 0;
  chat_id chat = 0;
  std::int64_t seq = 0;  // per chat, strictly increasing in commit order
  user_id sender_id = 0;
  std::string sender_username;
  std::string text;
  std::optional<std::string> client_message_id;
  micros created_at = 0;
};

struct new_message {
  chat_id chat = 0;
  user_id sender_id = 0;
  std::string text;
  std::optional<std::string> client_message_id;
  micros created_at = 0;
};

struct appended_message {
  message stored;
  bool duplicate = false;  // true when client_message_id matched an earlier send: nothing new was stored
  std::vector<user_id>
      members;  // the chat's members when it was stored, to address the event without a query
};

// One entry of a user's chat list.
struct chat_summary {
  chat info;  // with members
  std::optional<message> last_message;
  std::int64_t unread_count = 0;
  std::int64_t my_last_read_seq = 0;
};

// History page selection: at most one of before_seq / after_seq; otherwise offset counts back from the
// newest.
struct history_query {
  chat_id chat = 0;
  int limit = 20;
  int offset = 0;
  std::optional<std::int64_t> before_seq;
  std::optional<std::int64_t> after_seq;
};

struct read_marker {
  chat_id chat = 0;
  user_id reader = 0;
  std::int64_t last_read_seq = 0;
  bool advanced = false;  // false when the watermark already was at or past the requested point
};

}  // namespace windi
