// Uploaded files: their records, who may fetch them, and the cleanup of uploads no message holds. The rules
// are those of the SQLite store (store/sqlite/files.cpp), one statement each.
#include "store/postgres/postgres_store.hpp"

namespace windi::pg {
namespace {

#define WINDI_FILE_COLUMNS                                                                     \
  "f.id, f.owner_id, f.name, f.size, f.content_type, f.width, f.height, f.blob, f.thumbnail, " \
  "f.thumbnail_size, "                                                                         \
  "f.created_at"

// No row when the owner does not exist.
constexpr statement create_file_sql{"create_file", R"sql(
  INSERT INTO files (owner_id, name, size, content_type, width, height, blob, thumbnail, thumbnail_size,
                     created_at)
  SELECT u.id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM users u WHERE u.id = $1
  RETURNING id)sql"};

constexpr statement get_file_sql{
    "get_file",
    "SELECT " WINDI_FILE_COLUMNS
    " FROM files f WHERE f.id = $1 AND (f.owner_id = $2 OR EXISTS ("
    "SELECT 1 FROM message_attachments a JOIN messages m ON m.id = a.message_id "
    "JOIN chat_members cm ON cm.chat_id = m.chat_id AND cm.user_id = $2 WHERE a.file_id = f.id))"};

constexpr statement get_chat_file_sql{
    "get_chat_file", "SELECT " WINDI_FILE_COLUMNS
                     " FROM files f WHERE f.id = $1 AND EXISTS (SELECT 1 FROM message_attachments a "
                     "JOIN messages m ON m.id = a.message_id WHERE a.file_id = f.id AND m.chat_id = $2)"};

constexpr statement stored_bytes_sql{
    "stored_bytes", "SELECT coalesce(sum(size + thumbnail_size), 0)::BIGINT FROM files WHERE owner_id = $1"};

// Releases the blobs of the removed files that no remaining file uses (the CTEs see the rows as they were
// before the statement, hence the exclusion). SKIP LOCKED: several processes clean up at once without waiting
// on each other.
constexpr statement remove_unattached_files_sql{"remove_unattached_files", R"sql(
  WITH doomed AS (
    DELETE FROM files f
     WHERE f.id IN (SELECT d.id FROM files d
                     WHERE d.created_at < $1
                       AND NOT EXISTS (SELECT 1 FROM message_attachments a WHERE a.file_id = d.id)
                     ORDER BY d.created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING f.id, f.blob, f.thumbnail),
  released AS (
    INSERT INTO released_blobs (blob, released_at)
    SELECT DISTINCT b.name, $3::BIGINT
      FROM doomed d, LATERAL (VALUES (d.blob), (d.thumbnail)) b(name)
     WHERE b.name IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM files f WHERE (f.blob = b.name OR f.thumbnail = b.name)
                                              AND f.id NOT IN (SELECT d2.id FROM doomed d2))
    ON CONFLICT (blob) DO UPDATE SET released_at = excluded.released_at)
  SELECT count(*) FROM doomed)sql"};

// First forgets the released blobs that a file uses again (the same bytes uploaded anew).
constexpr statement released_blobs_sql{"released_blobs", R"sql(
  WITH reused AS (
    DELETE FROM released_blobs r
     WHERE EXISTS (SELECT 1 FROM files f WHERE f.blob = r.blob OR f.thumbnail = r.blob)
    RETURNING r.blob)
  SELECT r.blob FROM released_blobs r
   WHERE r.released_at < $1 AND r.blob NOT IN (SELECT u.blob FROM reused u)
   ORDER BY r.released_at LIMIT $2)sql"};

constexpr statement forget_released_blob_sql{"forget_released_blob",
                                             "DELETE FROM released_blobs WHERE blob = $1"};

std::optional<int> optional_int(result const& r, int row, int column) {
  if (r.is_null(row, column)) return std::nullopt;
  return static_cast<int>(r.int64(row, column));
}

std::optional<std::int64_t> as_int64(std::optional<int> v) {
  if (!v) return std::nullopt;
  return *v;
}

}  // namespace

task<outcome<file_record>> postgres_store::create_file(new_file f) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, create_file_sql,
                          params(f.owner, f.name, f.size, f.content_type, as_int64(f.width),
                                 as_int64(f.height), f.blob, f.thumbnail, f.thumbnail_size, f.created_at),
                          "create_file");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "User not found");
  file_record created;
  created.id = r->int64(0, 0);
  created.owner = f.owner;
  created.name = std::move(f.name);
  created.size = f.size;
  created.content_type = std::move(f.content_type);
  created.width = f.width;
  created.height = f.height;
  created.blob = std::move(f.blob);
  created.thumbnail = std::move(f.thumbnail);
  created.thumbnail_size = f.thumbnail_size;
  created.created_at = f.created_at;
  co_return created;
}

task<outcome<file_record>> postgres_store::get_file(file_id id, user_id reader) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, get_file_sql, params(id, reader), "get_file");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "File not found");
  co_return read_file(*r);
}

task<outcome<file_record>> postgres_store::get_chat_file(file_id id, chat_id chat) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, get_chat_file_sql, params(id, chat), "get_chat_file");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::not_found, "File not found");
  co_return read_file(*r);
}

file_record postgres_store::read_file(result const& r) {
  file_record found;
  found.id = r.int64(0, 0);
  found.owner = r.int64(0, 1);
  found.name = r.text(0, 2);
  found.size = r.int64(0, 3);
  found.content_type = r.text(0, 4);
  found.width = optional_int(r, 0, 5);
  found.height = optional_int(r, 0, 6);
  found.blob = r.text(0, 7);
  found.thumbnail = r.optional_text(0, 8);
  found.thumbnail_size = r.int64(0, 9);
  found.created_at = r.int64(0, 10);
  return found;
}

task<outcome<std::int64_t>> postgres_store::stored_bytes(user_id owner) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, stored_bytes_sql, params(owner), "stored_bytes");
  if (!r) co_return r.error();
  co_return r->int64(0, 0);
}

task<outcome<int>> postgres_store::remove_unattached_files(micros created_before, int limit, micros now) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, remove_unattached_files_sql, params(created_before, limit, now),
                          "remove_unattached_files");
  if (!r) co_return r.error();
  co_return static_cast<int>(r->int64(0, 0));
}

task<outcome<std::vector<std::string>>> postgres_store::released_blobs(micros released_before, int limit) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, released_blobs_sql, params(released_before, limit), "released_blobs");
  if (!r) co_return r.error();
  std::vector<std::string> out;
  for (int row = 0; row < r->rows(); ++row) out.push_back(r->text(row, 0));
  co_return out;
}

task<outcome<void>> postgres_store::forget_released_blob(std::string blob) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, forget_released_blob_sql, params(std::move(blob)), "forget_released_blob");
  if (!r) co_return r.error();
  co_return outcome<void>{};
}

}  // namespace windi::pg
