#pragma once
// THE table from our error enum to the HTTP status a failure gets, and the detail a client may see. REST
// responses and WebSocket error frames both read it, so a failure answers the same whichever way it came.
#include "core/error.hpp"

#include <string>

namespace windi {

int http_status_for(errc code);
// A failure's own text, except for internal and availability failures, whose detail never reaches a client.
std::string client_detail(failure const& f);

}  // namespace windi
