// history: one chat with M messages (seeded over WebSocket with windows of unacknowledged sends), then pages
// of 50 read over one keep-alive HTTP connection: at the top and the bottom, by cursor and by offset.
// Figures: p50/p99 per kind.
#include "client/api.hpp"
#include "connections.hpp"
#include "frames.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

namespace windi::loadgen {

namespace asio = boost::asio;

namespace {

struct page_kind {
  std::string name;
  std::string query;
};

// Reads the same page `requests` times; returns each request's time in ns.
asio::awaitable<std::vector<std::int64_t>> time_pages(client::endpoint server, std::string token,
                                                      std::int64_t chat, std::string query, int requests,
                                                      std::size_t expected) {
  client::http_client http(co_await asio::this_coro::executor, server);
  std::vector<std::int64_t> out;
  auto const target = "/api/v1/messages/history/" + std::to_string(chat) + "?" + query;
  for (int i = 0; i < requests; ++i) {
    auto const t0 = now_ns();
    auto r = co_await http.get(target, token);
    out.push_back(now_ns() - t0);
    bool const ok = r.status == 200 && r.body.is_array() && r.body.as_array().size() == expected;
    if (!ok)
      throw std::runtime_error("history " + query + ": HTTP " + std::to_string(r.status) + ", " +
                               r.text.substr(0, 200));
  }
  co_return out;
}

}  // namespace

report run_history(common_options const& o, history_options const& h) {
  report out;
  out.scenario = "history";
  out.config = {{"messages", h.messages}, {"requests", h.requests}, {"page", h.page}, {"backend", o.backend}};
  if (h.messages < h.page) throw std::runtime_error("history: --messages must be at least --page");
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  auto users = create_users(pool, servers.endpoint_for(0), 2, "his");
  std::vector<std::vector<std::size_t>> groups{{0, 1}};
  auto chat = create_groups(pool, servers.endpoint_for(0), users, groups).front();

  // Seeding: 8 connections of the two members, each a window of 32 sends.
  constexpr std::size_t seeders = 8;
  std::vector<connect_target> targets;
  for (std::size_t i = 0; i < seeders; ++i) {
    targets.push_back({servers.endpoint_for(0), client::chat_socket_path(users[i % 2].token), {}});
  }
  auto opened = open_connections(pool, targets, seeders);
  auto counts = std::make_shared<totals>();
  auto readers = start_readers(pool, opened.connections, counts, false);
  auto const seed_start = now_ns();
  std::vector<std::future<void>> sending;
  auto const m = static_cast<std::uint64_t>(h.messages);
  for (std::size_t i = 0; i < seeders; ++i) {
    auto quota = m / seeders + (i < m % seeders ? 1 : 0);
    sending.push_back(pool.spawn(opened.connections[i]->thread,
                                 windowed_sender(opened.connections[i], counts, chat, 32, quota, 0)));
  }
  bool const seeded =
      wait_until([&] { return counts->acks >= m || counts->dropped > 0; }, std::chrono::minutes(30));
  auto const seed_seconds = static_cast<double>(now_ns() - seed_start) / 1e9;
  close_all(pool, opened.connections, counts, readers);
  wait_all(sending);
  if (!seeded || counts->acks < m)
    throw std::runtime_error("history: seeding stopped early (see the server log)");

  auto const page = std::to_string(h.page);
  auto const deep_offset = std::to_string(h.messages - h.page);
  std::vector<page_kind> kinds{
      {"top_offset", "limit=" + page + "&offset=0"},
      {"top_cursor", "limit=" + page + "&before_seq=" + std::to_string(h.messages + 1)},
      {"bottom_cursor", "limit=" + page + "&after_seq=0"},
      {"bottom_offset", "limit=" + page + "&offset=" + deep_offset},
  };
  auto& seeding = out.section("seeding");
  seeding["messages"] = h.messages;
  seeding["seconds"] = rounded(seed_seconds, 2);
  servers.mark();
  auto const started = now_ns();
  for (auto const& kind : kinds) {
    auto task = time_pages(servers.endpoint_for(0), users[0].token, chat, kind.query, h.requests,
                           static_cast<std::size_t>(h.page));
    auto times = pool.spawn(0, std::move(task)).get();
    auto summary = latency_summary(std::move(times));
    summary["query"] = kind.query;
    out.section(kind.name) = std::move(summary);
  }
  out.section("server") = servers.figures(static_cast<double>(now_ns() - started) / 1e9);
  return out;
}

}  // namespace windi::loadgen
