#include "app/observability.hpp"

#include "bus/bus_stats.hpp"
#include "metrics/process.hpp"
#include "store/group_commit.hpp"
#include "store/pool_stats.hpp"

#include <spdlog/spdlog.h>

namespace windi::app {

namespace beast_http = boost::beast::http;

void register_component_metrics(metrics::registry& r, runtime& rt, ws::hub const& sessions) {
  r.add_gauge_callback("windi_websocket_connections", "WebSocket connections open and authenticated.",
                       [&sessions] { return static_cast<double>(sessions.size()); });
  auto& auth = rt.auth;
  auto login_count = [&auth](login_outcome o) {
    return [&auth, o] { return static_cast<double>(auth.login_outcomes(o)); };
  };
  r.add_counter_callbacks("windi_logins_total", "Login attempts by result (throttled: refused with 429).",
                          {"result"},
                          {{{"ok"}, login_count(login_outcome::ok)},
                           {{"failed"}, login_count(login_outcome::failed)},
                           {{"throttled"}, login_count(login_outcome::throttled)}});

  if (auto* commits = group_commit_stats_of(*rt.db)) {
    r.add("windi_messages_stored_total", "New messages committed to the store.", commits->messages_stored);
    r.add("windi_message_append_failures_total", "Message appends the store answered with an error.",
          commits->append_failures);
    r.add("windi_group_commit_batch_size", "Messages per group-commit transaction.", commits->batch_size);
    r.add("windi_group_commit_duration_seconds", "Time to commit one group-commit transaction.",
          commits->commit_seconds);
    r.add_gauge_callback("windi_group_commit_pending", "Message appends waiting for or in a commit.",
                         [commits] { return static_cast<double>(commits->pending.load()); });
    r.add("windi_history_duration_seconds", "Time the store took to answer a history page.",
          commits->history_seconds);
  }

  if (auto const* pool = rt.db->connection_pool_stats()) {
    r.add("windi_store_pool_waits_total", "Store calls that found every pooled connection in use and waited.",
          pool->waits);
    r.add("windi_store_pool_wait_seconds", "How long those calls waited for a pooled connection.",
          pool->wait_seconds);
    r.add("windi_store_pool_timeouts_total",
          "Store calls that gave up waiting for a pooled connection (answered 503).", pool->timeouts);
    r.add("windi_store_connect_failures_total", "Database connections that could not be opened.",
          pool->connect_failures);
  }

  auto& events = *rt.events;
  if (auto const* bus = stats_of(events)) {
    r.add("windi_bus_published_total", "Events this process published on the bus.", bus->published);
    r.add("windi_bus_received_total", "Events received from other server processes through Redis.",
          bus->received);
    r.add("windi_bus_dropped_total", "Cross-process copies of events dropped while Redis was down or slow.",
          bus->dropped);
    r.add("windi_bus_reconnects_total", "Redis connections established again after a loss.", bus->reconnects);
    r.add("windi_bus_missed_notices_total",
          "Times this process's connections, or other processes' connections, were asked to resync because "
          "events may have been lost while Redis was away.",
          bus->missed_notices);
    r.add("windi_bus_delivery_lag_seconds",
          "Time from publishing an event on Redis to this process's own subscriber receiving it: the hop "
          "every other process waits for (empty without Redis).",
          bus->delivery_lag_seconds);
    r.add("windi_presence_updates_total",
          "Online status changes published (a user's first connection opened or last one closed).",
          bus->presence_updates);
  }
  r.add_gauge_callback("windi_bus_up", "1 when the bus is connected (always for the in-process bus).",
                       [&events] { return events.health().ok ? 1.0 : 0.0; });

  metrics::add_process_metrics(r);
}

metrics_listener::metrics_listener(runtime& rt, metrics::registry const& registry) {
  routes_.add(beast_http::verb::get, "/metrics",
              [&registry](http::request_context&) -> boost::asio::awaitable<http::api_response> {
                http::api_response page;
                page.body = registry.scrape();
                page.content_type = "text/plain; version=0.0.4; charset=utf-8";
                co_return page;
              });
  // Scrapes are rare and small: one thread is plenty, and it is the one that runs the process's services.
  auto io = rt.runner.io.get_executor();
  server_ = std::make_unique<http::server>(
      io, [io] { return io; }, routes_, http::server_limits{.max_body_bytes = 1024});
}

bool metrics_listener::start(std::string const& host, std::uint16_t port) {
  try {
    auto bound = server_->listen(host, port);
    server_->start();
    spdlog::info("metrics on http://{}:{}/metrics",
                 host.find(':') == std::string::npos ? host : "[" + host + "]", bound);
    return true;
  } catch (std::exception const& e) {
    spdlog::error("metrics: cannot listen on {}:{} ({}); serving without /metrics", host, port, e.what());
    return false;
  }
}

void metrics_listener::stop() { server_->stop(); }

}  // namespace windi::app
