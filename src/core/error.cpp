#include "core/error.hpp"

#include <stdexcept>

namespace windi {

void throw_exception_from_error(failure const& f, boost::source_location const&) {
  throw std::runtime_error("unexpected failure: " + f.detail);
}

}  // namespace windi
