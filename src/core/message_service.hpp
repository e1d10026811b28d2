#pragma once
#include "core/clock.hpp"
#include "core/limits.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace windi {

struct history_request {
  chat_id chat = 0;
  int limit = 20;
  int offset = 0;
  std::optional<message_id> before;  // message ids, resolved to the chat's sequence numbers
  std::optional<message_id> after;
  std::optional<std::int64_t> before_seq;
  std::optional<std::int64_t> after_seq;
};

struct history_page {
  chat info;  // with members, whose read watermarks tell who has read which message
  std::vector<message> messages;
};

// THE send path: REST and WebSocket both call send(). Validates, lets the store authorize, dedup and persist
// in one transaction.
class message_service {
 public:
  message_service(store& db, clock const& clock, service_limits limits);

  task<outcome<appended_message>> send(user_id me, chat_id chat, std::string text,
                                       std::optional<std::string> client_message_id);
  task<outcome<history_page>> history(user_id me, history_request request);
  // Up to message_id, or the newest message when absent.
  task<outcome<read_marker>> mark_read(user_id me, chat_id chat, std::optional<message_id> up_to);

 private:
  task<outcome<std::int64_t>> seq_of(chat_id chat, message_id id, char const* field);

  store& db_;
  clock const& clock_;
  service_limits limits_;
};

// How many members other than the sender have read the message.
int read_by_count(chat const& c, message const& m);

}  // namespace windi
