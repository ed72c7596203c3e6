"use strict";
// Test harness: spawns server.js, talks to its control channel, connects socket.io-client
// sockets. Everything it starts is registered and torn down by `cleanup()` (call it from
// `after`/`t.after`), and any server still alive when the test process exits is killed.
const { spawn } = require("node:child_process");
const path = require("node:path");
const { io } = require("socket.io-client");
const { mintToken } = require("../mint-token");

const SERVER = path.join(__dirname, "..", "server.js");
const live = new Set();
process.on("exit", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

/** Rejects after ms with a message naming what was awaited. */
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a server; resolves once it printed CONTROL and LISTENING.
 * `args` are extra CLI flags, e.g. ["--ping-interval", "200"].
 */
async function startServer(args = [], { env = {} } = {}) {
  const child = spawn(process.execPath, [SERVER, ...args], {
    env: Object.assign({}, process.env, env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  // never keep the test process alive for a server: if a test times out or forgets it,
  // the process still exits and the "exit" handler above kills the server
  child.unref();
  child.stdout.unref();
  child.stderr.unref();
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  exited.then(() => live.delete(child));
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      const port = /^LISTENING (\d+)$/m.exec(stdout);
      const control = /^CONTROL (\d+)$/m.exec(stdout);
      if (port && control) resolve({ port: Number(port[1]), controlPort: Number(control[1]) });
    });
    exited.then(({ code, signal }) => reject(new Error(`server exited early (${code ?? signal}): ${stderr}`)));
  });
  const { port, controlPort } = await within(10000, ready, "LISTENING");
  const server = {
    child,
    port,
    controlPort,
    url: `http://127.0.0.1:${port}`,
    exited,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async control(method, route, body) {
      const res = await within(
        5000,
        fetch(`http://127.0.0.1:${controlPort}${route}`, {
          method,
          headers: body ? { "content-type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
        }),
        `${method} ${route}`,
      );
      const json = await res.json();
      return Object.assign(json, { status: res.status });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  return server;
}

/**
 * A socket.io-client socket; `user` gets a freshly minted token unless opts.auth is set.
 * Not connected until `.connect()` unless opts.autoConnect is true. Defaults keep
 * reconnection quick (100..200 ms) and the engine transport websocket-only.
 */
function client(server, user, opts = {}) {
  const { namespace = "/", ...rest } = opts;
  const auth = "auth" in rest ? rest.auth : { token: mintToken(user) };
  delete rest.auth;
  const socket = io(server.url + (namespace === "/" ? "" : namespace), Object.assign({
    autoConnect: false,
    forceNew: true,
    transports: ["websocket"],
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    timeout: 5000,
    auth,
  }, rest));
  return socket;
}

/** Resolves with the args of the next `event` on `emitter` (no timeout: wrap in within). */
function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

/** Connects and resolves once `connect` fires; rejects on connect_error. */
function connect(socket, ms = 5000) {
  const p = new Promise((resolve, reject) => {
    const onConnect = () => {
      socket.off("connect_error", onError);
      resolve(socket);
    };
    const onError = (err) => {
      socket.off("connect", onConnect);
      reject(err);
    };
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
  socket.connect();
  return within(ms, p, "connect");
}

/** Resolves with the Error of the next connect_error. */
function connectError(socket, ms = 5000) {
  const p = once(socket, "connect_error").then(([err]) => err);
  if (!socket.connected) socket.connect();
  return within(ms, p, "connect_error");
}

/**
 * Collects every event (with its args) a socket receives, for later assertions;
 * `except` lists event names to leave out (e.g. ["presence"]).
 */
function record(socket, { except = [] } = {}) {
  const events = [];
  socket.onAny((event, ...args) => {
    if (!except.includes(event)) events.push({ event, args });
  });
  return events;
}

/** Waits until `pred()` is truthy, polling every 10 ms. */
async function until(pred, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** emitWithAck bounded in time. */
function ack(socket, event, ...args) {
  return within(3000, socket.timeout(2500).emitWithAck(event, ...args), `ack of ${event}`);
}

/**
 * A raw WebSocket Socket.IO session (no socket.io-client), for exact frames: opens
 * Engine.IO, sends CONNECT with a token for `user`, and resolves once the CONNECT reply
 * arrived. `next()` yields the following frames in order (text as strings, binary as
 * Buffers); Engine.IO pings are answered and not yielded.
 */
async function raw(server, user) {
  const WebSocket = require("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  let wake = null;
  ws.on("message", (data, isBinary) => {
    const frame = isBinary ? data : data.toString();
    if (frame === "2") return ws.send("3");
    frames.push(frame);
    if (wake) wake();
  });
  const next = async (ms = 2000) => {
    while (frames.length === 0) await within(ms, new Promise((r) => (wake = r)), "a frame");
    return frames.shift();
  };
  await within(2000, once(ws, "open"), "ws open");
  const open = await next();
  if (!open.startsWith("0{")) throw new Error(`expected an Engine.IO open, got ${open}`);
  ws.send(`40${JSON.stringify({ token: mintToken(user) })}`);
  const connected = await next();
  const m = /^40\{"sid":"([^"]+)"/.exec(connected);
  if (!m) throw new Error(`expected a CONNECT reply, got ${connected}`);
  return {
    ws,
    sid: m[1],
    frames,
    next,
    send: (...frames_) => frames_.forEach((f) => ws.send(f)),
    close: () => ws.terminate(),
  };
}

/** Per-test scope: servers and sockets created through it are torn down by cleanup(). */
function scope() {
  const servers = [];
  const sockets = [];
  const raws = [];
  return {
    async server(args, options) {
      const s = await startServer(args, options);
      servers.push(s);
      return s;
    },
    client(server, user, opts) {
      const s = client(server, user, opts);
      sockets.push(s);
      return s;
    },
    async raw(server, user) {
      const r = await raw(server, user);
      raws.push(r);
      return r;
    },
    async cleanup() {
      for (const s of sockets) s.disconnect();
      for (const r of raws) r.close();
      await Promise.allSettled(servers.map((s) => s.stop()));
    },
  };
}

module.exports = { startServer, client, connect, connectError, once, within, sleep, record, until, ack, scope, raw, mintToken };
