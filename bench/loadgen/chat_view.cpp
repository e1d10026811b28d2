#include "chat_view.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace windi::loadgen {

namespace json = boost::json;

namespace {

std::int64_t integer(json::object const& o, char const* key) {
  auto const* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::string text_of(json::object const& o, char const* key) {
  auto const* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string read_reactions(json::value const& reactions) {
  std::string out;
  if (!reactions.is_array()) return out;
  for (auto const& r : reactions.as_array()) {
    auto const& o = r.as_object();
    if (!out.empty()) out += ';';
    out += text_of(o, "emoji");
    out += ':';
    bool first = true;
    if (auto const* users = o.if_contains("user_ids"); users && users->is_array()) {
      for (auto const& u : users->as_array()) {
        if (!first) out += ',';
        first = false;
        out += std::to_string(u.as_int64());
      }
    }
  }
  return out;
}

message_copy read_message(json::object const& m) {
  message_copy out;
  out.id = integer(m, "id");
  out.seq = integer(m, "seq");
  out.change_seq = integer(m, "change_seq");
  out.sender_id = integer(m, "sender_id");
  out.text = text_of(m, "text");
  out.deleted = m.contains("deleted") && m.at("deleted").is_bool() && m.at("deleted").as_bool();
  if (auto const* r = m.if_contains("reactions")) out.reactions = read_reactions(*r);
  out.client_message_id = text_of(m, "client_message_id");
  return out;
}

void chat_view::absorb(message_copy m) {
  auto [at, inserted] = messages_.try_emplace(m.id, m);
  if (inserted) return;
  auto& held = at->second;
  if (held.placeholder) {
    // Its reactions came first; they stay if they are the newer part.
    if (held.change_seq > m.change_seq) {
      m.reactions = held.reactions;
      m.change_seq = held.change_seq;
    }
    held = std::move(m);
    return;
  }
  if (m.change_seq > held.change_seq) held = std::move(m);
}

void chat_view::absorb_reactions(std::int64_t message_id, std::int64_t change_seq, std::string reactions) {
  auto [at, inserted] = messages_.try_emplace(message_id);
  auto& held = at->second;
  if (inserted) {
    held.id = message_id;
    held.placeholder = true;
  } else if (change_seq <= held.change_seq) {
    return;
  }
  held.change_seq = change_seq;
  held.reactions = std::move(reactions);
}

void chat_view::note_change(std::int64_t change_seq) {
  if (change_seq <= cursor_) return;
  if (change_seq == cursor_ + 1) {
    advance_to(change_seq);
    return;
  }
  ahead_.insert(change_seq);
}

void chat_view::advance_to(std::int64_t up_to) {
  if (up_to > cursor_) cursor_ = up_to;
  while (!ahead_.empty() && *ahead_.begin() <= cursor_ + 1) {
    if (*ahead_.begin() == cursor_ + 1) ++cursor_;
    ahead_.erase(ahead_.begin());
  }
}

bool caught_up(chat_view const& view, stored_chat const& truth) {
  return view.cursor() == truth.last_change && !view.waiting();
}

std::string view_difference(chat_view const& view, stored_chat const& truth) {
  auto const& shown = view.messages();
  for (auto const& [id, m] : truth.messages) {
    auto held = shown.find(id);
    if (held == shown.end()) return "missing " + describe(m);
    if (!(held->second == m)) return "shows " + describe(held->second) + ", stored " + describe(m);
  }
  for (auto const& [id, m] : shown) {
    if (!truth.messages.contains(id)) return "shows " + describe(m) + ", which is not stored";
  }
  return {};
}

std::string describe(message_copy const& m) {
  return fmt::format("#{} seq {} change {} {}\"{}\" reactions [{}]{}", m.id, m.seq, m.change_seq,
                     m.deleted ? "deleted " : "", m.text, m.reactions, m.placeholder ? " (placeholder)" : "");
}

}  // namespace windi::loadgen
