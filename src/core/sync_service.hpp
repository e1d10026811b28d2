#pragma once
// Resume: a client says what it last saw of each chat and gets what it missed, from the store, plus the read
// state and members of every chat it is in now and who of those people is online.
#include "core/file_urls.hpp"
#include "core/limits.hpp"
#include "core/presence_service.hpp"
#include "store/store.hpp"

namespace windi {

class sync_service {
 public:
  sync_service(store& db, presence_service& presence, service_limits limits, attachment_signer const& sign)
      : db_(db), presence_(presence), limits_(limits), sign_(sign) {}

  // A chat in neither cursor counts as seen up to change 0. When both name a chat, the change cursor wins.
  task<outcome<sync_result>> sync(user_id me, sync_request request);
  // What changed in one chat after a change number, as the live events that carried it would have said it:
  // for a connection that starts following the chat late (its user was just added). At most
  // sync_max_messages; `truncated` beyond.
  task<outcome<changes_page>> changes_after(chat_id chat, std::int64_t after_change);

 private:
  task<outcome<void>> replay_changes(sync_entry& entry, std::int64_t after_change);
  task<outcome<void>> replay_seqs(sync_entry& entry, std::int64_t after_seq);

  store& db_;
  presence_service& presence_;
  service_limits limits_;
  attachment_signer const& sign_;
};

}  // namespace windi
