"use strict";
// Fixture users, conversations and the shared test secret of the tidings reference server.
// tests/pyserver/server.py carries the same fixtures; keep them in step (docs/protocol.md).

/** HS256 secret used when TIDINGS_JWT_SECRET is unset. Test-only, never a real secret. */
const DEFAULT_SECRET = "tidings-reference-test-secret-not-for-prod"; // 42 bytes: PyJWT warns below 32

const USERS = Object.freeze({
  alice: Object.freeze({ id: "alice", name: "Alice", role: "user" }),
  bob: Object.freeze({ id: "bob", name: "Bob", role: "user" }),
  carol: Object.freeze({ id: "carol", name: "Carol", role: "user" }),
  admin: Object.freeze({ id: "admin", name: "Admin", role: "admin" }),
});

const CONVERSATIONS = Object.freeze({
  c1: Object.freeze({ id: "c1", members: Object.freeze(["alice", "bob"]) }),
  c2: Object.freeze({ id: "c2", members: Object.freeze(["alice", "carol"]) }),
  c3: Object.freeze({ id: "c3", members: Object.freeze(["bob", "carol"]) }),
});

function secretFromEnv(env = process.env) {
  const s = env.TIDINGS_JWT_SECRET;
  return s && s.length > 0 ? s : DEFAULT_SECRET;
}

module.exports = { DEFAULT_SECRET, USERS, CONVERSATIONS, secretFromEnv };
