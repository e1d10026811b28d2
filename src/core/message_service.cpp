#include "core/message_service.hpp"

#include "api/events.hpp"
#include "core/chat_service.hpp"
#include "core/emoji.hpp"
#include "core/validation.hpp"

#include <spdlog/spdlog.h>

#include <limits>

namespace windi {

message_service::message_service(store& db, bus& events, clock const& clock, limiter& rate_limits,
                                 service_limits limits, attachment_signer const& sign)
    : db_(db), events_(events), clock_(clock), rate_limits_(rate_limits), limits_(limits), sign_(sign) {}

namespace {

outcome<void> validate_attachments(std::vector<file_id> const& files) {
  if (files.size() > static_cast<std::size_t>(max_attachments_per_message)) {
    return fail(errc::validation,
                "A message holds at most " + std::to_string(max_attachments_per_message) + " files",
                "attachments");
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (files[i] == files[j]) return fail(errc::validation, "The same file twice", "attachments");
    }
  }
  return {};
}

}  // namespace

task<void> message_service::publish_to_members(chat_id chat, event_kind kind, frame_ptr frame,
                                               user_id except) {
  auto found = co_await db_.get_chat(chat);
  if (!found) co_return;  // the event is a hint; clients that miss it catch up from the store
  envelope e{chat, kind, 0, member_ids(*found, except), std::move(frame), 0};
  events_.publish(std::move(e));
}

task<outcome<appended_message>> message_service::send(user_id me, chat_id chat, std::string text,
                                                      std::optional<std::string> client_message_id,
                                                      std::optional<message_id> reply_to,
                                                      std::vector<file_id> attachments) {
  if (auto ok = validate_attachments(attachments); !ok) co_return ok.error();
  // A message of files alone may have no text; any text it has obeys the usual rules.
  if (!text.empty() || attachments.empty()) {
    if (auto ok = validate_message_text(text, limits_.max_message_chars); !ok) co_return ok.error();
  }
  if (client_message_id) {
    if (auto ok = validate_client_message_id(*client_message_id); !ok) co_return ok.error();
  }
  // Refused before anything is stored, so a resend with the same client_message_id later goes through.
  if (auto wait = co_await rate_limits_.take(bucket_kind::send, std::to_string(me))) {
    co_return too_many_requests("Too many messages; slow down", *wait);
  }
  // A named value, not a braced temporary: GCC 12 corrupts aggregates built inside a co_await expression.
  new_message m{chat,         me,       std::move(text),       std::move(client_message_id),
                clock_.now(), reply_to, std::move(attachments)};
  auto appended = co_await db_.append_message(std::move(m));
  if (!appended && appended.error().code == errc::forbidden) co_return chat_not_found();
  if (appended) sign_(appended->stored);
  if (appended && !appended->duplicate) {
    // The store hands back the chat's members with the message: addressing the event costs no query.
    auto const& stored = appended->stored;
    envelope e{stored.chat,       event_kind::message_created,  stored.change_seq,
               appended->members, new_message_event(stored, 0), 0};
    events_.publish(std::move(e));
  }
  co_return appended;
}

void message_service::publish_change(message_change const& c, event_kind kind, frame_ptr frame) {
  envelope e{c.stored.chat, kind, c.change, c.members, std::move(frame), 0};
  events_.publish(std::move(e));
}

task<outcome<message_change>> message_service::edit(user_id me, message_id id, std::string text) {
  if (auto ok = validate_message_text(text, limits_.max_message_chars); !ok) co_return ok.error();
  auto changed = co_await db_.edit_message(id, me, std::move(text), clock_.now());
  if (!changed) co_return changed;
  sign_(changed->stored);
  if (changed->change > 0) {
    publish_change(*changed, event_kind::message_edited,
                   message_changed_event("message_edited", changed->stored, changed->read_by));
  }
  co_return changed;
}

task<outcome<message_change>> message_service::remove(user_id me, message_id id) {
  auto changed = co_await db_.delete_message(id, me, clock_.now());
  if (!changed) co_return changed;
  if (changed->change > 0) {
    publish_change(*changed, event_kind::message_deleted,
                   message_changed_event("message_deleted", changed->stored, changed->read_by));
  }
  co_return changed;
}

task<outcome<message_change>> message_service::react(user_id me, message_id id, std::string emoji,
                                                     bool present) {
  if (!is_single_emoji(emoji)) co_return fail(errc::validation, "Input should be exactly one emoji", "emoji");
  auto changed =
      co_await db_.set_reaction(id, me, emoji, present, limits_.max_reactions_per_message, clock_.now());
  if (!changed) co_return changed;
  sign_(changed->stored);
  if (changed->change > 0) {
    publish_change(*changed, event_kind::reactions_changed,
                   reaction_changed_event(changed->stored, me, emoji, present));
  }
  co_return changed;
}

task<outcome<std::int64_t>> message_service::seq_of(chat_id chat, message_id id, char const* field) {
  auto found = co_await db_.get_message(id);
  if (!found && found.error().code != errc::not_found) co_return found.error();
  if (!found || found->chat != chat) co_return fail(errc::not_found, "Message not found", field);
  co_return found->seq;
}

task<outcome<history_page>> message_service::history(user_id me, history_request request) {
  if (request.limit < 1 || request.limit > limits_.history_max_limit) {
    co_return fail(errc::validation,
                   "limit must be between 1 and " + std::to_string(limits_.history_max_limit), "limit");
  }
  if (request.offset < 0) co_return fail(errc::validation, "offset must be at least 0", "offset");
  int cursors = (request.before || request.before_seq) + (request.after || request.after_seq);
  if (cursors > 1 || (request.before && request.before_seq) || (request.after && request.after_seq)) {
    co_return fail(errc::validation, "Use at most one cursor: before, after, before_seq or after_seq",
                   "before");
  }
  if (cursors == 1 && request.offset != 0) {
    co_return fail(errc::validation, "offset cannot be combined with a cursor", "offset");
  }
  auto found = co_await db_.get_chat(request.chat);
  if (!found) co_return found.error().code == errc::not_found ? chat_not_found() : found.error();
  if (auto ok = require_member(*found, me); !ok) co_return ok.error();

  history_query query{request.chat, request.limit, request.offset, request.before_seq, request.after_seq};
  if (request.before) {
    auto seq = co_await seq_of(request.chat, *request.before, "before");
    if (!seq) co_return seq.error();
    query.before_seq = *seq;
  }
  if (request.after) {
    auto seq = co_await seq_of(request.chat, *request.after, "after");
    if (!seq) co_return seq.error();
    query.after_seq = *seq;
  }
  auto messages = co_await db_.history(query);
  if (!messages) co_return messages.error();
  sign_(*messages);
  co_return history_page{std::move(*found), std::move(*messages)};
}

task<outcome<read_marker>> message_service::mark_read(user_id me, chat_id chat,
                                                      std::optional<message_id> up_to) {
  if (auto wait = co_await rate_limits_.take(bucket_kind::read, std::to_string(me))) {
    co_return too_many_requests("Too many read receipts; slow down", *wait);
  }
  std::int64_t seq = std::numeric_limits<std::int64_t>::max();
  if (up_to) {
    auto found = co_await seq_of(chat, *up_to, "message_id");
    if (!found) {
      // A message id from a chat the caller cannot see must not reveal that chat.
      auto membership = co_await db_.get_membership(chat, me);
      if (!membership) co_return membership.error();
      if (!*membership) co_return chat_not_found();
      co_return found.error();
    }
    seq = *found;
  }
  auto marked = co_await db_.mark_read(chat, me, seq);
  if (!marked && (marked.error().code == errc::forbidden || marked.error().code == errc::not_found)) {
    co_return chat_not_found();
  }
  if (marked && marked->advanced) {
    auto event = message_read_event(*marked, up_to);
    co_await publish_to_members(chat, event_kind::read, std::move(event));
  }
  co_return marked;
}

task<outcome<void>> message_service::typing(user_id me, std::string const& my_name, chat_id chat,
                                            bool is_typing) {
  auto found = co_await db_.get_chat(chat);
  if (!found) co_return found.error().code == errc::not_found ? chat_not_found() : found.error();
  if (auto ok = require_member(*found, me); !ok) co_return ok.error();
  // Clients send "typing" on every keystroke; one indicator per interval is all the others need (it lasts
  // expires_in_ms), so one within the interval of the last (per user and chat) is coalesced. "Stopped
  // typing" always goes out.
  if (is_typing) {
    auto coalesced =
        co_await rate_limits_.take(bucket_kind::typing, std::to_string(me) + ":" + std::to_string(chat));
    if (coalesced) co_return outcome<void>{};
  }
  envelope e{chat,
             event_kind::typing,
             0,
             member_ids(*found, me),
             typing_event(chat, me, my_name, is_typing, limits_.typing_expiry_ms),
             0};
  events_.publish(std::move(e));
  co_return outcome<void>{};
}

}  // namespace windi
