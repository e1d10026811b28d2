#pragma once
// A bounded pool of PostgreSQL connections, safe to use from several threads. Connections are opened lazily,
// up to `size`; a connection that failed is dropped when returned, so the pool heals by itself once the
// server is reachable again. At most `size` leases exist at once: further acquirers wait, with a deadline.
#include "core/error.hpp"
#include "store/pool_stats.hpp"
#include "store/postgres/connection.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace windi::pg {

class pool {
 public:
  // Exclusive use of one connection; gives it back (or drops it when broken) on destruction.
  class lease {
   public:
    lease(pool* owner, std::unique_ptr<connection> conn) : owner_(owner), conn_(std::move(conn)) {}
    lease(lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), conn_(std::move(other.conn_)) {}
    lease& operator=(lease&&) = delete;
    ~lease() {
      if (owner_ != nullptr) owner_->give_back(std::move(conn_));
    }
    connection* operator->() const { return conn_.get(); }
    connection& operator*() const { return *conn_; }

   private:
    pool* owner_;
    std::unique_ptr<connection> conn_;
  };

  pool(std::string conninfo, int size, boost::asio::any_io_executor io);
  pool(pool const&) = delete;
  pool& operator=(pool const&) = delete;
  ~pool();

  // errc::unavailable when no connection frees up, or none can be opened, before `deadline`.
  boost::asio::awaitable<outcome<lease>> acquire(clock::time_point deadline);
  pool_stats const& stats() const { return stats_; }

 private:
  void give_back(std::unique_ptr<connection> conn);
  std::unique_ptr<connection> take_idle();

  std::string conninfo_;
  boost::asio::any_io_executor io_;
  // Only for PQconnectStart, which may block resolving the host name.
  boost::asio::thread_pool blocking_{1};
  // A counting semaphore: one message per lease that may still be handed out.
  boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> permits_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<connection>> idle_;  // guarded by mutex_
  pool_stats stats_;
  // Set by a failed connect, cleared by the next good one: one warning per outage, not one per request.
  std::atomic<bool> unreachable_{false};
};

}  // namespace windi::pg
