// Message changes in a real browser against a real server: alice and bob (each in their own browser context)
// edit, delete, reply to and react to messages and see each other's changes live; group membership and
// renames arrive as events; changes missed while offline come back with the resume (sync by change number);
// and the thread is photographed at desktop and phone width.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  SCREENSHOTS,
  Server,
  chatItem,
  eventually,
  launchBrowser,
  login,
  messageByText,
  messageTexts,
  openChat,
  openPage,
  screenshot,
  send,
  waitOnline,
} from './harness.mjs';


/** A confirmed message row (it has its server id) whose text is exactly `text`. */
function confirmed(page, text) {
  return page.locator('[data-testid="message"][data-message-id]').filter({
    has: page.locator('[data-testid="message-text"]').getByText(text, { exact: true }),
  });
}

async function idOf(page, text) {
  const li = confirmed(page, text);
  await li.waitFor();
  return li.getAttribute('data-message-id');
}

const byId = (page, id) => page.locator(`[data-testid="message"][data-message-id="${id}"]`);
const chip = (li, emoji, extra = '') => li.locator(`[data-testid="reaction-chip"][data-emoji="${emoji}"]${extra}`);

/** Desktop: hover the bubble, then its "⋯" tool. */
async function openMenu(page, li) {
  await li.locator('.bubble').hover();
  await li.getByTestId('message-menu-button').click();
  await page.getByTestId('message-menu').waitFor({ state: 'visible' });
}

/** Phone: hold the bubble (real touch events through the DevTools protocol). */
async function longPress(page, li) {
  const box = await li.locator('.bubble').boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  await new Promise((r) => setTimeout(r, 700));
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

async function isInView(page, li) {
  const box = await li.boundingBox();
  const pane = await page.getByTestId('message-scroller').boundingBox();
  return !!box && box.y >= pane.y - 1 && box.y + box.height <= pane.y + pane.height + 1;
}

describe('WinDI web app: edits, deletions, replies, reactions, membership events', () => {
  let server;
  let browser;
  let alice;
  let bob;
  const ids = {};

  before(async () => {
    server = new Server();
    server.seed();
    await server.start();
    browser = await launchBrowser();
    alice = await openPage(browser, server);
    bob = await openPage(browser, server);
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  it('edits: alice fixes a message from its menu and bob sees it change live; Up edits my last message, Escape cancels', async (t) => {
    await login(alice, 'alice');
    await login(bob, 'bob');
    await openChat(alice, 'bob');
    await openChat(bob, 'alice');

    await send(alice, 'Meet at 10 tomorow');
    ids.meet = await idOf(bob, 'Meet at 10 tomorow');
    await openMenu(alice, byId(alice, ids.meet));
    await alice.getByTestId('menu-edit').click();
    const context = alice.getByTestId('composer-context');
    await context.filter({ hasText: 'Edit message' }).waitFor();
    const input = alice.getByTestId('composer-input');
    assert.equal(await input.inputValue(), 'Meet at 10 tomorow');
    await input.fill('Meet at 10 tomorrow');
    await input.press('Enter');
    await context.waitFor({ state: 'hidden' });
    for (const page of [alice, bob]) {
      const li = byId(page, ids.meet);
      await li.getByTestId('message-text').getByText('Meet at 10 tomorrow', { exact: true }).waitFor();
      await li.getByTestId('message-edited').waitFor();
    }

    // Up in the empty composer takes my last message; Escape gives the composer back untouched.
    await send(alice, 'Second thougts');
    ids.second = await idOf(bob, 'Second thougts');
    await byId(alice, ids.second).waitFor();
    await input.press('ArrowUp');
    await context.filter({ hasText: 'Edit message' }).waitFor();
    assert.equal(await input.inputValue(), 'Second thougts');
    await input.press('Escape');
    await context.waitFor({ state: 'hidden' });
    assert.equal(await input.inputValue(), '');
    await input.press('ArrowUp');
    await context.waitFor();
    await input.fill('Second thoughts');
    await input.press('Enter');
    await byId(bob, ids.second).getByTestId('message-text').getByText('Second thoughts', { exact: true }).waitFor();
    await byId(bob, ids.second).getByTestId('message-edited').waitFor();

    const token = await server.token('alice');
    const chats = await server.api('GET', '/api/v1/chats/', { token });
    const chat = chats.find((c) => c.type === 'private' && c.members.some((m) => m.username === 'bob'));
    const history = await server.api('GET', `/api/v1/messages/history/${chat.id}?limit=10`, { token });
    const stored = history.find((m) => String(m.id) === ids.meet);
    assert.equal(stored.text, 'Meet at 10 tomorrow');
    assert.ok(stored.edited_at, 'edited_at set');
    assert.equal((await messageTexts(bob)).filter((x) => x.startsWith('Meet at 10')).length, 1, 'no duplicate row');
  });

  it('reactions: bob reacts from the menu, alice sees the chip live and joins in; a chip click toggles my reaction', async (t) => {
    const bobs = byId(bob, ids.second);
    const alices = byId(alice, ids.second);
    await openMenu(bob, bobs);
    assert.equal(await bob.getByTestId('menu-edit').count(), 0, "bob cannot edit alice's message");
    assert.equal(await bob.getByTestId('menu-delete').count(), 0, 'nor delete it in a private chat');
    await bob.locator('[data-testid="reaction-option"][data-emoji="👍"]').click();
    await bob.getByTestId('message-menu').waitFor({ state: 'hidden' });
    await chip(bobs, '👍', '[data-count="1"][data-mine="true"]').waitFor();
    await chip(alices, '👍', '[data-count="1"][data-mine="false"]').waitFor();

    await chip(alices, '👍').click();
    await chip(alices, '👍', '[data-count="2"][data-mine="true"]').waitFor();
    await chip(bobs, '👍', '[data-count="2"][data-mine="true"]').waitFor();

    await chip(bobs, '👍').click();
    await chip(bobs, '👍', '[data-count="1"][data-mine="false"]').waitFor();
    await chip(alices, '👍', '[data-count="1"][data-mine="true"]').waitFor();

    await openMenu(alice, alices);
    await alice.locator('[data-testid="reaction-option"][data-emoji="❤️"]').click();
    await chip(bobs, '❤️', '[data-count="1"]').waitFor();
    assert.deepEqual(
      await bobs.locator('[data-testid="reaction-chip"]').evaluateAll((els) => els.map((e) => e.dataset.emoji)),
      ['👍', '❤️'],
      'chips in the order of the first reaction',
    );
  });

  it('replies: the hover tool starts a reply with a preview bar (✕ cancels), and the quote shows above the answer', async (t) => {
    const original = byId(bob, ids.meet);
    await original.locator('.bubble').hover();
    await original.getByTestId('message-reply-button').click();
    const context = bob.getByTestId('composer-context');
    await context.filter({ hasText: 'Reply to alice' }).filter({ hasText: 'Meet at 10 tomorrow' }).waitFor();
    await bob.getByTestId('composer-context-cancel').click();
    await context.waitFor({ state: 'hidden' });

    await original.locator('.bubble').hover();
    await original.getByTestId('message-reply-button').click();
    await context.waitFor();
    await send(bob, 'Works for me');
    await context.waitFor({ state: 'hidden' });
    for (const page of [alice, bob]) {
      const quote = confirmed(page, 'Works for me').getByTestId('reply-quote');
      await quote.filter({ hasText: 'Meet at 10 tomorrow' }).waitFor();
      assert.equal(await quote.getAttribute('data-reply-to'), ids.meet);
    }
  });

  it('jumps from a quote to the original, loading older pages until it is there', async (t) => {
    // charlie writes through the API: an original, 70 more, then a reply to the original.
    const token = await server.token('charlie');
    const chats = await server.api('GET', '/api/v1/chats/', { token });
    const chat = chats.find((c) => c.type === 'private' && c.members.some((m) => m.username === 'alice'));
    const post = (text, extra = {}) =>
      server.api('POST', '/api/v1/messages/', { token, json: { chat_id: chat.id, text, client_message_id: `jump-${text}`, ...extra } });
    const original = await post('The original, far back');
    for (let i = 1; i <= 70; i++) await post(`filler #${i}`);
    await post('Answering the old one', { reply_to: original.id });

    await openChat(alice, 'charlie');
    await alice.reload(); // a fresh page holds only the newest messages
    await waitOnline(alice);
    await alice.getByTestId('chat-title').filter({ hasText: 'charlie' }).waitFor();
    const answer = confirmed(alice, 'Answering the old one');
    await answer.waitFor();
    assert.equal(await messageByText(alice, 'The original, far back').count(), 0, 'the original is not loaded yet');
    await answer.getByTestId('reply-quote').click();
    const target = byId(alice, String(original.id));
    await target.waitFor({ timeout: 15_000 });
    await eventually(() => isInView(alice, target), { message: 'the original scrolled into view' });
    assert.match((await target.getAttribute('class')) || '', /\bflash\b/);
  });

  it('deletes: my message becomes a tombstone on both sides and quotes of it say so; a group admin deletes anyone’s', async (t) => {
    await openChat(alice, 'bob');
    await send(alice, 'Wrong chat, sorry');
    ids.wrong = await idOf(bob, 'Wrong chat, sorry');
    const wrong = byId(bob, ids.wrong);
    await wrong.locator('.bubble').hover();
    await wrong.getByTestId('message-reply-button').click();
    await send(bob, 'What was that?');
    await confirmed(alice, 'What was that?').getByTestId('reply-quote').filter({ hasText: 'Wrong chat, sorry' }).waitFor();

    await openMenu(alice, byId(alice, ids.wrong));
    await alice.getByTestId('menu-delete').click(); // the confirm() is accepted by the harness
    for (const page of [alice, bob]) {
      const li = byId(page, ids.wrong);
      await li.getByTestId('message-deleted').filter({ hasText: 'message deleted' }).waitFor();
      assert.equal(await li.getByTestId('message-text').count(), 0);
      await confirmed(page, 'What was that?').getByTestId('reply-quote-text').filter({ hasText: 'message deleted' }).waitFor();
    }
    // A tombstone has no menu.
    await byId(bob, ids.wrong).hover();
    assert.equal(await byId(bob, ids.wrong).getByTestId('message-menu-button').count(), 0);

    // In the team chat alice is admin: she may delete bob's message; bob may not delete hers.
    await openChat(alice, 'WinDI Team');
    await openChat(bob, 'WinDI Team');
    await send(alice, 'Admin speaking');
    await send(bob, 'Off-topic from bob');
    const admins = await idOf(bob, 'Admin speaking');
    const offTopic = await idOf(alice, 'Off-topic from bob');
    await openMenu(bob, byId(bob, admins));
    assert.equal(await bob.getByTestId('menu-delete').count(), 0, 'a member cannot delete the admin’s message');
    await bob.keyboard.press('Escape');
    await bob.getByTestId('message-menu').waitFor({ state: 'hidden' });
    await openMenu(alice, byId(alice, offTopic));
    assert.equal(await alice.getByTestId('menu-edit').count(), 0, "the admin cannot edit bob's message");
    await alice.getByTestId('menu-delete').click();
    await byId(bob, offTopic).getByTestId('message-deleted').waitFor();
    await byId(alice, offTopic).getByTestId('message-deleted').waitFor();
  });

  it('membership: a new group appears for its members, an added member sees it, a rename follows, a removed member sees it go', async (t) => {
    // Created with bob in it: it shows up on bob's side before anyone writes.
    await alice.getByTestId('new-group-button').click();
    await alice.getByTestId('group-name-input').fill('Launch Crew');
    await alice.getByTestId('group-search-input').fill('bo');
    await alice.locator('[data-testid="group-search-result"][data-username="bob"] button').click();
    await alice.getByTestId('group-create-submit').click();
    await alice.getByTestId('chat-title').filter({ hasText: 'Launch Crew' }).waitFor();
    await chatItem(bob, 'Launch Crew').waitFor();

    // Created without bob, then bob added from the members dialog.
    await alice.getByTestId('new-group-button').click();
    await alice.getByTestId('group-name-input').fill('Side Project');
    await alice.getByTestId('group-search-input').fill('char');
    await alice.locator('[data-testid="group-search-result"][data-username="charlie"] button').click();
    await alice.getByTestId('group-create-submit').click();
    await alice.getByTestId('chat-title').filter({ hasText: 'Side Project' }).waitFor();
    await send(alice, 'Kick-off notes');
    await confirmed(alice, 'Kick-off notes').waitFor();
    assert.equal(await chatItem(bob, 'Side Project').count(), 0);
    await alice.getByTestId('members-button').click();
    await alice.getByTestId('add-member-input').fill('bo');
    await alice.locator('[data-testid="add-member-result"][data-username="bob"] button').click();
    await alice.locator('[data-testid="member-item"][data-username="bob"]').waitFor();
    await chatItem(bob, 'Side Project').waitFor();
    await chatItem(bob, 'Side Project').getByTestId('chat-item-preview').filter({ hasText: 'Kick-off notes' }).waitFor();

    // Renamed by the admin, in the same dialog.
    await alice.getByTestId('rename-input').fill('Side Project 2.0');
    await alice.getByTestId('rename-submit').click();
    await alice.getByTestId('chat-title').filter({ hasText: 'Side Project 2.0' }).waitFor();
    await chatItem(bob, 'Side Project 2.0').waitFor();
    await openChat(bob, 'Side Project 2.0');
    await confirmed(bob, 'Kick-off notes').waitFor();
    assert.equal(await bob.getByTestId('members-button').isVisible(), true);

    // Removed: the chat leaves bob's list and closes on his screen.
    await alice.locator('[data-testid="member-item"][data-username="bob"] [data-testid="member-remove"]').click();
    await alice.locator('[data-testid="member-item"][data-username="bob"]').waitFor({ state: 'detached' });
    await chatItem(bob, 'Side Project 2.0').waitFor({ state: 'detached' });
    await bob.getByTestId('chat-placeholder').waitFor({ state: 'visible' });
    await bob.getByTestId('toast').filter({ hasText: 'removed' }).first().waitFor();
    await alice.keyboard.press('Escape');
    await alice.getByTestId('members-dialog').waitFor({ state: 'hidden' });

    // bob as a member of Launch Crew sees no rename form.
    await openChat(bob, 'Launch Crew');
    await bob.getByTestId('members-button').click();
    await bob.locator('[data-testid="member-item"][data-username="alice"]').waitFor();
    assert.equal(await bob.getByTestId('rename-form').isVisible(), false);
    await bob.keyboard.press('Escape');
  });

  it('resumes what changed while offline: edits, deletions and reactions since the last change number', async (t) => {
    await openChat(alice, 'bob');
    await openChat(bob, 'alice');
    for (const text of ['Will be edited offline', 'Will be deleted offline', 'Will get a reaction offline']) await send(alice, text);
    const edit = await idOf(bob, 'Will be edited offline');
    const del = await idOf(bob, 'Will be deleted offline');
    const react = await idOf(bob, 'Will get a reaction offline');

    // Watch bob's next connection: its `sync` and the answer.
    const frames = { sent: [], received: [] };
    bob.on('websocket', (ws) => {
      ws.on('framesent', ({ payload }) => frames.sent.push(JSON.parse(payload)));
      ws.on('framereceived', ({ payload }) => frames.received.push(JSON.parse(payload)));
    });
    await bob.context().setOffline(true);
    await bob.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor();
    const token = await server.token('alice');
    const chatId = Number(await bob.getByTestId('chat-view').getAttribute('data-chat-id'));
    const before = (await server.api('GET', `/api/v1/chats/${chatId}`, { token })).last_change;
    await server.api('PATCH', `/api/v1/messages/${edit}`, { token, json: { text: 'Edited while bob was away' } });
    await server.api('DELETE', `/api/v1/messages/${del}`, { token });
    await server.api('PUT', `/api/v1/messages/${react}/reactions/${encodeURIComponent('🎉')}`, { token });
    await byId(alice, del).getByTestId('message-deleted').waitFor();

    await bob.context().setOffline(false);
    await waitOnline(bob);
    await byId(bob, edit).getByTestId('message-text').getByText('Edited while bob was away', { exact: true }).waitFor();
    await byId(bob, edit).getByTestId('message-edited').waitFor();
    await byId(bob, del).getByTestId('message-deleted').waitFor();
    await chip(byId(bob, react), '🎉', '[data-count="1"][data-mine="false"]').waitFor();
    const texts = await messageTexts(bob);
    assert.equal(texts.filter((x) => x === 'Will get a reaction offline').length, 1, 'no duplicates');
    assert.equal(texts.filter((x) => x === 'Will be deleted offline').length, 0);

    // The resume asked by change number, from where bob's page was, and got exactly the three changes.
    const sync = frames.sent.find((f) => f.action === 'sync');
    assert.ok(sync, 'bob sent sync');
    assert.equal(sync.data.changes[String(chatId)], before, 'the cursor is the last change bob applied');
    const answer = frames.received.find((f) => f.type === 'sync');
    const entry = answer.data.chats.find((c) => c.chat_id === chatId);
    assert.equal(entry.resync_required, false);
    assert.deepEqual(entry.messages.map((m) => String(m.id)).sort(), [edit, del, react].sort());
    assert.equal(entry.last_change, before + 3);
  });

  it('screenshots: a thread with a reply, an edited message, a tombstone and reactions, desktop and phone', async (t) => {
    await openChat(alice, 'bob');
    const works = confirmed(alice, 'Works for me');
    await works.scrollIntoViewIfNeeded();
    await works.locator('.bubble').hover();
    await works.getByTestId('message-reply-button').click();
    await alice.getByTestId('composer-context').filter({ hasText: 'Reply to bob' }).waitFor();
    await alice.getByTestId('composer-input').fill('On my way');
    await alice.mouse.move(5, 790);
    await new Promise((r) => setTimeout(r, 300)); // the send button's fade-in
    await screenshot(alice, '11-changes-thread');
    await alice.getByTestId('composer-input').fill('');
    await alice.getByTestId('composer-input').press('Escape');
    await alice.getByTestId('composer-context').waitFor({ state: 'hidden' });
    await openMenu(alice, confirmed(alice, 'Works for me'));
    await alice.getByTestId('menu-reply').waitFor();
    assert.equal(await alice.getByTestId('menu-edit').count(), 0);
    await screenshot(alice, '12-changes-menu');
    await alice.keyboard.press('Escape');
    await alice.getByTestId('message-menu').waitFor({ state: 'hidden' });

    const phone = await openPage(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await login(phone, 'alice');
      await openChat(phone, 'bob');
      const works = confirmed(phone, 'Works for me');
      await works.scrollIntoViewIfNeeded();
      await longPress(phone, works);
      const menu = phone.getByTestId('message-menu');
      await menu.waitFor({ state: 'visible' });
      await phone.getByTestId('menu-reply').waitFor();
      await screenshot(phone, '13-changes-phone-menu');
      const sheet = await menu.boundingBox();
      assert.ok(sheet.x >= 0 && sheet.x + sheet.width <= 390, `the menu fits the screen (${JSON.stringify(sheet)})`);
      await phone.locator('[data-testid="reaction-option"][data-emoji="🎉"]').click();
      await chip(works, '🎉', '[data-mine="true"]').waitFor();
      await chip(confirmed(bob, 'Works for me'), '🎉', '[data-count="1"]').waitFor();
      // Replying from the phone: the preview bar, then the quote.
      await longPress(phone, works);
      await phone.getByTestId('menu-reply').click();
      await phone.getByTestId('composer-context').filter({ hasText: 'Reply to bob' }).waitFor();
      await send(phone, 'See you there');
      await confirmed(bob, 'See you there').getByTestId('reply-quote').filter({ hasText: 'Works for me' }).waitFor();
      await confirmed(phone, 'See you there').waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal overflow (${width}px)`);
      await screenshot(phone, '14-changes-phone-thread');
      assert.deepEqual(phone.errors, []);
    } finally {
      await phone.context().close();
    }
  });

  it('had no script errors', (t) => {
    assert.deepEqual(alice.errors, []);
    assert.deepEqual(bob.errors, []);
  });
});
