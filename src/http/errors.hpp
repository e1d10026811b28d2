#pragma once
#include "core/error.hpp"
#include "http/response.hpp"

#include <string_view>

namespace windi::http {

// THE table from errc to HTTP status. Validation failures use FastAPI's shape:
// {"detail": [{"type": ..., "loc": [location, field], "msg": ...}]}; everything else {"detail": "..."}.
// `location` ("body", "query", "path") applies to a failure whose field has no "location." prefix.
api_response error_response(failure const& f, std::string_view location = "body");
boost::beast::http::status status_for(errc code);
// The detail a client may see: a failure's own text, except for internal and availability failures.
std::string client_detail(failure const& f);

}  // namespace windi::http
