// Uploaded files: their records, who may fetch them, and the cleanup of uploads no message holds.
#include "store/sqlite/operations.hpp"

#include <algorithm>

namespace windi::sqlite {
namespace {

constexpr char const* file_columns =
    "f.id, f.owner_id, f.name, f.size, f.content_type, f.width, f.height, f.blob, f.thumbnail, "
    "f.thumbnail_size, f.created_at";

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
  auto s = db.query(std::string("SELECT ") + file_columns +
                        " FROM files f WHERE f.id = ?1 AND (f.owner_id = ?2 OR EXISTS ("
                        "SELECT 1 FROM message_attachments a JOIN messages m ON m.id = a.message_id "
                        "JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = ?2 "
                        "WHERE a.file_id = f.id))",
                    id, reader);
  if (!s.step()) return fail(errc::not_found, "File not found");
  return read_file(s);
}

outcome<std::int64_t> stored_bytes(connection& db, user_id owner) {
  auto s = db.query("SELECT coalesce(sum(size + thumbnail_size), 0) FROM files WHERE owner_id = ?1", owner);
  s.step();
  return s.int64(0);
}

outcome<std::vector<std::string>> remove_unattached_files(connection& db, micros created_before, int limit) {
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
  std::vector<std::string> released;
  for (auto& blob : blobs) {
    bool const used = db.query("SELECT 1 FROM files WHERE blob = ?1 OR thumbnail = ?1", blob).step();
    if (!used && std::find(released.begin(), released.end(), blob) == released.end())
      released.push_back(std::move(blob));
  }
  tx.commit();
  return released;
}

}  // namespace windi::sqlite
