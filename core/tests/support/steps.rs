//! What the scenario runners share (tests/scenarios/README.md): the files, the client
//! configuration, the connection-level actions every machine takes, and the comparison of
//! a step's outputs with its expectations.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use tidings::client::{Config, ReconnectPolicy, TransportCause};

use super::sim::{Machine, Sim};

/// The `*.json` files of a directory, sorted (subdirectories are not read).
pub fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// Fails unless `v` is an object whose keys are all in `allowed` (so a typo cannot pass
/// as an absent key).
pub fn check_keys(v: &Value, allowed: &[&str], ctx: &str) {
    let o = v.as_object().unwrap_or_else(|| panic!("{ctx}: not an object: {v}"));
    for k in o.keys() {
        assert!(allowed.contains(&k.as_str()), "{ctx}: unknown key {k:?} (allowed: {allowed:?})");
    }
}

/// The keys of a client scenario's `config`.
pub const CLIENT_CONFIG_KEYS: &[&str] = &[
    "reconnect",
    "connect_timeout_ms",
    "slow_connection_after_ms",
    "auth_timeout_ms",
    "ack_timeout_ms",
    "max_pending_acks",
    "request_auth",
];

/// Checks a client `config` strictly (every key known, the reconnect preset spelled right);
/// [`client_config`] then reads it.
pub fn check_client_config(v: &Value, ctx: &str) {
    check_keys(v, CLIENT_CONFIG_KEYS, ctx);
    match v.get("reconnect") {
        None => {}
        Some(Value::String(s)) => {
            assert!(["product", "socket.io-client"].contains(&s.as_str()), "{ctx}: unknown reconnect preset {s}")
        }
        Some(p) => check_keys(p, &["initial_delay_ms", "max_delay_ms", "jitter_permille", "max_attempts"], ctx),
    }
}

/// `Config::DEFAULT` with a scenario's overrides.
pub fn client_config(v: &Value) -> Config {
    let mut c = Config::default();
    if let Some(p) = v.get("reconnect") {
        c.reconnect = match p.as_str() {
            Some("product") => ReconnectPolicy::PRODUCT,
            Some("socket.io-client") => ReconnectPolicy::SOCKET_IO_CLIENT,
            _ => {
                let mut r = ReconnectPolicy::PRODUCT;
                if let Some(x) = p.get("initial_delay_ms") {
                    r.initial_delay_ms = x.as_u64().unwrap();
                }
                if let Some(x) = p.get("max_delay_ms") {
                    r.max_delay_ms = x.as_u64().unwrap();
                }
                if let Some(x) = p.get("jitter_permille") {
                    r.jitter_permille = x.as_u64().unwrap() as u32;
                }
                if let Some(x) = p.get("max_attempts") {
                    r.max_attempts = x.as_u64().map(|n| n as u32);
                }
                r
            }
        };
    }
    let num = |k: &str| v.get(k).and_then(Value::as_u64);
    if let Some(x) = num("connect_timeout_ms") {
        c.connect_timeout_ms = x;
    }
    if let Some(x) = num("slow_connection_after_ms") {
        c.slow_connection_after_ms = x;
    }
    if let Some(x) = num("auth_timeout_ms") {
        c.auth_timeout_ms = x;
    }
    if let Some(x) = num("ack_timeout_ms") {
        c.ack_timeout_ms = x;
    }
    if let Some(x) = num("max_pending_acks") {
        c.max_pending_acks = x as usize;
    }
    if let Some(x) = v.get("request_auth").and_then(Value::as_bool) {
        c.request_auth = x;
    }
    c
}

/// A list of JSON texts: strings as they are, other values as their JSON.
pub fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| if let Value::String(s) = x { s.clone() } else { x.to_string() }).collect())
        .unwrap_or_default()
}

/// The connection-level actions and the parameters each takes (`?`: optional).
pub const CONNECTION_ACTIONS: &[(&str, &[&str])] = &[
    ("connect", &[]),
    ("disconnect", &[]),
    ("transport_opened", &[]),
    ("transport_closed", &[]),
    ("transport_failed", &[]),
    ("recv", &["frame"]),
    ("recv_binary", &["hex"]),
    ("provide_auth", &["namespace?", "auth"]),
    ("network", &["online"]),
    ("foreground", &["value"]),
    ("advance", &["ms"]),
    ("jump", &[]),
];

/// Checks a step's keys: `at`, `do`, `note`, the action's parameters (looked up in
/// [`CONNECTION_ACTIONS`], then in the machine's own `actions`; `?` marks an optional
/// one, the others must be there), the expectations of [`OUTPUT_KEYS`] and the
/// machine's `probes`. An unknown action or key fails, so a typo cannot pass.
pub fn check_step(step: &Value, actions: &[(&str, &[&str])], probes: &[&str], ctx: &str) {
    let action = step.get("do").map(|a| a.as_str().unwrap_or_else(|| panic!("{ctx}: \"do\" is not a string")));
    let params: &[&str] = match action {
        Some(a) => CONNECTION_ACTIONS
            .iter()
            .chain(actions)
            .find(|(name, _)| *name == a)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("{ctx}: unknown action {a:?}")),
        None => &[],
    };
    let mut allowed: Vec<&str> = vec!["at", "do", "note"];
    allowed.extend(OUTPUT_KEYS);
    allowed.extend(probes);
    for p in params {
        let name = p.trim_end_matches('?');
        allowed.push(name);
        if name == *p {
            assert!(step.get(name).is_some(), "{ctx}: {} needs {name:?}", action.unwrap_or(""));
        }
    }
    check_keys(step, &allowed, ctx);
    if let Some(at) = step.get("at") {
        assert!(at.is_u64(), "{ctx}: \"at\" is not a time in ms");
    }
}

/// The expectations [`check_outputs`] compares.
pub const OUTPUT_KEYS: &[&str] = &["result", "transport", "sent", "events", "now", "state"];

/// Moves simulated time to the step's `at`, if it has one.
pub fn set_time<M: Machine>(sim: &mut Sim<M>, step: &Value) {
    if let Some(at) = step.get("at").and_then(Value::as_u64) {
        sim.at(at);
    }
}

/// Runs a connection-level action (see [`CONNECTION_ACTIONS`]); `None` if `action` is not
/// one of them.
pub fn connection_action<M: Machine>(
    sim: &mut Sim<M>,
    action: &str,
    step: &Value,
    ctx: &str,
) -> Option<Result<Value, String>> {
    let now = sim.t();
    let ns = step.get("namespace").and_then(Value::as_str).unwrap_or("/");
    let mut result = Ok(Value::Null);
    match action {
        "connect" => sim.client.connect(now),
        "disconnect" => sim.client.disconnect(now),
        "transport_opened" => sim.opened(),
        "transport_closed" => sim.closed(TransportCause::Closed),
        "transport_failed" => sim.closed(TransportCause::Failed),
        "recv" => sim.recv(step["frame"].as_str().unwrap()),
        "recv_binary" => sim.recv_binary(&hex::decode(step["hex"].as_str().unwrap()).unwrap()),
        "provide_auth" => {
            result = sim
                .client
                .provide_auth(now, ns, step["auth"].as_str())
                .map(|_| Value::Null)
                .map_err(|e| format!("{e:?}"))
        }
        "network" => sim.client.set_network(now, step["online"].as_bool().unwrap()),
        "foreground" => sim.client.set_foreground(now, step["value"].as_bool().unwrap()),
        "advance" => sim.advance(step["ms"].as_u64().unwrap()),
        "jump" => {
            sim.jump().unwrap_or_else(|| panic!("{ctx}: no deadline to jump to"));
        }
        _ => return None,
    }
    Some(result)
}

/// Drains every output and compares it, and the action's result, with the step's
/// expectations (see [`OUTPUT_KEYS`]; a missing `transport`, `sent` or `events` means
/// "nothing", a missing `result` means "no error").
pub fn check_outputs<M: Machine>(sim: &mut Sim<M>, step: &Value, result: Result<Value, String>, ctx: &str) {
    sim.pump();
    if let Some(expected) = step.get("result") {
        let got = match &result {
            Ok(v) => v.clone(),
            Err(e) => serde_json::json!({"error": e}),
        };
        assert_eq!(&got, expected, "{ctx}: result");
    } else if let Err(e) = &result {
        panic!("{ctx}: unexpected error {e}");
    }
    if let Some(t) = step.get("now") {
        assert_eq!(sim.now, t.as_u64().unwrap(), "{ctx}: time after the step");
    }
    for (key, got) in [("transport", sim.take_commands()), ("sent", sim.take_sent()), ("events", sim.take_events())] {
        let expected = step.get(key).cloned().unwrap_or(Value::Array(vec![]));
        assert_eq!(Value::Array(got), expected, "{ctx}: {key}");
    }
    if let Some(state) = step.get("state").and_then(Value::as_str) {
        assert_eq!(format!("{:?}", sim.client.connection_state()), state, "{ctx}: state");
    }
}
