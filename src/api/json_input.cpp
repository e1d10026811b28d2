#include "api/json_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

namespace windi {

namespace json = boost::json;

namespace {

failure missing(std::string_view key) { return fail(errc::validation, "Field required", std::string(key)); }
failure wrong_type(std::string_view key, char const* expected) {
  return fail(errc::validation, std::string("Input should be ") + expected, std::string(key));
}

// Integers only: JSON numbers without a fraction (FastAPI refuses 1.5 and "1" for an int field in strict
// mode; we refuse both, and booleans).
std::optional<std::int64_t> as_integer(json::value const& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

outcome<std::int64_t> positive_id(json::value const& v, std::string_view key) {
  auto n = as_integer(v);
  if (!n) return wrong_type(key, "a valid integer");
  if (*n <= 0) return fail(errc::validation, "Input should be greater than 0", std::string(key));
  return *n;
}

}  // namespace

outcome<json::object> parse_json_object(std::string const& body) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  auto value = json::parse(body, ec, {}, options);
  if (ec) return fail(errc::validation, "JSON decode error: " + ec.message(), "body.");
  if (!value.is_object()) return fail(errc::validation, "Input should be a valid JSON object", "body.");
  return std::move(value.as_object());
}

outcome<std::string> required_string(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return missing(key);
  if (!it->value().is_string()) return wrong_type(key, "a valid string");
  return std::string(it->value().get_string());
}

outcome<std::optional<std::string>> optional_string(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) return wrong_type(key, "a valid string");
  return std::optional<std::string>(std::string(it->value().get_string()));
}

outcome<std::int64_t> required_id(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return missing(key);
  return positive_id(it->value(), key);
}

outcome<std::optional<std::int64_t>> optional_id(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::int64_t>{};
  auto id = positive_id(it->value(), key);
  if (!id) return id.error();
  return std::optional<std::int64_t>(*id);
}

outcome<std::vector<std::int64_t>> id_list(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::vector<std::int64_t>{};
  if (!it->value().is_array()) return wrong_type(key, "a valid list");
  std::vector<std::int64_t> ids;
  for (auto const& item : it->value().get_array()) {
    auto id = positive_id(item, key);
    if (!id) return id.error();
    ids.push_back(*id);
  }
  return ids;
}

outcome<bool> required_bool(json::object const& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return missing(key);
  if (!it->value().is_bool()) return wrong_type(key, "a valid boolean");
  return it->value().get_bool();
}

outcome<send_request> read_send_request(json::object const& o) {
  auto chat = required_id(o, "chat_id");
  if (!chat) return chat.error();
  auto attachments = id_list(o, "attachments");
  if (!attachments) return attachments.error();
  // A message of files alone needs no text.
  auto const given_text = o.find("text");
  bool const has_text = given_text != o.end() && !given_text->value().is_null();
  auto text = attachments->empty() || has_text ? required_string(o, "text") : std::string();
  if (!text) return text.error();
  auto client_id = optional_string(o, "client_message_id");
  if (!client_id) return client_id.error();
  auto reply_to = optional_id(o, "reply_to");
  if (!reply_to) return reply_to.error();
  return send_request{*chat, std::move(*text), std::move(*client_id), *reply_to, std::move(*attachments)};
}

std::multimap<std::string, std::string> decode_query(std::string_view view) {
  // An owned, NUL-terminated copy: Boost.URL 1.81 can read past the end of the view it is given
  // (boostorg/url#757), which here would run into the rest of the HTTP request.
  std::string const text(view);
  std::multimap<std::string, std::string> out;
  if (!boost::urls::parse_query(text)) return out;
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;  // HTML forms and most clients encode spaces as '+'
  for (auto const& p : boost::urls::params_view(text, opts)) out.emplace(p.key, p.value);
  return out;
}

}  // namespace windi
