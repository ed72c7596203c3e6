//! The codec's error types: small, `Copy`, and precise about what was wrong and where.

use core::fmt;

/// Why a frame was rejected, and at which byte offset of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset in the frame (or in the Socket.IO packet text) where it was found.
    pub offset: usize,
}

impl DecodeError {
    pub(crate) const fn at(kind: DecodeErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

/// What was wrong with a frame. [`DecodeErrorKind::code`] gives a stable name that the
/// language bindings and the shared test vectors use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// An empty Engine.IO frame or polling record.
    EmptyFrame,
    /// The Engine.IO packet type is not `0`-`6` (or `b` for base64 binary).
    UnknownEnginePacketType,
    /// A `b`-prefixed frame whose body is not valid standard base64.
    InvalidBase64,
    /// The frame is longer than the configured `max_frame_len`.
    FrameTooLarge,
    /// The Socket.IO packet type is not `0`-`6`.
    UnknownPacketType,
    /// A binary packet whose attachment count is missing, zero, not a number or not
    /// followed by `-`; or an attachment count on a non-binary packet.
    InvalidAttachmentCount,
    /// More attachments than the configured maximum.
    TooManyAttachments,
    /// A namespace that contains a character that cannot be part of one.
    InvalidNamespace,
    /// The ack id is not made of ASCII digits.
    InvalidAckId,
    /// The ack id is above [`crate::wire::MAX_ACK_ID`].
    AckIdTooLarge,
    /// An ACK / BINARY_ACK without an ack id.
    MissingAckId,
    /// The payload is not valid JSON.
    InvalidJson,
    /// The payload nests deeper than the configured `max_depth`.
    NestingTooDeep,
    /// A packet type that needs a payload has none (EVENT, ACK, CONNECT_ERROR, binary).
    MissingPayload,
    /// A DISCONNECT that carries a payload.
    UnexpectedPayload,
    /// The payload has the wrong JSON type for the packet type.
    InvalidPayloadShape,
    /// An event whose first element is neither a string nor a number.
    InvalidEventName,
    /// An event named `connect`, `connect_error`, `disconnect`, `disconnecting`,
    /// `newListener` or `removeListener`.
    ReservedEventName,
    /// A binary placeholder whose `num` is not an index below the attachment count.
    InvalidPlaceholder,
    /// A binary frame arrived while no binary packet was waiting for attachments.
    UnexpectedBinary,
    /// A text frame arrived while a binary packet was still waiting for attachments.
    UnexpectedText,
    /// A binary packet and its attachments do not fit the reassembly buffer.
    ReassemblyBufferFull,
    /// The Engine.IO open handshake is not the JSON object a v4 server sends.
    InvalidHandshake,
}

impl DecodeErrorKind {
    /// A stable snake_case name, shared with the bindings and the test vectors.
    pub const fn code(self) -> &'static str {
        use DecodeErrorKind::*;
        match self {
            EmptyFrame => "empty_frame",
            UnknownEnginePacketType => "unknown_engine_packet_type",
            InvalidBase64 => "invalid_base64",
            FrameTooLarge => "frame_too_large",
            UnknownPacketType => "unknown_packet_type",
            InvalidAttachmentCount => "invalid_attachment_count",
            TooManyAttachments => "too_many_attachments",
            InvalidNamespace => "invalid_namespace",
            InvalidAckId => "invalid_ack_id",
            AckIdTooLarge => "ack_id_too_large",
            MissingAckId => "missing_ack_id",
            InvalidJson => "invalid_json",
            NestingTooDeep => "nesting_too_deep",
            MissingPayload => "missing_payload",
            UnexpectedPayload => "unexpected_payload",
            InvalidPayloadShape => "invalid_payload_shape",
            InvalidEventName => "invalid_event_name",
            ReservedEventName => "reserved_event_name",
            InvalidPlaceholder => "invalid_placeholder",
            UnexpectedBinary => "unexpected_binary",
            UnexpectedText => "unexpected_text",
            ReassemblyBufferFull => "reassembly_buffer_full",
            InvalidHandshake => "invalid_handshake",
        }
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl core::error::Error for DecodeError {}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small; `needed` bytes would have been enough.
    BufferTooSmall {
        /// The exact encoded length.
        needed: usize,
    },
    /// The packet itself is invalid: it would not decode (the same rules as decoding).
    Invalid(DecodeErrorKind),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferTooSmall { needed } => {
                write!(f, "buffer too small: {needed} bytes needed")
            }
            EncodeError::Invalid(kind) => write!(f, "invalid packet: {kind}"),
        }
    }
}

impl core::error::Error for EncodeError {}
