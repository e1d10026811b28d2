#include "bus/bus.hpp"

#include <atomic>

namespace windi {
namespace {

std::atomic<std::uint64_t> publications{0};

}  // namespace

std::uint64_t stamp_publication() { return publications.fetch_add(1) + 1; }

std::uint64_t latest_publication() { return publications.load(); }

bool routed_by_chat(envelope const& e) {
  if (e.chat == 0) return false;
  switch (e.kind) {
    case event_kind::message_created:
    case event_kind::message_edited:
    case event_kind::message_deleted:
    case event_kind::reactions_changed:
    case event_kind::chat_updated:
    case event_kind::read:
    case event_kind::typing:
      return true;
    // A member added (or a chat created) may be on a process that does not follow the chat yet; a member
    // removed stops following on hearing it.
    case event_kind::member_added:
    case event_kind::member_removed:
    case event_kind::chat_created:
    case event_kind::presence:
    case event_kind::credentials_changed:
    case event_kind::events_missed:
      return false;
  }
  return false;
}

}  // namespace windi
