#include "files/spool_file.hpp"

#include "support/offload.hpp"
#include "support/random_hex.hpp"

#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace windi::files {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

failure io_failure(std::string_view what, int error) {
  if (error == ENOSPC || error == EDQUOT) return fail(errc::unavailable, "File storage is full");
  return fail(errc::internal, std::string(what) + ": " + std::system_category().message(error));
}

}  // namespace

spool_file::spool_file(int fd, fs::path path, asio::any_io_executor blocking)
    : fd_(fd), path_(std::move(path)), blocking_(std::move(blocking)) {}

spool_file::~spool_file() {
  asio::post(blocking_, [fd = fd_, path = path_, cleaned = derived(".clean"), thumbnail = derived(".thumb")] {
    ::close(fd);
    std::error_code ignored;
    fs::remove(path, ignored);
    fs::remove(cleaned, ignored);
    fs::remove(thumbnail, ignored);
  });
}

fs::path spool_file::derived(std::string_view suffix) const {
  auto out = path_;
  out += suffix;
  return out;
}

// Not coroutines: offload() is handed its function from a plain call (see support/offload.hpp).
task<outcome<std::unique_ptr<spool_file>>> spool_file::create(fs::path folder,
                                                              asio::any_io_executor blocking) {
  return offload(blocking, [folder = std::move(folder), blocking]() -> outcome<std::unique_ptr<spool_file>> {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) return io_failure("create the spool folder", ec.value());
    auto path = folder / (random_hex(16) + ".spool");
    int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return io_failure("create a spool file", errno);
    return std::make_unique<spool_file>(fd, std::move(path), blocking);
  });
}

task<outcome<void>> spool_file::append(std::string_view bytes) {
  return offload(blocking_, [this, bytes]() -> outcome<void> {
    std::size_t written = 0;
    while (written < bytes.size()) {
      auto const n = ::write(fd_, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return io_failure("write a spool file", errno);
      written += static_cast<std::size_t>(n);
    }
    return {};
  });
}

namespace {

// One piece of a local file: the bytes read (empty at its end).
outcome<std::string> read_piece(int fd, std::uint64_t offset) {
  std::string piece(256 * 1024, '\0');
  for (;;) {
    auto const n = ::pread(fd, piece.data(), piece.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_failure("read a spool file", errno);
    piece.resize(static_cast<std::size_t>(n));
    return piece;
  }
}

task<outcome<std::string>> read_piece_off(asio::any_io_executor blocking, int fd, std::uint64_t offset) {
  return offload(blocking, [fd, offset] { return read_piece(fd, offset); });
}

task<outcome<int>> open_off(asio::any_io_executor blocking, fs::path path) {
  return offload(blocking, [path = std::move(path)]() -> outcome<int> {
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_failure("open a spool file", errno);
    return fd;
  });
}

}  // namespace

task<outcome<stored_blob>> store_local_file(blob_store& blobs, fs::path path,
                                            asio::any_io_executor blocking) {
  auto fd = co_await open_off(blocking, std::move(path));
  if (!fd) co_return fd.error();
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_end{*fd};
  auto upload = co_await blobs.begin_upload();
  if (!upload) co_return upload.error();
  std::uint64_t offset = 0;
  for (;;) {
    auto piece = co_await read_piece_off(blocking, *fd, offset);
    if (!piece) co_return piece.error();
    if (piece->empty()) break;
    offset += piece->size();
    auto appended = co_await (*upload)->append(*piece);
    if (!appended) co_return appended.error();
  }
  co_return co_await (*upload)->commit();
}

int remove_stale_files(fs::path const& folder, std::chrono::seconds older_than, std::error_code& error,
                       std::string_view extension) {
  auto const cutoff = fs::file_time_type::clock::now() - older_than;
  int removed = 0;
  for (auto const& entry : fs::directory_iterator(folder, error)) {
    std::error_code entry_error;
    if (!entry.is_regular_file(entry_error)) continue;
    if (!extension.empty() && entry.path().extension() != extension) continue;
    auto const written = entry.last_write_time(entry_error);
    if (entry_error || written >= cutoff) continue;
    if (fs::remove(entry.path(), entry_error)) ++removed;
  }
  return removed;
}

}  // namespace windi::files
