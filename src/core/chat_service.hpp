#pragma once
#include "api/events.hpp"
#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "core/file_urls.hpp"
#include "core/limits.hpp"
#include "store/store.hpp"

#include <string>
#include <vector>

namespace windi {

// Chat creation, membership and naming. Every call checks that the caller is a member; a chat the caller is
// not in answers exactly like a chat that does not exist (errc::not_found "Chat not found"). Each change is
// published after its commit: chat_created to the members of a new chat, member_added / member_removed /
// chat_updated with the chat's change number.
class chat_service {
 public:
  chat_service(store& db, bus& events, clock const& clock, service_limits limits,
               attachment_signer const& sign);

  task<outcome<std::vector<chat_summary>>> list(user_id me);
  // Only the ids of list(me): what a connection follows.
  task<outcome<std::vector<chat_id>>> ids_of(user_id me);
  task<outcome<store::private_chat_result>> open_private(user_id me, user_id recipient);
  task<outcome<chat>> create_group(user_id me, std::string name, std::vector<user_id> member_ids);
  task<outcome<chat>> get(user_id me, chat_id id);
  // Admins only, groups only. Returns the updated chat.
  task<outcome<chat>> add_member(user_id me, chat_id id, user_id new_member);
  // Admins remove anyone; anyone removes themselves (leaving). Returns the updated chat.
  task<outcome<chat>> remove_member(user_id me, chat_id id, user_id leaving);
  // Admins only, groups only.
  task<outcome<chat>> rename(user_id me, chat_id id, std::string name);

 private:
  task<outcome<chat>> get_group_as_admin(user_id me, chat_id id, char const* refusal,
                                         char const* private_refusal);
  void publish(chat_change const& c, event_kind kind, frame_ptr frame, user_id subject = 0);
  void announce_new_chat(chat const& c);

  store& db_;
  bus& events_;
  clock const& clock_;
  service_limits limits_;
  attachment_signer const& sign_;
};

// The one answer for a chat that is absent or that the caller is not in.
failure chat_not_found();
outcome<void> require_member(chat const& c, user_id me);

}  // namespace windi
