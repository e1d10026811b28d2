// WebSocket client frames: {"action": ..., "data": {...}} and each action's fields, read the way
// src/ws/actions.cpp reads them. Its read_frame and read_cursor sit in an anonymous namespace there; this
// target follows the same path through the shared readers of api/json_input.hpp (see tests/fuzz/README.md).
#include "api/json_input.hpp"
#include "fuzz_support.hpp"

#include <charconv>
#include <map>

namespace {

namespace json = boost::json;

// As read_cursor in src/ws/actions.cpp: {"<chat_id>": <non-negative integer>, ...}.
bool read_cursor(json::object const& data, std::string_view key, std::map<std::int64_t, std::int64_t>& out) {
  auto const* given = data.if_contains(key);
  if (!given || given->is_null()) return true;
  if (!given->is_object()) return false;
  for (auto const& [name, value] : given->get_object()) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc{} || end != name.data() + name.size() || !value.is_int64() || value.get_int64() < 0) {
      return false;
    }
    out[id] = value.get_int64();
  }
  return true;
}

void read_action(std::string const& action, json::object const& data) {
  if (action == "auth") {  // the first frame when the token came neither in the URL nor the subprotocol
    (void)windi::required_string(data, "token");
  } else if (action == "send_message") {
    if (auto r = windi::read_send_request(data)) WINDI_FUZZ_CHECK(r->chat_id > 0);
  } else if (action == "typing") {
    if (auto chat = windi::required_id(data, "chat_id")) WINDI_FUZZ_CHECK(*chat > 0);
    (void)windi::required_bool(data, "is_typing");
  } else if (action == "mark_read") {
    (void)windi::required_id(data, "chat_id");
    if (auto up_to = windi::optional_id(data, "message_id"); up_to && *up_to) WINDI_FUZZ_CHECK(**up_to > 0);
  } else if (action == "edit_message") {
    (void)windi::required_id(data, "message_id");
    (void)windi::required_string(data, "text");
  } else if (action == "delete_message") {
    (void)windi::required_id(data, "message_id");
  } else if (action == "react" || action == "unreact") {
    (void)windi::required_id(data, "message_id");
    (void)windi::required_string(data, "emoji");
  } else if (action == "sync") {
    std::map<std::int64_t, std::int64_t> seqs, changes;
    if (read_cursor(data, "chats", seqs)) {
      for (auto const& [chat, seq] : seqs) WINDI_FUZZ_CHECK(seq >= 0);
    }
    (void)read_cursor(data, "changes", changes);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  // As read_frame in src/ws/actions.cpp.
  auto parsed = windi::parse_json_object(std::string(windi::fuzz::bytes(data, size)));
  if (!parsed) return 0;
  auto const* name = parsed->if_contains("action");
  if (!name || !name->is_string()) return 0;
  std::string const action(name->get_string());
  json::object frame_data;
  if (auto* d = parsed->if_contains("data")) {
    if (d->is_object()) {
      frame_data = std::move(d->get_object());
    } else if (!d->is_null()) {
      return 0;
    }
  }
  read_action(action, frame_data);
  return 0;
}
