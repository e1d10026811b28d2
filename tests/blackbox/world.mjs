// What the fuzzer knows about the server's state: its users (actors), the chats and messages each one owns,
// and which of them an outsider must never reach. Valid requests take their ids from here.

import { pickText, EMOJI } from './samples.mjs';

export const ROLES = ['member', 'peer', 'auditor', 'outsider', 'friend', 'spare'];

export class World {
  constructor(seed) {
    this.seed = seed;
    this.actors = {}; // role -> {role, id, username, password, email, token}
    this.counter = 0;
    // Chats and messages of the members' side (the outsider is in none of them) and of the outsider's side.
    this.side = { member: { chats: new Map(), messages: new Map() }, outsider: { chats: new Map(), messages: new Map() } };
    this.userIds = new Set(); // users that members may add to chats (never the auditor or the outsider)
    this.usernames = [];
    this.clientIds = []; // client_message_ids already used, by sender id: [senderId, id]
  }

  unique(prefix) {
    this.counter += 1;
    return `${prefix}${this.seed.toString(36)}${this.counter.toString(36)}`;
  }

  sideOf(role) {
    return role === 'outsider' || role === 'friend' ? this.side.outsider : this.side.member;
  }

  /** Ids an outsider must never get a 2xx for. */
  isProtectedChat(id) {
    return this.side.member.chats.has(Number(id));
  }

  isProtectedMessage(id) {
    return this.side.member.messages.has(Number(id));
  }

  addChat(role, chat) {
    if (!chat || typeof chat.id !== 'number') return;
    const side = this.sideOf(role);
    // A chat the outsider is in is never the members' secret.
    const outsiderIn = (chat.members ?? []).some((m) => (m.id ?? m.user_id) === this.actors.outsider?.id);
    const target = outsiderIn ? this.side.outsider : side;
    if (!target.chats.has(chat.id)) target.chats.set(chat.id, { id: chat.id, type: chat.type, messages: [] });
  }

  addMessage(role, message) {
    if (!message || typeof message.id !== 'number') return;
    for (const side of [this.side.member, this.side.outsider]) {
      const chat = side.chats.get(message.chat_id);
      if (!chat) continue;
      if (!side.messages.has(message.id)) {
        side.messages.set(message.id, { id: message.id, chat_id: message.chat_id });
        chat.messages.push(message.id);
      }
      return;
    }
  }

  addUser(user) {
    if (!user || typeof user.id !== 'number') return;
    const special = [this.actors.auditor?.id, this.actors.outsider?.id];
    if (!special.includes(user.id)) this.userIds.add(user.id);
    if (user.username) this.usernames.push(user.username);
  }

  /** Hints for the schema generator, from `role`'s point of view, around one chosen chat. */
  hints(role, rng, { chat } = {}) {
    const world = this;
    const side = this.sideOf(role);
    const chats = [...side.chats.values()];
    const ctx = { chat: chat ?? (chats.length ? rng.pick(chats) : null) };
    const pickMessage = () => {
      const own = ctx.chat?.messages ?? [];
      if (own.length && rng.chance(0.8)) return rng.pick(own.slice(-50));
      const all = [...side.messages.keys()];
      return all.length ? rng.pick(all) : undefined;
    };
    const pickUser = () => {
      const ids = [...world.userIds];
      return ids.length ? rng.pick(ids) : undefined;
    };
    ctx.value = (name, schema) => {
      switch (name) {
        case 'chat_id':
          return ctx.chat?.id;
        case 'message_id':
        case 'reply_to':
          if (name === 'reply_to' && rng.chance(0.6)) return null;
          return pickMessage();
        case 'user_id':
        case 'recipient_id':
        case 'member_ids[]':
          return pickUser();
        case 'member_ids':
          return Array.from({ length: rng.int(0, 3) }, pickUser).filter((x) => x !== undefined);
        case 'text':
          return pickText(rng);
        case 'client_message_id': {
          if (rng.chance(0.08) && world.clientIds.length) return rng.pick(world.clientIds);
          if (rng.chance(0.05)) return null;
          const id = world.unique('cm-');
          world.clientIds.push(id);
          return id;
        }
        case 'username':
          return world.unique('bb_');
        case 'email':
          return `${world.unique('bb')}@example.com`;
        case 'password':
          return `pw-${rng.hex(10)}`;
        case 'name':
          return rng.chance(0.5) ? `group ${rng.hex(4)}` : pickText(rng).slice(0, 100) || 'g';
        case 'emoji':
          return rng.pick(EMOJI);
        case 'q':
          return world.usernames.length ? rng.pick(world.usernames).slice(0, rng.int(0, 6)) : '';
        case 'limit':
          return rng.int(1, schema.maximum ?? 50);
        default:
          return undefined;
      }
    };
    return ctx;
  }
}
