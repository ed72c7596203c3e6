#!/usr/bin/env python3
"""tidings python-socketio peer: the basic event contract of docs/protocol.md.

    .venv/bin/python server.py [--port 0] [--ping-interval 25000] [--ping-timeout 20000]
                               [--secret S] [--quiet]

Same fixtures, secret (TIDINGS_JWT_SECRET, else the fixed test secret) and refusal
payloads as tests/server/server.js. Serves Socket.IO at /socket.io/ (aiohttp, polling and
websocket) and a tiny control API at /control/health and /control/state on the same port.
Prints exactly one line on stdout when ready: LISTENING <port>. Logs go to stderr.
"""
import argparse
import asyncio
import datetime as dt
import itertools
import os
import signal
import sys
import warnings

import jwt
import socketio
from aiohttp import web

DEFAULT_SECRET = "tidings-reference-test-secret-not-for-prod"  # same as tests/server/fixtures.js

# a shorter TIDINGS_JWT_SECRET works (as in jsonwebtoken); PyJWT would only warn about it
warnings.filterwarnings("ignore", message="The HMAC key")

USERS = {
    "alice": {"id": "alice", "name": "Alice", "role": "user"},
    "bob": {"id": "bob", "name": "Bob", "role": "user"},
    "carol": {"id": "carol", "name": "Carol", "role": "user"},
    "admin": {"id": "admin", "name": "Admin", "role": "admin"},
}

CONVERSATIONS = {
    "c1": {"id": "c1", "members": ["alice", "bob"]},
    "c2": {"id": "c2", "members": ["alice", "carol"]},
    "c3": {"id": "c3", "members": ["bob", "carol"]},
}


def iso_now():
    """Like JavaScript's Date.prototype.toISOString(): millisecond precision, Z."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def iso_from_epoch(seconds):
    t = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


class AppError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def refused(message, code, reason, **extra):
    # python-socketio sends CONNECT_ERROR with {"message": args[0], "data": args[1]}
    return socketio.exceptions.ConnectionRefusedError(message, dict(code=code, reason=reason, **extra))


def auth_refused(code, reason, **extra):
    return refused("unauthorized", code, reason, **extra)


def build(secret, ping_interval_ms, ping_timeout_ms, log):
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        ping_interval=ping_interval_ms / 1000,
        ping_timeout=ping_timeout_ms / 1000,
        cors_allowed_origins="*",
    )
    state = {
        "messages": [],
        "by_client_id": {},
        "next_message": itertools.count(1),
    }
    sessions = {}  # (namespace, sid) -> userId

    def authenticate(auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is None or token == "":
            raise auth_refused("missing_token", "missing token")
        if not isinstance(token, str):
            raise auth_refused("auth_failed", "invalid token")
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
            raise auth_refused("token_expired", "token expired", expiredAt=iso_from_epoch(exp))
        except jwt.InvalidTokenError:
            raise auth_refused("auth_failed", "invalid token")
        user = USERS.get(claims.get("sub")) if isinstance(claims.get("sub"), str) else None
        if user is None:
            raise auth_refused("auth_failed", "unknown user")
        return user

    # python-socketio sends the CONNECT reply only after this handler returns, so anything
    # emitted from here would reach the client BEFORE the CONNECT packet: emit nothing.
    @sio.on("connect")
    async def connect(sid, environ, auth=None):
        user = authenticate(auth)
        sessions[("/", sid)] = user["id"]
        await sio.enter_room(sid, f"user:{user['id']}")
        log(f"connect nsp=/ sid={sid} user={user['id']}")

    @sio.on("disconnect")
    async def disconnect(sid, reason=None):
        user = sessions.pop(("/", sid), None)
        log(f"disconnect nsp=/ sid={sid} user={user} reason={reason}")

    @sio.on("connect", namespace="/admin")
    async def admin_connect(sid, environ, auth=None):
        user = authenticate(auth)
        if user["role"] != "admin":
            raise refused("forbidden", "forbidden", "admin only")
        sessions[("/admin", sid)] = user["id"]

    @sio.on("disconnect", namespace="/admin")
    async def admin_disconnect(sid, reason=None):
        sessions.pop(("/admin", sid), None)

    @sio.on("getStats", namespace="/admin")
    async def get_stats(sid, *args):
        online = sorted({u for (ns, _), u in sessions.items() if ns == "/"})
        return {"ok": True, "stats": {"connections": sum(1 for (ns, _) in sessions if ns == "/"),
                                      "onlineUsers": online, "messages": len(state["messages"])}}

    def handler(event):
        """Registers fn(user_id, sid, payload) -> ack value; AppError -> {ok:false,error}."""
        def register(fn):
            async def wrapped(sid, *args):
                payload = args[0] if args and args[0] is not None else {}
                user_id = sessions.get(("/", sid))
                try:
                    return await fn(user_id, sid, payload)
                except AppError as e:
                    return {"ok": False, "error": {"code": e.code, "message": e.message}}
            sio.on(event, wrapped)
            return fn
        return register

    def conversation_for(user_id, payload):
        cid = payload.get("conversationId") if isinstance(payload, dict) else None
        if not isinstance(cid, str) or cid == "":
            raise AppError("bad_request", "conversationId must be a non-empty string")
        conv = CONVERSATIONS.get(cid)
        if conv is None:
            raise AppError("not_found", f"no conversation {cid}")
        if user_id not in conv["members"]:
            raise AppError("forbidden", f"{user_id} is not a member of {cid}")
        return conv

    @handler("joinConversation")
    async def join(user_id, sid, payload):
        conv = conversation_for(user_id, payload)
        await sio.enter_room(sid, f"conv:{conv['id']}")
        return {"ok": True}

    @handler("leaveConversation")
    async def leave(user_id, sid, payload):
        conv = conversation_for(user_id, payload)
        await sio.leave_room(sid, f"conv:{conv['id']}")
        return {"ok": True}

    @handler("sendMessage")
    async def send_message(user_id, sid, payload):
        conv = conversation_for(user_id, payload)
        content = payload.get("content")
        client_id = payload.get("clientMessageId")
        if not isinstance(content, str) or not 1 <= len(content) <= 10000:
            raise AppError("bad_request", "content must be a string of 1..10000 characters")
        if not isinstance(client_id, str) or not 1 <= len(client_id) <= 200:
            raise AppError("bad_request", "clientMessageId must be a string of 1..200 characters")
        key = (user_id, client_id)
        existing = state["by_client_id"].get(key)
        if existing is not None:
            return {"ok": True, "message": existing}
        message = {
            "id": f"m{next(state['next_message'])}",
            "conversationId": conv["id"],
            "senderId": user_id,
            "content": content,
            "createdAt": iso_now(),
            "clientMessageId": client_id,
        }
        state["messages"].append(message)
        state["by_client_id"][key] = message
        await sio.emit("newMessage", message, room=f"conv:{conv['id']}", skip_sid=sid)
        return {"ok": True, "message": message}

    def typing(relay):
        async def fn(user_id, sid, payload):
            conv = conversation_for(user_id, payload)
            skip = [s for (ns, s), u in sessions.items() if ns == "/" and u == user_id]
            await sio.emit(relay, {"userId": user_id, "conversationId": conv["id"]},
                           room=f"conv:{conv['id']}", skip_sid=skip)
            return {"ok": True}
        return fn

    handler("typing")(typing("userTyping"))
    handler("stopTyping")(typing("userStoppedTyping"))

    # binary: the ack carries back exactly what arrived (bytes stay bytes)
    @sio.on("echoBinary")
    async def echo_binary(sid, *args):
        return args[0] if len(args) == 1 else list(args)

    # the server emits `binary` with a bytes payload (bytes 0..size-1, mod 256) to the
    # calling socket, then acks {ok, size}
    @handler("sendBinary")
    async def send_binary(user_id, sid, payload):
        size = payload.get("size", 4) if isinstance(payload, dict) else 4
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= 1_000_000:
            raise AppError("bad_request", "size must be an integer 0..1000000")
        await sio.emit("binary", bytes(i % 256 for i in range(size)), to=sid)
        return {"ok": True, "size": size}

    async def health(_request):
        return web.json_response({"ok": True, "pid": os.getpid(),
                                  "pingInterval": ping_interval_ms, "pingTimeout": ping_timeout_ms})

    async def snapshot(request):
        cid = request.query.get("conversationId")
        msgs = [m for m in state["messages"] if cid is None or m["conversationId"] == cid]
        socks = [{"namespace": ns, "sid": s, "userId": u,
                  "rooms": sorted(r for r in sio.rooms(s, namespace=ns) if r != s)}
                 for (ns, s), u in sessions.items()]
        return web.json_response({"ok": True, "messages": msgs, "sockets": socks})

    app = web.Application()
    sio.attach(app)
    app.router.add_get("/control/health", health)
    app.router.add_get("/control/state", snapshot)
    return app


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    env = os.environ
    p.add_argument("--port", type=int, default=int(env.get("TIDINGS_PORT", "0") or 0))
    p.add_argument("--ping-interval", type=int, default=int(env.get("TIDINGS_PING_INTERVAL", "25000") or 25000),
                   help="ms; python-engineio advertises whole seconds only")
    p.add_argument("--ping-timeout", type=int, default=int(env.get("TIDINGS_PING_TIMEOUT", "20000") or 20000),
                   help="ms")
    p.add_argument("--secret", default=env.get("TIDINGS_JWT_SECRET") or DEFAULT_SECRET)
    p.add_argument("--quiet", action="store_true", default=env.get("TIDINGS_QUIET") == "1")
    args = p.parse_args()

    def log(msg):
        if not args.quiet:
            print(f"pyserver: {msg}", file=sys.stderr, flush=True)

    app = build(args.secret, args.ping_interval, args.ping_timeout, log)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = runner.addresses[0][1]
    log(f"listening 127.0.0.1:{port}")
    print(f"LISTENING {port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log("signal: shutting down")
    try:
        await asyncio.wait_for(runner.cleanup(), 3)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    asyncio.run(main())
