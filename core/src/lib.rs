//! # tidings
//!
//! A sans-IO Socket.IO v5 / Engine.IO v4 client core: `#![no_std]`, no allocator, no
//! clock, no sockets, no threads, no randomness. The host owns all I/O and tells the
//! [`Client`] what happened; the client answers with what to do. Memory is
//! `size_of::<Client<OUT, IN>>()`, fixed at compile time.
//!
//! ## The host's run loop
//!
//! Every host (the Rust driver, the Swift/Kotlin/Node/Python bindings) runs this loop:
//!
//! 1. Drain the outputs: [`Client::poll_transport`] (open or close the WebSocket),
//!    [`Client::poll_transmit`] (send these frames), [`Client::poll_event`] (tell the
//!    app), and act on them. Commands the app gives while handling events (answer
//!    `AuthRequired` with [`Client::provide_auth`], [`Client::emit`], …) go in as inputs.
//! 2. Wait for whichever comes first: a WebSocket event, an app command, or the deadline
//!    [`Client::poll_timeout`].
//! 3. Feed it in with the current monotonic time: [`Client::handle_transport_opened`],
//!    [`Client::handle_frame`], [`Client::handle_transport_closed`],
//!    [`Client::handle_timeout`], [`Client::set_network`], [`Client::set_foreground`].
//! 4. Go to 1.
//!
//! The app layer ([`Realtime`]) takes the same inputs and gives the same outputs; the
//! [`Machine`] trait names them, so one run loop can drive either.
//!
//! A complete run, with the WebSocket and the server scripted (the frames are what a real
//! socket.io 4.8 server sends):
//!
//! ```
//! use std::collections::VecDeque;
//! use tidings::client::{Client, ClientEvent, Config, TransportCommand};
//! use tidings::wire::{Frame, FrameKind};
//! use tidings::Instant;
//!
//! // The server's side of the exchange, as (delay in ms, frame) after the socket opens.
//! let mut server: VecDeque<(u64, &str)> = VecDeque::from([
//!     (5, r#"0{"sid":"xhD78d8isB5GcoE_AAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#),
//!     (10, r#"40{"sid":"gHnm8o3zY4x3om7QAAAA"}"#),
//!     (12, r#"42["newMessage",{"id":"m1","conversationId":"c1","content":"hi"}]"#),
//!     (20, r#"430[{"ok":true}]"#),
//!     (25_000, "2"),
//! ]);
//! let mut client: Box<Client> = Box::new(Client::new(Config::default(), 0x5eed));
//! let mut now = Instant::from_millis(0);
//! let mut socket = None; // the host's WebSocket (here: just its id)
//! let mut wire: Vec<String> = Vec::new(); // what the host sent
//! let mut log: Vec<String> = Vec::new(); // what the app saw
//!
//! client.connect(now);
//! loop {
//!     // 1. Drain the outputs.
//!     while let Some(cmd) = client.poll_transport() {
//!         match cmd {
//!             TransportCommand::Open { id, path, query } => {
//!                 assert_eq!(format!("{path}?{query}"), "/socket.io/?EIO=4&transport=websocket");
//!                 socket = Some(id); // ws = WebSocket::connect(base_url + path + "?" + query)
//!                 client.handle_transport_opened(now, id);
//!             }
//!             TransportCommand::Close { .. } => socket = None,
//!         }
//!     }
//!     while let Some(tx) = client.poll_transmit() {
//!         assert_eq!(tx.kind, FrameKind::Text); // binary attachments come as FrameKind::Binary
//!         wire.push(String::from_utf8(tx.bytes.to_vec()).unwrap()); // ws.send(tx.bytes)
//!     }
//!     let mut needs_auth = Vec::new();
//!     while let Some(event) = client.poll_event() {
//!         match event {
//!             ClientEvent::AuthRequired { namespace, .. } => needs_auth.push(namespace.to_string()),
//!             ClientEvent::Event(ev) => log.push(format!("{} {}", ev.name(), ev.args_raw)),
//!             ClientEvent::Ack { outcome, .. } => log.push(format!("ack {outcome:?}")),
//!             other => log.push(format!("{other:?}")),
//!         }
//!     }
//!     // App commands: the token comes from the app's session store.
//!     for ns in needs_auth {
//!         client.provide_auth(now, &ns, Some(r#"{"token":"<JWT>"}"#)).unwrap();
//!     }
//!     if log.iter().any(|l| l.starts_with("newMessage")) && client.pending_acks() == 0 && wire.len() == 1 {
//!         client.emit_with_ack(now, "/", "sendMessage", &[r#"{"conversationId":"c1","content":"hello"}"#], None).unwrap();
//!         continue;
//!     }
//!     // 2 + 3. Wait for the next frame or the deadline, whichever is first, and feed it in.
//!     let deadline = client.poll_timeout();
//!     let Some(&(delay, frame)) = server.front() else { break };
//!     let frame_at = Instant::from_millis(now.as_millis() + delay);
//!     if deadline.is_some_and(|d| d < frame_at) {
//!         now = deadline.unwrap();
//!         client.handle_timeout(now);
//!     } else {
//!         server.pop_front();
//!         now = frame_at;
//!         client.handle_frame(now, socket.unwrap(), Frame::Text(frame)).unwrap();
//!     }
//! }
//! assert_eq!(wire, [
//!     r#"40{"token":"<JWT>"}"#,
//!     r#"420["sendMessage",{"conversationId":"c1","content":"hello"}]"#,
//!     "3", // the pong
//! ]);
//! assert_eq!(log, [
//!     r#"Connected { namespace: "/", recovered: false }"#,
//!     r#"newMessage {"id":"m1","conversationId":"c1","content":"hi"}"#,
//!     r#"ack Ok { args_raw: "{\"ok\":true}", attachments: AttachmentList(0) }"#,
//! ]);
//! ```
//!
//! A real host does the same with a WebSocket library and its timers; `docs/client.md`
//! describes every behaviour and default.
//!
//! ## Layers
//! - [`wire`]: the codec. Engine.IO frames, Socket.IO packets, binary reassembly;
//!   zero-copy decoding, encoding into caller buffers, typed errors.
//! - [`client`]: the connection: handshake, heartbeat, namespaces, acks, send buffer,
//!   reconnection with backoff, auth refresh, connection state recovery.
//! - [`time`]: the host's monotonic milliseconds.
//!
//! ## Guarantees
//! - No input makes the core panic (property tests and a fuzz target check it).
//! - Memory is bounded by the const parameters of [`Client`], the limits in
//!   [`wire::Limits`] and the storage given to [`wire::SocketDecoder`].
//! - Deterministic: the same seed and inputs give the same outputs.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod app;
pub mod client;
pub mod machine;
mod queue;
mod rng;
pub mod time;
pub mod wire;

pub use app::{AppConfig, AppEvent, Realtime};
pub use client::{Client, ClientEvent, Config, TransportCommand};
pub use machine::Machine;
pub use time::Instant;
