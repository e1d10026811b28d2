#include "core/search_service.hpp"

#include "core/chat_service.hpp"
#include "core/membership.hpp"

#include <unicode/unistr.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace windi {
namespace {

std::string folded(std::string_view text) {
  std::string out;
  icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())))
      .foldCase()
      .toUTF8String(out);
  return out;
}

std::optional<chat_id> as_id(std::string const& text) {
  chat_id id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc{} || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

search_service::search_service(store& db, service_limits limits, attachment_signer const& sign)
    : db_(db), limits_(limits), sign_(sign) {}

task<outcome<search_page>> search_service::search(user_id me, message_search request) {
  if (request.limit < 1 || request.limit > limits_.history_max_limit) {
    co_return fail(errc::validation,
                   "limit must be between 1 and " + std::to_string(limits_.history_max_limit), "limit");
  }
  auto query = parse_search_query(request.q);
  if (!query) co_return query.error();

  search_request wanted;
  wanted.user = me;
  wanted.terms = std::move(query->terms);
  wanted.before = request.before;
  wanted.limit = request.limit;
  if (request.chat) {
    auto membership = co_await db_.get_membership(*request.chat, me);
    if (!membership) co_return membership.error();
    if (!*membership) co_return chat_not_found();
    wanted.chats.push_back(*request.chat);
  }
  search_page page;
  if (query->in) {
    auto named = co_await chats_named(me, *query->in);
    if (!named) co_return named.error();
    if (request.chat) {
      std::erase_if(*named, [&](chat_id id) { return id != *request.chat; });
    }
    if (named->empty()) co_return page;  // no such chat of the caller's: nothing can match
    wanted.chats = std::move(*named);
  }
  if (query->from) {
    auto sender = co_await user_named(*query->from);
    if (!sender) co_return sender.error();
    if (!*sender) co_return page;
    wanted.sender = **sender;
  }
  auto hits = co_await db_.search_messages(std::move(wanted));
  if (!hits) co_return hits.error();
  page.hits = std::move(*hits);
  for (auto& hit : page.hits) sign_(hit.found);

  // Read counts as history shows them: from each chat's members' read marks, one read of each chat.
  std::map<chat_id, chat> chats;
  for (auto const& hit : page.hits) {
    if (chats.contains(hit.found.chat)) continue;
    auto found = co_await db_.get_chat(hit.found.chat);
    if (!found) co_return found.error();
    chats.emplace(hit.found.chat, std::move(*found));
  }
  for (auto const& hit : page.hits)
    page.read_by.push_back(read_by_count(chats.at(hit.found.chat), hit.found));
  if (static_cast<int>(page.hits.size()) == request.limit) page.next_before = page.hits.back().found.id;
  co_return page;
}

task<outcome<std::vector<chat_id>>> search_service::chats_named(user_id me, std::string const& name) {
  auto mine = co_await db_.list_chats(me);
  if (!mine) co_return mine.error();
  auto const id = as_id(name);
  auto const wanted = folded(name);
  std::vector<chat_id> out;
  for (auto const& summary : *mine) {
    auto const& c = summary.info;
    bool named = id == c.id;
    if (c.kind == chat_kind::group) {
      named = named || folded(c.name) == wanted;
    } else {
      for (auto const& m : c.members) named = named || (m.id != me && folded(m.username) == wanted);
    }
    if (named) out.push_back(c.id);
  }
  co_return out;
}

task<outcome<std::optional<user_id>>> search_service::user_named(std::string const& name) {
  // Usernames are unique ignoring case; the prefix search finds the one that equals the name.
  auto candidates = co_await db_.search_users(name, 0, 50);
  if (!candidates) co_return candidates.error();
  auto const wanted = folded(name);
  for (auto const& u : *candidates) {
    if (folded(u.username) == wanted) co_return std::optional<user_id>(u.id);
  }
  co_return std::optional<user_id>();
}

}  // namespace windi
