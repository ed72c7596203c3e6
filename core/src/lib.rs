//! # tidings
//!
//! A sans-IO Socket.IO v5 / Engine.IO v4 client core: `#![no_std]`, no allocator, no
//! clock, no sockets, no threads, no randomness. The host owns all I/O and feeds the core
//! what happened; the core answers with what to do.
//!
//! ## The host's run loop
//!
//! Today the crate provides the wire codec (the client state machine builds on it). A
//! host's receive path over a WebSocket looks like this:
//!
//! ```
//! use tidings::wire::{Decoded, EngineData, EngineKind, EnginePacket, Frame, Handshake, Limits, Packet, PacketKind, SocketDecoder};
//!
//! let limits = Limits::default();
//! // Storage for binary reassembly: a fixed array, no allocator needed.
//! let mut decoder = SocketDecoder::new([0u8; 4096], limits);
//! let mut out = [0u8; 512];
//!
//! // Frames as a real socket.io 4.x server sends them.
//! let incoming = [
//!     Frame::Text(r#"0{"sid":"xhD78d8isB5GcoE_AAAA","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#),
//!     Frame::Text(r#"40{"sid":"gHnm8o3zY4x3om7QAAAA"}"#),
//!     Frame::Text("2"),
//!     Frame::Text(r#"42["newMessage",{"id":"m1","content":"hi"}]"#),
//!     Frame::Text(r#"451-["upload",{"_placeholder":true,"num":0}]"#),
//!     Frame::Binary(&[0xde, 0xad]),
//! ];
//! for frame in incoming {
//!     let engine = EnginePacket::decode(frame, &limits).expect("valid frame");
//!     match (engine.kind, engine.data) {
//!         (EngineKind::Open, EngineData::Text(json)) => {
//!             let hs = Handshake::parse(json).unwrap();
//!             assert_eq!(hs.heartbeat_timeout_ms(), 45_000);
//!             // Join the main namespace with a token: `40{"token":"..."}`.
//!             let connect = Packet { kind: PacketKind::Connect, namespace: "/", ack_id: None, attachments: 0, payload: Some(r#"{"token":"jwt"}"#) };
//!             let n = connect.encode_frame(&mut out).unwrap();
//!             assert_eq!(&out[..n], br#"40{"token":"jwt"}"#);
//!         }
//!         (EngineKind::Ping, _) => {
//!             // Answer every ping with a pong; never send a ping (v4).
//!             let (_, n) = EnginePacket::bare(EngineKind::Pong).encode(&mut out).unwrap();
//!             assert_eq!(&out[..n], b"3");
//!         }
//!         (EngineKind::Message, EngineData::Text(text)) => match decoder.decode_text(text).unwrap() {
//!             Decoded::Packet(p) => {
//!                 if let Some(ev) = p.event() {
//!                     assert!(ev.name.eq_str("newMessage"));
//!                     assert_eq!(ev.args.count(), 1);
//!                 }
//!             }
//!             Decoded::NeedAttachments { expected, .. } => assert_eq!(expected, 1),
//!             Decoded::Binary(_) => unreachable!(),
//!         },
//!         (EngineKind::Message, EngineData::Binary(bytes)) => {
//!             let Decoded::Binary(bin) = decoder.decode_binary(bytes).unwrap() else { panic!() };
//!             assert_eq!(bin.attachments.get(0), Some(&[0xde, 0xad][..]));
//!         }
//!         _ => {}
//!     }
//! }
//! ```
//!
//! ## Layers
//! - [`wire`]: the codec (Engine.IO frames, Socket.IO packets, binary reassembly).
//!
//! ## Guarantees
//! - No input makes the codec panic (property tests and a fuzz target check it).
//! - Memory is bounded by what the caller hands in: limits in [`wire::Limits`] and the
//!   storage given to [`wire::SocketDecoder`].
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod queue;
mod rng;
pub mod time;
pub mod wire;

pub use client::{Client, ClientEvent, Config, TransportCommand};
pub use time::Instant;
