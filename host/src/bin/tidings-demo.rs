//! `make demo`: the reference server and two scripted users, alice and bob, who join a
//! conversation, type, chat, get a notification with an unread count, and live through a
//! server restart. Prints a timeline; stops the server it started; exits 0 on success.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tidings::client::ReconnectPolicy;
use tidings::Config;
use tidings_host::harness::{token, Kind, Server};
use tidings_host::{AckResult, Event, Host};

struct User {
    name: &'static str,
    host: Host,
}

struct Demo {
    start: Instant,
    users: Vec<User>,
}

fn describe(e: &Event) -> Option<String> {
    Some(match e {
        Event::AuthRequired { refresh, .. } => {
            if *refresh {
                "token refused: fetching a fresh one".into()
            } else {
                "sends its token".into()
            }
        }
        Event::Connected { namespace, recovered } => format!("connected to {namespace} (recovered: {recovered})"),
        Event::Disconnected { namespace: None, reason } => format!("disconnected: {reason:?}"),
        Event::Disconnected { .. } => return None,
        Event::ReconnectScheduled { attempt, delay_ms } => format!("reconnect attempt {attempt} in {delay_ms} ms"),
        Event::Reconnected { attempts } => format!("reconnected after {attempts} attempt(s)"),
        Event::ReconnectFailed { attempts } => format!("gave up after {attempts} attempts"),
        Event::Message { name, args, .. } => match name.as_str() {
            "newMessage" => format!(
                "💬 {}: {:?}",
                args[0]["senderId"].as_str().unwrap_or("?"),
                args[0]["content"].as_str().unwrap_or("")
            ),
            "userTyping" => format!("✎ {} is typing…", args[0]["userId"].as_str().unwrap_or("?")),
            "userStoppedTyping" => format!("  {} stopped typing", args[0]["userId"].as_str().unwrap_or("?")),
            "notification" => format!("🔔 notification: {:?}", args[0]["title"].as_str().unwrap_or("")),
            "unreadCount" => format!("badge: {} unread", args[0]["count"]),
            _ => format!("event {name} {}", Value::Array(args.clone())),
        },
        Event::Ack { result: AckResult::Ok(args, _), .. } => match args.first() {
            Some(a) if a.get("message").is_some() => format!(
                "✓ delivered {:?} as {}",
                a["message"]["content"].as_str().unwrap_or(""),
                a["message"]["id"].as_str().unwrap_or("?")
            ),
            Some(a) => format!("✓ ack {a}"),
            None => "✓ ack".into(),
        },
        Event::Ack { result, .. } => format!("✗ ack {result:?}"),
        other => format!("{other:?}"),
    })
}

impl Demo {
    fn log(&self, who: &str, what: &str) {
        println!("[{:>6.2}s] {:<6} {}", self.start.elapsed().as_secs_f64(), who, what);
    }

    /// Runs both users' loops for `d`, printing what each sees.
    fn run(&mut self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            for i in 0..self.users.len() {
                self.users[i].host.step(Duration::from_millis(5));
                while let Some(e) = self.users[i].host.next_event() {
                    if let Some(text) = describe(&e) {
                        let name = self.users[i].name;
                        self.log(name, &text);
                    }
                }
            }
        }
    }

    /// Runs until something in `user`'s history satisfies `pred` (or fails after 15 s).
    fn until(&mut self, user: usize, what: &str, pred: impl Fn(&Event) -> bool) {
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            if self.users[user].host.history().iter().any(&pred) {
                return;
            }
            assert!(Instant::now() < end, "demo: {} never saw {what}", self.users[user].name);
            self.run(Duration::from_millis(20));
        }
    }

    fn emit(&mut self, user: usize, event: &str, arg: Value) {
        let name = self.users[user].name;
        self.log(name, &format!("→ {event} {arg}"));
        self.users[user].host.emit_with_ack("/", event, &[&arg.to_string()]).expect("emit");
    }
}

fn main() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let start = Instant::now();
    println!("tidings demo: reference server (npm socket.io 4.8) on 127.0.0.1:{}", server.port);
    println!("              two users, alice and bob, each a tidings client over a real WebSocket\n");
    let config = Config {
        reconnect: ReconnectPolicy { initial_delay_ms: 500, jitter_permille: 200, ..ReconnectPolicy::PRODUCT },
        ..Config::DEFAULT
    };
    let mut users = Vec::new();
    for (i, name) in ["alice", "bob"].into_iter().enumerate() {
        let tok = token(name, None);
        let host = Host::new(&server.url(), config, 100 + i as u64, move |_ns, _refresh| {
            Some(format!(r#"{{"token":"{tok}"}}"#))
        });
        users.push(User { name, host });
    }
    let mut demo = Demo { start, users };

    for u in 0..2 {
        demo.users[u].host.connect();
    }
    for u in 0..2 {
        demo.until(u, "connected", |e| matches!(e, Event::Connected { .. }));
    }
    for u in 0..2 {
        demo.emit(u, "joinConversation", json!({"conversationId": "c1"}));
    }
    demo.run(Duration::from_millis(300));

    demo.emit(0, "typing", json!({"conversationId": "c1"}));
    demo.until(1, "typing", |e| matches!(e, Event::Message { name, .. } if name == "userTyping"));
    demo.emit(0, "stopTyping", json!({"conversationId": "c1"}));
    demo.emit(
        0,
        "sendMessage",
        json!({"conversationId": "c1", "content": "Hi Bob! Lunch today?", "clientMessageId": "alice-1"}),
    );
    demo.until(1, "alice's message", |e| matches!(e, Event::Message { name, .. } if name == "newMessage"));
    demo.emit(
        1,
        "sendMessage",
        json!({"conversationId": "c1", "content": "Sure, 12:30 👍", "clientMessageId": "bob-1"}),
    );
    demo.until(0, "bob's reply", |e| matches!(e, Event::Message { name, .. } if name == "newMessage"));
    demo.run(Duration::from_millis(200));

    demo.log("server", "creates a notification for bob");
    server.control(
        "POST",
        "/control/notify",
        json!({"userId": "bob", "kind": "mention", "title": "alice mentioned you"}),
    );
    demo.until(
        1,
        "the badge",
        |e| matches!(e, Event::Message { name, args, .. } if name == "unreadCount" && args[0]["count"] == 1),
    );

    demo.log("server", "restarts (down for 1.5 s)");
    server.control("POST", "/control/restart", json!({"delayMs": 1500}));
    demo.until(0, "the disconnect", |e| matches!(e, Event::Disconnected { namespace: None, .. }));
    demo.log("alice", "sends while offline: the message waits in the send buffer");
    demo.users[0]
        .host
        .emit_with_ack(
            "/",
            "sendMessage",
            &[&json!({"conversationId": "c1", "content": "Are you still there?", "clientMessageId": "alice-2"})
                .to_string()],
        )
        .expect("buffered");
    for u in 0..2 {
        demo.until(u, "the reconnect", |e| matches!(e, Event::Reconnected { .. }));
    }
    for u in 0..2 {
        demo.emit(u, "joinConversation", json!({"conversationId": "c1"}));
    }
    demo.until(0, "the buffered message's ack", |e| {
        matches!(e, Event::Ack { result: AckResult::Ok(a, _), .. } if a.first().is_some_and(|m| m["message"]["clientMessageId"] == "alice-2"))
    });
    demo.run(Duration::from_millis(300));

    let state = server.control("GET", "/control/state?conversationId=c1", Value::Null);
    let stored = state["messages"].as_array().map_or(0, Vec::len);
    for u in 0..2 {
        demo.users[u].host.disconnect();
    }
    demo.run(Duration::from_millis(100));
    println!("\ndemo: {stored} messages stored in c1, none lost or duplicated; stopping the server.");
    assert_eq!(stored, 3, "alice-1, bob-1, alice-2");
    drop(server);
    println!("demo: done");
}
