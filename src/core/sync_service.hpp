#pragma once
// Resume: a client says what it last saw of each chat and gets what it missed, from the store, plus the read
// state and members of every chat it is in now and who of those people is online.
#include "core/limits.hpp"
#include "core/presence_service.hpp"
#include "store/store.hpp"

#include <map>
#include <vector>

namespace windi {

struct sync_request {
  std::map<chat_id, std::int64_t> seen_changes;  // the change cursor: last change number seen per chat
  std::map<chat_id, std::int64_t> seen_seqs;     // the older cursor: last message seq seen per chat
};

struct sync_entry {
  chat_summary summary;          // the chat (members, last_seq, last_change) and the caller's read state
  bool resync_required = false;  // more was missed than a sync replays: reload the chat's history
  // By change number for the change cursor (every message changed after it, as it is now), by seq for the
  // seq cursor (every message sent after it).
  std::vector<message> messages;
};

struct sync_result {
  std::vector<sync_entry> chats;  // every chat the caller is a member of now
  std::vector<user_id> online;    // of the people in those chats
  // Per chat, the change number up to which the answer carries every change: live events of a chat up to it
  // that arrived while the answer was assembled are already in it.
  std::map<chat_id, std::int64_t> covered;
};

class sync_service {
 public:
  sync_service(store& db, presence_service& presence, service_limits limits)
      : db_(db), presence_(presence), limits_(limits) {}

  // A chat in neither cursor counts as seen up to change 0. When both name a chat, the change cursor wins.
  task<outcome<sync_result>> sync(user_id me, sync_request request);

 private:
  task<outcome<void>> replay_changes(sync_entry& entry, std::int64_t after_change);
  task<outcome<void>> replay_seqs(sync_entry& entry, std::int64_t after_seq);

  store& db_;
  presence_service& presence_;
  service_limits limits_;
};

}  // namespace windi
