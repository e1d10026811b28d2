#pragma once
#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <utility>
#include <vector>

namespace windi::http {

// What a route returns; the server turns it into a Beast response.
struct api_response {
  boost::beast::http::status status = boost::beast::http::status::ok;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
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
