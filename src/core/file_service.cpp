#include "core/file_service.hpp"

#include "core/file_names.hpp"
#include "files/spool_file.hpp"
#include "media/images.hpp"
#include "media/sniff.hpp"
#include "support/offload.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace windi {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t piece_bytes = 256 * 1024;

failure over_quota() {
  return fail(errc::payload_too_large, "Storage quota exceeded: delete some files first");
}

// Not coroutines: offload() is handed its function from a plain call (see support/offload.hpp).
task<std::string> sniff_off(boost::asio::any_io_executor blocking, std::string const& head) {
  return offload(blocking, [&head] { return media::sniff_content_type(head); });
}

// What became of an image: its cleaned copy and thumbnail, or why it is kept as a plain download.
struct processed_image {
  outcome<media::image_info> cleaned = fail(errc::internal, "not processed");
  bool thumbnail = false;
};

task<processed_image> process_off(boost::asio::any_io_executor blocking, fs::path original, fs::path cleaned,
                                  fs::path thumbnail) {
  return offload(blocking, [original = std::move(original), cleaned = std::move(cleaned),
                            thumbnail = std::move(thumbnail)] {
    processed_image out;
    out.cleaned = media::sanitize_image(original.string(), cleaned.string());
    if (out.cleaned) out.thumbnail = media::make_thumbnail(cleaned.string(), thumbnail.string()).has_value();
    return out;
  });
}

task<int> remove_stale_off(boost::asio::any_io_executor blocking, fs::path folder, std::chrono::seconds age) {
  return offload(blocking, [folder = std::move(folder), age] {
    std::error_code ignored;  // no spool folder yet: nothing to remove
    return files::remove_stale_files(folder, age, ignored);
  });
}

// Reads up to `want` bytes (less only at the end of the upload).
task<outcome<std::string>> read_up_to(upload_reader& read, std::size_t want) {
  std::string bytes(want, '\0');
  std::size_t have = 0;
  while (have < want) {
    auto n = co_await read(std::span<char>(bytes.data() + have, want - have));
    if (!n) co_return n.error();
    if (*n == 0) break;
    have += *n;
  }
  bytes.resize(have);
  co_return bytes;
}

}  // namespace

failure file_too_large(std::int64_t max_file_bytes) {
  return fail(errc::payload_too_large,
              "File too large: at most " + std::to_string(max_file_bytes) + " bytes");
}

std::optional<served_variant> served(file_record const& file, file_variant variant) {
  if (variant == file_variant::original) {
    return served_variant{file.blob, "\"" + file.blob + "\"", file.content_type,
                          static_cast<std::uint64_t>(file.size)};
  }
  if (!file.thumbnail) return std::nullopt;
  return served_variant{*file.thumbnail, "\"" + *file.thumbnail + "\"", "image/webp",
                        static_cast<std::uint64_t>(file.thumbnail_size)};
}

file_service::file_service(store& db, files::blob_store& blobs, clock const& clock,
                           file_url_signer const& urls, boost::asio::any_io_executor blocking, fs::path spool,
                           file_limits limits)
    : db_(db),
      blobs_(blobs),
      clock_(clock),
      urls_(urls),
      blocking_(std::move(blocking)),
      spool_(std::move(spool)),
      limits_(limits) {}

task<outcome<file_record>> file_service::upload(user_id me, std::string name, upload_reader read) {
  auto used = co_await db_.stored_bytes(me);
  if (!used) co_return used.error();
  auto const room = std::min(limits_.max_file_bytes, limits_.quota_bytes - *used);
  if (room <= 0) co_return over_quota();
  auto head = co_await read_up_to(read, media::sniff_head_bytes);
  if (!head) co_return head.error();
  if (head->empty()) co_return fail(errc::validation, "The file is empty", "file");
  if (static_cast<std::int64_t>(head->size()) > room) {
    co_return room < limits_.max_file_bytes ? over_quota() : file_too_large(limits_.max_file_bytes);
  }
  auto type = co_await sniff_off(blocking_, *head);
  auto clean_name = clean_file_name(name);
  if (media::is_inline_image(type)) {
    co_return co_await store_image(me, std::move(clean_name), std::move(type), std::move(*head), read, room);
  }
  co_return co_await store_plain(me, std::move(clean_name), std::move(type), std::move(*head), read, room);
}

task<outcome<file_record>> file_service::store_plain(user_id me, std::string name, std::string content_type,
                                                     std::string head, upload_reader& read,
                                                     std::int64_t room) {
  auto upload = co_await blobs_.begin_upload();
  if (!upload) co_return upload.error();
  auto appended = co_await (*upload)->append(head);
  if (!appended) co_return appended.error();
  std::string piece(piece_bytes, '\0');
  for (;;) {
    auto n = co_await read(std::span<char>(piece.data(), piece.size()));
    if (!n) co_return n.error();
    if (*n == 0) break;
    if (static_cast<std::int64_t>((*upload)->size() + *n) > room) {
      co_return room < limits_.max_file_bytes ? over_quota() : file_too_large(limits_.max_file_bytes);
    }
    appended = co_await (*upload)->append(std::string_view(piece.data(), *n));
    if (!appended) co_return appended.error();
  }
  auto blob = co_await (*upload)->commit();
  if (!blob) co_return blob.error();
  new_file record;
  record.owner = me;
  record.name = std::move(name);
  record.size = static_cast<std::int64_t>(blob->size);
  record.content_type = std::move(content_type);
  record.blob = std::move(blob->sha256);
  record.created_at = clock_.now();
  co_return co_await db_.create_file(std::move(record));
}

task<outcome<file_record>> file_service::store_image(user_id me, std::string name, std::string content_type,
                                                     std::string head, upload_reader& read,
                                                     std::int64_t room) {
  auto spool = co_await files::spool_file::create(spool_, blocking_);
  if (!spool) co_return spool.error();
  auto& original = **spool;
  auto appended = co_await original.append(head);
  if (!appended) co_return appended.error();
  auto received = static_cast<std::int64_t>(head.size());
  std::string piece(piece_bytes, '\0');
  for (;;) {
    auto n = co_await read(std::span<char>(piece.data(), piece.size()));
    if (!n) co_return n.error();
    if (*n == 0) break;
    received += static_cast<std::int64_t>(*n);
    if (received > room)
      co_return room < limits_.max_file_bytes ? over_quota() : file_too_large(limits_.max_file_bytes);
    appended = co_await original.append(std::string_view(piece.data(), *n));
    if (!appended) co_return appended.error();
  }

  auto const cleaned_path = original.derived(".clean");
  auto const thumbnail_path = original.derived(".thumb");
  auto processed = co_await process_off(blocking_, original.path(), cleaned_path, thumbnail_path);
  new_file record;
  record.owner = me;
  record.name = std::move(name);
  record.created_at = clock_.now();
  fs::path served = original.path();
  if (processed.cleaned) {
    record.content_type = std::move(content_type);
    record.width = processed.cleaned->width;
    record.height = processed.cleaned->height;
    served = cleaned_path;
  } else {
    // Its head looked like an image, its bytes are not one (or one too large to decode): a plain download.
    spdlog::debug("upload kept as a plain download: {}", processed.cleaned.error().detail);
    record.content_type = "application/octet-stream";
  }
  auto blob = co_await files::store_local_file(blobs_, served, blocking_);
  if (!blob) co_return blob.error();
  record.size = static_cast<std::int64_t>(blob->size);
  record.blob = std::move(blob->sha256);
  if (processed.thumbnail) {
    auto thumbnail = co_await files::store_local_file(blobs_, thumbnail_path, blocking_);
    if (!thumbnail) co_return thumbnail.error();
    record.thumbnail = std::move(thumbnail->sha256);
    record.thumbnail_size = static_cast<std::int64_t>(thumbnail->size);
  }
  co_return co_await db_.create_file(std::move(record));
}

task<outcome<file_record>> file_service::find(user_id reader, file_id id) { return db_.get_file(id, reader); }

task<outcome<file_record>> file_service::find_signed(file_id id, file_variant variant, file_scope scope,
                                                     std::int64_t expires, std::string signature) {
  outcome<file_record> found = fail(errc::not_found, "File not found");
  if (scope.of == file_scope::kind::owner) {
    found = co_await db_.get_file(id, scope.id);
    if (found && found->owner != scope.id) found = fail(errc::not_found, "File not found");
  } else {
    found = co_await db_.get_chat_file(id, scope.id);
  }
  if (!found) co_return found;
  if (auto ok = urls_.verify(id, variant, scope, expires, signature, clock_.now()); !ok) co_return ok.error();
  co_return found;
}

task<outcome<file_download>> file_service::open(file_record file, file_variant variant, std::uint64_t offset,
                                                std::uint64_t length) {
  file_download out;
  auto what = served(file, variant);
  if (!what) co_return fail(errc::not_found, "File not found");
  auto const& blob = what->blob;
  out.etag = what->etag;
  out.content_type = what->content_type;
  out.total = what->total;
  out.offset = offset;
  out.length = length;
  if (length > 0) {
    auto body = co_await blobs_.open(blob, offset, length);
    if (!body) {
      // The record outlived its bytes: a damaged store, not the caller's doing.
      if (body.error().code == errc::not_found) spdlog::error("file {}: blob {} is missing", file.id, blob);
      co_return body.error().code == errc::not_found ? fail(errc::internal, "File bytes missing")
                                                     : body.error();
    }
    out.body = std::move(*body);
  }
  out.file = std::move(file);
  co_return out;
}

task<outcome<int>> file_service::clean_up() {
  auto const now = clock_.now();
  auto const lifetime =
      std::chrono::duration_cast<std::chrono::microseconds>(limits_.unattached_lifetime).count();
  // In batches, so that one transaction never holds many rows; what is left waits for the next round.
  for (int round = 0; round < 20; ++round) {
    auto removed = co_await db_.remove_unattached_files(now - lifetime, 500, now);
    if (!removed) co_return removed.error();
    if (*removed < 500) break;
  }
  // A released blob goes once no upload can still be about to use it: an upload stores its blob, then records
  // its file, in well under blob_grace; a blob stored again within it is kept and looked at next round.
  auto const grace = std::chrono::duration_cast<std::chrono::microseconds>(limits_.blob_grace).count();
  auto const stored_before = std::chrono::system_clock::time_point(std::chrono::microseconds(now - grace));
  int removed_blobs = 0;
  auto released = co_await db_.released_blobs(now - grace, 1000);
  if (!released) co_return released.error();
  for (auto& blob : *released) {
    auto gone = co_await blobs_.remove(blob, stored_before);
    if (!gone) co_return gone.error();
    if (!*gone) continue;
    if (auto forgotten = co_await db_.forget_released_blob(std::move(blob)); !forgotten)
      co_return forgotten.error();
    ++removed_blobs;
  }
  // An upload in progress appends at least once per HTTP idle timeout (60 s), less than the grace.
  auto interrupted = co_await blobs_.remove_unfinished(limits_.blob_grace);
  if (!interrupted) co_return interrupted.error();
  co_await remove_stale_off(blocking_, spool_, std::chrono::hours(1));
  co_return removed_blobs;
}

}  // namespace windi
