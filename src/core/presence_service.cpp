#include "core/presence_service.hpp"

#include "api/events.hpp"

namespace windi {

task<void> presence_service::connected(user_id user, std::string const& username,
                                       std::string const& connection_id) {
  // The awaited value is named first: GCC 12 emits a trap for a co_await used directly as an if condition.
  bool first = co_await events_.connected(user, connection_id);
  if (first) co_await announce(user, username, true);
  co_return;
}

task<void> presence_service::disconnected(user_id user, std::string const& username,
                                          std::string const& connection_id) {
  bool last = co_await events_.disconnected(user, connection_id);
  if (last) co_await announce(user, username, false);
  co_return;
}

task<void> presence_service::gone_offline(std::vector<user_id> users) {
  for (user_id user : users) {
    auto found = co_await db_.get_user(user);
    if (found) co_await announce(user, found->username, false);
  }
}

task<std::vector<user_id>> presence_service::online_among(std::vector<user_id> users) {
  co_return co_await events_.online_among(std::move(users));
}

task<void> presence_service::announce(user_id user, std::string const& username, bool online) {
  auto audience = co_await db_.contacts_of(user);
  if (!audience || audience->empty()) co_return;
  envelope e{0,
             event_kind::presence,
             0,
             std::move(*audience),
             user_status_event(user, username, online, clock_.now()),
             user};
  events_.publish(std::move(e));
}

}  // namespace windi
