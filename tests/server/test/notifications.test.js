"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, once, within, record, until, ack } = require("./harness");

describe("notifications", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("control notify -> notification then unreadCount on every socket of the user", async () => {
    const bob1 = await connect(s.client(server, "bob"));
    const bob2 = await connect(s.client(server, "bob"));
    const alice = await connect(s.client(server, "alice"));
    // alice coming online sends presence to bob's sockets (presence.test.js); not the subject here
    const seen1 = record(bob1, { except: ["presence"] });
    const seen2 = record(bob2, { except: ["presence"] });
    const aliceSeen = record(alice, { except: ["presence"] });

    const r = await server.control("POST", "/control/notify", { userId: "bob", kind: "mention", title: "Hi", body: "you were mentioned" });
    assert.equal(r.ok, true);
    assert.equal(r.count, 1);
    const n = r.notification;
    assert.deepEqual(Object.keys(n), ["id", "kind", "title", "body", "createdAt", "read"]);
    assert.equal(n.read, false);

    for (const seen of [seen1, seen2]) {
      await until(() => seen.length >= 2, 2000, "notification + unreadCount");
      assert.equal(seen[0].event, "notification");
      assert.deepEqual(seen[0].args[0], n);
      assert.equal(seen[1].event, "unreadCount");
      assert.deepEqual(seen[1].args[0], { count: 1 });
    }
    await server.control("POST", "/control/notify", { userId: "bob", title: "second" });
    await until(() => seen1.filter((e) => e.event === "unreadCount").length === 2, 2000, "2nd unreadCount");
    assert.deepEqual(seen1.at(-1).args[0], { count: 2 });

    // markNotificationRead: unreadCount (to all bob's sockets) arrives before the ack
    seen1.length = 0;
    seen2.length = 0;
    const res = await ack(bob1, "markNotificationRead", { notificationId: n.id });
    assert.deepEqual(res, { ok: true, count: 1 });
    assert.deepEqual(seen1.map((e) => [e.event, e.args[0]]), [["unreadCount", { count: 1 }]]);
    await until(() => seen2.length === 1, 2000, "unreadCount on the other socket");
    assert.deepEqual(seen2[0].args[0], { count: 1 });

    const missing = await ack(bob1, "markNotificationRead", { notificationId: "n-does-not-exist" });
    assert.equal(missing.ok, false);
    assert.equal(missing.error.code, "not_found");

    let state = await server.control("GET", "/control/state");
    assert.equal(state.unread.bob, 1);

    assert.deepEqual(await ack(bob2, "markAllNotificationsRead"), { ok: true, count: 0 });
    state = await server.control("GET", "/control/state");
    assert.equal(state.unread.bob, 0);
    assert.ok(state.notifications.bob.every((x) => x.read));
    assert.deepEqual(aliceSeen.filter((e) => e.event !== "unreadCount"), [], "other users see nothing");
  });

  it("unreadCount right after connect reflects stored notifications", async () => {
    await server.control("POST", "/control/notify", { userId: "carol", title: "while offline" });
    const carol = s.client(server, "carol");
    const first = once(carol, "unreadCount");
    await connect(carol);
    assert.deepEqual((await within(2000, first, "unreadCount"))[0], { count: 1 });
  });

  it("control emit reaches a user room, a conversation room, with binary", async () => {
    const alice = await connect(s.client(server, "alice"));
    await ack(alice, "joinConversation", { conversationId: "c1" });
    const got = once(alice, "custom");
    await server.control("POST", "/control/emit", { userId: "alice", event: "custom", args: [1, "two", { three: 3 }] });
    assert.deepEqual((await within(2000, got, "custom")).slice(0, 3), [1, "two", { three: 3 }]);
    const bin = once(alice, "blob");
    await server.control("POST", "/control/emit", { conversationId: "c1", event: "blob", args: [{ data: { $binary: "3q2+7w==" } }] });
    const [payload] = await within(2000, bin, "blob");
    assert.deepEqual([...payload.data], [0xde, 0xad, 0xbe, 0xef]);
  });
});
