#include "api/json_input.hpp"
#include "api/views.hpp"
#include "http/params.hpp"
#include "http/route_support.hpp"

#include <boost/json/array.hpp>

namespace windi::http {

namespace beast_http = boost::beast::http;

void add_user_routes(router& r, route_services& s) {
  r.add(beast_http::verb::get, "/api/v1/users/me",
        authenticated(s.auth, "query", [&s](request_context&, token_claims const& me) -> route_result {
          auto found = co_await s.users.get(me.subject);
          if (!found) {
            // A valid token for an account that no longer exists is no longer a credential.
            if (found.error().code == errc::not_found)
              co_return fail(errc::unauthorized, "Could not validate credentials");
            co_return found.error();
          }
          co_return json_response(user_view(*found, true));
        }));

  r.add(
      beast_http::verb::get, "/api/v1/users/search",
      authenticated(s.auth, "query", [&s](request_context& request, token_claims const& me) -> route_result {
        auto limit = query_int(request, "limit", 1, 50);
        if (!limit) co_return limit.error();
        auto found =
            co_await s.users.search(me.subject, request.query_param("q").value_or(""), limit->value_or(20));
        if (!found) co_return found.error();
        boost::json::array out;
        for (auto const& u : *found) out.push_back(user_view(u, false));
        co_return json_response(out);
      }));

  r.add(beast_http::verb::get, "/api/v1/users/{user_id}",
        authenticated(s.auth, "path", [&s](request_context& request, token_claims const&) -> route_result {
          auto id = path_id(request, "user_id");
          if (!id) co_return id.error();
          auto found = co_await s.users.get(*id);
          if (!found) co_return found.error();
          co_return json_response(user_view(*found, false));
        }));
}

}  // namespace windi::http
