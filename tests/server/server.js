#!/usr/bin/env node
"use strict";
// tidings reference server: the real socket.io 4.8 server implementing the app's event
// contract (docs/protocol.md), plus a loopback JSON control channel that tests use to
// restart it, drop or hang connections, trigger notifications and read state.
//
//   node server.js [--port 0] [--control-port 0] [--ping-interval 25000]
//                  [--ping-timeout 20000] [--connect-timeout 45000]
//                  [--max-disconnection-ms 120000] [--transports websocket,polling]
//                  [--secret S] [--quiet]
//
// Each flag also reads an environment variable (flag wins): TIDINGS_PORT,
// TIDINGS_CONTROL_PORT, TIDINGS_PING_INTERVAL, TIDINGS_PING_TIMEOUT,
// TIDINGS_CONNECT_TIMEOUT, TIDINGS_MAX_DISCONNECTION_MS, TIDINGS_TRANSPORTS,
// TIDINGS_JWT_SECRET, TIDINGS_QUIET=1.
//
// stdout carries exactly two lines, printed once when both listeners are up:
//   CONTROL <port>
//   LISTENING <port>
// Everything else (logs) goes to stderr.
const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");
const jwt = require("jsonwebtoken");
const { USERS, CONVERSATIONS, secretFromEnv } = require("./fixtures");

// ---------------------------------------------------------------------------------------
// configuration

function parseConfig(argv, env) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quiet") {
      flags.quiet = "1";
      continue;
    }
    if (a === "-h" || a === "--help") {
      process.stderr.write(
        "usage: node server.js [--port N] [--control-port N] [--ping-interval MS] " +
          "[--ping-timeout MS] [--connect-timeout MS] [--max-disconnection-ms MS] " +
          "[--transports websocket,polling] [--secret S] [--quiet]\n",
      );
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    flags[m[1]] = m[2] !== undefined ? m[2] : argv[++i];
    if (flags[m[1]] === undefined) throw new Error(`missing value for --${m[1]}`);
  }
  const pick = (flag, envName, dflt) =>
    flags[flag] !== undefined ? flags[flag] : env[envName] !== undefined && env[envName] !== "" ? env[envName] : dflt;
  const int = (flag, envName, dflt) => {
    const v = Number(pick(flag, envName, dflt));
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${flag} must be a non-negative integer`);
    return v;
  };
  const known = new Set([
    "port", "control-port", "ping-interval", "ping-timeout", "connect-timeout",
    "max-disconnection-ms", "transports", "secret", "quiet", "host",
  ]);
  for (const k of Object.keys(flags)) if (!known.has(k)) throw new Error(`unknown flag --${k}`);
  const transports = String(pick("transports", "TIDINGS_TRANSPORTS", "polling,websocket"))
    .split(",").map((s) => s.trim()).filter(Boolean);
  return {
    host: "127.0.0.1",
    port: int("port", "TIDINGS_PORT", 0),
    controlPort: int("control-port", "TIDINGS_CONTROL_PORT", 0),
    pingInterval: int("ping-interval", "TIDINGS_PING_INTERVAL", 25000),
    pingTimeout: int("ping-timeout", "TIDINGS_PING_TIMEOUT", 20000),
    connectTimeout: int("connect-timeout", "TIDINGS_CONNECT_TIMEOUT", 45000),
    maxDisconnectionDuration: int("max-disconnection-ms", "TIDINGS_MAX_DISCONNECTION_MS", 120000),
    transports,
    secret: flags.secret !== undefined ? flags.secret : secretFromEnv(env),
    quiet: pick("quiet", "TIDINGS_QUIET", "") === "1",
  };
}

// ---------------------------------------------------------------------------------------
// application state (process-wide: survives /control/restart unless resetState is asked)

function freshState() {
  return {
    nextMessage: 1,
    nextNotification: 1,
    messages: [], // every stored message, in order
    byClientMessageId: new Map(), // `${senderId}\0${clientMessageId}` -> message
    notifications: new Map(Object.keys(USERS).map((u) => [u, []])), // userId -> [notification]
    messagesById: new Map(), // messageId -> message
    readPositions: new Map(Object.keys(USERS).map((u) => [u, new Map()])), // userId -> conversationId -> messageId
    reactions: new Map(), // messageId -> emoji -> Set(userId)
    uploads: new Map(), // `${userId}\0${uploadId}` -> upload (see uploadChunk)
  };
}

// limits of the new events (docs/protocol.md)
const MAX_EMOJI_CHARS = 16; // Unicode code points
const MAX_ID_CHARS = 200; // uploadId, callId
const MAX_UPLOAD_CHUNKS = 10000;
const MAX_CHUNK_BYTES = 256 * 1024;
const CALL_SIGNAL_TYPES = new Set(["offer", "answer", "ice", "end"]);

/** Users sharing at least one fixture conversation with userId (never userId), sorted. */
function contactsOf(userId) {
  const out = new Set();
  for (const conv of Object.values(CONVERSATIONS)) {
    if (!conv.members.includes(userId)) continue;
    for (const m of conv.members) if (m !== userId) out.add(m);
  }
  return [...out].sort();
}

const isNonEmptyString = (v, max = Infinity) => typeof v === "string" && v.length > 0 && v.length <= max;
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

const userRoom = (userId) => `user:${userId}`;
const convRoom = (conversationId) => `conv:${conversationId}`;

function unreadCount(state, userId) {
  return (state.notifications.get(userId) || []).filter((n) => !n.read).length;
}

// ---------------------------------------------------------------------------------------
// errors

class AppError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Middleware refusal: socket.io sends CONNECT_ERROR {message: err.message, data: err.data}. */
function refusal(message, code, reason, extra) {
  const err = new Error(message);
  err.data = Object.assign({ code, reason }, extra || {});
  return err;
}

const authRefusal = (code, reason, extra) => refusal("unauthorized", code, reason, extra);

// ---------------------------------------------------------------------------------------
// the server

class ReferenceServer {
  constructor(config) {
    this.config = config;
    this.state = freshState();
    this.generation = 0;
    this.listening = false;
    this.port = config.port;
    this.httpServer = null;
    this.io = null;
    this.rawSockets = new Set();
    this.restarting = null;
    this.reopenTimer = null;
    this.closed = false;
    this.rateLimits = new Map(); // event -> {limit, windowMs}; process-wide, off by default
  }

  log(...args) {
    if (!this.config.quiet) process.stderr.write(`server: ${args.join(" ")}\n`);
  }

  // --- lifecycle --------------------------------------------------------------------

  async listen() {
    const httpServer = http.createServer((req, res) => {
      // socket.io handles /socket.io/; everything else is a plain 404
      if (!req.url.startsWith("/socket.io/")) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found\n");
      }
    });
    httpServer.on("connection", (s) => {
      this.rawSockets.add(s);
      s.once("close", () => this.rawSockets.delete(s));
    });
    const io = new Server(httpServer, {
      serveClient: false,
      transports: this.config.transports,
      pingInterval: this.config.pingInterval,
      pingTimeout: this.config.pingTimeout,
      connectTimeout: this.config.connectTimeout,
      connectionStateRecovery: {
        maxDisconnectionDuration: this.config.maxDisconnectionDuration,
        skipMiddlewares: false,
      },
    });
    this.setup(io);
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise((resolve, reject) => {
          const onError = (e) => reject(e);
          httpServer.once("error", onError);
          httpServer.listen(this.port, this.config.host, () => {
            httpServer.removeListener("error", onError);
            resolve();
          });
        });
        break;
      } catch (e) {
        // the port can linger for a moment after a restart; retry briefly
        if (e.code !== "EADDRINUSE" || attempt >= 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.port = httpServer.address().port;
    this.httpServer = httpServer;
    this.io = io;
    this.generation += 1;
    this.listening = true;
    this.log(`listening 127.0.0.1:${this.port} generation=${this.generation}`);
  }

  /** Closes every connection and the listener. Clients see a transport close. */
  async stopListening() {
    const { io, httpServer } = this;
    if (!io) return;
    this.listening = false;
    this.io = null;
    this.httpServer = null;
    const closing = io.close(); // _onclose("server shutting down") + engine.close() + httpServer.close()
    for (const s of this.rawSockets) s.destroy();
    this.rawSockets.clear();
    if (httpServer.closeAllConnections) httpServer.closeAllConnections();
    await closing;
  }

  async restart({ delayMs = 0, resetState = false, wait = false } = {}) {
    if (this.restarting) throw new AppError("busy", "a restart is already in progress");
    let done;
    this.restarting = new Promise((r) => (done = r));
    try {
      await this.stopListening();
      if (resetState) this.state = freshState();
      this.log(`restart: down, reopening in ${delayMs} ms`);
    } catch (e) {
      this.restarting = null;
      done();
      throw e;
    }
    const reopened = new Promise((resolve, reject) => {
      this.reopenTimer = setTimeout(() => {
        this.reopenTimer = null;
        if (this.closed) return resolve();
        this.listen().then(resolve, reject);
      }, delayMs);
    }).finally(() => {
      this.restarting = null;
      done();
    });
    reopened.catch((e) => this.log(`restart: failed to listen again: ${e.message}`));
    if (wait) await reopened;
  }

  async shutdown() {
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    await this.stopListening();
  }

  // --- socket.io wiring -------------------------------------------------------------

  setup(io) {
    const authenticate = (socket, next) => {
      const auth = socket.handshake.auth || {};
      const token = auth.token;
      if (token === undefined || token === null || token === "") {
        return next(authRefusal("missing_token", "missing token"));
      }
      if (typeof token !== "string") return next(authRefusal("auth_failed", "invalid token"));
      let claims;
      try {
        claims = jwt.verify(token, this.config.secret, { algorithms: ["HS256"] });
      } catch (e) {
        if (e && e.name === "TokenExpiredError") {
          return next(authRefusal("token_expired", "token expired", { expiredAt: e.expiredAt.toISOString() }));
        }
        return next(authRefusal("auth_failed", "invalid token"));
      }
      const user = typeof claims.sub === "string" ? USERS[claims.sub] : undefined;
      if (!user || !Object.prototype.hasOwnProperty.call(USERS, claims.sub)) {
        return next(authRefusal("auth_failed", "unknown user"));
      }
      socket.data.userId = user.id;
      next();
    };

    io.use(authenticate);
    io.on("connection", (socket) => this.onConnection(io, socket));

    const admin = io.of("/admin");
    admin.use(authenticate);
    admin.use((socket, next) => {
      if (USERS[socket.data.userId].role !== "admin") {
        return next(refusal("forbidden", "forbidden", "admin only"));
      }
      next();
    });
    admin.on("connection", (socket) => this.onAdminConnection(io, socket));

    io.engine.on("connection_error", (err) => {
      this.log(`engine connection_error code=${err.code} message=${err.message}`);
    });
  }

  onConnection(io, socket) {
    const userId = socket.data.userId;
    socket.join(userRoom(userId));
    this.log(`connect nsp=/ sid=${socket.id} user=${userId} recovered=${socket.recovered} transport=${socket.conn.transport.name}`);
    const contacts = contactsOf(userId);
    socket.on("disconnect", (reason, description) => {
      this.log(`disconnect nsp=/ sid=${socket.id} user=${userId} reason=${reason}` +
        (description && description.message ? ` desc=${description.message}` : ""));
      // presence: the user's last socket is gone (the socket has already left nsp.sockets).
      // Nothing is sent while the whole server goes down (restart, shutdown).
      if (this.io !== io || this.isOnline(io, userId)) return;
      this.emitToUsers(io, contacts.filter((c) => this.isOnline(io, c)), "presence", { userId, online: false });
    });

    // per socket, per event: timestamps of the calls carried out within the current window
    const calls = new Map();
    /** null when the call may go ahead, else the milliseconds until it may. */
    const rateLimited = (event) => {
      const cfg = this.rateLimits.get(event);
      if (!cfg) return null;
      const now = performance.now();
      const recent = (calls.get(event) || []).filter((t) => t > now - cfg.windowMs);
      calls.set(event, recent);
      if (recent.length >= cfg.limit) return Math.max(1, Math.ceil(recent[0] + cfg.windowMs - now));
      recent.push(now);
      return null;
    };

    /** fn(payload, args): args are every argument but the ack; payload is args[0] or {}. */
    const handle = (event, fn) => {
      socket.on(event, (...args) => {
        const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
        const payload = args.length > 0 ? args[0] : undefined;
        let result;
        const retryAfterMs = rateLimited(event);
        if (retryAfterMs !== null) {
          socket.emit("rateLimited", { event, retryAfterMs });
          result = {
            ok: false,
            error: { code: "rate_limited", message: `too many ${event} calls`, retryAfterMs },
          };
          if (ack) ack(result);
          return;
        }
        try {
          result = fn(payload === undefined || payload === null ? {} : payload, args);
        } catch (e) {
          result = e instanceof AppError
            ? { ok: false, error: { code: e.code, message: e.message } }
            : { ok: false, error: { code: "internal", message: String(e && e.message) } };
          if (!(e instanceof AppError)) this.log(`handler ${event} threw: ${e && e.stack}`);
        }
        if (ack) ack(result);
      });
    };

    const conversationFor = (payload) => {
      if (typeof payload !== "object" || typeof payload.conversationId !== "string" || payload.conversationId === "") {
        throw new AppError("bad_request", "conversationId must be a non-empty string");
      }
      const conv = Object.prototype.hasOwnProperty.call(CONVERSATIONS, payload.conversationId)
        ? CONVERSATIONS[payload.conversationId]
        : null;
      if (!conv) throw new AppError("not_found", `no conversation ${payload.conversationId}`);
      if (!conv.members.includes(userId)) {
        throw new AppError("forbidden", `${userId} is not a member of ${conv.id}`);
      }
      return conv;
    };

    /** {conversationId, messageId}: the conversation (membership checked) and the message in it. */
    const messageFor = (payload) => {
      if (!isObject(payload) || !isNonEmptyString(payload.conversationId) || !isNonEmptyString(payload.messageId)) {
        throw new AppError("bad_request", "conversationId and messageId must be non-empty strings");
      }
      const conv = conversationFor(payload);
      const message = this.state.messagesById.get(payload.messageId);
      if (!message || message.conversationId !== conv.id) {
        throw new AppError("not_found", `no message ${payload.messageId} in ${conv.id}`);
      }
      return { conv, message };
    };

    handle("joinConversation", (payload) => {
      const conv = conversationFor(payload);
      socket.join(convRoom(conv.id));
      return { ok: true };
    });

    handle("leaveConversation", (payload) => {
      const conv = conversationFor(payload);
      socket.leave(convRoom(conv.id));
      return { ok: true };
    });

    handle("sendMessage", (payload) => {
      const conv = conversationFor(payload);
      const { content, clientMessageId } = payload;
      if (typeof content !== "string" || content.length === 0 || content.length > 10000) {
        throw new AppError("bad_request", "content must be a string of 1..10000 characters");
      }
      if (typeof clientMessageId !== "string" || clientMessageId.length === 0 || clientMessageId.length > 200) {
        throw new AppError("bad_request", "clientMessageId must be a string of 1..200 characters");
      }
      const key = `${userId}\0${clientMessageId}`;
      const existing = this.state.byClientMessageId.get(key);
      if (existing) return { ok: true, message: existing };
      const message = {
        id: `m${this.state.nextMessage++}`,
        conversationId: conv.id,
        senderId: userId,
        content,
        createdAt: new Date().toISOString(),
        clientMessageId,
      };
      this.state.messages.push(message);
      this.state.messagesById.set(message.id, message);
      this.state.byClientMessageId.set(key, message);
      // to the room, except this socket (the sender's other sockets in the room get it)
      socket.to(convRoom(conv.id)).emit("newMessage", message);
      return { ok: true, message };
    });

    const typing = (event) => (payload) => {
      const conv = conversationFor(payload);
      // to the room, except every socket of the typing user
      socket.to(convRoom(conv.id)).except(userRoom(userId)).emit(event, { userId, conversationId: conv.id });
      return { ok: true };
    };
    handle("typing", typing("userTyping"));
    handle("stopTyping", typing("userStoppedTyping"));

    handle("markNotificationRead", (payload) => {
      if (typeof payload !== "object" || typeof payload.notificationId !== "string") {
        throw new AppError("bad_request", "notificationId must be a string");
      }
      const n = (this.state.notifications.get(userId) || []).find((x) => x.id === payload.notificationId);
      if (!n) throw new AppError("not_found", `no notification ${payload.notificationId}`);
      n.read = true;
      const count = this.emitUnread(io, userId);
      return { ok: true, count };
    });

    handle("markAllNotificationsRead", () => {
      for (const n of this.state.notifications.get(userId) || []) n.read = true;
      const count = this.emitUnread(io, userId);
      return { ok: true, count };
    });

    // --- read receipts: the last message marked read, per (user, conversation)
    handle("markConversationRead", (payload) => {
      const { conv, message } = messageFor(payload);
      this.state.readPositions.get(userId).set(conv.id, message.id);
      socket.to(convRoom(conv.id)).emit("readReceipt", { conversationId: conv.id, userId, messageId: message.id });
      return { ok: true };
    });

    // --- reactions: a set of (user, emoji) per message
    const reaction = (added) => (payload) => {
      if (!isObject(payload) || !isNonEmptyString(payload.conversationId) || !isNonEmptyString(payload.messageId) ||
          typeof payload.emoji !== "string" || payload.emoji.length === 0 || [...payload.emoji].length > MAX_EMOJI_CHARS) {
        throw new AppError("bad_request", `conversationId and messageId must be non-empty strings, emoji 1..${MAX_EMOJI_CHARS} characters`);
      }
      const { conv, message } = messageFor(payload);
      const emoji = payload.emoji;
      let byEmoji = this.state.reactions.get(message.id);
      const users = byEmoji && byEmoji.get(emoji);
      const present = !!users && users.has(userId);
      if (present === added) return { ok: true }; // already so: nothing changes, nothing is sent
      if (added) {
        if (!byEmoji) this.state.reactions.set(message.id, (byEmoji = new Map()));
        if (!byEmoji.has(emoji)) byEmoji.set(emoji, new Set());
        byEmoji.get(emoji).add(userId);
      } else {
        users.delete(userId);
        if (users.size === 0) byEmoji.delete(emoji);
        if (byEmoji.size === 0) this.state.reactions.delete(message.id);
      }
      socket.to(convRoom(conv.id)).emit("reaction", { conversationId: conv.id, messageId: message.id, userId, emoji, added });
      return { ok: true };
    };
    handle("addReaction", reaction(true));
    handle("removeReaction", reaction(false));

    // --- call signalling: relayed untouched to every socket of a contact
    handle("callSignal", (payload) => {
      if (!isObject(payload) || !isNonEmptyString(payload.toUserId) || !isNonEmptyString(payload.callId, MAX_ID_CHARS) ||
          !CALL_SIGNAL_TYPES.has(payload.type)) {
        throw new AppError("bad_request", `toUserId must be a non-empty string, callId 1..${MAX_ID_CHARS} characters, type one of offer, answer, ice, end`);
      }
      const to = payload.toUserId;
      if (!contacts.includes(to)) throw new AppError("forbidden", `${userId} shares no conversation with ${to}`);
      if (!this.isOnline(io, to)) throw new AppError("offline", `${to} is not connected`);
      const payloadOut = payload.payload === undefined ? null : payload.payload;
      io.to(userRoom(to)).emit("callSignal", { fromUserId: userId, callId: payload.callId, type: payload.type, payload: payloadOut });
      return { ok: true };
    });

    // --- uploads in binary chunks: (meta, <bytes>, ack), per user, resumable
    handle("uploadChunk", (meta, args) => {
      const bytes = args[1];
      if (!isObject(meta) || !isNonEmptyString(meta.uploadId, MAX_ID_CHARS)) {
        throw new AppError("bad_request", `uploadId must be a string of 1..${MAX_ID_CHARS} characters`);
      }
      const { uploadId, index, total, size } = meta;
      if (!Number.isInteger(total) || total < 1 || total > MAX_UPLOAD_CHUNKS) {
        throw new AppError("bad_request", `total must be an integer in 1..${MAX_UPLOAD_CHUNKS}`);
      }
      if (!Number.isInteger(index) || index < 0 || index >= total) {
        throw new AppError("bad_request", "index must be an integer in 0..total-1");
      }
      if (!Buffer.isBuffer(bytes)) {
        throw new AppError("bad_request", "the chunk must follow the metadata as one binary attachment");
      }
      if (!Number.isInteger(size) || size !== bytes.length || size > MAX_CHUNK_BYTES) {
        throw new AppError("bad_request", `size must equal the chunk's byte count (${bytes.length}) and be at most ${MAX_CHUNK_BYTES}`);
      }
      const key = `${userId}\0${uploadId}`;
      let up = this.state.uploads.get(key);
      if (up && up.total !== total) {
        throw new AppError("bad_request", `upload ${uploadId} has total ${up.total}, not ${total}`);
      }
      if (!up) {
        up = { userId, uploadId, total, chunks: new Array(total), nextIndex: 0, received: 0, complete: null };
        this.state.uploads.set(key, up);
      }
      if (!up.complete && up.chunks[index] === undefined) {
        up.chunks[index] = Buffer.from(bytes); // a copy: never keep a view into a larger frame buffer
        up.received += 1;
        while (up.nextIndex < total && up.chunks[up.nextIndex] !== undefined) up.nextIndex += 1;
        if (up.received === total) {
          const all = Buffer.concat(up.chunks);
          up.complete = { userId, bytes: all.length, sha256: crypto.createHash("sha256").update(all).digest("hex") };
          up.chunks = null; // only the summary is kept
          this.log(`upload ${uploadId} user=${userId} complete bytes=${all.length}`);
        }
      }
      if (up.complete) return { ok: true, received: index, nextIndex: total, complete: true, bytes: up.complete.bytes };
      return { ok: true, received: index, nextIndex: up.nextIndex };
    });

    handle("uploadStatus", (payload) => {
      if (!isObject(payload) || !isNonEmptyString(payload.uploadId, MAX_ID_CHARS)) {
        throw new AppError("bad_request", `uploadId must be a string of 1..${MAX_ID_CHARS} characters`);
      }
      const up = this.state.uploads.get(`${userId}\0${payload.uploadId}`);
      if (!up) return { ok: true, nextIndex: 0, total: null };
      return { ok: true, nextIndex: up.complete ? up.total : up.nextIndex, total: up.total };
    });

    // right after connect (also after a recovered connect): the current unread count,
    // then the presence of every contact currently online
    socket.emit("unreadCount", { count: unreadCount(this.state, userId) });
    const onlineContacts = contacts.filter((c) => this.isOnline(io, c));
    for (const c of onlineContacts) socket.emit("presence", { userId: c, online: true });
    // the user's first socket: the user came online for every contact online
    if (this.socketsOf(io, userId).length === 1) {
      this.emitToUsers(io, onlineContacts, "presence", { userId, online: true });
    }
  }

  onAdminConnection(io, socket) {
    const userId = socket.data.userId;
    this.log(`connect nsp=/admin sid=${socket.id} user=${userId} recovered=${socket.recovered}`);
    socket.on("getStats", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      if (!ack) return;
      const online = new Set();
      for (const s of io.of("/").sockets.values()) online.add(s.data.userId);
      ack({
        ok: true,
        stats: {
          connections: io.of("/").sockets.size,
          onlineUsers: [...online].sort(),
          messages: this.state.messages.length,
        },
      });
    });
  }

  /** Sends unreadCount to every socket of the user; returns the count. */
  emitUnread(io, userId) {
    const count = unreadCount(this.state, userId);
    io.to(userRoom(userId)).emit("unreadCount", { count });
    return count;
  }

  /** The user's connected sockets on "/". */
  socketsOf(io, userId) {
    return [...io.of("/").sockets.values()].filter((s) => s.data.userId === userId);
  }

  /** Online = at least one connected socket on "/". */
  isOnline(io, userId) {
    for (const s of io.of("/").sockets.values()) if (s.data.userId === userId) return true;
    return false;
  }

  /** Emits to every socket of the given users (nothing at all for an empty list). */
  emitToUsers(io, userIds, event, payload) {
    if (userIds.length === 0) return; // io.to([]) would mean the whole namespace
    io.to(userIds.map(userRoom)).emit(event, payload);
  }

  // --- control operations -----------------------------------------------------------

  requireIo() {
    if (!this.io) throw new AppError("not_listening", "the server is restarting");
    return this.io;
  }

  /** socket.io sockets (every namespace) matching a userId and/or sid. */
  findSockets({ userId, sid } = {}) {
    const io = this.requireIo();
    const out = [];
    for (const nsp of io._nsps.values()) {
      for (const s of nsp.sockets.values()) {
        if (userId !== undefined && s.data.userId !== userId) continue;
        if (sid !== undefined && s.id !== sid) continue;
        out.push(s);
      }
    }
    return out;
  }

  /** Engine.IO connections for a selector; no selector = every open connection. */
  findConns(sel = {}) {
    const io = this.requireIo();
    if (sel.userId === undefined && sel.sid === undefined) return Object.values(io.engine.clients);
    return [...new Set(this.findSockets(sel).map((s) => s.conn))];
  }

  notify({ userId, kind = "system", title = "Notification", body = "" }) {
    if (!Object.prototype.hasOwnProperty.call(USERS, userId)) throw new AppError("not_found", `no user ${userId}`);
    const io = this.requireIo();
    const n = {
      id: `n${this.state.nextNotification++}`,
      kind: String(kind),
      title: String(title),
      body: String(body),
      createdAt: new Date().toISOString(),
      read: false,
    };
    this.state.notifications.get(userId).push(n);
    io.to(userRoom(userId)).emit("notification", n);
    const count = this.emitUnread(io, userId);
    return { notification: n, count };
  }

  /** Drops connections abruptly: "terminate" = TCP destroy, "close" = WebSocket close frame. */
  drop({ userId, sid, mode = "terminate" }) {
    if (userId === undefined && sid === undefined) throw new AppError("bad_request", "userId or sid required");
    if (mode !== "terminate" && mode !== "close") throw new AppError("bad_request", "mode must be terminate or close");
    const conns = this.findConns({ userId, sid });
    for (const conn of conns) {
      const t = conn.transport;
      if (mode === "terminate" && t && t.name === "websocket" && t.socket && t.socket.terminate) {
        t.socket.terminate();
      } else if (mode === "terminate" && t && t.name === "polling") {
        // no persistent socket: destroy the pending poll request's TCP connection, then the session
        const req = t.req;
        if (req && req.socket) req.socket.destroy();
        conn.close();
      } else {
        conn.close();
      }
    }
    return { dropped: conns.length };
  }

  /** Server-side DISCONNECT packet (client sees "io server disconnect", no auto-reconnect). */
  kick({ userId, sid, namespace }) {
    if (userId === undefined && sid === undefined) throw new AppError("bad_request", "userId or sid required");
    const sockets = this.findSockets({ userId, sid }).filter((s) => namespace === undefined || s.nsp.name === namespace);
    for (const s of sockets) s.disconnect(false);
    return { disconnected: sockets.length };
  }

  /**
   * Simulates a hung server for the selected Engine.IO connections: no pings are sent,
   * nothing is written (packets queue in the engine.io write buffer) and incoming packets
   * are held unprocessed. After durationMs (if the client has not given up by then) the
   * held packets are processed, the queue is flushed and pings resume.
   */
  hang({ userId, sid, durationMs }) {
    if (!Number.isInteger(durationMs) || durationMs < 0) throw new AppError("bad_request", "durationMs must be a non-negative integer");
    const conns = this.findConns({ userId, sid }).filter((c) => c.readyState === "open");
    for (const conn of conns) hangConn(conn, durationMs, (m) => this.log(m));
    return { hung: conns.length, until: new Date(Date.now() + durationMs).toISOString() };
  }

  /** Rate limit of one client -> server event, per socket; limit 0 or missing = off. */
  setRateLimit({ event, limit, windowMs }) {
    if (!isNonEmptyString(event)) throw new AppError("bad_request", "event must be a non-empty string");
    if (limit === undefined || limit === null || limit === 0) {
      this.rateLimits.delete(event);
    } else {
      if (!Number.isInteger(limit) || limit < 0) throw new AppError("bad_request", "limit must be a non-negative integer");
      if (!Number.isInteger(windowMs) || windowMs < 1) throw new AppError("bad_request", "windowMs must be a positive integer");
      this.rateLimits.set(event, { limit, windowMs });
    }
    return { rateLimits: Object.fromEntries(this.rateLimits) };
  }

  /**
   * Removes the user's sockets from conv:<id> (also from the rooms saved for their
   * recoverable sessions) and sends removedFromConversation to every socket of the user.
   */
  removeFromConversation({ userId, conversationId, reason = "kicked" }) {
    if (!isNonEmptyString(userId) || !isNonEmptyString(conversationId)) {
      throw new AppError("bad_request", "userId and conversationId must be non-empty strings");
    }
    if (typeof reason !== "string") throw new AppError("bad_request", "reason must be a string");
    if (!Object.prototype.hasOwnProperty.call(USERS, userId)) throw new AppError("not_found", `no user ${userId}`);
    if (!Object.prototype.hasOwnProperty.call(CONVERSATIONS, conversationId)) {
      throw new AppError("not_found", `no conversation ${conversationId}`);
    }
    const io = this.requireIo();
    const room = convRoom(conversationId);
    const sockets = this.socketsOf(io, userId);
    let removed = 0;
    for (const s of sockets) {
      if (!s.rooms.has(room)) continue;
      s.leave(room);
      removed += 1;
    }
    const sessions = io.of("/").adapter.sessions; // SessionAwareAdapter: pid -> {sid, pid, rooms, data}
    if (sessions) {
      for (const session of sessions.values()) {
        if (session.data && session.data.userId === userId) session.rooms = session.rooms.filter((r) => r !== room);
      }
    }
    io.to(userRoom(userId)).emit("removedFromConversation", { conversationId, reason });
    return { removed, notified: sockets.length };
  }

  emitArbitrary({ event, args = [], to, userId, conversationId, namespace = "/", volatile = false }) {
    if (typeof event !== "string" || event === "") throw new AppError("bad_request", "event must be a non-empty string");
    if (!Array.isArray(args)) throw new AppError("bad_request", "args must be an array");
    const io = this.requireIo();
    let target = io.of(namespace);
    const rooms = [];
    if (to !== undefined) rooms.push(...(Array.isArray(to) ? to : [to]));
    if (userId !== undefined) rooms.push(userRoom(userId));
    if (conversationId !== undefined) rooms.push(convRoom(conversationId));
    if (rooms.length) target = target.to(rooms);
    if (volatile) target = target.volatile;
    target.emit(event, ...args.map(decodeBinary));
    return { rooms };
  }

  snapshot(query) {
    const conversationId = query.get("conversationId");
    const unread = {};
    const notifications = {};
    for (const [u, list] of this.state.notifications) {
      unread[u] = list.filter((n) => !n.read).length;
      notifications[u] = list;
    }
    const sockets = [];
    if (this.io) {
      for (const nsp of this.io._nsps.values()) {
        for (const s of nsp.sockets.values()) {
          sockets.push({
            namespace: nsp.name,
            sid: s.id,
            userId: s.data.userId,
            rooms: [...s.rooms].filter((r) => r !== s.id).sort(),
            transport: s.conn.transport.name,
            recovered: s.recovered,
            hung: !!s.conn.__tidingsHang,
          });
        }
      }
    }
    const readPositions = {};
    for (const [u, byConv] of this.state.readPositions) readPositions[u] = Object.fromEntries(byConv);
    const reactions = {};
    for (const [messageId, byEmoji] of this.state.reactions) {
      reactions[messageId] = {};
      for (const [emoji, users] of byEmoji) reactions[messageId][emoji] = [...users].sort();
    }
    const uploads = {};
    for (const up of this.state.uploads.values()) if (up.complete) uploads[up.uploadId] = up.complete;
    return {
      generation: this.generation,
      listening: this.listening,
      messages: conversationId ? this.state.messages.filter((m) => m.conversationId === conversationId) : this.state.messages,
      unread,
      notifications,
      sockets,
      readPositions,
      reactions,
      uploads,
      rateLimits: Object.fromEntries(this.rateLimits),
    };
  }
}

/** Replaces {"$binary": "<base64>"} objects with Buffers (control-channel emit). */
function decodeBinary(v) {
  if (Array.isArray(v)) return v.map(decodeBinary);
  if (v && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$binary" && typeof v.$binary === "string") {
      return Buffer.from(v.$binary, "base64");
    }
    const out = {};
    for (const k of keys) out[k] = decodeBinary(v[k]);
    return out;
  }
  return v;
}

// engine.io 6.6 internals (node_modules/engine.io/build/socket.js): the server schedules
// pings with `pingIntervalTimer` (schedulePing) and waits for the pong with
// `pingTimeoutTimer` (resetPingTimeout); every write goes through `socket.flush()`, called
// as a method (so an own-property override takes effect); incoming packets are decoded by
// the transport and passed to `transport.onPacket()` (also called as a method), which
// emits "packet" to the socket.
function hangConn(conn, durationMs, log) {
  if (conn.__tidingsHang) {
    // already hung: extend
    clearTimeout(conn.__tidingsHang.timer);
    conn.__tidingsHang.timer = setTimeout(() => resume(conn), durationMs);
    return;
  }
  clearTimeout(conn.pingIntervalTimer);
  clearTimeout(conn.pingTimeoutTimer);
  conn.pingTimeoutTimer = null;
  const held = [];
  const transport = conn.transport;
  const h = { held, transport, timer: null };
  conn.__tidingsHang = h;
  conn.flush = function hungFlush() {}; // writes stay in conn.writeBuffer
  transport.onPacket = function hungOnPacket(packet) {
    held.push(packet);
  };
  h.timer = setTimeout(() => resume(conn), durationMs);
  log(`hang sid=${conn.id} for ${durationMs} ms`);

  function resume(c) {
    const st = c.__tidingsHang;
    if (!st) return;
    delete c.__tidingsHang;
    delete c.flush; // back to Socket.prototype.flush
    delete st.transport.onPacket; // back to Transport.prototype.onPacket
    if (c.readyState !== "open") return;
    log(`resume sid=${c.id} (held ${st.held.length} incoming, ${c.writeBuffer.length} outgoing)`);
    for (const p of st.held) st.transport.onPacket(p);
    c.flush();
    clearTimeout(c.pingIntervalTimer);
    c.schedulePing();
  }
}

// ---------------------------------------------------------------------------------------
// control channel: HTTP + JSON on 127.0.0.1

function startControl(server, port) {
  const routes = {
    "GET /control/health": () => ({
      ok: true,
      pid: process.pid,
      port: server.port,
      controlPort: control.address().port,
      listening: server.listening,
      generation: server.generation,
      pingInterval: server.config.pingInterval,
      pingTimeout: server.config.pingTimeout,
      maxDisconnectionDuration: server.config.maxDisconnectionDuration,
      transports: server.config.transports,
    }),
    "GET /control/state": (_body, query) => Object.assign({ ok: true }, server.snapshot(query)),
    "POST /control/restart": async (body) => {
      const delayMs = body.delayMs === undefined ? 0 : body.delayMs;
      if (!Number.isInteger(delayMs) || delayMs < 0) throw new AppError("bad_request", "delayMs must be a non-negative integer");
      await server.restart({ delayMs, resetState: !!body.resetState, wait: !!body.wait });
      return { ok: true, port: server.port, listening: server.listening, generation: server.generation };
    },
    "POST /control/drop": (body) => Object.assign({ ok: true }, server.drop(body)),
    "POST /control/disconnect": (body) => Object.assign({ ok: true }, server.kick(body)),
    "POST /control/hang": (body) => Object.assign({ ok: true }, server.hang(body)),
    "POST /control/notify": (body) => Object.assign({ ok: true }, server.notify(body)),
    "POST /control/emit": (body) => Object.assign({ ok: true }, server.emitArbitrary(body)),
    "POST /control/rate-limit": (body) => Object.assign({ ok: true }, server.setRateLimit(body)),
    "POST /control/kick": (body) => Object.assign({ ok: true }, server.removeFromConversation(body)),
    "POST /control/reset": () => {
      server.state = freshState();
      server.rateLimits.clear();
      return { ok: true };
    },
  };

  const control = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const route = routes[`${req.method} ${url.pathname}`];
    const send = (status, obj) => {
      const text = JSON.stringify(obj);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (!route) return send(404, { ok: false, error: { code: "not_found", message: `no route ${req.method} ${url.pathname}` } });
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 1e6) req.destroy();
      else chunks.push(c);
    });
    req.on("end", async () => {
      let body = {};
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() !== "") {
        try {
          body = JSON.parse(text);
        } catch {
          return send(400, { ok: false, error: { code: "bad_request", message: "body is not JSON" } });
        }
        if (typeof body !== "object" || body === null || Array.isArray(body)) {
          return send(400, { ok: false, error: { code: "bad_request", message: "body must be a JSON object" } });
        }
      }
      try {
        send(200, await route(body, url.searchParams));
      } catch (e) {
        if (e instanceof AppError) {
          const status = e.code === "not_found" ? 404 : e.code === "bad_request" ? 400 : 409;
          send(status, { ok: false, error: { code: e.code, message: e.message } });
        } else {
          server.log(`control ${url.pathname} failed: ${e && e.stack}`);
          send(500, { ok: false, error: { code: "internal", message: String(e && e.message) } });
        }
      }
    });
  });
  return new Promise((resolve, reject) => {
    control.once("error", reject);
    control.listen(port, "127.0.0.1", () => resolve(control));
  });
}

// ---------------------------------------------------------------------------------------

async function main() {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`server: ${e.message}\n`);
    process.exit(2);
  }
  const server = new ReferenceServer(config);
  await server.listen();
  const control = await startControl(server, config.controlPort);
  process.stdout.write(`CONTROL ${control.address().port}\nLISTENING ${server.port}\n`);

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    server.log(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    Promise.allSettled([
      server.shutdown(),
      new Promise((r) => {
        control.close(r);
        control.closeAllConnections();
      }),
    ]).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`server: fatal: ${e && e.stack}\n`);
    process.exit(1);
  });
}

module.exports = { ReferenceServer, parseConfig };
