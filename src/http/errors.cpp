#include "http/errors.hpp"

#include "api/error_status.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace windi::http {

boost::beast::http::status status_for(errc code) {
  return static_cast<boost::beast::http::status>(http_status_for(code));
}

api_response error_response(failure const& f, std::string_view location) {
  auto code = status_for(f.code);
  if (f.code == errc::validation) {
    std::string_view field = f.field;
    std::string_view where = location;
    if (auto dot = field.find('.'); dot != std::string_view::npos) {
      where = field.substr(0, dot);
      field = field.substr(dot + 1);
    }
    boost::json::array loc{boost::json::string(where)};
    if (!field.empty()) loc.push_back(boost::json::string(field));
    boost::json::object item{{"type", "value_error"}, {"loc", std::move(loc)}, {"msg", f.detail}};
    return json_response(code, boost::json::object{{"detail", boost::json::array{std::move(item)}}});
  }
  auto response = json_response(code, boost::json::object{{"detail", client_detail(f)}});
  if (f.code == errc::unauthorized) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (f.code == errc::rate_limited && f.retry_after_seconds > 0) {
    response.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
  }
  return response;
}

}  // namespace windi::http
