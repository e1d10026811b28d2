#pragma once
// Numbered SQL migrations, embedded into the binary at build time from migrations/<backend>/NNNN_name.sql.
#include <span>
#include <string_view>

namespace windi {

struct migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// Ordered by version. backend: "sqlite" or "postgres".
std::span<const migration> migrations_for(std::string_view backend);

}  // namespace windi
