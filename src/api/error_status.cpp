#include "api/error_status.hpp"

namespace windi {

int http_status_for(errc code) {
  switch (code) {
    case errc::bad_request:
      return 400;
    case errc::validation:
      return 422;
    case errc::unauthorized:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::conflict:
      return 409;
    case errc::payload_too_large:
      return 413;
    case errc::rate_limited:
      return 429;
    case errc::unavailable:
      return 503;
    case errc::internal:
      return 500;
  }
  return 500;
}

std::string client_detail(failure const& f) {
  if (f.code == errc::internal) return "Internal Server Error";
  if (f.code == errc::unavailable) return "Service temporarily unavailable";
  return f.detail;
}

}  // namespace windi
