#include "http/errors.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace windi::http {

namespace status = boost::beast::http;

boost::beast::http::status status_for(errc code) {
  switch (code) {
    case errc::bad_request:
      return status::status::bad_request;
    case errc::validation:
      return status::status::unprocessable_entity;
    case errc::unauthorized:
      return status::status::unauthorized;
    case errc::forbidden:
      return status::status::forbidden;
    case errc::not_found:
      return status::status::not_found;
    case errc::conflict:
      return status::status::conflict;
    case errc::payload_too_large:
      return status::status::payload_too_large;
    case errc::rate_limited:
      return status::status::too_many_requests;
    case errc::unavailable:
      return status::status::service_unavailable;
    case errc::internal:
      return status::status::internal_server_error;
  }
  return status::status::internal_server_error;
}

std::string client_detail(failure const& f) {
  // Internal detail (SQL errors, connection texts) never reaches a client.
  if (f.code == errc::internal) return "Internal Server Error";
  if (f.code == errc::unavailable) return "Service temporarily unavailable";
  return f.detail;
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
  return response;
}

}  // namespace windi::http
