#pragma once
// A serving process's metrics: every component's numbers registered under their names, and the /metrics
// listener, on an address of its own so that it is never served on the public port by accident.
#include "app/runtime.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"
#include "ws/hub.hpp"

#include <memory>

namespace windi::app {

// The numbers the components keep themselves (store, bus, logins, open connections, the process), read at
// scrape time. The store's connection pool can add its own here through add_counter_callback /
// add_gauge_callback once it keeps counts of waits and errors.
void register_component_metrics(metrics::registry& r, runtime& rt, ws::hub const& sessions);

// GET /metrics in the text format 0.0.4; anything else is 404.
class metrics_listener {
 public:
  metrics_listener(runtime& rt, metrics::registry const& registry);
  // Binds cfg.metrics_host:metrics_port and starts; false (logged) when it cannot. The chat service goes on
  // without metrics then: a second process on the same host must not die for a port taken by the first.
  bool start(std::string const& host, std::uint16_t port);
  void stop();

 private:
  http::router routes_;
  std::unique_ptr<http::server> server_;
};

}  // namespace windi::app
