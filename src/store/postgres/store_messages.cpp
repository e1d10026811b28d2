#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace windi::pg {

namespace {

// A row of windi_append_messages: ordinal, status, duplicate, member ids, then the message and its reactions.
outcome<appended_message> read_appended(result const& r, int row) {
  auto status = r.view(row, 1);
  if (status == "ok")
    return appended_message{read_message(r, row, 4), r.boolean(row, 2), read_id_array(r.view(row, 3))};
  if (status == "not_found") return fail(errc::not_found, "Chat not found");
  if (status == "forbidden") return fail(errc::forbidden, "Not a member of this chat");
  // One answer for an unknown id and another chat's message: nothing about other chats leaks.
  if (status == "bad_reply") return fail(errc::validation, "Message to reply to not found", "reply_to");
  if (status == "deleted_reply")
    return fail(errc::validation, "Cannot reply to a deleted message", "reply_to");
  // One answer for a missing file and someone else's: attaching reveals nothing about other people's files.
  if (status == "bad_file") return fail(errc::validation, "File not found", "attachments");
  return fail(errc::internal, "append_messages: unexpected status " + std::string(status));
}

std::string batch_json(std::vector<new_message> const& batch) {
  boost::json::array rows;
  rows.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto const& m = batch[i];
    boost::json::object row{{"ordinal", i},        {"chat", m.chat},        {"sender", m.sender_id},
                            {"text", m.text},      {"client_id", nullptr},  {"created_at", m.created_at},
                            {"reply_to", nullptr}, {"attachments", nullptr}};
    if (m.client_message_id) row["client_id"] = *m.client_message_id;
    if (!m.attachments.empty()) {
      boost::json::array files;
      for (auto id : m.attachments) files.push_back(id);
      row["attachments"] = std::move(files);
    }
    if (m.reply_to) row["reply_to"] = *m.reply_to;
    rows.push_back(std::move(row));
  }
  return boost::json::serialize(rows);
}

}  // namespace

task<outcome<appended_message>> postgres_store::append_one(new_message m) {
  std::vector<new_message> alone;
  alone.push_back(std::move(m));
  auto results = co_await append_statement(std::move(alone));
  if (!results) co_return results.error();
  co_return std::move(results->front());
}

task<outcome<std::vector<outcome<appended_message>>>> postgres_store::append_statement(
    std::vector<new_message> const& batch) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto json = batch_json(batch);
  auto r = co_await query(*c, sql::append_messages, params(std::move(json)), "append_messages");
  if (!r) co_return r.error();
  if (r->rows() != static_cast<int>(batch.size()))
    co_return fail(errc::internal, "append_messages: rows lost");
  std::vector<outcome<appended_message>> results;
  results.reserve(batch.size());
  for (int row = 0; row < r->rows(); ++row) results.push_back(read_appended(*r, row));
  co_return results;
}

task<std::vector<outcome<appended_message>>> postgres_store::append_messages(std::vector<new_message> batch) {
  auto together = co_await append_statement(batch);
  if (together) co_return std::move(*together);
  if (batch.size() == 1 || together.error().code == errc::unavailable) {
    co_return std::vector<outcome<appended_message>>(batch.size(), together.error());
  }
  // The statement failed as a whole: each message on its own, so one bad message cannot fail the others.
  std::vector<outcome<appended_message>> results;
  results.reserve(batch.size());
  for (auto& m : batch) results.push_back(co_await append_one(std::move(m)));
  co_return results;
}

task<outcome<std::vector<message>>> postgres_store::history(history_query q) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  int limit = std::max(q.limit, 0);
  outcome<result> r = fail(errc::internal, "history: no query");
  if (q.before_seq) {
    r = co_await query(*c, sql::history_before, params(q.chat, *q.before_seq, limit), "history");
  } else if (q.after_seq) {
    r = co_await query(*c, sql::history_after, params(q.chat, *q.after_seq, limit), "history");
  } else {
    r = co_await query(*c, sql::history_latest, params(q.chat, std::max(q.offset, 0), limit), "history");
  }
  if (!r) co_return r.error();
  std::vector<message> page;
  page.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) page.push_back(read_message(*r, row));
  co_return page;
}

task<outcome<message>> postgres_store::get_message(message_id id) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::get_message, params(id), "get_message");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "Message not found");
  co_return read_message(*r, 0);
}

task<outcome<read_marker>> postgres_store::mark_read(chat_id chat, user_id reader, std::int64_t up_to_seq) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::mark_read, params(chat, reader, up_to_seq), "mark_read");
  if (!r) co_return r.error();
  if (r->rows() == 0 || !r->boolean(0, 0)) co_return fail(errc::forbidden, "Not a member of this chat");
  co_return read_marker{chat, reader, r->int64(0, 1), r->boolean(0, 2)};
}

}  // namespace windi::pg
