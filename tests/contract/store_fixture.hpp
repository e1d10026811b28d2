#pragma once
// The fixture of the store contract suites: a fresh, migrated store of the parameter's backend per test.
#include "contract/store_backends.hpp"
#include "support/run_task.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace windi::testing {

constexpr micros t0 = 1'700'000'000'000'000;  // any fixed instant: the store never reads a clock for data

class store_contract : public ::testing::TestWithParam<store_backend> {
 protected:
  void SetUp() override {
    std::string skip_reason;
    db_ = GetParam().open_empty(io_.get_executor(), skip_reason);
    if (!db_) {
      char const* ci = std::getenv("CI");
      if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL() << GetParam().name << " store unavailable under CI: " << skip_reason;
      }
      GTEST_SKIP() << GetParam().name << " store unavailable: " << skip_reason;
    }
  }

  template <class T>
  T run(task<T> work) {
    return run_task(io_, std::move(work));
  }

  // Starts every task before running any, so the backend sees them concurrently.
  template <class T>
  std::vector<T> run_concurrently(std::vector<task<T>> work) {
    std::vector<std::future<T>> futures;
    for (auto& w : work) futures.push_back(boost::asio::co_spawn(io_, std::move(w), boost::asio::use_future));
    io_.restart();
    io_.run_for(std::chrono::seconds(30));
    std::vector<T> results;
    for (auto& f : futures) results.push_back(f.get());
    return results;
  }

  user add_user(std::string const& name, micros at = t0) {
    return run(db_->create_user({name, name + "@example.com", "hash of " + name, at})).value();
  }

  chat group(user_id creator, std::vector<user_id> members, micros at = t0) {
    return run(db_->create_group_chat(creator, "group", std::move(members), at)).value();
  }

  appended_message send(chat_id chat, user_id sender, std::string text, micros at = t0,
                        std::optional<std::string> client_id = std::nullopt) {
    return run(db_->append_message({chat, sender, std::move(text), std::move(client_id), at, std::nullopt}))
        .value();
  }

  member const* find_member(chat const& c, user_id id) {
    auto it = std::find_if(c.members.begin(), c.members.end(), [id](member const& m) { return m.id == id; });
    return it == c.members.end() ? nullptr : &*it;
  }

  static std::set<user_id> member_ids(chat const& c) {
    std::set<user_id> ids;
    for (auto const& m : c.members) ids.insert(m.id);
    return ids;
  }

  static std::vector<std::int64_t> seqs(std::vector<message> const& page) {
    std::vector<std::int64_t> out;
    for (auto const& m : page) out.push_back(m.seq);
    return out;
  }

  static std::vector<std::string> names(std::vector<user> const& users) {
    std::vector<std::string> out;
    for (auto const& u : users) out.push_back(u.username);
    return out;
  }

  boost::asio::io_context io_;
  std::unique_ptr<store> db_;
};

#define EXPECT_FAILS_WITH(outcome_expr, code_value)          \
  do {                                                       \
    auto const& result_ = (outcome_expr);                    \
    ASSERT_FALSE(result_.has_value()) << "expected failure"; \
    EXPECT_EQ(result_.error().code, code_value);             \
  } while (false)

}  // namespace windi::testing
