"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, once, within, record, sleep, ack } = require("./harness");

describe("conversations", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("join is authorized by membership", async () => {
    const alice = await connect(s.client(server, "alice"));
    assert.deepEqual(await ack(alice, "joinConversation", { conversationId: "c1" }), { ok: true });
    assert.deepEqual(await ack(alice, "joinConversation", { conversationId: "c2" }), { ok: true });
    const forbidden = await ack(alice, "joinConversation", { conversationId: "c3" });
    assert.equal(forbidden.ok, false);
    assert.equal(forbidden.error.code, "forbidden");
    assert.equal(typeof forbidden.error.message, "string");
    const missing = await ack(alice, "joinConversation", { conversationId: "nope" });
    assert.equal(missing.ok, false);
    assert.equal(missing.error.code, "not_found");
    const bad = await ack(alice, "joinConversation", {});
    assert.equal(bad.error.code, "bad_request");
    assert.deepEqual(await ack(alice, "leaveConversation", { conversationId: "c2" }), { ok: true });
    assert.equal((await ack(alice, "leaveConversation", { conversationId: "c3" })).error.code, "forbidden");

    const state = await server.control("GET", "/control/state");
    const mine = state.sockets.find((x) => x.sid === alice.id);
    assert.deepEqual(mine.rooms, ["conv:c1", "user:alice"]);
  });

  it("sendMessage: ack, broadcast to the room except the sending socket, idempotent", async () => {
    const alice1 = await connect(s.client(server, "alice"));
    const alice2 = await connect(s.client(server, "alice"));
    const bob = await connect(s.client(server, "bob"));
    const carol = await connect(s.client(server, "carol"));
    for (const [sock, conv] of [[alice1, "c1"], [alice2, "c1"], [bob, "c1"], [carol, "c2"]]) {
      assert.equal((await ack(sock, "joinConversation", { conversationId: conv })).ok, true);
    }
    const seen = { alice1: record(alice1), alice2: record(alice2), carol: record(carol) };
    const bobGot = once(bob, "newMessage");

    const res = await ack(alice1, "sendMessage", { conversationId: "c1", content: "hello bob", clientMessageId: "cm-1" });
    assert.equal(res.ok, true);
    const m = res.message;
    assert.match(m.id, /^m\d+$/);
    assert.equal(m.conversationId, "c1");
    assert.equal(m.senderId, "alice");
    assert.equal(m.content, "hello bob");
    assert.equal(m.clientMessageId, "cm-1");
    assert.ok(!Number.isNaN(Date.parse(m.createdAt)));

    const [broadcast, offset] = await within(2000, bobGot, "newMessage at bob");
    assert.deepEqual(broadcast, m);
    assert.equal(typeof offset, "string", "recovery offset appended as the last argument");

    // a retry with the same clientMessageId: same message, not stored or broadcast again
    const again = await ack(alice1, "sendMessage", { conversationId: "c1", content: "hello bob", clientMessageId: "cm-1" });
    assert.deepEqual(again, { ok: true, message: m });
    // same clientMessageId from another socket of the same user: still the same message
    const again2 = await ack(alice2, "sendMessage", { conversationId: "c1", content: "hello bob", clientMessageId: "cm-1" });
    assert.deepEqual(again2.message, m);

    await sleep(100);
    const newMsgs = (evs) => evs.filter((e) => e.event === "newMessage").map((e) => e.args[0]);
    assert.deepEqual(newMsgs(seen.alice1), [], "the sending socket gets no newMessage");
    assert.deepEqual(newMsgs(seen.alice2), [m], "the sender's other socket in the room gets it once");
    assert.deepEqual(newMsgs(seen.carol), [], "non-members get nothing");

    const state = await server.control("GET", "/control/state?conversationId=c1");
    assert.equal(state.messages.filter((x) => x.clientMessageId === "cm-1").length, 1);

    // same clientMessageId from another sender is a different message
    const fromBob = await ack(bob, "sendMessage", { conversationId: "c1", content: "hi", clientMessageId: "cm-1" });
    assert.notEqual(fromBob.message.id, m.id);
    assert.equal(fromBob.message.senderId, "bob");
  });

  it("sendMessage refusals", async () => {
    const carol = await connect(s.client(server, "carol"));
    const forbidden = await ack(carol, "sendMessage", { conversationId: "c1", content: "x", clientMessageId: "k" });
    assert.equal(forbidden.error.code, "forbidden");
    const missing = await ack(carol, "sendMessage", { conversationId: "zz", content: "x", clientMessageId: "k" });
    assert.equal(missing.error.code, "not_found");
    const noContent = await ack(carol, "sendMessage", { conversationId: "c2", clientMessageId: "k" });
    assert.equal(noContent.error.code, "bad_request");
    const noId = await ack(carol, "sendMessage", { conversationId: "c2", content: "x" });
    assert.equal(noId.error.code, "bad_request");
  });

  it("typing and stopTyping are relayed to the others in the room", async () => {
    const alice1 = await connect(s.client(server, "alice"));
    const alice2 = await connect(s.client(server, "alice"));
    const carol = await connect(s.client(server, "carol"));
    for (const sock of [alice1, alice2, carol]) {
      assert.equal((await ack(sock, "joinConversation", { conversationId: "c2" })).ok, true);
    }
    const aliceSeen = record(alice2);
    const typing = once(carol, "userTyping");
    alice1.emit("typing", { conversationId: "c2" });
    assert.deepEqual((await within(2000, typing, "userTyping"))[0], { userId: "alice", conversationId: "c2" });
    const stopped = once(carol, "userStoppedTyping");
    assert.deepEqual(await ack(alice1, "stopTyping", { conversationId: "c2" }), { ok: true });
    assert.deepEqual((await within(2000, stopped, "userStoppedTyping"))[0], { userId: "alice", conversationId: "c2" });
    await sleep(50);
    assert.deepEqual(aliceSeen.filter((e) => e.event.startsWith("user")), [], "the typing user's own sockets are skipped");
    assert.equal((await ack(carol, "typing", { conversationId: "c1" })).error.code, "forbidden");
  });

  it("after leaveConversation no more newMessage", async () => {
    const alice = await connect(s.client(server, "alice"));
    const carol = await connect(s.client(server, "carol"));
    await ack(alice, "joinConversation", { conversationId: "c2" });
    await ack(carol, "joinConversation", { conversationId: "c2" });
    await ack(carol, "leaveConversation", { conversationId: "c2" });
    const seen = record(carol);
    assert.equal((await ack(alice, "sendMessage", { conversationId: "c2", content: "x", clientMessageId: "after-leave" })).ok, true);
    await sleep(100);
    assert.deepEqual(seen.filter((e) => e.event === "newMessage"), []);
  });
});
