// connections: N authenticated idle WebSockets (users reused round-robin), from several loopback source
// addresses so the ephemeral port range is not the limit. Figures: how many opened, and the server's RSS
// growth per connection. Both processes need a file descriptor per connection: the soft RLIMIT_NOFILE is
// raised to the hard limit first (the server inherits it), and N is capped below that limit.
#include "connections.hpp"
#include "frames.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <sys/resource.h>

#include <thread>

namespace windi::loadgen {

namespace {

rlim_t raise_file_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace

report run_connections(common_options const& o, connections_options const& c) {
  report out;
  out.scenario = "connections";
  auto const fd_limit = raise_file_limit();
  // Headroom for the server's database, log and listening descriptors.
  auto const cap = fd_limit > 300 ? static_cast<std::size_t>(fd_limit - 300) : std::size_t{0};
  auto const wanted = static_cast<std::size_t>(c.connections);
  auto const attempted = std::min(wanted, cap);
  out.config = {{"connections", c.connections}, {"users", c.users},         {"addresses", c.addresses},
                {"backend", o.backend},         {"processes", o.processes}, {"client_threads", o.threads},
                {"rlimit_nofile", fd_limit}};

  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  auto users =
      create_users(pool, servers.endpoint_for(0), static_cast<std::size_t>(std::max(1, c.users)), "con");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<proc_sample> before;
  for (std::size_t i = 0; i < servers.size(); ++i) before.push_back(servers.process(i).sample());

  std::vector<connect_target> targets;
  targets.reserve(attempted);
  auto const addresses = static_cast<std::size_t>(std::clamp(c.addresses, 1, 250));
  for (std::size_t i = 0; i < attempted; ++i) {
    auto local = boost::asio::ip::make_address_v4("127.0.0." + std::to_string(1 + i % addresses));
    targets.push_back(
        {servers.endpoint_for(i), client::chat_socket_path(users[i % users.size()].token), local});
  }
  servers.mark();
  auto const started = now_ns();
  auto opened = open_connections(pool, targets, static_cast<std::size_t>(c.parallel), true);
  auto const open_seconds = static_cast<double>(now_ns() - started) / 1e9;
  auto counts = std::make_shared<totals>();
  auto readers = start_readers(pool, opened.connections, counts, false);
  std::this_thread::sleep_for(std::chrono::seconds(c.hold_seconds));
  std::int64_t rss_delta_kib = 0;
  for (std::size_t i = 0; i < servers.size(); ++i)
    rss_delta_kib += servers.process(i).sample().rss_kib - before[i].rss_kib;
  auto resources = servers.figures(open_seconds);
  auto const still_open = opened.connections.size() - counts->dropped.load();
  close_all(pool, opened.connections, counts, readers);

  auto& r = out.section("windi");
  r["requested"] = wanted;
  r["attempted"] = attempted;
  r["opened"] = opened.connections.size();
  r["open_after_hold"] = still_open;
  r["failed"] = opened.failures;
  if (!opened.first_error.empty()) r["first_error"] = opened.first_error;
  r["open_seconds"] = rounded(open_seconds, 2);
  r["server_rss_delta_mib"] = rounded(static_cast<double>(rss_delta_kib) / 1024, 1);
  r["server_bytes_per_connection"] =
      still_open > 0 ? rounded(static_cast<double>(rss_delta_kib) * 1024 / static_cast<double>(still_open), 0)
                     : 0;
  r["loadgen_rss_mib"] = rounded(static_cast<double>(sample_process(::getpid()).rss_kib) / 1024, 1);
  for (auto& [key, value] : resources) r[key] = value;
  if (attempted < wanted) {
    r["note"] = "capped by RLIMIT_NOFILE " + std::to_string(fd_limit) + " (raise the hard limit for more)";
  }
  if (opened.connections.empty()) throw std::runtime_error("connections: none opened: " + opened.first_error);
  return out;
}

}  // namespace windi::loadgen
