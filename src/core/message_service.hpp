#pragma once
#include "api/events.hpp"
#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "core/file_urls.hpp"
#include "core/limiter.hpp"
#include "core/limits.hpp"
#include "core/membership.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace windi {

struct history_request {
  chat_id chat = 0;
  int limit = 20;
  int offset = 0;
  std::optional<message_id> before;  // message ids, resolved to the chat's sequence numbers
  std::optional<message_id> after;
  std::optional<std::int64_t> before_seq;
  std::optional<std::int64_t> after_seq;
};

struct history_page {
  chat info;  // with members, whose read watermarks tell who has read which message
  std::vector<message> messages;
};

// THE send path: REST and WebSocket both call send(). Validates, lets the store authorize, dedup and persist
// in one transaction, and only after the commit publishes the event to every member's connections.
class message_service {
 public:
  // sign: fills in the download URLs of the attachments of the messages it returns and publishes.
  message_service(store& db, bus& events, clock const& clock, limiter& rate_limits, service_limits limits,
                  attachment_signer const& sign);

  // attachments: files `me` uploaded, at most max_attachments_per_message; with some, the text may be empty.
  task<outcome<appended_message>> send(user_id me, chat_id chat, std::string text,
                                       std::optional<std::string> client_message_id,
                                       std::optional<message_id> reply_to = std::nullopt,
                                       std::vector<file_id> attachments = {});
  // The sender edits: every member's connections get message_edited (unless the text is the same).
  task<outcome<message_change>> edit(user_id me, message_id id, std::string text);
  // The sender, or an admin of the group, deletes for everyone: members get message_deleted. Its files go
  // too, unless another message holds them (their bytes soon after: file_service::clean_up).
  task<outcome<message_change>> remove(user_id me, message_id id);
  // Adds (present) or takes back `me`'s reaction; members get reaction_changed when it changed anything.
  task<outcome<message_change>> react(user_id me, message_id id, std::string emoji, bool present);
  task<outcome<history_page>> history(user_id me, history_request request);
  // Up to message_id, or the newest message when absent.
  task<outcome<read_marker>> mark_read(user_id me, chat_id chat, std::optional<message_id> up_to);
  // Tells the chat's other members that `me` is (or stopped) typing. Nothing is stored.
  task<outcome<void>> typing(user_id me, std::string const& my_name, chat_id chat, bool is_typing);

 private:
  task<outcome<std::int64_t>> seq_of(chat_id chat, message_id id, char const* field);

  // Publishes a committed change of a message to the chat's members at the time of the change.
  void publish_change(message_change const& c, event_kind kind, frame_ptr frame);
  // Publishes to the chat's members; the chat is read after the commit so membership is current.
  task<void> publish_to_members(chat_id chat, event_kind kind, frame_ptr frame, user_id except = 0);

  store& db_;
  bus& events_;
  clock const& clock_;
  limiter& rate_limits_;
  service_limits limits_;
  attachment_signer const& sign_;
};

}  // namespace windi
