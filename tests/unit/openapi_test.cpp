// The OpenAPI document served at /openapi.json and the router describe the same API: every route served is
// documented with its method, and every documented operation is served.
#include "http/openapi.hpp"
#include "app/runtime.hpp"
#include "http/routes.hpp"
#include "ws/upgrade_checks.hpp"

#include <gtest/gtest.h>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>

#include <filesystem>
#include <set>

namespace windi {
namespace {

using operation = std::pair<std::string, std::string>;  // {"GET", "/api/v1/chats/{chat_id}"}

constexpr std::string_view websocket_path = "/api/v1/ws/chat";

std::string without_trailing_slash(std::string path) {
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::set<operation> documented_operations(boost::json::object const& spec) {
  static const std::set<std::string> methods{"get",     "put",  "post",  "delete",
                                             "options", "head", "patch", "trace"};
  std::set<operation> documented;
  for (auto const& [path, item] : spec.at("paths").as_object()) {
    for (auto const& [key, value] : item.as_object()) {
      if (!methods.contains(std::string(key))) continue;
      std::string method(key);
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(method, without_trailing_slash(std::string(path)));
    }
  }
  return documented;
}

std::set<operation> served_operations() {
  auto dir = std::filesystem::temp_directory_path() / ("windi-openapi-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  variables vars{{"DEBUG", "true"},
                 {"DATABASE_URL", "sqlite:///" + (dir / "routes.db").string()},
                 {"DATA_DIR", dir.string()}};
  auto cfg = settings_from_variables(vars);
  EXPECT_TRUE(cfg);
  std::set<operation> served;
  {
    app::runtime rt(*cfg, 1);
    http::route_services services{
        rt.auth,
        rt.users,
        rt.chats,
        rt.messages,
        rt.search,
        rt.files,
        []() -> boost::asio::awaitable<boost::json::object> { co_return boost::json::object(); }};
    http::static_files files(dir);
    http::router routes;
    http::add_all_routes(routes, services, files);
    for (auto const& r : routes.routes()) {
      served.emplace(std::string(boost::beast::http::to_string(r.method)), without_trailing_slash(r.pattern));
    }
  }
  std::filesystem::remove_all(dir);
  // The WebSocket endpoint is an upgrade taken before routing; the document describes its handshake.
  if (ws::is_chat_socket_path(websocket_path)) served.emplace("GET", std::string(websocket_path));
  return served;
}

TEST(OpenApi, DocumentIsOpenApi31) {
  auto spec = boost::json::parse(http::openapi_document()).as_object();
  EXPECT_TRUE(spec.at("openapi").as_string().starts_with("3.1"));
  EXPECT_FALSE(spec.at("info").at("title").as_string().empty());
  EXPECT_TRUE(spec.at("components").as_object().contains("securitySchemes"));
}

TEST(OpenApi, EveryServedRouteIsDocumentedAndEveryDocumentedRouteIsServed) {
  auto documented = documented_operations(boost::json::parse(http::openapi_document()).as_object());
  auto served = served_operations();
  for (auto const& op : served) {
    EXPECT_TRUE(documented.contains(op)) << op.first << " " << op.second << " is served but not documented";
  }
  for (auto const& op : documented) {
    EXPECT_TRUE(served.contains(op)) << op.first << " " << op.second << " is documented but not served";
  }
  EXPECT_GE(served.size(), 15u);  // the seed's routes at least
}

}  // namespace
}  // namespace windi
