#pragma once
// Where the bytes of uploaded files live. One interface, one contract
// (tests/contract/blob_store_contract_test.cpp), an implementation per kind of storage. Blobs are named by
// the SHA-256 of their bytes: the same bytes uploaded twice are stored once, and a name says nothing about
// who uploaded what. Which files use a blob, and so when it may be removed, is the store's business
// (store/store.hpp), not this one's.
#include "core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace windi::files {

template <class T>
using task = boost::asio::awaitable<T>;

struct stored_blob {
  std::string sha256;  // 64 lowercase hex digits
  std::uint64_t size = 0;
};

// One upload in progress. Nothing of it can be read until commit(); destroyed uncommitted (the client went
// away, a limit was hit), it leaves nothing behind. Calls are made one at a time.
class blob_upload {
 public:
  virtual ~blob_upload() = default;
  virtual task<outcome<void>> append(std::string_view bytes) = 0;
  // Durable once this returns: a crash afterwards loses nothing. Only once.
  virtual task<outcome<stored_blob>> commit() = 0;
  virtual std::uint64_t size() const = 0;  // appended so far
};

// A byte range of a blob being read. Calls are made one at a time.
class blob_download {
 public:
  virtual ~blob_download() = default;
  // Up to into.size() of the next bytes of the range; 0 once it has all been read.
  virtual task<outcome<std::size_t>> read(std::span<char> into) = 0;
  virtual std::uint64_t remaining() const = 0;
};

class blob_store {
 public:
  virtual ~blob_store() = default;
  virtual task<outcome<std::unique_ptr<blob_upload>>> begin_upload() = 0;
  // The `length` bytes from `offset` of the blob: errc::not_found when there is no such blob (a malformed
  // name included), errc::bad_request when the range does not lie within it.
  virtual task<outcome<std::unique_ptr<blob_download>>> open(std::string sha256, std::uint64_t offset,
                                                             std::uint64_t length) = 0;
  // Removes the blob unless it was stored at or after `stored_before` (an upload of the same bytes may have
  // stored it again and be about to record its file). True when the blob is gone, also when it was not there;
  // false when it was kept.
  virtual task<outcome<bool>> remove(std::string sha256,
                                     std::chrono::system_clock::time_point stored_before) = 0;
  // Removes what uploads interrupted by a crash left (an upload in progress in any process is never older
  // than `older_than`, since each append refreshes it). Returns how many were removed.
  virtual task<outcome<int>> remove_unfinished(std::chrono::seconds older_than) = 0;
};

// A blob's name is 64 lowercase hex digits and nothing else: a name from a request never becomes a path.
bool is_blob_name(std::string_view sha256);

}  // namespace windi::files
