"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, once, within, record, until, sleep, ack } = require("./harness");

const only = (seen, event) => seen.filter((e) => e.event === event).map((e) => e.args[0]);

describe("read receipts and reactions", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  /** Connects and joins `conv` for each user; returns the sockets in order. */
  async function joined(conv, ...users) {
    const out = [];
    for (const u of users) {
      const sock = await connect(s.client(server, u));
      assert.deepEqual(await ack(sock, "joinConversation", { conversationId: conv }), { ok: true });
      out.push(sock);
    }
    return out;
  }

  it("markConversationRead: ack, readReceipt to the room except the calling socket, stored per user", async () => {
    const [alice1, alice2, bob1, bob2] = await joined("c1", "alice", "alice", "bob", "bob");
    const carol = await connect(s.client(server, "carol"));
    const m1 = (await ack(alice1, "sendMessage", { conversationId: "c1", content: "one", clientMessageId: "rr-1" })).message;
    const m2 = (await ack(alice1, "sendMessage", { conversationId: "c1", content: "two", clientMessageId: "rr-2" })).message;
    const seen = { alice1: record(alice1), alice2: record(alice2), bob1: record(bob1), bob2: record(bob2), carol: record(carol) };

    assert.deepEqual(await ack(bob1, "markConversationRead", { conversationId: "c1", messageId: m2.id }), { ok: true });
    const receipt = { conversationId: "c1", userId: "bob", messageId: m2.id };
    for (const name of ["alice1", "alice2", "bob2"]) {
      await until(() => only(seen[name], "readReceipt").length === 1, 2000, `readReceipt at ${name}`);
      assert.deepEqual(only(seen[name], "readReceipt"), [receipt]);
    }
    await sleep(100);
    assert.deepEqual(only(seen.bob1, "readReceipt"), [], "not to the calling socket");
    assert.deepEqual(only(seen.carol, "readReceipt"), [], "not outside the room");

    let state = await server.control("GET", "/control/state");
    assert.deepEqual(state.readPositions.bob, { c1: m2.id });
    assert.deepEqual(state.readPositions.carol, {}, "every fixture user is listed");

    // the position is the last message marked (not a maximum)
    assert.deepEqual(await ack(alice2, "markConversationRead", { conversationId: "c1", messageId: m1.id }), { ok: true });
    assert.deepEqual(await ack(bob2, "markConversationRead", { conversationId: "c1", messageId: m1.id }), { ok: true });
    await until(() => only(seen.bob1, "readReceipt").length === 2, 2000, "receipts at bob1");
    assert.deepEqual(only(seen.bob1, "readReceipt"), [
      { conversationId: "c1", userId: "alice", messageId: m1.id },
      { conversationId: "c1", userId: "bob", messageId: m1.id },
    ]);
    state = await server.control("GET", "/control/state");
    assert.deepEqual(state.readPositions.bob, { c1: m1.id });
    assert.deepEqual(state.readPositions.alice, { c1: m1.id });
  });

  it("markConversationRead refusals", async () => {
    const [alice] = await joined("c2", "alice");
    const carol = await connect(s.client(server, "carol"));
    const inC2 = (await ack(alice, "sendMessage", { conversationId: "c2", content: "x", clientMessageId: "rr-ref" })).message;
    const code = async (sock, payload) => (await ack(sock, "markConversationRead", payload)).error.code;
    assert.equal(await code(alice, { conversationId: "c1", messageId: inC2.id }), "not_found", "message of another conversation");
    assert.equal(await code(alice, { conversationId: "c2", messageId: "m999999" }), "not_found");
    assert.equal(await code(alice, { conversationId: "zz", messageId: inC2.id }), "not_found");
    assert.equal(await code(alice, { conversationId: "c3", messageId: inC2.id }), "forbidden");
    assert.equal(await code(alice, { conversationId: "c2" }), "bad_request");
    assert.equal(await code(alice, { conversationId: "c2", messageId: 7 }), "bad_request");
    assert.equal(await code(alice, { messageId: inC2.id }), "bad_request");
    assert.equal(await code(alice, "c2"), "bad_request");
    assert.equal((await ack(alice, "markConversationRead")).error.code, "bad_request");
    assert.deepEqual(await ack(carol, "markConversationRead", { conversationId: "c2", messageId: inC2.id }), { ok: true });
  });

  it("reactions: broadcast once per change, idempotent add, silent remove of nothing", async () => {
    const [bob1, bob2, carol] = await joined("c3", "bob", "bob", "carol");
    const m = (await ack(carol, "sendMessage", { conversationId: "c3", content: "react", clientMessageId: "re-1" })).message;
    const seen = { bob1: record(bob1), bob2: record(bob2), carol: record(carol) };
    const base = { conversationId: "c3", messageId: m.id };

    assert.deepEqual(await ack(bob1, "addReaction", { ...base, emoji: "👍" }), { ok: true });
    assert.deepEqual(await ack(bob1, "addReaction", { ...base, emoji: "👍" }), { ok: true }, "twice: ok");
    assert.deepEqual(await ack(bob2, "addReaction", { ...base, emoji: "👍" }), { ok: true }, "from another socket of bob: ok");
    assert.deepEqual(await ack(carol, "addReaction", { ...base, emoji: "👍" }), { ok: true });
    assert.deepEqual(await ack(carol, "addReaction", { ...base, emoji: "🎉" }), { ok: true });
    let state = await server.control("GET", "/control/state");
    assert.deepEqual(state.reactions[m.id], { "👍": ["bob", "carol"], "🎉": ["carol"] });

    assert.deepEqual(await ack(bob2, "removeReaction", { ...base, emoji: "👍" }), { ok: true });
    assert.deepEqual(await ack(bob1, "removeReaction", { ...base, emoji: "👍" }), { ok: true }, "already gone: ok");
    assert.deepEqual(await ack(bob1, "removeReaction", { ...base, emoji: "🙃" }), { ok: true }, "never there: ok");

    const r = (userId, emoji, added) => ({ conversationId: "c3", messageId: m.id, userId, emoji, added });
    await until(() => only(seen.carol, "reaction").length === 2, 2000, "reactions at carol");
    await until(() => only(seen.bob1, "reaction").length === 3, 2000, "reactions at bob1");
    await sleep(100);
    assert.deepEqual(only(seen.carol, "reaction"), [r("bob", "👍", true), r("bob", "👍", false)]);
    assert.deepEqual(only(seen.bob1, "reaction"), [r("carol", "👍", true), r("carol", "🎉", true), r("bob", "👍", false)]);
    assert.deepEqual(only(seen.bob2, "reaction"), [r("bob", "👍", true), r("carol", "👍", true), r("carol", "🎉", true)]);
    state = await server.control("GET", "/control/state");
    assert.deepEqual(state.reactions[m.id], { "👍": ["carol"], "🎉": ["carol"] });
  });

  it("reaction refusals; emoji is 1..16 code points", async () => {
    const [alice] = await joined("c1", "alice");
    const m = (await ack(alice, "sendMessage", { conversationId: "c1", content: "x", clientMessageId: "re-ref" })).message;
    const code = async (event, payload) => {
      const res = await ack(alice, event, payload);
      return res.ok ? "ok" : res.error.code;
    };
    for (const event of ["addReaction", "removeReaction"]) {
      assert.equal(await code(event, { conversationId: "c1", messageId: m.id, emoji: "" }), "bad_request");
      assert.equal(await code(event, { conversationId: "c1", messageId: m.id }), "bad_request");
      assert.equal(await code(event, { conversationId: "c1", messageId: m.id, emoji: 5 }), "bad_request");
      assert.equal(await code(event, { conversationId: "c1", messageId: m.id, emoji: "x".repeat(17) }), "bad_request");
      assert.equal(await code(event, { conversationId: "c1", emoji: "x" }), "bad_request");
      assert.equal(await code(event, { conversationId: "c3", messageId: m.id, emoji: "x" }), "forbidden");
      assert.equal(await code(event, { conversationId: "c2", messageId: m.id, emoji: "x" }), "not_found");
      assert.equal(await code(event, { conversationId: "c1", messageId: "m0", emoji: "x" }), "not_found");
    }
    // 16 emoji = 16 code points but 32 UTF-16 units: accepted
    assert.equal(await code("addReaction", { conversationId: "c1", messageId: m.id, emoji: "😀".repeat(16) }), "ok");
    assert.equal(await code("addReaction", { conversationId: "c1", messageId: m.id, emoji: "😀".repeat(17) }), "bad_request");
    assert.equal(await code("removeReaction", { conversationId: "c1", messageId: m.id, emoji: "😀".repeat(16) }), "ok");
    const state = await server.control("GET", "/control/state");
    assert.equal(state.reactions[m.id], undefined, "no reactions left: no entry");
  });

  it("read positions and reactions survive a restart; control reset wipes them", async () => {
    const own = await s.server();
    const alice = await connect(s.client(own, "alice"));
    await ack(alice, "joinConversation", { conversationId: "c1" });
    const m = (await ack(alice, "sendMessage", { conversationId: "c1", content: "x", clientMessageId: "keep" })).message;
    await ack(alice, "markConversationRead", { conversationId: "c1", messageId: m.id });
    await ack(alice, "addReaction", { conversationId: "c1", messageId: m.id, emoji: "✅" });
    const back = once(alice, "connect");
    await own.control("POST", "/control/restart", { wait: true });
    let state = await own.control("GET", "/control/state");
    assert.deepEqual(state.readPositions.alice, { c1: m.id });
    assert.deepEqual(state.reactions, { [m.id]: { "✅": ["alice"] } });
    await within(3000, back, "reconnect");
    await own.control("POST", "/control/reset");
    state = await own.control("GET", "/control/state");
    assert.deepEqual(state.readPositions, { alice: {}, bob: {}, carol: {}, admin: {} });
    assert.deepEqual(state.reactions, {});
  });
});
