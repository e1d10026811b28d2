#include "store/postgres/params.hpp"

namespace windi::pg {

params& params::add_array(std::span<std::int64_t const> values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += std::to_string(values[i]);
  }
  literal += '}';
  return add(std::move(literal));
}

params& params::add_array(std::span<std::string const> values) {
  std::string literal = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char ch : values[i]) {
      if (ch == '"' || ch == '\\') literal += '\\';
      literal += ch;
    }
    literal += '"';
  }
  literal += '}';
  return add(std::move(literal));
}

std::vector<char const*> params::pointers() const {
  std::vector<char const*> out;
  out.reserve(values_.size());
  for (auto const& value : values_) out.push_back(value ? value->c_str() : nullptr);
  return out;
}

}  // namespace windi::pg
