#pragma once
// Blobs in the PostgreSQL database itself (FILES_STORAGE=postgres): several server processes on different
// machines share uploaded files with no shared disk. Schema and the commit's function: migrations/postgres/
// 0009_blobs.sql. An upload is written as chunks of chunk_bytes, one statement each, holding at most one
// chunk in memory; its commit names the chunks by their SHA-256 (computed as they are written, off the
// caller's thread) in one transaction. A download reads one chunk (or the part of one its range needs) per
// statement. Nothing holds a connection between two calls.
#include "files/blob_store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace windi::pg {

struct blob_connections;

class postgres_blob_store final : public files::blob_store {
 public:
  // Bytes per chunk: a statement's worth, and what an upload or a download holds in memory at most. As large
  // as the pieces HTTP bodies are read and written in, so a download's read is served by at most one
  // statement.
  static constexpr std::size_t chunk_bytes = 256 * 1024;

  // Connections (at most pool_size, opened when first needed) do their I/O on `io`; uploads are hashed on
  // `blocking`.
  postgres_blob_store(std::string conninfo, int pool_size, boost::asio::any_io_executor io,
                      boost::asio::any_io_executor blocking);
  ~postgres_blob_store() override;

  files::task<outcome<std::unique_ptr<files::blob_upload>>> begin_upload() override;
  files::task<outcome<std::unique_ptr<files::blob_download>>> open(std::string sha256, std::uint64_t offset,
                                                                   std::uint64_t length) override;
  files::task<outcome<bool>> remove(std::string sha256,
                                    std::chrono::system_clock::time_point stored_before) override;
  files::task<outcome<int>> remove_unfinished(std::chrono::seconds older_than) override;

 private:
  // Shared with the uploads and downloads, which may outlive the store by a moment (an abandoned upload's
  // rows are deleted after it is gone).
  std::shared_ptr<blob_connections> shared_;
};

}  // namespace windi::pg
