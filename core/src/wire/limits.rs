//! Decoding limits: how much a peer may make the decoder hold or walk.

use super::json::MAX_DEPTH_LIMIT;

/// The largest ack id accepted or written: 2^53 - 1 (`Number.MAX_SAFE_INTEGER`).
///
/// Socket.IO servers are JavaScript: an ack id above this cannot be represented exactly
/// there (the reference parser turns `9007199254740993` into `9007199254740992`), so an
/// ack could be answered under the wrong id. Every id a real server can hold exactly is
/// accepted; anything larger is [`DecodeErrorKind::AckIdTooLarge`](super::DecodeErrorKind::AckIdTooLarge).
pub const MAX_ACK_ID: u64 = (1 << 53) - 1;

/// The hard ceiling for [`Limits::max_attachments`]: the size of the fixed table of
/// attachment boundaries in [`SocketDecoder`](super::SocketDecoder).
pub const MAX_ATTACHMENTS_LIMIT: u8 = 32;

/// Limits applied while decoding. The defaults follow the reference server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most attachments one binary packet may announce. Default 10, as
    /// socket.io-parser's `maxAttachments`; clamped to [`MAX_ATTACHMENTS_LIMIT`].
    pub max_attachments: u8,
    /// The deepest JSON nesting accepted. Default 32 (real payloads nest 3-6 deep);
    /// clamped to [`MAX_DEPTH_LIMIT`].
    pub max_depth: u8,
    /// The longest frame accepted, in bytes. Default 1,000,000, the server's default
    /// `maxPayload`.
    pub max_frame_len: usize,
}

impl Limits {
    /// The defaults: 10 attachments, depth 32, 1,000,000-byte frames.
    pub const DEFAULT: Limits = Limits { max_attachments: 10, max_depth: 32, max_frame_len: 1_000_000 };

    pub(crate) fn attachments(&self) -> u8 {
        self.max_attachments.min(MAX_ATTACHMENTS_LIMIT)
    }

    pub(crate) fn depth(&self) -> u8 {
        self.max_depth.min(MAX_DEPTH_LIMIT)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
