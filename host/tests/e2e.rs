//! End to end: the Rust host (real WebSocket, real clock) driving the tidings core against
//! the real npm socket.io 4.8 server and python-socketio's server. Each test starts its
//! own server on a free loopback port; `Server`'s drop stops it, also on failure.
//!
//! Scenarios that need a feature only the reference server has (connection state
//! recovery, notifications, the control channel's emit) run against it alone.

mod support;

use serde_json::{json, Value};
use support::{config, host_for, token, Kind, Server, WAIT};
use tidings::client::DisconnectReason;
use tidings_host::{AckResult, Event, Host};

fn connected(host: &mut Host, ns: &str) -> bool {
    host.wait_for(WAIT, |e| matches!(e, Event::Connected { namespace, .. } if namespace == ns)).is_some()
}

fn ack_ok(host: &mut Host, name: &str, arg: Value) -> Value {
    let ack = host.emit_with_ack("/", name, &[&arg.to_string()]).expect("emit");
    match host.wait_for_ack(ack, WAIT) {
        Some(AckResult::Ok(args, _)) => args.into_iter().next().unwrap_or(Value::Null),
        other => panic!("{name}: ack ended {other:?}"),
    }
}

fn message_named(host: &mut Host, name: &str) -> Event {
    host.wait_for(WAIT, |e| matches!(e, Event::Message { name: n, .. } if n == name))
        .unwrap_or_else(|| panic!("no {name} event; history: {:?}", host.history()))
}

fn args_of(e: &Event) -> &[Value] {
    match e {
        Event::Message { args, .. } => args,
        _ => &[],
    }
}

// ---------------------------------------------------------------- both servers

fn valid_token_connects(kind: Kind) {
    let server = Server::start(kind, (25_000, 20_000));
    let mut alice = host_for(&server, "alice", 1);
    alice.connect();
    assert!(connected(&mut alice, "/"), "{:?}", alice.history());
    assert!(alice.history().iter().any(|e| matches!(e, Event::AuthRequired { refresh: false, .. })));
}

fn bad_token_is_refused_after_one_refresh(kind: Kind) {
    let server = Server::start(kind, (25_000, 20_000));
    let mut asked = Vec::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut host = Host::new(&server.url(), config(), 2, move |_ns, refresh| {
        tx.send(refresh).unwrap();
        Some(r#"{"token":"not-a-jwt"}"#.to_string())
    });
    host.connect();
    let failed = host.wait_for(WAIT, |e| matches!(e, Event::AuthFailed { .. })).expect("AuthFailed");
    assert_eq!(failed, Event::AuthFailed { namespace: "/".into(), message: "unauthorized".into() });
    asked.extend(rx.try_iter());
    assert_eq!(asked, [false, true], "one first token, one refresh, no loop");
    // Terminal: nothing more happens.
    host.run_for(std::time::Duration::from_millis(1500));
    assert!(!host.history().iter().any(|e| matches!(e, Event::ReconnectScheduled { .. } | Event::Connected { .. })));
}

fn expired_token_is_refreshed_once(kind: Kind) {
    let server = Server::start(kind, (25_000, 20_000));
    let (expired, good) = (token("alice", Some("-10s")), token("alice", None));
    let mut host = Host::new(&server.url(), config(), 3, move |_ns, refresh| {
        Some(format!(r#"{{"token":"{}"}}"#, if refresh { &good } else { &expired }))
    });
    host.connect();
    assert!(connected(&mut host, "/"), "{:?}", host.history());
    assert!(host.history().iter().any(|e| matches!(e, Event::AuthRequired { refresh: true, .. })));
}

fn events_both_ways_with_acks(kind: Kind) {
    let server = Server::start(kind, (25_000, 20_000));
    let (mut alice, mut bob) = (host_for(&server, "alice", 4), host_for(&server, "bob", 5));
    alice.connect();
    bob.connect();
    assert!(connected(&mut alice, "/") && connected(&mut bob, "/"));
    assert_eq!(ack_ok(&mut alice, "joinConversation", json!({"conversationId": "c1"})), json!({"ok": true}));
    assert_eq!(ack_ok(&mut bob, "joinConversation", json!({"conversationId": "c1"})), json!({"ok": true}));
    // A conversation alice is not in: a typed refusal.
    let refused = ack_ok(&mut alice, "joinConversation", json!({"conversationId": "c3"}));
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["error"]["code"], "forbidden");

    let sent = json!({"conversationId": "c1", "content": "hi bob", "clientMessageId": "a-1"});
    let ack = ack_ok(&mut alice, "sendMessage", sent.clone());
    assert_eq!(ack["ok"], true);
    assert_eq!(ack["message"]["content"], "hi bob");
    let got = message_named(&mut bob, "newMessage");
    assert_eq!(args_of(&got)[0], ack["message"], "bob gets the stored message");
    // Idempotency: the same clientMessageId is acked again, not stored twice.
    let again = ack_ok(&mut alice, "sendMessage", sent);
    assert_eq!(again["message"], ack["message"]);
    bob.run_for(std::time::Duration::from_millis(300));
    let mut more = Vec::new();
    while let Some(e) = bob.next_event() {
        more.push(e);
    }
    assert!(!more.iter().any(|e| matches!(e, Event::Message { name, .. } if name == "newMessage")), "{more:?}");
    // Typing is relayed.
    alice.emit("/", "typing", &[r#"{"conversationId":"c1"}"#]).unwrap();
    let typing = message_named(&mut bob, "userTyping");
    assert_eq!(args_of(&typing)[0], json!({"userId": "alice", "conversationId": "c1"}));
}

fn two_namespaces_on_one_connection(kind: Kind) {
    let server = Server::start(kind, (25_000, 20_000));
    let mut admin = host_for(&server, "admin", 6);
    admin.open_namespace("/admin").unwrap();
    admin.connect();
    assert!(connected(&mut admin, "/") && connected(&mut admin, "/admin"), "{:?}", admin.history());
    let ack = admin.emit_with_ack("/admin", "getStats", &[]).unwrap();
    let Some(AckResult::Ok(args, _)) = admin.wait_for_ack(ack, WAIT) else { panic!("getStats") };
    assert_eq!(args[0]["ok"], true);
    // Both namespaces share one WebSocket: the server sees one Engine.IO connection.
    // A non-admin is refused on /admin with a non-auth refusal, / stays connected.
    let mut alice = host_for(&server, "alice", 7);
    alice.open_namespace("/admin").unwrap();
    alice.connect();
    let refused = alice.wait_for(WAIT, |e| matches!(e, Event::ConnectError { .. })).expect("refusal");
    let Event::ConnectError { namespace, message, .. } = refused else { unreachable!() };
    assert_eq!((namespace.as_str(), message.as_str()), ("/admin", "forbidden"));
    assert!(connected(&mut alice, "/"));
}

fn restart_reconnects_rejoins_and_flushes(kind: Kind, mut server: Server) {
    let mut alice = host_for(&server, "alice", 8);
    alice.connect();
    assert!(connected(&mut alice, "/"));
    ack_ok(&mut alice, "joinConversation", json!({"conversationId": "c1"}));

    // The server goes away.
    match kind {
        Kind::Node => {
            server.control("POST", "/control/restart", json!({"delayMs": 1500}));
        }
        Kind::Python => server.kill(),
    }
    alice.wait_for(WAIT, |e| matches!(e, Event::Disconnected { namespace: None, .. })).expect("disconnected");
    // Emits made while disconnected are buffered, in order.
    let acks: Vec<_> = (1..=3)
        .map(|i| {
            let m = json!({"conversationId": "c1", "content": format!("offline {i}"), "clientMessageId": format!("off-{i}")});
            alice.emit_with_ack("/", "sendMessage", &[&m.to_string()]).unwrap()
        })
        .collect();
    assert_eq!(alice.client().buffered_frames(), 3);
    if kind == Kind::Python {
        std::thread::sleep(std::time::Duration::from_millis(800));
        server.respawn();
    }
    let back = alice.wait_for(WAIT * 2, |e| matches!(e, Event::Reconnected { .. })).expect("reconnected");
    assert!(matches!(back, Event::Reconnected { attempts } if attempts >= 1));
    assert!(alice.history().iter().any(|e| matches!(e, Event::ReconnectScheduled { attempt: 1, .. })));
    // The app re-joins its conversations after a reconnect (the app layer will do this).
    ack_ok(&mut alice, "joinConversation", json!({"conversationId": "c1"}));
    let mut ids = Vec::new();
    for ack in acks {
        match alice.wait_for_ack(ack, WAIT) {
            Some(AckResult::Ok(args, _)) => ids.push(args[0]["message"]["clientMessageId"].clone()),
            other => panic!("buffered send ended {other:?}"),
        }
    }
    assert_eq!(ids, [json!("off-1"), json!("off-2"), json!("off-3")], "flushed in order");
    // Nothing lost, nothing duplicated on the server.
    let state = server.control("GET", "/control/state?conversationId=c1", Value::Null);
    let stored: Vec<&str> =
        state["messages"].as_array().unwrap().iter().filter_map(|m| m["clientMessageId"].as_str()).collect();
    for id in ["off-1", "off-2", "off-3"] {
        assert_eq!(stored.iter().filter(|s| **s == id).count(), 1, "{id} stored once: {stored:?}");
    }
}

fn ping_silence_is_a_ping_timeout(kind: Kind) {
    // python-engineio advertises pingInterval in whole seconds: use multiples of 1000.
    let server = Server::start(kind, (1000, 1000));
    let mut alice = host_for(&server, "alice", 9);
    alice.connect();
    assert!(connected(&mut alice, "/"));
    alice.run_for(std::time::Duration::from_millis(2500)); // a few pings answered
    assert!(!alice.history().iter().any(|e| matches!(e, Event::Disconnected { .. })));
    match kind {
        Kind::Node => {
            server.control("POST", "/control/hang", json!({"durationMs": 4000}));
        }
        Kind::Python => server.set_running(false),
    }
    let lost = alice.wait_for(WAIT, |e| matches!(e, Event::Disconnected { namespace: None, .. })).expect("timeout");
    assert_eq!(lost, Event::Disconnected { namespace: None, reason: DisconnectReason::PingTimeout });
    if kind == Kind::Python {
        server.set_running(true);
    }
    assert!(alice.wait_for(WAIT, |e| matches!(e, Event::Reconnected { .. })).is_some(), "{:?}", alice.history());
    assert!(connected(&mut alice, "/"));
}

// ---------------------------------------------------------------- reference server only

#[test]
fn node_recovery_replays_missed_events_without_offsets() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (host_for(&server, "alice", 10), host_for(&server, "bob", 11));
    alice.connect();
    bob.connect();
    assert!(connected(&mut alice, "/") && connected(&mut bob, "/"));
    ack_ok(&mut alice, "joinConversation", json!({"conversationId": "c1"}));
    ack_ok(&mut bob, "joinConversation", json!({"conversationId": "c1"}));
    // A first message while connected: its offset must not reach the app.
    ack_ok(&mut bob, "sendMessage", json!({"conversationId": "c1", "content": "one", "clientMessageId": "b-1"}));
    let first = message_named(&mut alice, "newMessage");
    assert_eq!(args_of(&first).len(), 1, "offset stripped: {first:?}");
    assert!(alice.client().recovery_offset("/").is_some());

    server.control("POST", "/control/drop", json!({"userId": "alice"}));
    alice.wait_for(WAIT, |e| matches!(e, Event::Disconnected { namespace: None, .. })).expect("dropped");
    // Missed while away.
    ack_ok(&mut bob, "sendMessage", json!({"conversationId": "c1", "content": "two", "clientMessageId": "b-2"}));
    ack_ok(&mut bob, "sendMessage", json!({"conversationId": "c1", "content": "three", "clientMessageId": "b-3"}));

    let back = alice.wait_for(WAIT, |e| matches!(e, Event::Connected { .. })).expect("reconnected");
    assert_eq!(back, Event::Connected { namespace: "/".into(), recovered: true });
    let two = message_named(&mut alice, "newMessage");
    let three = message_named(&mut alice, "newMessage");
    assert_eq!((args_of(&two).len(), args_of(&three).len()), (1, 1), "offsets stripped");
    assert_eq!(
        (args_of(&two)[0]["content"].clone(), args_of(&three)[0]["content"].clone()),
        (json!("two"), json!("three"))
    );
}

#[test]
fn node_notifications_and_unread_count() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let mut alice = host_for(&server, "alice", 12);
    alice.connect();
    assert!(connected(&mut alice, "/"));
    let initial = message_named(&mut alice, "unreadCount");
    server.control("POST", "/control/notify", json!({"userId": "alice", "title": "Hello"}));
    let n = message_named(&mut alice, "notification");
    assert_eq!(args_of(&n)[0]["title"], "Hello");
    let count = message_named(&mut alice, "unreadCount");
    assert_eq!(args_of(&count)[0]["count"], args_of(&initial)[0]["count"].as_u64().unwrap() + 1);
}

#[test]
fn node_binary_attachments_both_ways() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let mut alice = host_for(&server, "alice", 13);
    alice.connect();
    assert!(connected(&mut alice, "/"));
    // Server → client: a BINARY_EVENT through the control channel.
    server.control(
        "POST",
        "/control/emit",
        json!({"event": "file", "userId": "alice", "args": [{"name": "a.bin"}, {"$binary": "3q2+7w=="}]}),
    );
    let file = message_named(&mut alice, "file");
    let Event::Message { attachments, args, .. } = &file else { unreachable!() };
    assert_eq!(attachments, &[vec![0xde, 0xad, 0xbe, 0xef]]);
    assert_eq!(args[1], json!({"_placeholder": true, "num": 0}));
}

#[test]
fn python_binary_attachments_both_ways() {
    let server = Server::start(Kind::Python, (25_000, 20_000));
    let mut alice = host_for(&server, "alice", 14);
    alice.connect();
    assert!(connected(&mut alice, "/"));
    // Client → server → client: echoBinary acks with the same bytes.
    let payload: Vec<u8> = (0..=255u8).collect();
    let (_, ack) = alice.emit_binary("/", "echoBinary", &[], &[&payload], true).unwrap();
    let Some(AckResult::Ok(args, atts)) = alice.wait_for_ack(ack.unwrap(), WAIT) else { panic!("echoBinary") };
    assert_eq!(atts, [payload]);
    assert_eq!(args[0], json!({"_placeholder": true, "num": 0}));
    // Server → client: sendBinary emits `binary` with bytes 0,1,2,…
    let ack = alice.emit_with_ack("/", "sendBinary", &[r#"{"size":1000}"#]).unwrap();
    let bin = message_named(&mut alice, "binary");
    let Event::Message { attachments, .. } = &bin else { unreachable!() };
    assert_eq!(attachments[0], (0..1000u32).map(|i| i as u8).collect::<Vec<_>>());
    assert!(matches!(alice.wait_for_ack(ack, WAIT), Some(AckResult::Ok(..))));
}

// ---------------------------------------------------------------- the matrix

macro_rules! both_servers {
    ($($name:ident),* $(,)?) => {
        mod node {
            $( #[test] fn $name() { super::$name(super::Kind::Node) } )*
            #[test]
            fn restart_reconnects_rejoins_and_flushes() {
                let server = super::Server::start(super::Kind::Node, (25_000, 20_000));
                super::restart_reconnects_rejoins_and_flushes(super::Kind::Node, server)
            }
        }
        mod python {
            $( #[test] fn $name() { super::$name(super::Kind::Python) } )*
            #[test]
            fn restart_reconnects_rejoins_and_flushes() {
                let server = super::Server::start(super::Kind::Python, (25_000, 20_000));
                super::restart_reconnects_rejoins_and_flushes(super::Kind::Python, server)
            }
        }
    };
}

both_servers!(
    valid_token_connects,
    bad_token_is_refused_after_one_refresh,
    expired_token_is_refreshed_once,
    events_both_ways_with_acks,
    two_namespaces_on_one_connection,
    ping_silence_is_a_ping_timeout,
);
