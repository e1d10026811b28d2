#include "core/sync_service.hpp"

#include <algorithm>

namespace windi {

task<outcome<sync_result>> sync_service::sync(user_id me, sync_request request) {
  auto chats = co_await db_.list_chats(me);
  if (!chats) co_return chats.error();
  sync_result out;
  std::vector<user_id> people;
  for (auto& summary : *chats) {
    for (auto const& m : summary.info.members) people.push_back(m.id);
    auto const id = summary.info.id;
    auto const covered = summary.info.last_change;
    sync_entry entry{std::move(summary), false, {}};
    outcome<void> replayed;
    if (auto it = request.seen_changes.find(id); it != request.seen_changes.end()) {
      replayed = co_await replay_changes(entry, it->second);
    } else if (auto seq = request.seen_seqs.find(id); seq != request.seen_seqs.end()) {
      replayed = co_await replay_seqs(entry, seq->second);
    } else {
      replayed = co_await replay_changes(entry, 0);
    }
    if (!replayed) co_return replayed.error();
    out.covered[id] = covered;
    out.chats.push_back(std::move(entry));
  }
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  out.online = co_await presence_.online_among(std::move(people));
  co_return out;
}

// Only changes up to the chat's last_change as listed: later ones reach the client as live events, so the
// answer and the events after it neither overlap nor leave a gap.
task<outcome<void>> sync_service::replay_changes(sync_entry& entry, std::int64_t after_change) {
  auto const& info = entry.summary.info;
  if (after_change >= info.last_change) co_return outcome<void>{};
  int const max = limits_.sync_max_messages;
  auto changed = co_await db_.changes_since(info.id, after_change, info.last_change, max + 1);
  if (!changed) co_return changed.error();
  if (static_cast<int>(changed->size()) > max) {
    entry.resync_required = true;
  } else {
    entry.messages = std::move(*changed);
  }
  co_return outcome<void>{};
}

task<outcome<void>> sync_service::replay_seqs(sync_entry& entry, std::int64_t after_seq) {
  auto const& info = entry.summary.info;
  if (info.last_seq - after_seq > limits_.sync_max_messages) {
    entry.resync_required = true;
    co_return outcome<void>{};
  }
  while (after_seq < info.last_seq) {
    history_query page{info.id, limits_.history_max_limit, 0, std::nullopt, after_seq};
    auto got = co_await db_.history(page);
    if (!got) co_return got.error();
    if (got->empty()) break;
    after_seq = got->back().seq;
    for (auto& m : *got) {
      if (m.seq <= info.last_seq) entry.messages.push_back(std::move(m));
    }
  }
  co_return outcome<void>{};
}

}  // namespace windi
