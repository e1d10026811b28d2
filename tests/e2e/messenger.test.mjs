// The web app in a real browser against a real server: two people (alice and bob, each in their own browser
// context) chat live; then a network drop, a server restart, phone width, and a new account.

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
  scrollToBeginning,
  send,
  waitOnline,
} from './harness.mjs';

function count(list, text) {
  return list.filter((t) => t === text).length;
}

describe('WinDI web app', () => {
  let server;
  let browser;
  let alice;
  let bob;

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

  it('serves the app at / and refuses a wrong password', async () => {
    await alice.goto('/');
    await alice.getByTestId('login-form').waitFor();
    await screenshot(alice, '01-login');
    await alice.getByTestId('login-username').fill('alice');
    await alice.getByTestId('login-password').fill('not-the-password');
    await alice.getByTestId('login-submit').click();
    await alice.getByTestId('auth-error').filter({ hasText: 'Wrong username or password' }).waitFor();
    assert.equal(await alice.getByTestId('app-screen').isVisible(), false);
  });

  it('signs in and lists the chats, newest activity first, with previews and unread counts', async () => {
    await login(alice, 'alice');
    await login(bob, 'bob');
    assert.equal(await alice.getByTestId('me-name').textContent(), 'alice');
    await eventually(async () => (await alice.getByTestId('chat-item').count()) === 3, { message: "alice's three chats" });
    const names = await alice.$$eval('[data-testid="chat-item"]', (els) => els.map((e) => e.dataset.chatName));
    assert.equal(names[0], 'WinDI Team', `newest first: ${names}`);
    assert.deepEqual([...names].sort(), ['WinDI Team', 'bob', 'charlie']);
    // The demo data leaves alice three unread messages in the team chat.
    assert.equal(await chatItem(alice, 'WinDI Team').getByTestId('chat-item-unread').textContent(), '3');
    assert.match(await chatItem(alice, 'WinDI Team').getByTestId('chat-item-preview').textContent(), /bob: /);
    // bob is online (his page is connected): a dot on the private chat.
    await chatItem(alice, 'bob').getByTestId('chat-item-online').and(alice.locator('.online')).waitFor();
    await screenshot(alice, '02-chat-list');
  });

  it('delivers a message live, counts it unread, and flips it from sent to read when opened', async () => {
    await openChat(alice, 'bob');
    assert.equal(await alice.getByTestId('chat-subtitle').textContent(), 'online');
    const bobsItem = chatItem(bob, 'alice');
    const before = Number((await bobsItem.getByTestId('chat-item-unread').textContent({ timeout: 500 }).catch(() => '0')) || 0);

    const text = 'Hi Bob, live from the browser';
    await send(alice, text);
    const mine = messageByText(alice, text);
    await mine.locator('[data-testid="message-status"][data-status="sent"]').waitFor();

    // bob has no chat open: the preview and the unread count move.
    await bobsItem.getByTestId('chat-item-preview').filter({ hasText: text }).waitFor();
    await bobsItem.getByTestId('chat-item-unread').filter({ hasText: String(before + 1) }).waitFor();
    assert.equal(await bob.locator('[data-testid="chat-item"]').first().getAttribute('data-chat-name'), 'alice');

    await openChat(bob, 'alice');
    await messageByText(bob, text).waitFor();
    await bobsItem.getByTestId('chat-item-unread').waitFor({ state: 'detached' });
    const status = mine.locator('[data-testid="message-status"]');
    await alice.locator('[data-testid="message-status"][data-status="read"]').filter({ hasText: 'Read' }).last().waitFor();
    assert.equal(await status.getAttribute('data-status'), 'read');
  });

  it('shows "bob is typing…" while bob types and clears it when he stops or sends', async () => {
    const input = bob.getByTestId('composer-input');
    await input.pressSequentially('I am typing a rep', { delay: 20 });
    const indicator = alice.getByTestId('typing-indicator');
    await indicator.filter({ hasText: 'bob is typing…' }).waitFor();
    await chatItem(alice, 'bob').getByTestId('chat-item-preview').filter({ hasText: 'typing…' }).waitFor();
    await screenshot(alice, '03-chat-typing-read');
    await input.fill('');
    await indicator.waitFor({ state: 'hidden' });

    await input.pressSequentially('Reply from bob', { delay: 20 });
    await indicator.waitFor({ state: 'visible' });
    await input.press('Enter');
    await messageByText(alice, 'Reply from bob').waitFor();
    await indicator.waitFor({ state: 'hidden' });
    // alice has the chat open, so bob sees his reply read.
    await messageByText(bob, 'Reply from bob').locator('[data-testid="message-status"][data-status="read"]').waitFor();
    await screenshot(bob, '04-chat-bob');
  });

  it('shows message text as text, never as HTML', async () => {
    const evil = '<img src=x onerror="window.__xss=1"> <b>not bold</b> <script>window.__xss=2</script>';
    await send(alice, evil);
    await messageByText(bob, evil).waitFor();
    assert.equal(await bob.locator('[data-testid="message-list"] img, [data-testid="message-list"] b, [data-testid="message-list"] script').count(), 0);
    assert.equal(await bob.evaluate(() => window.__xss), undefined);
    await chatItem(alice, 'bob').getByTestId('chat-item-preview').filter({ hasText: '<img src=x' }).waitFor();
    assert.equal(await alice.locator('[data-testid="chat-list"] img').count(), 0);
  });

  it('keeps the session and the open chat across a reload', async () => {
    await alice.reload();
    await alice.getByTestId('app-screen').waitFor({ state: 'visible' });
    assert.equal(await alice.getByTestId('auth-screen').isVisible(), false);
    await waitOnline(alice);
    await alice.getByTestId('chat-title').filter({ hasText: 'bob' }).waitFor();
    await messageByText(alice, 'Reply from bob').waitFor();
    const texts = await messageTexts(alice);
    assert.equal(count(texts, 'Hi Bob, live from the browser'), 1);
  });

  it('creates a group, manages its members and shows "read by N"', async () => {
    await alice.getByTestId('new-group-button').click();
    await alice.getByTestId('group-name-input').fill('E2E Group');
    await alice.getByTestId('group-search-input').fill('bo');
    await alice.locator('[data-testid="group-search-result"][data-username="bob"] button').click();
    await alice.getByTestId('group-search-input').fill('char');
    await alice.locator('[data-testid="group-search-result"][data-username="charlie"] button').click();
    assert.equal(await alice.getByTestId('group-chip').count(), 2);
    await alice.getByTestId('group-create-submit').click();
    await alice.getByTestId('chat-title').filter({ hasText: 'E2E Group' }).waitFor();
    await alice.getByTestId('chat-subtitle').filter({ hasText: '3 members' }).waitFor();

    await send(alice, 'Welcome to the group');
    const mine = messageByText(alice, 'Welcome to the group');
    await mine.locator('[data-testid="message-status"][data-status="sent"]').waitFor();

    // bob learns of the group from its first message.
    await chatItem(bob, 'E2E Group').getByTestId('chat-item-unread').filter({ hasText: '1' }).waitFor();
    await openChat(bob, 'E2E Group');
    await messageByText(bob, 'Welcome to the group').getByTestId('message-sender').filter({ hasText: 'alice' }).waitFor();
    await mine.locator('[data-testid="message-status"]').filter({ hasText: 'Read by 1' }).waitFor();

    // Members: remove charlie, add diana.
    await alice.getByTestId('members-button').click();
    const members = alice.getByTestId('member-item');
    await eventually(async () => (await members.count()) === 3, { message: 'three members' });
    await alice.locator('[data-testid="member-item"][data-username="charlie"] [data-testid="member-remove"]').click();
    await eventually(async () => (await members.count()) === 2, { message: 'charlie removed' });
    await alice.getByTestId('add-member-input').fill('di');
    await alice.locator('[data-testid="add-member-result"][data-username="diana"] button').click();
    await alice.locator('[data-testid="member-item"][data-username="diana"]').waitFor();
    const usernames = await alice.$$eval('[data-testid="member-item"]', (els) => els.map((e) => e.dataset.username).sort());
    assert.deepEqual(usernames, ['alice', 'bob', 'diana']);
    await alice.keyboard.press('Escape');
    await alice.getByTestId('members-dialog').waitFor({ state: 'hidden' });
    await alice.getByTestId('chat-subtitle').filter({ hasText: '3 members' }).waitFor();
    await mine.locator('[data-testid="message-status"]').filter({ hasText: 'Read by 1' }).waitFor();

    const stored = await server.api('GET', `/api/v1/chats/${await alice.getByTestId('chat-view').getAttribute('data-chat-id')}`, {
      token: await server.token('alice'),
    });
    assert.deepEqual(stored.members.map((m) => m.username).sort(), ['alice', 'bob', 'diana']);
  });

  it('starts a private chat by searching for a user', async () => {
    await bob.getByTestId('new-chat-button').click();
    await bob.getByTestId('user-search-input').fill('ev');
    await bob.locator('[data-testid="user-search-result"][data-username="eve"] button').click();
    await bob.getByTestId('chat-title').filter({ hasText: 'eve' }).waitFor();
    await chatItem(bob, 'eve').waitFor();
    await bob.getByTestId('history-edge').filter({ hasText: 'No messages yet' }).waitFor();
  });

  it('loads older history page by page as you scroll up', async () => {
    const token = await server.token('charlie');
    const chats = await server.api('GET', '/api/v1/chats/', { token });
    const chat = chats.find((c) => c.type === 'private' && c.members.some((m) => m.username === 'alice'));
    const total = 75;
    for (let i = 1; i <= total; i++) {
      await server.api('POST', '/api/v1/messages/', { token, json: { chat_id: chat.id, text: `history #${i}`, client_message_id: `hist-${i}` } });
    }
    await chatItem(alice, 'charlie').getByTestId('chat-item-preview').filter({ hasText: `history #${total}` }).waitFor();
    await openChat(alice, 'charlie');
    await messageByText(alice, `history #${total}`).waitFor();
    assert.equal(await messageByText(alice, 'history #1').count(), 0, 'the first page holds only the newest messages');
    await scrollToBeginning(alice, 'history #1');
    const texts = (await messageTexts(alice)).filter((t) => t.startsWith('history #'));
    assert.deepEqual(texts, Array.from({ length: total }, (_, i) => `history #${i + 1}`));
  });

  it('catches up after the network drops, without duplicates', async () => {
    await openChat(alice, 'bob');
    await openChat(bob, 'alice');
    await alice.context().setOffline(true);
    await alice.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor();
    await send(bob, 'Sent while alice was offline');
    await messageByText(bob, 'Sent while alice was offline').locator('[data-testid="message-status"][data-status="sent"]').waitFor();
    await alice.context().setOffline(false);
    await waitOnline(alice);
    await messageByText(alice, 'Sent while alice was offline').waitFor();
    await messageByText(bob, 'Sent while alice was offline').locator('[data-testid="message-status"][data-status="read"]').waitFor();
    assert.equal(count(await messageTexts(alice), 'Sent while alice was offline'), 1);
  });

  it('reloads the chat when too much was missed to replay (resync_required)', async () => {
    await alice.context().setOffline(true);
    await alice.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor();
    // More than the server replays on resume (500): alice's page must reload the history instead.
    const token = await server.token('bob');
    const chats = await server.api('GET', '/api/v1/chats/', { token });
    const chat = chats.find((c) => c.type === 'private' && c.members.some((m) => m.username === 'alice'));
    const total = 510;
    for (let i = 1; i <= total; i += 30) {
      await Promise.all(
        Array.from({ length: Math.min(30, total - i + 1) }, (_, k) =>
          server.api('POST', '/api/v1/messages/', { token, json: { chat_id: chat.id, text: `bulk #${i + k}`, client_message_id: `bulk-${i + k}` } }),
        ),
      );
    }
    const stored = await server.api('GET', `/api/v1/messages/history/${chat.id}?limit=1`, { token });
    const newest = stored[0].text;
    await alice.context().setOffline(false);
    await waitOnline(alice);
    await messageByText(alice, newest).waitFor();
    const texts = await messageTexts(alice);
    assert.equal(count(texts, newest), 1);
    const bulk = texts.filter((t) => t.startsWith('bulk #'));
    assert.equal(new Set(bulk).size, bulk.length, 'no duplicates');
    // The page holds a contiguous run ending at the newest message (in send order on the server).
    const history = await server.api('GET', `/api/v1/messages/history/${chat.id}?limit=${bulk.length}`, { token });
    assert.deepEqual(bulk, history.map((m) => m.text));
  });

  it('survives a server restart: nothing lost, nothing doubled', async () => {
    await send(alice, 'Before the restart');
    await messageByText(bob, 'Before the restart').waitFor();

    await server.stop();
    await alice.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor();
    await bob.locator('[data-testid="connection-status"]:not([data-state="online"])').waitFor();

    // Written while the server is down: kept as "sending" and sent after the reconnect.
    await send(bob, 'Bob wrote this while the server was down');
    await send(alice, 'Alice wrote this while the server was down');
    await messageByText(bob, 'Bob wrote this while the server was down').locator('[data-status="sending"]').waitFor();
    await screenshot(bob, '05-offline-sending');

    await server.restart();
    await waitOnline(alice, 30_000);
    await waitOnline(bob, 30_000);

    const expected = ['Before the restart', 'Bob wrote this while the server was down', 'Alice wrote this while the server was down'];
    for (const page of [alice, bob]) {
      for (const text of expected) await messageByText(page, text).waitFor({ timeout: 15_000 });
      await page.locator('[data-testid="message"][data-pending="true"]').waitFor({ state: 'detached' });
    }
    await send(alice, 'After the restart');
    await messageByText(bob, 'After the restart').waitFor();
    expected.push('After the restart');

    for (const page of [alice, bob]) {
      const texts = await messageTexts(page);
      for (const text of expected) assert.equal(count(texts, text), 1, `"${text}" once on one page, got ${count(texts, text)}`);
    }
    // The server stored each exactly once, and a fresh load agrees.
    const token = await server.token('alice');
    const chats = await server.api('GET', '/api/v1/chats/', { token });
    const chat = chats.find((c) => c.type === 'private' && c.members.some((m) => m.username === 'bob'));
    const history = await server.api('GET', `/api/v1/messages/history/${chat.id}?limit=100`, { token });
    for (const text of expected) assert.equal(history.filter((m) => m.text === text).length, 1, `stored once: ${text}`);
    await bob.reload();
    await waitOnline(bob);
    await messageByText(bob, 'After the restart').waitFor();
    const reloaded = await messageTexts(bob);
    for (const text of expected) assert.equal(count(reloaded, text), 1, `after reload: ${text}`);
  });

  it('works at phone width: the list and the chat one at a time', async () => {
    const phone = await openPage(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true });
    await login(phone, 'alice');
    await chatItem(phone, 'bob').waitFor();
    assert.equal(await phone.getByTestId('chat-view').isVisible(), false);
    await screenshot(phone, '06-phone-list');
    await openChat(phone, 'bob');
    assert.equal(await phone.getByTestId('chat-list').isVisible(), false);
    await messageByText(phone, 'After the restart').waitFor();
    await bob.getByTestId('composer-input').pressSequentially('typing to the phone', { delay: 20 });
    await phone.getByTestId('typing-indicator').filter({ hasText: 'bob is typing…' }).waitFor();
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal overflow (${width}px)`);
    await screenshot(phone, '07-phone-chat');
    await bob.getByTestId('composer-input').fill('');
    await phone.getByTestId('back-button').click();
    await phone.getByTestId('chat-list').waitFor({ state: 'visible' });
    assert.equal(await phone.getByTestId('chat-view').isVisible(), false);
    assert.deepEqual(phone.errors, []);
    await phone.context().close();
  });

  it('registers a new account, and logging out forgets the session', async () => {
    const page = await openPage(browser, server);
    await page.goto('/');
    await page.getByTestId('show-register').click();
    const username = `new_${Date.now().toString(36)}`;
    await page.getByTestId('register-username').fill(username);
    await page.getByTestId('register-email').fill(`${username}@example.com`);
    await page.getByTestId('register-password').fill('secret123');
    await page.getByTestId('register-submit').click();
    await page.getByTestId('me-name').filter({ hasText: username }).waitFor();
    await page.getByTestId('chat-list-empty').waitFor();
    await page.getByTestId('logout-button').click();
    await page.getByTestId('login-form').waitFor();
    await page.reload();
    await page.getByTestId('login-form').waitFor();
    assert.equal(await page.getByTestId('app-screen').isVisible(), false);
    await page.context().close();
  });

  it('had no script errors', () => {
    assert.deepEqual(alice.errors, []);
    assert.deepEqual(bob.errors, []);
  });
});
