//! Replays the scenario files in tests/scenarios/*.json against the client through the
//! simulation harness, asserting every transport command, sent frame and event in order.
//! The format is described in tests/scenarios/README.md; the bindings replay the same files.
//! The app layer's scenarios (tests/scenarios/app/) are replayed by app_scenarios.rs.

mod support;

use serde_json::Value;
use support::sim::Sim;
use support::steps::{self, check_client_config, check_keys, client_config, strs};
use tidings::client::AckHandle;

/// The actions only the client takes, and their parameters (`?`: optional).
const CLIENT_ACTIONS: &[(&str, &[&str])] = &[
    ("emit", &["namespace?", "name", "args", "ack_timeout_ms?", "volatile?", "attachments_hex?"]),
    ("ack", &["namespace?", "id", "args"]),
    ("cancel_ack", &["ack"]),
    ("open_namespace", &["namespace?"]),
    ("close_namespace", &["namespace?"]),
];

/// The actions only the client takes (the rest are `steps::connection_action`).
fn client_action(sim: &mut Sim, action: &str, step: &Value, ctx: &str) -> Result<Value, String> {
    let now = sim.t();
    let ns = step.get("namespace").and_then(Value::as_str).unwrap_or("/");
    match action {
        "emit" => {
            let name = step["name"].as_str().unwrap();
            let args = strs(&step["args"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let atts: Vec<Vec<u8>> = strs(&step["attachments_hex"]).iter().map(|h| hex::decode(h).unwrap()).collect();
            let atts: Vec<&[u8]> = atts.iter().map(Vec::as_slice).collect();
            let ack = step.get("ack_timeout_ms").map(|v| v.as_u64());
            let volatile = step.get("volatile").and_then(Value::as_bool).unwrap_or(false);
            if volatile {
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
            .map_err(|e| format!("{e:?}"))
        }
        "ack" => {
            let args = strs(&step["args"]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            sim.client
                .ack(now, ns, step["id"].as_u64().unwrap(), &args)
                .map(|_| Value::Null)
                .map_err(|e| format!("{e:?}"))
        }
        "cancel_ack" => Ok(Value::Bool(sim.client.cancel_ack(now, AckHandle(step["ack"].as_u64().unwrap())))),
        "open_namespace" => sim.client.open_namespace(now, ns).map(|_| Value::Null).map_err(|e| format!("{e:?}")),
        "close_namespace" => sim.client.close_namespace(now, ns).map(|_| Value::Null).map_err(|e| format!("{e:?}")),
        other => panic!("{ctx}: unknown action {other}"),
    }
}

fn run_step(sim: &mut Sim, step: &Value, ctx: &str) {
    // Strict: an unknown key or action fails, so a typo cannot pass as "nothing expected".
    steps::check_step(step, CLIENT_ACTIONS, &[], ctx);
    steps::set_time(sim, step);
    let mut result: Result<Value, String> = Ok(Value::Null);
    if let Some(action) = step.get("do").and_then(Value::as_str) {
        result = match steps::connection_action(sim, action, step, ctx) {
            Some(r) => r,
            None => client_action(sim, action, step, ctx),
        };
    }
    steps::check_outputs(sim, step, result, ctx);
}

#[test]
fn every_scenario_file_replays() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/scenarios");
    let files = steps::scenario_files(dir.as_ref());
    let mut count = 0;
    for file in &files {
        let file_name = file.file_name().unwrap().to_string_lossy();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        check_keys(&doc, &["about", "scenarios"], &file_name);
        for scenario in doc["scenarios"].as_array().unwrap() {
            let name = scenario["name"].as_str().unwrap();
            let ctx = format!("{file_name}: {name}");
            check_keys(scenario, &["name", "seed", "config", "steps", "note"], &ctx);
            if let Some(config) = scenario.get("config") {
                check_client_config(config, &ctx);
            }
            let mut sim = Sim::new(client_config(&scenario["config"]), scenario["seed"].as_u64().unwrap_or(1));
            for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
                let ctx = format!("{ctx}: step {i}");
                run_step(&mut sim, step, &ctx);
            }
            count += 1;
        }
    }
    assert!(count >= 10, "only {count} scenarios");
    println!("replayed {count} scenarios from {} files", files.len());
}
