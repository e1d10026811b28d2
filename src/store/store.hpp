#pragma once
// The persistence seam. Two implementations (sqlite/, postgres/) honour one contract, tested by
// tests/contract/store_contract_test.cpp. Each call is one transaction: the store never leaves one open.
// Calls may be made from any thread; the returned awaitable completes on the caller's executor.
#include "core/error.hpp"
#include "core/search_query.hpp"
#include "core/types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace windi {

struct pool_stats;  // store/pool_stats.hpp

template <class T>
using task = boost::asio::awaitable<T>;

struct store_health {
  std::string backend;  // "sqlite" or "postgresql"
  bool ok = false;
  std::string detail;
};

class store {
 public:
  virtual ~store() = default;

  // --- users
  // errc::conflict with detail "Username already registered" / "Email already registered".
  virtual task<outcome<user>> create_user(new_user u) = 0;
  // errc::not_found when absent. Username match is exact (usernames are stored as given).
  virtual task<outcome<user_credentials>> find_credentials(std::string username) = 0;
  virtual task<outcome<user>> get_user(user_id id) = 0;
  // Usernames starting with `prefix` (case-insensitive), ordered by username, excluding `except`.
  virtual task<outcome<std::vector<user>>> search_users(std::string prefix, user_id except, int limit) = 0;

  // --- credentials (token revocation)
  // The user's token generation and the ids of its revoked tokens that expire after `now`.
  // errc::not_found when the user does not exist.
  virtual task<outcome<credential_state>> get_credential_state(user_id user, micros now) = 0;
  // Records a revoked token until its expiry (idempotent); revocations expired before `now` are removed in
  // passing. errc::not_found when the user does not exist.
  virtual task<outcome<void>> revoke_token(user_id user, std::string token_id, micros expires_at,
                                           micros now) = 0;
  // Replaces the password hash and raises the token generation, so every token issued before no longer
  // counts. Returns the new generation. errc::not_found when the user does not exist.
  virtual task<outcome<std::int64_t>> set_password(user_id user, std::string password_hash) = 0;

  // --- chats
  // Returns the private chat of the two users, creating it when there is none (also under concurrency:
  // exactly one chat per pair). `created` tells which happened. Both users must exist (else not_found).
  struct private_chat_result {
    chat info;
    bool created = false;
  };
  virtual task<outcome<private_chat_result>> find_or_create_private_chat(user_id a, user_id b,
                                                                         micros now) = 0;
  // The creator becomes admin; member_ids (deduplicated, creator excluded) become members.
  // errc::not_found when a member id does not exist.
  virtual task<outcome<chat>> create_group_chat(user_id creator, std::string name,
                                                std::vector<user_id> member_ids, micros now) = 0;
  // With members. errc::not_found when absent.
  virtual task<outcome<chat>> get_chat(chat_id id) = 0;
  // The member record, or nullopt when the user is not a member (or the chat does not exist).
  virtual task<outcome<std::optional<member>>> get_membership(chat_id chat, user_id user) = 0;
  // The user's chats, newest activity first (last message time, or creation time for empty chats).
  virtual task<outcome<std::vector<chat_summary>>> list_chats(user_id user) = 0;
  // The ids of the user's chats, in no given order: what a connection follows, without list_chats's last
  // messages and members.
  virtual task<outcome<std::vector<chat_id>>> chat_ids_of(user_id user) = 0;
  // Everyone who shares a chat with the user, each once and the user left out, in no given order: whom the
  // user's online status concerns.
  virtual task<outcome<std::vector<user_id>>> contacts_of(user_id user) = 0;
  // Adds a member as the chat's next change (change 0 and nothing written when already one).
  // errc::not_found for an unknown user or chat.
  virtual task<outcome<chat_change>> add_member(chat_id chat, user_id user, member_role role, micros now) = 0;
  // Removes a member as the chat's next change; the audience includes the removed user. errc::not_found when
  // the user is not a member. When the last admin leaves a group that still has members, the
  // longest-standing remaining member becomes admin.
  virtual task<outcome<chat_change>> remove_member(chat_id chat, user_id user) = 0;
  // Renames the chat as its next change (change 0 when the name is the same). errc::not_found when absent.
  virtual task<outcome<chat_change>> rename_chat(chat_id chat, std::string name) = 0;

  // --- messages
  // Every change to a chat takes the chat's next change number (chat.last_change + 1) under the chat's lock,
  // in the transaction that makes it; a message row keeps the number of its last change
  // (message::change_seq).

  // Atomically: checks that the sender is a member (errc::forbidden otherwise, errc::not_found when the chat
  // does not exist), returns the stored message as it is now when (sender, client_message_id) was seen before
  // (duplicate=true, nothing stored), checks reply_to (a message of the same chat, not deleted; else
  // errc::validation on "reply_to"), else assigns seq = chat.last_seq + 1 and the next change number and
  // stores it. Each of its attachments must be a file the sender uploaded (errc::validation on "attachments"
  // otherwise); the message then holds them. The result carries the chat's member ids at the time of the
  // append (duplicates included).
  // A batch of one: see append_messages. Group commit (store/group_commit.hpp) overrides this.
  virtual task<outcome<appended_message>> append_message(new_message m);
  // All of `batch` in one transaction, in order; one outcome per message. A failure of one message does not
  // undo the others.
  virtual task<std::vector<outcome<appended_message>>> append_messages(std::vector<new_message> batch) = 0;
  // The sender replaces the text (edited_at = now). errc::not_found when the message does not exist or the
  // editor is not a member of its chat; errc::forbidden when the editor is not the sender; errc::conflict
  // when the message is deleted. The same text again changes nothing (change 0).
  virtual task<outcome<message_change>> edit_message(message_id id, user_id editor, std::string text,
                                                     micros now) = 0;
  // Erases the text (the row stays as a tombstone with its seq), the message's reactions and attachments; the
  // files no other message holds are removed, and their blobs released (released_blobs). Allowed to the
  // sender, and in a group to its admins (else errc::forbidden); errc::not_found as for edit_message. A
  // deleted message again changes nothing (change 0).
  virtual task<outcome<message_change>> delete_message(message_id id, user_id by, micros now) = 0;
  // Adds (present) or removes the user's `emoji` reaction; idempotent (change 0 when nothing changed).
  // errc::not_found as for edit_message; errc::conflict when deleted; errc::validation on "emoji" when adding
  // would make more than `max_distinct` different emoji on the message.
  virtual task<outcome<message_change>> set_reaction(message_id id, user_id user, std::string emoji,
                                                     bool present, int max_distinct, micros now) = 0;
  // What a client that saw the chat up to after_change has missed: every message whose last change is later,
  // in change order, when there are at most `limit` of them; otherwise truncated = true. errc::not_found when
  // the chat does not exist.
  virtual task<outcome<changes_page>> changes_since(chat_id chat, std::int64_t after_change, int limit) = 0;
  // Messages in ascending seq order, as they are now (tombstones included). See history_query. Without
  // cursors: the newest `limit` after skipping `offset` newest. before_seq: the newest `limit` with seq <
  // before_seq. after_seq: the oldest `limit` with seq > after_seq.
  virtual task<outcome<std::vector<message>>> history(history_query q) = 0;
  // errc::not_found when absent.
  virtual task<outcome<message>> get_message(message_id id) = 0;
  // Advances the member's read watermark to min(up_to_seq, chat.last_seq); never moves it back.
  // errc::forbidden when not a member.
  virtual task<outcome<read_marker>> mark_read(chat_id chat, user_id reader, std::int64_t up_to_seq) = 0;

  // --- search
  // The messages matching q.terms (every required term, the prefix as the start of a word, no excluded term)
  // in the chats q.user is a member of now, newest (highest id) first, at most q.limit. Words match in any of
  // their forms (English and Russian stems), ignoring case and accents. A deleted message never matches; an
  // edited one matches by its current text only. The index is kept in step by the transaction that stores,
  // edits or deletes a message.
  virtual task<outcome<std::vector<search_hit>>> search_messages(search_request q) = 0;

  // --- files
  // Records an uploaded file whose blobs are stored. errc::not_found when the owner does not exist.
  virtual task<outcome<file_record>> create_file(new_file f) = 0;
  // The file, when `reader` may fetch it: its uploader, or a member now of a chat with a message that holds
  // it. errc::not_found otherwise, exactly as for a file that does not exist: an outsider learns nothing.
  virtual task<outcome<file_record>> get_file(file_id id, user_id reader) = 0;
  // The file when a message of `chat` holds it; errc::not_found otherwise (a chat-scoped download URL).
  virtual task<outcome<file_record>> get_chat_file(file_id id, chat_id chat) = 0;
  // Bytes of every file the user has uploaded and not yet lost (the per-user quota).
  virtual task<outcome<std::int64_t>> stored_bytes(user_id owner) = 0;
  // Removes at most `limit` files created before `created_before` that no message holds (uploads never
  // attached), releasing at `now` the blobs no remaining file uses. Returns how many files were removed.
  virtual task<outcome<int>> remove_unattached_files(micros created_before, int limit, micros now) = 0;
  // At most `limit` blobs released before `released_before` that no file uses: blob storage may remove them.
  // A released blob that a file uses again (the same bytes uploaded anew) is no longer released.
  virtual task<outcome<std::vector<std::string>>> released_blobs(micros released_before, int limit) = 0;
  // The blob is gone from blob storage: forgets that it was released.
  virtual task<outcome<void>> forget_released_blob(std::string blob) = 0;

  // --- operations
  // Applies the pending numbered migrations (migrations/<backend>/NNNN_name.sql) in order, each in its own
  // transaction, recording them in schema_migrations. Returns how many were applied. Safe to run concurrently
  // from several processes.
  virtual task<outcome<int>> migrate() = 0;
  virtual task<store_health> health() = 0;

  // Where group commit should drive this store's batches from: a store with a thread of its own (SQLite)
  // names it, so that the next batch starts there without a hop through a busy I/O thread (measured: 12% more
  // sends/s). None by default: the server's I/O executor.
  virtual boost::asio::any_io_executor commit_executor() { return {}; }
  // The counts of this store's connection pool, for the metrics; none for a store without one (SQLite).
  virtual pool_stats const* connection_pool_stats() const { return nullptr; }
};

}  // namespace windi
