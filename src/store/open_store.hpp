#pragma once
#include "files/blob_store.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>

namespace windi {

struct database_settings {
  enum class backend { sqlite, postgres };
  backend kind = backend::sqlite;
  std::string sqlite_path;        // for sqlite: a file path (its folder is created when missing)
  std::string postgres_conninfo;  // for postgres: a libpq URI, postgresql://user:pass@host:port/db
  int pool_size = 8;              // postgres connections per process
};

// io: the executor on which the store does its asynchronous I/O (PostgreSQL sockets).
std::unique_ptr<store> open_store(database_settings const& settings, boost::asio::any_io_executor io);

// Implementations (store/sqlite, store/postgres).
std::unique_ptr<store> make_sqlite_store(std::string path);
std::unique_ptr<store> make_postgres_store(std::string conninfo, int pool_size,
                                           boost::asio::any_io_executor io);

// Uploaded files' bytes in the PostgreSQL database itself (FILES_STORAGE=postgres;
// store/postgres/blob_store.hpp), over a pool of its own of at most `pool_size` connections. io: as for
// open_store; blocking: where uploads are hashed.
std::unique_ptr<files::blob_store> make_postgres_blob_store(std::string conninfo, int pool_size,
                                                            boost::asio::any_io_executor io,
                                                            boost::asio::any_io_executor blocking);

}  // namespace windi
