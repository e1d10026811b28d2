#pragma once
// Reading request bodies and parameters into typed values, with FastAPI-style validation failures.
#include "core/error.hpp"
#include "http/request.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace windi::http {

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
};
outcome<send_request> read_send_request(boost::json::object const& o);

// Query and path parameters: integers within [min, max].
outcome<std::optional<std::int64_t>> query_int(request_context const& r, std::string const& key,
                                               std::int64_t min, std::int64_t max);
outcome<std::int64_t> path_id(request_context const& r, std::string const& key);

// Decodes a query string or an application/x-www-form-urlencoded body.
std::multimap<std::string, std::string> decode_query(std::string_view text);

}  // namespace windi::http
