#pragma once
// What one client shows of one chat, built only from the frames it received (live events, sync answers, a
// history reload), the way the web app builds it: each message upserted by id and replaced only by a copy
// with a higher change number, and a resume cursor that is the highest change number up to which every
// change has arrived (live events of a chat can overtake each other, so numbers seen beyond a hole wait).
#include <boost/json/object.hpp>

#include <cstdint>
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

// A chat as the store holds it after the run, read through the API.
struct stored_chat {
  std::int64_t last_change = 0;
  std::map<std::int64_t, message_copy> messages;  // by id
};

// Every change of the chat reached the view: its cursor is at the chat's last change and nothing waits beyond
// a hole.
bool caught_up(chat_view const& view, stored_chat const& truth);
// The first way the view differs from the store (a message missing, extra, or not as stored), described;
// empty when the view shows exactly what is stored.
std::string view_difference(chat_view const& view, stored_chat const& truth);
// A message in one line, for violations.
std::string describe(message_copy const& m);

}  // namespace windi::loadgen
