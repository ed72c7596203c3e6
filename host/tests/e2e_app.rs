//! End to end, the app layer (`Realtime`) against the real npm socket.io server:
//! conversations re-joined after a restart before the outbox is flushed, messages
//! delivered exactly once with their client message ids, typing, notifications and the
//! unread count.

mod support;

use serde_json::{json, Value};
use support::{app_host, online, synced, Kind, Server, WAIT};
use tidings_host::{Event, SendResult};

#[test]
fn conversations_survive_a_restart_and_the_outbox_delivers_exactly_once() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 21), app_host(&server, "bob", 22));
    online(&mut alice, &["c1"]);
    online(&mut bob, &["c1"]);
    assert!(alice.realtime().is_joined("c1") && bob.realtime().is_joined("c1"));

    let now = alice.now();
    let first = alice.realtime().send_message(now, "c1", r#""before the restart""#).unwrap();
    alice.step(std::time::Duration::from_millis(1)); // the host sends what the command queued
    let got = bob.wait_for(WAIT, |e| matches!(e, Event::NewMessage { .. })).expect("bob gets it");
    let Event::NewMessage { content, sender_id, .. } = got else { unreachable!() };
    assert_eq!((content, sender_id.as_str()), (json!("before the restart"), "alice"));
    let done = alice.wait_for(WAIT, |e| matches!(e, Event::Sent { .. })).unwrap();
    assert!(matches!(&done, Event::Sent { client_message_id, outcome: SendResult::Delivered(m) }
        if *client_message_id == *first && m["clientMessageId"] == *first));

    // The server restarts: rooms are lost on its side. Alice writes while it is down.
    server.control("POST", "/control/restart", json!({"delayMs": 1500}));
    alice.wait_for(WAIT, |e| matches!(e, Event::Disconnected { namespace: None, .. })).expect("down");
    // Alice's phone is offline for a while; she writes anyway.
    alice.set_network(false);
    let now = alice.now();
    let offline = alice.realtime().send_message(now, "c1", r#""written while offline""#).unwrap();
    assert_eq!(alice.realtime().outbox_len(), 1);
    // Bob reconnects and re-joins (a message sent before that would not reach his room).
    synced(&mut bob);
    // Alice comes back: re-joined (Synced only after the join acks), then the outbox flushes.
    alice.set_network(true);
    synced(&mut alice);
    let msg = bob.wait_for(WAIT, |e| matches!(e, Event::NewMessage { .. })).expect("bob gets the offline message");
    let Event::NewMessage { content, .. } = msg else { unreachable!() };
    assert_eq!(content, json!("written while offline"), "room re-joined before the flush, so bob got it");
    let done = alice.wait_for(WAIT, |e| matches!(e, Event::Sent { .. })).unwrap();
    assert!(
        matches!(&done, Event::Sent { client_message_id, outcome: SendResult::Delivered(_) } if *client_message_id == *offline)
    );
    assert_eq!(alice.realtime().outbox_len(), 0);
    // The order on the wire for alice after the reconnect: Joined before Synced before Sent.
    let h = alice.history();
    let pos = |p: &dyn Fn(&Event) -> bool| h.iter().rposition(p).unwrap();
    assert!(pos(&|e| matches!(e, Event::Joined { .. })) < pos(&|e| matches!(e, Event::Synced { .. })));
    assert!(pos(&|e| matches!(e, Event::Synced { .. })) < pos(&|e| matches!(e, Event::Sent { .. })));
    // Stored exactly once each.
    let state = server.control("GET", "/control/state?conversationId=c1", Value::Null);
    let ids: Vec<&str> =
        state["messages"].as_array().unwrap().iter().filter_map(|m| m["clientMessageId"].as_str()).collect();
    assert_eq!(ids.iter().filter(|i| **i == first.as_str()).count(), 1);
    assert_eq!(ids.iter().filter(|i| **i == offline.as_str()).count(), 1);
}

#[test]
fn typing_notifications_and_the_unread_count() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 23), app_host(&server, "bob", 24));
    online(&mut alice, &["c1"]);
    online(&mut bob, &["c1"]);

    let now = alice.now();
    alice.realtime().typing(now, "c1");
    alice.step(std::time::Duration::from_millis(10));
    let t = bob.wait_for(WAIT, |e| matches!(e, Event::Typing { typers, .. } if !typers.is_empty())).expect("typing");
    assert_eq!(t, Event::Typing { conversation_id: "c1".into(), typers: vec!["alice".into()] });
    // Alice goes idle: after 3 s her client sends stopTyping; bob's list empties.
    let end = std::time::Instant::now() + std::time::Duration::from_millis(3500);
    while std::time::Instant::now() < end {
        alice.step(std::time::Duration::from_millis(20));
        bob.step(std::time::Duration::from_millis(20));
    }
    let stopped = bob.wait_for(WAIT, |e| matches!(e, Event::Typing { typers, .. } if typers.is_empty()));
    assert!(stopped.is_some(), "{:?}", bob.history());

    // Notifications: the server's count is the truth; a new one raises it.
    bob.wait_for(WAIT, |e| matches!(e, Event::UnreadCount { .. })).expect("initial count");
    let base = bob.realtime().unread_count();
    server.control("POST", "/control/notify", json!({"userId": "bob", "title": "ping"}));
    let n = bob.wait_for(WAIT, |e| matches!(e, Event::Notification { .. })).expect("notification");
    let Event::Notification { id, .. } = n else { unreachable!() };
    bob.wait_for(WAIT, |e| matches!(e, Event::UnreadCount { count } if *count == base + 1)).expect("count + 1");
    // Mark it read: optimistic drop, confirmed by the server's count.
    let now = bob.now();
    bob.realtime().mark_read(now, &id).unwrap();
    assert_eq!(bob.realtime().unread_count(), base);
    bob.run_for(std::time::Duration::from_millis(300));
    assert_eq!(bob.realtime().unread_count(), base);
    let state = server.state();
    assert_eq!(state["unread"]["bob"], json!(base));
}
