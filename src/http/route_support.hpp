#pragma once
// The glue every route shares: who is calling, and turning an outcome into a response.
#include "http/errors.hpp"
#include "http/routes.hpp"

#include <utility>

namespace windi::http {

using route_result = boost::asio::awaitable<outcome<api_response>>;

// Wraps a handler that needs an authenticated caller. `fn(request, claims)` returns outcome<api_response>;
// a failure becomes the error response, with field locations defaulting to `location`.
template <class Fn>
handler authenticated(auth_service& auth, std::string_view location, Fn fn) {
  return [&auth, location,
          fn = std::move(fn)](request_context& request) -> boost::asio::awaitable<api_response> {
    auto claims = co_await authenticate(request, auth);
    if (!claims) co_return error_response(claims.error(), location);
    auto result = co_await fn(request, *claims);
    if (!result) co_return error_response(result.error(), location);
    co_return std::move(*result);
  };
}

// The same for routes open to anyone.
template <class Fn>
handler anonymous(std::string_view location, Fn fn) {
  return [location, fn = std::move(fn)](request_context& request) -> boost::asio::awaitable<api_response> {
    auto result = co_await fn(request);
    if (!result) co_return error_response(result.error(), location);
    co_return std::move(*result);
  };
}

}  // namespace windi::http
