//! Auth tokens never appear in Debug or Display output: not the client's, not a queued
//! frame's, not an event's.

use tidings::client::{Client, ClientEvent, Config, TransportCommand};
use tidings::wire::Frame;
use tidings::Instant;

const TOKEN: &str = "SECRET-TOKEN-4f1d2b";

/// True if `debug` shows the token as text or as a derived `[u8]` Debug would (numbers).
fn leaks(debug: &str) -> bool {
    let as_numbers = format!("{:?}", TOKEN.as_bytes());
    debug.contains(TOKEN) || debug.contains(&as_numbers[1..as_numbers.len() - 1])
}

#[test]
fn tokens_never_reach_debug_output() {
    let mut client: Box<Client<4096, 4096>> = Box::new(Client::new(Config::default(), 1));
    let now = Instant::from_millis(0);
    client.connect(now);
    let Some(TransportCommand::Open { id, .. }) = client.poll_transport() else { panic!("no open") };
    client.handle_transport_opened(now, id);
    let hs = r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    client.handle_frame(now, id, Frame::Text(hs)).unwrap();
    let mut seen = Vec::new();
    while let Some(ev) = client.poll_event() {
        seen.push(format!("{ev:?}"));
    }
    client.provide_auth(now, "/", Some(&format!(r#"{{"token":"{TOKEN}"}}"#))).unwrap();
    // Queued, not yet sent: the client's Debug must not show it.
    let debug = format!("{client:?} {client:#?}");
    assert!(!leaks(&debug), "{debug}");
    assert!(debug.contains("Client"));
    let tx = client.poll_transmit().expect("the CONNECT frame");
    // The frame itself carries the token (it must reach the server)...
    assert!(String::from_utf8_lossy(tx.bytes).contains(TOKEN));
    // ...but its Debug output does not.
    let tx_debug = format!("{tx:?}");
    assert!(!leaks(&tx_debug) && tx_debug.contains("len"), "{tx_debug}");
    // A refusal and the refresh request do not echo it either.
    client
        .handle_frame(now, id, Frame::Text(r#"44{"message":"invalid token","data":{"code":"auth_failed"}}"#))
        .unwrap();
    while let Some(ev) = client.poll_event() {
        assert!(matches!(ev, ClientEvent::AuthRequired { refresh: true, .. }));
        seen.push(format!("{ev:?}"));
    }
    assert!(seen.iter().all(|s| !leaks(s)), "{seen:?}");
    assert!(!leaks(&format!("{client:?}")));
}

#[test]
fn memory_is_fixed_at_compile_time() {
    // Everything the default client can hold, in one number (printed for the docs).
    let size = std::mem::size_of::<Client>();
    println!("size_of::<Client>() = {size} bytes");
    // Two 32 KiB queues for OUT, three 32 KiB areas for IN, plus small tables.
    assert!((5 * 32 * 1024..5 * 32 * 1024 + 16 * 1024).contains(&size), "{size}");
}
