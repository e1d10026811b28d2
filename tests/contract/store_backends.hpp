#pragma once
// The backends the store contract suite runs against; the suite is instantiated once per entry.
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace windi::testing {

// Each returns a migrated store over an empty database, or nullptr with `skip_reason` set when the backend
// is not available here (the test is then skipped, except under CI=true where it fails).
using open_empty_store = std::unique_ptr<store> (*)(boost::asio::any_io_executor io,
                                                    std::string& skip_reason);

std::unique_ptr<store> open_empty_sqlite_store(boost::asio::any_io_executor io, std::string& skip_reason);
std::unique_ptr<store> open_empty_postgres_store(boost::asio::any_io_executor io, std::string& skip_reason);

struct store_backend {
  std::string name;
  open_empty_store open_empty;
};

// Names the backend in test names and failure messages instead of dumping the parameter's bytes.
inline void PrintTo(store_backend const& backend, std::ostream* os) { *os << backend.name; }

inline std::vector<store_backend> store_backends() {
  return {{"sqlite", &open_empty_sqlite_store}, {"postgres", &open_empty_postgres_store}};
}

}  // namespace windi::testing
