#!/usr/bin/env python3
"""Self-test of the python-socketio peer: starts server.py, drives it with python-socketio's
AsyncClient and a raw aiohttp WebSocket, exits non-zero on the first failure.

    .venv/bin/python selftest.py
"""
import asyncio
import json
import os
import re
import subprocess
import sys
import time
import warnings

import aiohttp
import jwt
import socketio

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server import DEFAULT_SECRET  # noqa: E402

warnings.filterwarnings("ignore", message="The HMAC key")
SECRET = os.environ.get("TIDINGS_JWT_SECRET") or DEFAULT_SECRET
passed = []


def token(sub, secret=SECRET, expires_in=None):
    claims = {"sub": sub, "iat": int(time.time())}
    if expires_in is not None:
        claims["exp"] = int(time.time()) + expires_in
    return jwt.encode(claims, secret, algorithm="HS256")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    passed.append(what)
    print(f"ok - {what}", flush=True)


async def start_server():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, os.path.join(HERE, "server.py"), "--quiet",
        stdout=asyncio.subprocess.PIPE, stderr=None)
    line = await asyncio.wait_for(proc.stdout.readline(), 15)
    m = re.fullmatch(rb"LISTENING (\d+)\n", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"unexpected first line {line!r}")
    return proc, int(m.group(1))


async def refused(url, auth):
    """Connects with `auth`; returns the connect_error payload the client received."""
    c = socketio.AsyncClient(reconnection=False)
    got = asyncio.get_running_loop().create_future()

    @c.event
    async def connect_error(data):
        if not got.done():
            got.set_result(data)

    try:
        await c.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
        raise AssertionError("connected with a bad token")
    except socketio.exceptions.ConnectionError:
        pass
    finally:
        await c.disconnect()
    return await asyncio.wait_for(got, 5)


async def client(url, user):
    c = socketio.AsyncClient(reconnection=False)
    await c.connect(url, auth={"token": token(user)}, transports=["websocket"], wait_timeout=5)
    return c


async def run(port):
    url = f"http://127.0.0.1:{port}"

    # auth refusals as python-socketio's client surfaces them
    err = await refused(url, {"token": token("alice", secret="wrong-secret-wrong-secret-wrong-secret")})
    check(err == {"message": "unauthorized", "data": {"code": "auth_failed", "reason": "invalid token"}},
          f"bad signature refused: {err}")
    err = await refused(url, {"token": token("alice", expires_in=-10)})
    check(err["message"] == "unauthorized" and err["data"]["code"] == "token_expired", f"expired refused: {err}")
    err = await refused(url, {})
    check(err == {"message": "unauthorized", "data": {"code": "missing_token", "reason": "missing token"}},
          f"missing token refused: {err}")

    # the exact frames on the wire
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket") as ws:
            opening = (await asyncio.wait_for(ws.receive(), 5)).data
            check(opening.startswith('0{"sid":'), f"engine.io open: {opening}")
            await ws.send_str("40" + json.dumps({"token": "not.a.jwt"}))
            frame = (await asyncio.wait_for(ws.receive(), 5)).data
            check(frame == '44{"message":"unauthorized","data":{"code":"auth_failed","reason":"invalid token"}}',
                  f"wire CONNECT_ERROR: {frame}")
            await ws.send_str("40/admin," + json.dumps({"token": token("bob")}))
            frame = (await asyncio.wait_for(ws.receive(), 5)).data
            check(frame == '44/admin,{"message":"forbidden","data":{"code":"forbidden","reason":"admin only"}}',
                  f"wire CONNECT_ERROR /admin: {frame}")

    alice = await client(url, "alice")
    bob = await client(url, "bob")
    try:
        check(await alice.call("joinConversation", {"conversationId": "c1"}, timeout=5) == {"ok": True}, "alice joins c1")
        check(await bob.call("joinConversation", {"conversationId": "c1"}, timeout=5) == {"ok": True}, "bob joins c1")
        res = await alice.call("joinConversation", {"conversationId": "c3"}, timeout=5)
        check(res["ok"] is False and res["error"]["code"] == "forbidden", "alice may not join c3")
        res = await alice.call("joinConversation", {"conversationId": "zz"}, timeout=5)
        check(res["ok"] is False and res["error"]["code"] == "not_found", "unknown conversation is not_found")

        got = asyncio.get_running_loop().create_future()
        bob.on("newMessage", lambda m: got.done() or got.set_result(m))
        res = await alice.call("sendMessage", {"conversationId": "c1", "content": "hi bob", "clientMessageId": "py-1"},
                               timeout=5)
        m = res["message"]
        check(res["ok"] and m["senderId"] == "alice" and m["content"] == "hi bob" and m["clientMessageId"] == "py-1",
              f"sendMessage acked: {res}")
        check(await asyncio.wait_for(got, 5) == m, "bob got newMessage")
        again = await alice.call("sendMessage", {"conversationId": "c1", "content": "hi bob", "clientMessageId": "py-1"},
                                 timeout=5)
        check(again == res, "repeated clientMessageId acks the same message")

        typing = asyncio.get_running_loop().create_future()
        bob.on("userTyping", lambda t: typing.done() or typing.set_result(t))
        check(await alice.call("typing", {"conversationId": "c1"}, timeout=5) == {"ok": True}, "typing acked")
        check(await asyncio.wait_for(typing, 5) == {"userId": "alice", "conversationId": "c1"}, "bob got userTyping")

        payload = bytes([0, 1, 2, 0xFE, 0xFF])
        echoed = await alice.call("echoBinary", payload, timeout=5)
        check(echoed == payload, f"echoBinary acks the same bytes: {echoed!r}")
        nested = await alice.call("echoBinary", {"data": payload, "n": 1}, timeout=5)
        check(nested == {"data": payload, "n": 1}, "echoBinary inside an object")

        binary = asyncio.get_running_loop().create_future()
        alice.on("binary", lambda b: binary.done() or binary.set_result(b))
        res = await alice.call("sendBinary", {"size": 300}, timeout=5)
        check(res == {"ok": True, "size": 300}, "sendBinary acked")
        b = await asyncio.wait_for(binary, 5)
        check(isinstance(b, bytes) and b == bytes(i % 256 for i in range(300)), "binary event carries bytes")
    finally:
        await alice.disconnect()
        await bob.disconnect()

    admin = socketio.AsyncClient(reconnection=False)
    await admin.connect(url, auth={"token": token("admin")}, namespaces=["/admin"], transports=["websocket"],
                        wait_timeout=5)
    try:
        stats = await admin.call("getStats", namespace="/admin", timeout=5)
        check(stats["ok"] is True and stats["stats"]["messages"] == 1, f"admin getStats: {stats}")
    finally:
        await admin.disconnect()


async def main():
    proc, port = await start_server()
    try:
        await asyncio.wait_for(run(port), 30)
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except asyncio.TimeoutError:
            proc.kill()
    check(proc.returncode == 0, f"server exited cleanly on SIGTERM (rc={proc.returncode})")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # noqa: BLE001
        print(f"not ok - {type(e).__name__}: {e}", flush=True)
        print(f"0 passed, 1 failed" if not passed else f"{len(passed)} passed, 1 failed", flush=True)
        sys.exit(1)
    print(f"{len(passed)} passed, 0 failed", flush=True)
