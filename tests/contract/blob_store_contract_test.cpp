// The contract of files::blob_store, where uploaded files' bytes live: what was written reads back byte for
// byte under the SHA-256 of its bytes, ranges are exact, nothing of an unfinished upload is ever visible or
// left behind, and a name from a request never reaches outside the store. Runs against every implementation.
#include "files/disk_blob_store.hpp"
#include "support/run_task.hpp"

#include <gtest/gtest.h>
#include <sodium.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include <unistd.h>

namespace windi::testing {
namespace {

namespace fs = std::filesystem;
using files::blob_store;

struct blob_backend {
  std::string name;
  std::function<std::unique_ptr<blob_store>(fs::path const& folder, boost::asio::any_io_executor blocking)>
      open;
};

void PrintTo(blob_backend const& backend, std::ostream* os) { *os << backend.name; }

std::vector<blob_backend> blob_backends() {
  return {{"disk", [](fs::path const& folder, boost::asio::any_io_executor blocking) {
             return std::make_unique<files::disk_blob_store>(folder / "files", std::move(blocking));
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
    blobs_ = GetParam().open(folder_, blocking_.get_executor());
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

}  // namespace
}  // namespace windi::testing
