#pragma once
// Message search for a person: what they typed (core/search_query.hpp), narrowed to one chat or by the
// query's from: and in:, answered from the store's index over the chats they are a member of now.
#include "core/file_urls.hpp"
#include "core/limits.hpp"
#include "core/search_query.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace windi {

struct message_search {
  std::string q;
  std::optional<chat_id> chat;       // only this chat (404 unless a member)
  std::optional<message_id> before;  // the next page: hits older than this message
  int limit = 20;
};

struct search_page {
  std::vector<search_hit> hits;
  std::vector<int> read_by;               // per hit: how many members other than the sender have read it
  std::optional<message_id> next_before;  // set when there may be more
};

class search_service {
 public:
  search_service(store& db, service_limits limits, attachment_signer const& sign);
  task<outcome<search_page>> search(user_id me, message_search request);

 private:
  // The ids of the caller's chats that `in:` names (by id, by name ignoring case, or a private chat by the
  // other member's username); none when nothing matches.
  task<outcome<std::vector<chat_id>>> chats_named(user_id me, std::string const& name);
  task<outcome<std::optional<user_id>>> user_named(std::string const& name);

  store& db_;
  service_limits limits_;
  attachment_signer const& sign_;
};

}  // namespace windi
