// File attachments in a real browser against a real server: alice attaches files with the paperclip, by
// pasting and by dropping them on the chat, watches them upload (and cancels one), and sends them; bob (in his
// own browser context) sees the pictures as previews that open full size and the other files as cards that
// download. Hostile files (HTML and SVG with scripts, named like a picture) are only ever downloads and never
// run. Expired signed URLs are replaced by fresh ones. At phone width nothing is wider than the screen.
//
// The pictures are made by a PNG encoder over node:zlib (tests/support/png.mjs), so the test needs no image library.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SCREENSHOTS, Server, eventually, launchBrowser, login, openChat, openPage, screenshot, waitOnline } from './harness.mjs';
import { png } from '../support/png.mjs';

// ---------------------------------------------------------------------------------------------------------
// Pictures made by hand (tests/support/png.mjs)

/** A sunset: a sky from orange to violet, a sun, a dark sea. */
function sunset(width, height) {
  return png(width, height, (x, y) => {
    const t = y / height;
    const sea = y > height * 0.68;
    const dx = x - width * 0.62;
    const dy = y - height * 0.6;
    if (!sea && dx * dx + dy * dy < (height * 0.16) ** 2) return [255, 226, 140];
    if (sea) return [20 + ((x * 7 + y * 3) % 9), 40 + t * 30, 90 + t * 40];
    return [250 - t * 120, 140 - t * 90, 90 + t * 110];
  });
}

/** Squares of two colours: a second, different picture. */
function checker(width, height, a, b) {
  return png(width, height, (x, y) => ((Math.floor(x / 20) + Math.floor(y / 20)) % 2 ? a : b));
}

/** `n` bytes of noise, the same every run. */
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

/** The app's size label (files.js). */
function human(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${units[unit]}`;
}

// ---------------------------------------------------------------------------------------------------------
// Page helpers

const FILE_PATH = /^\/api\/v1\/files\/\d+\?scope=\w+&expires=\d+&signature=[0-9a-f]+$/;
const THUMBNAIL_PATH = /^\/api\/v1\/files\/\d+\/thumbnail\?scope=\w+&expires=\d+&signature=[0-9a-f]+$/;

/** Picks files with the paperclip's file input: [{name, mimeType, buffer}]. */
async function pick(page, files) {
  await page.getByTestId('attach-input').setInputFiles(files);
}

const chips = (page) => page.getByTestId('pending-file');
const chip = (page, name) => page.locator(`[data-testid="pending-file"][data-name="${name}"]`);

async function waitUploaded(page, names) {
  for (const name of names) await page.locator(`[data-testid="pending-file"][data-name="${name}"][data-state="done"]`).waitFor();
}

/** The newest confirmed message of the open chat that shows the file named `name`. */
function messageWithFile(page, name) {
  return page
    .locator('[data-testid="message"][data-message-id]')
    .filter({ has: page.locator(`[data-testid="attachment-name"]`).getByText(name, { exact: true }) })
    .last();
}

function messageWithImage(page, alt) {
  return page.locator('[data-testid="message"][data-message-id]').filter({ has: page.locator(`img[alt="${alt}"]`) }).last();
}

/** The page is no wider than its window. */
async function assertNoOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${what}: no horizontal overflow (${scroll} > ${client})`);
}

/** Waits until an <img> has loaded (natural size known); resolves its natural width and height. */
async function loaded(img) {
  await eventually(async () => (await img.evaluate((el) => el.complete && el.naturalWidth > 0)) === true, { message: 'the image to load' });
  return img.evaluate((el) => ({ width: el.naturalWidth, height: el.naturalHeight, src: el.getAttribute('src') }));
}

/** A paste of `files` into the composer, as the browser fires it ([{name, type, base64}]). */
function paste(page, files) {
  return page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    const input = document.querySelector('[data-testid="composer-input"]');
    input.focus();
    const event = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
    input.dispatchEvent(event);
    return event.defaultPrevented;
  }, files);
}

/** Drags `files` over the chat (the drop zone shows), then, when `drop`, drops them. */
async function dragFiles(page, files, { drop = true } = {}) {
  const dt = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    return dt;
  }, files);
  const target = page.getByTestId('message-scroller');
  await target.dispatchEvent('dragenter', { dataTransfer: dt });
  await target.dispatchEvent('dragover', { dataTransfer: dt });
  await page.getByTestId('drop-zone').waitFor({ state: 'visible' });
  if (drop) {
    await target.dispatchEvent('drop', { dataTransfer: dt });
    await page.getByTestId('drop-zone').waitFor({ state: 'hidden' });
  }
  return dt;
}

const b64 = (buffer) => buffer.toString('base64');

// ---------------------------------------------------------------------------------------------------------

describe('file attachments', () => {
  let server;
  let browser;
  let alice;
  let bob;
  const SUNSET = sunset(640, 400);
  const NOTES = Buffer.from('Packing list\n'.padEnd(1700, '- sunscreen\n'));

  before(async () => {
    // A small file limit, so that "too large" can be shown without uploading 25 MiB.
    server = new (class extends Server {
      env() {
        return { ...super.env(), MAX_FILE_BYTES: String(8 * 1024 * 1024) };
      }
    })();
    server.seed();
    await server.start();
    browser = await launchBrowser();
    alice = await openPage(browser, server);
    bob = await openPage(browser, server);
    await login(alice, 'alice');
    await login(bob, 'bob');
    await openChat(alice, 'bob');
    await openChat(bob, 'alice');
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  it('sends a picture and a text file from the paperclip; bob sees a preview that opens full size and a card that downloads', async () => {
    const send = alice.getByTestId('send-button');
    assert.equal(await send.isDisabled(), true, 'nothing to send yet');
    await pick(alice, [
      { name: 'sunset.png', mimeType: 'image/png', buffer: SUNSET },
      { name: 'packing-list.txt', mimeType: 'text/plain', buffer: NOTES },
    ]);
    assert.equal(await chips(alice).count(), 2);
    await waitUploaded(alice, ['sunset.png', 'packing-list.txt']);
    // The picture's chip has its preview drawn; the text file's an icon with its extension.
    await chip(alice, 'sunset.png').getByTestId('pending-file-preview').waitFor();
    assert.equal(await chip(alice, 'packing-list.txt').locator('.file-ext').textContent(), 'TXT');
    assert.equal(await chip(alice, 'packing-list.txt').getByTestId('pending-file-status').textContent(), human(NOTES.length));
    assert.equal(await send.isDisabled(), false, 'files alone can be sent');

    await alice.getByTestId('composer-input').fill('Holiday pictures');
    await alice.getByTestId('composer-input').press('Enter');
    await alice.getByTestId('attach-tray').waitFor({ state: 'hidden' });
    assert.equal(await chips(alice).count(), 0, 'sending empties the tray');
    await messageWithFile(alice, 'packing-list.txt').waitFor();

    // bob: the picture as a preview of the right proportions (set before it loads), the file as a card.
    const message = messageWithFile(bob, 'packing-list.txt');
    await message.waitFor();
    assert.equal(await message.getByTestId('message-text').textContent(), 'Holiday pictures');
    const img = message.locator('[data-testid="attachment-image"] img');
    assert.equal(await img.count(), 1);
    assert.deepEqual([await img.getAttribute('width'), await img.getAttribute('height')], ['280', '175']);
    assert.match(await img.getAttribute('src'), THUMBNAIL_PATH);
    const thumb = await loaded(img);
    assert.ok(thumb.width <= 320 && Math.abs(thumb.width / thumb.height - 1.6) < 0.02, `a thumbnail: ${JSON.stringify(thumb)}`);
    const card = message.getByTestId('attachment-file');
    assert.equal(await card.getByTestId('attachment-size').textContent(), human(NOTES.length));
    const href = await card.getAttribute('href');
    assert.match(href, FILE_PATH);
    const res = await bob.request.get(href);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-disposition'], /^attachment;/);
    assert.deepEqual(Buffer.from(await res.body()), NOTES, 'the bytes alice sent');
    // A click downloads it, under its name.
    const [download] = await Promise.all([bob.waitForEvent('download'), card.click()]);
    assert.equal(download.suggestedFilename(), 'packing-list.txt');
    // The chat list says what came.
    const preview = bob.locator('[data-testid="chat-item"][data-chat-name="alice"] [data-testid="chat-item-preview"]');
    assert.equal(await preview.textContent(), '📎 Holiday pictures');

    // The preview opens the picture full size; Escape closes it, and so does a click.
    await message.getByTestId('attachment-image').click();
    const lightbox = bob.getByTestId('lightbox');
    await lightbox.waitFor({ state: 'visible' });
    assert.equal(await bob.getByTestId('lightbox-name').textContent(), 'sunset.png');
    await bob.locator('[data-testid="lightbox-image"][data-full="true"]').waitFor();
    const full = await loaded(bob.getByTestId('lightbox-image'));
    assert.deepEqual([full.width, full.height], [640, 400], 'the original, full size');
    assert.match(full.src, FILE_PATH);
    await screenshot(bob, '31-attachments-lightbox');
    await bob.keyboard.press('Escape');
    await lightbox.waitFor({ state: 'hidden' });
    await message.getByTestId('attachment-image').click();
    await lightbox.waitFor({ state: 'visible' });
    await bob.getByTestId('lightbox-image').click();
    await lightbox.waitFor({ state: 'hidden' });

    await screenshot(bob, '32-attachments-thread-bob');
    await screenshot(alice, '33-attachments-thread-alice');
    assert.deepEqual(alice.errors, []);
    assert.deepEqual(bob.errors, []);
  });

  it('shows a hostile file as a download that never runs: HTML and SVG named like a picture', async () => {
    const html = Buffer.from(
      '<!doctype html><html><body><script>window.__pwned = 1; try { parent.__pwned = 1; opener.__pwned = 1; } catch {}</script></body></html>',
    );
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned = 2">' +
        '<script>window.__pwned = 3; try { parent.__pwned = 3 } catch {}</script><rect width="10" height="10"/></svg>',
    );
    const sneaky = '<img src=x onerror=window.__pwned=4>.txt';
    await pick(alice, [
      { name: 'evil.png', mimeType: 'image/png', buffer: html },
      { name: 'evil.svg', mimeType: 'image/svg+xml', buffer: svg },
      { name: sneaky, mimeType: 'text/plain', buffer: Buffer.from('just text') },
    ]);
    await waitUploaded(alice, ['evil.png', 'evil.svg']);
    await alice.locator('[data-testid="pending-file"][data-state="done"]').nth(2).waitFor();
    // Not pictures to the server: no preview, not even the one the browser could have tried.
    assert.equal(await alice.locator('[data-testid="attach-tray"] canvas').count(), 0);
    await alice.getByTestId('composer-input').press('Enter');
    await alice.getByTestId('attach-tray').waitFor({ state: 'hidden' });

    const message = messageWithFile(bob, 'evil.png');
    await message.waitFor();
    assert.equal(await message.locator('img').count(), 0, 'no file of it shown inline');
    assert.equal(await message.getByTestId('attachment-file').count(), 3);
    assert.equal(await message.getByTestId('message-text').count(), 0, 'files alone: no text line');
    // The name with markup in it is text.
    assert.equal(await message.getByTestId('attachment-name').nth(2).textContent(), sneaky);

    for (const name of ['evil.png', 'evil.svg']) {
      const card = message.locator('[data-testid="attachment-file"]').filter({ hasText: name });
      const href = await card.getAttribute('href');
      assert.match(href, FILE_PATH);
      const res = await bob.request.get(href);
      assert.equal(res.headers()['content-type'], 'application/octet-stream', name);
      assert.match(res.headers()['content-disposition'], /^attachment;/, name);
      assert.equal(res.headers()['content-security-policy'], "default-src 'none'; sandbox", name);
      // Clicked: a download, no new page, nothing run.
      const pagesBefore = bob.context().pages().length;
      const [download] = await Promise.all([bob.waitForEvent('download'), card.click()]);
      assert.equal(download.suggestedFilename(), name);
      assert.equal(bob.context().pages().length, pagesBefore, `${name}: no new page`);
      // Opened directly in a page of its own: the navigation becomes a download too.
      const direct = await bob.context().newPage();
      const downloaded = direct.waitForEvent('download', { timeout: 10_000 }).catch(() => null);
      await direct.goto(new URL(href, server.baseUrl).href).catch((err) => {
        assert.match(err.message, /Download is starting|net::ERR_ABORTED/, `${name}: ${err.message}`);
      });
      assert.ok(await downloaded, `${name}: loading it in a page downloads it`);
      assert.equal(await direct.evaluate(() => window.__pwned), undefined, `${name} did not run in its page`);
      await direct.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const page of [bob, alice, ...bob.context().pages()]) {
      assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing ran in the app');
    }
    assert.deepEqual(bob.errors, []);
  });

  it('cancels an upload in flight: the chip goes, nothing is sent', async () => {
    const messagesBefore = await bob.locator('[data-testid="message"][data-message-id]').count();
    // A slow uplink (256 KiB/s), so that 5 MB takes a while.
    const cdp = await alice.context().newCDPSession(alice);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    try {
      await pick(alice, [{ name: 'big-video.bin', mimeType: 'application/octet-stream', buffer: noise(5 * 1000 * 1000) }]);
      const big = chip(alice, 'big-video.bin');
      await big.and(alice.locator('[data-state="uploading"]')).waitFor();
      // The bar moves.
      await eventually(async () => /· [1-9]\d?%$/.test(await big.getByTestId('pending-file-status').textContent()), {
        message: 'upload progress',
        timeout: 15_000,
      });
      assert.equal(await alice.getByTestId('send-button').isDisabled(), true, 'no sending while a file uploads');
      await screenshot(alice, '34-attachments-uploading');
      await big.getByTestId('pending-file-remove').click();
      await big.waitFor({ state: 'detached' });
      await alice.getByTestId('attach-tray').waitFor({ state: 'hidden' });
      assert.equal(await alice.getByTestId('send-button').isDisabled(), true);
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
    }
    // Enter in the empty composer sends nothing either.
    await alice.getByTestId('composer-input').press('Enter');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await bob.locator('[data-testid="message"][data-message-id]').count(), messagesBefore, 'nothing was sent');
    assert.equal(await alice.locator('[data-testid="message"][data-pending]').count(), 0);
  });

  it('says why an upload failed: too large, empty', async () => {
    const limit = 8 * 1024 * 1024;
    await pick(alice, [
      // Just over the limit: the server reads up to it and says what it is.
      { name: 'over.bin', mimeType: 'application/octet-stream', buffer: noise(limit + 10_000, 5) },
      // Far over: refused from its Content-Length, before a byte of it is read, in the same words.
      { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: noise(limit + 1024 * 1024, 7) },
      { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
    ]);
    const failed = (name) => alice.locator(`[data-testid="pending-file"][data-name="${name}"][data-state="error"]`);
    for (const name of ['over.bin', 'huge.bin', 'empty.txt']) await failed(name).waitFor({ timeout: 20_000 });
    assert.equal(await failed('over.bin').getByTestId('pending-file-error').textContent(), 'Too large: a file can be at most 8 MB');
    assert.equal(await failed('huge.bin').getByTestId('pending-file-error').textContent(), 'Too large: a file can be at most 8 MB');
    assert.equal(await failed('empty.txt').getByTestId('pending-file-error').textContent(), 'The file is empty');
    assert.equal(await alice.getByTestId('send-button').isDisabled(), true, 'failed files alone are nothing to send');
    for (const name of ['over.bin', 'huge.bin', 'empty.txt']) await failed(name).getByTestId('pending-file-remove').click();
    await alice.getByTestId('attach-tray').waitFor({ state: 'hidden' });
  });

  it('attaches a pasted picture and dropped files; a drop zone shows while dragging', async () => {
    const pasted = checker(300, 300, [79, 70, 229], [238, 240, 255]);
    assert.equal(await paste(alice, [{ name: 'image.png', type: 'image/png', base64: b64(pasted) }]), true, 'the paste is taken');
    await waitUploaded(alice, ['image.png']);
    assert.equal(await alice.getByTestId('composer-input').inputValue(), '', 'no text pasted');

    const dropped = checker(200, 320, [34, 197, 94], [220, 252, 231]);
    await dragFiles(alice, [{ name: 'dropped.png', type: 'image/png', base64: b64(dropped) }], { drop: false });
    await screenshot(alice, '35-attachments-drop-zone');
    const pdf = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n', 'latin1');
    await dragFiles(alice, [
      { name: 'dropped.png', type: 'image/png', base64: b64(dropped) },
      { name: 'report.pdf', type: 'application/pdf', base64: b64(pdf) },
    ]);
    await waitUploaded(alice, ['dropped.png', 'report.pdf']);
    assert.equal(await chips(alice).count(), 3);
    await chip(alice, 'dropped.png').getByTestId('pending-file-preview').waitFor();
    await screenshot(alice, '36-attachments-tray');
    // A file uploaded can still be taken out before sending.
    await chip(alice, 'report.pdf').getByTestId('pending-file-remove').click();
    assert.equal(await chips(alice).count(), 2);
    await alice.getByTestId('send-button').click();
    await alice.getByTestId('attach-tray').waitFor({ state: 'hidden' });

    // Pictures alone: a grid of two, the time over them, no text line.
    const message = messageWithImage(bob, 'dropped.png');
    await message.waitFor();
    assert.equal(await message.locator('[data-testid="attachment-image"] img').count(), 2, 'two pictures in a grid');
    for (const img of await message.locator('[data-testid="attachment-image"] img').all()) await loaded(img);
    assert.equal(await message.getByTestId('attachment-file').count(), 0, 'the file taken out was not sent');
    assert.equal(await message.getByTestId('message-text').count(), 0);
    assert.equal(await message.locator('.bubble.media-only').count(), 1);
    await screenshot(bob, '37-attachments-pictures-bob');
    assert.deepEqual(alice.errors, []);
  });

  it('keeps the files of a message written offline and sends them when back online', async () => {
    await pick(alice, [{ name: 'train-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('written on a train') }]);
    await waitUploaded(alice, ['train-notes.txt']);
    await alice.context().setOffline(true);
    await alice.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor();
    await alice.getByTestId('composer-input').fill('Sent from the tunnel');
    await alice.getByTestId('composer-input').press('Enter');
    // The pending message shows its file while it waits.
    const pending = alice.locator('[data-testid="message"][data-pending]').filter({ hasText: 'train-notes.txt' });
    await pending.waitFor();
    assert.equal(await pending.getByTestId('attachment-size').textContent(), human(18));
    await alice.context().setOffline(false);
    await waitOnline(alice);
    const message = messageWithFile(bob, 'train-notes.txt');
    await message.getByText('Sent from the tunnel').waitFor();
    await messageWithFile(alice, 'train-notes.txt').waitFor();
    assert.equal(await alice.locator('[data-testid="message"][data-pending]').count(), 0);
    assert.equal(await bob.locator('[data-testid="message"][data-message-id]').filter({ hasText: 'train-notes.txt' }).count(), 1, 'sent once');
  });

  it('at phone width: the thread with files and the composer with chips fit the screen', async () => {
    const phone = await openPage(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await login(phone, 'alice');
      await openChat(phone, 'bob');
      await messageWithImage(phone, 'dropped.png').waitFor();
      for (const img of await phone.locator('[data-testid="attachment-image"] img').all()) {
        await img.scrollIntoViewIfNeeded();
        await loaded(img);
      }
      await messageWithFile(phone, 'packing-list.txt').scrollIntoViewIfNeeded();
      await assertNoOverflow(phone, 'the thread');
      await screenshot(phone, '38-phone-attachments-thread');
      // Every bubble fits inside the screen.
      const widest = await phone.$$eval('[data-testid="message"] .bubble', (els) => Math.max(...els.map((e) => e.getBoundingClientRect().right)));
      assert.ok(widest <= 390, `bubbles inside the screen (${widest})`);

      await pick(phone, [
        { name: 'sunset.png', mimeType: 'image/png', buffer: SUNSET },
        { name: 'a-very-long-file-name-that-goes-on-and-on-quarterly-report-final-v2.txt', mimeType: 'text/plain', buffer: NOTES },
        { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
      ]);
      await waitUploaded(phone, ['sunset.png']);
      await phone.locator('[data-testid="pending-file"][data-name="empty.txt"][data-state="error"]').waitFor();
      await phone.getByTestId('composer-input').fill('From the phone');
      await assertNoOverflow(phone, 'the composer with chips');
      await screenshot(phone, '39-phone-attachments-composer');
      // The chips scroll sideways within the tray: the failed one at its end.
      await phone.locator('[data-testid="pending-file"][data-name="empty.txt"]').scrollIntoViewIfNeeded();
      await assertNoOverflow(phone, 'the tray scrolled');
      await screenshot(phone, '40-phone-attachments-failed');
      await phone.getByTestId('send-button').click();
      await phone.getByTestId('attach-tray').waitFor({ state: 'hidden' });
      const mine = messageWithImage(phone, 'sunset.png');
      await mine.getByText('From the phone').waitFor();
      await loaded(mine.locator('img'));
      await assertNoOverflow(phone, 'the thread after sending');

      await mine.getByTestId('attachment-image').click();
      await phone.locator('[data-testid="lightbox-image"][data-full="true"]').waitFor();
      await assertNoOverflow(phone, 'the lightbox');
      const box = await phone.getByTestId('lightbox-image').boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `the picture fits (${JSON.stringify(box)})`);
      await screenshot(phone, '41-phone-lightbox');
      await phone.getByTestId('lightbox-close').click();
      await phone.getByTestId('lightbox').waitFor({ state: 'hidden' });
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context().close();
    }
  });

  it('a deleted message shows no files', async () => {
    const message = messageWithImage(alice, 'dropped.png');
    const id = await message.getAttribute('data-message-id');
    await message.locator('.bubble').click({ button: 'right' });
    await alice.getByTestId('menu-delete').click();
    const gone = (page) => page.locator(`[data-testid="message"][data-message-id="${id}"]`);
    for (const page of [alice, bob]) {
      await gone(page).getByTestId('message-deleted').waitFor();
      assert.equal(await gone(page).getByTestId('attachments').count(), 0);
    }
  });
});

describe('file attachments: signed URLs that expire', () => {
  let server;
  let browser;
  let alice;
  let bob;

  before(async () => {
    // URLs valid for 10 to 20 seconds.
    server = new (class extends Server {
      env() {
        return { ...super.env(), FILE_URL_SECONDS: '10' };
      }
    })();
    server.seed();
    await server.start();
    browser = await launchBrowser();
    alice = await openPage(browser, server);
    bob = await openPage(browser, server);
    await login(alice, 'alice');
    await login(bob, 'bob');
    await openChat(alice, 'bob');
    await openChat(bob, 'alice');
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
  });

  it('fetches the message again for fresh URLs when the ones it has have expired', async () => {
    await pick(alice, [
      { name: 'sunset.png', mimeType: 'image/png', buffer: sunset(320, 200) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') },
    ]);
    await waitUploaded(alice, ['sunset.png', 'notes.txt']);
    await alice.getByTestId('composer-input').press('Enter');
    const message = messageWithFile(bob, 'notes.txt');
    await message.waitFor();
    await loaded(message.locator('img'));
    const oldHref = await message.getByTestId('attachment-file').getAttribute('href');
    const expires = Number(/expires=(\d+)/.exec(oldHref)[1]);
    await new Promise((r) => setTimeout(r, Math.max(0, expires * 1000 - Date.now()) + 1500));
    assert.equal((await bob.request.get(oldHref)).status(), 403, 'the old URL has expired');

    // The card downloads all the same, from a fresh URL.
    const [download] = await Promise.all([bob.waitForEvent('download'), message.getByTestId('attachment-file').click()]);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    assert.notEqual(await message.getByTestId('attachment-file').getAttribute('href'), oldHref, 'the row has fresh URLs');
    // So does the picture.
    await new Promise((r) => setTimeout(r, 100));
    await message.getByTestId('attachment-image').click();
    await bob.locator('[data-testid="lightbox-image"][data-full="true"]').waitFor();
    assert.deepEqual(Object.values(await loaded(bob.getByTestId('lightbox-image'))).slice(0, 2), [320, 200]);
    await bob.keyboard.press('Escape');
    assert.deepEqual(bob.errors, []);
  });
});
