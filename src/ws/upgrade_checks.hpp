#pragma once
// What is decided about a WebSocket upgrade request before it is accepted: the token and the Origin.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <vector>

namespace windi::ws {

using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;

struct upgrade_token {
  std::optional<std::string> value;  // none: the client must send an "auth" frame first
  bool from_subprotocol = false;     // then the response must name the "bearer" subprotocol
};

// From `?token=` (the seed's form) or `Sec-WebSocket-Protocol: bearer, <token>` (keeps it out of URLs and
// logs).
upgrade_token token_from_upgrade(upgrade_request const& request);

// Empty when allowed; else the reason. No Origin (non-browser clients) and an Origin naming the server's own
// Host are allowed; other origins must be in `allowed` ("*" allows any).
std::string check_origin(upgrade_request const& request, std::vector<std::string> const& allowed);

// `retry_after_seconds` > 0 adds Retry-After (with a 429).
boost::beast::http::response<boost::beast::http::string_body> refusal_response(
    upgrade_request const& request, boost::beast::http::status status, std::string const& detail,
    int retry_after_seconds = 0);

// True for the WebSocket endpoint's path, with or without a trailing slash.
bool is_chat_socket_path(std::string_view target);

}  // namespace windi::ws
