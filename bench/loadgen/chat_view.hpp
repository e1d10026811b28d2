#pragma once
// What one client shows of one chat, built only from the frames it received (live events, sync answers, a
// history reload), the way the web app builds it: each message upserted by id and replaced only by a copy
// with a higher change number, and a resume cursor that is the highest change number up to which every
// change has arrived (live events of a chat can overtake each other, so numbers seen beyond a hole wait).
#include "client/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace windi::loadgen {

struct message_copy {
  std::int64_t id = 0;
  std::int64_t seq = 0;
  std::int64_t change_seq = 0;
  std::int64_t sender_id = 0;
  std::string text;  // empty for a tombstone
  bool deleted = false;
  std::string reactions;  // canonical: "emoji:user,user;emoji:user" in the server's order
  std::string client_message_id;
  bool placeholder = false;  // only its reactions are known (their event overtook the message)

  bool operator==(message_copy const&) const = default;
};

// A message as the API shows it (history, events, sync).
message_copy read_message(boost::json::object const& m);
// The canonical text of a message's `reactions` array.
std::string read_reactions(boost::json::value const& reactions);

// Reads a chat's history through REST from the message after `after_seq` to the newest, page by page,
// handing each message to `take` and moving `after_seq` past it, so that a caller whose read failed halfway
// can go on from there. Throws on a transport failure or an answer other than 200.
boost::asio::awaitable<void> read_history(client::http_client& http, std::int64_t chat, std::string token,
                                          std::int64_t& after_seq,
                                          std::function<void(message_copy)> const& take);

class chat_view {
 public:
  // A copy of a message from anywhere; kept when it is newer than the one held.
  void absorb(message_copy m);
  // A reaction_changed event: the message's reactions as of `change_seq`.
  void absorb_reactions(std::int64_t message_id, std::int64_t change_seq, std::string reactions);
  // A change number that arrived live.
  void note_change(std::int64_t change_seq);
  // Every change up to `up_to` is applied (a sync answer's last_change).
  void advance_to(std::int64_t up_to);

  std::int64_t cursor() const { return cursor_; }
  // Numbers arrived beyond a hole: a change is still on its way (or was lost).
  bool waiting() const { return !ahead_.empty(); }
  std::map<std::int64_t, message_copy> const& messages() const { return messages_; }

 private:
  std::map<std::int64_t, message_copy> messages_;  // by id
  std::int64_t cursor_ = 0;
  std::set<std::int64_t> ahead_;
};

}  // namespace windi::loadgen
