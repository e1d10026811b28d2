// Message search in a real browser against a real server: the box over the chat list finds messages as you
// type (the last word as a prefix), shows snippets with the matching words highlighted, pages with "Load more",
// keeps only the newest query's answer, and opens a chat at a message far back in its history (loaded around
// it, then growing both ways as you scroll) — at desktop and at phone width.

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

const TARGET = 'The quarterly budget is approved';
const EARLIER = 40; // written before the target: it has history on both sides
const FILLERS = 80; // written after the target: it is far from the newest page

const results = (page) => page.getByTestId('search-result');
const status = (page) => page.getByTestId('search-status');

async function isInView(page, locator) {
  const box = await locator.boundingBox();
  const pane = await page.getByTestId('message-scroller').boundingBox();
  return !!box && box.y >= pane.y - 1 && box.y + box.height <= pane.y + pane.height + 1;
}

/** Scrolls the open chat to its bottom until `check` holds (newer pages load on the way). */
async function scrollDownUntil(page, check, message) {
  await eventually(
    async () => {
      await page.getByTestId('message-scroller').evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      return check();
    },
    { timeout: 20_000, interval: 300, message },
  );
}

async function search(page, text, { delay = 0 } = {}) {
  const input = page.getByTestId('search-input');
  await input.fill('');
  if (delay) await input.pressSequentially(text, { delay });
  else await input.fill(text);
}

/** The filler numbers shown in the open chat, in order. */
async function fillerNumbers(page) {
  return (await messageTexts(page)).filter((t) => /^filler #\d+$/.test(t)).map((t) => Number(t.slice(8)));
}

function assertRun(numbers, last) {
  assert.ok(numbers.length > 0, 'some fillers shown');
  assert.equal(numbers[numbers.length - 1], last, `ends at filler #${last}: ${numbers}`);
  numbers.forEach((n, i) => i && assert.equal(n, numbers[i - 1] + 1, `contiguous, no duplicates: ${numbers}`));
}

describe('WinDI web app: message search', () => {
  let server;
  let browser;
  let alice;
  let bob;
  let target; // the message found, as the server stored it

  before(async () => {
    server = new Server();
    server.seed();
    await server.start();
    const token = await server.token('alice');
    const chats = await server.api('GET', '/api/v1/chats/', { token });
    const team = chats.find((c) => c.type === 'group');
    const withBob = chats.find((c) => c.type === 'private' && c.members.some((m) => m.username === 'bob'));
    const post = (chatId, text) =>
      server.api('POST', '/api/v1/messages/', { token, json: { chat_id: chatId, text, client_message_id: `search-${chatId}-${text}` } });
    await post(withBob.id, 'Did you see the budget numbers?');
    for (let i = 1; i <= EARLIER; i++) await post(team.id, `earlier #${i}`);
    target = await post(team.id, TARGET);
    for (let i = 1; i <= FILLERS; i++) await post(team.id, `filler #${i}`);

    browser = await launchBrowser();
    alice = await openPage(browser, server);
    bob = await openPage(browser, server);
    await login(alice, 'alice');
    await login(bob, 'bob');
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    console.log(`screenshots: ${SCREENSHOTS}`);
  });

  it('finds messages as you type, in place of the chat list, with the words found highlighted', async () => {
    await chatItem(alice, 'WinDI Team').waitFor();
    await search(alice, 'budg', { delay: 80 }); // a prefix of "budget": the last word matches while typing
    await eventually(async () => (await results(alice).count()) === 2, { message: 'two messages with "budget"' });
    assert.equal(await alice.getByTestId('chat-item').count(), 0, 'no chat is named like that: the chat list makes room');
    assert.equal(await alice.getByTestId('chats-heading').isVisible(), false);

    const first = results(alice).first(); // newest first
    assert.equal(await first.getAttribute('data-message-id'), String(target.id));
    assert.equal(await first.getByTestId('search-result-chat').textContent(), 'WinDI Team');
    assert.equal(await first.getByTestId('search-result-sender').textContent(), 'You');
    assert.notEqual(await first.getByTestId('search-result-time').textContent(), '');
    assert.equal(await first.getByTestId('search-snippet').textContent(), TARGET);
    assert.deepEqual(await first.getByTestId('search-hit').allTextContents(), ['budget']);
    const second = results(alice).nth(1);
    assert.equal(await second.getByTestId('search-result-chat').textContent(), 'bob');
    assert.deepEqual(await second.getByTestId('search-hit').allTextContents(), ['budget']);

    // Typing on narrows the results down: every word must match.
    await alice.getByTestId('search-input').pressSequentially('et appro', { delay: 80 });
    await eventually(async () => (await results(alice).count()) === 1, { message: 'only the approved budget' });
    assert.deepEqual(await results(alice).first().getByTestId('search-hit').allTextContents(), ['budget', 'approved']);
    await screenshot(alice, '21-search-results');
  });

  it('shows only the answer to the newest query, even when an older one answers later', async () => {
    let delayed = 0;
    await alice.route('**/api/v1/messages/search?*', async (route) => {
      if (new URL(route.request().url()).searchParams.get('q') === 'numbers') {
        delayed += 1;
        await new Promise((r) => setTimeout(r, 1500));
      }
      await route.continue();
    });
    await search(alice, 'numbers');
    await eventually(() => delayed === 1, { message: 'the slow query sent' });
    await search(alice, 'quarterly');
    await eventually(async () => (await results(alice).count()) === 1, { message: 'the newer query answered' });
    await alice.waitForTimeout(2000); // the older answer has come back meanwhile
    assert.equal(await results(alice).first().getAttribute('data-message-id'), String(target.id));
    assert.deepEqual(await results(alice).first().getByTestId('search-hit').allTextContents(), ['quarterly']);
    await alice.unroute('**/api/v1/messages/search?*');
  });

  it('opens the chat at a message far back, loaded around it, and scrolling down reaches the newest', async () => {
    await search(alice, 'budget appr');
    await eventually(async () => (await results(alice).count()) === 1, { message: 'the target found' });
    await results(alice).first().locator('button').click();
    const li = alice.locator(`[data-testid="message"][data-message-id="${target.id}"]`);
    await alice.locator(`[data-testid="message"].flash[data-message-id="${target.id}"]`).waitFor(); // briefly highlighted
    await alice.getByTestId('chat-title').filter({ hasText: 'WinDI Team' }).waitFor();
    await eventually(() => isInView(alice, li), { message: 'the message found in view' });
    assert.equal(await messageByText(alice, `filler #${FILLERS}`).count(), 0, 'the newest messages are not loaded');
    assert.equal(await messageByText(alice, 'earlier #1').count(), 0, 'nor the oldest');
    assert.equal(await messageByText(alice, `earlier #${EARLIER}`).count(), 1, 'the history around it is');
    assert.equal(await messageByText(alice, 'filler #1').count(), 1);
    assert.equal(await alice.getByTestId('history-end').getAttribute('data-state'), 'more');
    assert.equal(await alice.getByTestId('jump-latest').isVisible(), true);
    assert.equal(await alice.getByTestId('search-result').first().getAttribute('class'), 'search-result active');
    await screenshot(alice, '22-search-opened');

    // bob writes meanwhile: it waits for alice's window to reach the newest message rather than joining below it.
    await openChat(bob, 'WinDI Team');
    await send(bob, 'Live while alice reads the past');
    await messageByText(bob, 'Live while alice reads the past').locator('[data-status="sent"], [data-status="read"]').waitFor();
    await alice.waitForTimeout(500);
    assert.equal(await messageByText(alice, 'Live while alice reads the past').count(), 0);
    assert.equal((await fillerNumbers(alice)).includes(FILLERS), false);

    await scrollDownUntil(alice, async () => (await messageByText(alice, 'Live while alice reads the past').count()) === 1, 'the newest message');
    assertRun(await fillerNumbers(alice), FILLERS);
    const texts = await messageTexts(alice);
    assert.equal(texts[texts.length - 1], 'Live while alice reads the past');
    assert.equal(texts.filter((t) => t === TARGET).length, 1);
    await eventually(async () => (await alice.getByTestId('history-end').getAttribute('data-state')) === '', { message: 'at the end' });
    // Now at the newest: live messages join again, and bob sees his message read.
    await send(bob, 'And one more, live');
    await messageByText(alice, 'And one more, live').waitFor();
    await messageByText(bob, 'And one more, live').locator('[data-testid="message-status"][data-status="read"]').waitFor();

    // Scrolling up from the message found still reaches the beginning.
    await scrollToBeginning(alice, 'Welcome to the team chat, everyone!', { timeout: 20_000 });
    const earlier = (await messageTexts(alice)).filter((t) => t.startsWith('earlier #'));
    assert.deepEqual(earlier, Array.from({ length: EARLIER }, (_, i) => `earlier #${i + 1}`));
  });

  it('goes back to the newest messages with ↓ or when sending from a window further back', async () => {
    await alice.reload(); // a fresh page: the open chat holds only its newest messages
    await waitOnline(alice);
    const openFound = async () => {
      await search(alice, 'quarterly');
      await eventually(async () => (await results(alice).count()) === 1, { message: 'found' });
      await results(alice).first().locator('button').click();
      await alice.locator('[data-testid="history-end"][data-state="more"]').waitFor();
      await eventually(() => isInView(alice, alice.locator(`[data-testid="message"][data-message-id="${target.id}"]`)), {
        message: 'the message found in view',
      });
    };
    await openFound();
    await alice.getByTestId('jump-latest').click();
    await messageByText(alice, 'And one more, live').waitFor();
    await eventually(() => isInView(alice, messageByText(alice, 'And one more, live')), { message: 'the newest in view' });
    assert.equal(await messageByText(alice, TARGET).count(), 0);

    await openFound();
    await send(alice, 'Back to the present');
    await messageByText(alice, 'Back to the present').waitFor();
    await messageByText(alice, 'And one more, live').waitFor();
    await eventually(async () => (await alice.getByTestId('history-end').getAttribute('data-state')) === '', { message: 'at the end' });
    const texts = await messageTexts(alice);
    assert.equal(texts[texts.length - 1], 'Back to the present');
    await messageByText(bob, 'Back to the present').waitFor();
  });

  it('pages through many results with "Load more" and by scrolling to the end', async () => {
    await search(alice, 'filler');
    await eventually(async () => (await results(alice).count()) === 20, { message: 'the first page' });
    // A click without scrolling the button into view first (which would load the next page by itself).
    await alice.getByTestId('search-more').evaluate((el) => el.click());
    await eventually(async () => (await results(alice).count()) === 40, { message: 'the second page' });
    await alice.getByTestId('sidebar-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await eventually(async () => (await results(alice).count()) === 60, { message: 'the third page, by scrolling' });
    const ids = await results(alice).evaluateAll((els) => els.map((e) => Number(e.dataset.messageId)));
    assert.equal(new Set(ids).size, ids.length, 'no result twice');
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  });

  it('says so when nothing matches, hints when there is no word yet, and Escape or ✕ bring the chat list back', async () => {
    await search(alice, 'zebrafinch');
    await status(alice).filter({ hasText: 'No messages found' }).waitFor();
    assert.equal(await results(alice).count(), 0);

    await search(alice, '-budget');
    await status(alice).filter({ hasText: 'Type a word to search for' }).waitFor();
    assert.equal(await status(alice).getAttribute('data-kind'), 'hint');
    assert.equal(await alice.getByTestId('toast').count(), 0, 'no error toast');

    await alice.getByTestId('search-input').press('Escape');
    await alice.getByTestId('search-panel').waitFor({ state: 'hidden' });
    assert.equal(await alice.getByTestId('search-input').inputValue(), '');
    await eventually(async () => (await alice.getByTestId('chat-item').count()) === 3, { message: 'the whole chat list' });

    // The box also filters the chats by name, above the messages found.
    await search(alice, 'bo');
    await chatItem(alice, 'bob').waitFor();
    assert.equal(await alice.getByTestId('chat-item').count(), 1);
    assert.equal(await alice.getByTestId('chats-heading').isVisible(), true);
    await alice.getByTestId('search-clear').click();
    await alice.getByTestId('search-panel').waitFor({ state: 'hidden' });
    await eventually(async () => (await alice.getByTestId('chat-item').count()) === 3, { message: 'the chat list again' });
  });

  it('finds Russian word forms', async () => {
    await openChat(alice, 'bob');
    await send(alice, 'Новые сообщения готовы');
    await messageByText(alice, 'Новые сообщения готовы').locator('[data-testid="message-status"]').waitFor();
    await search(alice, 'сообщение');
    await eventually(async () => (await results(alice).count()) === 1, { message: 'the Russian message' });
    assert.deepEqual(await results(alice).first().getByTestId('search-hit').allTextContents(), ['сообщения']);
    assert.equal(await results(alice).first().getByTestId('search-result-chat').textContent(), 'bob');
  });

  it('opens a result with the keyboard', async () => {
    await search(alice, '');
    await openChat(alice, 'bob');
    await search(alice, 'quarterly');
    await eventually(async () => (await results(alice).count()) === 1, { message: 'one result' });
    await alice.getByTestId('search-input').press('ArrowDown');
    assert.equal(await results(alice).first().locator('button').evaluate((el) => el === document.activeElement), true);
    await alice.keyboard.press('Enter');
    await alice.getByTestId('chat-title').filter({ hasText: 'WinDI Team' }).waitFor();
    await eventually(() => isInView(alice, alice.locator(`[data-testid="message"][data-message-id="${target.id}"]`)), {
      message: 'the message found in view',
    });
  });

  it('works at phone width: a result opens the chat screen, and back returns to the results', async () => {
    const phone = await openPage(browser, server, { viewport: { width: 390, height: 844 }, isMobile: true });
    await login(phone, 'alice');
    await chatItem(phone, 'WinDI Team').waitFor();
    await search(phone, 'budg', { delay: 80 });
    await eventually(async () => (await results(phone).count()) === 2, { message: 'two results' });
    await screenshot(phone, '23-phone-search');

    await results(phone).first().locator('button').click();
    await phone.locator(`[data-testid="message"].flash[data-message-id="${target.id}"]`).waitFor();
    await phone.getByTestId('chat-view').waitFor({ state: 'visible' });
    assert.equal(await phone.getByTestId('sidebar').isVisible(), false);
    const li = phone.locator(`[data-testid="message"][data-message-id="${target.id}"]`);
    await eventually(() => isInView(phone, li), { message: 'the message found in view' });
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal overflow (${width}px)`);
    await screenshot(phone, '24-phone-opened');

    await scrollDownUntil(phone, async () => (await messageByText(phone, 'Back to the present').count()) === 1, 'the newest message');
    assertRun(await fillerNumbers(phone), FILLERS);

    await phone.getByTestId('back-button').click();
    await phone.getByTestId('search-panel').waitFor({ state: 'visible' });
    assert.equal(await phone.getByTestId('search-input').inputValue(), 'budg');
    assert.equal(await results(phone).count(), 2);
    assert.equal(await results(phone).first().isVisible(), true);
    assert.match((await results(phone).first().getAttribute('class')) || '', /\bactive\b/, 'the result opened is marked');

    // Further down a long list of results: back returns to the same place in it.
    await search(phone, 'filler');
    await eventually(async () => (await results(phone).count()) === 20, { message: 'a page of fillers' });
    const scroll = phone.getByTestId('sidebar-scroll');
    await scroll.evaluate((el) => {
      el.scrollTop = 500;
    });
    const picked = results(phone).nth(10);
    const id = await picked.getAttribute('data-message-id');
    const top = await scroll.evaluate((el) => el.scrollTop);
    await picked.locator('button').click();
    await phone.locator(`[data-testid="message"][data-message-id="${id}"]`).waitFor();
    await phone.getByTestId('back-button').click();
    await phone.getByTestId('search-panel').waitFor({ state: 'visible' });
    assert.equal(await scroll.evaluate((el) => el.scrollTop), top);
    assert.equal(await picked.isVisible(), true);
    await screenshot(phone, '25-phone-back');
    assert.deepEqual(phone.errors, []);
    await phone.context().close();
  });

  it('had no script errors', () => {
    assert.deepEqual(alice.errors, []);
    assert.deepEqual(bob.errors, []);
  });
});
