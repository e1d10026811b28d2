#pragma once
// Query and path parameters of a REST request: integers within bounds, with FastAPI-style failures.
#include "core/error.hpp"
#include "http/request.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace windi::http {

// Query and path parameters: integers within [min, max].
outcome<std::optional<std::int64_t>> query_int(request_context const& r, std::string const& key,
                                               std::int64_t min, std::int64_t max);
outcome<std::int64_t> path_id(request_context const& r, std::string const& key);

}  // namespace windi::http
