#include "api/views.hpp"

#include "core/membership.hpp"
#include "core/search_query.hpp"

#include <boost/json/array.hpp>

#include <cstdio>
#include <ctime>

namespace windi {

std::string iso8601(micros t) {
  std::time_t seconds = static_cast<std::time_t>(t / 1'000'000);
  auto fraction = static_cast<long>(t % 1'000'000);
  if (fraction < 0) {
    fraction += 1'000'000;
    --seconds;
  }
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[80];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, fraction);
  return text;
}

boost::json::object user_view(user const& u, bool with_email) {
  boost::json::object out{{"id", u.id}, {"username", u.username}, {"created_at", iso8601(u.created_at)}};
  if (with_email) out["email"] = u.email;
  return out;
}

boost::json::object message_view(message const& m, int read_by) {
  boost::json::object out{{"id", m.id},
                          {"chat_id", m.chat},
                          {"seq", m.seq},
                          {"change_seq", m.change_seq},
                          {"sender_id", m.sender_id},
                          {"sender_username", m.sender_username},
                          {"text", nullptr},
                          {"client_message_id", nullptr},
                          {"timestamp", iso8601(m.created_at)},
                          {"edited_at", nullptr},
                          {"deleted", m.deleted},
                          {"reply_to", nullptr},
                          {"reactions", boost::json::array{}},
                          {"attachments", boost::json::array{}},
                          {"is_read", read_by > 0},
                          {"read_by", read_by}};
  // A tombstone has no text: deletion erased it.
  if (!m.deleted) out["text"] = m.text;
  if (m.client_message_id) out["client_message_id"] = *m.client_message_id;
  if (m.edited_at) out["edited_at"] = iso8601(*m.edited_at);
  if (m.reply_to) {
    auto const& r = *m.reply_to;
    boost::json::object preview{{"id", r.id},
                                {"sender_id", r.sender_id},
                                {"sender_username", r.sender_username},
                                {"text", nullptr},
                                {"deleted", r.deleted}};
    if (!r.deleted) preview["text"] = r.text;
    out["reply_to"] = std::move(preview);
  }
  if (!m.reactions.empty()) out["reactions"] = reactions_view(m.reactions);
  if (!m.attachments.empty()) out["attachments"] = attachments_view(m.attachments);
  return out;
}

namespace {

// A file as an upload's answer and a message's attachments both show it.
boost::json::object attachment_view(attachment const& a) {
  boost::json::object item{
      {"id", a.id},       {"name", a.name},    {"size", a.size}, {"content_type", a.content_type},
      {"width", nullptr}, {"height", nullptr}, {"url", a.url},   {"thumbnail", nullptr}};
  if (a.width) item["width"] = *a.width;
  if (a.height) item["height"] = *a.height;
  if (a.thumbnail_url) item["thumbnail"] = *a.thumbnail_url;
  return item;
}

}  // namespace

boost::json::array attachments_view(std::vector<attachment> const& attachments) {
  boost::json::array out;
  for (auto const& a : attachments) out.push_back(attachment_view(a));
  return out;
}

boost::json::array reactions_view(std::vector<reaction_summary> const& reactions) {
  boost::json::array out;
  for (auto const& r : reactions) {
    boost::json::array users;
    for (auto id : r.user_ids) users.push_back(id);
    out.push_back(
        boost::json::object{{"emoji", r.emoji}, {"count", r.count}, {"user_ids", std::move(users)}});
  }
  return out;
}

boost::json::object member_view(member const& m) {
  return {{"id", m.id},
          {"username", m.username},
          {"role", m.role == member_role::admin ? "admin" : "member"},
          {"last_read_seq", m.last_read_seq},
          {"joined_at", iso8601(m.joined_at)}};
}

boost::json::object chat_view(chat const& c) {
  boost::json::array members;
  for (auto const& m : c.members) members.push_back(member_view(m));
  boost::json::object out{{"id", c.id},
                          {"type", c.kind == chat_kind::group ? "group" : "private"},
                          {"name", nullptr},
                          {"created_by", c.created_by},
                          {"created_at", iso8601(c.created_at)},
                          {"last_seq", c.last_seq},
                          {"last_change", c.last_change},
                          {"last_activity_at", iso8601(c.last_activity_at)},
                          {"members", std::move(members)}};
  if (c.kind == chat_kind::group) out["name"] = c.name;
  return out;
}

boost::json::object chat_summary_view(chat_summary const& s) {
  auto out = chat_view(s.info);
  out["last_message"] =
      s.last_message
          ? boost::json::value(message_view(*s.last_message, read_by_count(s.info, *s.last_message)))
          : boost::json::value(nullptr);
  out["unread_count"] = s.unread_count;
  out["last_read_seq"] = s.my_last_read_seq;
  return out;
}

boost::json::array snippet_view(std::string_view marked) {
  boost::json::array parts;
  bool hit = false;
  auto const add = [&](std::string_view text) {
    if (text.empty()) return;
    if (!parts.empty() && parts.back().as_object().at("hit").as_bool() == hit) {
      auto& last = parts.back().as_object()["text"].as_string();
      last.append(text);
      return;
    }
    parts.push_back(boost::json::object{{"text", text}, {"hit", hit}});
  };
  while (!marked.empty()) {
    auto const mark = marked.find(hit ? search_hit_close : search_hit_open);
    add(marked.substr(0, mark));
    if (mark == std::string_view::npos) break;
    marked.remove_prefix(mark + search_hit_open.size());
    hit = !hit;
  }
  return parts;
}

boost::json::object file_view(file_record const& f, file_url_signer const& urls, file_scope scope,
                              micros now) {
  auto a = attachment_of(f);
  urls.sign(a, scope, now);
  return attachment_view(a);
}

}  // namespace windi
