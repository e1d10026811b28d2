#include "app/commands.hpp"
#include "app/observability.hpp"
#include "app/runtime.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "store/group_commit.hpp"
#include "ws/hub.hpp"
#include "ws/session.hpp"
#include "ws/upgrade_checks.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <future>

namespace windi::app {

namespace asio = boost::asio;

namespace {

// The database decides 200/503: without it nothing works. A bus that is down degrades fan-out across
// processes only (local delivery goes on, clients resume from the store), so it is reported but keeps the
// status "ok".
asio::awaitable<boost::json::object> health_report(store& db, bus& events, ws::hub& sessions) {
  auto database = co_await db.health();
  boost::json::object db_view{{"backend", database.backend}, {"status", database.ok ? "ok" : "unavailable"}};
  if (!database.ok) db_view["detail"] = database.detail;
  auto fanout = events.health();
  boost::json::object bus_view{{"backend", fanout.backend}, {"status", fanout.ok ? "ok" : "unavailable"}};
  if (!fanout.ok) bus_view["detail"] = fanout.detail;
  co_return boost::json::object{{"status", database.ok ? "ok" : "unavailable"},
                                {"database", std::move(db_view)},
                                {"bus", std::move(bus_view)},
                                {"websocket_connections", sessions.size()}};
}

// The drain after SIGTERM: until nothing is in flight (requests being answered, sessions closing, appends
// committing), or the deadline. True when everything finished.
bool drain(http::server const& server, ws::hub const& sessions, group_commit_stats const* commits,
           std::chrono::steady_clock::time_point deadline) {
  auto busy = [&] {
    return server.requests_in_flight() > 0 || sessions.size() > 0 || (commits && commits->pending.load() > 0);
  };
  while (busy()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

namespace {

// Removes uploads no message holds once old enough, the bytes of files that are gone, and what interrupted
// uploads left: shortly after start, then every FILE_CLEANUP_SECONDS, until the timer is cancelled. Several
// processes may do it at once.
asio::awaitable<void> clean_up_files(file_service& files, asio::steady_timer& timer,
                                     std::chrono::seconds every) {
  auto wait = std::min(every, std::chrono::seconds(30));
  for (;;) {
    timer.expires_after(wait);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto removed = co_await files.clean_up();
    if (!removed) {
      spdlog::warn("file cleanup failed: {}", removed.error().detail);
    } else if (*removed > 0) {
      spdlog::info("file cleanup: removed the bytes of {} file(s) no message holds", *removed);
    }
    wait = every;
  }
}

}  // namespace

int serve(settings const& cfg) {
  auto access = metrics::configure_logging(
      cfg.log_json ? metrics::log_format::json : metrics::log_format::text, cfg.debug);
  if (auto ok = validate_for_serving(cfg); !ok) {
    spdlog::critical("configuration: {}", ok.error().detail);
    return 2;
  }
  auto proxies = http::trusted_proxies::parse(cfg.trusted_proxies);
  if (!proxies) {
    spdlog::critical("configuration: {}", proxies.error().detail);
    return 2;
  }
  runtime rt(cfg, io_threads_for(cfg));
  if (!rt.migrate()) return 1;

  metrics::registry registry;
  metrics::traffic traffic(registry, access);
  ws::hub sessions(rt.runner.executors());
  sessions.observe(&traffic);
  register_component_metrics(registry, rt, sessions);
  rt.events->on_deliver([&rt, &sessions](envelope e) {
    // Before the sessions look: they check their tokens against what the store says now.
    if (e.kind == event_kind::credentials_changed) rt.auth.forget_credentials(e.subject);
    sessions.deliver(std::move(e));
  });
  rt.events->on_gone_offline([&rt](std::vector<user_id> users) {
    asio::co_spawn(rt.runner.io, rt.presence.gone_offline(std::move(users)), asio::detached);
  });
  rt.events->start();

  http::route_services services{
      rt.auth, rt.users, rt.chats, rt.messages, rt.search, rt.files, [&rt, &sessions] {
        return health_report(*rt.db, *rt.events, sessions);
      }};
  http::static_files web_files(cfg.web_dir);
  http::router routes;
  http::add_all_routes(routes, services, web_files);

  http::server server(
      rt.runner.io.get_executor(), [&rt] { return rt.runner.next_connection_executor(); }, routes,
      http::server_limits{cfg.max_body_bytes});
  server.trust_proxies(std::move(*proxies));
  server.observe(&traffic);
  ws::session_limits socket_limits;
  socket_limits.max_frame_bytes = cfg.ws_max_frame_bytes;
  socket_limits.outbox_max_frames = cfg.ws_outbox_max_frames;
  socket_limits.outbox_max_bytes = cfg.ws_outbox_max_bytes;
  socket_limits.socket_unsent_max_bytes = cfg.ws_socket_unsent_max_bytes;
  socket_limits.idle_timeout = std::chrono::seconds(cfg.ws_idle_timeout_seconds);
  socket_limits.write_timeout = std::chrono::seconds(cfg.ws_write_timeout_seconds);
  socket_limits.allowed_origins = cfg.allowed_origins;
  ws::connection_caps caps(*rt.rate_limits, cfg.ws_max_connections_per_user,
                           cfg.ws_max_connections_per_address);
  ws::session_services socket_services{
      *rt.events, rt.auth,  rt.chats, rt.messages, rt.presence,
      rt.sync,    sessions, caps,     rt.limits(), rt.runner.blocking.get_executor()};
  server.on_upgrade(&ws::is_chat_socket_path,
                    [&](asio::ip::tcp::socket socket, http::beast_request request, std::string client) {
                      auto s = std::make_shared<ws::session>(std::move(socket), socket_services,
                                                             socket_limits, std::move(client));
                      ws::session::start(std::move(s), std::move(request));
                    });
  std::uint16_t port = 0;
  try {
    port = server.listen(cfg.host, cfg.port);
  } catch (std::exception const& e) {
    spdlog::critical("cannot listen on {}:{}: {}", cfg.host, cfg.port, e.what());
    return 1;
  }
  server.start();
  spdlog::info("listening on http://{}:{} with {} I/O thread(s)", cfg.host, port, io_threads_for(cfg));
  asio::steady_timer file_cleanup(rt.runner.io);
  asio::co_spawn(rt.runner.io,
                 clean_up_files(rt.files, file_cleanup, std::chrono::seconds(cfg.file_cleanup_seconds)),
                 asio::detached);
  metrics_listener metrics_endpoint(rt, registry);
  if (!cfg.metrics_host.empty()) metrics_endpoint.start(cfg.metrics_host, cfg.metrics_port);

  // Shutdown: stop accepting; sessions close with 1001 once their pending sends are answered; requests in
  // flight are answered and appends committed; all within SHUTDOWN_TIMEOUT_SECONDS, then the threads stop.
  std::promise<void> stop_requested;
  asio::signal_set signals(rt.runner.io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (!ec) spdlog::info("signal {}: shutting down", signal);
    server.stop();
    stop_requested.set_value();
  });
  stop_requested.get_future().wait();
  auto const started = std::chrono::steady_clock::now();
  auto const deadline = started + std::chrono::seconds(cfg.shutdown_timeout_seconds);
  sessions.shutdown_all();  // 1001: clients reconnect elsewhere and resume
  if (drain(server, sessions, group_commit_stats_of(*rt.db), deadline)) {
    spdlog::info("drained in {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - started)
                                         .count());
  } else {
    spdlog::warn(
        "drain: SHUTDOWN_TIMEOUT_SECONDS ({} s) reached with {} request(s) and {} connection(s) still "
        "open; stopping anyway",
        cfg.shutdown_timeout_seconds, server.requests_in_flight(), sessions.size());
  }
  metrics_endpoint.stop();
  asio::post(rt.runner.io, [&file_cleanup] { file_cleanup.cancel(); });
  rt.events->stop();
  rt.runner.stop();
  spdlog::info("stopped");
  return 0;
}

int migrate(settings const& cfg) {
  runtime rt(cfg, 1);
  return rt.migrate() ? 0 : 1;
}

}  // namespace windi::app
