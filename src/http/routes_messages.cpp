#include "api/json_input.hpp"
#include "api/views.hpp"
#include "http/params.hpp"
#include "http/route_support.hpp"

#include <boost/json/array.hpp>

#include <limits>

namespace windi::http {

namespace beast_http = boost::beast::http;
using beast_http::verb;

namespace {

// Outside the coroutine: GCC 12 miscompiles braced initializer lists inside coroutines.
boost::json::object search_page_view(search_page const& page) {
  boost::json::array results;
  for (std::size_t i = 0; i < page.hits.size(); ++i) {
    auto const& hit = page.hits[i];
    results.push_back(
        boost::json::object{{"message", message_view(hit.found, page.read_by[i])},
                            {"chat", boost::json::object{{"id", hit.found.chat}, {"name", hit.chat_name}}},
                            {"snippet", snippet_view(hit.snippet)}});
  }
  boost::json::object out{{"results", std::move(results)}, {"next_before", nullptr}};
  if (page.next_before) out["next_before"] = *page.next_before;
  return out;
}

}  // namespace

void add_message_routes(router& r, route_services& s) {
  r.add(
      verb::get, "/api/v1/messages/history/{chat_id}",
      authenticated(s.auth, "query", [&s](request_context& request, token_claims const& me) -> route_result {
        auto id = path_id(request, "chat_id");
        if (!id) co_return id.error();
        constexpr auto max = std::numeric_limits<std::int64_t>::max();
        history_request query;
        query.chat = *id;
        auto limit = query_int(request, "limit", 1, max);
        auto offset = query_int(request, "offset", 0, std::numeric_limits<int>::max());
        auto before = query_int(request, "before", 1, max);
        auto after = query_int(request, "after", 1, max);
        auto before_seq = query_int(request, "before_seq", 1, max);
        auto after_seq = query_int(request, "after_seq", 0, max);
        // Checked one by one: GCC 12 miscompiles braced initializer lists inside coroutines.
        if (!limit) co_return limit.error();
        if (!offset) co_return offset.error();
        if (!before) co_return before.error();
        if (!after) co_return after.error();
        if (!before_seq) co_return before_seq.error();
        if (!after_seq) co_return after_seq.error();
        // The service enforces the page-size bound, so that it names the configured limit.
        query.limit =
            static_cast<int>(std::min<std::int64_t>(limit->value_or(20), std::numeric_limits<int>::max()));
        query.offset = static_cast<int>(offset->value_or(0));
        query.before = *before;
        query.after = *after;
        query.before_seq = *before_seq;
        query.after_seq = *after_seq;
        auto page = co_await s.messages.history(me.subject, query);
        if (!page) co_return page.error();
        boost::json::array out;
        for (auto const& m : page->messages) out.push_back(message_view(m, read_by_count(page->info, m)));
        co_return json_response(out);
      }));

  r.add(
      verb::get, "/api/v1/messages/search",
      authenticated(s.auth, "query", [&s](request_context& request, token_claims const& me) -> route_result {
        constexpr auto max = std::numeric_limits<std::int64_t>::max();
        message_search query;
        auto q = request.query_param("q");
        auto chat = query_int(request, "chat_id", 1, max);
        auto before = query_int(request, "before", 1, max);
        auto limit = query_int(request, "limit", 1, max);
        if (!chat) co_return chat.error();
        if (!before) co_return before.error();
        if (!limit) co_return limit.error();
        query.q = q.value_or("");
        query.chat = *chat;
        query.before = *before;
        query.limit =
            static_cast<int>(std::min<std::int64_t>(limit->value_or(20), std::numeric_limits<int>::max()));
        auto page = co_await s.search.search(me.subject, std::move(query));
        if (!page) co_return page.error();
        co_return json_response(search_page_view(*page));
      }));

  r.add(verb::post, "/api/v1/messages",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto fields = read_send_request(*body);
          if (!fields) co_return fields.error();
          auto sent = co_await s.messages.send(me.subject, fields->chat_id, std::move(fields->text),
                                               std::move(fields->client_message_id), fields->reply_to,
                                               std::move(fields->attachments));
          if (!sent) co_return sent.error();
          auto status = sent->duplicate ? beast_http::status::ok : beast_http::status::created;
          co_return json_response(status, message_view(sent->stored, 0));
        }));

  r.add(verb::patch, "/api/v1/messages/{message_id}",
        authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "message_id");
          if (!id) co_return id.error();
          auto body = parse_json_object(request.raw.body());
          if (!body) co_return body.error();
          auto text = required_string(*body, "text");
          if (!text) co_return text.error();
          auto edited = co_await s.messages.edit(me.subject, *id, std::move(*text));
          if (!edited) co_return edited.error();
          co_return json_response(message_view(edited->stored, edited->read_by));
        }));

  r.add(verb::delete_, "/api/v1/messages/{message_id}",
        authenticated(s.auth, "path", [&s](request_context& request, token_claims const& me) -> route_result {
          auto id = path_id(request, "message_id");
          if (!id) co_return id.error();
          auto deleted = co_await s.messages.remove(me.subject, *id);
          if (!deleted) co_return deleted.error();
          co_return json_response(message_view(deleted->stored, deleted->read_by));
        }));

  for (auto method : {verb::put, verb::delete_}) {
    bool const present = method == verb::put;
    r.add(method, "/api/v1/messages/{message_id}/reactions/{emoji}",
          authenticated(s.auth, "path",
                        [&s, present](request_context& request, token_claims const& me) -> route_result {
                          auto id = path_id(request, "message_id");
                          if (!id) co_return id.error();
                          auto emoji = request.path_params.at("emoji");
                          auto reacted =
                              co_await s.messages.react(me.subject, *id, std::move(emoji), present);
                          if (!reacted) co_return reacted.error();
                          co_return json_response(message_view(reacted->stored, reacted->read_by));
                        }));
  }
}

void add_health_routes(router& r, route_services& s) {
  r.add(verb::get, "/health", [&s](request_context&) -> boost::asio::awaitable<api_response> {
    auto body = co_await s.health();
    bool ok = body["status"] == "ok";
    co_return json_response(ok ? beast_http::status::ok : beast_http::status::service_unavailable, body);
  });
}

}  // namespace windi::http
