#include "store/open_store.hpp"

namespace windi {

std::unique_ptr<store> open_store(database_settings const& settings, boost::asio::any_io_executor io) {
  if (settings.kind == database_settings::backend::postgres) {
    return make_postgres_store(settings.postgres_conninfo, settings.pool_size, std::move(io));
  }
  return make_sqlite_store(settings.sqlite_path);
}

}  // namespace windi
