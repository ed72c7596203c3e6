//! The app layer over a scripted server: re-join order, the outbox (exactly-once
//! outcomes, resend with the same id), typed messages and de-duplication, typing,
//! notifications and the unread count, snapshots.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::{App, Rt, HS};
use serde_json::{json, Value};
use tidings::app::{badge_text, AppConfig, AppError, SnapshotError, SyncPhase};

#[test]
fn reconnect_order_is_connect_then_rejoin_then_outbox() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.rt.join(app.t(), "c1").unwrap();
    app.rt.join(app.t(), "c2").unwrap();
    let id = app.rt.send_message(app.t(), "c1", r#""queued while offline""#).unwrap();
    app.connect_with(HS);
    // CONNECT, then the two joins; the message waits for the join acks.
    assert_eq!(
        app.take_sent(),
        [
            r#"40{"token":"t"}"#,
            r#"420["joinConversation",{"conversationId":"c1"}]"#,
            r#"421["joinConversation",{"conversationId":"c2"}]"#
        ]
    );
    assert_eq!(app.rt.phase(), SyncPhase::Rejoining);
    app.recv(r#"430[{"ok":true}]"#);
    assert!(app.take_sent().is_empty(), "still waiting for c2's ack");
    app.recv(r#"431[{"ok":true}]"#);
    assert_eq!(app.rt.phase(), SyncPhase::Live);
    assert_eq!(
        app.take_sent(),
        [format!(
            r#"422["sendMessage",{{"conversationId":"c1","content":"queued while offline","clientMessageId":"{id}"}}]"#
        )]
    );
    assert_eq!(
        app.take_full_app_events(),
        [
            json!({"app": "joined", "conversation": "c1"}),
            json!({"app": "joined", "conversation": "c2"}),
            json!({"app": "synced", "recovered": false}),
        ]
    );
}

#[test]
fn a_refused_join_removes_the_conversation_and_says_why() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect_with(HS);
    app.rt.join(app.t(), "c3").unwrap();
    app.pump();
    app.recv(r#"430[{"ok":false,"error":{"code":"forbidden","message":"not a member"}}]"#);
    assert!(app
        .take_full_app_events()
        .contains(&json!({"app": "removed", "conversation": "c3", "reason": "forbidden"})));
    assert_eq!(app.rt.conversations().count(), 0);
    // A kick by the server does the same.
    app.rt.join(app.t(), "c1").unwrap();
    app.pump();
    app.recv(r#"431[{"ok":true}]"#);
    app.recv(r#"42["removedFromConversation",{"conversationId":"c1","reason":"kicked"}]"#);
    assert!(app.take_full_app_events().contains(&json!({"app": "removed", "conversation": "c1", "reason": "kicked"})));
    assert!(!app.rt.is_joined("c1"));
}

#[test]
fn a_send_is_resent_with_the_same_id_until_acked_and_ends_exactly_once() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect_with(HS);
    app.take_sent();
    let id = app.rt.send_message(app.t(), "c1", r#""hello""#).unwrap();
    app.pump();
    let first = app.take_sent();
    assert!(first[0].contains(&*id), "{first:?}");
    // The connection drops before the ack: the message waits, then goes again.
    app.lose_transport();
    assert_eq!(app.rt.outbox_len(), 1);
    app.advance(2_000);
    let tid = app.transport.unwrap();
    app.rt.handle_transport_opened(app.t(), tid);
    app.recv(HS);
    app.rt.provide_auth(app.t(), "/", Some(r#"{"token":"t"}"#)).unwrap();
    app.pump();
    app.recv(r#"40{"sid":"n2"}"#);
    let again = app.take_sent();
    assert_eq!(again.len(), 2, "{again:?}");
    assert!(again[1].contains(&format!(r#""clientMessageId":"{id}""#)), "same id: {again:?}");
    let ack_id = &again[1][2..again[1].find('[').unwrap()];
    let message = r#"{"id":"m1","conversationId":"c1","senderId":"alice","content":"hello","createdAt":"t"}"#;
    app.recv(&format!(r#"43{ack_id}[{{"ok":true,"message":{message}}}]"#));
    let sends: Vec<Value> = app.take_full_app_events().into_iter().filter(|e| e["app"] == "send").collect();
    assert_eq!(
        sends,
        [json!({"app": "send", "id": &*id, "outcome": {"delivered": serde_json::from_str::<Value>(message).unwrap()}})]
    );
    assert_eq!(app.rt.outbox_len(), 0);
    // A late duplicate ack changes nothing.
    app.recv(&format!(r#"43{ack_id}[{{"ok":true}}]"#));
    assert!(app.take_full_app_events().is_empty());
}

#[test]
fn refused_and_expired_sends() {
    let cfg = AppConfig { outbox_ttl_ms: 5_000, ..AppConfig::DEFAULT };
    let mut app = App::new(cfg);
    app.connect_with(HS);
    app.take_sent();
    assert_eq!(app.take_full_app_events(), [json!({"app": "synced", "recovered": false})]);
    let refused = app.rt.send_message(app.t(), "c9", r#""x""#).unwrap();
    app.pump();
    app.recv(r#"430[{"ok":false,"error":{"code":"forbidden"}}]"#);
    assert_eq!(
        app.take_full_app_events(),
        [json!({"app": "send", "id": &*refused, "outcome": {"failed": "forbidden"}})]
    );
    // Offline: the message waits, then expires.
    app.lose_transport();
    app.rt.set_network(app.t(), false);
    let expired = app.rt.send_message(app.t(), "c1", r#""late""#).unwrap();
    app.advance(4_999);
    assert_eq!(app.rt.outbox_len(), 1);
    app.advance(1);
    assert_eq!(app.take_full_app_events(), [json!({"app": "send", "id": &*expired, "outcome": "expired"})]);
    assert_eq!(app.rt.outbox_len(), 0);
}

#[test]
fn a_full_outbox_is_an_error_at_send_time() {
    let cfg = AppConfig { max_outbox_messages: 2, ..AppConfig::DEFAULT };
    let mut app = App::new(cfg);
    app.rt.send_message(app.t(), "c1", "1").unwrap();
    app.rt.send_message(app.t(), "c1", "2").unwrap();
    assert_eq!(app.rt.send_message(app.t(), "c1", "3"), Err(AppError::OutboxFull));
    assert_eq!(app.rt.send_message(app.t(), "c1", "{oops"), Err(AppError::InvalidContent));
    assert_eq!(app.rt.send_message(app.t(), "", "1"), Err(AppError::InvalidId));
    // Ids are written into JSON as they are: control characters are refused too.
    assert_eq!(app.rt.send_message(app.t(), "c\u{1}", "1"), Err(AppError::InvalidId));
    assert_eq!(app.rt.join(app.t(), "c\n1"), Err(AppError::InvalidId));
    assert_eq!(app.rt.outbox_len(), 2);
}

#[test]
fn messages_are_typed_and_deduplicated() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect_with(HS);
    let m = r#"42["newMessage",{"id":"m7","conversationId":"c1","senderId":"bob","content":"hi \"there\"","createdAt":"2026-11-26T04:00:00.000Z","extra":1}]"#;
    app.recv(m);
    app.recv(m); // replayed (e.g. after recovery)
    let msgs: Vec<Value> = app.take_full_app_events().into_iter().filter(|e| e["app"] == "message").collect();
    assert_eq!(
        msgs,
        [
            json!({"app": "message", "id": "m7", "conversation": "c1", "sender": "bob", "content": "hi \"there\"", "created_at": "2026-11-26T04:00:00.000Z",
                "raw": {"id": "m7", "conversationId": "c1", "senderId": "bob", "content": "hi \"there\"", "createdAt": "2026-11-26T04:00:00.000Z", "extra": 1}})
        ]
    );
}

#[test]
fn typing_local_and_remote() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect_with(HS);
    app.take_sent();
    app.rt.typing(app.t(), "c1");
    app.advance(100);
    app.rt.typing(app.t(), "c1");
    app.pump();
    assert_eq!(app.take_sent(), [r#"42["typing",{"conversationId":"c1"}]"#], "one typing for a burst");
    app.advance(3_000);
    assert_eq!(app.take_sent(), [r#"42["stopTyping",{"conversationId":"c1"}]"#], "idle");
    // Sending stops typing at once.
    app.rt.typing(app.t(), "c1");
    app.rt.send_message(app.t(), "c1", r#""x""#).unwrap();
    app.pump();
    let sent = app.take_sent();
    assert_eq!(&sent[..2], [r#"42["typing",{"conversationId":"c1"}]"#, r#"42["stopTyping",{"conversationId":"c1"}]"#]);
    // Remote typers, their expiry, and a message clearing its sender.
    app.recv(r#"42["userTyping",{"userId":"bob","conversationId":"c1"}]"#);
    app.recv(r#"42["userTyping",{"userId":"carol","conversationId":"c1"}]"#);
    app.advance(4_000);
    app.recv(r#"42["userTyping",{"userId":"carol","conversationId":"c1"}]"#);
    app.advance(1_000); // bob silent for 5 s
    app.recv(r#"42["newMessage",{"id":"m1","conversationId":"c1","senderId":"carol","content":"x","createdAt":"t"}]"#);
    let typing: Vec<Value> = app.take_full_app_events().into_iter().filter(|e| e["app"] == "typing").collect();
    assert_eq!(
        typing,
        [
            json!({"app": "typing", "conversation": "c1", "typers": ["bob"]}),
            json!({"app": "typing", "conversation": "c1", "typers": ["bob", "carol"]}),
            json!({"app": "typing", "conversation": "c1", "typers": ["carol"]}),
            json!({"app": "typing", "conversation": "c1", "typers": []}),
        ]
    );
}

#[test]
fn unread_count_follows_the_server_and_never_goes_negative() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect_with(HS);
    app.recv(r#"42["unreadCount",{"count":2}]"#);
    let n = r#"42["notification",{"id":"n1","kind":"mention","title":"t","body":"b","createdAt":"c","read":false}]"#;
    app.recv(n);
    app.recv(n); // duplicate
    assert_eq!(app.rt.unread_count(), 3);
    app.rt.mark_read(app.t(), "n1").unwrap();
    app.rt.mark_read(app.t(), "n1").unwrap();
    assert_eq!(app.rt.unread_count(), 2);
    app.rt.mark_all_read(app.t()).unwrap();
    app.rt.mark_read(app.t(), "n0").unwrap();
    assert_eq!(app.rt.unread_count(), 0);
    app.recv(r#"42["unreadCount",{"count":120}]"#);
    assert_eq!(badge_text(app.rt.unread_count()), "99+");
    let counts: Vec<Value> = app.take_full_app_events().into_iter().filter(|e| e["app"] != "synced").collect();
    assert_eq!(
        counts,
        [
            json!({"app": "unread", "count": 2}),
            json!({"app": "notification", "id": "n1",
                "raw": {"id": "n1", "kind": "mention", "title": "t", "body": "b", "createdAt": "c", "read": false}}),
            json!({"app": "unread", "count": 3}),
            json!({"app": "unread", "count": 2}),
            json!({"app": "unread", "count": 0}),
            json!({"app": "unread", "count": 120}),
        ]
    );
}

#[test]
fn snapshot_restore_snapshot_is_identical_and_nothing_queued_is_lost() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.rt.join(app.t(), "c1").unwrap();
    app.rt.join(app.t(), "c2").unwrap();
    let id = app.rt.send_message(app.t(), "c2", r#"{"text":"survives a restart"}"#).unwrap();
    app.connect_with(HS);
    app.recv(r#"42["unreadCount",{"count":4}]"#);
    let mut buf = vec![0u8; 4096];
    let n = app.rt.snapshot(app.t(), &mut buf).unwrap();
    let bytes = buf[..n].to_vec();

    let mut restored: Box<Rt> = Box::new(Rt::restore(AppConfig::DEFAULT, 10, app.t(), &bytes).unwrap());
    let mut again = vec![0u8; 4096];
    let m = restored.snapshot(app.t(), &mut again).unwrap();
    assert_eq!(&again[..m], &bytes[..], "snapshot → restore → snapshot is identical");
    assert_eq!(restored.unread_count(), 4);
    assert_eq!(restored.conversations().collect::<Vec<_>>(), ["c1", "c2"]);
    // The new process sends the queued message, with the same id, after re-joining.
    let mut next = App { rt: restored, now: app.now, transport: None, sent: vec![], events: vec![] };
    next.connect();
    next.recv(r#"430[{"ok":true}]"#);
    next.recv(r#"431[{"ok":true}]"#);
    let sent = next.take_sent();
    assert!(sent.last().unwrap().contains(&format!(r#""clientMessageId":"{id}""#)), "{sent:?}");

    // Bad snapshots are clear errors.
    assert_eq!(Rt::restore(AppConfig::DEFAULT, 1, app.t(), &bytes[..n - 3]).unwrap_err(), SnapshotError::Corrupt);
    let mut corrupt = bytes.clone();
    corrupt[n / 2] ^= 0x40;
    assert!(matches!(Rt::restore(AppConfig::DEFAULT, 1, app.t(), &corrupt), Err(SnapshotError::Corrupt)));
    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert_eq!(Rt::restore(AppConfig::DEFAULT, 1, app.t(), &v2).unwrap_err(), SnapshotError::UnsupportedVersion(2));
    assert_eq!(Rt::restore(AppConfig::DEFAULT, 1, app.t(), &[]).unwrap_err(), SnapshotError::Corrupt);
    assert_eq!(app.rt.snapshot(app.t(), &mut [0u8; 8]).unwrap_err(), SnapshotError::BufferTooSmall);
}
