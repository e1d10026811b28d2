#include "api/events.hpp"

#include "api/views.hpp"

#include <boost/json/serialize.hpp>

namespace windi {

frame_ptr encode_event(std::string_view type, boost::json::object data) {
  boost::json::object frame{{"type", type}, {"data", std::move(data)}};
  return std::make_shared<std::string const>(boost::json::serialize(frame));
}

frame_ptr new_message_event(message const& m, int read_by) {
  return encode_event("new_message", message_view(m, read_by));
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

frame_ptr user_status_event(user_id user, std::string const& username, bool online, micros last_seen) {
  return encode_event("user_status", {{"user_id", user},
                                      {"username", username},
                                      {"status", online ? "online" : "offline"},
                                      {"last_seen", iso8601(last_seen)}});
}

}  // namespace windi
