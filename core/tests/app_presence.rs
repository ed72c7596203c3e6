//! Presence over a scripted server: changes only, unknown after a disconnect, rebuilt from
//! what the server sends after the connect, bounded table.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::App;
use serde_json::json;
use tidings::app::{AppConfig, PresenceState, MAX_PRESENCE};

#[test]
fn presence_changes_are_reported_once_and_kept() {
    let mut app = App::new(AppConfig::DEFAULT);
    assert_eq!(app.rt.presence("bob"), PresenceState::Unknown);
    app.connect();
    app.recv(r#"42["presence",{"userId":"bob","online":true}]"#);
    app.recv(r#"42["presence",{"userId":"bob","online":true}]"#); // no change
    app.recv(r#"42["presence",{"userId":"carol","online":true}]"#);
    app.recv(r#"42["presence",{"userId":"bob","online":false}]"#);
    // Malformed ones are dropped.
    app.recv(r#"42["presence",{"userId":"dave","online":"yes"}]"#);
    app.recv(r#"42["presence",{"online":true}]"#);
    app.recv(r#"42["presence","bob"]"#);
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "presence", "user": "bob", "online": true}),
            json!({"app": "presence", "user": "carol", "online": true}),
            json!({"app": "presence", "user": "bob", "online": false}),
        ]
    );
    assert_eq!(app.rt.presence("bob"), PresenceState::Offline);
    assert!(!app.rt.is_online("bob"));
    assert!(app.rt.is_online("carol"));
    assert_eq!(app.rt.presence("dave"), PresenceState::Unknown);
    assert!(app.take_sent().is_empty(), "presence sends nothing");
}

#[test]
fn a_disconnect_makes_everyone_unknown_until_the_server_says_again() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    app.recv(r#"42["presence",{"userId":"bob","online":true}]"#);
    app.recv(r#"42["presence",{"userId":"carol","online":false}]"#);
    app.lose_transport();
    assert_eq!(app.rt.presence("bob"), PresenceState::Unknown);
    assert_eq!(app.rt.presence("carol"), PresenceState::Unknown);
    assert_eq!(app.rt.known_presence(), 0);
    app.take_app_events();
    // After the connect the server sends the contacts that are online.
    app.reconnect();
    app.recv(r#"42["unreadCount",{"count":0}]"#);
    app.recv(r#"42["presence",{"userId":"bob","online":true}]"#);
    assert_eq!(
        app.take_app_events().into_iter().filter(|e| e["app"] == "presence").collect::<Vec<_>>(),
        [json!({"app": "presence", "user": "bob", "online": true})],
        "reported again: it was unknown"
    );
    assert!(app.rt.is_online("bob"));
    assert_eq!(app.rt.presence("carol"), PresenceState::Unknown, "not said since the connect");
}

#[test]
fn the_table_is_bounded_and_forgets_the_oldest() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    for i in 0..MAX_PRESENCE + 3 {
        app.recv(&format!(r#"42["presence",{{"userId":"u{i}","online":true}}]"#));
    }
    assert_eq!(app.take_app_events().len(), MAX_PRESENCE + 3, "every change is reported");
    assert_eq!(app.rt.known_presence(), MAX_PRESENCE);
    for i in 0..3 {
        assert_eq!(app.rt.presence(&format!("u{i}")), PresenceState::Unknown, "u{i} was forgotten, not made offline");
    }
    assert!(app.rt.is_online(&format!("u{}", MAX_PRESENCE + 2)));
    // An offline entry is forgotten before any online one.
    app.recv(r#"42["presence",{"userId":"u10","online":false}]"#);
    app.recv(r#"42["presence",{"userId":"late","online":true}]"#);
    assert_eq!(app.rt.presence("u10"), PresenceState::Unknown);
    assert!(app.rt.is_online("u3"));
    // An id too long to keep is still reported; it stays unknown.
    let long = "x".repeat(100);
    app.take_app_events();
    app.recv(&format!(r#"42["presence",{{"userId":"{long}","online":true}}]"#));
    assert_eq!(app.take_app_events(), [json!({"app": "presence", "user": long, "online": true})]);
    assert_eq!(app.rt.presence(&long), PresenceState::Unknown);
}
