#!/usr/bin/env python3
# Copied unchanged from the project's shared/bench/gen_corpus.py: the definition of the
# codec benchmark workload. Kept here so that the build and the benchmark never read
# ../shared; regenerate with `make bench` (writes bench/corpus/, which is gitignored).
"""Deterministic corpus of Engine.IO v4 + Socket.IO v5 *text* WebSocket frames,
as a chat/notification client would receive them from the server.

Each line of corpus.jsonl is a JSON string literal holding exactly one WebSocket
text frame (Engine.IO over WebSocket = one packet per frame, no \\x1e separator).

JSON payloads are serialised the way the Node server does (JSON.stringify):
compact separators, non-ASCII emitted as raw UTF-8 (ensure_ascii=False),
only '"', '\\' and control chars escaped.

Usage: python3 gen_corpus.py [--n 20000] [--seed 20240917] [--out corpus.jsonl]
Writes corpus.jsonl and corpus_stats.json next to this script by default.
"""
import argparse
import datetime as dt
import json
import os
import random
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))

WORDS = (
    "hey hi ok sure thanks lol yes no maybe tomorrow today meeting deploy release "
    "build failed passed review PR merge branch lunch coffee ship it looks good to me "
    "can you check the logs please ping me when done I think we should wait for QA "
    "the dashboard is slow again customers are reporting timeouts on the EU cluster "
    "rollback is ready invoice sent weekend plan sounds great see you at 10 "
    "did you see the new design doc? let's sync after standup"
).split()
UNICODE_BITS = [
    "café", "naïve", "Zürich", "São Paulo", "Øresund", "Ελληνικά", "Привет", "日本語のテキスト",
    "中文消息", "한국어", "עברית", "العربية", "हिन्दी", "ไทย", "✓", "→", "€100", "½", "…", "—",
    "😀", "😂", "👍", "🎉", "🔥", "🚀", "❤️", "👩‍💻", "🇩🇪", "🤔", "🙏🏽", "✨",
]
QUOTED = ['"quoted"', 'he said "ship it"', 'path C:\\Users\\me', 'say \\"hi\\"',
          "tab\there", "line1\nline2", "it's", '{"not":"json"}']
FIRST = ["Alice", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Guo", "Hana", "Ivan", "José",
         "Kwame", "Léa", "Mia", "Nils", "Oğuz", "Priya", "Quinn", "Raúl", "Sven", "Tomás"]
LAST = ["Smith", "Müller", "Nguyen", "García", "Kowalski", "Tanaka", "O'Brien", "Ivanova",
        "Haddad", "Silva", "Johansson", "Kim", "Rossi", "Dubois", "Novák", "Ahmed"]
MIME = [("image/png", ".png"), ("image/jpeg", ".jpg"), ("application/pdf", ".pdf"),
        ("video/mp4", ".mp4"), ("text/plain", ".txt")]
NOTIF_KINDS = ["mention", "reaction", "reply", "friend_request", "system", "invite"]
TYPING_STATES = [True, False]
NAMESPACES = ["/chat", "/notifications"]


def dumps(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.t0 = dt.datetime(2024, 9, 17, 8, 0, 0, tzinfo=dt.timezone.utc)
        self.msg_seq = 1_000_000
        self.ack_id = 0

    def oid(self):
        return "%024x" % self.r.getrandbits(96)

    def uuid(self):
        h = "%032x" % self.r.getrandbits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def iso(self):
        t = self.t0 + dt.timedelta(milliseconds=self.r.randrange(0, 86_400_000 * 30))
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

    def text(self, lo, hi):
        target = self.r.randint(lo, hi)
        parts = []
        n = 0
        guard = 0
        while n < target and guard < 400:  # bounded
            guard += 1
            x = self.r.random()
            if x < 0.78:
                w = self.r.choice(WORDS)
            elif x < 0.93:
                w = self.r.choice(UNICODE_BITS)
            else:
                w = self.r.choice(QUOTED)
            parts.append(w)
            n += len(w) + 1
        s = " ".join(parts)
        if len(s) > hi:
            s = s[:hi]
        if len(s) < lo:
            s = s + "." * (lo - len(s))
        return s

    def user(self):
        return {
            "id": self.oid(),
            "name": f"{self.r.choice(FIRST)} {self.r.choice(LAST)}",
            "avatarUrl": f"https://cdn.example.com/avatars/{self.r.getrandbits(32):08x}.webp",
        }

    def attachment(self):
        mime, ext = self.r.choice(MIME)
        a = {
            "id": self.oid(),
            "type": mime,
            "name": self.text(5, 30).replace("\n", " ") + ext,
            "size": self.r.randint(1_000, 25_000_000),
            "url": f"https://files.example.com/{self.uuid()}{ext}",
        }
        if mime.startswith("image/"):
            a["width"] = self.r.choice([320, 640, 1080, 1920, 4032])
            a["height"] = self.r.choice([240, 480, 1080, 1440, 3024])
        return a

    def message(self):
        self.msg_seq += 1
        m = {
            "id": self.oid(),
            "seq": self.msg_seq,
            "conversationId": self.oid(),
            "senderId": self.oid(),
            "sender": self.user() if self.r.random() < 0.5 else None,
            "content": self.text(20, 400),
            "createdAt": self.iso(),
            "editedAt": self.iso() if self.r.random() < 0.08 else None,
            "attachments": [self.attachment() for _ in range(self.r.choice([1, 1, 1, 2, 3]))]
            if self.r.random() < 0.2 else [],
            "mentions": [self.oid() for _ in range(self.r.randint(0, 2))],
            "reactions": {e: self.r.randint(1, 40) for e in self.r.sample(["👍", "❤️", "😂", "🎉"], self.r.randint(0, 2))},
            "replyTo": self.oid() if self.r.random() < 0.15 else None,
            "pinned": self.r.random() < 0.02,
        }
        if m["sender"] is None:
            del m["sender"]
        return m

    def notification(self):
        return {
            "id": self.uuid(),
            "kind": self.r.choice(NOTIF_KINDS),
            "title": self.text(10, 60),
            "body": self.text(20, 160),
            "actor": self.user(),
            "link": f"/c/{self.oid()}/m/{self.oid()}",
            "read": False,
            "priority": self.r.choice(["low", "normal", "normal", "high"]),
            "createdAt": self.iso(),
        }

    def typing(self):
        return {"conversationId": self.oid(), "userId": self.oid(),
                "isTyping": self.r.choice(TYPING_STATES)}

    def nsp_prefix(self):
        # ~35% of socket.io packets on a custom namespace
        if self.r.random() < 0.35:
            return self.r.choice(NAMESPACES) + ","
        return ""

    def frame(self):
        x = self.r.random()
        if x < 0.05:
            return "2", "eio_ping"
        if x < 0.55:
            return "42" + self.nsp_prefix() + dumps(["newMessage", self.message()]), "newMessage"
        if x < 0.68:
            return "42" + self.nsp_prefix() + dumps(["notification", self.notification()]), "notification"
        if x < 0.76:
            return "42" + self.nsp_prefix() + dumps(["unreadCount", self.r.randint(0, 999)]), "unreadCount"
        if x < 0.88:
            return "42" + self.nsp_prefix() + dumps(["userTyping", self.typing()]), "userTyping"
        if x < 0.90:
            # presence batch: several args
            users = [{"userId": self.oid(), "status": self.r.choice(["online", "away", "offline"]),
                      "lastSeen": self.iso()} for _ in range(self.r.randint(1, 8))]
            return "42" + self.nsp_prefix() + dumps(["presence", users, self.r.randint(1, 10**6)]), "presence"
        if x < 0.96:
            # ack responses to client emits: 43<nsp,>id[...]
            self.ack_id = (self.ack_id + 1) % 100000
            k = self.r.random()
            if k < 0.5:
                payload = [{"ok": True, "id": self.oid(), "createdAt": self.iso()}]
            elif k < 0.8:
                payload = [None, {"messages": [self.message() for _ in range(self.r.randint(1, 3))],
                                  "hasMore": self.r.random() < 0.5}]
            else:
                payload = [{"ok": False, "error": {"code": "RATE_LIMITED", "message": self.text(10, 80)}}]
            return "43" + self.nsp_prefix() + str(self.ack_id) + dumps(payload), "ack"
        if x < 0.97:
            # BINARY_EVENT header (attachment frame follows as a binary WS frame, not in corpus)
            meta = {"_placeholder": True, "num": 0}
            if self.r.random() < 0.5:
                return "451-" + self.nsp_prefix() + dumps(["upload", meta]), "binaryEventHeader"
            return "451-" + self.nsp_prefix() + dumps(["upload", {"fileId": self.oid(), "name": "photo.jpg"}, meta]), "binaryEventHeader"
        if x < 0.98:
            # namespace CONNECT acknowledgement
            return "40" + self.nsp_prefix() + dumps({"sid": self.oid()[:20]}), "connect"
        if x < 0.99:
            return "42" + self.nsp_prefix() + dumps(["messageDeleted", {"id": self.oid(), "conversationId": self.oid()}]), "messageDeleted"
        return "42" + self.nsp_prefix() + dumps(["readReceipt", {"conversationId": self.oid(), "userId": self.oid(), "upTo": self.oid(), "at": self.iso()}]), "readReceipt"


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * (len(sorted_vals) - 1)))))
    return sorted_vals[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20240917)
    ap.add_argument("--out", default=os.path.join(HERE, "corpus.jsonl"))
    ap.add_argument("--stats", default=None)
    a = ap.parse_args()
    stats_path = a.stats or os.path.splitext(a.out)[0] + "_stats.json"

    g = Gen(a.seed)
    frames, kinds = [], {}
    for _ in range(a.n):
        f, k = g.frame()
        frames.append(f)
        kinds[k] = kinds.get(k, 0) + 1

    with open(a.out, "w", encoding="utf-8") as fh:
        for f in frames:
            fh.write(json.dumps(f, ensure_ascii=False) + "\n")

    sizes = sorted(len(f.encode("utf-8")) for f in frames)
    buckets = [(0, 1), (2, 64), (65, 128), (129, 256), (257, 512), (513, 1024),
               (1025, 2048), (2049, 4096), (4097, 1 << 30)]
    hist = {}
    for lo, hi in buckets:
        c = sum(1 for s in sizes if lo <= s <= hi)
        hist[f"{lo}-{hi if hi < (1 << 30) else 'inf'}"] = c
    non_ascii = sum(1 for f in frames if any(ord(ch) > 127 for ch in f))
    stats = {
        "frames": len(frames),
        "seed": a.seed,
        "total_bytes_utf8": sum(sizes),
        "min": sizes[0], "p10": pct(sizes, 10), "p50": pct(sizes, 50), "p90": pct(sizes, 90),
        "p99": pct(sizes, 99), "max": sizes[-1], "mean": round(statistics.mean(sizes), 1),
        "frames_with_non_ascii": non_ascii,
        "frames_with_namespace": sum(1 for f in frames if f[2:3] == "/" or f.startswith("451-/")),
        "kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        "size_histogram_bytes": hist,
    }
    with open(stats_path, "w", encoding="utf-8") as fh:
        json.dump(stats, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
