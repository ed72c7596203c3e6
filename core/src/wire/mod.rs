//! The wire codec: Engine.IO v4 frames and Socket.IO v5 packets.
//!
//! Layering, bottom up:
//! - [`EnginePacket`]: one WebSocket frame (or polling record) ↔ one Engine.IO packet;
//!   [`PayloadDecoder`] / [`encode_payload`] for `\x1e`-separated polling payloads;
//!   [`Handshake`] for the data of the `open` packet.
//! - [`Packet`]: the Socket.IO packet carried by an Engine.IO message.
//! - [`SocketDecoder`]: packets plus bounded reassembly of binary attachments.
//!
//! Decoding borrows from the input; encoding writes into a caller buffer and reports the
//! size it needed when that is too small. Errors are small `Copy` enums with an offset.
//!
//! The receive path of a host that uses the codec directly (the [`Client`](crate::Client)
//! does all of this for you):
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

mod assembler;
mod engine;
mod error;
mod handshake;
pub(crate) mod json;
mod json_str;
mod limits;
mod socket;
pub(crate) mod writer;

pub use assembler::{Attachments, BinaryPacket, Decoded, SocketDecoder};
pub use engine::{
    encode_payload, Base64, EngineData, EngineKind, EnginePacket, Frame, FrameKind, PayloadDecoder, RECORD_SEPARATOR,
};
pub use error::{DecodeError, DecodeErrorKind, EncodeError};
pub use handshake::{Handshake, MAX_UPGRADES};
pub use json::{JsonKind, MAX_DEPTH_LIMIT};
pub use json_str::{JsonStr, Unescaped};
pub use limits::{Limits, MAX_ACK_ID, MAX_ATTACHMENTS_LIMIT};
pub use socket::{check_arg, Arg, Args, Event, EventName, OutgoingEvent, Packet, PacketKind, RESERVED_EVENT_NAMES};
