// Uploaded files: their records, who may fetch them, and the cleanup of uploads no message holds.
#include "store/sqlite/operations.hpp"

#include "store/attachments_json.hpp"

#include <algorithm>

namespace windi::sqlite {
namespace {

#define WINDI_SQLITE_FILE_COLUMNS                                                              \
  "f.id, f.owner_id, f.name, f.size, f.content_type, f.width, f.height, f.blob, f.thumbnail, " \
  "f.thumbnail_size, f.created_at"

std::optional<int> optional_int(statement const& s, int column) {
  if (s.is_null(column)) return std::nullopt;
  return static_cast<int>(s.int64(column));
}

file_record read_file(statement const& s) {
  return file_record{.id = s.int64(0),
                     .owner = s.int64(1),
                     .name = s.text(2),
                     .size = s.int64(3),
                     .content_type = s.text(4),
                     .width = optional_int(s, 5),
                     .height = optional_int(s, 6),
                     .blob = s.text(7),
                     .thumbnail = s.optional_text(8),
                     .thumbnail_size = s.int64(9),
                     .created_at = s.int64(10)};
}

bool blob_in_use(connection& db, std::string const& blob) {
  return db.query("SELECT 1 FROM files WHERE blob = ?1 OR thumbnail = ?1", blob).step();
}

// Records the blobs among `blobs` that no file uses as released at `now`.
void release_unused(connection& db, std::vector<std::string> const& blobs, micros now) {
  for (auto const& blob : blobs) {
    if (blob_in_use(db, blob)) continue;
    db.query(
          "INSERT INTO released_blobs (blob, released_at) VALUES (?1, ?2) "
          "ON CONFLICT (blob) DO UPDATE SET released_at = excluded.released_at",
          blob, now)
        .run();
  }
}

std::optional<std::int64_t> as_int64(std::optional<int> v) {
  if (!v) return std::nullopt;
  return *v;
}

}  // namespace

outcome<file_record> create_file(connection& db, new_file const& f) {
  transaction tx(db, transaction::mode::write);
  if (!db.query("SELECT 1 FROM users WHERE id = ?1", f.owner).step())
    return fail(errc::not_found, "User not found");
  db.query(
        "INSERT INTO files (owner_id, name, size, content_type, width, height, blob, thumbnail, "
        "thumbnail_size, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        f.owner, f.name, f.size, f.content_type, as_int64(f.width), as_int64(f.height), f.blob, f.thumbnail,
        f.thumbnail_size, f.created_at)
      .run();
  file_record created{.id = db.last_insert_rowid(),
                      .owner = f.owner,
                      .name = f.name,
                      .size = f.size,
                      .content_type = f.content_type,
                      .width = f.width,
                      .height = f.height,
                      .blob = f.blob,
                      .thumbnail = f.thumbnail,
                      .thumbnail_size = f.thumbnail_size,
                      .created_at = f.created_at};
  tx.commit();
  return created;
}

outcome<file_record> get_file(connection& db, file_id id, user_id reader) {
  auto s = db.query("SELECT " WINDI_SQLITE_FILE_COLUMNS
                    " FROM files f WHERE f.id = ?1 AND (f.owner_id = ?2 OR EXISTS ("
                    "SELECT 1 FROM message_attachments a JOIN messages m ON m.id = a.message_id "
                    "JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2 "
                    "WHERE a.file_id = f.id))",
                    id, reader);
  if (!s.step()) return fail(errc::not_found, "File not found");
  return read_file(s);
}

outcome<file_record> get_chat_file(connection& db, file_id id, chat_id chat) {
  auto s = db.query("SELECT " WINDI_SQLITE_FILE_COLUMNS
                    " FROM files f WHERE f.id = ?1 AND EXISTS (SELECT 1 FROM message_attachments a "
                    "JOIN messages m ON m.id = a.message_id WHERE a.file_id = f.id AND m.chat_id = ?2)",
                    id, chat);
  if (!s.step()) return fail(errc::not_found, "File not found");
  return read_file(s);
}

outcome<std::vector<attachment>> attachable_files(connection& db, user_id sender,
                                                  std::vector<file_id> const& ids) {
  std::vector<attachment> out;
  for (auto id : ids) {
    auto s = db.query("SELECT " WINDI_SQLITE_FILE_COLUMNS " FROM files f WHERE f.id = ?1 AND f.owner_id = ?2",
                      id, sender);
    // One answer for a missing file and someone else's: attaching reveals nothing about other people's files.
    if (!s.step()) return fail(errc::validation, "File not found", "attachments");
    out.push_back(attachment_of(read_file(s)));
  }
  return out;
}

void attach_files(connection& db, message_id id, std::vector<attachment> const& files) {
  for (std::size_t i = 0; i < files.size(); ++i) {
    db.query("INSERT INTO message_attachments (message_id, position, file_id) VALUES (?1, ?2, ?3)", id,
             static_cast<std::int64_t>(i), files[i].id)
        .run();
  }
}

void detach_files(connection& db, message_id id, micros now) {
  std::vector<file_id> held;
  {
    auto s = db.query("SELECT DISTINCT file_id FROM message_attachments WHERE message_id = ?1", id);
    while (s.step()) held.push_back(s.int64(0));
  }
  db.query("DELETE FROM message_attachments WHERE message_id = ?1", id).run();
  std::vector<std::string> blobs;
  for (auto file : held) {
    if (db.query("SELECT 1 FROM message_attachments WHERE file_id = ?1", file).step()) continue;
    {
      auto s = db.query("SELECT blob, thumbnail FROM files WHERE id = ?1", file);
      if (!s.step()) continue;
      blobs.push_back(s.text(0));
      if (auto thumbnail = s.optional_text(1)) blobs.push_back(std::move(*thumbnail));
    }
    db.query("DELETE FROM files WHERE id = ?1", file).run();
  }
  release_unused(db, blobs, now);
}

outcome<std::int64_t> stored_bytes(connection& db, user_id owner) {
  auto s = db.query("SELECT coalesce(sum(size + thumbnail_size), 0) FROM files WHERE owner_id = ?1", owner);
  s.step();
  return s.int64(0);
}

outcome<int> remove_unattached_files(connection& db, micros created_before, int limit, micros now) {
  transaction tx(db, transaction::mode::write);
  std::vector<file_id> doomed;
  std::vector<std::string> blobs;
  {
    auto s = db.query(
        "SELECT f.id, f.blob, f.thumbnail FROM files f WHERE f.created_at < ?1 "
        "AND NOT EXISTS (SELECT 1 FROM message_attachments a WHERE a.file_id = f.id) ORDER BY f.created_at "
        "LIMIT ?2",
        created_before, limit);
    while (s.step()) {
      doomed.push_back(s.int64(0));
      blobs.push_back(s.text(1));
      if (auto thumbnail = s.optional_text(2)) blobs.push_back(std::move(*thumbnail));
    }
  }
  for (auto id : doomed) db.query("DELETE FROM files WHERE id = ?1", id).run();
  release_unused(db, blobs, now);
  tx.commit();
  return static_cast<int>(doomed.size());
}

outcome<std::vector<std::string>> released_blobs(connection& db, micros released_before, int limit) {
  transaction tx(db, transaction::mode::write);
  db.query(
        "DELETE FROM released_blobs WHERE EXISTS (SELECT 1 FROM files f WHERE f.blob = released_blobs.blob "
        "OR f.thumbnail = released_blobs.blob)")
      .run();
  std::vector<std::string> out;
  {
    auto s = db.query("SELECT blob FROM released_blobs WHERE released_at < ?1 ORDER BY released_at LIMIT ?2",
                      released_before, limit);
    while (s.step()) out.push_back(s.text(0));
  }
  tx.commit();
  return out;
}

outcome<void> forget_released_blob(connection& db, std::string const& blob) {
  db.query("DELETE FROM released_blobs WHERE blob = ?1", blob).run();
  return {};
}

}  // namespace windi::sqlite
