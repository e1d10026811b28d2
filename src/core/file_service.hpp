#pragma once
// Uploads and downloads of files. An upload streams to blob storage as it arrives: its type is judged from
// its first bytes (media/sniff.hpp), and an image is first spooled to the local disk, cleaned of its metadata
// and given a thumbnail off the I/O threads (media/images.hpp), so that what is served never carries a GPS
// position. Who may fetch a file is the store's rule (store::get_file); signed URLs (core/file_urls.hpp) let
// a browser fetch without a header.
#include "core/clock.hpp"
#include "core/file_urls.hpp"
#include "files/blob_store.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace windi {

struct file_limits {
  std::int64_t max_file_bytes = 25 << 20;
  std::int64_t quota_bytes = 1ll << 30;  // per user, every file and thumbnail stored
  // An upload no message holds is removed once this old.
  std::chrono::seconds unattached_lifetime{24 * 3600};
  // A blob no file uses is removed once it has been unused, and not stored again, this long; so is what an
  // interrupted upload left, once untouched this long (more than the HTTP idle timeout, which bounds the
  // pause between two appends of an upload in progress).
  std::chrono::seconds blob_grace{120};
};

// Reads the next bytes of an upload into `into`; 0 at its end.
using upload_reader = std::function<task<outcome<std::size_t>>(std::span<char> into)>;

// What a download of one variant of a file (the file or its thumbnail) serves.
struct served_variant {
  std::string blob;
  std::string etag;  // quoted: the blob's SHA-256, which changes exactly when the bytes do
  std::string content_type;
  std::uint64_t total = 0;  // size of the whole variant
};
// nullopt for a thumbnail the file does not have.
std::optional<served_variant> served(file_record const& file, file_variant variant);

// An open download: the file, the bytes chosen, and where they come from.
struct file_download {
  file_record file;
  std::string etag;  // quoted: the served blob's SHA-256, which changes exactly when the bytes do
  std::string content_type;
  std::uint64_t total = 0;  // size of the whole variant
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::unique_ptr<files::blob_download> body;  // null when length is 0 or only the head is wanted
};

// The 413 for a file over MAX_FILE_BYTES, whether the service or the HTTP layer finds it so.
failure file_too_large(std::int64_t max_file_bytes);

class file_service {
 public:
  // spool: a local folder for images being processed. blocking: where file I/O and image work run.
  file_service(store& db, files::blob_store& blobs, clock const& clock, file_url_signer const& urls,
               boost::asio::any_io_executor blocking, std::filesystem::path spool, file_limits limits);

  // Stores one upload under the cleaned `name`. errc::payload_too_large past max_file_bytes or the quota,
  // errc::validation for an empty file.
  task<outcome<file_record>> upload(user_id me, std::string name, upload_reader read);

  // The file as `reader` may fetch it (errc::not_found otherwise).
  task<outcome<file_record>> find(user_id reader, file_id id);
  // The file a signed URL names: errc::not_found unless it belongs to the scope, then errc::forbidden unless
  // the signature holds.
  task<outcome<file_record>> find_signed(file_id id, file_variant variant, file_scope scope,
                                         std::int64_t expires, std::string signature);
  // The bytes [offset, offset + length) of the file or its thumbnail (errc::not_found when it has none).
  task<outcome<file_download>> open(file_record file, file_variant variant, std::uint64_t offset,
                                    std::uint64_t length);

  // Removes uploads no message has held for unattached_lifetime, the blobs no file has used for blob_grace
  // (released by those removals and by deleted messages), and what interrupted uploads left behind. Returns
  // how many blobs were removed. Safe to run in several processes at once.
  task<outcome<int>> clean_up();

  file_url_signer const& urls() const { return urls_; }
  file_limits const& limits() const { return limits_; }
  micros now() const { return clock_.now(); }

 private:
  task<outcome<file_record>> store_plain(user_id me, std::string name, std::string content_type,
                                         std::string head, upload_reader& read, std::int64_t room);
  task<outcome<file_record>> store_image(user_id me, std::string name, std::string content_type,
                                         std::string head, upload_reader& read, std::int64_t room);

  store& db_;
  files::blob_store& blobs_;
  clock const& clock_;
  file_url_signer const& urls_;
  boost::asio::any_io_executor blocking_;
  std::filesystem::path spool_;
  file_limits limits_;
};

}  // namespace windi
