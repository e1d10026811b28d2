#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace windi::http {

boost::asio::awaitable<outcome<std::size_t>> body_source::send_to_socket(int, std::size_t) {
  co_return fail(errc::internal, "this body cannot send to a socket");
}

api_response json_response(boost::beast::http::status code, boost::json::value const& body) {
  api_response out;
  out.status = code;
  out.body = boost::json::serialize(body);
  return out;
}

}  // namespace windi::http
