//! The no-allocator proof.
//!
//! Built by `make nostd-check` as:
//! `cargo build --manifest-path checks/nostd/Cargo.toml --target thumbv7em-none-eabihf --release`
//!
//! This crate is `#![no_std]`, a `staticlib`, has its own `#[panic_handler]`, is built
//! with `panic = "abort"` (its release profile) and defines NO `#[global_allocator]`.
//! If anything in its dependency graph links the `alloc` crate, rustc refuses to build it
//! with "no global memory allocator found but one is required".
//!
//! DO NOT "fix" that error by adding an allocator here: the error is the test. It means a
//! change made the core (or one of its dependencies) need a heap, which tidings promises
//! it never does. Find the dependency or feature that pulled in `alloc` and remove it.
//! (A host build with `--no-default-features` proves nothing: std is always there.)
#![no_std]

use core::panic::PanicInfo;

use tidings::wire::{Decoded, EnginePacket, Frame, Handshake, Limits, Packet, SocketDecoder};

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {}
}

/// Exercises the codec end to end so that every part of it is linked: returns the
/// number of bytes encoded, or 0 on any error.
#[no_mangle]
pub extern "C" fn tidings_nostd_check(seed: u8) -> usize {
    let limits = Limits::default();
    let hs = r#"{"sid":"s","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    let Ok(h) = Handshake::parse(hs) else {
        return 0;
    };
    let mut decoder = SocketDecoder::new([0u8; 256], limits);
    let frames = [Frame::Text(r#"451-["up",{"_placeholder":true,"num":0}]"#), Frame::Binary(&[seed])];
    let mut total = h.ping_interval as usize;
    for frame in frames {
        let Ok(engine) = EnginePacket::decode(frame, &limits) else {
            return 0;
        };
        let decoded = match engine.data {
            tidings::wire::EngineData::Text(t) => decoder.decode_text(t),
            tidings::wire::EngineData::Binary(b) => decoder.decode_binary(b),
            tidings::wire::EngineData::Base64(_) => return 0,
        };
        if let Ok(Decoded::Binary(bin)) = decoded {
            total += bin.attachments.len();
        }
    }
    let mut out = [0u8; 64];
    let Ok(p) = Packet::decode(r#"2/chat,7["hi",1]"#, &limits) else {
        return 0;
    };
    match p.encode_frame(&mut out) {
        Ok(n) => total + n + drive_client(seed) + drive_app(seed),
        Err(_) => 0,
    }
}

/// The client state machine, driven through a connect, a received event and an emit.
fn drive_client(seed: u8) -> usize {
    use tidings::client::{Client, Config, TransportCommand};
    use tidings::Instant;
    let mut client: Client<1024, 1024> =
        Client::new(Config { request_auth: false, ..Config::DEFAULT }, u64::from(seed));
    let now = Instant::from_millis(0);
    client.connect(now);
    let Some(TransportCommand::Open { id, .. }) = client.poll_transport() else {
        return 0;
    };
    client.handle_transport_opened(now, id);
    let handshake = r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    let _ = client.handle_frame(now, id, Frame::Text(handshake));
    let _ = client.handle_frame(now, id, Frame::Text(r#"40{"sid":"n"}"#));
    let _ = client.handle_frame(now, id, Frame::Text(r#"42["hello",1]"#));
    let _ = client.emit(now, "/", "hi", &["2"]);
    let mut n = 0;
    while let Some(tx) = client.poll_transmit() {
        n += tx.bytes.len();
    }
    while client.poll_event().is_some() {
        n += 1;
    }
    n
}

/// The app layer (conversations, outbox, snapshot) over the client: no heap either.
fn drive_app(seed: u8) -> usize {
    use tidings::app::{AppConfig, Realtime};
    use tidings::Instant;
    let mut rt: Realtime<1024, 1024> = Realtime::new(AppConfig::DEFAULT, u64::from(seed));
    let now = Instant::from_millis(0);
    let _ = rt.join(now, "c1");
    let _ = rt.send_message(now, "c1", "\"hi\"");
    let mut snapshot = [0u8; 512];
    let n = rt.snapshot(now, &mut snapshot).unwrap_or(0);
    match Realtime::<1024, 1024>::restore(AppConfig::DEFAULT, 1, now, &snapshot[..n]) {
        Ok(restored) => n + restored.outbox_len(),
        Err(_) => 0,
    }
}
