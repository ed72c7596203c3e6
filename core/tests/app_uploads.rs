//! Chunked uploads over a scripted server: the host is asked for each chunk, each goes as
//! metadata + one binary attachment with an ack, progress follows the acks, a lost
//! connection resumes from the server's `nextIndex`, chunks fit `maxPayload`, and every
//! upload ends exactly once.

#[path = "support/app_harness.rs"]
mod harness;
mod support;

use harness::{ack_id, App};
use proptest::prelude::*;
use serde_json::{json, Value};
use tidings::app::{AppConfig, AppError, RateLimits, SyncPhase, UploadError};

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| i as u8).collect()
}

/// Answers the last `chunk_needed` event with the file's bytes.
fn give_chunk(app: &mut App, data: &[u8], need: &Value) {
    let (index, offset, len) = (
        need["index"].as_u64().unwrap(),
        need["offset"].as_u64().unwrap() as usize,
        need["len"].as_u64().unwrap() as usize,
    );
    let id = need["upload"].as_str().unwrap().to_string();
    app.rt.upload_chunk(app.t(), &id, index as u32, &data[offset..offset + len]).unwrap();
    app.pump();
}

#[test]
fn a_file_goes_in_acked_chunks_with_progress() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    let data = file(10);
    assert_eq!(app.rt.start_upload(app.t(), "f1", 10, 4), Ok(4));
    let need = app.take_app_events();
    assert_eq!(need, [json!({"app": "chunk_needed", "upload": "f1", "index": 0, "offset": 0, "len": 4})]);
    // Only the chunk asked for, with the length asked for.
    assert_eq!(app.rt.upload_chunk(app.t(), "f1", 1, &data[4..8]), Err(AppError::Upload(UploadError::ChunkNotNeeded)));
    assert_eq!(
        app.rt.upload_chunk(app.t(), "f1", 0, &data[..3]),
        Err(AppError::Upload(UploadError::WrongChunkLength { expected: 4 }))
    );
    assert_eq!(app.rt.upload_chunk(app.t(), "nope", 0, &data[..4]), Err(AppError::Upload(UploadError::UnknownUpload)));
    give_chunk(&mut app, &data, &need[0]);
    assert_eq!(
        app.take_sent(),
        [
            r#"451-0["uploadChunk",{"uploadId":"f1","index":0,"total":3,"size":4},{"_placeholder":true,"num":0}]"#,
            "<bin 00010203>",
        ]
    );
    app.recv(r#"430[{"ok":true,"received":0,"nextIndex":1}]"#);
    let events = app.take_app_events();
    assert_eq!(
        events,
        [
            json!({"app": "upload_progress", "upload": "f1", "acked": 4, "total": 10}),
            json!({"app": "chunk_needed", "upload": "f1", "index": 1, "offset": 4, "len": 4}),
        ]
    );
    give_chunk(&mut app, &data, &events[1]);
    app.recv(r#"431[{"ok":true,"received":1,"nextIndex":2}]"#);
    let events = app.take_app_events();
    assert_eq!(events[1], json!({"app": "chunk_needed", "upload": "f1", "index": 2, "offset": 8, "len": 2}));
    give_chunk(&mut app, &data, &events[1]);
    let sent = app.take_sent();
    assert_eq!(sent.last().unwrap(), "<bin 0809>");
    app.recv(r#"432[{"ok":true,"received":2,"nextIndex":3,"complete":true,"bytes":10}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "upload_finished", "upload": "f1", "total": 10})]);
    assert_eq!(app.rt.uploads_in_progress(), 0);
    app.recv(r#"432[{"ok":true}]"#); // a late duplicate: nothing
    assert!(app.take_app_events().is_empty());
}

#[test]
fn after_a_lost_connection_it_asks_where_the_server_stands_and_goes_on() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    let data = file(12);
    app.rt.start_upload(app.t(), "f2", 12, 4).unwrap();
    let need = app.take_app_events();
    give_chunk(&mut app, &data, &need[0]);
    app.recv(r#"430[{"ok":true,"received":0,"nextIndex":1}]"#);
    let need = app.take_app_events();
    give_chunk(&mut app, &data, &need[1]); // chunk 1 in flight…
    app.take_sent();
    app.lose_transport(); // …and its ack lost
    assert!(app.take_app_events().iter().all(|e| e["app"] != "upload_failed"));
    app.reconnect();
    // No conversations: live at once, and the upload asks where it stands.
    assert_eq!(app.take_sent(), [r#"40{"token":"t"}"#, r#"422["uploadStatus",{"uploadId":"f2"}]"#]);
    app.recv(r#"432[{"ok":true,"nextIndex":2,"total":3}]"#); // the chunk did arrive
    let events: Vec<Value> = app.take_app_events().into_iter().filter(|e| e["upload"] == "f2").collect();
    assert_eq!(
        events,
        [
            json!({"app": "upload_progress", "upload": "f2", "acked": 8, "total": 12}),
            json!({"app": "chunk_needed", "upload": "f2", "index": 2, "offset": 8, "len": 4}),
        ]
    );
    give_chunk(&mut app, &data, &events[1]);
    assert_eq!(
        app.take_sent()[0],
        r#"451-3["uploadChunk",{"uploadId":"f2","index":2,"total":3,"size":4},{"_placeholder":true,"num":0}]"#
    );
    app.recv(r#"433[{"ok":true,"received":2,"nextIndex":3,"complete":true,"bytes":12}]"#);
    assert_eq!(app.take_app_events(), [json!({"app": "upload_finished", "upload": "f2", "total": 12})]);
}

#[test]
fn a_server_that_forgot_the_upload_gets_it_from_the_start_and_a_mismatch_fails() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect();
    let data = file(8);
    app.rt.start_upload(app.t(), "f3", 8, 4).unwrap();
    app.rt.start_upload(app.t(), "f4", 8, 4).unwrap();
    let need = app.take_app_events();
    give_chunk(&mut app, &data, &need[0]);
    give_chunk(&mut app, &data, &need[1]);
    app.take_sent();
    app.lose_transport();
    app.reconnect();
    assert_eq!(
        app.take_sent(),
        [r#"40{"token":"t"}"#, r#"422["uploadStatus",{"uploadId":"f3"}]"#, r#"423["uploadStatus",{"uploadId":"f4"}]"#]
    );
    app.recv(r#"432[{"ok":true,"nextIndex":0,"total":null}]"#);
    app.recv(r#"433[{"ok":true,"nextIndex":1,"total":5}]"#);
    let events: Vec<Value> = app.take_app_events().into_iter().filter(|e| e.get("upload").is_some()).collect();
    assert_eq!(
        events,
        [
            json!({"app": "upload_progress", "upload": "f3", "acked": 0, "total": 8}),
            json!({"app": "chunk_needed", "upload": "f3", "index": 0, "offset": 0, "len": 4}),
            json!({"app": "upload_failed", "upload": "f4", "reason": "total_mismatch"}),
        ]
    );
}

#[test]
fn started_offline_it_waits_for_the_connection() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.rt.start_upload(app.t(), "f5", 3, 100).unwrap();
    app.pump();
    assert!(app.take_app_events().is_empty());
    app.connect_with(harness::HS);
    let events: Vec<Value> = app.take_app_events().into_iter().filter(|e| e.get("upload").is_some()).collect();
    assert_eq!(events, [json!({"app": "chunk_needed", "upload": "f5", "index": 0, "offset": 0, "len": 3})]);
    assert!(app.take_sent().iter().all(|f| !f.contains("uploadStatus")), "nothing was sent: no status to ask");
    // The host reading a chunk when the connection drops: asked again once back.
    app.lose_transport();
    assert_eq!(app.rt.upload_chunk(app.t(), "f5", 0, &[1, 2, 3]), Err(AppError::Upload(UploadError::ChunkNotNeeded)));
    app.reconnect();
    let events: Vec<Value> = app.take_app_events().into_iter().filter(|e| e.get("upload").is_some()).collect();
    assert_eq!(events, [json!({"app": "chunk_needed", "upload": "f5", "index": 0, "offset": 0, "len": 3})]);
}

#[test]
fn chunks_are_clamped_to_fit_and_shrink_once_the_servers_max_payload_is_known() {
    let mut app = App::new(AppConfig::DEFAULT);
    app.connect_with(r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000}"#);
    app.take_app_events();
    app.take_sent();
    // Half the 8 KiB send buffer.
    assert_eq!(app.rt.start_upload(app.t(), "big", 100_000, 1_000_000), Ok(4096));
    let need = app.take_app_events();
    assert_eq!(need[0]["len"], 4096);
    let data = file(100_000);
    // The server takes 1000-byte frames: nothing was sent yet, so the chunks shrink.
    give_chunk(&mut app, &data, &need[0]);
    assert!(app.take_sent().is_empty());
    assert_eq!(
        app.take_app_events(),
        [json!({"app": "chunk_needed", "upload": "big", "index": 0, "offset": 0, "len": 1000})]
    );
    app.rt.upload_chunk(app.t(), "big", 0, &data[..1000]).unwrap();
    app.pump();
    let sent = app.take_sent();
    assert_eq!(
        sent[0],
        r#"451-0["uploadChunk",{"uploadId":"big","index":0,"total":100,"size":1000},{"_placeholder":true,"num":0}]"#
    );
    // Later uploads start at the known size.
    assert_eq!(app.rt.start_upload(app.t(), "next", 5_000, 4_000), Ok(1000));
    assert_eq!(app.rt.start_upload(app.t(), "zero", 5_000, 0), Err(AppError::Upload(UploadError::InvalidSize)));
    assert_eq!(app.rt.start_upload(app.t(), "next", 5_000, 10), Err(AppError::Upload(UploadError::DuplicateUpload)));
    assert_eq!(app.rt.start_upload(app.t(), "bad\"id", 5, 10), Err(AppError::InvalidId));
}

#[test]
fn cancel_refusal_and_rate_limit_each_end_or_pause_it_once() {
    let cfg = AppConfig { rate_limits: RateLimits::UNLIMITED, ..AppConfig::DEFAULT };
    let mut app = App::new(cfg);
    app.connect();
    let data = file(8);
    app.rt.start_upload(app.t(), "c", 8, 4).unwrap();
    app.rt.start_upload(app.t(), "r", 8, 4).unwrap();
    app.rt.start_upload(app.t(), "l", 8, 4).unwrap();
    app.rt.start_upload(app.t(), "x", 8, 4).unwrap();
    assert_eq!(app.rt.start_upload(app.t(), "y", 8, 4), Err(AppError::Upload(UploadError::TooManyUploads)));
    let need = app.take_app_events();
    for n in &need {
        give_chunk(&mut app, &data, n);
    }
    let sent = app.take_sent();
    let ids: Vec<u64> = sent.iter().filter(|f| f.starts_with("45")).map(|f| ack_id(f)).collect();
    app.rt.cancel_upload(app.t(), "c").unwrap();
    assert_eq!(app.rt.cancel_upload(app.t(), "c"), Err(AppError::Upload(UploadError::UnknownUpload)));
    app.recv(&format!(r#"43{}[{{"ok":true,"received":0,"nextIndex":1}}]"#, ids[0])); // late: ignored
    app.recv(&format!(r#"43{}[{{"ok":false,"error":{{"code":"bad_request"}}}}]"#, ids[1]));
    app.recv(&format!(r#"43{}[{{"ok":false,"error":{{"code":"rate_limited","retryAfterMs":2000}}}}]"#, ids[2]));
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "upload_failed", "upload": "c", "reason": "cancelled"}),
            json!({"app": "upload_failed", "upload": "r", "reason": "bad_request"}),
            json!({"app": "rate_limited", "class": "Uploads", "retry_after_ms": 2000}),
        ]
    );
    // Blocked for the server's 2000 ms plus 1 ms (hosts round `now` down).
    assert_eq!(app.rt.start_upload(app.t(), "y", 8, 4), Err(AppError::RateLimited { retry_after_ms: 2001 }));
    app.advance(2_000);
    assert!(app.take_app_events().is_empty(), "still blocked");
    app.advance(1);
    assert_eq!(
        app.take_app_events(),
        [
            json!({"app": "rate_limit_lifted", "class": "Uploads"}),
            json!({"app": "chunk_needed", "upload": "l", "index": 0, "offset": 0, "len": 4}),
        ],
        "the refused chunk is asked for again"
    );
    assert_eq!(app.rt.uploads_in_progress(), 2);
}

#[derive(Debug, Clone)]
enum Step {
    Start(u8, u16),
    Give(u8),
    Answer(u8),
    Cancel(u8),
    Lose,
    Advance(u16),
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_upload_ends_at_most_once_and_only_asks_when_live(
        steps in proptest::collection::vec(prop_oneof![
            (0..5u8, 0..40u16).prop_map(|(u, n)| Step::Start(u, n)),
            (0..5u8).prop_map(Step::Give),
            (0..6u8).prop_map(Step::Answer),
            (0..5u8).prop_map(Step::Cancel),
            Just(Step::Lose),
            (0..5_000u16).prop_map(Step::Advance),
        ], 1..80)
    ) {
        let cfg = AppConfig { rate_limits: RateLimits::UNLIMITED, ..AppConfig::DEFAULT };
        let mut app = App::new(cfg);
        app.connect();
        let data = file(64);
        let mut live: std::collections::HashMap<String, bool> = Default::default();
        let mut needs: std::collections::HashMap<String, Value> = Default::default();
        for s in steps {
            match s {
                Step::Start(u, n) => {
                    let id = format!("u{u}");
                    if app.rt.start_upload(app.t(), &id, u64::from(n), 8).is_ok() {
                        let was = live.get(&id).copied().unwrap_or(false);
                        prop_assert!(!was, "started twice");
                        live.insert(id, true);
                    }
                }
                Step::Give(u) => {
                    if let Some(n) = needs.remove(&format!("u{u}")) {
                        let (i, o, l) = (n["index"].as_u64().unwrap() as u32, n["offset"].as_u64().unwrap() as usize, n["len"].as_u64().unwrap() as usize);
                        let _ = app.rt.upload_chunk(app.t(), &format!("u{u}"), i, &data[o..o + l]);
                    }
                }
                Step::Answer(a) => {
                    let last = app.sent.iter().rev().find(|f| f.starts_with("451-") || f.contains("uploadStatus")).cloned();
                    if let (Some(f), Some(t)) = (last, app.transport) {
                        let id = ack_id(&f);
                        let answer = match a {
                            0 => r#"{"ok":true,"received":0,"nextIndex":1}"#.to_string(),
                            1 => r#"{"ok":true,"nextIndex":3,"complete":true}"#.to_string(),
                            2 => r#"{"ok":false,"error":{"code":"bad_request"}}"#.to_string(),
                            3 => r#"{"ok":false,"error":{"code":"rate_limited","retryAfterMs":100}}"#.to_string(),
                            4 => r#"{"ok":true,"nextIndex":1,"total":null}"#.to_string(),
                            _ => r#"{"ok":true,"nextIndex":2,"total":2}"#.to_string(),
                        };
                        let _ = app.rt.handle_frame(app.t(), t, tidings::wire::Frame::Text(&format!("43{id}[{answer}]")));
                    }
                }
                Step::Cancel(u) => { let _ = app.rt.cancel_upload(app.t(), &format!("u{u}")); }
                Step::Lose => {
                    if app.rt.phase() != SyncPhase::Offline { app.lose_transport(); } else { app.reconnect(); }
                }
                Step::Advance(ms) => { app.now += u64::from(ms); app.rt.handle_timeout(app.t()); }
            }
            app.pump();
            for e in app.take_app_events() {
                let Some(id) = e["upload"].as_str().map(str::to_string) else { continue };
                prop_assert!(live.get(&id).copied().unwrap_or(false), "event for an upload not in progress: {e}");
                match e["app"].as_str().unwrap() {
                    "upload_finished" | "upload_failed" => { live.insert(id.clone(), false); needs.remove(&id); }
                    "chunk_needed" => {
                        prop_assert_ne!(app.rt.phase(), SyncPhase::Offline);
                        needs.insert(id, e.clone());
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(app.rt.uploads_in_progress(), live.values().filter(|l| **l).count());
        }
    }
}
