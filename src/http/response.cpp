#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace windi::http {

api_response json_response(boost::beast::http::status code, boost::json::value const& body) {
  api_response out;
  out.status = code;
  out.body = boost::json::serialize(body);
  return out;
}

}  // namespace windi::http
