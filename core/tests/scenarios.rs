//! Replays the scenario files in tests/scenarios/*.json against the client through the
//! simulation harness, asserting every transport command, sent frame and event in order.
//! The format is described in tests/scenarios/README.md; the bindings replay the same files.

mod support;

use serde_json::Value;
use support::sim::Sim;
use tidings::client::{AckHandle, Config, ReconnectPolicy, TransportCause};

fn config_from(v: &Value) -> Config {
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

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| if let Value::String(s) = x { s.clone() } else { x.to_string() }).collect())
        .unwrap_or_default()
}

fn run_step(sim: &mut Sim, step: &Value, ctx: &str) {
    if let Some(at) = step.get("at").and_then(Value::as_u64) {
        sim.at(at);
    }
    let now = sim.t();
    let ns = step.get("namespace").and_then(Value::as_str).unwrap_or("/");
    let mut result: Result<Value, String> = Ok(Value::Null);
    match step.get("do").and_then(Value::as_str) {
        None => {}
        Some("connect") => sim.client.connect(now),
        Some("disconnect") => sim.client.disconnect(now),
        Some("transport_opened") => sim.opened(),
        Some("transport_closed") => sim.closed(TransportCause::Closed),
        Some("transport_failed") => sim.closed(TransportCause::Failed),
        Some("recv") => sim.recv(step["frame"].as_str().unwrap()),
        Some("recv_binary") => sim.recv_binary(&hex::decode(step["hex"].as_str().unwrap()).unwrap()),
        Some("provide_auth") => {
            result = sim
                .client
                .provide_auth(now, ns, step["auth"].as_str())
                .map(|_| Value::Null)
                .map_err(|e| format!("{e:?}"))
        }
        Some("emit") => {
            let name = step["name"].as_str().unwrap();
            let args = strs(&step["args"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let atts: Vec<Vec<u8>> = strs(&step["attachments_hex"]).iter().map(|h| hex::decode(h).unwrap()).collect();
            let atts: Vec<&[u8]> = atts.iter().map(Vec::as_slice).collect();
            let ack = step.get("ack_timeout_ms").map(|v| v.as_u64());
            let volatile = step.get("volatile").and_then(Value::as_bool).unwrap_or(false);
            result = if volatile {
                sim.client.emit_volatile(now, ns, name, &args).map(|s| Value::String(format!("{s:?}")))
            } else if !atts.is_empty() {
                sim.client
                    .emit_binary(
                        now,
                        ns,
                        name,
                        &args,
                        &atts,
                        ack.map(|t| t.unwrap_or(sim.client.config().ack_timeout_ms)),
                    )
                    .map(|(s, h)| {
                        if let Some(h) = h {
                            sim.acks.push(h);
                        }
                        Value::String(format!("{s:?}"))
                    })
            } else if let Some(timeout) = ack {
                sim.client.emit_with_ack(now, ns, name, &args, timeout).map(|h| {
                    sim.acks.push(h);
                    serde_json::json!({"ack": h.0})
                })
            } else {
                sim.client.emit(now, ns, name, &args).map(|s| Value::String(format!("{s:?}")))
            }
            .map_err(|e| format!("{e:?}"));
        }
        Some("ack") => {
            let args = strs(&step["args"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            result = sim
                .client
                .ack(now, ns, step["id"].as_u64().unwrap(), &args)
                .map(|_| Value::Null)
                .map_err(|e| format!("{e:?}"));
        }
        Some("cancel_ack") => {
            let ok = sim.client.cancel_ack(now, AckHandle(step["ack"].as_u64().unwrap()));
            result = Ok(Value::Bool(ok));
        }
        Some("open_namespace") => {
            result = sim.client.open_namespace(now, ns).map(|_| Value::Null).map_err(|e| format!("{e:?}"))
        }
        Some("close_namespace") => {
            result = sim.client.close_namespace(now, ns).map(|_| Value::Null).map_err(|e| format!("{e:?}"))
        }
        Some("network") => sim.client.set_network(now, step["online"].as_bool().unwrap()),
        Some("foreground") => sim.client.set_foreground(now, step["value"].as_bool().unwrap()),
        Some("advance") => {
            sim.advance(step["ms"].as_u64().unwrap());
        }
        Some("jump") => {
            sim.jump().unwrap_or_else(|| panic!("{ctx}: no deadline to jump to"));
        }
        Some(other) => panic!("{ctx}: unknown action {other}"),
    }
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
        assert_eq!(format!("{:?}", sim.client.state()), state, "{ctx}: state");
    }
}

#[test]
fn every_scenario_file_replays() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut count = 0;
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for scenario in doc["scenarios"].as_array().unwrap() {
            let name = scenario["name"].as_str().unwrap();
            let mut sim = Sim::new(config_from(&scenario["config"]), scenario["seed"].as_u64().unwrap_or(1));
            for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
                let ctx = format!("{}: {name}: step {i}", file.file_name().unwrap().to_string_lossy());
                run_step(&mut sim, step, &ctx);
            }
            count += 1;
        }
    }
    assert!(count >= 10, "only {count} scenarios");
    println!("replayed {count} scenarios from {} files", files.len());
}
