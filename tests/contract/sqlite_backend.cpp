#include "contract/store_backends.hpp"
#include "store/group_commit.hpp"
#include "store/open_store.hpp"
#include "support/run_task.hpp"

#include <boost/asio/io_context.hpp>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace windi::testing {
namespace {

// Every test gets its own database file; the folders are removed when the test binary exits (by then every
// store, and so every open connection, is gone).
class temp_dirs {
 public:
  ~temp_dirs() {
    std::error_code ec;
    for (auto const& dir : dirs_) std::filesystem::remove_all(dir, ec);
  }

  std::filesystem::path make() {
    static std::atomic<int> counter{0};
    auto name = "windi-sqlite-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                std::to_string(std::random_device{}());
    auto dir = std::filesystem::temp_directory_path() / name;
    std::lock_guard lock(mutex_);
    dirs_.push_back(dir);
    return dir;
  }

 private:
  std::mutex mutex_;
  std::vector<std::filesystem::path> dirs_;
};

}  // namespace

std::unique_ptr<store> open_empty_sqlite_store(boost::asio::any_io_executor io_for_batches, std::string&) {
  static temp_dirs dirs;
  // A nested, not yet existing folder: opening must create it.
  auto path = dirs.make() / "data" / "windi.sqlite3";
  auto opened = make_sqlite_store(path.string());
  boost::asio::io_context io;
  auto applied = run_task(io, opened->migrate());
  // SQLite is always available, so a failure here is a bug to report, never a reason to skip.
  if (!applied) throw std::runtime_error("migrating " + path.string() + " failed: " + applied.error().detail);
  // As the server uses it: behind group commit.
  return with_group_commit(std::move(opened), std::move(io_for_batches), {.shards = 1, .max_batch = 256});
}

}  // namespace windi::testing
