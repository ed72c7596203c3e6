"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, once, within, record, until, sleep, ack } = require("./harness");

const only = (seen, event) => seen.filter((e) => e.event === event).map((e) => e.args[0]);

describe("call signalling", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("relays offer/answer/ice/end to every socket of the target, payload untouched", async () => {
    const alice = await connect(s.client(server, "alice"));
    const bob1 = await connect(s.client(server, "bob"));
    const bob2 = await connect(s.client(server, "bob"));
    const carol = await connect(s.client(server, "carol"));
    const seen = { alice: record(alice), bob1: record(bob1), bob2: record(bob2), carol: record(carol) };

    const offer = { sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", nested: { list: [1, 2.5, null, true, "x"], empty: {} }, n: -0.25 };
    assert.deepEqual(await ack(alice, "callSignal", { toUserId: "bob", callId: "call-1", type: "offer", payload: offer }), { ok: true });
    for (const name of ["bob1", "bob2"]) {
      await until(() => only(seen[name], "callSignal").length === 1, 2000, `offer at ${name}`);
      assert.deepEqual(only(seen[name], "callSignal"), [{ fromUserId: "alice", callId: "call-1", type: "offer", payload: offer }]);
    }

    // the answer from one of bob's sockets reaches alice; ice and end go through as well
    assert.deepEqual(await ack(bob2, "callSignal", { toUserId: "alice", callId: "call-1", type: "answer", payload: { sdp: "answer" } }), { ok: true });
    assert.deepEqual(await ack(alice, "callSignal", { toUserId: "bob", callId: "call-1", type: "ice", payload: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" }), { ok: true });
    // no payload: relayed as null
    assert.deepEqual(await ack(alice, "callSignal", { toUserId: "bob", callId: "call-1", type: "end" }), { ok: true });
    await until(() => only(seen.alice, "callSignal").length === 1 && only(seen.bob1, "callSignal").length === 3, 2000, "answer, ice, end");
    assert.deepEqual(only(seen.alice, "callSignal"), [{ fromUserId: "bob", callId: "call-1", type: "answer", payload: { sdp: "answer" } }]);
    assert.deepEqual(only(seen.bob1, "callSignal").slice(1), [
      { fromUserId: "alice", callId: "call-1", type: "ice", payload: "candidate:1 1 udp 1 127.0.0.1 5000 typ host" },
      { fromUserId: "alice", callId: "call-1", type: "end", payload: null },
    ]);
    await sleep(100);
    assert.deepEqual(only(seen.carol, "callSignal"), []);
    assert.equal(only(seen.bob2, "callSignal").length, 3, "bob2 gets what bob1 gets, not its own answer");
  });

  it("binary inside the payload is relayed as binary", async () => {
    const carol = await connect(s.client(server, "carol"));
    const bob = await connect(s.client(server, "bob"));
    const got = once(bob, "callSignal");
    const res = await ack(carol, "callSignal", { toUserId: "bob", callId: "bin", type: "offer", payload: { blob: Buffer.from([1, 2, 3]) } });
    assert.deepEqual(res, { ok: true });
    const [signal] = await within(2000, got, "callSignal");
    assert.ok(Buffer.isBuffer(signal.payload.blob));
    assert.deepEqual([...signal.payload.blob], [1, 2, 3]);
  });

  it("refusals: offline, forbidden, bad_request", async () => {
    const own = await s.server();
    const alice = await connect(s.client(own, "alice"));
    const code = async (payload) => {
      const res = await ack(alice, "callSignal", payload);
      assert.equal(res.ok, false);
      assert.equal(typeof res.error.message, "string");
      return res.error.code;
    };
    // carol is a contact (c2) but not connected
    assert.equal(await code({ toUserId: "carol", callId: "k", type: "offer", payload: {} }), "offline");
    const carol = await connect(s.client(own, "carol"));
    assert.deepEqual(await ack(alice, "callSignal", { toUserId: "carol", callId: "k", type: "offer", payload: {} }), { ok: true });
    carol.disconnect();
    await until(async () => (await own.control("GET", "/control/state")).sockets.every((x) => x.userId !== "carol"), 2000, "carol gone");
    assert.equal(await code({ toUserId: "carol", callId: "k", type: "end" }), "offline");
    // admin shares no conversation with alice (even when online); unknown users and oneself neither
    await connect(s.client(own, "admin"));
    assert.equal(await code({ toUserId: "admin", callId: "k", type: "offer" }), "forbidden");
    assert.equal(await code({ toUserId: "mallory", callId: "k", type: "offer" }), "forbidden");
    assert.equal(await code({ toUserId: "alice", callId: "k", type: "offer" }), "forbidden");
    // malformed
    assert.equal(await code({ toUserId: "bob", callId: "k", type: "ring" }), "bad_request");
    assert.equal(await code({ toUserId: "bob", callId: "k" }), "bad_request");
    assert.equal(await code({ toUserId: "bob", type: "offer" }), "bad_request");
    assert.equal(await code({ toUserId: "bob", callId: "", type: "offer" }), "bad_request");
    assert.equal(await code({ toUserId: "bob", callId: "x".repeat(201), type: "offer" }), "bad_request");
    assert.equal(await code({ callId: "k", type: "offer" }), "bad_request");
    assert.equal(await code("bob"), "bad_request");
  });
});
