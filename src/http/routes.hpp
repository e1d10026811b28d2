#pragma once
#include "core/auth_service.hpp"
#include "core/chat_service.hpp"
#include "core/file_service.hpp"
#include "core/message_service.hpp"
#include "core/search_service.hpp"
#include "core/user_service.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"

#include <functional>

namespace windi::http {

// What the routes need; the routes are thin adapters over these services.
struct route_services {
  auth_service& auth;
  user_service& users;
  chat_service& chats;
  message_service& messages;
  search_service& search;
  file_service& files;
  std::function<boost::asio::awaitable<boost::json::object>()>
      health;  // the /health body; "status" decides 200/503
};

void add_auth_routes(router& r, route_services& s);
void add_user_routes(router& r, route_services& s);
void add_chat_routes(router& r, route_services& s);
void add_message_routes(router& r, route_services& s);
void add_health_routes(router& r, route_services& s);
void add_file_routes(router& r, route_services& s);
// /openapi.json, /docs and the web app's files.
void add_web_routes(router& r, static_files const& files);
// Everything the server serves over HTTP (the WebSocket endpoint is an upgrade, outside the router).
void add_all_routes(router& r, route_services& s, static_files const& files);

// The caller's identity from "Authorization: Bearer <token>"; errc::unauthorized when missing, invalid or
// revoked.
boost::asio::awaitable<outcome<token_claims>> authenticate(request_context const& request,
                                                           auth_service& auth);

}  // namespace windi::http
