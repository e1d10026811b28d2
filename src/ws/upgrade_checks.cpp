#include "ws/upgrade_checks.hpp"

#include "api/json_input.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>

namespace windi::ws {

namespace beast_http = boost::beast::http;

upgrade_token token_from_upgrade(upgrade_request const& request) {
  upgrade_token out;
  auto protocols = std::string(request[beast_http::field::sec_websocket_protocol]);
  if (!protocols.empty()) {
    // "bearer, <token>": the second entry is the token.
    auto comma = protocols.find(',');
    if (comma != std::string::npos) {
      auto first = protocols.substr(0, comma);
      std::erase(first, ' ');
      auto rest = protocols.substr(comma + 1);
      std::erase(rest, ' ');
      if (first == "bearer" && !rest.empty()) {
        out.value = rest;
        out.from_subprotocol = true;
        return out;
      }
    }
  }
  std::string const target_text(request.target());  // owned: see decode_query about Boost.URL 1.81
  auto target = boost::urls::parse_origin_form(target_text);
  if (target) {
    auto query = decode_query(target->encoded_query());
    if (auto it = query.find("token"); it != query.end()) out.value = it->second;
  }
  return out;
}

std::string check_origin(upgrade_request const& request, std::vector<std::string> const& allowed) {
  auto origin = std::string(request[beast_http::field::origin]);
  if (origin.empty()) return {};
  if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) return {};
  if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) return {};
  auto host = std::string(request[beast_http::field::host]);
  auto scheme_end = origin.find("://");
  if (scheme_end != std::string::npos && origin.substr(scheme_end + 3) == host) return {};
  return "Origin not allowed";
}

beast_http::response<beast_http::string_body> refusal_response(upgrade_request const& request,
                                                               beast_http::status status,
                                                               std::string const& detail,
                                                               int retry_after_seconds) {
  beast_http::response<beast_http::string_body> res{status, request.version()};
  res.set(beast_http::field::content_type, "application/json");
  if (retry_after_seconds > 0) res.set(beast_http::field::retry_after, std::to_string(retry_after_seconds));
  res.keep_alive(false);
  res.body() = boost::json::serialize(boost::json::object{{"detail", detail}});
  res.prepare_payload();
  return res;
}

bool is_chat_socket_path(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  return path == "/api/v1/ws/chat" || path == "/api/v1/ws/chat/";
}

}  // namespace windi::ws
