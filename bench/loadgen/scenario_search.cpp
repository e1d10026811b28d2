// search: see scenarios.hpp. The sends are measured on fresh databases, with the index and with it taken out
// of the schema, alternating; the corpus is loaded through the server (WebSocket sends, as clients would) on
// a third fresh database, and the searches are timed over one keep-alive HTTP connection.
#include "client/api.hpp"
#include "client/http_client.hpp"
#include "connections.hpp"
#include "frames.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "search_index.hpp"
#include "servers.hpp"
#include "zipf_text.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <thread>

namespace windi::loadgen {

namespace asio = boost::asio;

namespace {

// Sends `quota` messages of words into its chats in turn, with at most `window` unacknowledged.
asio::awaitable<void> corpus_sender(connection_ptr c, std::shared_ptr<totals> counts,
                                    std::vector<std::int64_t> chats, std::uint64_t window,
                                    std::uint64_t quota, std::shared_ptr<zipf_text const> words,
                                    std::uint64_t seed) {
  std::mt19937_64 random(seed);
  try {
    while (c->sent < quota && !c->closed && !counts->stopping) {
      if (c->sent - c->acked >= window) {
        c->wake.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code woken;  // cancelled: an ack arrived
        co_await c->wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
        continue;
      }
      auto const chat = chats[c->sent % chats.size()];
      auto frame =
          client::send_message_frame(chat, words->message(random), c->cmid_prefix + std::to_string(c->sent));
      ++c->sent;
      counts->sends.fetch_add(1, std::memory_order_relaxed);
      co_await c->ws.send(std::move(frame));
    }
  } catch (std::exception const&) {
    // The connection went away; the reader counts that.
  }
}

struct query_kind {
  std::string name;
  std::string q;
};

struct timed_queries {
  std::vector<std::int64_t> nanoseconds;
  std::size_t first_page = 0;  // hits on the first page
};

asio::awaitable<timed_queries> time_queries(client::endpoint server, std::string token, std::string q,
                                            int requests) {
  client::http_client http(co_await asio::this_coro::executor, server);
  timed_queries out;
  auto const target =
      "/api/v1/messages/search?limit=20&q=" + boost::urls::encode(q, boost::urls::unreserved_chars);
  for (int i = 0; i < requests; ++i) {
    auto const t0 = now_ns();
    auto r = co_await http.get(target, token);
    out.nanoseconds.push_back(now_ns() - t0);
    if (r.status != 200 || !r.body.is_object())
      throw std::runtime_error("search " + q + ": HTTP " + std::to_string(r.status) + ", " +
                               r.text.substr(0, 200));
    out.first_page = r.body.at("results").as_array().size();
  }
  co_return out;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto const n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Sends per second with the index and without, alternating, each on a fresh database.
void measure_sends(common_options const& o, search_options const& s, report& out) {
  persisted_options p;
  p.seconds = s.send_seconds;
  p.clients = s.send_clients;
  p.chats = s.send_clients / 2;
  p.baseline = false;
  p.words = true;
  boost::json::array with, without, ratios;
  for (int round = 0; round < s.send_rounds; ++round) {
    double rates[2] = {0, 0};
    for (int indexed = 0; indexed < 2; ++indexed) {
      common_options phase = o;
      if (o.backend == "postgres") {
        phase.postgres_url =
            fresh_postgres_database(o.postgres_url, indexed == 1 ? "search_on" : "search_off");
      }
      p.without_search_index = indexed == 0;
      auto r = run_persisted(phase, p);
      rates[indexed] = r.sections.at("windi").as_object().at("acked_per_second").to_number<double>();
    }
    without.push_back(rates[0]);
    with.push_back(rates[1]);
    ratios.push_back(rounded(rates[0] > 0 ? rates[1] / rates[0] : 0, 3));
  }
  std::vector<double> ratio_values;
  for (auto const& r : ratios) ratio_values.push_back(r.to_number<double>());
  auto& sends = out.section("sends");
  sends["per_second_without_index"] = std::move(without);
  sends["per_second_with_index"] = std::move(with);
  sends["ratio_with_to_without"] = std::move(ratios);
  sends["median_ratio"] = rounded(median(ratio_values), 3);
}

}  // namespace

report run_search(common_options const& o, search_options const& s) {
  report out;
  out.scenario = "search";
  out.config = {{"messages", s.messages},         {"chats", s.chats},
                {"member_chats", s.member_chats}, {"senders", s.senders},
                {"requests", s.requests},         {"vocabulary", s.vocabulary},
                {"backend", o.backend},           {"send_seconds", s.send_seconds},
                {"send_rounds", s.send_rounds}};
  if (s.member_chats > s.chats || s.senders < 1 || s.senders > s.chats || s.messages < s.senders)
    throw std::runtime_error(
        "search: needs member-chats <= chats, 1 <= senders <= chats, messages >= senders");
  if (s.send_seconds > 0) measure_sends(o, s, out);

  common_options phase = o;
  if (o.backend == "postgres") phase.postgres_url = fresh_postgres_database(o.postgres_url, "search_corpus");
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(phase, dir, true);
  auto const senders = static_cast<std::size_t>(s.senders);
  auto const chats = static_cast<std::size_t>(s.chats);
  auto users = create_users(pool, servers.endpoint_for(0), 1 + senders, "srch");  // users[0] searches
  std::vector<std::vector<std::size_t>> groups(chats);
  for (std::size_t c = 0; c < chats; ++c) {
    groups[c].push_back(1 + c % senders);
    if (c < static_cast<std::size_t>(s.member_chats)) groups[c].push_back(0);
  }
  auto chat_ids = create_groups(pool, servers.endpoint_for(0), users, groups);

  std::vector<connect_target> targets;
  for (std::size_t i = 0; i < senders; ++i) {
    targets.push_back({servers.endpoint_for(i), client::chat_socket_path(users[1 + i].token), {}});
  }
  auto opened = open_connections(pool, targets, 64);
  auto& conns = opened.connections;
  auto counts = std::make_shared<totals>();
  auto readers = start_readers(pool, conns, counts, false);
  auto const words = std::make_shared<zipf_text const>(static_cast<std::size_t>(s.vocabulary));
  auto const total = static_cast<std::uint64_t>(s.messages);
  auto const load_start = now_ns();
  std::vector<std::future<void>> sending;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    std::vector<std::int64_t> mine;
    for (std::size_t c = i; c < chats; c += senders) mine.push_back(chat_ids[c]);
    auto const quota = total / senders + (i < total % senders ? 1 : 0);
    sending.push_back(pool.spawn(
        conns[i]->thread, corpus_sender(conns[i], counts, std::move(mine),
                                        static_cast<std::uint64_t>(s.window), quota, words, 1000 + i)));
  }
  bool const loaded =
      wait_until([&] { return counts->acks >= total || counts->dropped > 0; }, std::chrono::minutes(60));
  auto const load_seconds = static_cast<double>(now_ns() - load_start) / 1e9;
  close_all(pool, conns, counts, readers);
  wait_all(sending);
  if (!loaded || counts->acks < total)
    throw std::runtime_error("search: loading stopped early (see the server log)");
  auto& corpus = out.section("corpus");
  corpus["messages"] = total;
  corpus["seconds"] = rounded(load_seconds, 1);
  corpus["per_second"] = rounded(static_cast<double>(total) / load_seconds, 0);
  corpus["searcher_chats"] = s.member_chats;

  // The rarest English word that still has about ten messages in the searcher's chats: a query for a word
  // that is in no chat of the caller would time only the empty answer.
  auto const& english = words->english();
  auto const searcher_messages =
      static_cast<double>(total) * static_cast<double>(s.member_chats) / static_cast<double>(s.chats);
  auto rare_rank = english.size();
  while (rare_rank > 1 && words->expected_english_uses(rare_rank, searcher_messages) < 10) --rare_rank;
  std::vector<query_kind> kinds{
      {"rare_word", english.word(rare_rank)},
      {"common_word", english.word(1)},
      {"phrase", "\"" + english.word(2) + " " + english.word(1) + "\""},
      {"prefix", "wor"},
      {"russian_word_form", "сообщениями"},
  };
  servers.mark();
  auto const started = now_ns();
  for (auto const& kind : kinds) {
    auto timed =
        pool.spawn(0, time_queries(servers.endpoint_for(0), users[0].token, kind.q, s.requests)).get();
    auto summary = latency_summary(std::move(timed.nanoseconds));
    summary["q"] = kind.q;
    summary["first_page_hits"] = timed.first_page;
    out.section(kind.name) = std::move(summary);
  }
  out.section("server") = servers.figures(static_cast<double>(now_ns() - started) / 1e9);
  auto& size = out.section("index");
  for (auto& [key, value] : search_index_size(
           o.backend, o.backend == "sqlite" ? server_set::sqlite_path(dir) : phase.postgres_url)) {
    size[key] = value;
  }
  auto const bytes = size.at("index_bytes").to_number<double>();
  size["bytes_per_million_messages"] = rounded(bytes / static_cast<double>(total) * 1e6, 0);
  return out;
}

}  // namespace windi::loadgen
