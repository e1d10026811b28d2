// Request targets and paths: the router's dispatch (parse_origin_form, split_path, matching, decode_query of
// the query, the handlers' path and query parameters) over a real router built as the server builds it, on an
// embedded SQLite store in a temporary directory. Half the inputs carry a valid token of a real user, so the
// authenticated handlers read their parameters too. Every answer must be below 500.
//   input: byte 0 = method, byte 1 bit 0 = authenticated, the rest = the request target
#include "app/runtime.hpp"
#include "fuzz_support.hpp"
#include "http/routes.hpp"

#include <spdlog/spdlog.h>
#include <boost/beast/http/verb.hpp>

#include <unistd.h>
#include <array>
#include <filesystem>
#include <memory>

namespace {

namespace beast_http = boost::beast::http;

struct fixture {
  std::filesystem::path dir;
  std::unique_ptr<windi::app::runtime> rt;
  std::unique_ptr<windi::http::route_services> services;
  std::unique_ptr<windi::http::static_files> files;
  windi::http::router routes;
  std::string bearer;
};

// Deliberately never destroyed: the I/O threads keep running until the process exits.
fixture* state = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  state = new fixture;
  state->dir = std::filesystem::temp_directory_path() / ("windi-fuzz-router-" + std::to_string(::getpid()));
  std::filesystem::remove_all(state->dir);
  std::filesystem::create_directories(state->dir);
  windi::variables vars{{"DEBUG", "true"},
                        {"DATABASE_URL", "sqlite:///" + (state->dir / "fuzz.db").string()},
                        {"DATA_DIR", state->dir.string()}};
  auto cfg = windi::settings_from_variables(vars);
  WINDI_FUZZ_CHECK(cfg);
  state->rt = std::make_unique<windi::app::runtime>(*cfg, 1);
  WINDI_FUZZ_CHECK(state->rt->migrate());
  auto& rt = *state->rt;
  state->services = std::make_unique<windi::http::route_services>(
      windi::http::route_services{rt.auth, rt.users, rt.chats, rt.messages, rt.search, rt.files,
                                  []() -> boost::asio::awaitable<boost::json::object> {
                                    co_return boost::json::object{{"status", "ok"}};
                                  }});
  state->files = std::make_unique<windi::http::static_files>(state->dir);
  windi::http::add_all_routes(state->routes, *state->services, *state->files);
  auto user = rt.wait(rt.db->create_user(windi::new_user{"fuzzer", "fuzzer@example.com", "not-a-hash", 0}));
  WINDI_FUZZ_CHECK(user);
  state->bearer = "Bearer " + rt.tokens.issue(user->id, "fuzzer");
  std::atexit([] { std::filesystem::remove_all(state->dir); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static constexpr std::array methods{
      beast_http::verb::get,   beast_http::verb::head,    beast_http::verb::post,    beast_http::verb::put,
      beast_http::verb::patch, beast_http::verb::delete_, beast_http::verb::options, beast_http::verb::trace};
  if (size < 2) return 0;
  windi::http::beast_request request;
  request.method(methods[data[0] % methods.size()]);
  request.target(windi::fuzz::bytes(data + 2, size - 2));
  request.version(11);
  request.set(beast_http::field::host, "localhost");
  if (data[1] & 1) request.set(beast_http::field::authorization, state->bearer);
  request.prepare_payload();
  auto response = state->rt->wait(state->routes.dispatch(request, "203.0.113.7"));
  WINDI_FUZZ_CHECK(static_cast<unsigned>(response.status) < 500);
  return 0;
}
