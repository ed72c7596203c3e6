//! Rate limits over a scripted server: the client's buckets refuse before sending, the
//! server's `rateLimited` event and `rate_limited` refusals block a class until the time is
//! up (messages wait in the outbox and end exactly once), and a property: a bucket never
//! lets more than `capacity + W / refill_ms` commands through in any window of `W` ms.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::App;
use proptest::prelude::*;
use serde_json::{json, Value};
use tidings::app::{AppConfig, AppError, BucketConfig, RateClass, RateLimits, TokenBucket};
use tidings::Instant;

#[test]
fn the_message_bucket_refuses_the_eleventh_burst_message_and_refills() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    for i in 0..10 {
        app.rt.send_message(app.t(), "c1", &format!("{i}")).unwrap();
    }
    assert_eq!(app.rt.send_message(app.t(), "c1", "10"), Err(AppError::RateLimited { retry_after_ms: 500 }));
    assert_eq!(app.rt.outbox_len(), 10, "the refused one was not queued");
    assert_eq!(app.take_sent().len(), 10);
    app.advance(200);
    assert_eq!(app.rt.rate_limited_for(app.t(), RateClass::Messages), Some(300));
    app.advance(300);
    assert_eq!(app.rt.rate_limited_for(app.t(), RateClass::Messages), None);
    app.rt.send_message(app.t(), "c1", "10").unwrap();
    assert_eq!(app.rt.send_message(app.t(), "c1", "11"), Err(AppError::RateLimited { retry_after_ms: 500 }));
    // Other classes have their own buckets.
    assert!(app.rt.add_reaction(app.t(), "c1", "m1", "👍").is_ok());
}

#[test]
fn a_message_the_server_limits_waits_and_is_resent_with_the_same_id() {
    let cfg = AppConfig { rate_limits: RateLimits::UNLIMITED, ..AppConfig::DEFAULT };
    let mut app = App::new(cfg);
    app.connect();
    let id = app.rt.send_message(app.t(), "c1", r#""hi""#).unwrap();
    let first = app.take_sent();
    assert_eq!(
        first,
        [format!(r#"420["sendMessage",{{"conversationId":"c1","content":"hi","clientMessageId":"{id}"}}]"#)]
    );
    // The reference server sends the event, then the refusal.
    app.recv(r#"42["rateLimited",{"event":"sendMessage","retryAfterMs":3000}]"#);
    app.recv(r#"430[{"ok":false,"error":{"code":"rate_limited","message":"too many","retryAfterMs":3000}}]"#);
    assert_eq!(
        app.take_app_events(),
        [json!({"app": "rate_limited", "class": "Messages", "retry_after_ms": 3000})],
        "reported once, and the message is not failed"
    );
    assert_eq!(app.rt.outbox_len(), 1);
    // The block ends 1 ms after the server's time: hosts round `now` down to the ms.
    assert_eq!(app.rt.poll_timeout().unwrap().as_millis(), app.now + 3001, "the block's end is a deadline");
    app.advance(1000);
    assert_eq!(app.rt.send_message(app.t(), "c1", r#""more""#), Err(AppError::RateLimited { retry_after_ms: 2001 }));
    assert!(app.take_sent().is_empty(), "nothing goes while blocked");
    app.advance(2000);
    assert!(app.take_sent().is_empty(), "still blocked for the extra millisecond");
    app.advance(1);
    assert_eq!(app.take_app_events(), [json!({"app": "rate_limit_lifted", "class": "Messages"})]);
    assert_eq!(
        app.take_sent(),
        [format!(r#"421["sendMessage",{{"conversationId":"c1","content":"hi","clientMessageId":"{id}"}}]"#)]
    );
    app.recv(r#"431[{"ok":true,"message":{"id":"m1"}}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "send", "id": &*id, "outcome": "delivered"})]);
    assert_eq!(app.rt.outbox_len(), 0);
}

#[test]
fn one_refusal_signalled_twice_a_few_ms_apart_is_reported_once() {
    // As over a real connection: the event and the refusal reach the host in two frames,
    // and its clock moves between them.
    let cfg = AppConfig { rate_limits: RateLimits::UNLIMITED, ..AppConfig::DEFAULT };
    let mut app = App::new(cfg);
    app.connect();
    app.rt.send_message(app.t(), "c1", r#""hi""#).unwrap();
    app.take_sent();
    let start = app.now;
    app.recv(r#"42["rateLimited",{"event":"sendMessage","retryAfterMs":2000}]"#);
    app.advance(3);
    app.recv(r#"430[{"ok":false,"error":{"code":"rate_limited","message":"too many","retryAfterMs":2000}}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "rate_limited", "class": "Messages", "retry_after_ms": 2000})]);
    // The block runs to the later signal's end (plus the 1 ms margin).
    assert_eq!(app.rt.poll_timeout().unwrap().as_millis(), start + 3 + 2000 + 1);
    app.advance(2000);
    assert!(app.take_sent().is_empty(), "still blocked");
    app.advance(1);
    assert_eq!(app.take_app_events(), [json!({"app": "rate_limit_lifted", "class": "Messages"})]);
    assert_eq!(app.take_sent().len(), 1, "the message goes again once");
}

#[test]
fn limited_reactions_and_receipts() {
    let cfg = AppConfig { rate_limits: RateLimits::UNLIMITED, ..AppConfig::DEFAULT };
    let mut app = App::new(cfg);
    app.rt.join(app.t(), "c1").unwrap();
    app.connect();
    app.recv(r#"430[{"ok":true}]"#);
    app.take_app_events();
    let r = app.rt.add_reaction(app.t(), "c1", "m1", "👍").unwrap();
    app.recv(r#"431[{"ok":false,"error":{"code":"rate_limited","retryAfterMs":1500}}]"#);
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "rate_limited", "class": "Reactions", "retry_after_ms": 1500}),
            json!({"app": "reply", "ack": r.0, "outcome": {"rate_limited": 1500}}),
        ]
    );
    assert_eq!(app.rt.add_reaction(app.t(), "c1", "m1", "👍"), Err(AppError::RateLimited { retry_after_ms: 1501 }));
    // A receipt refused for the limit is kept and goes again by itself when the block ends.
    let h = app.rt.mark_conversation_read(app.t(), "c1", "m1").unwrap();
    app.take_sent();
    app.recv(r#"42["rateLimited",{"event":"markConversationRead"}]"#);
    app.recv(r#"432[{"ok":false,"error":{"code":"rate_limited"}}]"#);
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "rate_limited", "class": "Receipts", "retry_after_ms": 1000}),
            json!({"app": "reply", "ack": h.0, "outcome": {"rate_limited": 1000}}),
        ],
        "no retryAfterMs: the default block"
    );
    assert!(app.rt.read_position_pending("c1"));
    app.advance(1000);
    assert!(app.take_sent().is_empty(), "blocked for the default time plus 1 ms");
    app.advance(1);
    assert_eq!(app.take_sent(), [r#"423["markConversationRead",{"conversationId":"c1","messageId":"m1"}]"#]);
    app.advance(500);
    let lifted: Vec<Value> = app.take_app_events();
    assert_eq!(
        lifted,
        [
            json!({"app": "rate_limit_lifted", "class": "Receipts"}),
            json!({"app": "rate_limit_lifted", "class": "Reactions"}),
        ]
    );
    // A limit on an event the app layer does not send is the app's to handle.
    app.recv(r#"42["rateLimited",{"event":"typing","retryAfterMs":100}]"#);
    assert_eq!(
        std::mem::take(&mut app.events),
        [
            json!({"event": "event", "namespace": "/", "name": "rateLimited", "args": [{"event": "typing", "retryAfterMs": 100}]})
        ],
        "passed through as a connection event"
    );
    // A huge block is capped.
    app.recv(r#"42["rateLimited",{"event":"callSignal","retryAfterMs":99999999999}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "rate_limited", "class": "Calls", "retry_after_ms": 600000})]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_bucket_never_lets_more_than_its_capacity_plus_refills_through(
        capacity in 1u32..12,
        refill_ms in 1u64..2_000,
        gaps in proptest::collection::vec(0u64..1_500, 1..200),
    ) {
        let cfg = BucketConfig { capacity, refill_ms };
        let mut bucket = TokenBucket::new();
        let mut now = 0u64;
        let mut passed: Vec<u64> = Vec::new();
        for gap in gaps {
            now += gap;
            match bucket.take(&cfg, Instant::from_millis(now)) {
                Ok(()) => passed.push(now),
                Err(wait) => {
                    prop_assert!(wait >= 1 && wait <= refill_ms, "wait {wait}");
                    // The wait is exact: a command after it passes.
                    let mut probe = bucket;
                    prop_assert!(probe.take(&cfg, Instant::from_millis(now + wait)).is_ok());
                }
            }
        }
        // Every window [a, b] of passed commands: count ≤ capacity + (b − a) / refill_ms.
        for i in 0..passed.len() {
            for j in i..passed.len() {
                let count = (j - i + 1) as u64;
                let bound = u64::from(capacity) + (passed[j] - passed[i]) / refill_ms;
                prop_assert!(count <= bound, "{count} in [{}, {}] > {bound}", passed[i], passed[j]);
            }
        }
    }
}
