//! Reactions over a scripted server: add and remove with an ack each (every handle gets
//! exactly one `Reply`), and the server's `reaction` events.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::App;
use serde_json::json;
use tidings::app::{AppConfig, AppError};

#[test]
fn add_and_remove_are_acked_and_answered_once() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    let add = app.rt.add_reaction(app.t(), "c1", "m1", "👍").unwrap();
    let remove = app.rt.remove_reaction(app.t(), "c1", "m1", "👍").unwrap();
    app.pump();
    assert_eq!(
        app.take_sent(),
        [
            r#"420["addReaction",{"conversationId":"c1","messageId":"m1","emoji":"👍"}]"#,
            r#"421["removeReaction",{"conversationId":"c1","messageId":"m1","emoji":"👍"}]"#,
        ]
    );
    app.recv(r#"431[{"ok":false,"error":{"code":"forbidden","message":"not a member"}}]"#);
    app.recv(r#"430[{"ok":true}]"#);
    app.recv(r#"430[{"ok":true}]"#); // a duplicate answer: nothing
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "reply", "ack": remove.0, "outcome": {"refused": "forbidden"}}),
            json!({"app": "reply", "ack": add.0, "outcome": {"ok": {"ok": true}}}),
        ]
    );
}

#[test]
fn reactions_of_others_become_events() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.recv(r#"42["reaction",{"conversationId":"c1","messageId":"m1","userId":"bob","emoji":"🎉","added":true}]"#);
    app.recv(r#"42["reaction",{"conversationId":"c1","messageId":"m1","userId":"bob","emoji":"🎉","added":false}]"#);
    app.recv(r#"42["reaction",{"conversationId":"c1","messageId":"m1","userId":"bob","emoji":"🎉"}]"#); // dropped
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "reaction", "conversation": "c1", "message": "m1", "user": "bob", "emoji": "🎉", "added": true}),
            json!({"app": "reaction", "conversation": "c1", "message": "m1", "user": "bob", "emoji": "🎉", "added": false}),
        ]
    );
}

#[test]
fn invalid_arguments_are_refused_and_a_lost_connection_is_no_answer() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    assert_eq!(app.rt.add_reaction(app.t(), "c1", "m1", ""), Err(AppError::InvalidEmoji));
    assert_eq!(app.rt.add_reaction(app.t(), "c1", "m1", "\"}"), Err(AppError::InvalidEmoji));
    assert_eq!(app.rt.add_reaction(app.t(), "c1", "m1", &"x".repeat(65)), Err(AppError::InvalidEmoji));
    assert_eq!(app.rt.add_reaction(app.t(), "", "m1", "👍"), Err(AppError::InvalidId));
    app.pump();
    assert!(app.take_sent().is_empty());
    let h = app.rt.add_reaction(app.t(), "c1", "m1", "👍").unwrap();
    app.pump();
    app.lose_transport();
    let replies: Vec<_> = app.take_app_events().into_iter().filter(|e| e["app"] == "reply").collect();
    assert_eq!(replies, [json!({"app": "reply", "ack": h.0, "outcome": "no_answer"})]);
}
