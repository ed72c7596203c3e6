"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, once, within, record, until, sleep, ack } = require("./harness");

const only = (seen, event) => seen.filter((e) => e.event === event).map((e) => e.args[0]);

describe("rate limiting", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("off by default; per socket, per event; a refused call is not carried out", async () => {
    const alice1 = await connect(s.client(server, "alice"));
    const alice2 = await connect(s.client(server, "alice"));
    for (let i = 0; i < 20; i++) assert.equal((await ack(alice1, "joinConversation", { conversationId: "c1" })).ok, true);

    const set = await server.control("POST", "/control/rate-limit", { event: "sendMessage", limit: 2, windowMs: 1500 });
    assert.deepEqual(set, { ok: true, rateLimits: { sendMessage: { limit: 2, windowMs: 1500 } }, status: 200 });
    const seen = record(alice1);
    const send = (sock, k) => ack(sock, "sendMessage", { conversationId: "c1", content: k, clientMessageId: k });
    assert.equal((await send(alice1, "rl-1")).ok, true);
    assert.equal((await send(alice1, "rl-2")).ok, true);
    const refused = await send(alice1, "rl-3");
    assert.equal(refused.ok, false);
    assert.deepEqual(Object.keys(refused.error), ["code", "message", "retryAfterMs"]);
    assert.equal(refused.error.code, "rate_limited");
    const { retryAfterMs } = refused.error;
    assert.ok(Number.isInteger(retryAfterMs) && retryAfterMs > 0 && retryAfterMs <= 1500, `retryAfterMs ${retryAfterMs}`);
    // rateLimited reached the socket before the ack
    assert.deepEqual(only(seen, "rateLimited"), [{ event: "sendMessage", retryAfterMs }]);
    // the refused call was not carried out, and a malformed call is refused too while limited
    assert.equal((await server.control("GET", "/control/state")).messages.some((m) => m.clientMessageId === "rl-3"), false);
    assert.equal((await ack(alice1, "sendMessage", {})).error.code, "rate_limited");
    // other events and other sockets of the same user are not affected
    assert.equal((await ack(alice1, "joinConversation", { conversationId: "c2" })).ok, true);
    assert.equal((await send(alice2, "rl-4")).ok, true);
    // once retryAfterMs has passed, calls go through again
    await sleep(retryAfterMs + 20);
    assert.equal((await send(alice1, "rl-3")).ok, true);
    // events sent without an ack still get rateLimited
    alice1.emit("sendMessage", { conversationId: "c1", content: "x", clientMessageId: "rl-5" });
    const noAck = once(alice1, "rateLimited");
    alice1.emit("sendMessage", { conversationId: "c1", content: "x", clientMessageId: "rl-6" });
    assert.equal((await within(2000, noAck, "rateLimited"))[0].event, "sendMessage");

    // limit 0 (or none) turns it off again
    assert.deepEqual((await server.control("POST", "/control/rate-limit", { event: "sendMessage", limit: 0 })).rateLimits, {});
    for (let i = 0; i < 5; i++) assert.equal((await send(alice1, `rl-off-${i}`)).ok, true);
  });

  it("control validation; reset turns every limit off", async () => {
    const bad = async (body) => {
      const r = await server.control("POST", "/control/rate-limit", body);
      assert.equal(r.status, 400, JSON.stringify(r));
      assert.equal(r.error.code, "bad_request");
    };
    await bad({});
    await bad({ event: "" });
    await bad({ event: "typing", limit: -1, windowMs: 100 });
    await bad({ event: "typing", limit: 1.5, windowMs: 100 });
    await bad({ event: "typing", limit: 1 });
    await bad({ event: "typing", limit: 1, windowMs: 0 });
    const r = await server.control("POST", "/control/rate-limit", { event: "typing", limit: 1, windowMs: 60000 });
    assert.deepEqual(r.rateLimits, { typing: { limit: 1, windowMs: 60000 } });
    assert.deepEqual((await server.control("POST", "/control/rate-limit", { event: "typing" })).rateLimits, {}, "no limit = off");
    await server.control("POST", "/control/rate-limit", { event: "typing", limit: 1, windowMs: 60000 });
    assert.deepEqual((await server.control("GET", "/control/state")).rateLimits, { typing: { limit: 1, windowMs: 60000 } });
    await server.control("POST", "/control/reset");
    assert.deepEqual((await server.control("GET", "/control/state")).rateLimits, {});
  });
});

describe("kick from a conversation", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("removes the user's sockets from conv:<id> and tells every socket of the user", async () => {
    const alice1 = await connect(s.client(server, "alice"));
    const alice2 = await connect(s.client(server, "alice")); // never joined c1
    const bob = await connect(s.client(server, "bob"));
    for (const sock of [alice1, bob]) await ack(sock, "joinConversation", { conversationId: "c1" });
    await ack(alice1, "joinConversation", { conversationId: "c2" });
    const seen1 = record(alice1);
    const seen2 = record(alice2);
    const bobSeen = record(bob);

    const r = await server.control("POST", "/control/kick", { userId: "alice", conversationId: "c1", reason: "spam" });
    assert.deepEqual(r, { ok: true, removed: 1, notified: 2, status: 200 });
    for (const seen of [seen1, seen2]) {
      await until(() => only(seen, "removedFromConversation").length === 1, 2000, "removedFromConversation");
      assert.deepEqual(only(seen, "removedFromConversation"), [{ conversationId: "c1", reason: "spam" }]);
    }
    const state = await server.control("GET", "/control/state");
    assert.deepEqual(state.sockets.find((x) => x.sid === alice1.id).rooms, ["conv:c2", "user:alice"]);
    // no more c1 traffic for alice
    assert.equal((await ack(bob, "sendMessage", { conversationId: "c1", content: "gone?", clientMessageId: "k-1" })).ok, true);
    await sleep(100);
    assert.deepEqual(only(seen1, "newMessage"), []);
    assert.deepEqual(only(bobSeen, "removedFromConversation"), [], "other users are not told");

    // default reason; a user in no room is still told
    const r2 = await server.control("POST", "/control/kick", { userId: "alice", conversationId: "c1" });
    assert.deepEqual([r2.removed, r2.notified], [0, 2]);
    await until(() => only(seen2, "removedFromConversation").length === 2, 2000, "second removedFromConversation");
    assert.deepEqual(only(seen2, "removedFromConversation")[1], { conversationId: "c1", reason: "kicked" });
    // membership is a fixture: the user may join again
    assert.deepEqual(await ack(alice1, "joinConversation", { conversationId: "c1" }), { ok: true });
  });

  it("a recoverable session of the user loses the room too and replays the event", async () => {
    const carol = await connect(s.client(server, "carol", { reconnection: false }));
    await ack(carol, "joinConversation", { conversationId: "c3" });
    await ack(carol, "joinConversation", { conversationId: "c2" });
    const down = once(carol, "disconnect");
    await server.control("POST", "/control/drop", { userId: "carol" });
    await within(2000, down, "disconnect");
    await until(async () => (await server.control("GET", "/control/state")).sockets.every((x) => x.userId !== "carol"), 2000, "carol gone");
    const r = await server.control("POST", "/control/kick", { userId: "carol", conversationId: "c3" });
    assert.deepEqual([r.removed, r.notified], [0, 0]);
    const seen = record(carol);
    await connect(carol);
    assert.equal(carol.recovered, true);
    await until(() => only(seen, "removedFromConversation").length === 1, 2000, "replayed removedFromConversation");
    assert.deepEqual(only(seen, "removedFromConversation"), [{ conversationId: "c3", reason: "kicked" }]);
    const state = await server.control("GET", "/control/state");
    assert.deepEqual(state.sockets.find((x) => x.sid === carol.id).rooms, ["conv:c2", "user:carol"]);
  });

  it("control validation", async () => {
    const call = (body) => server.control("POST", "/control/kick", body);
    assert.equal((await call({ conversationId: "c1" })).status, 400);
    assert.equal((await call({ userId: "alice" })).status, 400);
    assert.equal((await call({ userId: "alice", conversationId: "c1", reason: 5 })).status, 400);
    const noUser = await call({ userId: "mallory", conversationId: "c1" });
    assert.deepEqual([noUser.status, noUser.error.code], [404, "not_found"]);
    const noConv = await call({ userId: "alice", conversationId: "zz" });
    assert.deepEqual([noConv.status, noConv.error.code], [404, "not_found"]);
  });
});
