#include "store/postgres/params.hpp"

#include <algorithm>

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

bool params::has_binary() const { return std::find(binary_.begin(), binary_.end(), true) != binary_.end(); }

std::vector<int> params::lengths() const {
  std::vector<int> out;
  out.reserve(values_.size());
  for (auto const& value : values_) out.push_back(value ? static_cast<int>(value->size()) : 0);
  return out;
}

std::vector<int> params::formats() const {
  std::vector<int> out;
  out.reserve(binary_.size());
  for (bool binary : binary_) out.push_back(binary ? 1 : 0);
  return out;
}

}  // namespace windi::pg
