// A server killed in the middle of an upload. The upload's bytes so far sit in the blob storage's unfinished
// folder; nothing of them is visible as a file, and after the restart the cleanup removes them, while every file
// a message holds is still there, byte for byte. Runs on each backend with files on disk (DATA_DIR/files).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { backends, startServer, Api, sleep } from './harness.mjs';

// Cleanup every second; interrupted uploads and unused bytes go once untouched for 3 s.
const ENV = { FILE_CLEANUP_SECONDS: '1', FILE_BLOB_GRACE_SECONDS: '3' };

function filesDir(server) {
  return path.join(server.workDir, 'data', 'files');
}

function listFiles(folder) {
  if (!existsSync(folder)) return [];
  const out = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

async function waitFor(condition, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function upload(server, token, bytes, name) {
  const res = await fetch(`${server.baseUrl}/api/v1/files?filename=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' },
    body: bytes,
  });
  const text = await res.text();
  assert.equal(res.status, 201, `upload of ${name}: ${text}`);
  return JSON.parse(text);
}

async function download(server, token, id) {
  const res = await fetch(`${server.baseUrl}/api/v1/files/${id}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

// Starts a raw upload that announces `total` bytes and sends only `sent` of them; the socket stays open.
function startUpload(server, token, total, sent) {
  const url = new URL(server.baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.on('error', () => {});
  socket.write(
    `POST /api/v1/files?filename=interrupted.bin HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`,
  );
  socket.write(randomBytes(sent));
  return socket;
}

for (const backend of backends()) {
  describe(`an upload cut short by a crash [${backend.name}]`, { skip: backend.skip }, () => {
    let server;
    const api = new Api(() => server);
    before(async () => {
      server = await startServer(backend, { env: ENV });
    });
    after(async () => {
      await server?.stop();
    });

    it('leaves no file, leaves nothing after the cleanup, and loses no attached file', async () => {
      const [alice, bob] = await api.users(2, 'crash');
      const chat = await api.privateChat(alice, bob);
      const kept = randomBytes(300_000);
      const file = await upload(server, alice.token, kept, 'kept.bin');
      const sentRes = await fetch(`${server.baseUrl}/api/v1/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${alice.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ chat_id: chat.id, attachments: [file.id] }),
      });
      assert.equal(sentRes.status, 201);
      const objectsBefore = listFiles(path.join(filesDir(server), 'objects'));
      assert.equal(objectsBefore.length, 1, 'one stored blob: the attached file');

      // Half of a 4 MB upload has arrived when the process dies.
      const unfinished = path.join(filesDir(server), 'unfinished');
      const socket = startUpload(server, alice.token, 4_000_000, 2_000_000);
      await waitFor(
        () => listFiles(unfinished).some((f) => statSync(f).size >= 1_000_000),
        'the upload to reach the disk',
      );
      const status = await server.signalAndWait('SIGKILL', 5000);
      assert.equal(status?.signal, 'SIGKILL');
      socket.destroy();
      assert.ok(listFiles(unfinished).length >= 1, 'the interrupted upload left its partial bytes behind');
      assert.deepEqual(
        listFiles(path.join(filesDir(server), 'objects')),
        objectsBefore,
        'nothing of the interrupted upload is stored as a blob',
      );

      await server.start();
      // Nothing of it is a file: the next file id does not exist.
      assert.equal((await download(server, alice.token, file.id + 1)).status, 404);
      // The cleanup removes the partial bytes once they are older than the grace.
      await waitFor(() => listFiles(unfinished).length === 0, 'the cleanup to remove the partial upload');
      assert.deepEqual(listFiles(path.join(filesDir(server), 'objects')), objectsBefore, 'no orphan blob');
      // The attached file survived the crash and the restart, for its uploader and for the other member.
      for (const user of [alice, bob]) {
        const got = await download(server, user.token, file.id);
        assert.equal(got.status, 200);
        assert.ok(got.bytes.equals(kept), `${user.username} gets the attached file byte for byte`);
      }
      const history = await api.history(bob, chat.id);
      assert.equal(history.at(-1)?.attachments?.[0]?.id, file.id, 'the message still holds it');
    });
  });
}
