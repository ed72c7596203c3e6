//! Replays the app scenario files in tests/scenarios/app/*.json against the app layer
//! (`Realtime`) through the simulation harness, asserting every transport command, sent
//! frame, event, command result and state probe in order. The format is described in
//! tests/scenarios/README.md ("App scenarios"); the bindings replay the same files.
//!
//! Strict on purpose: an unknown key (in a file, a scenario, its config or a step) or an
//! unknown action fails the test, so a typo cannot pass as "nothing expected". Every
//! scenario runs even when one fails; the failures are reported together, each naming its
//! file, scenario and step.

mod support;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use serde_json::{json, Map, Value};
use support::app::{app_config, call_state, Rt};
use support::sim::Sim;
use support::steps::{self, check_keys};
use tidings::app::{badge_text, AppConfig, RateClass};

/// The app actions and their parameters (`?`: optional).
const APP_ACTIONS: &[(&str, &[&str])] = &[
    ("join", &["conversation"]),
    ("leave", &["conversation"]),
    ("send_message", &["conversation", "content"]),
    ("typing", &["conversation"]),
    ("mark_read", &["notification"]),
    ("mark_all_read", &[]),
    ("mark_conversation_read", &["conversation", "message"]),
    ("add_reaction", &["conversation", "message", "emoji"]),
    ("remove_reaction", &["conversation", "message", "emoji"]),
    ("start_call", &["to", "call", "payload"]),
    ("answer_call", &["call", "payload"]),
    ("send_ice", &["call", "payload"]),
    ("end_call", &["call"]),
    ("start_upload", &["upload", "total_bytes", "chunk_size"]),
    ("upload_chunk", &["upload", "index", "hex"]),
    ("cancel_upload", &["upload"]),
    ("snapshot", &["name?", "buffer?", "snapshot_hex?", "same_as?"]),
    ("restore", &["from?", "hex?", "drop_last?", "corrupt?", "seed?"]),
];

/// State read after a step.
const PROBE_KEYS: &[&str] = &[
    "phase",
    "unread",
    "badge",
    "outbox",
    "conversations",
    "joined",
    "presence",
    "read_position",
    "read_pending",
    "call_state",
    "calls",
    "uploads",
    "rate_limited_for",
    "deadline",
];

/// One file per feature of the app layer must exist (a deleted file must not pass).
const FEATURE_FILES: &[&str] = &[
    "conversations",
    "messages",
    "outbox",
    "typing",
    "notifications",
    "presence",
    "receipts",
    "reactions",
    "calls",
    "uploads",
    "rate-limits",
    "snapshot",
];

/// What a scenario keeps between steps besides the simulation.
struct Scenario {
    seed: u64,
    config: AppConfig,
    /// Snapshots taken, by name.
    snapshots: HashMap<String, Vec<u8>>,
}

fn text<'v>(step: &'v Value, key: &str, ctx: &str) -> &'v str {
    step[key].as_str().unwrap_or_else(|| panic!("{ctx}: {key:?} is not a string"))
}

fn number(step: &Value, key: &str, ctx: &str) -> u64 {
    step[key].as_u64().unwrap_or_else(|| panic!("{ctx}: {key:?} is not a non-negative integer"))
}

fn unhex(step: &Value, key: &str, ctx: &str) -> Vec<u8> {
    hex::decode(text(step, key, ctx)).unwrap_or_else(|e| panic!("{ctx}: {key:?} is not hex: {e}"))
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn rate_class(name: &str, ctx: &str) -> RateClass {
    RateClass::ALL
        .into_iter()
        .find(|c| format!("{c:?}") == name)
        .unwrap_or_else(|| panic!("{ctx}: unknown rate class {name:?}"))
}

/// Runs an app action (every one in [`APP_ACTIONS`]).
fn app_action(sim: &mut Sim<Rt>, sc: &mut Scenario, action: &str, step: &Value, ctx: &str) -> Result<Value, String> {
    let now = sim.t();
    let rt = &mut *sim.client;
    let s = |key| text(step, key, ctx);
    let unit = |r: Result<(), tidings::app::AppError>| r.map(|_| Value::Null).map_err(err);
    let handle =
        |r: Result<tidings::client::AckHandle, tidings::app::AppError>| r.map(|h| json!({"ack": h.0})).map_err(err);
    match action {
        "join" => unit(rt.join(now, s("conversation"))),
        "leave" => unit(rt.leave(now, s("conversation"))),
        "send_message" => {
            rt.send_message(now, s("conversation"), s("content")).map(|id| Value::String(id.to_string())).map_err(err)
        }
        "typing" => {
            rt.typing(now, s("conversation"));
            Ok(Value::Null)
        }
        "mark_read" => unit(rt.mark_read(now, s("notification"))),
        "mark_all_read" => unit(rt.mark_all_read(now)),
        "mark_conversation_read" => handle(rt.mark_conversation_read(now, s("conversation"), s("message"))),
        "add_reaction" => handle(rt.add_reaction(now, s("conversation"), s("message"), s("emoji"))),
        "remove_reaction" => handle(rt.remove_reaction(now, s("conversation"), s("message"), s("emoji"))),
        "start_call" => unit(rt.start_call(now, s("to"), s("call"), s("payload"))),
        "answer_call" => unit(rt.answer_call(now, s("call"), s("payload"))),
        "send_ice" => unit(rt.send_ice(now, s("call"), s("payload"))),
        "end_call" => unit(rt.end_call(now, s("call"))),
        "start_upload" => {
            let (total, chunk) = (number(step, "total_bytes", ctx), number(step, "chunk_size", ctx) as u32);
            rt.start_upload(now, s("upload"), total, chunk).map(Value::from).map_err(err)
        }
        "upload_chunk" => {
            let index = number(step, "index", ctx) as u32;
            unit(rt.upload_chunk(now, s("upload"), index, &unhex(step, "hex", ctx)))
        }
        "cancel_upload" => unit(rt.cancel_upload(now, s("upload"))),
        "snapshot" => {
            let mut buf = vec![0u8; step.get("buffer").map_or(65_536, |_| number(step, "buffer", ctx) as usize)];
            let n = match rt.snapshot(now, &mut buf) {
                Ok(n) => n,
                Err(e) => return Err(err(e)),
            };
            let bytes = buf[..n].to_vec();
            if step.get("snapshot_hex").is_some() {
                assert_eq!(hex::encode(&bytes), s("snapshot_hex"), "{ctx}: snapshot bytes");
            }
            if step.get("same_as").is_some() {
                let earlier = sc.snapshots.get(s("same_as")).unwrap_or_else(|| panic!("{ctx}: no such snapshot"));
                assert_eq!(hex::encode(&bytes), hex::encode(earlier), "{ctx}: not the same bytes as {}", s("same_as"));
            }
            let name = step.get("name").map_or("snapshot", |_| s("name"));
            sc.snapshots.insert(name.to_string(), bytes);
            Ok(json!({"len": n}))
        }
        "restore" => {
            assert!(step.get("hex").is_none() || step.get("from").is_none(), "{ctx}: \"hex\" or \"from\", not both");
            let mut bytes = if step.get("hex").is_some() {
                unhex(step, "hex", ctx)
            } else {
                let from = step.get("from").map_or("snapshot", |_| s("from"));
                sc.snapshots.get(from).unwrap_or_else(|| panic!("{ctx}: no snapshot named {from:?}")).clone()
            };
            if step.get("drop_last").is_some() {
                let n = number(step, "drop_last", ctx) as usize;
                bytes.truncate(bytes.len().saturating_sub(n));
            }
            if let Some(c) = step.get("corrupt") {
                check_keys(c, &["index", "xor"], ctx);
                let i = number(c, "index", ctx) as usize;
                assert!(i < bytes.len(), "{ctx}: corrupt.index beyond the snapshot");
                bytes[i] ^= number(c, "xor", ctx) as u8;
            }
            let seed = step.get("seed").map_or(sc.seed, |_| number(step, "seed", ctx));
            let restored = Rt::restore(sc.config, seed, now, &bytes).map_err(err)?;
            // A new process: the old one's transport is gone with it.
            *sim.client = restored;
            sim.forget_transport();
            Ok(Value::Null)
        }
        other => panic!("{ctx}: unknown action {other}"),
    }
}

/// Compares an object of expectations keyed by id with what `probe` says for each id.
fn probe_each(expected: &Value, key: &str, ctx: &str, mut probe: impl FnMut(&str) -> Value) {
    let o: &Map<String, Value> = expected.as_object().unwrap_or_else(|| panic!("{ctx}: {key:?} is not an object"));
    for (id, want) in o {
        assert_eq!(&probe(id), want, "{ctx}: {key} of {id:?}");
    }
}

/// Reads the state the step probes and compares it.
fn check_probes(sim: &mut Sim<Rt>, step: &Value, ctx: &str) {
    let now = sim.t();
    let rt = &mut *sim.client;
    let check = |key: &str, got: Value| {
        if let Some(want) = step.get(key) {
            assert_eq!(&got, want, "{ctx}: {key}");
        }
    };
    check("phase", json!(format!("{:?}", rt.phase())));
    check("unread", json!(rt.unread_count()));
    check("badge", json!(badge_text(rt.unread_count()).as_str()));
    check("outbox", json!(rt.outbox_len()));
    check("conversations", json!(rt.conversations().collect::<Vec<_>>()));
    let joined: Vec<String> = rt.conversations().map(str::to_string).collect();
    check("joined", json!(joined.iter().filter(|c| rt.is_joined(c)).collect::<Vec<_>>()));
    check("calls", json!(rt.calls_in_progress()));
    check("uploads", json!(rt.uploads_in_progress()));
    check("deadline", json!(rt.poll_timeout().map(|t| t.as_millis())));
    if let Some(want) = step.get("presence") {
        probe_each(want, "presence", ctx, |u| json!(format!("{:?}", rt.presence(u))));
    }
    if let Some(want) = step.get("read_position") {
        probe_each(want, "read_position", ctx, |c| json!(rt.read_position(c)));
    }
    if let Some(want) = step.get("read_pending") {
        probe_each(want, "read_pending", ctx, |c| json!(rt.read_position_pending(c)));
    }
    if let Some(want) = step.get("call_state") {
        probe_each(want, "call_state", ctx, |c| call_state(&rt.call_state(c)));
    }
    if let Some(want) = step.get("rate_limited_for") {
        probe_each(want, "rate_limited_for", ctx, |c| json!(rt.rate_limited_for(now, rate_class(c, ctx))));
    }
}

fn run_step(sim: &mut Sim<Rt>, sc: &mut Scenario, step: &Value, ctx: &str) {
    steps::check_step(step, APP_ACTIONS, PROBE_KEYS, ctx);
    steps::set_time(sim, step);
    let mut result: Result<Value, String> = Ok(Value::Null);
    if let Some(action) = step.get("do").and_then(Value::as_str) {
        result = match steps::connection_action(sim, action, step, ctx) {
            Some(r) => r,
            None => app_action(sim, sc, action, step, ctx),
        };
    }
    steps::check_outputs(sim, step, result, ctx);
    check_probes(sim, step, ctx);
}

/// The text of a caught panic.
fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// Replays one scenario; returns its number of steps.
fn run_scenario(file: &str, scenario: &Value) -> usize {
    let name = scenario["name"].as_str().unwrap_or_else(|| panic!("{file}: a scenario without a name"));
    let ctx = format!("{file}: {name}");
    check_keys(scenario, &["name", "seed", "config", "steps", "note"], &ctx);
    let seed = scenario.get("seed").map_or(1, |s| s.as_u64().unwrap_or_else(|| panic!("{ctx}: seed")));
    let config = app_config(scenario.get("config").unwrap_or(&Value::Null), &format!("{ctx}: config"));
    let mut sim = Sim::of(Box::new(Rt::new(config, seed)));
    let mut sc = Scenario { seed, config, snapshots: HashMap::new() };
    let steps = scenario["steps"].as_array().unwrap_or_else(|| panic!("{ctx}: no steps"));
    for (i, step) in steps.iter().enumerate() {
        let ctx = format!("{ctx}: step {i}");
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| run_step(&mut sim, &mut sc, step, &ctx))) {
            let msg = panic_message(p);
            let msg = if msg.contains(&ctx) { msg } else { format!("{ctx}: {msg}") };
            panic!("{msg}\n  the step: {step}");
        }
    }
    steps.len()
}

#[test]
fn every_app_scenario_file_replays() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios/app"));
    let files = steps::scenario_files(dir);
    let (mut scenarios, mut step_count, mut failures) = (0, 0, Vec::new());
    // Each failure is reported once, at the end, with its place (not also as it happens).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for feature in FEATURE_FILES.iter().filter(|f| !dir.join(format!("{f}.json")).exists()) {
        failures.push(format!("tests/scenarios/app/{feature}.json is missing"));
    }
    for file in &files {
        let file_name = file.file_name().unwrap().to_string_lossy().to_string();
        let doc = catch_unwind(|| {
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
                .unwrap_or_else(|e| panic!("{file_name}: not JSON: {e}"));
            check_keys(&doc, &["about", "scenarios"], &file_name);
            assert!(doc["about"].is_string(), "{file_name}: no \"about\"");
            assert!(doc["scenarios"].is_array(), "{file_name}: no scenarios");
            doc
        });
        let doc = match doc {
            Ok(doc) => doc,
            Err(p) => {
                failures.push(panic_message(p));
                continue;
            }
        };
        for scenario in doc["scenarios"].as_array().unwrap() {
            match catch_unwind(|| run_scenario(&file_name, scenario)) {
                Ok(n) => {
                    scenarios += 1;
                    step_count += n;
                }
                Err(p) => failures.push(panic_message(p)),
            }
        }
    }
    std::panic::set_hook(hook);
    assert!(failures.is_empty(), "{} app scenario(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
    assert!(scenarios >= 30, "only {scenarios} app scenarios");
    println!("replayed {scenarios} app scenarios ({step_count} steps) from {} files", files.len());
}
