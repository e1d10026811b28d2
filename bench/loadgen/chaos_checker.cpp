#include "chaos_checker.hpp"

#include "client/http_client.hpp"
#include "history_reader.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/array.hpp>

#include <fmt/format.h>

#include <thread>

namespace windi::loadgen {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t max_examples = 10;

asio::awaitable<stored_chat> read_chat(client::endpoint server, std::int64_t chat, std::string token) {
  client::http_client http(co_await asio::this_coro::executor, server, std::chrono::seconds(30));
  stored_chat out;
  std::int64_t after = 0;
  std::function<void(message_copy)> const take = [&out](message_copy m) {
    out.messages[m.id] = std::move(m);
  };
  co_await read_history(http, chat, token, after, take);
  auto chats = co_await http.get("/api/v1/chats/", token);
  for (auto const& c : chats.body.as_array()) {
    if (c.as_object().at("id").as_int64() == chat)
      out.last_change = c.as_object().at("last_change").as_int64();
  }
  co_return out;
}

}  // namespace

bool wait_settled(client_pool& pool, std::vector<std::shared_ptr<chaos_client>> const& clients,
                  std::chrono::seconds limit) {
  auto const until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::vector<std::future<bool>> answers;
    for (std::size_t i = 0; i < clients.size(); ++i) {
      auto done = std::make_shared<std::promise<bool>>();
      answers.push_back(done->get_future());
      asio::post(pool.at(i), [c = clients[i], done] { done->set_value(c->settled()); });
    }
    bool all = true;
    for (auto& a : answers) all = a.get() && all;
    if (all) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void stop_clients(client_pool& pool, chaos_shared& shared,
                  std::vector<std::shared_ptr<chaos_client>> const& clients,
                  std::vector<std::future<void>>& running) {
  shared.stopping = true;
  for (std::size_t i = 0; i < clients.size(); ++i)
    asio::post(pool.at(i), [client = clients[i]] { client->drop(); });
  wait_all(running);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the actors' and reloads' last wake-ups
}

std::map<std::int64_t, stored_chat> read_store(client_pool& pool, client::endpoint const& server,
                                               std::map<std::int64_t, std::string> const& readers) {
  std::map<std::int64_t, stored_chat> out;
  std::vector<std::pair<std::int64_t, std::future<stored_chat>>> reads;
  std::size_t i = 0;
  for (auto const& [chat, token] : readers)
    reads.emplace_back(chat, pool.spawn(i++, read_chat(server, chat, token)));
  for (auto& [chat, f] : reads) out[chat] = f.get();
  return out;
}

json::object chaos_verdict::figures() const {
  json::object out{{"acknowledged", acknowledged},
                   {"retried", retried},
                   {"lost", lost},
                   {"duplicated", duplicated},
                   {"unacknowledged", unacknowledged},
                   {"divergent_views", divergent_views},
                   {"silent_gaps", silent_gaps},
                   {"passed", passed()}};
  json::array shown;
  for (auto const& e : examples) shown.push_back(json::value(e));
  if (!shown.empty()) out["violations"] = std::move(shown);
  return out;
}

chaos_verdict check_chaos(std::vector<std::shared_ptr<chaos_client>> const& clients,
                          std::map<std::int64_t, stored_chat> const& store) {
  chaos_verdict v;
  auto note = [&v](std::string text) {
    if (v.examples.size() < max_examples) v.examples.push_back(std::move(text));
  };
  // Every stored message by client_message_id (each is unique to its sender in this scenario).
  std::map<std::string, std::vector<std::int64_t>> stored_by_cmid;
  for (auto const& [chat, s] : store) {
    for (auto const& [id, m] : s.messages) {
      if (!m.client_message_id.empty()) stored_by_cmid[m.client_message_id].push_back(id);
    }
  }
  for (auto const& [cmid, ids] : stored_by_cmid) {
    if (ids.size() > 1) {
      ++v.duplicated;
      note(fmt::format("{} is stored {} times", cmid, ids.size()));
    }
  }
  for (auto const& c : clients) {
    auto const& counts = c->counts();
    v.retried += counts.retried;
    v.duplicated += counts.ack_mismatches;
    v.unacknowledged += c->unacknowledged();
    for (auto const& [cmid, id] : c->acknowledged()) {
      ++v.acknowledged;
      auto found = stored_by_cmid.find(cmid);
      if (found == stored_by_cmid.end() ||
          std::find(found->second.begin(), found->second.end(), id) == found->second.end()) {
        ++v.lost;
        note(fmt::format("{} was acknowledged as #{} and is not stored", cmid, id));
      }
    }
    for (auto const& [chat, view] : c->views()) {
      auto const found = store.find(chat);
      if (found == store.end()) continue;
      auto const& truth = found->second;
      if (!caught_up(view, truth)) {
        ++v.silent_gaps;
        note(fmt::format("{} in chat {}: cursor {} ({}), the chat's last change {}", c->user().username, chat,
                         view.cursor(), view.waiting() ? "changes wait beyond a hole" : "nothing beyond it",
                         truth.last_change));
      }
      if (auto difference = view_difference(view, truth); !difference.empty()) {
        ++v.divergent_views;
        note(fmt::format("{} in chat {}: {}", c->user().username, chat, difference));
      }
    }
  }
  return v;
}

}  // namespace windi::loadgen
