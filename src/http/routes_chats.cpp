#include "api/json_input.hpp"
#include "api/views.hpp"
#include "http/params.hpp"
#include "http/route_support.hpp"

#include <boost/json/array.hpp>

namespace windi::http {

namespace beast_http = boost::beast::http;
using beast_http::verb;

void add_chat_routes(router& r, route_services& s) {
  r.add(verb::get, "/api/v1/chats",
        authenticated(s.auth, "query", [&s](request_context&, token_claims const& me) -> route_result {
          auto chats = co_await s.chats.list(me.subject);
          if (!chats) co_return chats.error();
          boost::json::array out;
          for (auto const& summary : *chats) out.push_back(chat_summary_view(summary));
          co_return json_response(out);
        }));

  r.add(verb::post, "/api/v1/chats/private",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto recipient = required_id(*body, "recipient_id");
          if (!recipient) co_return recipient.error();
          auto opened = co_await s.chats.open_private(me.subject, *recipient);
          if (!opened) co_return opened.error();
          co_return json_response(opened->created ? beast_http::status::created : beast_http::status::ok,
                                  chat_view(opened->info));
        }));

  r.add(verb::post, "/api/v1/chats/group",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto name = required_string(*body, "name");
          if (!name) co_return name.error();
          auto members = id_list(*body, "member_ids");
          if (!members) co_return members.error();
          auto created = co_await s.chats.create_group(me.subject, std::move(*name), std::move(*members));
          if (!created) co_return created.error();
          co_return json_response(beast_http::status::created, chat_view(*created));
        }));

  r.add(verb::get, "/api/v1/chats/{chat_id}",
        authenticated(s.auth, "path", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "chat_id");
          if (!id) co_return id.error();
          auto found = co_await s.chats.get(me.subject, *id);
          if (!found) co_return found.error();
          co_return json_response(chat_view(*found));
        }));

  r.add(verb::post, "/api/v1/chats/{chat_id}/members",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "chat_id");
          if (!id) co_return id.error();
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto user = required_id(*body, "user_id");
          if (!user) co_return user.error();
          auto updated = co_await s.chats.add_member(me.subject, *id, *user);
          if (!updated) co_return updated.error();
          co_return json_response(chat_view(*updated));
        }));

  r.add(verb::delete_, "/api/v1/chats/{chat_id}/members/{user_id}",
        authenticated(s.auth, "path", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "chat_id");
          if (!id) co_return id.error();
          auto user = path_id(request, "user_id");
          if (!user) co_return user.error();
          auto updated = co_await s.chats.remove_member(me.subject, *id, *user);
          if (!updated) co_return updated.error();
          co_return json_response(chat_view(*updated));
        }));

  r.add(verb::post, "/api/v1/chats/{chat_id}/leave",
        authenticated(s.auth, "path", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "chat_id");
          if (!id) co_return id.error();
          auto left = co_await s.chats.remove_member(me.subject, *id, me.subject);
          if (!left) co_return left.error();
          co_return json_response(boost::json::object{{"chat_id", *id}, {"left", true}});
        }));

  r.add(verb::patch, "/api/v1/chats/{chat_id}",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "chat_id");
          if (!id) co_return id.error();
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto name = required_string(*body, "name");
          if (!name) co_return name.error();
          auto renamed = co_await s.chats.rename(me.subject, *id, std::move(*name));
          if (!renamed) co_return renamed.error();
          co_return json_response(chat_view(*renamed));
        }));

  r.add(verb::post, "/api/v1/chats/{chat_id}/read",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "chat_id");
          if (!id) co_return id.error();
          std::optional<message_id> up_to;
          if (!request.raw.body().empty()) {
            auto body = parse_json_object(request.raw.body());
            if (!body) co_return body.error();
            auto message = optional_id(*body, "message_id");
            if (!message) co_return message.error();
            up_to = *message;
          }
          auto marked = co_await s.messages.mark_read(me.subject, *id, up_to);
          if (!marked) co_return marked.error();
          co_return json_response(boost::json::object{{"chat_id", marked->chat},
                                                      {"user_id", marked->reader},
                                                      {"last_read_seq", marked->last_read_seq}});
        }));
}

}  // namespace windi::http
