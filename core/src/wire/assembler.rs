//! Bounded reassembly of BINARY_EVENT / BINARY_ACK packets from the frames that follow.
//!
//! A binary packet arrives as a text header (`51-["upload",{"_placeholder":true,"num":0}]`)
//! and then one binary frame per attachment. The frames are the host's and short-lived,
//! so the header and the attachments are copied into storage the caller provides
//! (an array, a slice, or a `Vec` on hosts that have one), in the way smoltcp takes its
//! socket buffers. Its size is the only bound on how much a peer can make us hold.

use super::error::{DecodeError, DecodeErrorKind};
use super::limits::{Limits, MAX_ATTACHMENTS_LIMIT};
use super::socket::Packet;

/// Socket.IO decoding with binary reassembly, over caller-provided storage.
#[derive(Debug, Clone)]
pub struct SocketDecoder<S> {
    limits: Limits,
    storage: S,
    state: Assembly,
    /// End offset (in storage) of each attachment received so far.
    ends: [usize; MAX_ATTACHMENTS_LIMIT as usize],
}

#[derive(Debug, Clone, Copy)]
enum Assembly {
    Idle,
    Collecting(Progress),
}

#[derive(Debug, Clone, Copy)]
struct Progress {
    header_len: usize,
    expected: u8,
    received: u8,
    used: usize,
}

/// The outcome of feeding one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A complete non-binary packet, borrowed from the frame.
    Packet(Packet<'a>),
    /// Part of a binary packet was stored; `expected - received` attachments are missing.
    NeedAttachments {
        /// Attachments received so far.
        received: u8,
        /// Attachments the header announced.
        expected: u8,
    },
    /// A complete binary packet, borrowed from the decoder's storage.
    Binary(BinaryPacket<'a>),
}

/// A reassembled binary packet: the header and its attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryPacket<'a> {
    /// The header packet (kind BINARY_EVENT or BINARY_ACK); its payload still holds the
    /// `{"_placeholder":true,"num":N}` objects that stand for attachment N.
    pub packet: Packet<'a>,
    /// The attachments, in order.
    pub attachments: Attachments<'a>,
}

/// The attachments of a binary packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attachments<'a> {
    data: &'a [u8],
    start: usize,
    ends: &'a [usize],
}

impl<'a> Attachments<'a> {
    /// How many attachments there are.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are none (never, for a packet that decoded).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Attachment `i` (the `num` of its placeholder).
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { self.start } else { self.ends[i - 1] };
        self.data.get(start..end)
    }

    /// The attachments in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let this = *self;
        (0..this.len()).filter_map(move |i| this.get(i))
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> SocketDecoder<S> {
    /// A decoder holding at most `storage.len()` bytes of binary header plus attachments.
    pub fn new(storage: S, limits: Limits) -> Self {
        Self { limits, storage, state: Assembly::Idle, ends: [0; MAX_ATTACHMENTS_LIMIT as usize] }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether a binary packet is waiting for attachments.
    pub fn is_collecting(&self) -> bool {
        matches!(self.state, Assembly::Collecting(_))
    }

    /// Drops any partly received binary packet (on disconnect, like socket.io-parser's
    /// `destroy()`).
    pub fn reset(&mut self) {
        self.state = Assembly::Idle;
    }

    /// Feeds the Socket.IO text of a message (the text after the Engine.IO `4`).
    ///
    /// The result borrows only `text` (a text frame never completes a binary packet), so
    /// the decoder is free again as soon as this returns.
    pub fn decode_text<'t>(&mut self, text: &'t str) -> Result<Decoded<'t>, DecodeError> {
        if self.is_collecting() {
            self.state = Assembly::Idle;
            return Err(DecodeError::at(DecodeErrorKind::UnexpectedText, 0));
        }
        let packet = Packet::decode(text, &self.limits)?;
        if !packet.kind.is_binary() {
            return Ok(Decoded::Packet(packet));
        }
        let expected = packet.attachments;
        let storage = self.storage.as_mut();
        let capacity = storage.len();
        let dst =
            storage.get_mut(..text.len()).ok_or(DecodeError::at(DecodeErrorKind::ReassemblyBufferFull, capacity))?;
        dst.copy_from_slice(text.as_bytes());
        self.state = Assembly::Collecting(Progress { header_len: text.len(), expected, received: 0, used: text.len() });
        Ok(Decoded::NeedAttachments { received: 0, expected })
    }

    /// Feeds a binary message (one attachment).
    pub fn decode_binary(&mut self, bytes: &[u8]) -> Result<Decoded<'_>, DecodeError> {
        let Assembly::Collecting(mut p) = self.state else {
            return Err(DecodeError::at(DecodeErrorKind::UnexpectedBinary, 0));
        };
        let storage = self.storage.as_mut();
        let capacity = storage.len();
        let end = p.used + bytes.len();
        let Some(dst) = storage.get_mut(p.used..end) else {
            self.state = Assembly::Idle;
            return Err(DecodeError::at(DecodeErrorKind::ReassemblyBufferFull, capacity));
        };
        dst.copy_from_slice(bytes);
        self.ends[usize::from(p.received)] = end;
        p.received += 1;
        p.used = end;
        if p.received < p.expected {
            self.state = Assembly::Collecting(p);
            return Ok(Decoded::NeedAttachments { received: p.received, expected: p.expected });
        }
        self.state = Assembly::Idle;
        let data: &[u8] = self.storage.as_ref();
        let header = core::str::from_utf8(&data[..p.header_len])
            .map_err(|_| DecodeError::at(DecodeErrorKind::UnexpectedBinary, 0))?;
        let packet = Packet::decode(header, &self.limits)?;
        let ends = &self.ends[..usize::from(p.expected)];
        Ok(Decoded::Binary(BinaryPacket { packet, attachments: Attachments { data, start: p.header_len, ends } }))
    }
}
