//! Read receipts over a scripted server: the own position is sent with an ack, kept,
//! sent again after a reconnect until the server has it, and survives a snapshot; other
//! members' receipts become events.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::{App, Rt};
use serde_json::json;
use tidings::app::{AppConfig, AppError};

/// Live with `c1` joined; frames and events so far dropped.
fn joined() -> App {
    let mut app = App::new(AppConfig::DEFAULT);
    app.rt.join(app.t(), "c1").unwrap();
    app.connect();
    app.recv(r#"430[{"ok":true}]"#);
    app.take_sent();
    app.take_app_events();
    app
}

#[test]
fn marking_read_sends_the_receipt_and_keeps_the_position() {
    let mut app = joined();
    let h = app.rt.mark_conversation_read(app.t(), "c1", "m5").unwrap();
    app.pump();
    assert_eq!(app.take_sent(), [r#"421["markConversationRead",{"conversationId":"c1","messageId":"m5"}]"#]);
    assert_eq!(app.rt.read_position("c1"), Some("m5"));
    assert!(app.rt.read_position_pending("c1"));
    app.recv(r#"431[{"ok":true}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "reply", "ack": h.0, "outcome": {"ok": {"ok": true}}})]);
    assert!(!app.rt.read_position_pending("c1"));
    // Other members' receipts.
    app.recv(r#"42["readReceipt",{"conversationId":"c1","userId":"bob","messageId":"m5"}]"#);
    app.recv(r#"42["readReceipt",{"conversationId":"c1","userId":"bob"}]"#); // malformed: dropped
    assert_eq!(
        app.take_app_events(),
        [json!({"app": "read_receipt", "conversation": "c1", "user": "bob", "message": "m5"})]
    );
    // A refusal settles the position (it is not sent again) and says why.
    let h = app.rt.mark_conversation_read(app.t(), "c1", "m404").unwrap();
    app.pump();
    app.recv(r#"432[{"ok":false,"error":{"code":"not_found","message":"no message"}}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "reply", "ack": h.0, "outcome": {"refused": "not_found"}})]);
    assert!(!app.rt.read_position_pending("c1"));
}

#[test]
fn refusals_before_anything_is_sent() {
    let mut app = joined();
    assert_eq!(app.rt.mark_conversation_read(app.t(), "c2", "m1"), Err(AppError::NotJoined));
    assert_eq!(app.rt.mark_conversation_read(app.t(), "c1", ""), Err(AppError::InvalidId));
    assert_eq!(app.rt.mark_conversation_read(app.t(), "c1", "m\"1"), Err(AppError::InvalidId));
    app.pump();
    assert!(app.take_sent().is_empty());
    assert_eq!(app.rt.read_position("c1"), None);
    // Leaving forgets the position.
    app.rt.mark_conversation_read(app.t(), "c1", "m1").unwrap();
    app.rt.leave(app.t(), "c1").unwrap();
    assert_eq!(app.rt.read_position("c1"), None);
}

#[test]
fn an_unanswered_receipt_is_sent_again_after_the_reconnect() {
    let mut app = joined();
    let h = app.rt.mark_conversation_read(app.t(), "c1", "m6").unwrap();
    app.pump();
    assert_eq!(app.take_sent().len(), 1);
    app.lose_transport();
    assert!(app.take_app_events().contains(&json!({"app": "reply", "ack": h.0, "outcome": "no_answer"})));
    assert!(app.rt.read_position_pending("c1"));
    app.reconnect();
    // CONNECT, the re-join; the receipt waits for the join's ack (for Synced).
    assert_eq!(app.take_sent(), [r#"40{"token":"t"}"#, r#"422["joinConversation",{"conversationId":"c1"}]"#]);
    app.recv(r#"432[{"ok":true}]"#);
    assert_eq!(app.take_sent(), [r#"423["markConversationRead",{"conversationId":"c1","messageId":"m6"}]"#]);
    app.recv(r#"433[{"ok":true}]"#);
    assert!(!app.rt.read_position_pending("c1"));
    let replies: Vec<_> = app.take_app_events().into_iter().filter(|e| e["app"] == "reply").collect();
    assert!(replies.is_empty(), "the automatic resend has no handle of the app's: {replies:?}");
    // Settled: a further reconnect sends nothing.
    app.lose_transport();
    app.reconnect();
    app.recv(r#"434[{"ok":true}]"#);
    assert_eq!(app.take_sent(), [r#"40{"token":"t"}"#, r#"424["joinConversation",{"conversationId":"c1"}]"#]);
}

#[test]
fn the_position_survives_a_snapshot_and_an_unconfirmed_one_is_sent_after_restore() {
    let mut app = App::new(AppConfig::DEFAULT);
    for c in ["c1", "c2", "c3"] {
        app.rt.join(app.t(), c).unwrap();
    }
    app.connect_with(harness::HS);
    for ack in 0..3 {
        app.recv(&format!(r#"43{ack}[{{"ok":true}}]"#));
    }
    app.rt.mark_conversation_read(app.t(), "c1", "m1").unwrap();
    app.rt.mark_conversation_read(app.t(), "c3", "m3").unwrap();
    app.pump();
    app.recv(r#"433[{"ok":true}]"#); // c1 confirmed; c3 not yet
    let mut buf = vec![0u8; 4096];
    let n = app.rt.snapshot(app.t(), &mut buf).unwrap();
    let bytes = buf[..n].to_vec();

    let restored: Box<Rt> = Box::new(Rt::restore(AppConfig::DEFAULT, 10, app.t(), &bytes).unwrap());
    let mut again = vec![0u8; 4096];
    let mut next = App { rt: restored, now: app.now, transport: None, sent: vec![], events: vec![] };
    let m = next.rt.snapshot(next.t(), &mut again).unwrap();
    assert_eq!(&again[..m], &bytes[..], "snapshot → restore → snapshot is identical");
    assert_eq!(next.rt.read_position("c1"), Some("m1"));
    assert_eq!(next.rt.read_position("c3"), Some("m3"));
    assert_eq!(next.rt.read_position("c2"), None);
    assert!(!next.rt.read_position_pending("c1") && next.rt.read_position_pending("c3"));
    // The new process re-joins, then sends only the unconfirmed receipt.
    next.connect_with(harness::HS);
    for ack in 0..3 {
        next.recv(&format!(r#"43{ack}[{{"ok":true}}]"#));
    }
    let sent = next.take_sent();
    assert_eq!(sent.last().unwrap(), r#"423["markConversationRead",{"conversationId":"c3","messageId":"m3"}]"#);
    assert_eq!(sent.iter().filter(|f| f.contains("markConversationRead")).count(), 1, "{sent:?}");
}
