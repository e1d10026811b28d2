#include "store/open_store.hpp"

#include <stdexcept>

namespace windi {

std::unique_ptr<store> make_postgres_store(std::string, int, boost::asio::any_io_executor) {
  throw std::runtime_error("the PostgreSQL store is not built yet");
}

}  // namespace windi
