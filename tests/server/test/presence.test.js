"use strict";
const { describe, it, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, once, within, record, until, sleep } = require("./harness");

// contacts (users sharing a fixture conversation): alice-bob (c1), alice-carol (c2),
// bob-carol (c3); admin has none. Each test has its own server: presence is global.

/** The presence payloads among recorded events, optionally only those about `userId`. */
const presence = (seen, userId) =>
  seen.filter((e) => e.event === "presence" && (userId === undefined || e.args[0].userId === userId)).map((e) => e.args[0]);

describe("presence", () => {
  const s = scope();
  after(() => s.cleanup());

  it("connect: online to contacts on the first socket; the new socket gets its online contacts after unreadCount", async () => {
    const server = await s.server();
    const alice = s.client(server, "alice");
    const aliceSeen = record(alice);
    await connect(alice);
    await sleep(100);
    assert.deepEqual(aliceSeen.map((e) => e.event), ["unreadCount"], "nobody online yet: no presence");

    const bob = s.client(server, "bob");
    const bobSeen = record(bob);
    await connect(bob);
    await until(() => presence(aliceSeen).length === 1, 2000, "alice to see bob");
    assert.deepEqual(presence(aliceSeen), [{ userId: "bob", online: true }]);
    assert.equal(typeof aliceSeen.at(-1).args[1], "string", "presence carries the recovery offset");
    await until(() => bobSeen.length === 2, 2000, "bob's unreadCount + presence");
    assert.deepEqual(bobSeen.map((e) => [e.event, e.args[0]]), [
      ["unreadCount", { count: 0 }],
      ["presence", { userId: "alice", online: true }],
    ]);

    // carol's contacts are alice and bob: both listed, sorted by user id
    const carol = s.client(server, "carol");
    const carolSeen = record(carol);
    await connect(carol);
    await until(() => carolSeen.length === 3, 2000, "carol's unreadCount + 2 presence");
    assert.deepEqual(carolSeen.map((e) => [e.event, e.args[0]]), [
      ["unreadCount", { count: 0 }],
      ["presence", { userId: "alice", online: true }],
      ["presence", { userId: "bob", online: true }],
    ]);
    await until(() => presence(aliceSeen).length === 2 && presence(bobSeen).length === 2, 2000, "carol online at alice and bob");
    assert.deepEqual(presence(aliceSeen)[1], { userId: "carol", online: true });
    assert.deepEqual(presence(bobSeen)[1], { userId: "carol", online: true });

    // admin shares no conversation: nothing either way
    const admin = s.client(server, "admin");
    const adminSeen = record(admin);
    await connect(admin);
    await sleep(150);
    assert.deepEqual(presence(adminSeen), []);
    assert.equal(presence(aliceSeen).length + presence(bobSeen).length + presence(carolSeen).length, 6);
  });

  it("a second socket is not news; offline only when the last socket goes", async () => {
    const server = await s.server();
    const alice = s.client(server, "alice");
    await connect(alice);
    const carol = await connect(s.client(server, "carol"));
    const aliceSeen = record(alice);
    const carolSeen = record(carol);

    const bob1 = await connect(s.client(server, "bob"));
    await until(() => presence(aliceSeen, "bob").length === 1, 2000, "bob online");
    const bob2 = s.client(server, "bob");
    const bob2Seen = record(bob2);
    await connect(bob2);
    // the second socket gets the list of online contacts too
    await until(() => presence(bob2Seen).length === 2, 2000, "bob2's contact list");
    assert.deepEqual(presence(bob2Seen), [{ userId: "alice", online: true }, { userId: "carol", online: true }]);

    bob1.disconnect();
    await sleep(150);
    assert.deepEqual(presence(aliceSeen, "bob"), [{ userId: "bob", online: true }], "bob is still online (bob2)");

    bob2.disconnect();
    await until(() => presence(aliceSeen, "bob").length === 2 && presence(carolSeen, "bob").length === 2, 2000, "bob offline");
    assert.deepEqual(presence(aliceSeen, "bob")[1], { userId: "bob", online: false });
    assert.deepEqual(presence(carolSeen, "bob"), [{ userId: "bob", online: true }, { userId: "bob", online: false }]);
  });

  it("a dropped connection goes offline, its recovery comes back online", async () => {
    const server = await s.server();
    const alice = await connect(s.client(server, "alice"));
    const aliceSeen = record(alice);
    const bob = s.client(server, "bob", { reconnection: false });
    await connect(bob);
    await until(() => presence(aliceSeen).length === 1, 2000, "bob online");
    const down = once(bob, "disconnect");
    await server.control("POST", "/control/drop", { userId: "bob" });
    await within(2000, down, "bob's disconnect");
    await until(() => presence(aliceSeen).length === 2, 2000, "bob offline");
    assert.deepEqual(presence(aliceSeen)[1], { userId: "bob", online: false });
    await connect(bob);
    assert.equal(bob.recovered, true);
    await until(() => presence(aliceSeen).length === 3, 2000, "bob online again");
    assert.deepEqual(presence(aliceSeen)[2], { userId: "bob", online: true });
  });

  it("a restart sends no offline; the reconnects announce themselves again", async () => {
    const server = await s.server();
    const alice = await connect(s.client(server, "alice"));
    const bob = await connect(s.client(server, "bob"));
    await sleep(100);
    const aliceSeen = record(alice);
    const bobSeen = record(bob);
    const back = Promise.all([once(alice, "connect"), once(bob, "connect")]);
    await server.control("POST", "/control/restart", { delayMs: 100 });
    await within(5000, back, "both reconnected");
    // whichever reconnected second told the other (broadcast) or was told (connect list)
    await until(() => presence(aliceSeen).length >= 1 && presence(bobSeen).length >= 1, 2000, "presence after restart");
    await sleep(100);
    assert.deepEqual(presence(aliceSeen), [{ userId: "bob", online: true }]);
    assert.deepEqual(presence(bobSeen), [{ userId: "alice", online: true }]);
  });
});
