//! End to end, the app layer's features against the real npm socket.io server, one test
//! per feature: presence, read receipts, reactions, call signalling, chunked uploads and
//! server rate limits. Each test starts its own server and is bounded by `WAIT`.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{app_host, flush, online, synced, App, Kind, Server, WAIT};
use tidings::app::{AppError, CallState, EndReason, PresenceState, RateClass, SignalKind};
use tidings_host::{Event, SendResult};

/// Waits on `h` for an event, panicking with its history if none comes.
fn expect(h: &mut App, what: &str, pred: impl FnMut(&Event) -> bool) -> Event {
    h.wait_for(WAIT, pred).unwrap_or_else(|| panic!("{what}: not seen in {:#?}", h.history()))
}

/// Alice sends a message in c1 and returns the server's message id.
fn stored_message(alice: &mut App, text: &str) -> String {
    let now = alice.now();
    let cmid = alice.realtime().send_message(now, "c1", &format!("{text:?}")).unwrap();
    flush(alice);
    let done =
        expect(alice, "sent", |e| matches!(e, Event::Sent { client_message_id, .. } if *client_message_id == *cmid));
    let Event::Sent { outcome: SendResult::Delivered(m), .. } = done else { panic!("not delivered: {done:?}") };
    m["id"].as_str().expect("message id").to_string()
}

fn reply(h: &mut App, ack: u64) -> Event {
    expect(h, "reply", |e| matches!(e, Event::Reply { ack: a, .. } if *a == ack))
}

fn call_event(h: &mut App, id: &str, want: CallState) -> Event {
    expect(h, "call state", |e| matches!(e, Event::Call { call_id, state, .. } if call_id == id && *state == want))
}

#[test]
fn presence_follows_connect_and_disconnect() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 31), app_host(&server, "bob", 32));
    online(&mut bob, &[]);
    assert_eq!(bob.realtime().presence("alice"), PresenceState::Unknown);

    online(&mut alice, &[]);
    // Alice gets the list of online contacts right after her connect.
    let e = expect(&mut alice, "bob in the list", |e| matches!(e, Event::Presence { user_id, .. } if user_id == "bob"));
    assert_eq!(e, Event::Presence { user_id: "bob".into(), online: true });
    assert!(alice.realtime().is_online("bob"));
    // Bob is told alice came online.
    let e = expect(&mut bob, "alice online", |e| matches!(e, Event::Presence { user_id, .. } if user_id == "alice"));
    assert_eq!(e, Event::Presence { user_id: "alice".into(), online: true });
    assert_eq!(bob.realtime().presence("alice"), PresenceState::Online);
    assert!(bob.realtime().is_online("alice"));

    alice.disconnect();
    let e = expect(&mut bob, "alice offline", |e| matches!(e, Event::Presence { user_id, .. } if user_id == "alice"));
    assert_eq!(e, Event::Presence { user_id: "alice".into(), online: false });
    assert_eq!(bob.realtime().presence("alice"), PresenceState::Offline);
    assert!(!bob.realtime().is_online("alice"));
    // A change is reported once: one online and one offline event for alice, no repeat.
    bob.run_for(Duration::from_millis(200));
    let n = bob.history().iter().filter(|e| matches!(e, Event::Presence { user_id, .. } if user_id == "alice")).count();
    assert_eq!(n, 2, "{:#?}", bob.history());
    // Alice's own table is cleared by her disconnect: unknown, not offline.
    assert_eq!(alice.realtime().presence("bob"), PresenceState::Unknown);

    // She comes back: both tables are rebuilt.
    alice.connect();
    synced(&mut alice);
    let e = expect(&mut alice, "bob again", |e| matches!(e, Event::Presence { user_id, .. } if user_id == "bob"));
    assert_eq!(e, Event::Presence { user_id: "bob".into(), online: true });
    let e = expect(&mut bob, "alice again", |e| matches!(e, Event::Presence { user_id, .. } if user_id == "alice"));
    assert_eq!(e, Event::Presence { user_id: "alice".into(), online: true });
    assert!(bob.realtime().is_online("alice") && alice.realtime().is_online("bob"));
}

#[test]
fn read_receipts_reach_the_other_member_and_the_server() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 33), app_host(&server, "bob", 34));
    online(&mut alice, &["c1"]);
    online(&mut bob, &["c1"]);
    let m1 = stored_message(&mut alice, "first");
    let m2 = stored_message(&mut alice, "second");

    let now = alice.now();
    let ack = alice.realtime().mark_conversation_read(now, "c1", &m2).unwrap();
    assert_eq!(alice.realtime().read_position("c1"), Some(m2.as_str()));
    flush(&mut alice);
    let r = reply(&mut alice, ack.0);
    assert!(matches!(&r, Event::Reply { outcome: Ok(a), .. } if a["ok"] == json!(true)), "{r:?}");
    assert!(!alice.realtime().read_position_pending("c1"));

    let e = expect(&mut bob, "receipt", |e| matches!(e, Event::ReadReceipt { .. }));
    assert_eq!(e, Event::ReadReceipt { conversation_id: "c1".into(), user_id: "alice".into(), message_id: m2.clone() });
    let state = server.state();
    assert_eq!(state["readPositions"]["alice"]["c1"], json!(m2));
    assert_eq!(state["readPositions"]["bob"], json!({}));

    // A refusal settles it: a message id the conversation does not have.
    let now = alice.now();
    let ack = alice.realtime().mark_conversation_read(now, "c1", "no-such-message").unwrap();
    flush(&mut alice);
    let r = reply(&mut alice, ack.0);
    assert!(matches!(&r, Event::Reply { outcome: Err(code), .. } if code == "not_found"), "{r:?}");
    assert!(!alice.realtime().read_position_pending("c1"));
    assert_eq!(server.state()["readPositions"]["alice"]["c1"], json!(m2));
    // Not joined: refused up front, nothing sent.
    let now = alice.now();
    assert_eq!(alice.realtime().mark_conversation_read(now, "c2", &m1), Err(AppError::NotJoined));
}

#[test]
fn reactions_added_then_removed() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 35), app_host(&server, "bob", 36));
    online(&mut alice, &["c1"]);
    online(&mut bob, &["c1"]);
    let m = stored_message(&mut alice, "react to me");

    let now = bob.now();
    let ack = bob.realtime().add_reaction(now, "c1", &m, "🎉").unwrap();
    flush(&mut bob);
    let r = reply(&mut bob, ack.0);
    assert!(matches!(&r, Event::Reply { outcome: Ok(_), .. }), "{r:?}");
    let e = expect(&mut alice, "reaction added", |e| matches!(e, Event::Reaction { .. }));
    let added = Event::Reaction {
        conversation_id: "c1".into(),
        message_id: m.clone(),
        user_id: "bob".into(),
        emoji: "🎉".into(),
        added: true,
    };
    assert_eq!(e, added);
    assert_eq!(server.state()["reactions"][&m], json!({"🎉": ["bob"]}));

    let now = bob.now();
    let ack = bob.realtime().remove_reaction(now, "c1", &m, "🎉").unwrap();
    flush(&mut bob);
    let r = reply(&mut bob, ack.0);
    assert!(matches!(&r, Event::Reply { outcome: Ok(_), .. }), "{r:?}");
    let e = expect(&mut alice, "reaction removed", |e| matches!(e, Event::Reaction { .. }));
    let removed = Event::Reaction {
        conversation_id: "c1".into(),
        message_id: m.clone(),
        user_id: "bob".into(),
        emoji: "🎉".into(),
        added: false,
    };
    assert_eq!(e, removed);
    assert!(server.state()["reactions"].get(&m).is_none());
    // Bob's own socket gets no echo.
    assert!(!bob.history().iter().any(|e| matches!(e, Event::Reaction { .. })));
}

#[test]
fn call_offer_answer_ice_end_and_an_offline_callee() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 37), app_host(&server, "bob", 38));
    online(&mut alice, &[]);
    online(&mut bob, &[]);

    let now = alice.now();
    alice.realtime().start_call(now, "bob", "k1", r#"{"sdp":"offer-sdp"}"#).unwrap();
    assert_eq!(alice.realtime().call_state("k1"), CallState::RingingOutgoing);
    flush(&mut alice);
    call_event(&mut alice, "k1", CallState::RingingOutgoing);
    let e = call_event(&mut bob, "k1", CallState::RingingIncoming);
    assert_eq!(
        e,
        Event::Call {
            call_id: "k1".into(),
            peer: "alice".into(),
            state: CallState::RingingIncoming,
            signal: Some((SignalKind::Offer, json!({"sdp": "offer-sdp"}))),
        }
    );
    // The callee may not send ICE before answering.
    let now = bob.now();
    assert!(matches!(bob.realtime().send_ice(now, "k1", r#"{"c":1}"#), Err(AppError::Call(_))));

    let now = bob.now();
    bob.realtime().answer_call(now, "k1", r#"{"sdp":"answer-sdp"}"#).unwrap();
    flush(&mut bob);
    let e = call_event(&mut bob, "k1", CallState::Active);
    assert!(matches!(&e, Event::Call { signal: None, .. }), "{e:?}");
    let e = call_event(&mut alice, "k1", CallState::Active);
    assert_eq!(
        e,
        Event::Call {
            call_id: "k1".into(),
            peer: "bob".into(),
            state: CallState::Active,
            signal: Some((SignalKind::Answer, json!({"sdp": "answer-sdp"}))),
        }
    );
    // A second answer is not valid.
    let now = bob.now();
    assert!(matches!(bob.realtime().answer_call(now, "k1", "{}"), Err(AppError::Call(_))));

    // ICE both ways.
    let now = alice.now();
    alice.realtime().send_ice(now, "k1", r#"{"candidate":"a1"}"#).unwrap();
    flush(&mut alice);
    let e = expect(&mut bob, "ice from alice", |e| matches!(e, Event::Call { signal: Some((SignalKind::Ice, _)), .. }));
    assert!(matches!(&e, Event::Call { state: CallState::Active, signal: Some((_, p)), .. } if p["candidate"] == "a1"));
    let now = bob.now();
    bob.realtime().send_ice(now, "k1", r#"{"candidate":"b1"}"#).unwrap();
    flush(&mut bob);
    let e = expect(&mut alice, "ice from bob", |e| matches!(e, Event::Call { signal: Some((SignalKind::Ice, _)), .. }));
    assert!(matches!(&e, Event::Call { state: CallState::Active, signal: Some((_, p)), .. } if p["candidate"] == "b1"));

    // Alice hangs up.
    let now = alice.now();
    alice.realtime().end_call(now, "k1").unwrap();
    flush(&mut alice);
    call_event(&mut alice, "k1", CallState::Ended(EndReason::Hangup));
    let e = call_event(&mut bob, "k1", CallState::Ended(EndReason::Remote));
    assert!(matches!(&e, Event::Call { signal: Some((SignalKind::End, p)), .. } if p["reason"] == "hangup"), "{e:?}");
    assert_eq!(alice.realtime().call_state("k1"), CallState::Idle);
    assert_eq!(bob.realtime().call_state("k1"), CallState::Idle);

    // Carol (a contact through c2) is not connected: the offer is refused `offline`.
    let now = alice.now();
    alice.realtime().start_call(now, "carol", "k2", r#"{"sdp":"x"}"#).unwrap();
    flush(&mut alice);
    let e = call_event(&mut alice, "k2", CallState::Ended(EndReason::Offline));
    assert!(matches!(&e, Event::Call { peer, .. } if peer == "carol"));
    assert_eq!(alice.realtime().call_state("k2"), CallState::Idle);

    // Every call ended exactly once on each side.
    alice.run_for(Duration::from_millis(200));
    bob.run_for(Duration::from_millis(200));
    for (h, id, n) in [(&alice, "k1", 1), (&bob, "k1", 1), (&alice, "k2", 1), (&bob, "k2", 0)] {
        let ended = h
            .history()
            .iter()
            .filter(|e| matches!(e, Event::Call { call_id, state: CallState::Ended(_), .. } if call_id == id))
            .count();
        assert_eq!(ended, n, "{id}: {:#?}", h.history());
    }
}

#[test]
fn a_300_kb_upload_in_chunks() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let mut alice = app_host(&server, "alice", 39);
    online(&mut alice, &[]);

    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let data: Vec<u8> = (0..300 * 1024)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect();
    let total = data.len() as u64;
    let now = alice.now();
    let chunk = alice.realtime().start_upload(now, "u1", total, 64 * 1024).unwrap();
    assert!(chunk > 0 && chunk <= 64 * 1024, "{chunk}");
    let chunks = total.div_ceil(u64::from(chunk));
    assert!(chunks > 1);

    let deadline = Instant::now() + Duration::from_secs(30);
    let (mut asked, mut last_progress, mut progress_events) = (0u64, 0u64, 0u64);
    loop {
        assert!(Instant::now() < deadline, "upload did not finish: {:#?}", alice.history().len());
        let e = alice.wait_for(WAIT, |e| {
            matches!(
                e,
                Event::UploadChunkNeeded { .. }
                    | Event::UploadProgress { .. }
                    | Event::UploadFinished { .. }
                    | Event::UploadFailed { .. }
            )
        });
        match e.expect("an upload event") {
            Event::UploadChunkNeeded { upload_id, index, offset, len } => {
                assert_eq!(upload_id, "u1");
                assert_eq!(u64::from(index), asked, "chunks asked in order");
                assert_eq!(offset, u64::from(index) * u64::from(chunk));
                assert!(len == chunk || offset + u64::from(len) == total, "{index}: {len}");
                asked += 1;
                let bytes = &data[offset as usize..(offset + u64::from(len)) as usize];
                let now = alice.now();
                alice.realtime().upload_chunk(now, "u1", index, bytes).unwrap();
                flush(&mut alice);
            }
            Event::UploadProgress { upload_id, acked_bytes, total_bytes } => {
                assert_eq!((upload_id.as_str(), total_bytes), ("u1", total));
                assert!(acked_bytes > last_progress && acked_bytes < total, "{acked_bytes} after {last_progress}");
                assert_eq!(acked_bytes, asked * u64::from(chunk), "progress is what the server acked");
                last_progress = acked_bytes;
                progress_events += 1;
            }
            Event::UploadFinished { upload_id, total_bytes } => {
                assert_eq!((upload_id.as_str(), total_bytes), ("u1", total));
                break;
            }
            other => panic!("upload failed: {other:?}"),
        }
    }
    assert_eq!(asked, chunks);
    assert_eq!(progress_events, chunks - 1, "one progress per acked chunk before the last");
    assert_eq!(last_progress, (chunks - 1) * u64::from(chunk));
    assert_eq!(alice.realtime().uploads_in_progress(), 0);

    let state = server.state();
    let u = &state["uploads"]["u1"];
    assert_eq!(u["userId"], json!("alice"));
    assert_eq!(u["bytes"], json!(total));
    assert_eq!(u["sha256"], json!(sha256_hex(&data)));
    // Ended exactly once.
    alice.run_for(Duration::from_millis(200));
    let ends = alice
        .history()
        .iter()
        .filter(|e| matches!(e, Event::UploadFinished { .. } | Event::UploadFailed { .. }))
        .count();
    assert_eq!(ends, 1);
}

#[test]
fn a_server_rate_limit_holds_the_message_until_the_window_ends() {
    let server = Server::start(Kind::Node, (25_000, 20_000));
    let (mut alice, mut bob) = (app_host(&server, "alice", 40), app_host(&server, "bob", 41));
    online(&mut alice, &["c1"]);
    online(&mut bob, &["c1"]);
    let window_ms = 2_000;
    let set = server.control(
        "POST",
        "/control/rate-limit",
        json!({"event": "sendMessage", "limit": 2, "windowMs": window_ms}),
    );
    assert_eq!(set["rateLimits"]["sendMessage"], json!({"limit": 2, "windowMs": window_ms}), "{set}");

    let start = Instant::now();
    let mut ids = Vec::new();
    for i in 0..3 {
        let now = alice.now();
        ids.push(alice.realtime().send_message(now, "c1", &format!("\"m{i}\"")).unwrap().to_string());
        flush(&mut alice);
    }
    // The third is refused by the server: the class is blocked and the client says so.
    let e = expect(&mut alice, "rate limited", |e| matches!(e, Event::RateLimited { .. }));
    let Event::RateLimited { class, retry_after_ms } = e else { unreachable!() };
    assert_eq!(class, RateClass::Messages);
    assert!(retry_after_ms > 0 && retry_after_ms <= window_ms, "{retry_after_ms}");
    // While blocked, sends are refused up front and the refused message waits in the outbox.
    let now = alice.now();
    assert!(matches!(alice.realtime().send_message(now, "c1", "\"m3\""), Err(AppError::RateLimited { .. })));
    assert_eq!(alice.realtime().outbox_len(), 1, "{:#?}", alice.history());
    assert!(!alice
        .history()
        .iter()
        .any(|e| matches!(e, Event::Sent { client_message_id, .. } if *client_message_id == ids[2])));

    // The block ends: lifted, then the message goes out again with the same id.
    expect(&mut alice, "lifted", |e| matches!(e, Event::RateLimitLifted { class: RateClass::Messages }));
    let done = expect(
        &mut alice,
        "third sent",
        |e| matches!(e, Event::Sent { client_message_id, .. } if *client_message_id == ids[2]),
    );
    assert!(matches!(&done, Event::Sent { outcome: SendResult::Delivered(m), .. } if m["clientMessageId"] == *ids[2]));
    assert!(start.elapsed() >= Duration::from_millis(retry_after_ms.saturating_sub(100)));
    assert_eq!(alice.realtime().outbox_len(), 0);
    // Each send ended exactly once, all delivered; the limit event came once.
    alice.run_for(Duration::from_millis(200));
    for id in &ids {
        let outcomes: Vec<_> = alice
            .history()
            .iter()
            .filter_map(|e| match e {
                Event::Sent { client_message_id, outcome } if client_message_id == id => Some(outcome.clone()),
                _ => None,
            })
            .collect();
        assert!(matches!(outcomes.as_slice(), [SendResult::Delivered(_)]), "{id}: {outcomes:?}");
    }
    // The limit event came once: the block lasts the server's time plus 1 ms, so the
    // resend cannot reach the server inside its window.
    assert_eq!(
        alice.history().iter().filter(|e| matches!(e, Event::RateLimited { .. })).count(),
        1,
        "{:#?}",
        alice.history()
    );
    // Bob got the three, in order; the server stored each once.
    let mut got = Vec::new();
    while got.len() < 3 {
        let Some(Event::NewMessage { content, .. }) = bob.wait_for(WAIT, |e| matches!(e, Event::NewMessage { .. }))
        else {
            panic!("bob got {got:?}: {:#?}", bob.history())
        };
        got.push(content);
    }
    assert_eq!(got, vec![json!("m0"), json!("m1"), json!("m2")]);
    let state = server.control("GET", "/control/state?conversationId=c1", Value::Null);
    let stored: Vec<&str> =
        state["messages"].as_array().unwrap().iter().filter_map(|m| m["clientMessageId"].as_str()).collect();
    for id in &ids {
        assert_eq!(stored.iter().filter(|s| **s == id.as_str()).count(), 1, "{stored:?}");
    }

    // Read positions wait for the end of a block too, and are then sent again.
    server.control("POST", "/control/rate-limit", json!({"event": "sendMessage", "limit": 0}));
    let (r1, r2) = (stored_message(&mut alice, "r1"), stored_message(&mut alice, "r2"));
    server.control(
        "POST",
        "/control/rate-limit",
        json!({"event": "markConversationRead", "limit": 1, "windowMs": 1500}),
    );
    let now = alice.now();
    let ack = alice.realtime().mark_conversation_read(now, "c1", &r1).unwrap();
    flush(&mut alice);
    assert!(matches!(reply(&mut alice, ack.0), Event::Reply { outcome: Ok(_), .. }));
    let now = alice.now();
    let ack = alice.realtime().mark_conversation_read(now, "c1", &r2).unwrap();
    flush(&mut alice);
    let r = reply(&mut alice, ack.0);
    assert!(
        matches!(&r, Event::Reply { outcome: Err(c), retry_after_ms: Some(_), .. } if c == "rate_limited"),
        "{r:?}"
    );
    expect(&mut alice, "receipts blocked", |e| matches!(e, Event::RateLimited { class: RateClass::Receipts, .. }));
    assert!(alice.realtime().read_position_pending("c1"));
    assert_eq!(server.state()["readPositions"]["alice"]["c1"], json!(r1));
    expect(&mut alice, "receipts lifted", |e| matches!(e, Event::RateLimitLifted { class: RateClass::Receipts }));
    let e = expect(&mut bob, "receipt r2", |e| matches!(e, Event::ReadReceipt { message_id, .. } if *message_id == r2));
    assert!(matches!(e, Event::ReadReceipt { user_id, .. } if user_id == "alice"));
    alice.run_for(Duration::from_millis(200));
    assert!(!alice.realtime().read_position_pending("c1"));
    assert_eq!(server.state()["readPositions"]["alice"]["c1"], json!(r2));
}

/// SHA-256 (FIPS 180-4), hex.
fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] =
        [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn sha256_known_answers() {
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
