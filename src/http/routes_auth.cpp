#include "api/json_input.hpp"
#include "api/views.hpp"
#include "http/params.hpp"
#include "http/route_support.hpp"

#include <boost/beast/http/field.hpp>

namespace windi::http {

namespace beast_http = boost::beast::http;

boost::asio::awaitable<outcome<token_claims>> authenticate(request_context const& request,
                                                           auth_service& auth) {
  auto header = request.raw[beast_http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), header.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      })) {
    co_return fail(errc::unauthorized, "Not authenticated");
  }
  co_return co_await auth.authenticate(std::string(header.substr(scheme.size())));
}

namespace {

api_response token_response(login_result const& login, auth_service const& auth) {
  return json_response(boost::json::object{{"access_token", login.access_token},
                                           {"token_type", "bearer"},
                                           {"expires_in", auth.tokens().ttl().count()},
                                           {"user", user_view(login.account, true)}});
}

}  // namespace

void add_auth_routes(router& r, route_services& s) {
  r.add(beast_http::verb::post, "/api/v1/auth/register",
        anonymous("body", [&s](request_context& request) -> route_result {
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto username = required_string(*body, "username");
          if (!username) co_return username.error();
          auto email = required_string(*body, "email");
          if (!email) co_return email.error();
          auto password = required_string(*body, "password");
          if (!password) co_return password.error();
          auto created = co_await s.auth.register_user(std::move(*username), std::move(*email),
                                                       std::move(*password), request.client_address);
          if (!created) co_return created.error();
          co_return json_response(beast_http::status::created, user_view(*created, true));
        }));

  r.add(beast_http::verb::post, "/api/v1/auth/login-json",
        anonymous("body", [&s](request_context& request) -> route_result {
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto username = required_string(*body, "username");
          if (!username) co_return username.error();
          auto password = required_string(*body, "password");
          if (!password) co_return password.error();
          auto login =
              co_await s.auth.login(std::move(*username), std::move(*password), request.client_address);
          if (!login) co_return login.error();
          co_return token_response(*login, s.auth);
        }));

  // OAuth2 password flow, as Swagger's "Authorize" button and OAuth2 clients send it.
  r.add(beast_http::verb::post, "/api/v1/auth/login",
        anonymous("body", [&s](request_context& request) -> route_result {
          auto form = decode_query(request.raw.body());
          auto username = form.find("username");
          if (username == form.end()) co_return fail(errc::validation, "Field required", "username");
          auto password = form.find("password");
          if (password == form.end()) co_return fail(errc::validation, "Field required", "password");
          auto login = co_await s.auth.login(username->second, password->second, request.client_address);
          if (!login) co_return login.error();
          co_return token_response(*login, s.auth);
        }));

  // Revokes the token it is called with, on every process; its WebSockets close with 4001.
  r.add(beast_http::verb::post, "/api/v1/auth/logout",
        authenticated(s.auth, "body", [&s](request_context&, token_claims const& me) -> route_result {
          auto done = co_await s.auth.logout(me);
          if (!done) co_return done.error();
          co_return no_content_response();
        }));

  // Revokes every earlier token of the user; the answer carries a fresh one, as a login's does.
  r.add(beast_http::verb::post, "/api/v1/users/me/password",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto current = required_string(*body, "current_password");
          if (!current) co_return current.error();
          auto replacement = required_string(*body, "new_password");
          if (!replacement) co_return replacement.error();
          auto changed = co_await s.auth.change_password(me, std::move(*current), std::move(*replacement),
                                                         request.client_address);
          if (!changed) co_return changed.error();
          co_return token_response(*changed, s.auth);
        }));
}

}  // namespace windi::http
