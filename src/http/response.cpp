#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace windi::http {

api_response json_response(boost::beast::http::status code, boost::json::value const& body) {
  return api_response{code, boost::json::serialize(body), "application/json", {}};
}

}  // namespace windi::http
