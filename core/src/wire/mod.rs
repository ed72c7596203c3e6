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
