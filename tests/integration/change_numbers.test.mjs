// Change numbers: every change to a chat (a message sent, edited, deleted, its reactions changed, a member
// added or removed, the group renamed) takes the chat's next number, without gaps, in commit order; what does
// not change anything (a repeated reaction, an unchanged edit, a repeated delete, a read receipt, typing) takes
// none. A member sees 1..N (after the number the chat had when they joined), and the chat's last_change is N.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachBackend } from './harness.mjs';
import { Client, connectedAs } from './ws_client.mjs';
import {
  addMember,
  barrier,
  changeSeqsSeen,
  deleted,
  edited,
  entryOf,
  fullHistory,
  getChat,
  reacted,
  removeMember,
  renamed,
  syncOnce,
  unreacted,
  waitMessageEvent,
} from './chat_events.mjs';

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

forEachBackend('change numbers', (ctx) => {
  const { api } = ctx;
  const base = () => ctx.server.baseUrl;

  it('a member sees every change of a chat numbered one after another, and last_change is the last of them', async () => {
    const [alice, bob, carol, dave] = await api.users(4, 'chg');
    const b = await Client.open(base(), { token: bob.token });
    await connectedAs(b);
    const group = await api.groupChat(alice, 'numbered', [bob, carol]);
    const created = await b.waitFor((e) => e.type === 'chat_created' && e.data.chat?.id === group.id, 'chat_created');
    const start = created.data.chat.last_change;
    assert.ok(Number.isInteger(start) && start >= 0, `a new chat starts at a change number: ${start}`);
    assert.equal(group.last_change, start, 'the creating answer and the event agree');

    // changes, in order, each awaited: sends (REST and socket), edits, reactions, deletes, membership, rename
    const m1 = await api.send(alice, group.id, 'one');
    b.send('send_message', { chat_id: group.id, text: 'two', client_message_id: 'two' });
    const m2 = (await b.waitFor((e) => e.type === 'message_sent', 'ack')).data;
    const m3 = await api.send(carol, group.id, 'three');
    await edited(api, alice, m1.id, 'one, edited');
    await reacted(api, bob, m1.id, '👍');
    await reacted(api, carol, m1.id, '👍');
    await unreacted(api, bob, m1.id, '👍');
    await deleted(api, carol, m3.id);
    await addMember(api, alice, group.id, dave);
    await renamed(api, alice, group.id, 'renumbered');
    await removeMember(api, alice, group.id, dave);
    // none of these is a change
    await reacted(api, carol, m1.id, '👍');
    await edited(api, alice, m1.id, 'one, edited');
    await deleted(api, carol, m3.id);
    await unreacted(api, bob, m1.id, '🎉');
    b.send('typing', { chat_id: group.id, is_typing: true });
    const read = await api.post(`/api/v1/chats/${group.id}/read`, { token: carol.token });
    assert.equal(read.status, 200, read.text);
    // the last change
    const m4 = await api.send(bob, group.id, 'four');
    const n = start + 12;
    await waitMessageEvent(b, 'new_message', m4.id, 'the last change');

    const seen = changeSeqsSeen(b, group.id);
    assert.deepEqual(seen, range(start + 1, n), `bob saw every change once, in order: ${seen}`);
    assert.equal(m4.change_seq, n);
    assert.equal(m2.change_seq, start + 2, 'the socket ack carries the change number');

    assert.equal((await getChat(api, carol, group.id)).last_change, n);
    assert.equal((await api.chatFromList(alice, group.id)).last_change, n);
    const sync = await syncOnce(b, { changes: { [group.id]: n } });
    assert.equal(entryOf(sync, group.id).last_change, n);
    assert.deepEqual(entryOf(sync, group.id).messages, [], 'nothing after the newest change');

    // each message carries the number of its own last change
    const history = await fullHistory(api, bob, group.id);
    assert.deepEqual(
      history.map((m) => [m.seq, m.change_seq]),
      [
        [1, start + 7], // m1: sent, edited, reacted x2, unreacted: its last change is the unreact
        [2, start + 2],
        [3, start + 8], // m3: deleted
        [4, n],
      ],
    );
    b.close();
  });

  it('concurrent changes from many members still take every number exactly once', async () => {
    const users = await api.users(5, 'chgc');
    const [alice, ...rest] = users;
    const group = await api.groupChat(alice, 'busy', rest);
    const watcher = await Client.open(base(), { token: rest[0].token });
    await connectedAs(watcher);
    const base0 = await api.send(alice, group.id, 'base');
    const targets = [];
    for (let i = 0; i < 4; i++) targets.push(await api.send(users[i], group.id, `target ${i}`));
    const before = (await getChat(api, alice, group.id)).last_change;
    assert.equal(before, targets.at(-1).change_seq);

    const jobs = [];
    for (let i = 0; i < 10; i++) jobs.push(() => api.send(users[i % 5], group.id, `burst ${i}`));
    for (let i = 0; i < 4; i++) jobs.push(() => edited(api, users[i], targets[i].id, `target ${i}, edited`));
    for (let i = 0; i < 5; i++) jobs.push(() => reacted(api, users[i], base0.id, ['👍', '🔥', '🎉', '👀', '💯'][i]));
    const results = await Promise.all(jobs.map((j) => j()));
    const numbers = results.map((r) => r.change_seq);
    // a reaction answer is the message after that reaction; with other reactions racing it may already carry a
    // later one of them, so count distinct numbers through the history instead
    const after = (await getChat(api, alice, group.id)).last_change;
    assert.equal(after, before + jobs.length, `one number per change: ${numbers}`);

    const history = await fullHistory(api, alice, group.id);
    const sendNumbers = results.slice(0, 10).map((m) => m.change_seq);
    const editNumbers = results.slice(10, 14).map((m) => m.change_seq);
    const all = [...sendNumbers, ...editNumbers];
    assert.equal(new Set(all).size, all.length, `distinct: ${all}`);
    for (const x of all) assert.ok(x > before && x <= after, `${x} in (${before}, ${after}]`);
    assert.equal(history.length, 15);

    // a member's connection saw each of the new numbers exactly once (arrival order may interleave)
    await watcher.waitFor(
      () => changeSeqsSeen(watcher, group.id).filter((c) => c > before).length >= jobs.length,
      'every change live',
    );
    const live = changeSeqsSeen(watcher, group.id).filter((c) => c > before).sort((p, q) => p - q);
    assert.deepEqual(live, range(before + 1, after));
    watcher.close();
  });

  it('numbers each chat on its own', async () => {
    const [alice, bob, carol] = await api.users(3, 'chgsep');
    const one = await api.privateChat(alice, bob);
    const two = await api.privateChat(alice, carol);
    const oneStart = one.last_change;
    const twoStart = two.last_change;
    const a = await Client.open(base(), { token: alice.token });
    await connectedAs(a);
    const x = await api.send(alice, one.id, 'x');
    await api.send(alice, two.id, 'y');
    await edited(api, alice, x.id, 'x2');
    await reacted(api, bob, x.id, '👍');
    await barrier(api, carol, two.id, [a]);
    assert.deepEqual(changeSeqsSeen(a, one.id), range(oneStart + 1, oneStart + 3));
    assert.deepEqual(changeSeqsSeen(a, two.id), range(twoStart + 1, twoStart + 2));
    assert.equal((await getChat(api, bob, one.id)).last_change, oneStart + 3);
    assert.equal((await getChat(api, carol, two.id)).last_change, twoStart + 2);
    a.close();
  });
});
