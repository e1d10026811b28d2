#include "contract/store_backends.hpp"

namespace windi::testing {

std::unique_ptr<store> open_empty_postgres_store(boost::asio::any_io_executor, std::string& skip_reason) {
  skip_reason = "the PostgreSQL store is not built yet";
  return nullptr;
}

}  // namespace windi::testing
