// Messages with files (POST /api/v1/messages and the WebSocket send_message with `attachments`), as the members
// of a chat see them on each backend: the attachments come back in the order sent, with their name, size, type,
// image size and download URLs signed for the chat, in every view of the message (the answer, history, the chat
// list, live events, sync); what may be attached (one's own uploads, at most 10, each once); who may download
// (the chat's current members, and whoever holds a chat-signed URL); and deleting a message deletes its files
// and their bytes in blob storage (on disk, or with FILES_STORAGE=postgres in the database), unless another
// message still holds them.
//
// files.test.mjs covers the upload and download routes alone; this file reuses its approach (the PNG encoder,
// fetch for the bytes). Every file's bytes are random: blobs are stored by content, and the PostgreSQL database
// is shared with other runs and test files, so a file made of well-known bytes could share its blob with a file
// of someone else's, and that blob would then (rightly) outlive the deletion this file checks.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { forEachBackend, sleep } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import { assertValidation, barrier, deleted, removeMember, syncOnce, entryOf } from './chat_events.mjs';
import { png, PNG_SIGNATURE } from '../support/png.mjs';

// ---------------------------------------------------------------------------------------------------------
// Pictures made by hand (tests/support/png.mjs)

/** An RGB PNG of random pixels: a different image (and so a different blob and thumbnail) every call. */
function randomPng(width, height) {
  return png(width, height, () => randomBytes(3));
}

function pngSize(bytes) {
  assert.ok(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `a PNG signature: ${bytes.subarray(0, 8).toString('hex')}`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const uniqueText = (label) => Buffer.from(`${label} ${randomBytes(16).toString('hex')}\n`);

// ---------------------------------------------------------------------------------------------------------
// HTTP helpers

/** Uploads `bytes` as the file part of a multipart form (the way a browser does); asserts 201. */
async function uploadForm(api, user, bytes, name, type) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await api.post('/api/v1/files', { token: user.token, body: form });
  assert.equal(res.status, 201, `upload ${name}: ${res.text}`);
  return res.body;
}

/** Uploads `bytes` as the whole request body, the name in ?filename=; asserts 201. */
async function uploadRaw(api, user, bytes, filename, contentType = 'text/plain') {
  const res = await api.post(`/api/v1/files?${new URLSearchParams({ filename })}`, {
    token: user.token,
    body: bytes,
    headers: { 'Content-Type': contentType },
  });
  assert.equal(res.status, 201, `upload ${filename}: ${res.text}`);
  return res.body;
}

/** GET with the bytes of the answer: {status, headers, bytes, text}; a token only when given. */
async function fetchFile(api, urlPath, { token } = {}) {
  const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const res = await fetch(api.baseUrl + urlPath, { headers, redirect: 'manual' });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
}

async function expectDownload(api, urlPath, what, opts) {
  const res = await fetchFile(api, urlPath, opts);
  assert.equal(res.status, 200, `${what}: ${urlPath} -> ${res.text.slice(0, 300)}`);
  return res;
}

async function expectStatusOf(api, urlPath, status, what, opts) {
  const res = await fetchFile(api, urlPath, opts);
  assert.equal(res.status, status, `${what}: ${urlPath} -> ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

const filePath = (id, thumbnail = false) => `/api/v1/files/${id}${thumbnail ? '/thumbnail' : ''}`;

/**
 * The blob named by a download's ETag (its sha256): {name, stored()}. On disk it is a file under the server's
 * DATA_DIR (harness.mjs: <workDir>/data); with FILES_STORAGE=postgres, a row of the database's blobs table, read
 * with psql (there is no PostgreSQL client among this folder's packages).
 */
function storedBlob(server, etag) {
  const sha = etag.replaceAll('"', '');
  assert.match(sha, /^[0-9a-f]{64}$/, `an ETag that is a sha256: ${etag}`);
  if (server.backend.env?.FILES_STORAGE === 'postgres') {
    const query = `SELECT count(*) FROM blobs WHERE sha256 = '${sha}'`;
    const psql = ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', server.databaseUrl, '-c', query];
    return { name: `the database's blob ${sha}`, stored: () => execFileSync('psql', psql, { encoding: 'utf8' }).trim() === '1' };
  }
  const file = path.join(server.workDir, 'data', 'files', 'objects', sha.slice(0, 2), sha);
  return { name: file, stored: () => existsSync(file) };
}

/** The signed URL `url` with its query changed by `edit(params)`. */
function alteredUrl(url, edit) {
  const u = new URL(url, 'http://x');
  edit(u.searchParams);
  return `${u.pathname}?${u.searchParams}`;
}

function flipDigit(signature, at = 10) {
  return signature.slice(0, at) + (signature[at] === '0' ? '1' : '0') + signature.slice(at + 1);
}

const postMessage = (api, user, json) => api.post('/api/v1/messages', { token: user.token, json });

async function sent(api, user, json, status = 201) {
  const res = await postMessage(api, user, json);
  assert.equal(res.status, status, `send ${JSON.stringify(json)}: ${res.text}`);
  return res.body;
}

// ---------------------------------------------------------------------------------------------------------
// Assertions on attachments

const CHAT_URL = /^\/api\/v1\/files\/(\d+)(\/thumbnail)?\?scope=c(\d+)&expires=(\d+)&signature=[0-9a-f]{64}$/;

/** What every view of a message must agree on about one attachment (URLs are re-signed on every read). */
const shape = (a) => ({
  id: a.id,
  name: a.name,
  size: a.size,
  content_type: a.content_type,
  width: a.width,
  height: a.height,
  thumbnail: a.thumbnail !== null,
});

/**
 * Asserts that `list` holds `files` (upload answers), in that order, with URLs signed for `chatId`: the
 * original for every file, a thumbnail exactly for those whose upload had one.
 */
function assertAttachments(list, files, chatId, what) {
  assert.ok(Array.isArray(list), `${what}: attachments is a list: ${JSON.stringify(list)}`);
  assert.deepEqual(list.map(shape), files.map(shape), `${what}: the attachments, in order`);
  for (const a of list) {
    const fields = ['content_type', 'height', 'id', 'name', 'size', 'thumbnail', 'url', 'width'];
    assert.deepEqual(Object.keys(a).sort(), fields, `${what}: the fields of an attachment`);
    const url = a.url.match(CHAT_URL);
    assert.ok(url, `${what}: url signed for a chat: ${a.url}`);
    assert.deepEqual([Number(url[1]), url[2], Number(url[3])], [a.id, undefined, chatId], `${what}: ${a.url}`);
    assert.ok(Number(url[4]) > Date.now() / 1000, `${what}: the url has not expired`);
    if (a.thumbnail !== null) {
      const thumb = a.thumbnail.match(CHAT_URL);
      assert.ok(thumb, `${what}: thumbnail signed for a chat: ${a.thumbnail}`);
      assert.deepEqual([Number(thumb[1]), thumb[2], Number(thumb[3])], [a.id, '/thumbnail', chatId], what);
    }
  }
}

/** Waits for the event of `type` about message `id` on `client`. */
const eventAbout = (client, type, id, what = `${type} ${id}`) =>
  client.waitFor((e) => e.type === type && e.data?.id === id, what);

// ---------------------------------------------------------------------------------------------------------

/** Waits (up to 20 s) for the cleanup to remove a blob. */
async function goneFromStorage(blob, what) {
  const deadline = Date.now() + 20000;
  while (blob.stored() && Date.now() < deadline) await sleep(100);
  assert.ok(!blob.stored(), what);
}

forEachBackend('attachments', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  it('sends files without text; members see them in the answer, history, chat list and live event, and download them', async () => {
    const [alice, bob] = await api.users(2, 'att');
    const chat = await api.groupChat(alice, 'photos', [bob]);
    const bobSocket = await Client.open(base(), { token: bob.token });
    await connectedAs(bobSocket);

    const notesBytes = uniqueText('meeting notes');
    const notes = await uploadRaw(api, alice, notesBytes, 'notes.txt');
    const photo = await uploadForm(api, alice, randomPng(40, 30), 'photo.png', 'image/png');
    assert.deepEqual(
      [photo.content_type, photo.width, photo.height, notes.content_type, notes.width, notes.height],
      ['image/png', 40, 30, 'text/plain', null, null],
    );
    assert.notEqual(photo.thumbnail, null, 'an image upload has a thumbnail');
    assert.equal(notes.thumbnail, null);

    // No `text` at all: a message of files alone.
    const m = await sent(api, alice, { chat_id: chat.id, attachments: [notes.id, photo.id] });
    assert.equal(m.text, '');
    assert.equal(m.deleted, false);
    assertAttachments(m.attachments, [notes, photo], chat.id, 'the answer to the send');
    assert.equal(m.attachments[0].thumbnail, null, 'no thumbnail for the text file');
    assert.notEqual(m.attachments[1].thumbnail, null, 'a thumbnail for the PNG');

    const history = await api.history(bob, chat.id);
    const inHistory = history.find((h) => h.id === m.id);
    assert.ok(inHistory, 'the message is in bob\'s history');
    assert.equal(inHistory.text, '');
    assertAttachments(inHistory.attachments, [notes, photo], chat.id, 'history');

    const listed = await api.chatFromList(bob, chat.id);
    assert.equal(listed.last_message?.id, m.id, 'the chat list shows the message last');
    assertAttachments(listed.last_message.attachments, [notes, photo], chat.id, 'chat list last_message');

    const live = await eventAbout(bobSocket, 'new_message', m.id);
    assertAttachments(live.data.attachments, [notes, photo], chat.id, 'new_message');
    bobSocket.close();

    // The signed URLs work with no Authorization header at all (an <img src> or a download link).
    const [notesAtt, photoAtt] = inHistory.attachments;
    const notesDown = await expectDownload(api, notesAtt.url, 'the text file by its signed url');
    assert.ok(notesDown.bytes.equals(notesBytes), 'the text file, byte for byte');
    const photoDown = await expectDownload(api, photoAtt.url, 'the PNG by its signed url');
    assert.equal(photoDown.headers.get('content-type'), 'image/png');
    assert.deepEqual(pngSize(photoDown.bytes), { width: 40, height: 30 });
    assert.equal(photoDown.bytes.length, photoAtt.size, 'size is the length of what is served');
    const thumb = await expectDownload(api, photoAtt.thumbnail, 'the thumbnail by its signed url');
    assert.equal(thumb.headers.get('content-type'), 'image/webp');
    assert.deepEqual([thumb.bytes.toString('latin1', 0, 4), thumb.bytes.toString('latin1', 8, 12)], ['RIFF', 'WEBP']);

    // And with bob's own bearer token: he is a member of a chat where a message holds them.
    const byToken = await expectDownload(api, filePath(notes.id), "the text file with bob's token", { token: bob.token });
    assert.ok(byToken.bytes.equals(notesBytes));
    const photoByToken = await expectDownload(api, filePath(photo.id), "the PNG with bob's token", { token: bob.token });
    assert.ok(photoByToken.bytes.equals(photoDown.bytes));
    await expectDownload(api, filePath(photo.id, true), "the thumbnail with bob's token", { token: bob.token });
  });

  it('refuses what may not be attached with a 422 on attachments, storing nothing', async () => {
    const [alice, bob] = await api.users(2, 'attbad');
    const chat = await api.groupChat(alice, 'refusals', [bob]);
    const mine = await uploadRaw(api, alice, uniqueText('alice'), 'alice.txt');
    const bobs = await uploadRaw(api, bob, uniqueText('bob'), 'bob.txt');
    await api.send(alice, chat.id, 'before the refusals');
    const before = await api.history(alice, chat.id);

    // Someone else's file (bob's, though bob is in the chat) and a file that does not exist: the same answer,
    // so that attaching tells nothing about other people's files.
    const foreign = await postMessage(api, alice, { chat_id: chat.id, attachments: [mine.id, bobs.id] });
    assertValidation(foreign, 'body', 'attachments', "bob's file");
    assert.ok(foreign.body.detail.some((d) => JSON.stringify(d.loc) === '["body","attachments"]'), foreign.text);
    const unknown = await postMessage(api, alice, { chat_id: chat.id, attachments: [mine.id, 2_000_000_000] });
    assert.equal(unknown.status, 422, unknown.text);
    assert.deepEqual(unknown.body, foreign.body, 'an unknown file id gets the same answer as a foreign one');

    // Too many files, the same file twice.
    const eleven = [];
    for (let i = 0; i < 11; i++) eleven.push(await uploadRaw(api, alice, uniqueText(`part ${i}`), `part${i}.txt`));
    const ids = eleven.map((f) => f.id);
    assertValidation(await postMessage(api, alice, { chat_id: chat.id, attachments: ids }), 'body', 'attachments', '11 files');
    assertValidation(
      await postMessage(api, alice, { chat_id: chat.id, text: 'twice', attachments: [mine.id, mine.id] }),
      'body', 'attachments', 'the same file twice',
    );

    // Not a list of ids.
    for (const attachments of [mine.id, String(mine.id), { id: mine.id }, [String(mine.id)], [mine.id, 'x'], [0], [1.5]]) {
      assertValidation(
        await postMessage(api, alice, { chat_id: chat.id, text: 'typed', attachments }),
        'body', 'attachments', `attachments ${JSON.stringify(attachments)}`,
      );
    }

    // Neither text nor files: the text is what is missing.
    const bare = [{ chat_id: chat.id }, { chat_id: chat.id, attachments: [] }, { chat_id: chat.id, text: '', attachments: [] }];
    for (const json of bare) {
      assertValidation(await postMessage(api, alice, json), 'body', 'text', `no text, no files: ${JSON.stringify(json)}`);
    }

    // Nothing was stored, not even the half of a refused message that was fine: bob cannot reach alice's file.
    assert.deepEqual(await api.history(alice, chat.id), before, 'history unchanged');
    assert.equal((await api.chatFromList(alice, chat.id)).last_seq, before.at(-1).seq);
    await expectStatusOf(api, filePath(mine.id), 404, "alice's file, refused with bob's, is in no message", {
      token: bob.token,
    });

    // Ten files are fine.
    const ten = await sent(api, alice, { chat_id: chat.id, attachments: ids.slice(0, 10) });
    assertAttachments(ten.attachments, eleven.slice(0, 10), chat.id, 'ten files');
  });

  it('answers a resend with the same client_message_id with the stored message and its files, announced once', async () => {
    const [alice, bob] = await api.users(2, 'attdup');
    const chat = await api.privateChat(alice, bob);
    const bobSocket = await Client.open(base(), { token: bob.token });
    await connectedAs(bobSocket);
    const photo = await uploadForm(api, alice, randomPng(16, 12), 'dup.png', 'image/png');
    const notes = await uploadRaw(api, alice, uniqueText('dup'), 'dup.txt');
    const json = { chat_id: chat.id, text: 'see attached', attachments: [photo.id, notes.id], client_message_id: 'att-1' };

    const first = await sent(api, alice, json, 201);
    const again = await sent(api, alice, json, 200);
    assert.equal(again.id, first.id);
    assert.equal(again.seq, first.seq);
    assert.equal(again.text, 'see attached');
    assertAttachments(again.attachments, [photo, notes], chat.id, 'the resend');

    await eventAbout(bobSocket, 'new_message', first.id);
    await barrier(api, alice, chat.id, [bobSocket]); // every event the resend could have caused has arrived by now
    const announced = bobSocket.of('new_message').filter((e) => e.data.id === first.id);
    assert.equal(announced.length, 1, 'one new_message for the message');
    assert.equal((await api.history(bob, chat.id)).filter((m) => m.client_message_id === 'att-1').length, 1);
    bobSocket.close();
  });

  it('sends files over the WebSocket: message_sent and new_message carry them', async () => {
    const [alice, bob] = await api.users(2, 'attws');
    const chat = await api.privateChat(alice, bob);
    const photo = await uploadForm(api, alice, randomPng(20, 10), 'ws.png', 'image/png');
    const aliceSocket = await Client.open(base(), { token: alice.token });
    const bobSocket = await Client.open(base(), { token: bob.token });
    await Promise.all([connectedAs(aliceSocket), connectedAs(bobSocket)]);

    aliceSocket.send('send_message', { chat_id: chat.id, attachments: [photo.id], client_message_id: 'x' });
    const ack = await aliceSocket.waitFor((e) => e.type === 'message_sent' && e.data.client_message_id === 'x', 'ack');
    assert.equal(ack.data.duplicate, false);
    assert.equal(ack.data.text, '');
    assertAttachments(ack.data.attachments, [photo], chat.id, 'message_sent');
    const live = await eventAbout(bobSocket, 'new_message', ack.data.id);
    assertAttachments(live.data.attachments, [photo], chat.id, "bob's new_message");
    await expectDownload(api, live.data.attachments[0].url, 'the PNG by the url of the event');

    // A refusal over the socket is an error frame about attachments, on a connection that stays open.
    aliceSocket.send('send_message', { chat_id: chat.id, attachments: [photo.id, photo.id], client_message_id: 'y' });
    const refused = await aliceSocket.waitFor((e) => e.type === 'error' && e.data.action === 'send_message', 'error frame');
    assert.match(JSON.stringify(refused.data), /attachments/, JSON.stringify(refused.data));
    aliceSocket.close();
    bobSocket.close();
  });

  it("lets the chat's members and holders of a chat-signed URL download, nobody else", async () => {
    const [alice, bob, carol] = await api.users(3, 'attacl');
    const chat = await api.groupChat(alice, 'team', [bob]);
    const carolsChat = await api.groupChat(carol, 'carol alone', []);
    const photo = await uploadForm(api, alice, randomPng(24, 24), 'team.png', 'image/png');
    const m = await sent(api, alice, { chat_id: chat.id, attachments: [photo.id] });
    const [att] = m.attachments;

    // Carol is in no chat that holds the file: with her token it does not exist.
    for (const thumbnail of [false, true]) {
      const res = await expectStatusOf(api, filePath(photo.id, thumbnail), 404, "carol's token", { token: carol.token });
      assert.equal(res.headers.get('etag'), null, 'no ETag that would tell the file exists');
    }

    // A signed URL is a capability: whoever holds it downloads the file until it expires, token or not,
    // member or not (as a link pasted elsewhere would). It stands for "this file, as held by this chat".
    await expectDownload(api, att.url, 'carol with the chat-signed url');
    await expectDownload(api, att.url, 'carol with the chat-signed url and her token', { token: carol.token });
    await expectDownload(api, att.thumbnail, 'carol with the chat-signed thumbnail url');

    // The same signature with the scope moved to carol's own chat: that chat holds no such file.
    const movedScope = alteredUrl(att.url, (q) => q.set('scope', `c${carolsChat.id}`));
    await expectStatusOf(api, movedScope, 404, "scope moved to carol's chat");
    // A signature changed by one digit: refused.
    const oneDigit = alteredUrl(att.url, (q) => q.set('signature', flipDigit(q.get('signature'))));
    const tampered = await expectStatusOf(api, oneDigit, 403, 'one digit changed');
    assert.equal(typeof JSON.parse(tampered.text).detail, 'string');
    // The chat's signature presented as alice's own scope: the file is hers, the signature is not for that scope.
    await expectStatusOf(api, alteredUrl(att.url, (q) => q.set('scope', `u${alice.id}`)), 403, 'scope moved to the uploader');

    // Bob reads it while a member, and no longer once removed from the group; alice, the uploader, still does.
    await expectDownload(api, filePath(photo.id), "bob's token while a member", { token: bob.token });
    await removeMember(api, alice, chat.id, bob);
    await expectStatusOf(api, filePath(photo.id), 404, "bob's token after his removal", { token: bob.token });
    await expectStatusOf(api, filePath(photo.id, true), 404, "bob's token, thumbnail, after his removal", { token: bob.token });
    await expectDownload(api, filePath(photo.id), "alice's token", { token: alice.token });
  });

  it('deletes the files of a deleted message, records and bytes, unless another message still holds them', async () => {
    const [alice, bob] = await api.users(2, 'attdel');
    const chat = await api.groupChat(alice, 'deletions', [bob]);
    const bobSocket = await Client.open(base(), { token: bob.token });
    await connectedAs(bobSocket);
    const photo = await uploadForm(api, alice, randomPng(32, 32), 'gone.png', 'image/png');
    const notes = await uploadRaw(api, alice, uniqueText('gone'), 'gone.txt');
    const m = await sent(api, alice, { chat_id: chat.id, text: 'short-lived', attachments: [photo.id, notes.id] });
    const [photoAtt, notesAtt] = m.attachments;

    // Where the bytes live: the ETag of a download is the blob's sha256.
    const blobOf = async (id, user, thumbnail = false) => {
      const res = await expectDownload(api, filePath(id, thumbnail), `where file ${id} is stored`, { token: user.token });
      return storedBlob(ctx.server, res.headers.get('etag'));
    };
    const blobs = [await blobOf(photo.id, alice), await blobOf(photo.id, alice, true), await blobOf(notes.id, alice)];
    for (const blob of blobs) assert.ok(blob.stored(), `the blob is stored: ${blob.name}`);

    await deleted(api, alice, m.id);
    const tombstone = await eventAbout(bobSocket, 'message_deleted', m.id);
    assert.equal(tombstone.data.deleted, true);
    assert.deepEqual(tombstone.data.attachments, [], 'a deleted message holds no files');
    const inHistory = (await api.history(bob, chat.id)).find((h) => h.id === m.id);
    assert.deepEqual(inHistory?.attachments, [], 'the tombstone in history holds no files');

    // Every way to the files is gone: the records are, so the uploader's token and the old signed URLs too.
    for (const user of [alice, bob]) {
      for (const p of [filePath(photo.id), filePath(photo.id, true), filePath(notes.id)]) {
        await expectStatusOf(api, p, 404, `${user.username}'s token after the deletion`, { token: user.token });
      }
    }
    for (const url of [photoAtt.url, photoAtt.thumbnail, notesAtt.url, photo.url, notes.url]) {
      await expectStatusOf(api, url, 404, 'an old signed url after the deletion');
    }
    // The bytes follow within a cleanup round (this server runs one every second, with a grace of a second).
    for (const blob of blobs) await goneFromStorage(blob, `the blob is removed: ${blob.name}`);

    // One file in two messages: deleting the first keeps it for the second; deleting both removes it.
    const shared = await uploadForm(api, alice, randomPng(12, 12), 'shared.png', 'image/png');
    const one = await sent(api, alice, { chat_id: chat.id, attachments: [shared.id] });
    const two = await sent(api, alice, { chat_id: chat.id, text: 'again', attachments: [shared.id] });
    const sharedBlob = await blobOf(shared.id, alice);
    await deleted(api, alice, one.id);
    await expectDownload(api, filePath(shared.id), 'the shared file after one deletion, bob', { token: bob.token });
    await expectDownload(api, two.attachments[0].url, 'the shared file by the url of the message left');
    await expectStatusOf(api, one.attachments[0].url, 200, 'the url of the deleted message (same chat, still holds it)');
    assert.ok(sharedBlob.stored(), 'the shared blob stays while a message holds the file');
    await deleted(api, alice, two.id);
    await expectStatusOf(api, filePath(shared.id), 404, 'the shared file after both deletions', { token: alice.token });
    await expectStatusOf(api, two.attachments[0].url, 404, 'its url after both deletions');
    await goneFromStorage(sharedBlob, 'the shared blob is removed with the last message');

    // Two uploads of the same bytes share one blob: deleting the message of one leaves the other whole.
    const bytes = uniqueText('twin');
    const twinA = await uploadRaw(api, alice, bytes, 'twin-a.txt');
    const twinB = await uploadRaw(api, alice, bytes, 'twin-b.txt');
    const withA = await sent(api, alice, { chat_id: chat.id, attachments: [twinA.id] });
    await sent(api, alice, { chat_id: chat.id, attachments: [twinB.id] });
    const twinBlob = await blobOf(twinA.id, alice);
    await deleted(api, alice, withA.id);
    await expectStatusOf(api, filePath(twinA.id), 404, 'twin a after its message was deleted', { token: alice.token });
    const twinLeft = await expectDownload(api, filePath(twinB.id), 'twin b after twin a was deleted', { token: bob.token });
    assert.ok(twinLeft.bytes.equals(bytes), 'twin b keeps its bytes');
    await sleep(3000); // two cleanup rounds
    assert.ok(twinBlob.stored(), 'the blob twin b uses stays');
    bobSocket.close();
  });

  it('hands the files with signed URLs to a device that resumes by sync', async () => {
    const [alice, bob] = await api.users(2, 'attsync');
    const chat = await api.privateChat(alice, bob);
    const photo = await uploadForm(api, alice, randomPng(30, 20), 'sync.png', 'image/png');
    const notesBytes = uniqueText('sync');
    const notes = await uploadRaw(api, alice, notesBytes, 'sync.txt');
    const m = await sent(api, alice, { chat_id: chat.id, text: 'while you were away', attachments: [photo.id, notes.id] });

    const bobSocket = await Client.open(base(), { token: bob.token });
    await connectedAs(bobSocket);
    const answer = await syncOnce(bobSocket, { changes: {} });
    const entry = entryOf(answer, chat.id);
    assert.ok(entry, `the chat is in the sync answer: ${JSON.stringify(answer.data).slice(0, 500)}`);
    const synced = entry.messages.find((s) => s.id === m.id);
    assert.ok(synced, `the message is in the sync answer: ${JSON.stringify(entry).slice(0, 500)}`);
    assertAttachments(synced.attachments, [photo, notes], chat.id, 'sync');
    const down = await expectDownload(api, synced.attachments[1].url, 'the text file by the url from sync');
    assert.ok(down.bytes.equals(notesBytes));
    await expectDownload(api, synced.attachments[0].thumbnail, 'the thumbnail by the url from sync');
    bobSocket.close();
  });
}, { env: { FILE_CLEANUP_SECONDS: '1', FILE_BLOB_GRACE_SECONDS: '1' }, filesInPostgres: true });
