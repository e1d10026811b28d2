#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include <algorithm>

namespace windi::pg {

task<outcome<appended_message>> postgres_store::append_message(new_message m) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(
      *c, sql::append_message,
      params(m.chat, m.sender_id, std::move(m.text), std::move(m.client_message_id), m.created_at),
      "append_message");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::internal, "append_message: no row");
  auto status = r->view(0, 0);
  if (status == "not_found") co_return fail(errc::not_found, "Chat not found");
  if (status == "forbidden") co_return fail(errc::forbidden, "Not a member of this chat");
  co_return appended_message{read_message(*r, 0, 1), r->boolean(0, 9)};
}

task<outcome<std::vector<message>>> postgres_store::history(history_query q) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  int limit = std::max(q.limit, 0);
  bool newest_first = !q.after_seq.has_value();
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
  if (newest_first) std::reverse(page.begin(), page.end());
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
