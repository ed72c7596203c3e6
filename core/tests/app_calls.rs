//! Call signalling over a scripted server: the state machine's paths (outgoing, incoming,
//! refusals, ring timeout, lost connection, busy), the exact `callSignal` frames, and a
//! property: any sequence of commands, signals, time and disconnects never panics, never
//! holds more than MAX_CALLS calls, and ends every call at most once.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::App;
use proptest::prelude::*;
use serde_json::{json, Value};
use tidings::app::{AppConfig, AppError, CallError, CallInput, CallState, SyncPhase, MAX_CALLS};

fn signal(from: &str, call: &str, kind: &str, payload: &str) -> String {
    format!(r#"42["callSignal",{{"fromUserId":"{from}","callId":"{call}","type":"{kind}","payload":{payload}}}]"#)
}

fn calls(app: &mut App) -> Vec<Value> {
    app.take_app_events().into_iter().filter(|e| e["app"] == "call").collect()
}

#[test]
fn an_outgoing_call_rings_is_answered_trickles_ice_and_hangs_up() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.rt.start_call(app.t(), "bob", "k1", r#"{"type":"offer","sdp":"v=0"}"#).unwrap();
    app.rt.send_ice(app.t(), "k1", r#"{"candidate":"c0"}"#).unwrap();
    app.pump();
    assert_eq!(
        app.take_sent(),
        [
            r#"420["callSignal",{"toUserId":"bob","callId":"k1","type":"offer","payload":{"type":"offer","sdp":"v=0"}}]"#,
            r#"421["callSignal",{"toUserId":"bob","callId":"k1","type":"ice","payload":{"candidate":"c0"}}]"#,
        ]
    );
    app.recv(r#"430[{"ok":true}]"#);
    app.recv(r#"431[{"ok":true}]"#);
    assert_eq!(app.rt.call_state("k1"), CallState::RingingOutgoing);
    app.recv(&signal("bob", "k1", "answer", r#"{"type":"answer","sdp":"v=0 a"}"#));
    app.recv(&signal("bob", "k1", "ice", r#"{"candidate":"c9"}"#));
    assert_eq!(app.rt.call_state("k1"), CallState::Active);
    app.rt.end_call(app.t(), "k1").unwrap();
    app.pump();
    assert_eq!(
        app.take_sent(),
        [r#"42["callSignal",{"toUserId":"bob","callId":"k1","type":"end","payload":{"reason":"hangup"}}]"#]
    );
    assert_eq!(
        calls(&mut app),
        [
            json!({"app": "call", "call": "k1", "peer": "bob", "state": "RingingOutgoing"}),
            json!({"app": "call", "call": "k1", "peer": "bob", "state": "Active",
                "signal": {"type": "answer", "payload": {"type": "answer", "sdp": "v=0 a"}}}),
            json!({"app": "call", "call": "k1", "peer": "bob", "state": "Active",
                "signal": {"type": "ice", "payload": {"candidate": "c9"}}}),
            json!({"app": "call", "call": "k1", "peer": "bob", "state": {"ended": "Hangup"}}),
        ]
    );
    assert_eq!(app.rt.call_state("k1"), CallState::Idle);
    assert_eq!(app.rt.calls_in_progress(), 0);
}

#[test]
fn an_incoming_call_is_answered_and_invalid_commands_are_typed_errors() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.recv(&signal("alice", "k2", "offer", r#"{"sdp":"o"}"#));
    assert_eq!(app.rt.call_state("k2"), CallState::RingingIncoming);
    let invalid = |state, input| Err(AppError::Call(CallError::InvalidTransition { state, input }));
    assert_eq!(app.rt.send_ice(app.t(), "k2", "{}"), invalid(CallState::RingingIncoming, CallInput::SendIce));
    assert_eq!(app.rt.answer_call(app.t(), "k2", "{oops"), Err(AppError::InvalidContent));
    app.rt.answer_call(app.t(), "k2", r#"{"sdp":"a"}"#).unwrap();
    assert_eq!(app.rt.answer_call(app.t(), "k2", r#"{"sdp":"a"}"#), invalid(CallState::Active, CallInput::SendAnswer));
    assert_eq!(app.rt.answer_call(app.t(), "nope", "{}"), Err(AppError::Call(CallError::UnknownCall)));
    assert_eq!(app.rt.end_call(app.t(), "nope"), Err(AppError::Call(CallError::UnknownCall)));
    app.pump();
    assert_eq!(
        app.take_sent(),
        [r#"420["callSignal",{"toUserId":"alice","callId":"k2","type":"answer","payload":{"sdp":"a"}}]"#]
    );
    // Signals from someone else, a second offer and a second answer are dropped.
    app.recv(&signal("mallory", "k2", "end", "null"));
    app.recv(&signal("alice", "k2", "offer", "{}"));
    app.recv(&signal("alice", "k2", "answer", "{}"));
    assert_eq!(app.rt.call_state("k2"), CallState::Active);
    app.recv(&signal("alice", "k2", "end", r#"{"reason":"hangup"}"#));
    assert_eq!(
        calls(&mut app),
        [
            json!({"app": "call", "call": "k2", "peer": "alice", "state": "RingingIncoming",
                "signal": {"type": "offer", "payload": {"sdp": "o"}}}),
            json!({"app": "call", "call": "k2", "peer": "alice", "state": "Active"}),
            json!({"app": "call", "call": "k2", "peer": "alice", "state": {"ended": "Remote"},
                "signal": {"type": "end", "payload": {"reason": "hangup"}}}),
        ]
    );
}

#[test]
fn an_offline_callee_or_a_refused_offer_ends_the_call() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.rt.start_call(app.t(), "carol", "k3", "{}").unwrap();
    app.rt.start_call(app.t(), "dave", "k4", "{}").unwrap();
    app.pump();
    app.take_sent();
    app.recv(r#"430[{"ok":false,"error":{"code":"offline","message":"carol is not connected"}}]"#);
    app.recv(r#"431[{"ok":false,"error":{"code":"forbidden"}}]"#);
    let ended: Vec<Value> = calls(&mut app).into_iter().filter(|e| e["state"].get("ended").is_some()).collect();
    assert_eq!(
        ended,
        [
            json!({"app": "call", "call": "k3", "peer": "carol", "state": {"ended": "Offline"}}),
            json!({"app": "call", "call": "k4", "peer": "dave", "state": {"ended": "Refused"}}),
        ]
    );
    assert!(app.take_sent().is_empty(), "nothing to tell a callee that never rang");
    // Not connected: nothing is queued for later.
    app.lose_transport();
    assert_eq!(app.rt.start_call(app.t(), "bob", "k5", "{}"), Err(AppError::Call(CallError::NotConnected)));
}

#[test]
fn a_late_answer_for_an_ended_call_does_not_touch_a_new_call_with_the_same_id() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.rt.start_call(app.t(), "bob", "k1", "{}").unwrap();
    app.rt.end_call(app.t(), "k1").unwrap();
    app.rt.start_call(app.t(), "bob", "k1", "{}").unwrap();
    app.take_sent();
    app.recv(r#"430[{"ok":false,"error":{"code":"offline"}}]"#); // the first offer's answer
    assert_eq!(app.rt.call_state("k1"), CallState::RingingOutgoing);
    app.recv(r#"431[{"ok":false,"error":{"code":"offline"}}]"#); // the second's
    assert_eq!(app.rt.call_state("k1"), CallState::Idle);
}

#[test]
fn ringing_times_out_and_an_outgoing_call_tells_the_callee() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.rt.start_call(app.t(), "bob", "k6", "{}").unwrap();
    app.recv(&signal("carol", "k7", "offer", "{}"));
    app.pump();
    app.take_sent();
    app.recv(r#"430[{"ok":true}]"#);
    assert_eq!(app.rt.poll_timeout().unwrap().as_millis(), app.now + 30_000, "the ring timeout is a deadline");
    app.advance(29_999);
    assert_eq!(app.rt.calls_in_progress(), 2);
    app.advance(1);
    assert_eq!(
        app.take_sent(),
        [r#"42["callSignal",{"toUserId":"bob","callId":"k6","type":"end","payload":{"reason":"timeout"}}]"#],
        "only the caller sends end: the callee's other devices may have answered"
    );
    let ended: Vec<Value> = calls(&mut app).into_iter().filter(|e| e["state"].get("ended").is_some()).collect();
    assert_eq!(ended.len(), 2);
    assert!(ended.iter().all(|e| e["state"] == json!({"ended": "Timeout"})));
    // An answered call does not time out.
    app.rt.start_call(app.t(), "bob", "k8", "{}").unwrap();
    app.recv(&signal("bob", "k8", "answer", "{}"));
    app.recv("2"); // a ping, so the heartbeat does not end the connection first
    app.advance(31_000);
    assert_eq!(app.rt.call_state("k8"), CallState::Active);
}

#[test]
fn a_lost_connection_ends_calls_and_the_peers_are_told_once_back() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.rt.start_call(app.t(), "bob", "k9", "{}").unwrap();
    app.recv(&signal("bob", "k9", "answer", "{}"));
    app.recv(&signal("carol", "k10", "offer", "{}"));
    app.take_app_events();
    app.take_sent();
    app.lose_transport();
    let mut ended = calls(&mut app);
    ended.sort_by_key(|e| e["call"].to_string());
    assert_eq!(
        ended,
        [
            json!({"app": "call", "call": "k10", "peer": "carol", "state": {"ended": "Disconnected"}}),
            json!({"app": "call", "call": "k9", "peer": "bob", "state": {"ended": "Disconnected"}}),
        ]
    );
    assert_eq!(app.rt.calls_in_progress(), 0);
    app.reconnect();
    let mut sent = app.take_sent();
    assert_eq!(sent.remove(0), r#"40{"token":"t"}"#);
    sent.sort();
    assert_eq!(
        sent,
        [
            r#"42["callSignal",{"toUserId":"bob","callId":"k9","type":"end","payload":{"reason":"disconnected"}}]"#,
            r#"42["callSignal",{"toUserId":"carol","callId":"k10","type":"end","payload":{"reason":"disconnected"}}]"#,
        ]
    );
    app.advance(1_000);
    assert!(app.take_sent().is_empty(), "told once");
}

#[test]
fn beyond_max_calls_an_offer_is_answered_busy() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    for i in 0..MAX_CALLS {
        app.recv(&signal("alice", &format!("in{i}"), "offer", "{}"));
    }
    app.take_app_events();
    assert_eq!(app.rt.start_call(app.t(), "bob", "out", "{}"), Err(AppError::Call(CallError::TooManyCalls)));
    app.recv(&signal("carol", "k11", "offer", "{}"));
    assert_eq!(
        app.take_sent(),
        [r#"42["callSignal",{"toUserId":"carol","callId":"k11","type":"end","payload":{"reason":"busy"}}]"#]
    );
    assert_eq!(calls(&mut app), [json!({"app": "call", "call": "k11", "peer": "carol", "state": {"ended": "Busy"}})]);
    assert_eq!(app.rt.call_state("k11"), CallState::Idle);
    assert_eq!(app.rt.start_call(app.t(), "bob", "in0", "{}"), Err(AppError::Call(CallError::DuplicateCall)));
}

#[derive(Debug, Clone)]
enum Step {
    Start(u8, u8),
    Answer(u8),
    Ice(u8),
    End(u8),
    Recv(u8, u8, u8),
    AckLast(u8),
    Advance(u32),
    Lose,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..4u8, 0..3u8).prop_map(|(c, p)| Step::Start(c, p)),
        (0..4u8).prop_map(Step::Answer),
        (0..4u8).prop_map(Step::Ice),
        (0..4u8).prop_map(Step::End),
        (0..4u8, 0..3u8, 0..5u8).prop_map(|(c, p, k)| Step::Recv(c, p, k)),
        (0..4u8).prop_map(Step::AckLast),
        (0..40_000u32).prop_map(Step::Advance),
        Just(Step::Lose),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn calls_never_panic_stay_bounded_and_end_at_most_once(steps in proptest::collection::vec(step(), 1..60)) {
        let peers = ["alice", "bob", "carol"];
        let kinds = ["offer", "answer", "ice", "end", "bogus"];
        let acks = [
            r#"{"ok":true}"#,
            r#"{"ok":false,"error":{"code":"offline"}}"#,
            r#"{"ok":false,"error":{"code":"forbidden"}}"#,
            r#"{"ok":false,"error":{"code":"rate_limited","retryAfterMs":500}}"#,
        ];
        let cfg = AppConfig { rate_limits: tidings::app::RateLimits::UNLIMITED, ..AppConfig::DEFAULT };
        let mut app = App::new(cfg);
        app.connect();
        // Per call id: whether it is live (between its start and its end).
        let mut live: std::collections::HashMap<String, bool> = Default::default();
        for s in steps {
            match s {
                Step::Start(c, p) => { let _ = app.rt.start_call(app.t(), peers[p as usize], &format!("k{c}"), "{}"); }
                Step::Answer(c) => { let _ = app.rt.answer_call(app.t(), &format!("k{c}"), "{}"); }
                Step::Ice(c) => { let _ = app.rt.send_ice(app.t(), &format!("k{c}"), "{}"); }
                Step::End(c) => { let _ = app.rt.end_call(app.t(), &format!("k{c}")); }
                Step::Recv(c, p, k) => {
                    if app.transport.is_some() {
                        let _ = app.rt.handle_frame(app.t(), app.transport.unwrap(),
                            tidings::wire::Frame::Text(&signal(peers[p as usize], &format!("k{c}"), kinds[k as usize], "{}")));
                    }
                }
                Step::AckLast(a) => {
                    let last = app.sent.iter().rev().find(|f| f.starts_with("42") && !f.starts_with("42[")).cloned();
                    if let (Some(f), Some(t)) = (last, app.transport) {
                        let frame = format!("43{}[{}]", harness::ack_id(&f), acks[a as usize]);
                        let _ = app.rt.handle_frame(app.t(), t, tidings::wire::Frame::Text(&frame));
                    }
                }
                Step::Advance(ms) => { app.now += u64::from(ms); app.rt.handle_timeout(app.t()); }
                Step::Lose => {
                    if app.rt.phase() != SyncPhase::Offline { app.lose_transport(); } else { app.reconnect(); }
                }
            }
            app.pump();
            for e in app.take_app_events().into_iter().filter(|e| e["app"] == "call") {
                let id = e["call"].as_str().unwrap().to_string();
                let was = live.get(&id).copied().unwrap_or(false);
                if e["state"].get("ended").is_some() {
                    if e["state"]["ended"] != "Busy" {
                        prop_assert!(was, "{id} ended while not live: {e}");
                    }
                    live.insert(id, false);
                } else if !was && (e["state"] == "RingingOutgoing" || e["state"] == "RingingIncoming") {
                    prop_assert!(e.get("signal").is_none() || e["signal"]["type"] == "offer", "{e}");
                    live.insert(id, true);
                } else {
                    prop_assert!(was, "{id} changed while not live: {e}");
                }
            }
            let n = live.values().filter(|v| **v).count();
            prop_assert_eq!(app.rt.calls_in_progress(), n);
            prop_assert!(n <= MAX_CALLS);
            for (id, l) in &live {
                prop_assert_eq!(*l, app.rt.call_state(id) != CallState::Idle, "{}", id);
            }
        }
        // Every call still live ends when the connection goes.
        if app.rt.phase() != SyncPhase::Offline {
            app.lose_transport();
            let ended = app.take_app_events().into_iter().filter(|e| e["app"] == "call").count();
            prop_assert_eq!(ended, live.values().filter(|v| **v).count());
            prop_assert_eq!(app.rt.calls_in_progress(), 0);
        }
    }
}
