"use strict";
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { scope, connect, once, within, ack } = require("./harness");

const KiB = 1024;
const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");

describe("uploads in binary chunks", () => {
  const s = scope();
  let server;
  before(async () => {
    server = await s.server();
  });
  after(() => s.cleanup());

  it("chunks in any order, duplicates acked, complete with byte count; state has the sha256", async () => {
    const alice = await connect(s.client(server, "alice"));
    const data = crypto.randomBytes(256 * KiB * 2 + 1000);
    const chunks = [data.subarray(0, 256 * KiB), data.subarray(256 * KiB, 512 * KiB), data.subarray(512 * KiB)];
    const send = (index, uploadId = "up-1") =>
      ack(alice, "uploadChunk", { uploadId, index, total: 3, size: chunks[index].length }, chunks[index]);

    assert.deepEqual(await ack(alice, "uploadStatus", { uploadId: "up-1" }), { ok: true, nextIndex: 0, total: null });
    assert.deepEqual(await send(0), { ok: true, received: 0, nextIndex: 1 });
    assert.deepEqual(await send(2), { ok: true, received: 2, nextIndex: 1 }, "a gap keeps nextIndex");
    assert.deepEqual(await send(0), { ok: true, received: 0, nextIndex: 1 }, "a duplicate is acked ok");
    assert.deepEqual(await ack(alice, "uploadStatus", { uploadId: "up-1" }), { ok: true, nextIndex: 1, total: 3 });
    let state = await server.control("GET", "/control/state");
    assert.equal(state.uploads["up-1"], undefined, "not complete yet");

    assert.deepEqual(await send(1), { ok: true, received: 1, nextIndex: 3, complete: true, bytes: data.length });
    assert.deepEqual(await send(2), { ok: true, received: 2, nextIndex: 3, complete: true, bytes: data.length }, "after completion too");
    assert.deepEqual(await ack(alice, "uploadStatus", { uploadId: "up-1" }), { ok: true, nextIndex: 3, total: 3 });
    state = await server.control("GET", "/control/state");
    assert.deepEqual(state.uploads["up-1"], { userId: "alice", bytes: data.length, sha256: sha256(data) });
  });

  it("survives a reconnect (resume from uploadStatus); per user", async () => {
    const data = Buffer.from("hello, resumable world");
    const parts = [data.subarray(0, 10), data.subarray(10)];
    const meta = (index) => ({ uploadId: "resume-1", index, total: 2, size: parts[index].length });
    const first = await connect(s.client(server, "bob"));
    assert.deepEqual(await ack(first, "uploadChunk", meta(0), parts[0]), { ok: true, received: 0, nextIndex: 1 });
    first.disconnect();

    const again = await connect(s.client(server, "bob"));
    const status = await ack(again, "uploadStatus", { uploadId: "resume-1" });
    assert.deepEqual(status, { ok: true, nextIndex: 1, total: 2 });
    // another user's upload of the same id is a different upload
    const carol = await connect(s.client(server, "carol"));
    assert.deepEqual(await ack(carol, "uploadStatus", { uploadId: "resume-1" }), { ok: true, nextIndex: 0, total: null });

    assert.deepEqual(await ack(again, "uploadChunk", meta(status.nextIndex), parts[status.nextIndex]), {
      ok: true, received: 1, nextIndex: 2, complete: true, bytes: data.length,
    });
    const state = await server.control("GET", "/control/state");
    assert.deepEqual(state.uploads["resume-1"], { userId: "bob", bytes: data.length, sha256: sha256(data) });
  });

  it("an empty upload is one empty chunk", async () => {
    const carol = await connect(s.client(server, "carol"));
    assert.deepEqual(await ack(carol, "uploadChunk", { uploadId: "empty", index: 0, total: 1, size: 0 }, Buffer.alloc(0)), {
      ok: true, received: 0, nextIndex: 1, complete: true, bytes: 0,
    });
    const state = await server.control("GET", "/control/state");
    assert.deepEqual(state.uploads.empty, { userId: "carol", bytes: 0, sha256: sha256(Buffer.alloc(0)) });
  });

  it("refusals are bad_request and change nothing", async () => {
    const alice = await connect(s.client(server, "alice"));
    const four = Buffer.from([1, 2, 3, 4]);
    const code = async (...args) => {
      const res = await ack(alice, "uploadChunk", ...args);
      assert.equal(res.ok, false, JSON.stringify(res));
      return res.error.code;
    };
    const meta = (over) => Object.assign({ uploadId: "bad", index: 0, total: 2, size: 4 }, over);
    assert.equal(await code(meta({ size: 5 }), four), "bad_request", "size differs from the bytes");
    assert.equal(await code(meta({ size: "4" }), four), "bad_request");
    const big = Buffer.alloc(256 * KiB + 1);
    assert.equal(await code(meta({ size: big.length }), big), "bad_request", "over 256 KiB");
    assert.equal(await code(meta({ index: 2 }), four), "bad_request", "index = total");
    assert.equal(await code(meta({ index: -1 }), four), "bad_request");
    assert.equal(await code(meta({ index: 0.5 }), four), "bad_request");
    assert.equal(await code(meta({ total: 0, index: 0 }), four), "bad_request");
    assert.equal(await code(meta({ total: 10001 }), four), "bad_request");
    assert.equal(await code(meta({ uploadId: "" }), four), "bad_request");
    assert.equal(await code(meta({ uploadId: 3 }), four), "bad_request");
    assert.equal(await code(meta({})), "bad_request", "no binary attachment");
    assert.equal(await code(meta({}), "AQIDBA=="), "bad_request", "base64 text is not binary");
    assert.equal(await code(four, meta({})), "bad_request", "wrong order");
    assert.equal(await code(), "bad_request");
    // total is fixed by the first accepted chunk
    assert.deepEqual(await ack(alice, "uploadChunk", meta({}), four), { ok: true, received: 0, nextIndex: 1 });
    assert.equal(await code(meta({ total: 3, index: 1 }), four), "bad_request");
    assert.deepEqual(await ack(alice, "uploadStatus", { uploadId: "bad" }), { ok: true, nextIndex: 1, total: 2 });
    // the largest chunk is fine
    const max = Buffer.alloc(256 * KiB, 7);
    assert.deepEqual(await ack(alice, "uploadChunk", { uploadId: "max", index: 0, total: 10000, size: max.length }, max), {
      ok: true, received: 0, nextIndex: 1,
    });
    assert.equal((await ack(alice, "uploadStatus", {})).error.code, "bad_request");
    assert.equal((await ack(alice, "uploadStatus")).error.code, "bad_request");
  });

  it("uploads survive a restart like messages; resetState wipes them", async () => {
    const own = await s.server();
    const alice = await connect(s.client(own, "alice"));
    const meta = (index) => ({ uploadId: "r", index, total: 2, size: 1 });
    await ack(alice, "uploadChunk", meta(0), Buffer.from([0]));
    let back = once(alice, "connect");
    await own.control("POST", "/control/restart", { wait: true });
    await within(3000, back, "reconnect");
    assert.deepEqual(await ack(alice, "uploadStatus", { uploadId: "r" }), { ok: true, nextIndex: 1, total: 2 });
    assert.equal((await ack(alice, "uploadChunk", meta(1), Buffer.from([1]))).complete, true);
    back = once(alice, "connect");
    await own.control("POST", "/control/restart", { wait: true, resetState: true });
    await within(3000, back, "reconnect");
    assert.deepEqual(await ack(alice, "uploadStatus", { uploadId: "r" }), { ok: true, nextIndex: 0, total: null });
    assert.deepEqual((await own.control("GET", "/control/state")).uploads, {});
  });
});
