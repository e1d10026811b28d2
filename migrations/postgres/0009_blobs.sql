-- Uploaded files' bytes in the database itself, for FILES_STORAGE=postgres (src/store/postgres/blob_store.cpp):
-- then every process, on any machine, reads and writes them through the database and needs no shared disk.
-- Empty with FILES_STORAGE=disk. The contract is files::blob_store's (src/files/blob_store.hpp): a blob is named
-- by the SHA-256 of its bytes, nothing of an upload can be read before its commit, and what an interrupted upload
-- wrote is removed.
--
-- An upload writes its bytes once, as chunks of a fixed size (the last one shorter) under an id of its own; its
-- commit then names them: the blob's row points at the upload's chunks, which stay where they are. (Moving them
-- under the blob's name instead would write every byte twice, table and WAL.) When the same bytes are stored
-- already, the commit drops its own copy and refreshes the stored blob's time.

-- Ids of uploads, and so of their chunks: a blob keeps its upload's id after the upload row is gone.
CREATE SEQUENCE blob_upload_ids;

-- Uploads in progress (microseconds since the epoch): their appends refresh touched_at, so one older than any
-- upload in progress can be was left by a process that died mid-upload, and remove_unfinished deletes it with its
-- chunks. Its chunks cannot be read, since no blob points at them yet. No index on touched_at: the table holds
-- only the uploads in progress, so the cleanup's scan is short, and without one each refresh is a HOT update.
CREATE TABLE blob_uploads (
  id         BIGINT PRIMARY KEY DEFAULT nextval('blob_upload_ids'),
  touched_at BIGINT NOT NULL
);

-- The bytes, chunk n holding bytes [n * chunk_size, (n + 1) * chunk_size) of the upload's file. One row per chunk
-- keeps every statement (and the memory of a server process) to one chunk, whatever the file's size.
CREATE TABLE blob_chunks (
  upload_id BIGINT  NOT NULL,
  n         INTEGER NOT NULL,
  bytes     BYTEA   NOT NULL,
  PRIMARY KEY (upload_id, n)
);
-- Out of line and uncompressed: most uploads are compressed already (images, archives, documents), so trying to
-- compress them again only costs CPU, and substring() of an uncompressed value reads only the part of it a range
-- needs.
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- Stored blobs: their bytes are the chunks of upload_id. stored_at (microseconds since the epoch) is when they
-- were last stored: a removal keeps a blob stored again at or after its cutoff, since the upload that stored it
-- is about to record its file (src/core/file_service.cpp, clean_up).
CREATE TABLE blobs (
  sha256     TEXT    PRIMARY KEY,
  size       BIGINT  NOT NULL,
  chunk_size INTEGER NOT NULL,
  upload_id  BIGINT  NOT NULL,
  stored_at  BIGINT  NOT NULL
);

-- Commits an upload: p_upload is its id (NULL when all of it fits in p_last, so nothing was written before),
-- p_last its last chunk, number p_last_n (NULL when there is none). False, and nothing stored, when the upload was
-- removed meanwhile as interrupted.
CREATE FUNCTION windi_store_blob(p_upload BIGINT, p_last_n INTEGER, p_last BYTEA, p_sha256 TEXT, p_size BIGINT,
                                 p_chunk_size INTEGER, p_now BIGINT)
RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
  v_upload BIGINT := p_upload;
  v_kept BIGINT;
BEGIN
  IF v_upload IS NULL THEN
    v_upload := nextval('blob_upload_ids');
  ELSE
    -- Taken first: from here on remove_unfinished cannot take the chunks away (it waits for this row, then finds it
    -- gone); if it took them already, the row is gone and nothing is stored.
    DELETE FROM blob_uploads WHERE id = v_upload;
    IF NOT FOUND THEN
      RETURN false;
    END IF;
  END IF;
  -- The name next, by a statement of its own: its row stays locked until the commit, so a removal of the blob that
  -- comes later waits, then sees it stored now and keeps it; one that came first has removed the row and the chunks
  -- it pointed at, and this stores the blob anew. A concurrent upload of the same bytes waits here for this one.
  INSERT INTO blobs AS b (sha256, size, chunk_size, upload_id, stored_at)
  VALUES (p_sha256, p_size, p_chunk_size, v_upload, p_now)
  ON CONFLICT (sha256) DO UPDATE SET stored_at = GREATEST(b.stored_at, excluded.stored_at)
  RETURNING b.upload_id INTO v_kept;
  IF v_kept = v_upload THEN
    IF p_last IS NOT NULL THEN
      INSERT INTO blob_chunks (upload_id, n, bytes) VALUES (v_upload, p_last_n, p_last);
    END IF;
  ELSE
    -- The same bytes were stored already: this copy goes.
    DELETE FROM blob_chunks WHERE upload_id = v_upload;
  END IF;
  RETURN true;
END
$$;
