#pragma once
#include "core/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace windi::http {

// A response body written piece by piece as it is read (a file download), so that it is never held in memory
// whole.
class body_source {
 public:
  virtual ~body_source() = default;
  // Up to into.size() of the next bytes; 0 once all have been read. A failure after the head has gone out
  // can only end the connection: the client sees a short body.
  virtual boost::asio::awaitable<outcome<std::size_t>> read(std::span<char> into) = 0;
};

// What a route returns; the server turns it into a Beast response.
struct api_response {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Instead of `body`: stream_length bytes read from `stream` (Content-Length is stream_length).
  std::shared_ptr<body_source> stream;
  std::uint64_t stream_length = 0;
};

api_response json_response(boost::beast::http::status status, boost::json::value const& body);
inline api_response json_response(boost::json::value const& body) {
  return json_response(boost::beast::http::status::ok, body);
}
// 204: done, nothing to say.
inline api_response no_content_response() {
  api_response r;
  r.status = boost::beast::http::status::no_content;
  return r;
}

}  // namespace windi::http
