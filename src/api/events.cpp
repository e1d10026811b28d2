#include "api/events.hpp"

#include "api/views.hpp"
#include "core/membership.hpp"

#include <boost/json/serialize.hpp>

namespace windi {

frame_ptr encode_event(std::string_view type, boost::json::object data) {
  boost::json::object frame{{"type", type}, {"data", std::move(data)}};
  return std::make_shared<std::string const>(boost::json::serialize(frame));
}

frame_ptr new_message_event(message const& m, int read_by) {
  return encode_event("new_message", message_view(m, read_by));
}

frame_ptr message_changed_event(std::string_view type, message const& m, int read_by) {
  return encode_event(type, message_view(m, read_by));
}

frame_ptr reaction_changed_event(message const& m, user_id user, std::string const& emoji, bool added) {
  return encode_event("reaction_changed", {{"chat_id", m.chat},
                                           {"message_id", m.id},
                                           {"change_seq", m.change_seq},
                                           {"user_id", user},
                                           {"emoji", emoji},
                                           {"added", added},
                                           {"reactions", reactions_view(m.reactions)}});
}

frame_ptr chat_created_event(chat const& c) { return encode_event("chat_created", {{"chat", chat_view(c)}}); }

frame_ptr member_added_event(chat_change const& c, user_id user, user_id by) {
  return encode_event("member_added", {{"chat_id", c.info.id},
                                       {"change_seq", c.change},
                                       {"user_id", user},
                                       {"by", by},
                                       {"chat", chat_view(c.info)}});
}

frame_ptr member_removed_event(chat_change const& c, user_id user, user_id by) {
  return encode_event("member_removed", {{"chat_id", c.info.id},
                                         {"change_seq", c.change},
                                         {"user_id", user},
                                         {"by", by},
                                         {"chat", chat_view(c.info)}});
}

frame_ptr chat_updated_event(chat_change const& c) {
  return encode_event("chat_updated",
                      {{"chat_id", c.info.id}, {"change_seq", c.change}, {"chat", chat_view(c.info)}});
}

frame_ptr message_read_event(read_marker const& r, std::optional<message_id> up_to) {
  boost::json::object data{{"chat_id", r.chat}, {"user_id", r.reader}, {"last_read_seq", r.last_read_seq}};
  data["message_id"] = up_to ? boost::json::value(*up_to) : boost::json::value(nullptr);
  return encode_event("message_read", std::move(data));
}

frame_ptr typing_event(chat_id chat, user_id user, std::string const& username, bool is_typing,
                       int expires_in_ms) {
  return encode_event("typing_indicator", {{"chat_id", chat},
                                           {"user_id", user},
                                           {"username", username},
                                           {"is_typing", is_typing},
                                           {"expires_in_ms", is_typing ? expires_in_ms : 0}});
}

frame_ptr sync_required_event() {
  static frame_ptr const frame = encode_event("sync_required", {});
  return frame;
}

frame_ptr sync_event(sync_result const& result) {
  boost::json::array entries;
  for (auto const& entry : result.chats) {
    auto const& info = entry.summary.info;
    boost::json::array members;
    for (auto const& m : info.members) members.push_back(member_view(m));
    boost::json::array messages;
    for (auto const& m : entry.messages) messages.push_back(message_view(m, read_by_count(info, m)));
    entries.push_back(boost::json::object{
        {"chat_id", info.id},
        {"type", info.kind == chat_kind::group ? "group" : "private"},
        {"name", info.kind == chat_kind::group ? boost::json::value(info.name) : boost::json::value(nullptr)},
        {"last_seq", info.last_seq},
        {"last_change", info.last_change},
        {"last_read_seq", entry.summary.my_last_read_seq},
        {"unread_count", entry.summary.unread_count},
        {"resync_required", entry.resync_required},
        {"members", std::move(members)},
        {"messages", std::move(messages)}});
  }
  boost::json::array online;
  for (auto id : result.online) online.push_back(id);
  return encode_event("sync", {{"chats", std::move(entries)}, {"online_user_ids", std::move(online)}});
}

frame_ptr user_status_event(user_id user, std::string const& username, bool online, micros last_seen) {
  return encode_event("user_status", {{"user_id", user},
                                      {"username", username},
                                      {"status", online ? "online" : "offline"},
                                      {"last_seen", iso8601(last_seen)}});
}

}  // namespace windi
