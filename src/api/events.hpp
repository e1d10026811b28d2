#pragma once
// Server-to-client WebSocket frames: {"type": ..., "data": {...}}. Encoded once, shared by every recipient.
#include "core/types.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <string>

namespace windi {

using frame_ptr = std::shared_ptr<std::string const>;

frame_ptr encode_event(std::string_view type, boost::json::object data);

frame_ptr new_message_event(message const& m, int read_by);
// A message after a change: "message_edited" or "message_deleted" (the tombstone).
frame_ptr message_changed_event(std::string_view type, message const& m, int read_by);
frame_ptr reaction_changed_event(message const& m, user_id user, std::string const& emoji, bool added);
frame_ptr chat_created_event(chat const& c);
frame_ptr member_added_event(chat_change const& c, user_id user, user_id by);
frame_ptr member_removed_event(chat_change const& c, user_id user, user_id by);
frame_ptr chat_updated_event(chat_change const& c);
frame_ptr message_read_event(read_marker const& r, std::optional<message_id> up_to);
frame_ptr typing_event(chat_id chat, user_id user, std::string const& username, bool is_typing,
                       int expires_in_ms);
frame_ptr sync_event(sync_result const& result);
// Asks the client to send `sync` with its cursors: live events may have been lost on the way to it.
frame_ptr sync_required_event();
frame_ptr user_status_event(user_id user, std::string const& username, bool online, micros last_seen);

}  // namespace windi
