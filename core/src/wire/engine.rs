//! Engine.IO v4 packets over WebSocket frames.
//!
//! Over WebSocket every frame is one packet: a text frame is `<type digit><data>`, a
//! binary frame is a message whose data is the raw bytes, and a text frame `b<base64>` is
//! a binary message for transports that cannot carry binary frames.

use base64::Engine as _;

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::limits::Limits;
use super::writer::Writer;

/// A WebSocket frame as the host received it or must send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A text frame.
    Text(&'a str),
    /// A binary frame.
    Binary(&'a [u8]),
}

/// The kind of a WebSocket frame, for what an encoder wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// Send the bytes as a text frame.
    Text,
    /// Send the bytes as a binary frame.
    Binary,
}

/// The seven Engine.IO packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EngineKind {
    /// `0`: the server's handshake.
    Open = 0,
    /// `1`: close (polling only; over WebSocket the socket is simply closed).
    Close = 1,
    /// `2`: heartbeat request (server to client in v4).
    Ping = 2,
    /// `3`: heartbeat answer.
    Pong = 3,
    /// `4`: a message: a Socket.IO packet or binary attachment.
    Message = 4,
    /// `5`: transport upgrade.
    Upgrade = 5,
    /// `6`: no-op (polling).
    Noop = 6,
}

impl EngineKind {
    const fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            b'0' => Self::Open,
            b'1' => Self::Close,
            b'2' => Self::Ping,
            b'3' => Self::Pong,
            b'4' => Self::Message,
            b'5' => Self::Upgrade,
            b'6' => Self::Noop,
            _ => return None,
        })
    }

    /// The type digit.
    pub const fn digit(self) -> u8 {
        b'0' + self as u8
    }
}

/// An Engine.IO packet's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineData<'a> {
    /// Text after the type digit (empty when there is none).
    Text(&'a str),
    /// Raw bytes of a binary frame.
    Binary(&'a [u8]),
    /// Validated base64 text of a `b` frame; decode it with [`Base64::decode_into`].
    Base64(Base64<'a>),
}

/// Validated standard base64 (with padding), decoded on demand into a caller buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base64<'a> {
    text: &'a str,
}

impl<'a> Base64<'a> {
    /// Validates `text` as standard padded base64 without allocating: it is decoded in
    /// small chunks into a stack buffer and thrown away.
    pub fn new(text: &'a str) -> Result<Self, usize> {
        let b = text.as_bytes();
        if !b.len().is_multiple_of(4) {
            return Err(b.len());
        }
        let mut scratch = [0u8; 384];
        for (i, chunk) in b.chunks(512).enumerate() {
            base64::engine::general_purpose::STANDARD.decode_slice(chunk, &mut scratch).map_err(|_| i * 512)?;
            // Padding is only allowed at the very end.
            if (i + 1) * 512 < b.len() && chunk.contains(&b'=') {
                return Err(i * 512);
            }
        }
        Ok(Self { text })
    }

    /// The base64 text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The decoded length.
    pub fn decoded_len(&self) -> usize {
        let b = self.text.as_bytes();
        let pad = b.iter().rev().take(2).filter(|&&c| c == b'=').count();
        b.len() / 4 * 3 - pad
    }

    /// Decodes into `out`; returns the bytes or, if `out` is too small, the length needed.
    pub fn decode_into<'b>(&self, out: &'b mut [u8]) -> Result<&'b [u8], usize> {
        let needed = self.decoded_len();
        let dst = out.get_mut(..needed).ok_or(needed)?;
        let n = base64::engine::general_purpose::STANDARD.decode_slice(self.text, dst).map_err(|_| needed)?;
        Ok(&dst[..n])
    }
}

/// One Engine.IO packet, borrowed from its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnginePacket<'a> {
    /// The packet type.
    pub kind: EngineKind,
    /// Its data.
    pub data: EngineData<'a>,
}

impl<'a> EnginePacket<'a> {
    /// A packet with no data.
    pub const fn bare(kind: EngineKind) -> Self {
        Self { kind, data: EngineData::Text("") }
    }

    /// A text message (typically an encoded Socket.IO packet).
    pub const fn message(text: &'a str) -> Self {
        Self { kind: EngineKind::Message, data: EngineData::Text(text) }
    }

    /// Decodes one WebSocket frame.
    pub fn decode(frame: Frame<'a>, limits: &Limits) -> Result<Self, DecodeError> {
        match frame {
            Frame::Binary(bytes) => {
                if bytes.len() > limits.max_frame_len {
                    return Err(DecodeError::at(DecodeErrorKind::FrameTooLarge, limits.max_frame_len));
                }
                Ok(Self { kind: EngineKind::Message, data: EngineData::Binary(bytes) })
            }
            Frame::Text(text) => Self::decode_text(text, limits),
        }
    }

    /// Decodes a text frame or polling record: `<digit><data>` or `b<base64>`.
    pub fn decode_text(text: &'a str, limits: &Limits) -> Result<Self, DecodeError> {
        use DecodeErrorKind::*;
        if text.len() > limits.max_frame_len {
            return Err(DecodeError::at(FrameTooLarge, limits.max_frame_len));
        }
        let first = *text.as_bytes().first().ok_or(DecodeError::at(EmptyFrame, 0))?;
        if first == b'b' {
            let b64 = Base64::new(&text[1..]).map_err(|o| DecodeError::at(InvalidBase64, o + 1))?;
            return Ok(Self { kind: EngineKind::Message, data: EngineData::Base64(b64) });
        }
        let kind = EngineKind::from_digit(first).ok_or(DecodeError::at(UnknownEnginePacketType, 0))?;
        Ok(Self { kind, data: EngineData::Text(&text[1..]) })
    }

    /// Encodes for a WebSocket: binary messages become binary frames, everything else a
    /// text frame. Returns the frame kind and the length written.
    pub fn encode(&self, out: &mut [u8]) -> Result<(FrameKind, usize), EncodeError> {
        let mut w = Writer::new(out);
        let kind = self.write(&mut w, false)?;
        Ok((kind, w.finish()?))
    }

    /// Encodes as text only: binary messages become `b<base64>` (polling, or a
    /// WebSocket negotiated with `b64=1`).
    pub fn encode_text(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer::new(out);
        self.write(&mut w, true)?;
        w.finish()
    }

    fn write(&self, w: &mut Writer<'_>, binary_as_text: bool) -> Result<FrameKind, EncodeError> {
        let bytes = match self.data {
            EngineData::Text(t) => {
                w.byte(self.kind.digit());
                w.put(t.as_bytes());
                return Ok(FrameKind::Text);
            }
            _ if self.kind != EngineKind::Message => {
                return Err(EncodeError::Invalid(DecodeErrorKind::UnknownEnginePacketType));
            }
            EngineData::Base64(b) if binary_as_text => {
                w.byte(b'b');
                w.put(b.text.as_bytes());
                return Ok(FrameKind::Text);
            }
            EngineData::Binary(bytes) => bytes,
            EngineData::Base64(b) => {
                // A binary frame from base64 text: decode straight into the output.
                w.put_with(b.decoded_len(), |dst| {
                    // Cannot fail: the text was validated and `dst` has the exact length.
                    let _ = b.decode_into(dst);
                });
                return Ok(FrameKind::Binary);
            }
        };
        if binary_as_text {
            w.byte(b'b');
            w.base64(bytes);
            Ok(FrameKind::Text)
        } else {
            w.put(bytes);
            Ok(FrameKind::Binary)
        }
    }
}

/// Decodes an HTTP long-polling payload: records separated by `\x1e`. Like
/// engine.io-parser's `decodePayload`, it stops at the first bad record (yielding its
/// error once) and yields nothing after it.
#[derive(Debug, Clone)]
pub struct PayloadDecoder<'a> {
    rest: Option<&'a str>,
    offset: usize,
    limits: Limits,
}

/// The record separator of a polling payload.
pub const RECORD_SEPARATOR: char = '\x1e';

impl<'a> PayloadDecoder<'a> {
    /// Iterates over the packets of `payload`.
    pub fn new(payload: &'a str, limits: &Limits) -> Self {
        Self { rest: Some(payload), offset: 0, limits: *limits }
    }
}

impl<'a> Iterator for PayloadDecoder<'a> {
    type Item = Result<EnginePacket<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest?;
        let (record, tail) = match rest.find(RECORD_SEPARATOR) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let at = self.offset;
        self.offset += record.len() + 1;
        self.rest = tail;
        let decoded =
            EnginePacket::decode_text(record, &self.limits).map_err(|e| DecodeError::at(e.kind, e.offset + at));
        if decoded.is_err() {
            self.rest = None;
        }
        Some(decoded)
    }
}

/// Encodes packets as one polling payload (binary as `b<base64>`), `\x1e`-separated.
pub fn encode_payload(packets: &[EnginePacket<'_>], out: &mut [u8]) -> Result<usize, EncodeError> {
    let mut w = Writer::new(out);
    for (i, p) in packets.iter().enumerate() {
        if i > 0 {
            w.byte(0x1e);
        }
        p.write(&mut w, true)?;
    }
    w.finish()
}
