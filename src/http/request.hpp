#pragma once
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <map>
#include <optional>
#include <string>

namespace windi::http {

using beast_request = boost::beast::http::request<boost::beast::http::string_body>;

// One request as routes see it: the raw Beast request plus its decoded path and query.
struct request_context {
  beast_request const& raw;
  std::string path;                                // decoded, without a trailing slash (except "/")
  std::map<std::string, std::string> path_params;  // {name} segments of the route pattern
  std::multimap<std::string, std::string> query;   // decoded query parameters
  std::string client_address;                      // see http/client_address.hpp; empty when unknown

  std::optional<std::string> query_param(std::string const& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
};

}  // namespace windi::http
