#include "http/openapi.hpp"
#include "http/routes.hpp"

namespace windi::http {

using boost::beast::http::verb;

void add_web_routes(router& r, static_files const& files) {
  r.add(verb::get, "/openapi.json", [](request_context&) -> boost::asio::awaitable<api_response> {
    api_response response;
    response.body = std::string(openapi_document());
    response.headers = {{"Cache-Control", "no-cache"}};
    co_return response;
  });
  r.add(verb::get, "/docs", [&files](request_context& request) -> boost::asio::awaitable<api_response> {
    co_return files.page("docs.html", request.raw);
  });
  r.set_fallback([&files](request_context& request) -> boost::asio::awaitable<api_response> {
    if (auto found = files.serve(request.path, request.raw)) co_return std::move(*found);
    co_return json_response(boost::beast::http::status::not_found,
                            boost::json::object{{"detail", "Not Found"}});
  });
}

void add_all_routes(router& r, route_services& s, static_files const& files) {
  add_auth_routes(r, s);
  add_user_routes(r, s);
  add_chat_routes(r, s);
  add_message_routes(r, s);
  add_file_routes(r, s);
  add_health_routes(r, s);
  add_web_routes(r, files);
}

}  // namespace windi::http
