// The demo data: five users (password "password123") and three chats with messages. Idempotent: users that
// exist are kept, private chats are found rather than duplicated, the group is looked up by name, and
// messages carry fixed client_message_ids so a second run stores nothing new.
#include "app/commands.hpp"
#include "app/runtime.hpp"

#include <spdlog/spdlog.h>

#include <map>

namespace windi::app {

namespace {

constexpr char const* demo_password = "password123";
constexpr char const* demo_users[] = {"alice", "bob", "charlie", "diana", "eve"};
constexpr char const* group_name = "WinDI Team";

struct demo_line {
  char const* sender;
  char const* text;
};

// Named arrays rather than braced lists at the call: GCC 12 cannot copy those into a coroutine frame.
std::vector<demo_line> const alice_bob_lines = {{"alice", "Hi Bob! Did you see the new messenger?"},
                                                {"bob", "Hey Alice! Yes, it is fast."},
                                                {"alice", "Messages arrive before I finish typing 😄"}};
std::vector<demo_line> const alice_charlie_lines = {
    {"charlie", "Alice, are we still on for the review at 3?"}, {"alice", "Yes, see you then."}};
std::vector<demo_line> const team_lines = {{"alice", "Welcome to the team chat, everyone!"},
                                           {"diana", "Hello all 👋"},
                                           {"eve", "Glad to be here."},
                                           {"bob", "Standup in five minutes."}};

task<outcome<user_id>> ensure_user(runtime& rt, std::string name) {
  auto existing = co_await rt.db->find_credentials(name);
  if (existing) co_return existing->account.id;
  if (existing.error().code != errc::not_found) co_return existing.error();
  // No client address: a local command is not rate-limited.
  auto created = co_await rt.auth.register_user(name, name + "@example.com", demo_password, std::nullopt);
  if (!created) co_return created.error();
  spdlog::info("created user {}", name);
  co_return created->id;
}

task<outcome<void>> post_lines(runtime& rt, chat_id chat, std::string const& tag,
                               std::map<std::string, user_id> const& ids,
                               std::vector<demo_line> const& lines) {
  int n = 0;
  for (auto const& line : lines) {
    auto sent = co_await rt.messages.send(ids.at(line.sender), chat, line.text,
                                          "demo-" + tag + "-" + std::to_string(++n));
    if (!sent) co_return sent.error();
  }
  co_return outcome<void>{};
}

task<outcome<void>> create(runtime& rt) {
  std::map<std::string, user_id> ids;
  for (auto name : demo_users) {
    auto id = co_await ensure_user(rt, name);
    if (!id) co_return id.error();
    ids[name] = *id;
  }
  auto alice_bob = co_await rt.chats.open_private(ids["alice"], ids["bob"]);
  if (!alice_bob) co_return alice_bob.error();
  auto sent = co_await post_lines(rt, alice_bob->info.id, "alice-bob", ids, alice_bob_lines);
  if (!sent) co_return sent;

  auto alice_charlie = co_await rt.chats.open_private(ids["alice"], ids["charlie"]);
  if (!alice_charlie) co_return alice_charlie.error();
  sent = co_await post_lines(rt, alice_charlie->info.id, "alice-charlie", ids, alice_charlie_lines);
  if (!sent) co_return sent;

  auto alice_chats = co_await rt.chats.list(ids["alice"]);
  if (!alice_chats) co_return alice_chats.error();
  std::optional<chat_id> group;
  for (auto const& summary : *alice_chats) {
    if (summary.info.kind == chat_kind::group && summary.info.name == group_name) group = summary.info.id;
  }
  if (!group) {
    std::vector<user_id> members{ids["bob"], ids["charlie"], ids["diana"], ids["eve"]};
    auto created = co_await rt.chats.create_group(ids["alice"], group_name, std::move(members));
    if (!created) co_return created.error();
    group = created->id;
  }
  co_return co_await post_lines(rt, *group, "team", ids, team_lines);
}

}  // namespace

int create_test_data(settings const& cfg) {
  runtime rt(cfg, 1);
  if (!rt.migrate()) return 1;
  auto done = rt.wait(create(rt));
  if (!done) {
    spdlog::critical("create-test-data failed: {}", done.error().detail);
    return 1;
  }
  spdlog::info("demo data ready: alice, bob, charlie, diana, eve (password: {})", demo_password);
  return 0;
}

}  // namespace windi::app
