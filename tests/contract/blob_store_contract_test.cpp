// The contract of files::blob_store, where uploaded files' bytes live: what was written reads back byte for
// byte under the SHA-256 of its bytes, ranges are exact, nothing of an unfinished upload is ever visible or
// left behind, and a name from a request never reaches outside the store. Runs against every implementation.
#include "contract/store_backends.hpp"
#include "files/disk_blob_store.hpp"
#include "store/open_store.hpp"
#include "support/run_task.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <unistd.h>

namespace windi::testing {
namespace {

namespace fs = std::filesystem;
using files::blob_store;

// An empty store of the backend (io: where it does asynchronous I/O, blocking: where it does blocking work),
// or nullptr with `skip_reason` set when the backend is not available here (the test is then skipped, except
// under CI=true where it fails).
struct blob_backend {
  std::string name;
  std::function<std::unique_ptr<blob_store>(fs::path const& folder, boost::asio::any_io_executor io,
                                            boost::asio::any_io_executor blocking, std::string& skip_reason)>
      open;
};

void PrintTo(blob_backend const& backend, std::ostream* os) { *os << backend.name; }

// Blobs in PostgreSQL live in the store's database: an emptied, migrated one (as the store contract suites
// get it), the store itself not needed past that.
std::unique_ptr<blob_store> open_empty_postgres_blobs(boost::asio::any_io_executor io,
                                                      boost::asio::any_io_executor blocking,
                                                      std::string& skip_reason) {
  if (open_empty_postgres_store(io, skip_reason) == nullptr) return nullptr;
  return make_postgres_blob_store(std::getenv("WINDI_TEST_POSTGRES_URL"), 4, std::move(io),
                                  std::move(blocking));
}

std::vector<blob_backend> blob_backends() {
  return {{"disk",
           [](fs::path const& folder, boost::asio::any_io_executor, boost::asio::any_io_executor blocking,
              std::string&) -> std::unique_ptr<blob_store> {
             return std::make_unique<files::disk_blob_store>(folder / "files", std::move(blocking));
           }},
          {"postgres", [](fs::path const&, boost::asio::any_io_executor io,
                          boost::asio::any_io_executor blocking, std::string& skip_reason) {
             return open_empty_postgres_blobs(std::move(io), std::move(blocking), skip_reason);
           }}};
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<unsigned char const*>(bytes.data()), bytes.size());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return hex.data();
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (auto& c : out) c = static_cast<char>(random());
  return out;
}

class blob_store_contract : public ::testing::TestWithParam<blob_backend> {
 protected:
  // A cutoff after every store so far: removal is not held back.
  static std::chrono::system_clock::time_point later() {
    return std::chrono::system_clock::now() + std::chrono::minutes(1);
  }

  void SetUp() override {
    folder_ = fs::temp_directory_path() / ("windi-blobs-" + std::to_string(::getpid()) + "-" +
                                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(folder_);
    fs::create_directories(folder_);
    std::string skip_reason;
    blobs_ = GetParam().open(folder_, io_.get_executor(), blocking_.get_executor(), skip_reason);
    if (!blobs_) {
      char const* ci = std::getenv("CI");
      if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL() << GetParam().name << " blob store unavailable under CI: " << skip_reason;
      }
      GTEST_SKIP() << GetParam().name << " blob store unavailable: " << skip_reason;
    }
  }
  void TearDown() override {
    blobs_.reset();
    blocking_.join();
    fs::remove_all(folder_);
  }

  template <class T>
  T run(boost::asio::awaitable<T> work) {
    return run_task(io_, std::move(work));
  }

  // Writes `bytes` in pieces of `piece` and commits.
  outcome<files::stored_blob> store(std::string_view bytes, std::size_t piece = 4096) {
    auto upload = run(blobs_->begin_upload());
    if (!upload) return upload.error();
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      auto appended = run((*upload)->append(bytes.substr(at, piece)));
      if (!appended) return appended.error();
    }
    return run((*upload)->commit());
  }

  // The whole range, read with a buffer of `buffer` bytes.
  outcome<std::string> read(std::string const& name, std::uint64_t offset, std::uint64_t length,
                            std::size_t buffer = 1000) {
    auto download = run(blobs_->open(name, offset, length));
    if (!download) return download.error();
    std::string out;
    std::vector<char> chunk(buffer);
    for (;;) {
      auto got = run((*download)->read(chunk));
      if (!got) return got.error();
      if (*got == 0) break;
      out.append(chunk.data(), *got);
    }
    EXPECT_EQ((*download)->remaining(), 0u);
    return out;
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_{2};
  fs::path folder_;
  std::unique_ptr<blob_store> blobs_;
};

TEST_P(blob_store_contract, AFileWrittenInPiecesReadsBackByteForByteUnderTheSha256OfItsBytes) {
  auto const bytes = random_bytes(3 * 1024 * 1024 + 17, 1);
  auto stored = store(bytes, 64 * 1024);
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_EQ(stored->sha256, sha256_hex(bytes));
  EXPECT_EQ(stored->size, bytes.size());
  auto back = read(stored->sha256, 0, bytes.size(), 64 * 1024);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_TRUE(*back == bytes);
}

TEST_P(blob_store_contract, AnEmptyFileIsABlobToo) {
  auto stored = store("");
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_EQ(stored->sha256, sha256_hex(""));
  EXPECT_EQ(stored->size, 0u);
  auto back = read(stored->sha256, 0, 0);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, "");
}

TEST_P(blob_store_contract, ARangeReadsExactlyItsBytes) {
  auto const bytes = random_bytes(100'000, 2);
  auto stored = store(bytes);
  ASSERT_TRUE(stored);
  for (auto [offset, length] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {0, 1}, {1, 999}, {12'345, 54'321}, {99'999, 1}, {100'000, 0}, {0, 100'000}}) {
    auto part = read(stored->sha256, offset, length, 777);
    ASSERT_TRUE(part) << offset << "+" << length << ": " << part.error().detail;
    EXPECT_TRUE(*part == bytes.substr(offset, length)) << offset << "+" << length;
  }
}

// Ranges that start and end anywhere in a blob of many chunks (PostgreSQL keeps 256 KiB ones), read with
// buffers smaller and larger than a chunk and of odd sizes: each reads exactly its bytes.
TEST_P(blob_store_contract, RangesAnywhereInALargeBlobReadExactlyTheirBytes) {
  constexpr std::uint64_t k = 256 * 1024;
  auto const bytes = random_bytes(12 * k + 17, 9);
  auto stored = store(bytes, 100'003);
  ASSERT_TRUE(stored) << stored.error().detail;
  for (auto [offset, length, buffer] :
       std::vector<std::tuple<std::uint64_t, std::uint64_t, std::size_t>>{{k - 1, 2, 1000},
                                                                          {k, k, 4096},
                                                                          {k - 100, k + 200, 777},
                                                                          {5 * k + 12'345, 3 * k + 1, 65'537},
                                                                          {1, bytes.size() - 2, 300'000},
                                                                          {12 * k - 1, 18, 5},
                                                                          {bytes.size() - 17, 17, 3},
                                                                          {7 * k, 0, 10}}) {
    auto part = read(stored->sha256, offset, length, buffer);
    ASSERT_TRUE(part) << offset << "+" << length << ": " << part.error().detail;
    EXPECT_TRUE(*part == bytes.substr(offset, length)) << offset << "+" << length << " by " << buffer;
  }
}

TEST_P(blob_store_contract, ARangeOutsideTheBlobIsRefused) {
  auto stored = store(random_bytes(1000, 3));
  ASSERT_TRUE(stored);
  for (auto [offset, length] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
           {1001, 0}, {0, 1001}, {999, 2}, {~0ull, 1}, {1, ~0ull}}) {
    auto opened = run(blobs_->open(stored->sha256, offset, length));
    ASSERT_FALSE(opened) << offset << "+" << length;
    EXPECT_EQ(opened.error().code, errc::bad_request);
  }
}

TEST_P(blob_store_contract, TheSameBytesStoredTwiceAreOneBlobAndBothStoresSucceed) {
  auto const bytes = random_bytes(50'000, 4);
  auto first = store(bytes, 1000);
  auto second = store(bytes, 7000);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->sha256, second->sha256);
  ASSERT_TRUE(run(blobs_->remove(first->sha256, later())).value());
  auto opened = run(blobs_->open(second->sha256, 0, bytes.size()));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, errc::not_found);
}

TEST_P(blob_store_contract, UploadsInProgressAtOnceDoNotMix) {
  auto const a = random_bytes(200'000, 5);
  auto const b = random_bytes(150'000, 6);
  auto first = run(blobs_->begin_upload());
  auto second = run(blobs_->begin_upload());
  ASSERT_TRUE(first && second);
  for (std::size_t at = 0; at < a.size(); at += 10'000) {
    ASSERT_TRUE(run((*first)->append(std::string_view(a).substr(at, 10'000))));
    if (at < b.size()) {
      ASSERT_TRUE(run((*second)->append(std::string_view(b).substr(at, 10'000))));
    }
  }
  EXPECT_EQ((*first)->size(), a.size());
  auto stored_b = run((*second)->commit());
  auto stored_a = run((*first)->commit());
  ASSERT_TRUE(stored_a && stored_b);
  EXPECT_TRUE(read(stored_a->sha256, 0, a.size()).value() == a);
  EXPECT_TRUE(read(stored_b->sha256, 0, b.size()).value() == b);
}

TEST_P(blob_store_contract, ARemovedBlobIsNotFoundAndRemovingAgainSucceeds) {
  auto stored = store("hello");
  ASSERT_TRUE(stored);
  ASSERT_TRUE(run(blobs_->remove(stored->sha256, later())).value());
  ASSERT_TRUE(run(blobs_->remove(stored->sha256, later())).value());
  auto opened = run(blobs_->open(stored->sha256, 0, 5));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, errc::not_found);
}

// The race removal must not lose: a blob no file used is being removed while an upload of the same bytes
// stores it again, to record its file a moment later.
TEST_P(blob_store_contract, ABlobStoredAgainAfterTheCutoffIsKept) {
  auto const bytes = random_bytes(10'000, 8);
  auto first = store(bytes);
  ASSERT_TRUE(first);
  auto const cutoff = std::chrono::system_clock::now() - std::chrono::minutes(2);
  auto kept = run(blobs_->remove(first->sha256, cutoff));
  ASSERT_TRUE(kept);
  EXPECT_FALSE(*kept);
  EXPECT_TRUE(read(first->sha256, 0, bytes.size()).value() == bytes);
  // Once the cutoff has passed the last store, it goes.
  auto gone = run(blobs_->remove(first->sha256, later()));
  ASSERT_TRUE(gone);
  EXPECT_TRUE(*gone);
  EXPECT_EQ(run(blobs_->open(first->sha256, 0, 1)).error().code, errc::not_found);
}

TEST_P(blob_store_contract, ANameThatIsNotASha256IsNotFoundAndNeverAPath) {
  auto stored = store("secret");
  ASSERT_TRUE(stored);
  std::string upper = stored->sha256;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::string name : {std::string("../../../../etc/passwd"), std::string(""), stored->sha256.substr(1),
                           stored->sha256 + "0", upper, "../" + stored->sha256.substr(3),
                           std::string(64, 'g'), std::string(64, '.')}) {
    auto opened = run(blobs_->open(name, 0, 0));
    ASSERT_FALSE(opened) << name;
    EXPECT_EQ(opened.error().code, errc::not_found) << name;
    EXPECT_TRUE(run(blobs_->remove(name, later())).value()) << name;
  }
  EXPECT_TRUE(read(stored->sha256, 0, 6).value() == "secret");
}

INSTANTIATE_TEST_SUITE_P(backends, blob_store_contract, ::testing::ValuesIn(blob_backends()),
                         [](auto const& info) { return info.param.name; });

// --- the disk implementation's own promises: what it leaves in its folder

class disk_blob_store_files : public blob_store_contract {
 protected:
  std::size_t unfinished_count() const {
    std::size_t n = 0;
    for ([[maybe_unused]] auto const& entry : fs::directory_iterator(folder_ / "files" / "unfinished")) ++n;
    return n;
  }
};

TEST_P(disk_blob_store_files, AnUploadAbandonedBeforeItsCommitLeavesNoFile) {
  {
    auto upload = run(blobs_->begin_upload());
    ASSERT_TRUE(upload);
    ASSERT_TRUE(run((*upload)->append(random_bytes(10'000, 7))));
    EXPECT_EQ(unfinished_count(), 1u);
  }
  auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (unfinished_count() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(unfinished_count(), 0u);
}

TEST_P(disk_blob_store_files, ACommittedUploadLeavesOnlyItsObject) {
  auto stored = store("abc");
  ASSERT_TRUE(stored);
  EXPECT_EQ(unfinished_count(), 0u);
  EXPECT_TRUE(
      fs::is_regular_file(folder_ / "files" / "objects" / stored->sha256.substr(0, 2) / stored->sha256));
}

TEST_P(disk_blob_store_files, WhatACrashLeftIsRemovedOnceOlderThanAnyUploadInProgress) {
  auto const unfinished = folder_ / "files" / "unfinished";
  std::ofstream(unfinished / "crashed.part") << "half a file";
  fs::last_write_time(unfinished / "crashed.part", fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto in_progress = run(blobs_->begin_upload());
  ASSERT_TRUE(in_progress);
  ASSERT_TRUE(run((*in_progress)->append("still arriving")));
  auto removed = run(blobs_->remove_unfinished(std::chrono::hours(1)));
  ASSERT_TRUE(removed) << removed.error().detail;
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(fs::exists(unfinished / "crashed.part"));
  auto stored = run((*in_progress)->commit());
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_TRUE(read(stored->sha256, 0, 14).value() == "still arriving");
}

INSTANTIATE_TEST_SUITE_P(disk, disk_blob_store_files, ::testing::Values(blob_backends().front()),
                         [](auto const& info) { return info.param.name; });

// --- the PostgreSQL implementation's own promises: what it leaves in the database

class postgres_blob_store_rows : public blob_store_contract {
 protected:
  static constexpr std::size_t chunk = 256 * 1024;

  // The first value of the first row of `query` ("" without one), on a connection of its own.
  static std::string sql(std::string const& query) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(std::getenv("WINDI_TEST_POSTGRES_URL")),
                                                      &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      throw std::runtime_error(std::string("connecting to WINDI_TEST_POSTGRES_URL: ") +
                               PQerrorMessage(conn.get()));
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), query.c_str()), &PQclear);
    auto const status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      throw std::runtime_error(query + ": " + PQresultErrorMessage(r.get()));
    }
    return PQntuples(r.get()) == 0 ? "" : PQgetvalue(r.get(), 0, 0);
  }

  static std::string rows_in(std::string const& table) { return sql("SELECT count(*) FROM " + table); }

  // Runs the I/O (an abandoned upload's clean-up) until `done` or 5 s have passed.
  template <class Done>
  void run_until(Done done) {
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
  }

  std::unique_ptr<files::blob_upload> upload_of(std::string_view bytes) {
    auto upload = run(blobs_->begin_upload());
    EXPECT_TRUE(upload);
    if (!upload) return nullptr;
    for (std::size_t at = 0; at < bytes.size(); at += 50'000) {
      auto appended = run((*upload)->append(bytes.substr(at, 50'000)));
      EXPECT_TRUE(appended) << appended.error().detail;
    }
    return std::move(*upload);
  }
};

TEST_P(postgres_blob_store_rows, AnUploadHoldsAtMostAChunkAndCommittedLeavesOnlyItsBlobsChunks) {
  auto const bytes = random_bytes(12 * chunk + 17, 10);
  auto upload = upload_of(std::string_view(bytes).substr(0, 2 * chunk + 1000));
  ASSERT_TRUE(upload);
  // Two whole chunks written, the rest in memory; nothing readable yet.
  EXPECT_EQ(rows_in("blob_uploads"), "1");
  EXPECT_EQ(rows_in("blob_chunks"), "2");
  EXPECT_EQ(rows_in("blobs"), "0");
  for (std::size_t at = 2 * chunk + 1000; at < bytes.size(); at += 70'000) {
    ASSERT_TRUE(run(upload->append(std::string_view(bytes).substr(at, 70'000))));
  }
  auto stored = run(upload->commit());
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_EQ(rows_in("blob_uploads"), "0");
  EXPECT_EQ(rows_in("blob_chunks"), "13");
  EXPECT_EQ(sql("SELECT size || ' ' || chunk_size FROM blobs WHERE sha256 = '" + stored->sha256 + "'"),
            std::to_string(bytes.size()) + " " + std::to_string(chunk));
  EXPECT_EQ(sql("SELECT sum(length(c.bytes)) FROM blob_chunks c JOIN blobs b ON b.upload_id = c.upload_id"),
            std::to_string(bytes.size()));
  // Removed, it leaves nothing.
  ASSERT_TRUE(run(blobs_->remove(stored->sha256, later())).value());
  EXPECT_EQ(rows_in("blobs"), "0");
  EXPECT_EQ(rows_in("blob_chunks"), "0");
}

TEST_P(postgres_blob_store_rows, AnUploadAbandonedBeforeItsCommitLeavesNoRows) {
  auto upload = upload_of(random_bytes(2 * chunk + 10, 11));
  ASSERT_TRUE(upload);
  EXPECT_EQ(rows_in("blob_uploads"), "1");
  upload.reset();
  run_until([] { return rows_in("blob_uploads") == "0" && rows_in("blob_chunks") == "0"; });
  EXPECT_EQ(rows_in("blob_uploads"), "0");
  EXPECT_EQ(rows_in("blob_chunks"), "0");
}

TEST_P(postgres_blob_store_rows, TheSameBytesCommittedAtOnceAreStoredOnceAndBothCommitsSucceed) {
  auto const bytes = random_bytes(3 * chunk + 5, 12);
  auto first = upload_of(bytes);
  auto second = upload_of(bytes);
  ASSERT_TRUE(first && second);
  auto a = boost::asio::co_spawn(io_, first->commit(), boost::asio::use_future);
  auto b = boost::asio::co_spawn(io_, second->commit(), boost::asio::use_future);
  io_.restart();
  io_.run_for(std::chrono::seconds(30));
  auto stored_a = a.get();
  auto stored_b = b.get();
  ASSERT_TRUE(stored_a) << stored_a.error().detail;
  ASSERT_TRUE(stored_b) << stored_b.error().detail;
  EXPECT_EQ(stored_a->sha256, stored_b->sha256);
  // One copy of the bytes: the other upload's chunks are gone with its row.
  EXPECT_EQ(rows_in("blobs"), "1");
  EXPECT_EQ(rows_in("blob_uploads"), "0");
  EXPECT_EQ(rows_in("blob_chunks"), "4");
  EXPECT_TRUE(read(stored_a->sha256, 0, bytes.size(), 100'000).value() == bytes);
}

TEST_P(postgres_blob_store_rows, WhatACrashLeftIsRemovedOnceOlderThanAnyUploadInProgress) {
  auto const crashed =
      sql("WITH u AS (INSERT INTO blob_uploads (touched_at) VALUES (0) RETURNING id) "
          "INSERT INTO blob_chunks (upload_id, n, bytes) SELECT id, 0, '\\x0102'::bytea FROM u RETURNING "
          "upload_id");
  auto const still_arriving = random_bytes(chunk + 14, 13);
  auto in_progress = upload_of(still_arriving);
  ASSERT_TRUE(in_progress);
  EXPECT_EQ(rows_in("blob_uploads"), "2");
  auto removed = run(blobs_->remove_unfinished(std::chrono::hours(1)));
  ASSERT_TRUE(removed) << removed.error().detail;
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(sql("SELECT count(*) FROM blob_chunks WHERE upload_id = " + crashed), "0");
  auto stored = run(in_progress->commit());
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_TRUE(read(stored->sha256, 0, still_arriving.size()).value() == still_arriving);
}

// Appends that only fill the chunk in memory still keep the upload from looking interrupted (at most once a
// second, each a write).
TEST_P(postgres_blob_store_rows, AnAppendThatWritesNoChunkStillRefreshesTheUpload) {
  auto upload = upload_of(random_bytes(chunk + 10, 17));
  ASSERT_TRUE(upload);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  sql("UPDATE blob_uploads SET touched_at = 0");
  ASSERT_TRUE(run(upload->append("a few more bytes")));
  auto removed = run(blobs_->remove_unfinished(std::chrono::seconds(1)));
  ASSERT_TRUE(removed) << removed.error().detail;
  EXPECT_EQ(*removed, 0);
  auto stored = run(upload->commit());
  ASSERT_TRUE(stored) << stored.error().detail;
  EXPECT_EQ(stored->size, chunk + 10 + 16);
}

// An upload silent for longer than remove_unfinished allows is gone: it can neither go on nor be committed,
// and nothing of it becomes readable.
TEST_P(postgres_blob_store_rows, AnUploadRemovedAsInterruptedFailsAndStoresNothing) {
  auto const bytes = random_bytes(chunk + 100, 14);
  auto to_commit = upload_of(bytes);
  auto to_append = upload_of(random_bytes(chunk + 100, 15));
  ASSERT_TRUE(to_commit && to_append);
  sql("UPDATE blob_uploads SET touched_at = 0");
  auto removed = run(blobs_->remove_unfinished(std::chrono::hours(1)));
  ASSERT_TRUE(removed) << removed.error().detail;
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(rows_in("blob_chunks"), "0");

  auto committed = run(to_commit->commit());
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error().code, errc::unavailable);
  auto appended = run(to_append->append(random_bytes(chunk, 16)));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, errc::unavailable);
  EXPECT_EQ(run(blobs_->open(sha256_hex(bytes), 0, 1)).error().code, errc::not_found);
  EXPECT_EQ(rows_in("blobs"), "0");
  EXPECT_EQ(rows_in("blob_chunks"), "0");
}

INSTANTIATE_TEST_SUITE_P(postgres, postgres_blob_store_rows, ::testing::Values(blob_backends().back()),
                         [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace windi::testing
