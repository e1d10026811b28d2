#include "app/commands.hpp"
#include "app/runtime.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/signal_set.hpp>

#include <future>

namespace windi::app {

namespace asio = boost::asio;

namespace {

asio::awaitable<boost::json::object> health_report(store& db, std::string bus) {
  auto database = co_await db.health();
  boost::json::object db_view{{"backend", database.backend}, {"status", database.ok ? "ok" : "unavailable"}};
  if (!database.ok) db_view["detail"] = database.detail;
  co_return boost::json::object{{"status", database.ok ? "ok" : "degraded"},
                                {"database", std::move(db_view)},
                                {"bus", boost::json::object{{"backend", bus}, {"status", "ok"}}}};
}

}  // namespace

int serve(settings const& cfg) {
  spdlog::set_level(cfg.debug ? spdlog::level::debug : spdlog::level::info);
  if (auto ok = validate_for_serving(cfg); !ok) {
    spdlog::critical("configuration: {}", ok.error().detail);
    return 2;
  }
  runtime rt(cfg, io_threads_for(cfg));
  if (!rt.migrate()) return 1;

  http::route_services services{rt.auth, rt.users, rt.chats, rt.messages,
                                [&rt] { return health_report(*rt.db, "in-process"); }};
  http::router routes;
  http::add_auth_routes(routes, services);
  http::add_user_routes(routes, services);
  http::add_chat_routes(routes, services);
  http::add_message_routes(routes, services);
  http::add_health_routes(routes, services);

  http::server server(rt.runner.io.get_executor(), routes, http::server_limits{cfg.max_body_bytes});
  std::uint16_t port = 0;
  try {
    port = server.listen(cfg.host, cfg.port);
  } catch (std::exception const& e) {
    spdlog::critical("cannot listen on {}:{}: {}", cfg.host, cfg.port, e.what());
    return 1;
  }
  server.start();
  spdlog::info("listening on http://{}:{} with {} I/O thread(s)", cfg.host, port, io_threads_for(cfg));

  // Shutdown: stop accepting, let in-flight requests finish (bounded), then stop the threads.
  std::promise<void> stop_requested;
  asio::signal_set signals(rt.runner.io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (!ec) spdlog::info("signal {}: shutting down", signal);
    server.stop();
    stop_requested.set_value();
  });
  stop_requested.get_future().wait();
  auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server.requests_in_flight() > 0 && std::chrono::steady_clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  rt.runner.stop();
  spdlog::info("stopped");
  return 0;
}

int migrate(settings const& cfg) {
  runtime rt(cfg, 1);
  return rt.migrate() ? 0 : 1;
}

}  // namespace windi::app
