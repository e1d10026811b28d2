#pragma once
#include "core/error.hpp"
#include "http/response.hpp"

#include <string_view>

namespace windi::http {

// REST error responses from the table in api/error_status.hpp. Validation failures use FastAPI's shape:
// {"detail": [{"type": ..., "loc": [location, field], "msg": ...}]}; everything else {"detail": "..."}.
// `location` ("body", "query", "path") applies to a failure whose field has no "location." prefix.
api_response error_response(failure const& f, std::string_view location = "body");
boost::beast::http::status status_for(errc code);

}  // namespace windi::http
