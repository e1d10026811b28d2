// Uploads and downloads of files (POST /api/v1/files, GET /api/v1/files/{id} and .../thumbnail), as a client
// sees them on each backend: images come back cleaned, at the size the JSON says, with a WebP thumbnail; what a
// client claims a file is counts for nothing (the server sniffs the bytes); a hostile file is only ever a
// download (attachment, octet-stream, nosniff, a sandboxing CSP); Range, ETag and HEAD; signed URLs that work
// without a token and only for the file they were made for; 401/403/404 that tell an outsider nothing; the size
// limits and the per-user quota; file names stripped of paths and kept in Unicode.
//
// The images are made here, in a few lines each (a PNG encoder over node:zlib, a grey baseline JPEG with an
// EXIF GPS position and a comment), so the test needs no image library.
//
// With PostgreSQL it runs twice: with files on disk, and with FILES_STORAGE=postgres (their bytes in the database).

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachBackend, startServer, Api } from './harness.mjs';
import { png, PNG_SIGNATURE } from '../support/png.mjs';

// ---------------------------------------------------------------------------------------------------------
// Images made by hand

const gradient = (width, height) => (x, y) => [(x * 255) / width, (y * 255) / height, ((x + y) * 7) & 0xff];

/** Width and height from a PNG's IHDR, after checking that the bytes start like a PNG. */
function pngSize(bytes) {
  assert.ok(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `a PNG signature: ${bytes.subarray(0, 8).toString('hex')}`);
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR', 'the first chunk is IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function jpegSegment(marker, payload) {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

// A little-endian TIFF (the body of an EXIF APP1 segment) holding a GPS position: 52° 22' 12.34" N.
function exifWithGps() {
  const tiff = Buffer.alloc(80);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4); // IFD0
  tiff.writeUInt16LE(1, 8); // one entry: GPSInfo -> the GPS IFD at 26
  tiff.writeUInt16LE(0x8825, 10);
  tiff.writeUInt16LE(4, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt32LE(26, 18);
  tiff.writeUInt32LE(0, 22);
  tiff.writeUInt16LE(2, 26); // GPS IFD: GPSLatitudeRef "N", GPSLatitude (3 rationals at 56)
  tiff.writeUInt16LE(1, 28);
  tiff.writeUInt16LE(2, 30);
  tiff.writeUInt32LE(2, 32);
  tiff.write('N\0', 36, 'latin1');
  tiff.writeUInt16LE(2, 40);
  tiff.writeUInt16LE(5, 42);
  tiff.writeUInt32LE(3, 44);
  tiff.writeUInt32LE(56, 48);
  tiff.writeUInt32LE(0, 52);
  [52, 1, 22, 1, 1234, 100].forEach((v, i) => tiff.writeUInt32LE(v, 56 + i * 4));
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/**
 * A mid-grey baseline JPEG (one component, every block's coefficients 0). Each Huffman table has a single
 * 1-bit code (DC difference 0, AC end-of-block), so a block is two 0 bits. It carries an EXIF GPS position and
 * a comment, the metadata an upload must lose.
 */
function jpeg(width, height, { comment } = {}) {
  const sof = Buffer.from([8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  const oneCodeTable = (tableClass) => Buffer.from([tableClass << 4, 1, ...Array(15).fill(0), 0]);
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const scan = Buffer.alloc(Math.ceil((2 * blocks) / 8), 0);
  const padBits = scan.length * 8 - 2 * blocks; // the last byte is padded with 1 bits
  if (padBits > 0) scan[scan.length - 1] = (1 << padBits) - 1;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, Buffer.from([...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    jpegSegment(0xe1, exifWithGps()),
    ...(comment ? [jpegSegment(0xfe, Buffer.from(comment, 'latin1'))] : []),
    jpegSegment(0xdb, Buffer.from([0, ...Array(64).fill(1)])),
    jpegSegment(0xc0, sof),
    jpegSegment(0xc4, oneCodeTable(0)),
    jpegSegment(0xc4, oneCodeTable(1)),
    jpegSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    scan,
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** The JPEG's segments before its image data: [{marker, payload}], after checking that it starts with SOI. */
function jpegSegments(bytes) {
  assert.equal(bytes.readUInt16BE(0), 0xffd8, 'a JPEG starts with SOI');
  const segments = [];
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    const length = bytes.readUInt16BE(p + 2);
    segments.push({ marker, payload: bytes.subarray(p + 4, p + 2 + length) });
    if (marker === 0xda) break;
    p += 2 + length;
  }
  return segments;
}

function jpegSize(bytes) {
  const sof = jpegSegments(bytes).find(
    (s) => s.marker >= 0xc0 && s.marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(s.marker),
  );
  assert.ok(sof, 'the JPEG has a frame header');
  return { width: sof.payload.readUInt16BE(3), height: sof.payload.readUInt16BE(1) };
}

/** Width and height of a WebP (lossy, lossless or extended), after checking its RIFF....WEBP header. */
function webpSize(bytes) {
  assert.equal(bytes.toString('latin1', 0, 4), 'RIFF', 'a WebP starts with RIFF');
  assert.equal(bytes.toString('latin1', 8, 12), 'WEBP', 'then WEBP');
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + bytes.readUIntLE(24, 3), height: 1 + bytes.readUIntLE(27, 3) };
  if (chunk === 'VP8L') {
    const bits = bytes.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  assert.equal(chunk, 'VP8 ', 'a VP8, VP8L or VP8X chunk');
  return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
}

/** `n` bytes of noise, the same every run (so that what libmagic makes of them is too). */
function noise(n, seed = 0x9e3779b9) {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP helpers

const FILE_URL = /^\/api\/v1\/files\/(\d+)(\/thumbnail)?\?scope=u(\d+)&expires=(\d+)&signature=[0-9a-f]{64}$/;

/** Uploads `bytes` as the file part of a multipart form (the way a browser does). */
function uploadForm(api, user, bytes, name, type = 'application/octet-stream') {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  return api.post('/api/v1/files', { token: user?.token, body: form });
}

/** Uploads `bytes` as the whole request body, the name in ?filename=. */
function uploadRaw(api, user, bytes, { filename, contentType = 'application/octet-stream' } = {}) {
  const query = filename === undefined ? '' : `?${new URLSearchParams({ filename })}`;
  return api.post(`/api/v1/files${query}`, { token: user?.token, body: bytes, headers: { 'Content-Type': contentType } });
}

/** Asserts a 201 with a well-formed file object whose signed URLs belong to `owner`; returns the object. */
function stored(res, owner, what = 'upload') {
  assert.equal(res.status, 201, `${what}: ${res.text.slice(0, 500)}`);
  const f = res.body;
  assert.ok(Number.isInteger(f.id) && f.id > 0, `${what}: id ${res.text}`);
  assert.equal(typeof f.name, 'string');
  assert.ok(Number.isInteger(f.size) && f.size > 0, `${what}: size ${res.text}`);
  assert.equal(typeof f.content_type, 'string');
  for (const side of ['width', 'height']) {
    assert.ok(f[side] === null || (Number.isInteger(f[side]) && f[side] > 0), `${what}: ${side} ${res.text}`);
  }
  const url = f.url.match(FILE_URL);
  assert.ok(url, `${what}: url ${f.url}`);
  assert.equal(Number(url[1]), f.id);
  assert.equal(url[2], undefined, 'url is the original');
  assert.equal(Number(url[3]), owner.id, 'the url is signed for the uploader');
  assert.ok(Number(url[4]) > Date.now() / 1000, 'the url has not expired');
  if (f.thumbnail !== null) {
    const thumb = f.thumbnail.match(FILE_URL);
    assert.ok(thumb, `${what}: thumbnail ${f.thumbnail}`);
    assert.equal(Number(thumb[1]), f.id);
    assert.equal(thumb[2], '/thumbnail');
    assert.equal(Number(thumb[3]), owner.id);
  }
  return f;
}

/** GET (or `method`) with the bytes of the answer: {status, headers, bytes, body (JSON or null), text}. */
async function fetchFile(api, path, { token, headers = {}, method = 'GET' } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.Authorization = `Bearer ${token}`;
  const res = await fetch(api.baseUrl + path, { method, headers: h, redirect: 'manual' });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, bytes, body, text };
}

/** A download with the owner's token that must succeed: its answer. */
async function downloaded(api, owner, path, what = path) {
  const res = await fetchFile(api, path, { token: owner.token });
  assert.equal(res.status, 200, `${what}: ${res.text.slice(0, 300)}`);
  return res;
}

/** The headers that keep any download from running in our origin or being read as another type. */
function assertContained(res, what = '') {
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('content-security-policy'), "default-src 'none'; sandbox", what);
}

/** A download the browser saves rather than shows: attachment, application/octet-stream, contained. */
function assertAttachment(res, name, what = '') {
  assertContained(res, what);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream', what);
  const disposition = res.headers.get('content-disposition') ?? '';
  assert.match(disposition, /^attachment;/, `${what}: ${disposition}`);
  if (name !== undefined) assert.match(disposition, new RegExp(`filename\\*=UTF-8''${escapeRegExp(encodeURIComponent(name))}$`));
}

function assertInline(res, type, what = '') {
  assertContained(res, what);
  assert.equal(res.headers.get('content-type'), type, what);
  assert.match(res.headers.get('content-disposition') ?? '', /^inline;/, what);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The signed URL `url` with its query changed by `edit(params)`, and its file id replaced by `id` if given. */
function alteredUrl(url, edit = () => {}, id) {
  const u = new URL(url, 'http://x');
  edit(u.searchParams);
  const path = id === undefined ? u.pathname : u.pathname.replace(/^\/api\/v1\/files\/\d+/, `/api/v1/files/${id}`);
  return `${path}?${u.searchParams}`;
}

/** One hex digit of the signature changed to another. */
function flipDigit(signature, at = 10) {
  const digit = signature[at] === '0' ? '1' : '0';
  return signature.slice(0, at) + digit + signature.slice(at + 1);
}

function assertValidation(res, field, what = '') {
  assert.equal(res.status, 422, `${what} ${res.text}`);
  assert.ok(Array.isArray(res.body?.detail), `${what} 422 detail is a list: ${res.text}`);
  assert.ok(
    res.body.detail.some((d) => Array.isArray(d.loc) && d.loc.includes(field) && typeof d.msg === 'string'),
    `${what} a detail about ${field}: ${res.text}`,
  );
}

const MISSING_FILE_ID = 2_000_000_000;

// ---------------------------------------------------------------------------------------------------------
// The default limits (25 MiB a file, 1 GiB a user)

forEachBackend('files', (ctx) => {
  const { api } = ctx;

  it('gives back a PNG and a JPEG as cleaned images of the size the JSON says, a text file byte for byte', async () => {
    const alice = await api.user('img');

    // A PNG from a browser form, with a text chunk that must not survive.
    const original = png(40, 30, gradient(40, 30), { text: 'secret-location-52.37N' });
    const pngFile = stored(await uploadForm(api, alice, original, 'pixel.png', 'image/png'), alice, 'png');
    assert.equal(pngFile.name, 'pixel.png');
    assert.equal(pngFile.content_type, 'image/png');
    assert.deepEqual([pngFile.width, pngFile.height], [40, 30]);
    assert.notEqual(pngFile.thumbnail, null, 'an image has a thumbnail');
    const pngDown = await downloaded(api, alice, `/api/v1/files/${pngFile.id}`);
    assertInline(pngDown, 'image/png', 'png');
    assert.deepEqual(pngSize(pngDown.bytes), { width: 40, height: 30 });
    assert.equal(pngDown.bytes.length, pngFile.size, 'size is the length of what is served');
    assert.equal(pngDown.headers.get('content-length'), String(pngFile.size));
    assert.ok(!pngDown.bytes.includes('secret-location'), 'the tEXt chunk is gone');
    assert.match(pngDown.headers.get('content-disposition'), /filename="pixel\.png"/);

    // A JPEG sent as a raw body, with an EXIF GPS position and a comment.
    const photo = jpeg(48, 32, { comment: 'secret-comment-in-jpeg' });
    assert.ok(jpegSegments(photo).some((s) => s.marker === 0xe1 && s.payload.toString('latin1', 0, 4) === 'Exif'));
    const jpegFile = stored(await uploadRaw(api, alice, photo, { filename: 'photo.jpg', contentType: 'image/jpeg' }), alice, 'jpeg');
    assert.equal(jpegFile.content_type, 'image/jpeg');
    assert.deepEqual([jpegFile.width, jpegFile.height], [48, 32]);
    const jpegDown = await downloaded(api, alice, `/api/v1/files/${jpegFile.id}`);
    assertInline(jpegDown, 'image/jpeg', 'jpeg');
    assert.deepEqual(jpegSize(jpegDown.bytes), { width: 48, height: 32 });
    assert.equal(jpegDown.bytes.length, jpegFile.size);
    const app1 = jpegSegments(jpegDown.bytes).filter((s) => s.marker === 0xe1);
    assert.deepEqual(app1.map((s) => s.payload.toString('latin1', 0, 4)), [], 'no EXIF (or XMP) segment is left');
    assert.ok(!jpegDown.bytes.includes('secret-comment'), 'the comment is gone');

    // Plain text as a raw body: kept byte for byte, but only ever a download.
    const text = Buffer.from('Meeting notes\nПункт 1: всё готово ✅\n');
    const txt = stored(await uploadRaw(api, alice, text, { filename: 'notes.txt', contentType: 'text/plain' }), alice, 'text');
    assert.equal(txt.content_type, 'text/plain');
    assert.equal(txt.size, text.length);
    assert.deepEqual([txt.width, txt.height, txt.thumbnail], [null, null, null]);
    const txtDown = await downloaded(api, alice, `/api/v1/files/${txt.id}`);
    assert.ok(txtDown.bytes.equals(text), 'the same bytes');
    assertAttachment(txtDown, 'notes.txt', 'text');
    const noThumb = await fetchFile(api, `/api/v1/files/${txt.id}/thumbnail`, { token: alice.token });
    assert.equal(noThumb.status, 404, noThumb.text);
  });

  it('sniffs what a file is from its bytes: HTML or SVG with a script claiming image/png is only a download', async () => {
    const mallory = await api.user('evil');
    const html = Buffer.from(
      '<!DOCTYPE html>\n<html><head><title>hi</title></head><body><script>alert(document.cookie)</script></body></html>\n',
    );
    const svg = Buffer.from(
      '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
        '<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>\n',
    );
    // [what, bytes, upload, the type libmagic gives (for SVG, whatever it says, as long as it is no raster image)]
    const raw = (bytes, filename, contentType) => () => uploadRaw(api, mallory, bytes, { filename, contentType });
    const cases = [
      ['html as a raw image/png body', html, raw(html, 'evil.png', 'image/png'), 'text/html'],
      ['html as a form part image/png', html, () => uploadForm(api, mallory, html, 'evil.png', 'image/png'), 'text/html'],
      ['svg as a form part image/png', svg, () => uploadForm(api, mallory, svg, 'evil.png', 'image/png')],
      ['svg as a raw image/svg+xml body', svg, raw(svg, 'evil.svg', 'image/svg+xml')],
    ];
    for (const [what, bytes, upload, sniffed] of cases) {
      const f = stored(await upload(), mallory, what);
      if (sniffed) assert.equal(f.content_type, sniffed, what);
      assert.ok(!['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(f.content_type), `${what}: ${f.content_type}`);
      assert.deepEqual([f.width, f.height, f.thumbnail], [null, null, null], what);
      const down = await downloaded(api, mallory, `/api/v1/files/${f.id}`, what);
      assert.ok(down.bytes.equals(bytes), `${what}: stored as sent`);
      assertAttachment(down, f.name, what);
      const signed = await fetchFile(api, f.url);
      assert.equal(signed.status, 200, `${what} by its signed url: ${signed.text.slice(0, 200)}`);
      assertAttachment(signed, f.name, `${what} by its signed url`);
    }

    // Starts like a PNG, is not one: kept, but as an opaque download.
    const real = png(16, 16, gradient(16, 16));
    const truncated = real.subarray(0, real.length - 30);
    const fake = stored(await uploadForm(api, mallory, truncated, 'broken.png', 'image/png'), mallory, 'truncated png');
    assert.equal(fake.content_type, 'application/octet-stream');
    assert.deepEqual([fake.width, fake.height, fake.thumbnail], [null, null, null]);
    const down = await downloaded(api, mallory, `/api/v1/files/${fake.id}`);
    assert.ok(down.bytes.equals(truncated));
    assertAttachment(down, 'broken.png', 'truncated png');
  });

  it('makes a 320x240 WebP thumbnail of a 640x480 PNG', async () => {
    const alice = await api.user('thumb');
    const f = stored(await uploadForm(api, alice, png(640, 480, gradient(640, 480)), 'big.png', 'image/png'), alice);
    assert.equal(f.content_type, 'image/png');
    assert.deepEqual([f.width, f.height], [640, 480]);
    assert.ok(f.thumbnail, 'a thumbnail url');

    const thumb = await fetchFile(api, f.thumbnail);
    assert.equal(thumb.status, 200, thumb.text.slice(0, 300));
    assertInline(thumb, 'image/webp', 'thumbnail');
    assert.deepEqual(webpSize(thumb.bytes), { width: 320, height: 240 });
    assert.equal(thumb.headers.get('content-length'), String(thumb.bytes.length));
    assert.match(thumb.headers.get('content-disposition'), /filename="big\.png\.webp"/);
    const byToken = await downloaded(api, alice, `/api/v1/files/${f.id}/thumbnail`);
    assert.ok(byToken.bytes.equals(thumb.bytes), 'the same thumbnail with the bearer token');
    assert.deepEqual(pngSize((await downloaded(api, alice, `/api/v1/files/${f.id}`)).bytes), { width: 640, height: 480 });
  });

  it('answers Range requests with 206 and the right slice, 416 past the end, the whole file for a multi-range', async () => {
    const alice = await api.user('range');
    const bytes = noise(100_000);
    const f = stored(await uploadRaw(api, alice, bytes, { filename: 'noise.bin' }), alice);
    assert.equal(f.size, 100_000);
    const path = `/api/v1/files/${f.id}`;
    const whole = await downloaded(api, alice, path);
    assert.ok(whole.bytes.equals(bytes));
    assert.equal(whole.headers.get('accept-ranges'), 'bytes');

    const ranges = [
      ['bytes=0-9', 0, 10],
      ['bytes=99990-', 99_990, 100_000],
      ['bytes=-5', 99_995, 100_000],
      ['bytes=50000-50000', 50_000, 50_001],
      ['bytes=99995-200000', 99_995, 100_000], // the end is clipped to the file
    ];
    for (const [range, from, to] of ranges) {
      const res = await fetchFile(api, path, { token: alice.token, headers: { Range: range } });
      assert.equal(res.status, 206, `${range}: ${res.text.slice(0, 200)}`);
      assert.equal(res.headers.get('content-range'), `bytes ${from}-${to - 1}/100000`, range);
      assert.equal(res.headers.get('content-length'), String(to - from), range);
      assert.ok(res.bytes.equals(bytes.subarray(from, to)), `${range}: the slice`);
      assertAttachment(res, 'noise.bin', range);
    }

    const past = await fetchFile(api, path, { token: alice.token, headers: { Range: 'bytes=200000-' } });
    assert.equal(past.status, 416, past.text);
    assert.equal(past.headers.get('content-range'), 'bytes */100000');
    const atEnd = await fetchFile(api, path, { token: alice.token, headers: { Range: 'bytes=100000-' } });
    assert.equal(atEnd.status, 416, atEnd.text);

    const multi = await fetchFile(api, path, { token: alice.token, headers: { Range: 'bytes=0-1,5-6' } });
    assert.equal(multi.status, 200, multi.text.slice(0, 200));
    assert.ok(multi.bytes.equals(bytes), 'a multi-range gets the whole file');

    // The signed URL takes ranges too (a video player or a resumed download uses it with no token).
    const signed = await fetchFile(api, f.url, { headers: { Range: 'bytes=10-19' } });
    assert.equal(signed.status, 206, signed.text.slice(0, 200));
    assert.ok(signed.bytes.equals(bytes.subarray(10, 20)));
  });

  it('keeps a file of megabytes byte for byte, and serves ranges across it', async () => {
    const alice = await api.user('large');
    const bytes = noise(3 * 1024 * 1024 + 17, 11);
    const f = stored(await uploadRaw(api, alice, bytes, { filename: 'large.bin' }), alice);
    assert.equal(f.size, bytes.length);
    const path = `/api/v1/files/${f.id}`;
    assert.ok((await downloaded(api, alice, path)).bytes.equals(bytes), 'the whole file');
    // Across 256 KiB, where storage in PostgreSQL cuts its chunks, over several of them, and at the end.
    for (const [from, to] of [[262_143, 262_145], [100_000, 1_500_000], [bytes.length - 20, bytes.length]]) {
      const range = `bytes=${from}-${to - 1}`;
      const res = await fetchFile(api, path, { token: alice.token, headers: { Range: range } });
      assert.equal(res.status, 206, `${range}: ${res.text.slice(0, 200)}`);
      assert.ok(res.bytes.equals(bytes.subarray(from, to)), `${range}: the slice`);
    }
  });

  it('answers If-None-Match with its ETag with 304, and HEAD with the headers and no body', async () => {
    const alice = await api.user('etag');
    const bytes = noise(100_000, 7);
    const f = stored(await uploadRaw(api, alice, bytes, { filename: 'cache.bin' }), alice);
    const path = `/api/v1/files/${f.id}`;
    const first = await downloaded(api, alice, path);
    const etag = first.headers.get('etag');
    assert.match(etag ?? '', /^"[^"]+"$/, 'a strong, quoted ETag');

    const again = await fetchFile(api, path, { token: alice.token, headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, again.text);
    assert.equal(again.bytes.length, 0);
    assert.equal(again.headers.get('etag'), etag);
    const bySignedUrl = await fetchFile(api, f.url, { headers: { 'If-None-Match': etag } });
    assert.equal(bySignedUrl.status, 304);
    const other = await fetchFile(api, path, { token: alice.token, headers: { 'If-None-Match': '"something-else"' } });
    assert.equal(other.status, 200);
    assert.ok(other.bytes.equals(bytes));

    // A stale If-Range: the whole file, not a slice of bytes that may have changed.
    const stale = await fetchFile(api, path, { token: alice.token, headers: { Range: 'bytes=0-9', 'If-Range': '"old"' } });
    assert.equal(stale.status, 200);
    assert.equal(stale.bytes.length, 100_000);
    const fresh = await fetchFile(api, path, { token: alice.token, headers: { Range: 'bytes=0-9', 'If-Range': etag } });
    assert.equal(fresh.status, 206);

    const head = await fetchFile(api, path, { token: alice.token, method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.bytes.length, 0);
    assert.equal(head.headers.get('content-length'), '100000');
    assert.equal(head.headers.get('etag'), etag);
    assertAttachment(head, 'cache.bin', 'HEAD');
    const headSigned = await fetchFile(api, f.url, { method: 'HEAD' });
    assert.equal(headSigned.status, 200);
    assert.equal(headSigned.headers.get('content-length'), '100000');
  });

  it('signed URLs work without a token, for their own file only; tampered ones are 403, outsiders get 404', async () => {
    const [alice, bob] = await api.users(2, 'sign');
    const picture = stored(await uploadForm(api, alice, png(64, 48, gradient(64, 48)), 'alice.png', 'image/png'), alice);
    const text = (user, content, filename) => uploadRaw(api, user, Buffer.from(content), { filename, contentType: 'text/plain' });
    const secret = stored(await text(alice, 'alice only', 'secret.txt'), alice);
    const bobs = stored(await text(bob, 'bob file', 'bob.txt'), bob);

    // The url and the thumbnail url work with no Authorization header at all.
    const plain = await fetchFile(api, secret.url);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(plain.text, 'alice only');
    const thumb = await fetchFile(api, picture.thumbnail);
    assert.equal(thumb.status, 200, thumb.text.slice(0, 200));
    assert.deepEqual(webpSize(thumb.bytes), { width: 64, height: 48 }, 'never upscaled');
    assert.equal((await fetchFile(api, picture.url)).status, 200);

    // Anything changed in a signed URL: 403.
    const tampered = {
      'one hex digit of the signature': alteredUrl(secret.url, (q) => q.set('signature', flipDigit(q.get('signature')))),
      'a shorter signature': alteredUrl(secret.url, (q) => q.set('signature', q.get('signature').slice(0, 63))),
      'expires moved a second later': alteredUrl(secret.url, (q) => q.set('expires', String(Number(q.get('expires')) + 1))),
      'expires in the past': alteredUrl(secret.url, (q) => q.set('expires', String(Math.floor(Date.now() / 1000) - 60))),
      'expires not a number': alteredUrl(secret.url, (q) => q.set('expires', 'never')),
      'a scope that is no user': alteredUrl(secret.url, (q) => q.set('scope', 'x1')),
      'the file url used for the thumbnail': `/api/v1/files/${picture.id}/thumbnail${picture.url.slice(picture.url.indexOf('?'))}`,
      'the thumbnail url used for the file': `/api/v1/files/${picture.id}${picture.thumbnail.slice(picture.thumbnail.indexOf('?'))}`,
      "the signature of alice's other file": alteredUrl(picture.url, () => {}, secret.id),
    };
    for (const [what, url] of Object.entries(tampered)) {
      const res = await fetchFile(api, url);
      assert.equal(res.status, 403, `${what}: ${url} -> ${res.text}`);
      assert.equal(typeof res.body?.detail, 'string', `${what}: ${res.text}`);
      // a token that would be good does not make a bad signature good
      const withToken = await fetchFile(api, url, { token: alice.token });
      assert.equal(withToken.status, 403, `${what} with alice's token: ${withToken.text}`);
    }

    // Bob's own signed query on alice's file id: his scope holds only his files.
    for (const id of [secret.id, picture.id]) {
      const res = await fetchFile(api, alteredUrl(bobs.url, () => {}, id));
      assert.equal(res.status, 404, `bob's signature on alice's file ${id}: ${res.text}`);
    }
    // Bob's signed scope in alice's url (the signature no longer matches either): never 200.
    const swappedScope = await fetchFile(api, alteredUrl(secret.url, (q) => q.set('scope', `u${bob.id}`)));
    assert.ok([403, 404].includes(swappedScope.status), `scope swapped to bob: ${swappedScope.status} ${swappedScope.text}`);

    // With his bearer token, alice's files look exactly like files that do not exist.
    const missing = await fetchFile(api, `/api/v1/files/${MISSING_FILE_ID}`, { token: bob.token });
    assert.equal(missing.status, 404, missing.text);
    for (const path of [`/api/v1/files/${secret.id}`, `/api/v1/files/${picture.id}`, `/api/v1/files/${picture.id}/thumbnail`]) {
      const res = await fetchFile(api, path, { token: bob.token });
      assert.equal(res.status, 404, `${path} as bob: ${res.text}`);
      assert.equal(res.text, missing.text, `${path} as bob: the body of a missing file`);
      assert.equal(res.headers.get('etag'), null, 'no ETag that would tell the file exists');
      const head = await fetchFile(api, path, { token: bob.token, method: 'HEAD' });
      assert.equal(head.status, 404, `HEAD ${path} as bob`);
    }
    assert.equal((await fetchFile(api, `/api/v1/files/${bobs.id}`, { token: bob.token })).text, 'bob file');

    // No credentials at all, or a bad token: 401.
    for (const path of [`/api/v1/files/${secret.id}`, `/api/v1/files/${picture.id}/thumbnail`, `/api/v1/files/${MISSING_FILE_ID}`]) {
      assert.equal((await fetchFile(api, path)).status, 401, path);
      assert.equal((await fetchFile(api, path, { token: 'not.a.token' })).status, 401, `${path} with a bad token`);
    }
    const anonymousUpload = await uploadRaw(api, undefined, Buffer.from('x'), { filename: 'x.txt' });
    assert.equal(anonymousUpload.status, 401, anonymousUpload.text);
  });

  it('refuses empty files, forms without a file and broken forms, and keeps serving', async () => {
    const alice = await api.user('bad');
    assertValidation(await uploadRaw(api, alice, Buffer.alloc(0), { filename: 'empty.txt' }), 'file', 'empty raw body');
    assertValidation(await uploadForm(api, alice, Buffer.alloc(0), 'empty.txt'), 'file', 'empty form part');

    const noFile = new FormData();
    noFile.append('caption', 'a form with no file in it');
    assertValidation(await api.post('/api/v1/files', { token: alice.token, body: noFile }), 'file', 'no file part');

    const garbage = await api.post('/api/v1/files', {
      token: alice.token,
      headers: { 'Content-Type': 'multipart/form-data; boundary=----windi-boundary' },
      body: 'this is not a multipart body at all',
    });
    assert.equal(garbage.status, 400, garbage.text);
    assert.match(garbage.body?.detail ?? '', /multipart/i);
    const unterminated = await api.post('/api/v1/files', {
      token: alice.token,
      headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello, and no closing boundary',
    });
    assert.equal(unterminated.status, 400, unterminated.text);

    for (const bad of ['abc', '0', '-1']) {
      const res = await fetchFile(api, `/api/v1/files/${bad}`, { token: alice.token });
      assert.equal(res.status, 422, `/api/v1/files/${bad}: ${res.text}`);
    }

    // Still fine afterwards.
    const ok = stored(await uploadForm(api, alice, Buffer.from('fine'), 'fine.txt', 'text/plain'), alice);
    assert.equal((await downloaded(api, alice, `/api/v1/files/${ok.id}`)).text, 'fine');
  });

  it('keeps only the last part of a ?filename= path, keeps Unicode (filename*=UTF-8), drops control and bidi characters', async () => {
    const alice = await api.user('names');
    const bytes = Buffer.from('name test');
    const rawNames = [
      ['../../etc/passwd', 'passwd'],
      ['C:\\Users\\me\\cat.txt', 'cat.txt'],
      ['..', 'file'],
      ['invoice\u202Egpj.exe', 'invoicegpj.exe'],
      ['line\r\nbreak.txt', 'linebreak.txt'],
      ['  .hidden. ', 'hidden'],
    ];
    for (const [given, expected] of rawNames) {
      const f = stored(await uploadRaw(api, alice, bytes, { filename: given }), alice, `raw ${JSON.stringify(given)}`);
      assert.equal(f.name, expected, `raw ${JSON.stringify(given)}`);
    }
    const quoted = stored(await uploadRaw(api, alice, bytes, { filename: 'say "hi".txt' }), alice, 'quotes');
    assert.equal(quoted.name, 'say "hi".txt');
    const quotedDown = await downloaded(api, alice, `/api/v1/files/${quoted.id}`);
    assert.equal(
      quotedDown.headers.get('content-disposition'),
      `attachment; filename="say _hi_.txt"; filename*=UTF-8''${encodeURIComponent('say "hi".txt')}`,
    );

    const unicode = 'отчёт 2026.txt';
    for (const upload of [
      () => uploadForm(api, alice, bytes, unicode, 'text/plain'),
      () => uploadRaw(api, alice, bytes, { filename: unicode }),
    ]) {
      const f = stored(await upload(), alice, 'unicode');
      assert.equal(f.name, unicode);
      const down = await downloaded(api, alice, `/api/v1/files/${f.id}`);
      const disposition = down.headers.get('content-disposition');
      assert.equal(
        disposition,
        `attachment; filename="${'_'.repeat(Buffer.byteLength('отчёт'))} 2026.txt"; filename*=UTF-8''${encodeURIComponent(unicode)}`,
      );
      assert.ok(disposition.includes("filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026.txt"), disposition);
    }
  });

  it('keeps only the last part of a path sent in a form, Windows paths too', async () => {
    // Browsers send a form's filename quoted with only CR, LF and " escaped (as %0D, %0A, %22), never a
    // backslash: `filename="C:\Users\me\cat.txt"` is the whole Windows path (old browsers send it so).
    const alice = await api.user('formnames');
    const bytes = Buffer.from('name test');
    for (const [given, expected] of [['../../etc/passwd', 'passwd'], ['C:\\Users\\me\\cat.txt', 'cat.txt']]) {
      const f = stored(await uploadForm(api, alice, bytes, given, 'text/plain'), alice, `form ${JSON.stringify(given)}`);
      assert.equal(f.name, expected, `form ${JSON.stringify(given)}`);
    }
  });
}, { filesInPostgres: true });

// ---------------------------------------------------------------------------------------------------------
// Small limits: 200 000 bytes a file, 500 000 a user, signed URLs that last 10 to 20 seconds

const MAX_FILE_BYTES = 200_000;
const FILE_QUOTA_BYTES = 500_000;

forEachBackend(
  'file limits',
  (ctx) => {
    let server;
    const api = new Api(() => server);
    before(async () => {
      server = await startServer(ctx.backend, {
        env: { MAX_FILE_BYTES: String(MAX_FILE_BYTES), FILE_QUOTA_BYTES: String(FILE_QUOTA_BYTES), FILE_URL_SECONDS: '10' },
      });
    });
    after(async () => server?.stop());

    // After a refusal with body left unread the server closes that connection: these requests go on new ones.
    /** Fails unless the server still answers and still stores files. */
    async function stillServes(user) {
      const health = await fetch(`${api.baseUrl}/health`);
      assert.equal(health.status, 200);
      await health.arrayBuffer();
      const small = stored(await uploadRaw(api, user, Buffer.from('still here'), { filename: 'ok.txt' }), user, 'after a refusal');
      assert.equal((await downloaded(api, user, `/api/v1/files/${small.id}`)).text, 'still here');
    }

    function assertTooLarge(res, detail, what) {
      assert.equal(res.status, 413, `${what}: ${res.text.slice(0, 300)}`);
      assert.match(res.body?.detail ?? '', detail, what);
    }

    it('takes a file of exactly MAX_FILE_BYTES and refuses one byte more, raw or in a form', async () => {
      const alice = await api.user('max');
      const exact = stored(await uploadRaw(api, alice, noise(MAX_FILE_BYTES, 1), { filename: 'exact.bin' }), alice, 'exact');
      assert.equal(exact.size, MAX_FILE_BYTES);
      const exactForm = stored(await uploadForm(api, alice, noise(MAX_FILE_BYTES, 2), 'exact-form.bin'), alice, 'exact form');
      assert.equal(exactForm.size, MAX_FILE_BYTES);

      const bob = await api.user('max');
      const tooLarge = /^File too large: at most 200000 bytes$/;
      assertTooLarge(await uploadForm(api, bob, noise(MAX_FILE_BYTES + 1, 3), 'over.bin'), tooLarge, 'form, one byte over');
      await stillServes(bob);
      assertTooLarge(await uploadRaw(api, bob, noise(MAX_FILE_BYTES + 1, 4), { filename: 'over.bin' }), tooLarge, 'raw, one byte over');
      await stillServes(bob);
      // An image over the limit is refused as well (before any decoding).
      const bigPng = Buffer.concat([png(8, 8, gradient(8, 8)), noise(MAX_FILE_BYTES, 5)]);
      assertTooLarge(await uploadForm(api, bob, bigPng, 'big.png', 'image/png'), tooLarge, 'png over the limit');
      await stillServes(bob);
      // Over the limit plus 64 KiB of form framing: refused from its Content-Length, before the body is read,
      // with the same words.
      let farOver;
      try {
        farOver = await uploadRaw(api, bob, noise(2 * MAX_FILE_BYTES, 6), { filename: 'huge.bin' });
      } catch (err) {
        assert.fail(`the server dropped the connection instead of answering 413: ${err.cause?.code ?? ''} ${err.message}`);
      }
      assertTooLarge(farOver, tooLarge, 'raw, twice the limit');
      await stillServes(bob);
      const farOverForm = await uploadForm(api, bob, noise(2 * MAX_FILE_BYTES, 7), 'huge.bin');
      assertTooLarge(farOverForm, tooLarge, 'form, twice the limit');
      await stillServes(bob);
    });

    it("refuses an upload that would take a user past FILE_QUOTA_BYTES, and only that user's", async () => {
      const [alice, bob] = await api.users(2, 'quota');
      for (let i = 0; i < 2; i++) {
        stored(await uploadRaw(api, alice, noise(MAX_FILE_BYTES, 10 + i), { filename: `part${i}.bin` }), alice, `part ${i}`);
      }
      // 400 000 stored: 150 000 more would pass 500 000.
      const quota = /^Storage quota exceeded/;
      assertTooLarge(await uploadRaw(api, alice, noise(150_000, 12), { filename: 'more.bin' }), quota, 'raw over the quota');
      assertTooLarge(await uploadForm(api, alice, noise(150_000, 13), 'more.bin'), quota, 'form over the quota');
      await stillServes(alice); // 10 bytes
      stored(await uploadRaw(api, alice, noise(99_000, 14), { filename: 'fits.bin' }), alice, 'what still fits');
      assertTooLarge(await uploadRaw(api, alice, noise(2_000, 15), { filename: 'last.bin' }), quota, 'a small file over the quota');
      // Bob's room is his own.
      stored(await uploadRaw(api, bob, noise(MAX_FILE_BYTES, 16), { filename: 'bob.bin' }), bob, "bob's upload");
    });

    it('stops honouring a signed URL once it expires; the bearer token still works', async () => {
      const alice = await api.user('expiry');
      const f = stored(await uploadRaw(api, alice, Buffer.from('short-lived'), { filename: 'soon.txt' }), alice);
      const expires = Number(new URL(f.url, 'http://x').searchParams.get('expires'));
      const now = Date.now() / 1000;
      assert.ok(expires - now >= 9 && expires - now <= 21, `expires in 10 to 20 s: ${expires - now}`);
      assert.equal((await fetchFile(api, f.url)).status, 200);
      await new Promise((r) => setTimeout(r, (expires - Date.now() / 1000 + 1) * 1000));
      const late = await fetchFile(api, f.url);
      assert.equal(late.status, 403, late.text);
      assert.equal(late.body?.detail, 'Download link expired');
      assert.equal((await downloaded(api, alice, `/api/v1/files/${f.id}`)).text, 'short-lived');
    });
  },
  { start: false, filesInPostgres: true },
);
