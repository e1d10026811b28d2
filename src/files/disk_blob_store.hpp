#pragma once
// Blobs as files under one folder (DATA_DIR/files on the embedded default; a volume shared by every process
// with PostgreSQL): objects/<first two hex digits>/<sha256>, written as tmp/<random>.part and renamed into
// place once complete and synced, so a crash never leaves a partial object, and two processes storing the
// same bytes at once both succeed. File I/O runs on the `blocking` executor, never on the caller's.
#include "files/blob_store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>

namespace windi::files {

class disk_blob_store final : public blob_store {
 public:
  // Creates the folders if needed (throws when it cannot: a start-up failure).
  disk_blob_store(std::filesystem::path root, boost::asio::any_io_executor blocking);

  task<outcome<std::unique_ptr<blob_upload>>> begin_upload() override;
  task<outcome<std::unique_ptr<blob_download>>> open(std::string sha256, std::uint64_t offset,
                                                     std::uint64_t length) override;
  task<outcome<bool>> remove(std::string sha256,
                             std::chrono::system_clock::time_point stored_before) override;
  task<outcome<int>> remove_unfinished(std::chrono::seconds older_than) override;

 private:
  std::filesystem::path object_path(std::string const& sha256) const;

  std::filesystem::path objects_;
  std::filesystem::path unfinished_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace windi::files
