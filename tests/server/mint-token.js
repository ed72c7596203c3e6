#!/usr/bin/env node
"use strict";
// Prints an HS256 JWT for the tidings reference server.
//
//   node mint-token.js <userId> [--expires-in 60s] [--secret S]
//
// --expires-in takes a number of seconds or an `ms` string ("60s", "2h", "-10s" for an
// already-expired token); without it the token never expires. The secret defaults to
// TIDINGS_JWT_SECRET, else the fixed test secret in fixtures.js. The claim `sub` is the
// user id; the server also accepts any other claims.
const jwt = require("jsonwebtoken");
const { secretFromEnv } = require("./fixtures");

function usage(code) {
  process.stderr.write(
    "usage: node mint-token.js <userId> [--expires-in 60s] [--secret SECRET]\n",
  );
  process.exit(code);
}

function parseArgs(argv) {
  const out = { userId: undefined, expiresIn: undefined, secret: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const key = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith("--") && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) usage(2);
      return argv[++i];
    };
    if (key === "--expires-in") out.expiresIn = value();
    else if (key === "--secret") out.secret = value();
    else if (key === "-h" || key === "--help") usage(0);
    else if (key.startsWith("--")) usage(2);
    else if (out.userId === undefined) out.userId = a;
    else usage(2);
  }
  if (!out.userId) usage(2);
  return out;
}

/** Mints a token; `expiresIn` is seconds (number) or an `ms` string, undefined = no exp. */
function mintToken(userId, { expiresIn, secret } = {}) {
  const opts = { algorithm: "HS256" };
  if (expiresIn !== undefined && expiresIn !== null) {
    opts.expiresIn = /^-?\d+$/.test(String(expiresIn)) ? Number(expiresIn) : expiresIn;
  }
  return jwt.sign({ sub: userId }, secret || secretFromEnv(), opts);
}

if (require.main === module) {
  const args = parseArgs(process.argv.slice(2));
  try {
    process.stdout.write(mintToken(args.userId, args) + "\n");
  } catch (e) {
    process.stderr.write(`mint-token: ${e.message}\n`);
    process.exit(2);
  }
}

module.exports = { mintToken };
