"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const WebSocket = require("ws");
const jwt = require("jsonwebtoken");
const { secretFromEnv } = require("../fixtures");
const { scope, connect, connectError, once, within, mintToken } = require("./harness");

describe("auth", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("a valid token connects, gets a pid (recovery on) and unreadCount right away", async () => {
    const alice = s.client(server, "alice");
    const unread = once(alice, "unreadCount");
    await connect(alice);
    assert.equal(alice.connected, true);
    assert.equal(alice.recovered, false);
    const [payload, offset] = await within(2000, unread, "unreadCount");
    assert.deepEqual(payload, { count: 0 });
    // connection state recovery appends the offset as an extra, last argument
    assert.equal(typeof offset, "string");
  });

  it("polling-only clients are accepted too (transports default)", async () => {
    const bob = s.client(server, "bob", { transports: ["polling"] });
    await connect(bob);
    assert.equal(bob.io.engine.transport.name, "polling");
  });

  it("a token with a bad signature is refused as auth_failed", async () => {
    const c = s.client(server, "x", { auth: { token: mintToken("alice", { secret: "not-the-secret" }) } });
    const err = await connectError(c);
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(err.data, { code: "auth_failed", reason: "invalid token" });
    assert.equal(c.active, false, "CONNECT_ERROR does not trigger auto-reconnect");
  });

  it("a malformed token is refused as auth_failed", async () => {
    const c = s.client(server, "x", { auth: { token: "not.a.jwt" } });
    const err = await connectError(c);
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(err.data, { code: "auth_failed", reason: "invalid token" });
  });

  it("a token for an unknown user is refused as auth_failed", async () => {
    const c = s.client(server, "x", { auth: { token: mintToken("mallory") } });
    const err = await connectError(c);
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(err.data, { code: "auth_failed", reason: "unknown user" });
  });

  it("an expired token is refused as token_expired", async () => {
    const c = s.client(server, "x", { auth: { token: mintToken("alice", { expiresIn: "-10s" }) } });
    const err = await connectError(c);
    assert.equal(err.message, "unauthorized");
    assert.equal(err.data.code, "token_expired");
    assert.equal(err.data.reason, "token expired");
    assert.match(err.data.expiredAt, /^\d{4}-\d\d-\d\dT/);
  });

  it("a missing token is refused as missing_token", async () => {
    for (const auth of [undefined, {}, { token: "" }]) {
      const c = s.client(server, "x", { auth });
      const err = await connectError(c);
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { code: "missing_token", reason: "missing token" });
    }
  });

  it("/admin accepts the admin and refuses others with forbidden (not unauthorized)", async () => {
    const admin = s.client(server, "admin", { namespace: "/admin" });
    await connect(admin);
    const res = await admin.timeout(2000).emitWithAck("getStats");
    assert.equal(res.ok, true);
    assert.equal(typeof res.stats.connections, "number");

    const alice = s.client(server, "alice", { namespace: "/admin" });
    const err = await connectError(alice);
    assert.equal(err.message, "forbidden");
    assert.deepEqual(err.data, { code: "forbidden", reason: "admin only" });

    const anon = s.client(server, "x", { namespace: "/admin", auth: {} });
    const err2 = await connectError(anon);
    assert.equal(err2.message, "unauthorized");
    assert.equal(err2.data.code, "missing_token");
  });

  it("exact CONNECT_ERROR frames on the wire (raw WebSocket)", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
    const frames = [];
    let wake = null;
    ws.on("message", (data, isBinary) => {
      frames.push(isBinary ? data : data.toString());
      if (wake) wake();
    });
    const next = async () => {
      while (frames.length === 0) await within(2000, new Promise((r) => (wake = r)), "a frame");
      return frames.shift();
    };
    try {
      await within(2000, once(ws, "open"), "ws open");
      assert.match(await next(), /^0\{"sid":"[^"]+","upgrades":\[\],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000\}$/);

      ws.send("40");
      assert.equal(await next(), '44{"message":"unauthorized","data":{"code":"missing_token","reason":"missing token"}}');

      ws.send(`40${JSON.stringify({ token: mintToken("alice", { secret: "wrong" }) })}`);
      assert.equal(await next(), '44{"message":"unauthorized","data":{"code":"auth_failed","reason":"invalid token"}}');

      ws.send(`40${JSON.stringify({ token: mintToken("mallory") })}`);
      assert.equal(await next(), '44{"message":"unauthorized","data":{"code":"auth_failed","reason":"unknown user"}}');

      ws.send(`40${JSON.stringify({ token: mintToken("alice", { expiresIn: -10 }) })}`);
      assert.match(await next(), /^44\{"message":"unauthorized","data":\{"code":"token_expired","reason":"token expired","expiredAt":"[0-9T:.Z-]+"\}\}$/);

      const hs384 = jwt.sign({ sub: "alice" }, secretFromEnv(), { algorithm: "HS384" });
      ws.send(`40${JSON.stringify({ token: hs384 })}`);
      assert.equal(await next(), '44{"message":"unauthorized","data":{"code":"auth_failed","reason":"invalid token"}}');

      ws.send("40/nope,{}");
      assert.equal(await next(), '44/nope,{"message":"Invalid namespace"}');

      ws.send(`40/admin,${JSON.stringify({ token: mintToken("alice") })}`);
      assert.equal(await next(), '44/admin,{"message":"forbidden","data":{"code":"forbidden","reason":"admin only"}}');

      // the Engine.IO session survives CONNECT_ERRORs: a good token on the same session works
      ws.send(`40${JSON.stringify({ token: mintToken("alice") })}`);
      assert.match(await next(), /^40\{"sid":"[^"]+","pid":"[^"]+"\}$/);
      assert.match(await next(), /^42\["unreadCount",\{"count":0\},"[^"]+"\]$/);
    } finally {
      ws.terminate();
    }
  });
});
