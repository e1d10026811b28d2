#pragma once
// Reading JSON request bodies (REST) and action data (WebSocket) into typed values, with FastAPI-style
// validation failures naming the field. Shared by both transports, so a field is read one way everywhere.
#include "core/error.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi {

// The body as a JSON object; errc::validation (loc body) when it is not JSON or not an object.
outcome<boost::json::object> parse_json_object(std::string const& body);

// Field readers. Missing required fields and wrong types are errc::validation naming the field.
outcome<std::string> required_string(boost::json::object const& o, std::string_view key);
outcome<std::optional<std::string>> optional_string(boost::json::object const& o, std::string_view key);
outcome<std::int64_t> required_id(boost::json::object const& o, std::string_view key);
outcome<std::optional<std::int64_t>> optional_id(boost::json::object const& o, std::string_view key);
outcome<std::vector<std::int64_t>> id_list(boost::json::object const& o, std::string_view key);
outcome<bool> required_bool(boost::json::object const& o, std::string_view key);

// The body of a send, as REST's POST /messages/ and the socket's send_message both carry it.
struct send_request {
  std::int64_t chat_id = 0;
  std::string text;
  std::optional<std::string> client_message_id;
  std::optional<std::int64_t> reply_to;
  std::vector<std::int64_t> attachments;  // file ids; with some, the text may be empty or absent
};
outcome<send_request> read_send_request(boost::json::object const& o);

// Decodes a query string or an application/x-www-form-urlencoded body.
std::multimap<std::string, std::string> decode_query(std::string_view text);

}  // namespace windi
