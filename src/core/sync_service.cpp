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
    sign_(entry.summary);
    sign_(entry.messages);
    out.covered[id] = entry.summary.info.last_change;
    out.chats.push_back(std::move(entry));
  }
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  out.online = co_await presence_.online_among(std::move(people));
  co_return out;
}

task<outcome<changes_page>> sync_service::changes_after(chat_id chat, std::int64_t after_change) {
  auto page = co_await db_.changes_since(chat, after_change, limits_.sync_max_messages);
  if (page) sign_(page->messages);
  co_return page;
}

// The store reads the chat's change number before the messages, so every change up to it is in them; the
// entry then carries that number, and the live events up to it are the ones the answer already covers.
task<outcome<void>> sync_service::replay_changes(sync_entry& entry, std::int64_t after_change) {
  auto& info = entry.summary.info;
  if (after_change >= info.last_change) co_return outcome<void>{};
  int const max = limits_.sync_max_messages;
  // Seen nothing of a long chat: too much to replay, known without reading it.
  if (after_change == 0 && info.last_seq > max) {
    entry.resync_required = true;
    co_return outcome<void>{};
  }
  auto page = co_await db_.changes_since(info.id, after_change, max);
  if (!page) co_return page.error();
  info.last_change = std::max(info.last_change, page->last_change);
  if (page->truncated) {
    entry.resync_required = true;
  } else {
    entry.messages = std::move(page->messages);
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
