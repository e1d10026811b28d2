#pragma once
#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi::http {

using handler = std::function<boost::asio::awaitable<api_response>(request_context&)>;

struct route {
  boost::beast::http::verb method;
  std::string pattern;  // "/api/v1/chats/{chat_id}"; {name} matches one non-empty segment
  handler handle;
  std::vector<std::string> segments;  // the pattern, split once
  // Set for a route that reads its body as a stream (request_context::body): the most bytes it takes.
  std::optional<body_limit> streamed_body_limit;
};

// Matches method + path to a route. A path matches with or without a trailing slash. An unknown path is 404,
// a known path with another method 405, both with FastAPI's bodies.
class router {
 public:
  void add(boost::beast::http::verb method, std::string pattern, handler h);
  // A route whose handler reads the request body itself as it arrives (request_context::body), up to
  // max_body bytes, instead of receiving it whole: uploads larger than the server's body limit.
  void add_streaming(boost::beast::http::verb method, std::string pattern, body_limit limit, handler h);
  // The body limit of the streaming route that answers `method` on `target`; null when that is an ordinary
  // route (or none), whose body the server reads whole before dispatching.
  body_limit const* streamed_body_limit(boost::beast::http::verb method, std::string_view target) const;
  // client_address: where the request comes from (http/client_address.hpp), for the limits keyed by client.
  // matched (optional): set to the template of the route that answered ("/api/v1/chats/{chat_id}"), or to
  // one of the names below, for logs and metrics that must not carry ids, tokens or arbitrary paths.
  // body: how a streaming route reads the body (beast_request's own body is then empty).
  boost::asio::awaitable<api_response> dispatch(beast_request const& request, std::string client_address = {},
                                                std::string_view* matched = nullptr,
                                                body_reader* body = nullptr) const;
  static constexpr std::string_view fallback_route = "(static)";      // the web app's files
  static constexpr std::string_view unmatched_route = "(unmatched)";  // 404 and 405 alike
  static constexpr std::string_view malformed_route = "(malformed)";
  // Answers GET/HEAD of a path no route knows (the web app's files); without one such paths are 404.
  void set_fallback(handler h) { fallback_ = std::move(h); }
  std::vector<route> const& routes() const { return routes_; }

 private:
  std::vector<route> routes_;
  handler fallback_;
};

// Splits "/a/b/" into {"a", "b"}.
std::vector<std::string> split_path(std::string_view path);

}  // namespace windi::http
