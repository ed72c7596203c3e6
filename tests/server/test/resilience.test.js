"use strict";
const { describe, it, after } = require("node:test");
const assert = require("node:assert/strict");
const { scope, connect, connectError, once, within, record, until, ack, sleep, mintToken } = require("./harness");

describe("resilience", () => {
  const s = scope();
  after(() => s.cleanup());

  it("restart via control: same port, client sees transport close and reconnects; app state survives", async () => {
    const server = await s.server();
    const alice = await connect(s.client(server, "alice"));
    await ack(alice, "joinConversation", { conversationId: "c1" });
    const sent = await ack(alice, "sendMessage", { conversationId: "c1", content: "before restart", clientMessageId: "r-1" });
    await server.control("POST", "/control/notify", { userId: "alice", title: "keep me" });

    const disconnected = once(alice, "disconnect");
    const reconnected = once(alice, "connect");
    const firstUnread = once(alice, "unreadCount");
    const t0 = Date.now();
    const r = await server.control("POST", "/control/restart", { delayMs: 400 });
    assert.equal(r.ok, true);
    assert.equal(r.listening, false);
    assert.equal(r.port, server.port);
    const [reason] = await within(3000, disconnected, "disconnect");
    assert.equal(reason, "transport close");
    assert.equal((await server.control("GET", "/control/health")).listening, false);
    await within(5000, reconnected, "reconnect");
    assert.ok(Date.now() - t0 >= 350, "reconnected only after the listener came back");
    assert.equal(alice.recovered, false, "recovery state does not survive a restart");
    assert.deepEqual((await within(2000, firstUnread, "unreadCount"))[0], { count: 1 }, "notifications survive");

    const health = await server.control("GET", "/control/health");
    assert.equal(health.listening, true);
    assert.equal(health.generation, 2);
    assert.equal(health.port, server.port);
    const state = await server.control("GET", "/control/state");
    assert.deepEqual(state.messages, [sent.message], "stored messages survive");
    // idempotency map survives too
    assert.deepEqual(await ack(alice, "sendMessage", { conversationId: "c1", content: "before restart", clientMessageId: "r-1" }), sent);
    // rooms do not survive: the client must join again
    assert.deepEqual(state.sockets.find((x) => x.sid === alice.id).rooms, ["user:alice"]);

    // wait: true answers once the listener is back; resetState wipes app state
    const r2 = await server.control("POST", "/control/restart", { delayMs: 0, wait: true, resetState: true });
    assert.equal(r2.listening, true);
    assert.equal(r2.generation, 3);
    assert.deepEqual((await server.control("GET", "/control/state")).messages, []);
  });

  it("drop: transport close, then recovery replays missed events (recovered = true)", async () => {
    const server = await s.server();
    const alice = await connect(s.client(server, "alice", { reconnection: false }));
    const bob = await connect(s.client(server, "bob"));
    await ack(alice, "joinConversation", { conversationId: "c1" });
    await ack(bob, "joinConversation", { conversationId: "c1" });
    const sidBefore = alice.id;

    const disconnected = once(alice, "disconnect");
    const r = await server.control("POST", "/control/drop", { userId: "alice" });
    assert.deepEqual(r, { ok: true, dropped: 1, status: 200 });
    const [reason] = await within(2000, disconnected, "disconnect");
    assert.equal(reason, "transport close");
    await until(async () => (await server.control("GET", "/control/state")).sockets.every((x) => x.userId !== "alice"), 2000, "server to notice");

    // events while alice is away: a message in c1 and a notification
    const missed = await ack(bob, "sendMessage", { conversationId: "c1", content: "while you were away", clientMessageId: "d-1" });
    const notified = await server.control("POST", "/control/notify", { userId: "alice", title: "missed" });

    const seen = record(alice, { except: ["presence"] }); // bob's presence follows the connect
    await connect(alice);
    assert.equal(alice.recovered, true);
    assert.equal(alice.id, sidBefore, "a recovered session keeps its sid");
    await until(() => seen.filter((e) => e.event === "unreadCount").length >= 2, 2000, "replay + fresh unreadCount");
    assert.deepEqual(
      seen.map((e) => [e.event, e.args[0]]),
      [
        ["newMessage", missed.message],
        ["notification", notified.notification],
        ["unreadCount", { count: 1 }], // replayed
        ["unreadCount", { count: 1 }], // sent again after every connect
      ],
    );
    // rooms came back with the session
    const state = await server.control("GET", "/control/state");
    const mine = state.sockets.find((x) => x.sid === alice.id);
    assert.deepEqual(mine.rooms, ["conv:c1", "user:alice"]);
    assert.equal(mine.recovered, true);
  });

  it("recovery runs the auth middleware again: an expired token is refused, not recovered", async () => {
    const server = await s.server();
    let calls = 0;
    const alice = s.client(server, "alice", {
      reconnection: false,
      // socket.io-client calls the auth function before every CONNECT
      auth: (cb) => cb({ token: mintToken("alice", { expiresIn: ++calls === 1 ? "1h" : "-1s" }) }),
    });
    await connect(alice);
    const down = once(alice, "disconnect");
    await server.control("POST", "/control/drop", { userId: "alice" });
    await within(2000, down, "disconnect");
    const err = await connectError(alice);
    assert.equal(err.message, "unauthorized");
    assert.equal(err.data.code, "token_expired");
    assert.equal(calls, 2);
  });

  it("drop mode close (WebSocket close frame) also looks like a transport close", async () => {
    const server = await s.server();
    const carol = await connect(s.client(server, "carol"));
    const disconnected = once(carol, "disconnect");
    const reconnected = once(carol, "connect");
    assert.equal((await server.control("POST", "/control/drop", { userId: "carol", mode: "close" })).dropped, 1);
    assert.equal((await within(2000, disconnected, "disconnect"))[0], "transport close");
    await within(3000, reconnected, "auto reconnect");
    assert.equal(carol.recovered, true);
  });

  it("drop on HTTP long-polling: the client sees a transport error and recovers", async () => {
    const server = await s.server();
    const bob = await connect(s.client(server, "bob", { transports: ["polling"] }));
    const disconnected = once(bob, "disconnect");
    const reconnected = once(bob, "connect");
    assert.equal((await server.control("POST", "/control/drop", { userId: "bob" })).dropped, 1);
    assert.equal((await within(3000, disconnected, "disconnect"))[0], "transport error");
    await within(3000, reconnected, "auto reconnect");
    assert.equal(bob.recovered, true);
  });

  it("control disconnect sends a DISCONNECT packet: io server disconnect, no auto-reconnect", async () => {
    const server = await s.server();
    const bob = await connect(s.client(server, "bob"));
    const disconnected = once(bob, "disconnect");
    assert.equal((await server.control("POST", "/control/disconnect", { userId: "bob" })).disconnected, 1);
    assert.equal((await within(2000, disconnected, "disconnect"))[0], "io server disconnect");
    assert.equal(bob.active, false);
  });

  it("hang: no pings, client gives up with ping timeout after pingInterval + pingTimeout", async () => {
    const server = await s.server(["--ping-interval", "300", "--ping-timeout", "200"]);
    const alice = await connect(s.client(server, "alice"));
    const bob = await connect(s.client(server, "bob"));
    const aliceDown = once(alice, "disconnect");
    const reconnected = new Promise((resolve) => alice.io.once("reconnect", resolve));
    const t0 = Date.now();
    const r = await server.control("POST", "/control/hang", { userId: "alice", durationMs: 3000 });
    assert.equal(r.hung, 1);
    let pings = 0;
    const engine = alice.io.engine;
    engine.on("ping", () => pings++);
    const [reason] = await within(2500, aliceDown, "ping timeout");
    assert.equal(reason, "ping timeout");
    // the client's deadline is last ping + pingInterval + pingTimeout (500 ms here), and
    // the last ping came at most pingInterval (300 ms) before the hang began
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 150 && elapsed < 2000, `gave up after ${elapsed} ms`);
    assert.equal(pings, 0, "no ping reached the client while hung");
    // the reconnect gets a fresh, unhung connection and recovers the session
    await within(3000, reconnected, "reconnect");
    await until(() => alice.connected, 2000, "connected");
    assert.equal(alice.recovered, true);
    // bob was never hung
    assert.equal(bob.connected, true);
  });

  it("hang shorter than the client's deadline: held packets are delivered late, connection survives", async () => {
    const server = await s.server(["--ping-interval", "1000", "--ping-timeout", "1000"]);
    const alice = await connect(s.client(server, "alice"));
    const seen = record(alice);
    await server.control("POST", "/control/hang", { userId: "alice", durationMs: 400 });
    const t0 = Date.now();
    const res = await ack(alice, "joinConversation", { conversationId: "c1" });
    const waited = Date.now() - t0;
    assert.deepEqual(res, { ok: true });
    assert.ok(waited >= 300, `ack held back while hung (${waited} ms)`);
    assert.equal(alice.connected, true);
    assert.deepEqual(seen.filter((e) => e.event !== "unreadCount"), []);
    await sleep(1200);
    assert.equal(alice.connected, true, "pings resumed");
  });

  it("SIGTERM shuts down gracefully with exit code 0", async () => {
    const server = await s.server();
    const alice = await connect(s.client(server, "alice", { reconnection: false }));
    const down = once(alice, "disconnect");
    const { code } = await server.stop();
    assert.equal(code, 0);
    assert.equal((await within(2000, down, "disconnect"))[0], "transport close");
  });
});
