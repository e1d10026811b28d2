#include "files/disk_blob_store.hpp"

#include "files/spool_file.hpp"
#include "support/offload.hpp"
#include "support/random_hex.hpp"
#include "support/sha256.hpp"

#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace windi::files {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

failure io_failure(std::string_view what, int error) {
  // A full disk is the operator's to fix and the client's to retry later; anything else is a bug or a broken
  // disk.
  if (error == ENOSPC || error == EDQUOT) return fail(errc::unavailable, "File storage is full");
  return fail(errc::internal, std::string(what) + ": " + std::system_category().message(error));
}

// A rename is durable once the folder holding the new name is synced.
int sync_folder(fs::path const& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int const error = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return error;
}

class disk_upload final : public blob_upload {
 public:
  disk_upload(int fd, fs::path unfinished, fs::path objects, asio::any_io_executor blocking)
      : fd_(fd),
        unfinished_(std::move(unfinished)),
        objects_(std::move(objects)),
        blocking_(std::move(blocking)) {}

  ~disk_upload() override {
    if (done_) return;
    // Abandoned. Closing and unlinking are file system calls: not on the caller's (I/O) thread.
    asio::post(blocking_, [fd = fd_, path = unfinished_] {
      if (fd >= 0) ::close(fd);
      std::error_code ignored;
      fs::remove(path, ignored);
    });
  }
  disk_upload(disk_upload const&) = delete;
  disk_upload& operator=(disk_upload const&) = delete;

  // Not coroutines: offload() is handed its function from a plain call (see support/offload.hpp).
  task<outcome<void>> append(std::string_view bytes) override {
    return offload(blocking_, [this, bytes]() -> outcome<void> {
      if (done_) return fail(errc::internal, "append to a committed upload");
      std::size_t written = 0;
      while (written < bytes.size()) {
        auto const n = ::write(fd_, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_failure("write an upload", errno);
        written += static_cast<std::size_t>(n);
      }
      hash_.update(bytes);
      size_ += bytes.size();
      return {};
    });
  }

  task<outcome<stored_blob>> commit() override {
    return offload(blocking_, [this]() -> outcome<stored_blob> {
      if (done_) return fail(errc::internal, "commit of a committed upload");
      if (::fsync(fd_) != 0) return io_failure("sync an upload", errno);
      stored_blob blob{hash_.hex_digest(), size_};
      auto const folder = objects_ / blob.sha256.substr(0, 2);
      std::error_code ec;
      fs::create_directories(folder, ec);
      if (ec) return io_failure("create a folder for blobs", ec.value());
      // Over an object of the same name, rename swaps in identical bytes: a reader of the old one keeps
      // reading it, and two processes storing the same bytes at once both succeed.
      if (::rename(unfinished_.c_str(), (folder / blob.sha256).c_str()) != 0) {
        return io_failure("move an upload into place", errno);
      }
      ::close(fd_);
      fd_ = -1;
      done_ = true;
      if (int const error = sync_folder(folder); error != 0)
        return io_failure("sync a folder of blobs", error);
      return blob;
    });
  }

  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  fs::path unfinished_;
  fs::path objects_;
  asio::any_io_executor blocking_;
  sha256 hash_;
  std::uint64_t size_ = 0;
  bool done_ = false;
};

class disk_download final : public blob_download {
 public:
  disk_download(int fd, std::uint64_t offset, std::uint64_t length, asio::any_io_executor blocking)
      : fd_(fd), position_(offset), remaining_(length), blocking_(std::move(blocking)) {}
  ~disk_download() override { ::close(fd_); }  // of a file only read: nothing to flush, it does not wait
  disk_download(disk_download const&) = delete;
  disk_download& operator=(disk_download const&) = delete;

  task<outcome<std::size_t>> read(std::span<char> into) override {
    return offload(blocking_, [this, into]() -> outcome<std::size_t> {
      auto const wanted = static_cast<std::size_t>(std::min<std::uint64_t>(into.size(), remaining_));
      if (wanted == 0) return std::size_t{0};
      for (;;) {
        auto const n = ::pread(fd_, into.data(), wanted, static_cast<off_t>(position_));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_failure("read a blob", errno);
        // Blobs never change once stored, so a short file is a damaged one.
        if (n == 0) return fail(errc::internal, "a blob is shorter than its range");
        position_ += static_cast<std::uint64_t>(n);
        remaining_ -= static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
      }
    });
  }

  std::uint64_t remaining() const override { return remaining_; }

 private:
  int fd_;
  std::uint64_t position_;
  std::uint64_t remaining_;
  asio::any_io_executor blocking_;
};

}  // namespace

bool is_blob_name(std::string_view sha256) {
  return sha256.size() == 64 && std::all_of(sha256.begin(), sha256.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

disk_blob_store::disk_blob_store(fs::path root, asio::any_io_executor blocking)
    : objects_(root / "objects"), unfinished_(root / "unfinished"), blocking_(std::move(blocking)) {
  fs::create_directories(objects_);
  fs::create_directories(unfinished_);
}

fs::path disk_blob_store::object_path(std::string const& sha256) const {
  return objects_ / sha256.substr(0, 2) / sha256;
}

// Not coroutines: offload() is handed its function from a plain call (see support/offload.hpp).
task<outcome<std::unique_ptr<blob_upload>>> disk_blob_store::begin_upload() {
  return offload(blocking_, [this]() -> outcome<std::unique_ptr<blob_upload>> {
    auto path = unfinished_ / (random_hex(16) + ".part");
    int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_failure("start an upload", errno);
    return std::unique_ptr<blob_upload>(
        std::make_unique<disk_upload>(fd, std::move(path), objects_, blocking_));
  });
}

task<outcome<std::unique_ptr<blob_download>>> disk_blob_store::open(std::string sha256, std::uint64_t offset,
                                                                    std::uint64_t length) {
  return offload(
      blocking_,
      [this, sha256 = std::move(sha256), offset, length]() -> outcome<std::unique_ptr<blob_download>> {
        if (!is_blob_name(sha256)) return fail(errc::not_found, "File not found");
        int const fd = ::open(object_path(sha256).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          if (errno == ENOENT) return fail(errc::not_found, "File not found");
          return io_failure("open a blob", errno);
        }
        struct stat info {};
        if (::fstat(fd, &info) != 0) {
          int const error = errno;
          ::close(fd);
          return io_failure("read a blob's size", error);
        }
        auto const size = static_cast<std::uint64_t>(info.st_size);
        if (offset > size || length > size - offset) {
          ::close(fd);
          return fail(errc::bad_request, "Requested range not satisfiable");
        }
        return std::unique_ptr<blob_download>(std::make_unique<disk_download>(fd, offset, length, blocking_));
      });
}

task<outcome<bool>> disk_blob_store::remove(std::string sha256,
                                            std::chrono::system_clock::time_point stored_before) {
  return offload(blocking_, [this, sha256 = std::move(sha256), stored_before]() -> outcome<bool> {
    if (!is_blob_name(sha256)) return true;
    auto const path = object_path(sha256);
    // A blob is stored by renaming a file just written into place, so its modification time is when it was
    // (last) stored.
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      if (errno == ENOENT) return true;
      return io_failure("look at a blob", errno);
    }
    auto const stored =
        std::chrono::system_clock::time_point(std::chrono::seconds(info.st_mtim.tv_sec) +
                                              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                  std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
    if (stored >= stored_before) return false;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_failure("remove a blob", errno);
    return true;
  });
}

task<outcome<int>> disk_blob_store::remove_unfinished(std::chrono::seconds older_than) {
  return offload(blocking_, [this, older_than]() -> outcome<int> {
    std::error_code ec;
    int const removed = remove_stale_files(unfinished_, older_than, ec, ".part");
    if (ec) return io_failure("list unfinished uploads", ec.value());
    return removed;
  });
}

}  // namespace windi::files
