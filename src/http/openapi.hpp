#pragma once
#include <string_view>

namespace windi::http {

// docs/openapi.json as it was when the binary was built.
std::string_view openapi_document();

}  // namespace windi::http
