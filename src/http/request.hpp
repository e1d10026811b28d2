#pragma once
#include "core/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>

namespace windi::http {

// A streaming route's body limit, and what a client over it is told with the 413.
struct body_limit {
  std::uint64_t bytes = 0;
  std::string too_large = "Request body too large";
};

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;

// The body of a request as it arrives, for the routes that take bodies too large to hold in memory
// (router::add_streaming): their beast_request has an empty body, and they read it from here.
class body_reader {
 public:
  virtual ~body_reader() = default;
  // Up to into.size() of the next bytes of the body; 0 once it has all been read. Fails with
  // errc::payload_too_large past the route's limit, errc::bad_request when the body is malformed (a bad
  // chunk) or the client stopped sending it.
  virtual boost::asio::awaitable<outcome<std::size_t>> read(std::span<char> into) = 0;
  // Bytes of the body read so far.
  virtual std::uint64_t consumed() const = 0;
};

// One request as routes see it: the raw Beast request plus its decoded path and query.
struct request_context {
  beast_request const& raw;
  std::string path;                                // decoded, without a trailing slash (except "/")
  std::map<std::string, std::string> path_params;  // {name} segments of the route pattern
  std::multimap<std::string, std::string> query;   // decoded query parameters
  std::string client_address;                      // see http/client_address.hpp; empty when unknown
  body_reader* body = nullptr;                     // streaming routes only (router::add_streaming)

  std::optional<std::string> query_param(std::string const& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace windi::http
