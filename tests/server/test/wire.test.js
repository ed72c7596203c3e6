"use strict";
// Exact frames of the app-feature events on a raw WebSocket (docs/protocol.md quotes them).
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { scope, connect, ack, sleep } = require("./harness");

const OFFSET = '"[^"]+"'; // the recovery offset, an opaque string
/** A regex matching `42["<event>",<json>,"<offset>"]` exactly. */
const event = (name, payload) =>
  new RegExp(`^${escape(`42[${JSON.stringify(name)},${JSON.stringify(payload)},`)}${OFFSET}\\]$`);
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("wire frames of the app features", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("presence, readReceipt, reaction, callSignal, removedFromConversation, rateLimited, acks, uploadChunk", async () => {
    const bob = await connect(s.client(server, "bob"));
    const alice = await s.raw(server, "alice");
    assert.match(await alice.next(), event("unreadCount", { count: 0 }));
    assert.match(await alice.next(), event("presence", { userId: "bob", online: true }));

    alice.send('420["joinConversation",{"conversationId":"c1"}]');
    assert.equal(await alice.next(), '430[{"ok":true}]');
    await ack(bob, "joinConversation", { conversationId: "c1" });
    const m = (await ack(bob, "sendMessage", { conversationId: "c1", content: "hi", clientMessageId: "w-1" })).message;
    assert.match(await alice.next(), event("newMessage", m));

    await ack(bob, "markConversationRead", { conversationId: "c1", messageId: m.id });
    assert.match(await alice.next(), event("readReceipt", { conversationId: "c1", userId: "bob", messageId: m.id }));
    await ack(bob, "addReaction", { conversationId: "c1", messageId: m.id, emoji: "👍" });
    assert.match(await alice.next(), event("reaction", { conversationId: "c1", messageId: m.id, userId: "bob", emoji: "👍", added: true }));
    await ack(bob, "callSignal", { toUserId: "alice", callId: "k1", type: "offer", payload: { sdp: "x" } });
    assert.match(await alice.next(), event("callSignal", { fromUserId: "bob", callId: "k1", type: "offer", payload: { sdp: "x" } }));

    // client -> server frames, as a client writes them
    alice.send(`421["markConversationRead",{"conversationId":"c1","messageId":"${m.id}"}]`);
    assert.equal(await alice.next(), '431[{"ok":true}]');
    alice.send(`422["addReaction",{"conversationId":"c1","messageId":"${m.id}","emoji":"🎉"}]`);
    assert.equal(await alice.next(), '432[{"ok":true}]');
    alice.send(`423["removeReaction",{"conversationId":"c1","messageId":"${m.id}","emoji":"🎉"}]`);
    assert.equal(await alice.next(), '433[{"ok":true}]');
    alice.send('424["callSignal",{"toUserId":"carol","callId":"k2","type":"offer","payload":{}}]');
    assert.match(await alice.next(), /^434\[\{"ok":false,"error":\{"code":"offline","message":"[^"]+"\}\}\]$/);
    alice.send('425["callSignal",{"toUserId":"bob","callId":"k1","type":"answer","payload":{"sdp":"y"}}]');
    assert.equal(await alice.next(), '435[{"ok":true}]');

    // uploads: the chunk is the binary attachment of the LAST argument placeholder
    const chunk = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    alice.send('426["uploadStatus",{"uploadId":"u1"}]');
    assert.equal(await alice.next(), '436[{"ok":true,"nextIndex":0,"total":null}]');
    alice.send('451-7["uploadChunk",{"uploadId":"u1","index":0,"total":2,"size":4},{"_placeholder":true,"num":0}]', chunk);
    assert.equal(await alice.next(), '437[{"ok":true,"received":0,"nextIndex":1}]');
    alice.send('451-8["uploadChunk",{"uploadId":"u1","index":1,"total":2,"size":4},{"_placeholder":true,"num":0}]', chunk);
    assert.equal(await alice.next(), '438[{"ok":true,"received":1,"nextIndex":2,"complete":true,"bytes":8}]');
    alice.send('429["uploadStatus",{"uploadId":"u1"}]');
    assert.equal(await alice.next(), '439[{"ok":true,"nextIndex":2,"total":2}]');
    const state = await server.control("GET", "/control/state");
    assert.deepEqual(state.uploads.u1, {
      userId: "alice", bytes: 8, sha256: crypto.createHash("sha256").update(Buffer.concat([chunk, chunk])).digest("hex"),
    });

    // kick, then rate limiting
    await server.control("POST", "/control/kick", { userId: "alice", conversationId: "c1" });
    assert.match(await alice.next(), event("removedFromConversation", { conversationId: "c1", reason: "kicked" }));
    await server.control("POST", "/control/rate-limit", { event: "typing", limit: 1, windowMs: 10000 });
    alice.send('4210["typing",{"conversationId":"c1"}]', '4211["typing",{"conversationId":"c1"}]');
    assert.equal(await alice.next(), '4310[{"ok":true}]');
    const limited = await alice.next();
    assert.match(limited, /^42\["rateLimited",\{"event":"typing","retryAfterMs":\d+\},"[^"]+"\]$/);
    const { retryAfterMs } = JSON.parse(limited.slice(2))[1];
    assert.ok(retryAfterMs > 9000 && retryAfterMs <= 10000);
    assert.equal(await alice.next(), `4311[{"ok":false,"error":{"code":"rate_limited","message":"too many typing calls","retryAfterMs":${retryAfterMs}}}]`);
    await server.control("POST", "/control/rate-limit", { event: "typing", limit: 0 });

    // presence offline when bob's only socket goes
    bob.disconnect();
    assert.match(await alice.next(), event("presence", { userId: "bob", online: false }));
    await sleep(50);
    assert.deepEqual(alice.frames, []);
  });
});
