#pragma once
// A private temporary file on the local disk, for bytes that a library must read from a path (libvips decodes
// an uploaded image from one) before they go to blob storage. Removed when destroyed; what a crash leaves is
// removed by remove_stale_files. File I/O runs on the `blocking` executor, never on the caller's.
#include "files/blob_store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace windi::files {

class spool_file {
 public:
  // A new empty file in `folder` (created when missing).
  static task<outcome<std::unique_ptr<spool_file>>> create(std::filesystem::path folder,
                                                           boost::asio::any_io_executor blocking);
  spool_file(int fd, std::filesystem::path path, boost::asio::any_io_executor blocking);
  ~spool_file();
  spool_file(spool_file const&) = delete;
  spool_file& operator=(spool_file const&) = delete;

  task<outcome<void>> append(std::string_view bytes);
  std::filesystem::path const& path() const { return path_; }
  // A sibling path for what is made from this file (a cleaned copy, a thumbnail); removed with it.
  std::filesystem::path derived(std::string_view suffix) const;

 private:
  int fd_;
  std::filesystem::path path_;
  boost::asio::any_io_executor blocking_;
};

// Copies the file at `path` into blob storage and commits it.
task<outcome<stored_blob>> store_local_file(blob_store& blobs, std::filesystem::path path,
                                            boost::asio::any_io_executor blocking);

// Removes the regular files in `folder` (those ending in `extension`, when one is given) not written for
// `older_than`: what a crash left. Returns how many; `error` says when the folder could not be listed.
// Blocking: call it off the I/O threads.
int remove_stale_files(std::filesystem::path const& folder, std::chrono::seconds older_than,
                       std::error_code& error, std::string_view extension = {});

}  // namespace windi::files
