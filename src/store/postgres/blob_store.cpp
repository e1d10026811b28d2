#include "store/postgres/blob_store.hpp"

#include "store/open_store.hpp"
#include "store/postgres/pool.hpp"
#include "support/offload.hpp"
#include "support/sha256.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace windi {

std::unique_ptr<files::blob_store> make_postgres_blob_store(std::string conninfo, int pool_size,
                                                            boost::asio::any_io_executor io,
                                                            boost::asio::any_io_executor blocking) {
  return std::make_unique<pg::postgres_blob_store>(std::move(conninfo), pool_size, std::move(io),
                                                   std::move(blocking));
}

}  // namespace windi

namespace windi::pg {

namespace asio = boost::asio;

// What the store, its uploads and downloads share.
struct blob_connections {
  blob_connections(std::string conninfo, int size, asio::any_io_executor on, asio::any_io_executor off)
      : connections(std::move(conninfo), size, on), io(std::move(on)), blocking(std::move(off)) {}

  pool connections;
  asio::any_io_executor io;
  asio::any_io_executor blocking;
};

namespace {

using format = connection::format;

// One statement moves at most a chunk; on a slow link to the database that takes longer than the store's
// short statements are given.
constexpr auto statement_budget = std::chrono::seconds(30);
// "Each append refreshes it" (files::blob_store::remove_unfinished): an append that writes no chunk refreshes
// the upload's row only when the last write is this old, so that an upload sending a few bytes at a time
// costs a commit a second, not one per append. remove_unfinished then takes an upload for an interrupted one
// only after a pause between its appends of older_than less this.
constexpr auto touch_interval = std::chrono::seconds(1);

constexpr std::int64_t chunk_size = static_cast<std::int64_t>(postgres_blob_store::chunk_bytes);

// The first chunk of an upload, with the row that marks the upload as in progress.
constexpr statement start_upload_sql{"blob_start_upload", R"sql(
  WITH u AS (INSERT INTO blob_uploads (touched_at) VALUES ($1) RETURNING id)
  INSERT INTO blob_chunks (upload_id, n, bytes) SELECT u.id, 0, $2::bytea FROM u
  RETURNING upload_id)sql"};

// A further chunk; no row when remove_unfinished removed the upload meanwhile (it waits for, or is waited for
// by, the refresh of the upload's row, so the chunk is never written for an upload already gone).
constexpr statement append_chunk_sql{"blob_append_chunk", R"sql(
  WITH u AS (UPDATE blob_uploads SET touched_at = $2 WHERE id = $1 RETURNING id)
  INSERT INTO blob_chunks (upload_id, n, bytes) SELECT u.id, $3::integer, $4::bytea FROM u
  RETURNING n)sql"};

constexpr statement touch_upload_sql{"blob_touch_upload",
                                     "UPDATE blob_uploads SET touched_at = $2 WHERE id = $1 RETURNING id"};

// One transaction, in a function (migrations/postgres/0009_blobs.sql) because its steps must run in order.
constexpr statement store_blob_sql{
    "blob_store",
    "SELECT windi_store_blob($1::bigint, $2::integer, $3::bytea, $4, $5::bigint, $6::integer, $7)"};

constexpr statement open_blob_sql{"blob_open",
                                  "SELECT size, chunk_size, upload_id FROM blobs WHERE sha256 = $1"};

// Read in binary format: its only column is the bytes. substring() counts from 1.
constexpr statement read_chunk_sql{"blob_read_chunk",
                                   "SELECT substring(bytes FROM $3::integer FOR $4::integer) FROM "
                                   "blob_chunks WHERE upload_id = $1 AND n = $2"};

// The blob goes unless stored at or after $2; its chunks with it. A store of the same bytes in progress holds
// the blob's row, so this waits for it and then sees the new stored_at. True when the blob is gone or was not
// there (as the statement's snapshot saw it: a removal that loses to a concurrent one says false, and the
// next round of the cleanup finds the blob gone).
constexpr statement remove_blob_sql{"blob_remove", R"sql(
  WITH gone AS (DELETE FROM blobs WHERE sha256 = $1 AND stored_at < $2 RETURNING upload_id),
  chunks AS (DELETE FROM blob_chunks WHERE upload_id IN (SELECT g.upload_id FROM gone g))
  SELECT EXISTS (SELECT 1 FROM gone) OR NOT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1))sql"};

// Uploads not refreshed since $1, with their chunks. One whose commit or chunk is being written holds its
// row, so this waits for it and then sees it refreshed, or gone with its chunks named by a blob (and leaves
// them).
constexpr statement remove_unfinished_sql{"blob_remove_unfinished", R"sql(
  WITH gone AS (DELETE FROM blob_uploads WHERE touched_at < $1 RETURNING id),
  chunks AS (DELETE FROM blob_chunks WHERE upload_id IN (SELECT g.id FROM gone g))
  SELECT count(*) FROM gone)sql"};

// An abandoned upload, with its chunks; nothing when its row is gone already (committed after all, the chunks
// then a blob's, or removed as interrupted).
constexpr statement discard_upload_sql{"blob_discard_upload", R"sql(
  WITH gone AS (DELETE FROM blob_uploads WHERE id = $1 RETURNING id),
  chunks AS (DELETE FROM blob_chunks WHERE upload_id IN (SELECT g.id FROM gone g))
  SELECT count(*) FROM gone)sql"};

std::int64_t micros_since_epoch(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
}

std::int64_t now_micros() { return micros_since_epoch(std::chrono::system_clock::now()); }

// One statement on a pooled connection, held only for it. A server error becomes a failure naming `what`.
task<outcome<result>> run(pool& connections, statement const& stmt, params args, std::string_view what,
                          format results = format::text) {
  auto const deadline = clock::now() + statement_budget;
  auto conn = co_await connections.acquire(deadline);
  if (!conn) co_return conn.error();
  auto r = co_await (*conn)->query(stmt, args, deadline, results);
  if (!r) co_return r.error();
  if (!r->ok()) co_return sql_failure(*r, what);
  co_return std::move(*r);
}

// Not a coroutine: offload() is handed its function from a plain call (see support/offload.hpp). The caller
// keeps the state and the bytes alive until it resumes.
task<bool> hash_off(asio::any_io_executor blocking, sha256* state, std::string_view bytes) {
  return offload(std::move(blocking), [state, bytes] {
    state->update(bytes);
    return true;
  });
}

failure interrupted() {
  // Only an upload that wrote nothing for longer than the file service's remove_unfinished allows gets here.
  return fail(errc::unavailable, "The upload was interrupted for too long; try again");
}

task<void> discard_upload(std::shared_ptr<blob_connections> shared, std::int64_t id) {
  auto discarded = co_await run(shared->connections, discard_upload_sql, params(id), "discard an upload");
  // What is left is removed by remove_unfinished.
  if (!discarded) spdlog::debug("blob upload {} left for the cleanup: {}", id, discarded.error().detail);
}

class postgres_upload final : public files::blob_upload {
 public:
  explicit postgres_upload(std::shared_ptr<blob_connections> shared) : shared_(std::move(shared)) {}

  ~postgres_upload() override {
    // Abandoned after writing chunks: they go, off this call (a destructor cannot wait).
    if (!done_ && id_) asio::co_spawn(shared_->io, discard_upload(shared_, *id_), asio::detached);
  }
  postgres_upload(postgres_upload const&) = delete;
  postgres_upload& operator=(postgres_upload const&) = delete;

  task<outcome<void>> append(std::string_view bytes) override {
    if (done_ || failed_) co_return fail(errc::internal, "append to a committed or failed upload");
    while (!bytes.empty()) {
      // Reserved from empty, so exactly one chunk (growing the string would round up past it).
      if (buffer_.capacity() < postgres_blob_store::chunk_bytes)
        buffer_.reserve(postgres_blob_store::chunk_bytes);
      auto const take = std::min(bytes.size(), postgres_blob_store::chunk_bytes - buffer_.size());
      buffer_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      size_ += take;
      if (buffer_.size() < postgres_blob_store::chunk_bytes) continue;
      auto written = co_await write_chunk();
      if (!written) {
        failed_ = true;
        co_return written.error();
      }
    }
    if (id_ && clock::now() - touched_ >= touch_interval) {
      auto touched = co_await run(shared_->connections, touch_upload_sql, params(*id_, now_micros()),
                                  "refresh an upload");
      if (!touched || touched->rows() == 0) {
        failed_ = true;
        co_return touched ? interrupted() : touched.error();
      }
      touched_ = clock::now();
    }
    co_return outcome<void>{};
  }

  task<outcome<files::stored_blob>> commit() override {
    if (done_ || failed_) co_return fail(errc::internal, "commit of a committed or failed upload");
    if (!buffer_.empty()) co_await hash_off(shared_->blocking, &hash_, buffer_);
    files::stored_blob blob;
    blob.sha256 = hash_.hex_digest();
    blob.size = size_;

    params args(id_);
    if (buffer_.empty()) {
      args.add(std::optional<std::int64_t>());
      args.add(std::optional<std::string>());
    } else {
      args.add(chunks_);
      args.add_binary(std::move(buffer_));
      buffer_.clear();
    }
    args.add(blob.sha256).add(static_cast<std::int64_t>(size_)).add(chunk_size).add(now_micros());
    auto stored = co_await run(shared_->connections, store_blob_sql, std::move(args), "store a blob");
    if (!stored || !stored->boolean(0, 0)) {
      failed_ = true;
      co_return stored ? interrupted() : stored.error();
    }
    done_ = true;
    co_return blob;
  }

  std::uint64_t size() const override { return size_; }

 private:
  // Writes the full buffer as the next chunk, the upload's row with the first.
  task<outcome<void>> write_chunk() {
    co_await hash_off(shared_->blocking, &hash_, buffer_);
    auto const now = now_micros();
    if (!id_) {
      params args(now);
      args.add_binary(std::move(buffer_));
      auto started = co_await run(shared_->connections, start_upload_sql, std::move(args), "start an upload");
      if (!started) co_return started.error();
      id_ = started->int64(0, 0);
    } else {
      params args(*id_, now, chunks_);
      args.add_binary(std::move(buffer_));
      auto written = co_await run(shared_->connections, append_chunk_sql, std::move(args), "write an upload");
      if (!written) co_return written.error();
      if (written->rows() == 0) co_return interrupted();
    }
    buffer_.clear();
    ++chunks_;
    touched_ = clock::now();
    co_return outcome<void>{};
  }

  std::shared_ptr<blob_connections> shared_;
  std::optional<std::int64_t> id_;  // the upload's row, once its first chunk is written
  std::string buffer_;              // the bytes after the chunks written, less than a chunk between calls
  int chunks_ = 0;                  // written so far
  clock::time_point touched_;       // when the row was last refreshed
  sha256 hash_;
  std::uint64_t size_ = 0;
  bool done_ = false;
  bool failed_ = false;
};

class postgres_download final : public files::blob_download {
 public:
  postgres_download(std::shared_ptr<blob_connections> shared, std::int64_t upload_id, std::uint64_t chunk,
                    std::uint64_t offset, std::uint64_t length)
      : shared_(std::move(shared)),
        upload_id_(upload_id),
        chunk_(chunk),
        position_(offset),
        remaining_(length) {}

  task<outcome<std::size_t>> read(std::span<char> into) override {
    if (remaining_ == 0 || into.empty()) co_return std::size_t{0};
    if (left_.empty()) {
      // The rest of the range within the chunk holding its next byte.
      auto const n = static_cast<std::int64_t>(position_ / chunk_);
      auto const within = position_ % chunk_;
      auto const want = std::min(remaining_, chunk_ - within);
      params args(upload_id_, n, static_cast<std::int64_t>(within) + 1, static_cast<std::int64_t>(want));
      auto r =
          co_await run(shared_->connections, read_chunk_sql, std::move(args), "read a blob", format::binary);
      if (!r) co_return r.error();
      // Blobs never change once stored: a missing or short chunk is a blob removed while being read (no file
      // used it any more) or a damaged one.
      if (r->rows() == 0 || r->is_null(0, 0) || r->bytes(0, 0).size() != want) {
        co_return fail(errc::internal, "a blob's chunk is missing or shorter than its range");
      }
      piece_ = std::move(*r);
      left_ = piece_.bytes(0, 0);
    }
    auto const n = std::min(into.size(), left_.size());
    std::memcpy(into.data(), left_.data(), n);
    left_.remove_prefix(n);
    position_ += n;
    remaining_ -= n;
    co_return n;
  }

  std::uint64_t remaining() const override { return remaining_; }

 private:
  std::shared_ptr<blob_connections> shared_;
  std::int64_t upload_id_;
  std::uint64_t chunk_;  // the blob's chunk size
  std::uint64_t position_;
  std::uint64_t remaining_;
  result piece_;           // the last chunk read
  std::string_view left_;  // its bytes not handed out yet
};

}  // namespace

postgres_blob_store::postgres_blob_store(std::string conninfo, int pool_size, asio::any_io_executor io,
                                         asio::any_io_executor blocking)
    : shared_(std::make_shared<blob_connections>(std::move(conninfo), pool_size, std::move(io),
                                                 std::move(blocking))) {}

postgres_blob_store::~postgres_blob_store() = default;

task<outcome<std::unique_ptr<files::blob_upload>>> postgres_blob_store::begin_upload() {
  // Nothing in the database yet: an upload that fits in one chunk is written by its commit alone.
  co_return std::unique_ptr<files::blob_upload>(std::make_unique<postgres_upload>(shared_));
}

task<outcome<std::unique_ptr<files::blob_download>>> postgres_blob_store::open(std::string sha256,
                                                                               std::uint64_t offset,
                                                                               std::uint64_t length) {
  if (!files::is_blob_name(sha256)) co_return fail(errc::not_found, "File not found");
  auto r = co_await run(shared_->connections, open_blob_sql, params(std::move(sha256)), "open a blob");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "File not found");
  auto const size = static_cast<std::uint64_t>(r->int64(0, 0));
  auto const chunk = static_cast<std::uint64_t>(r->int64(0, 1));
  auto const upload_id = r->int64(0, 2);
  if (offset > size || length > size - offset)
    co_return fail(errc::bad_request, "Requested range not satisfiable");
  if (chunk == 0) co_return fail(errc::internal, "a blob without a chunk size");
  co_return std::unique_ptr<files::blob_download>(
      std::make_unique<postgres_download>(shared_, upload_id, chunk, offset, length));
}

task<outcome<bool>> postgres_blob_store::remove(std::string sha256,
                                                std::chrono::system_clock::time_point stored_before) {
  if (!files::is_blob_name(sha256)) co_return true;
  auto r = co_await run(shared_->connections, remove_blob_sql,
                        params(std::move(sha256), micros_since_epoch(stored_before)), "remove a blob");
  if (!r) co_return r.error();
  co_return r->boolean(0, 0);
}

task<outcome<int>> postgres_blob_store::remove_unfinished(std::chrono::seconds older_than) {
  auto const cutoff =
      now_micros() - std::chrono::duration_cast<std::chrono::microseconds>(older_than).count();
  auto r =
      co_await run(shared_->connections, remove_unfinished_sql, params(cutoff), "remove unfinished uploads");
  if (!r) co_return r.error();
  co_return static_cast<int>(r->int64(0, 0));
}

}  // namespace windi::pg
