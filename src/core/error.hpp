#pragma once
// Expected failures are values: every service and store call returns outcome<T>.
// The transport maps `errc` to an HTTP status or a WebSocket error frame in one table (http/error_mapping).
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <utility>

namespace windi {

enum class errc {
  bad_request,        // 400: the request cannot be understood
  validation,         // 422: well-formed but a field is wrong (FastAPI's RequestValidationError)
  unauthorized,       // 401: no, forged or expired credentials
  forbidden,          // 403: authenticated but not allowed
  not_found,          // 404: absent, or exists but the caller may not know it does
  conflict,           // 409: unique constraint (username, email)
  payload_too_large,  // 413
  rate_limited,       // 429
  unavailable,        // 503: a backend is down; retrying later may work
  internal,           // 500: a bug; detail never reaches the client
};

struct failure {
  errc code;
  std::string detail;
  std::string field;            // for validation: the offending field, FastAPI's `loc`
  int retry_after_seconds = 0;  // for rate_limited: when to try again (HTTP Retry-After)
};

inline failure fail(errc code, std::string detail, std::string field = {}) {
  return failure{code, std::move(detail), std::move(field), 0};
}

[[noreturn]] void throw_exception_from_error(failure const& f, boost::source_location const& loc);

template <class T>
using outcome = boost::system::result<T, failure>;

}  // namespace windi
