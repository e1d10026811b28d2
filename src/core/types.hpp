#pragma once
// Domain values shared by services, stores and transports. Times are microseconds since the Unix epoch (UTC).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace windi {

using user_id = std::int64_t;
using chat_id = std::int64_t;
using message_id = std::int64_t;
using micros = std::int64_t;
using file_id = std::int64_t;

struct user {
  user_id id = 0;
  std::string username;
  std::string email;
  micros created_at = 0;
};

struct user_credentials {
  user account;
  std::string password_hash;
  std::int64_t token_generation = 0;  // tokens carry it; a password change raises it
};

// What a token is checked against besides its signature and expiry: tokens issued before the user's
// current generation (a password change) and tokens revoked one by one (logout) no longer count.
struct credential_state {
  std::int64_t token_generation = 0;
  std::vector<std::string> revoked_token_ids;  // only those not yet expired
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
  std::int64_t last_seq = 0;     // sequence number of the newest message, 0 when empty
  std::int64_t last_change = 0;  // number of the chat's newest change (see message::change_seq), 0 when none
  micros last_activity_at = 0;
  std::vector<member> members;
};

// What a reply shows of the message it answers, as that message is now.
struct reply_preview {
  message_id id = 0;
  user_id sender_id = 0;
  std::string sender_username;
  std::string text;  // the first reply_preview_chars characters; empty when deleted
  bool deleted = false;
};
inline constexpr int reply_preview_chars = 100;

struct reaction_summary {
  std::string emoji;
  std::int64_t count = 0;
  std::vector<user_id> user_ids;  // the first reaction_user_ids_shown reacting users, oldest first
};
inline constexpr int reaction_user_ids_shown = 10;

// A file a message carries, as the message shows it. What the file is never changes after its upload, so the
// message keeps a copy: showing a page of history needs no join.
struct attachment {
  file_id id = 0;
  std::string name;
  std::int64_t size = 0;
  std::string content_type;
  std::optional<int> width;
  std::optional<int> height;
  bool has_thumbnail = false;
  // Signed download URLs for members of the message's chat (core/file_urls.hpp), filled in by the services
  // on the way out; the store leaves them empty.
  std::string url;
  std::optional<std::string> thumbnail_url;
};
inline constexpr int max_attachments_per_message = 10;

struct message {
  message_id id = 0;
  chat_id chat = 0;
  std::int64_t seq = 0;  // per chat, strictly increasing in commit order; a deleted message keeps its seq
  // The chat's change number of this message's last change (its send, an edit, its deletion, a reaction).
  std::int64_t change_seq = 0;
  user_id sender_id = 0;
  std::string sender_username;
  std::string text;  // empty once deleted: the text is erased from the store
  std::optional<std::string> client_message_id;
  micros created_at = 0;
  std::optional<micros> edited_at;
  bool deleted = false;
  std::optional<reply_preview> reply_to;
  std::vector<reaction_summary> reactions;  // in order of each emoji's first reaction
  std::vector<attachment> attachments;      // in the order sent; none once deleted
};

struct new_message {
  chat_id chat = 0;
  user_id sender_id = 0;
  std::string text;
  std::optional<std::string> client_message_id;
  micros created_at = 0;
  std::optional<message_id> reply_to;     // a message of the same chat, not deleted
  std::vector<file_id> attachments = {};  // files the sender uploaded, in the order to show them
};

struct appended_message {
  message stored;
  bool duplicate = false;  // true when client_message_id matched an earlier send: nothing new was stored
  std::vector<user_id>
      members;  // the chat's members when it was stored, to address the event without a query
};

// A committed change to a message: its state afterwards, the change number it took (0 when the call changed
// nothing, e.g. a repeated reaction, so there is no event), and the chat's members at that moment.
struct message_change {
  message stored;
  std::int64_t change = 0;
  std::vector<user_id> members;
  int read_by = 0;  // members other than the sender who have read it, when the change committed
};

// A committed change to a chat's membership or name. `audience`: who sees the event, the chat's members
// before the change and after it (a removed member learns of the removal, then nothing more).
struct chat_change {
  chat info;                // after the change, with members
  std::int64_t change = 0;  // 0 when nothing changed
  std::vector<user_id> audience;
};

// What changed in a chat after a change number: the chat's newest change number, read before the messages (so
// every change up to it is reflected in them), and the messages changed after the given number, as they are
// now, in change order.
struct changes_page {
  std::int64_t last_change = 0;
  std::vector<message> messages;
  bool truncated = false;  // more than the limit changed: `messages` is not all of them
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

// An uploaded file. Its bytes are a blob (files/blob_store.hpp) named by their SHA-256; the record says who
// uploaded it, under what name, and what the server found the bytes to be.
struct file_record {
  file_id id = 0;
  user_id owner = 0;
  std::string name;          // the uploader's file name, cleaned (core/file_names.hpp)
  std::int64_t size = 0;     // bytes of the blob served
  std::string content_type;  // sniffed from the bytes, never the client's word
  std::optional<int> width;  // images: the displayed size, after EXIF orientation
  std::optional<int> height;
  std::string blob;                      // SHA-256 of the bytes served
  std::optional<std::string> thumbnail;  // SHA-256 of a WebP thumbnail (images only)
  std::int64_t thumbnail_size = 0;       // bytes of the thumbnail
  micros created_at = 0;
};

struct new_file {
  user_id owner = 0;
  std::string name;
  std::int64_t size = 0;
  std::string content_type;
  std::optional<int> width;
  std::optional<int> height;
  std::string blob;
  std::optional<std::string> thumbnail;
  std::int64_t thumbnail_size = 0;
  micros created_at = 0;
};

// The attachment a file makes, its URLs not yet signed.
inline attachment attachment_of(file_record const& f) {
  attachment a;
  a.id = f.id;
  a.name = f.name;
  a.size = f.size;
  a.content_type = f.content_type;
  a.width = f.width;
  a.height = f.height;
  a.has_thumbnail = f.thumbnail.has_value();
  return a;
}

// Resume (core/sync_service.hpp).
struct sync_request {
  std::map<chat_id, std::int64_t> seen_changes;  // the change cursor: last change number seen per chat
  std::map<chat_id, std::int64_t> seen_seqs;     // the older cursor: last message seq seen per chat
};

struct sync_entry {
  chat_summary summary;          // the chat (members, last_seq, last_change) and the caller's read state
  bool resync_required = false;  // more was missed than a sync replays: reload the chat's history
  // By change number for the change cursor (every message changed after it, as it is now), by seq for the
  // seq cursor (every message sent after it).
  std::vector<message> messages;
};

struct sync_result {
  std::vector<sync_entry> chats;  // every chat the caller is a member of now
  std::vector<user_id> online;    // of the people in those chats
  // Per chat, the change number up to which the answer carries every change: live events of a chat up to it
  // that arrived while the answer was assembled are already in it.
  std::map<chat_id, std::int64_t> covered;
};

}  // namespace windi
