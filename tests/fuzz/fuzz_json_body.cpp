// REST request bodies: parse_json_object, every field reader over every field name the routes read, and
// read_send_request (POST /messages/ and the socket's send_message share it).
#include "api/json_input.hpp"
#include "fuzz_support.hpp"

#include <boost/json/serialize.hpp>

#include <array>

namespace {

constexpr std::array<std::string_view, 15> fields{
    "chat_id",  "client_message_id", "email",    "emoji", "is_typing", "member_ids", "message_id", "name",
    "password", "recipient_id",      "reply_to", "text",  "user_id",   "username",   "title"};

// What every reader makes of every field, as text, to compare two bodies by.
std::string read_every_field(boost::json::object const& o) {
  std::string seen;
  auto note = [&seen](auto const& result, auto const& show) {
    seen += result ? show(*result) : "error:" + result.error().detail;
    seen += '\n';
  };
  auto text = [](std::string const& s) { return s; };
  auto optional_text = [](std::optional<std::string> const& s) { return s ? *s : "null"; };
  auto id = [](std::int64_t n) {
    WINDI_FUZZ_CHECK(n > 0);
    return std::to_string(n);
  };
  auto optional_id = [&id](std::optional<std::int64_t> const& n) { return n ? id(*n) : "null"; };
  auto ids = [&id](std::vector<std::int64_t> const& list) {
    std::string out;
    for (auto n : list) out += id(n) + ",";
    return out;
  };
  auto boolean = [](bool b) { return std::string(b ? "true" : "false"); };
  for (auto key : fields) {
    note(windi::required_string(o, key), text);
    note(windi::optional_string(o, key), optional_text);
    note(windi::required_id(o, key), id);
    note(windi::optional_id(o, key), optional_id);
    note(windi::id_list(o, key), ids);
    note(windi::required_bool(o, key), boolean);
  }
  // Whatever the first key is called, too.
  if (!o.empty()) {
    auto key = o.begin()->key();
    note(windi::required_string(o, key), text);
    note(windi::required_id(o, key), id);
    note(windi::id_list(o, key), ids);
  }
  return seen;
}

// Boost.JSON 1.81 prints doubles back inexactly, and infinity (7E777) as text it does not parse. No reader
// accepts a double.
bool has_double(boost::json::value const& v) {
  if (v.is_double()) return true;
  if (v.is_array()) {
    for (auto const& item : v.get_array()) {
      if (has_double(item)) return true;
    }
  }
  if (v.is_object()) {
    for (auto const& [key, item] : v.get_object()) {
      if (has_double(item)) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string const body(windi::fuzz::bytes(data, size));
  auto parsed = windi::parse_json_object(body);
  if (!parsed) return 0;
  auto const seen = read_every_field(*parsed);
  if (auto send = windi::read_send_request(*parsed)) {
    WINDI_FUZZ_CHECK(send->chat_id > 0);
    WINDI_FUZZ_CHECK(!send->reply_to || *send->reply_to > 0);
    WINDI_FUZZ_CHECK(send->text == parsed->at("text").get_string());
  }
  // An accepted body without doubles, written out again, parses to the same object and reads the same.
  if (has_double(*parsed)) return 0;
  auto again = windi::parse_json_object(boost::json::serialize(*parsed));
  WINDI_FUZZ_CHECK(again && *again == *parsed && read_every_field(*again) == seen);
  return 0;
}
