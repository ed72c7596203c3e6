//! Socket.IO v5 packets: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
//!
//! [`Packet::decode`] borrows everything from the input text; [`Packet::encode`] writes
//! into a caller buffer and applies the same rules, so that nothing this crate writes
//! would be refused by a decoder (ours or the server's).
//!
//! Where this codec is stricter than the reference parser (socket.io-parser 4.2.7) it
//! says so in `docs/codec.md`, and `tests/vectors/deviations.json` pins each case.

use super::error::{DecodeError, DecodeErrorKind, EncodeError};
use super::json::{self, JsonError, JsonKind, Span};
use super::json_str::JsonStr;
use super::limits::{Limits, MAX_ACK_ID};
use super::writer::Writer;

/// The seven Socket.IO packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketKind {
    /// `0`: join a namespace (client) / accepted (server, with `{"sid"}`).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event `["name", ...args]`.
    Event = 2,
    /// `3`: the answer to an event that asked for an ack.
    Ack = 3,
    /// `4`: a namespace refused the connection (`{"message", "data"}`).
    ConnectError = 4,
    /// `5`: an event with binary attachments following as binary frames.
    BinaryEvent = 5,
    /// `6`: an ack with binary attachments following as binary frames.
    BinaryAck = 6,
}

impl PacketKind {
    /// The kind for a type digit.
    pub const fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            b'0' => Self::Connect,
            b'1' => Self::Disconnect,
            b'2' => Self::Event,
            b'3' => Self::Ack,
            b'4' => Self::ConnectError,
            b'5' => Self::BinaryEvent,
            b'6' => Self::BinaryAck,
            _ => return None,
        })
    }

    /// The type digit.
    pub const fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// BINARY_EVENT or BINARY_ACK.
    pub const fn is_binary(self) -> bool {
        matches!(self, Self::BinaryEvent | Self::BinaryAck)
    }

    /// EVENT or BINARY_EVENT.
    pub const fn is_event(self) -> bool {
        matches!(self, Self::Event | Self::BinaryEvent)
    }

    /// ACK or BINARY_ACK.
    pub const fn is_ack(self) -> bool {
        matches!(self, Self::Ack | Self::BinaryAck)
    }

    /// Whether an ack id may follow the namespace (events and acks).
    pub const fn carries_ack_id(self) -> bool {
        self.is_event() || self.is_ack()
    }
}

/// Event names a server refuses (they are the client's own lifecycle events).
pub const RESERVED_EVENT_NAMES: [&str; 6] =
    ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

/// One Socket.IO packet, borrowed from the text it was decoded from (or to be encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// The packet type.
    pub kind: PacketKind,
    /// The namespace, `/` by default.
    pub namespace: &'a str,
    /// The ack id, for events that ask for an ack and for acks.
    pub ack_id: Option<u64>,
    /// How many binary attachments follow (binary packets only; 0 otherwise).
    pub attachments: u8,
    /// The raw JSON payload, validated for this packet type.
    pub payload: Option<&'a str>,
}

impl<'a> Packet<'a> {
    /// Decodes one Socket.IO packet (the text after the Engine.IO `4`).
    pub fn decode(text: &'a str, limits: &Limits) -> Result<Self, DecodeError> {
        use DecodeErrorKind::*;
        let b = text.as_bytes();
        if b.len() > limits.max_frame_len {
            return Err(DecodeError::at(FrameTooLarge, limits.max_frame_len));
        }
        let kind = b.first().and_then(|&d| PacketKind::from_digit(d)).ok_or(DecodeError::at(UnknownPacketType, 0))?;
        let mut pos = 1;

        let mut attachments = 0u8;
        if kind.is_binary() {
            let digits = count_digits(b, pos);
            if digits == 0 || b.get(pos + digits) != Some(&b'-') {
                return Err(DecodeError::at(InvalidAttachmentCount, pos));
            }
            let n = parse_digits(&b[pos..pos + digits]);
            match n {
                Some(0) => return Err(DecodeError::at(InvalidAttachmentCount, pos)),
                Some(n) if n <= u64::from(limits.attachments()) => attachments = n as u8,
                _ => return Err(DecodeError::at(TooManyAttachments, pos)),
            }
            pos += digits + 1;
        }

        let mut namespace = "/";
        if b.get(pos) == Some(&b'/') {
            let end = b[pos..].iter().position(|&c| c == b',').map_or(b.len(), |i| pos + i);
            namespace = &text[pos..end];
            check_namespace(namespace).map_err(|i| DecodeError::at(InvalidNamespace, pos + i))?;
            pos = if end < b.len() { end + 1 } else { end };
        }

        let mut ack_id = None;
        if kind.carries_ack_id() {
            let digits = count_digits(b, pos);
            if digits > 0 {
                match parse_digits(&b[pos..pos + digits]) {
                    Some(id) if id <= MAX_ACK_ID => ack_id = Some(id),
                    _ => return Err(DecodeError::at(AckIdTooLarge, pos)),
                }
                pos += digits;
            } else if kind.is_ack() {
                return Err(DecodeError::at(MissingAckId, pos));
            }
        }

        let payload = if pos < b.len() { Some(&text[pos..]) } else { None };
        check_payload(kind, payload, attachments, limits).map_err(|(k, o)| DecodeError::at(k, pos + o))?;
        Ok(Packet { kind, namespace, ack_id, attachments, payload })
    }

    /// Checks the packet against the same rules as [`Packet::decode`].
    pub fn validate(&self, limits: &Limits) -> Result<(), DecodeErrorKind> {
        use DecodeErrorKind::*;
        if self.namespace != "/" {
            if !self.namespace.starts_with('/') || self.namespace.contains(',') {
                return Err(InvalidNamespace);
            }
            check_namespace(self.namespace).map_err(|_| InvalidNamespace)?;
        }
        match (self.kind.is_binary(), self.attachments) {
            (true, 0) | (false, 1..) => return Err(InvalidAttachmentCount),
            (true, n) if n > limits.attachments() => return Err(TooManyAttachments),
            _ => {}
        }
        match self.ack_id {
            Some(_) if !self.kind.carries_ack_id() => return Err(InvalidAckId),
            Some(id) if id > MAX_ACK_ID => return Err(AckIdTooLarge),
            None if self.kind.is_ack() => return Err(MissingAckId),
            _ => {}
        }
        // The decoder bounds the whole packet text, so the encoder does too.
        if self.encoded_len() > limits.max_frame_len {
            return Err(FrameTooLarge);
        }
        check_payload(self.kind, self.payload, self.attachments, limits).map_err(|(k, _)| k)
    }

    /// The exact number of bytes [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let mut w = Writer::new(&mut []);
        self.write(&mut w);
        match w.finish() {
            Ok(n) | Err(EncodeError::BufferTooSmall { needed: n }) => n,
            Err(EncodeError::Invalid(_)) => 0,
        }
    }

    /// Validates the packet (default [`Limits`]) and writes it into `out`; returns the
    /// length written, or [`EncodeError::BufferTooSmall`] with the length needed.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_with(out, &Limits::DEFAULT, false)
    }

    /// As [`Packet::encode`], prefixed with the Engine.IO message type `4`: the exact text
    /// of the WebSocket frame to send.
    pub fn encode_frame(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_with(out, &Limits::DEFAULT, true)
    }

    /// Encodes under explicit limits, with or without the Engine.IO `4` prefix.
    pub fn encode_with(&self, out: &mut [u8], limits: &Limits, engine_prefix: bool) -> Result<usize, EncodeError> {
        self.validate(limits).map_err(EncodeError::Invalid)?;
        let mut w = Writer::new(out);
        if engine_prefix {
            w.byte(b'4');
        }
        self.write(&mut w);
        w.finish()
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.byte(self.kind.digit());
        if self.kind.is_binary() {
            w.uint(u64::from(self.attachments));
            w.byte(b'-');
        }
        if self.namespace != "/" {
            w.put(self.namespace.as_bytes());
            w.byte(b',');
        }
        if let Some(id) = self.ack_id {
            w.uint(id);
        }
        if let Some(p) = self.payload {
            w.put(p.as_bytes());
        }
    }

    /// For EVENT / BINARY_EVENT: the event's name and arguments.
    pub fn event(&self) -> Option<Event<'a>> {
        if !self.kind.is_event() {
            return None;
        }
        let payload = self.payload?;
        // A decoded payload starts with its `[`; a packet built by hand may not.
        let open = if payload.starts_with('[') { 0 } else { payload.find('[')? };
        let first = json::first_element(payload, open)?;
        let raw = &payload[first.start..first.end];
        let name = match first.kind {
            JsonKind::String => EventName::Text(JsonStr::from_validated(&raw[1..raw.len() - 1])),
            _ => EventName::Number(raw),
        };
        Some(Event { name, args: Args { text: payload, pos: first.end } })
    }

    /// For ACK / BINARY_ACK: the arguments.
    pub fn ack_args(&self) -> Option<Args<'a>> {
        if !self.kind.is_ack() {
            return None;
        }
        let payload = self.payload?;
        Some(Args { text: payload, pos: payload.find('[')? + 1 })
    }
}

/// An event to send, built from a name and already-serialised JSON arguments:
/// `2[<ns>,][<ack id>]["name",arg1,arg2,...]`.
///
/// The name is escaped for JSON here; each argument must be one valid JSON value and is
/// checked (syntax and depth) before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutgoingEvent<'a> {
    /// The namespace, `/` by default.
    pub namespace: &'a str,
    /// Set when the sender wants an ack.
    pub ack_id: Option<u64>,
    /// The event name (not one of [`RESERVED_EVENT_NAMES`]).
    pub name: &'a str,
    /// Each argument as one JSON value.
    pub args: &'a [&'a str],
    /// Binary attachments that follow as binary frames (0 for a plain EVENT). When
    /// non-zero the packet is a BINARY_EVENT and one placeholder
    /// `{"_placeholder":true,"num":i}` per attachment is appended after `args`.
    pub attachments: u8,
}

impl OutgoingEvent<'_> {
    /// Writes the event as a WebSocket text frame (with the Engine.IO `4` prefix) when
    /// `engine_prefix`, else as bare Socket.IO text. Returns the length written.
    pub fn encode(&self, out: &mut [u8], limits: &Limits, engine_prefix: bool) -> Result<usize, EncodeError> {
        use DecodeErrorKind::*;
        if RESERVED_EVENT_NAMES.contains(&self.name) {
            return Err(EncodeError::Invalid(ReservedEventName));
        }
        for arg in self.args {
            check_arg(arg, limits).map_err(EncodeError::Invalid)?;
            if self.attachments > 0 {
                // A placeholder in the caller's own arguments must name a real attachment.
                json::scan(arg, limits.depth(), Some(self.attachments))
                    .map_err(|_| EncodeError::Invalid(InvalidPlaceholder))?;
            }
        }
        let kind = if self.attachments > 0 { PacketKind::BinaryEvent } else { PacketKind::Event };
        let header = Packet {
            kind,
            namespace: self.namespace,
            ack_id: self.ack_id,
            attachments: self.attachments,
            payload: None,
        };
        // Check the header fields with a stand-in payload; the real one is written below.
        Packet { payload: Some("[0]"), ..header }.validate(limits).map_err(EncodeError::Invalid)?;
        let mut w = Writer::new(out);
        if engine_prefix {
            w.byte(b'4');
        }
        header.write(&mut w);
        w.byte(b'[');
        w.json_string(self.name);
        for arg in self.args {
            w.byte(b',');
            w.put(arg.as_bytes());
        }
        for i in 0..self.attachments {
            w.put(b",{\"_placeholder\":true,\"num\":");
            w.uint(u64::from(i));
            w.byte(b'}');
        }
        w.byte(b']');
        let result = w.finish();
        let len = match result {
            Ok(n) | Err(EncodeError::BufferTooSmall { needed: n }) => n,
            Err(e) => return Err(e),
        };
        // The decoder bounds the whole packet text, so the encoder does too.
        if len - usize::from(engine_prefix) > limits.max_frame_len {
            return Err(EncodeError::Invalid(FrameTooLarge));
        }
        result
    }
}

/// Checks one event or ack argument: exactly one JSON value (so that it cannot splice
/// extra arguments into the array), within the depth limit (it sits one level inside the
/// array), not starting with whitespace.
pub fn check_arg(arg: &str, limits: &Limits) -> Result<(), DecodeErrorKind> {
    use DecodeErrorKind::*;
    if arg.len() > limits.max_frame_len {
        return Err(FrameTooLarge);
    }
    if arg.starts_with([' ', '\t', '\n', '\r']) {
        return Err(InvalidJson);
    }
    json::scan(arg, limits.depth().saturating_sub(1), None).map(|_| ()).map_err(|e| match e {
        JsonError::TooDeep(_) => NestingTooDeep,
        _ => InvalidJson,
    })
}

/// The name of an event: almost always a string; socket.io also allows a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName<'a> {
    /// A string name, still JSON-escaped.
    Text(JsonStr<'a>),
    /// A numeric name, as written in the JSON.
    Number(&'a str),
}

impl EventName<'_> {
    /// Compares the (unescaped) name with `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        match self {
            EventName::Text(t) => t.eq_str(s),
            EventName::Number(n) => *n == s,
        }
    }
}

/// An event, borrowed from its packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event name.
    pub name: EventName<'a>,
    /// The arguments after the name.
    pub args: Args<'a>,
}

/// One argument: its JSON kind and its raw JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg<'a> {
    /// The JSON kind.
    pub kind: JsonKind,
    /// The raw JSON text of the argument.
    pub raw: &'a str,
}

impl<'a> Arg<'a> {
    /// The string's text when the argument is a JSON string.
    pub fn as_str(&self) -> Option<JsonStr<'a>> {
        (self.kind == JsonKind::String).then(|| JsonStr::from_validated(&self.raw[1..self.raw.len() - 1]))
    }
}

/// Iterator over the arguments of an event or ack, each borrowed from the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Args<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Args<'a> {
    /// Iterates over a comma-separated list of JSON values (the inside of an array).
    pub fn of_list(list: &'a str) -> Self {
        Self { text: list, pos: 0 }
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = Arg<'a>;

    fn next(&mut self) -> Option<Arg<'a>> {
        let b = self.text.as_bytes();
        // Skip whitespace and the separator before the next element.
        let mut p = self.pos;
        while let Some(c) = b.get(p) {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => p += 1,
                b']' => {
                    self.pos = b.len();
                    return None;
                }
                _ => break,
            }
        }
        let Span { kind, start, end } = json::skip_value(self.text, p)?;
        self.pos = end;
        Some(Arg { kind, raw: &self.text[start..end] })
    }
}

fn count_digits(b: &[u8], pos: usize) -> usize {
    b.get(pos..).map_or(0, |s| s.iter().take_while(|c| c.is_ascii_digit()).count())
}

/// Parses ASCII digits; `None` on overflow.
fn parse_digits(d: &[u8]) -> Option<u64> {
    d.iter().try_fold(0u64, |acc, &c| acc.checked_mul(10)?.checked_add(u64::from(c - b'0')))
}

/// A namespace runs up to `,` or the end of the packet. The reference parser lets it
/// swallow a JSON payload when the comma is missing (`2/admin["x"]` becomes namespace
/// `/admin["x"]`); we refuse the characters that can only mean that mistake, and control
/// characters. Returns the offset of the offending byte.
fn check_namespace(ns: &str) -> Result<(), usize> {
    match ns.bytes().position(|c| matches!(c, b'"' | b'[' | b'{' | 0..=0x1f | 0x7f)) {
        Some(i) => Err(i),
        None => Ok(()),
    }
}

/// Checks a payload's presence and JSON shape for a packet type; the error carries the
/// offset within the payload.
fn check_payload(
    kind: PacketKind,
    payload: Option<&str>,
    attachments: u8,
    limits: &Limits,
) -> Result<(), (DecodeErrorKind, usize)> {
    use DecodeErrorKind::*;
    let Some(text) = payload else {
        return match kind {
            PacketKind::Connect | PacketKind::Disconnect => Ok(()),
            _ => Err((MissingPayload, 0)),
        };
    };
    if kind == PacketKind::Disconnect {
        return Err((UnexpectedPayload, 0));
    }
    // The reference parser reads a space here as part of the ack id; JSON.parse would skip
    // it. Neither reading is what a sender meant, so a payload must start at its value.
    if matches!(text.as_bytes().first(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        return Err((InvalidJson, 0));
    }
    let placeholders = kind.is_binary().then_some(attachments);
    let top = json::scan(text, limits.depth(), placeholders).map_err(|e| match e {
        JsonError::Syntax(o) => (InvalidJson, o),
        JsonError::TooDeep(o) => (NestingTooDeep, o),
        JsonError::Placeholder(o) => (InvalidPlaceholder, o),
    })?;
    match kind {
        PacketKind::Connect if top != JsonKind::Object => Err((InvalidPayloadShape, 0)),
        PacketKind::ConnectError if !matches!(top, JsonKind::Object | JsonKind::String) => {
            Err((InvalidPayloadShape, 0))
        }
        PacketKind::Ack | PacketKind::BinaryAck if top != JsonKind::Array => Err((InvalidPayloadShape, 0)),
        PacketKind::Event | PacketKind::BinaryEvent => {
            if top != JsonKind::Array {
                return Err((InvalidPayloadShape, 0));
            }
            // The payload starts with its `[` (no whitespace, checked above).
            let first = json::first_element(text, 0).ok_or((InvalidEventName, 0))?;
            match first.kind {
                JsonKind::Number => Ok(()),
                JsonKind::String => {
                    let raw = &text[first.start + 1..first.end - 1];
                    // Plain names (the norm) compare byte for byte, a length check each.
                    // An escaped spelling of a reserved name needs a `\uXXXX` (5 bytes
                    // longer than the letter) and the shortest reserved name has 7 letters,
                    // so only raw names of 12 bytes or more can be one: only those are
                    // searched for a backslash and compared unescaped.
                    let reserved = RESERVED_EVENT_NAMES.contains(&raw)
                        || (raw.len() >= 12
                            && raw.contains('\\')
                            && RESERVED_EVENT_NAMES.iter().any(|r| JsonStr::from_validated(raw).eq_str(r)));
                    if reserved {
                        Err((ReservedEventName, first.start))
                    } else {
                        Ok(())
                    }
                }
                _ => Err((InvalidEventName, first.start)),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<Packet<'_>, DecodeError> {
        Packet::decode(s, &Limits::DEFAULT)
    }

    #[test]
    fn decodes_header_fields() {
        let p = dec("52-/admin,789[\"m\",{\"_placeholder\":true,\"num\":1}]").unwrap();
        assert_eq!(p.kind, PacketKind::BinaryEvent);
        assert_eq!(p.attachments, 2);
        assert_eq!(p.namespace, "/admin");
        assert_eq!(p.ack_id, Some(789));
        assert!(p.event().unwrap().name.eq_str("m"));
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = |s| dec(s).unwrap_err();
        assert_eq!(e("9"), DecodeError::at(DecodeErrorKind::UnknownPacketType, 0));
        assert_eq!(e("2/a,[\"x\",}"), DecodeError::at(DecodeErrorKind::InvalidJson, 9));
        assert_eq!(e("2[\"connect\"]"), DecodeError::at(DecodeErrorKind::ReservedEventName, 2));
        assert_eq!(e("2[\"conn\\u0065ct\"]"), DecodeError::at(DecodeErrorKind::ReservedEventName, 2));
        assert_eq!(e("3/x,[]"), DecodeError::at(DecodeErrorKind::MissingAckId, 4));
        assert_eq!(e("29007199254740992[\"a\"]"), DecodeError::at(DecodeErrorKind::AckIdTooLarge, 1));
        assert_eq!(e("299999999999999999999999[\"a\"]").kind, DecodeErrorKind::AckIdTooLarge);
        assert_eq!(e("2/a\u{1},[\"a\"]"), DecodeError::at(DecodeErrorKind::InvalidNamespace, 3));
        assert_eq!(e("599999999999999999999-[\"a\"]").kind, DecodeErrorKind::TooManyAttachments);
    }

    #[test]
    fn largest_ack_id_is_accepted_and_written() {
        let p = dec("29007199254740991[\"a\"]").unwrap();
        assert_eq!(p.ack_id, Some(MAX_ACK_ID));
        let mut buf = [0u8; 64];
        let n = p.encode(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"29007199254740991[\"a\"]");
        let too_big = Packet { ack_id: Some(MAX_ACK_ID + 1), ..p };
        assert_eq!(too_big.encode(&mut buf), Err(EncodeError::Invalid(DecodeErrorKind::AckIdTooLarge)));
    }

    #[test]
    fn encode_refuses_what_decode_refuses() {
        let base =
            Packet { kind: PacketKind::Event, namespace: "/", ack_id: None, attachments: 0, payload: Some("[\"a\"]") };
        let mut buf = [0u8; 64];
        let bad = |p: Packet<'_>| match p.encode(&mut [0u8; 64]) {
            Err(EncodeError::Invalid(k)) => k,
            other => panic!("{p:?} -> {other:?}"),
        };
        assert_eq!(bad(Packet { namespace: "admin", ..base }), DecodeErrorKind::InvalidNamespace);
        assert_eq!(bad(Packet { namespace: "/a,b", ..base }), DecodeErrorKind::InvalidNamespace);
        assert_eq!(bad(Packet { payload: Some("[\"disconnect\"]"), ..base }), DecodeErrorKind::ReservedEventName);
        assert_eq!(bad(Packet { payload: Some("[1,"), ..base }), DecodeErrorKind::InvalidJson);
        assert_eq!(bad(Packet { attachments: 1, ..base }), DecodeErrorKind::InvalidAttachmentCount);
        assert_eq!(bad(Packet { kind: PacketKind::BinaryEvent, ..base }), DecodeErrorKind::InvalidAttachmentCount);
        assert_eq!(bad(Packet { kind: PacketKind::Ack, ..base }), DecodeErrorKind::MissingAckId);
        assert_eq!(
            bad(Packet { kind: PacketKind::Connect, ack_id: Some(1), payload: None, ..base }),
            DecodeErrorKind::InvalidAckId
        );
        assert_eq!(base.encode(&mut buf), Ok(6));
        assert_eq!(base.encode(&mut buf[..5]), Err(EncodeError::BufferTooSmall { needed: 6 }));
        assert_eq!(base.encoded_len(), 6);
        assert_eq!(base.encode_frame(&mut buf), Ok(7));
        assert_eq!(&buf[..7], b"42[\"a\"]");
    }

    #[test]
    fn outgoing_events_escape_the_name_and_check_args() {
        let mut buf = [0u8; 128];
        let ev = OutgoingEvent {
            namespace: "/chat",
            ack_id: Some(3),
            name: "say \"hi\"",
            args: &["{\"a\":1}", "2"],
            attachments: 0,
        };
        let n = ev.encode(&mut buf, &Limits::DEFAULT, true).unwrap();
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(text, "42/chat,3[\"say \\\"hi\\\"\",{\"a\":1},2]");
        let back = dec(&text[1..]).unwrap();
        assert!(back.event().unwrap().name.eq_str("say \"hi\""));
        let bad = |e: OutgoingEvent<'_>| e.encode(&mut [0u8; 64], &Limits::DEFAULT, false);
        assert_eq!(
            bad(OutgoingEvent { name: "connect", ..ev }),
            Err(EncodeError::Invalid(DecodeErrorKind::ReservedEventName))
        );
        assert_eq!(bad(OutgoingEvent { args: &["{"], ..ev }), Err(EncodeError::Invalid(DecodeErrorKind::InvalidJson)));
        assert_eq!(
            bad(OutgoingEvent { args: &["1,2"], ..ev }),
            Err(EncodeError::Invalid(DecodeErrorKind::InvalidJson))
        );
        assert_eq!(
            bad(OutgoingEvent { namespace: "x", ..ev }),
            Err(EncodeError::Invalid(DecodeErrorKind::InvalidNamespace))
        );
        assert_eq!(ev.encode(&mut buf[..4], &Limits::DEFAULT, true), Err(EncodeError::BufferTooSmall { needed: n }));
        let bin = OutgoingEvent { namespace: "/", ack_id: None, name: "up", args: &["1"], attachments: 2 };
        let n = bin.encode(&mut buf, &Limits::DEFAULT, false).unwrap();
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(text, "52-[\"up\",1,{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
        assert_eq!(dec(text).unwrap().attachments, 2);
    }

    #[test]
    fn event_args_borrow_from_the_frame() {
        let frame = "2/chat,[\"newMessage\", {\"id\":\"m1\",\"t\":[1,2]} ,\"x\\\"y\",3.5,null]";
        let p = dec(frame).unwrap();
        let ev = p.event().unwrap();
        assert!(ev.name.eq_str("newMessage"));
        let args: heapless::Vec<Arg<'_>, 8> = ev.args.collect();
        let raws: heapless::Vec<&str, 8> = args.iter().map(|a| a.raw).collect();
        assert_eq!(&raws[..], &["{\"id\":\"m1\",\"t\":[1,2]}", "\"x\\\"y\"", "3.5", "null"]);
        assert!(args[1].as_str().unwrap().eq_str("x\"y"));
        assert_eq!(args[0].kind, JsonKind::Object);
        // The name borrows from the frame itself: zero-copy.
        if let EventName::Text(t) = ev.name {
            assert!(core::ptr::eq(t.raw().as_ptr(), frame[9..].as_ptr()));
        }
        let ack = dec("3/chat,4[]").unwrap();
        assert_eq!(ack.ack_args().unwrap().count(), 0);
        assert_eq!(dec("31[1,[2]]").unwrap().ack_args().unwrap().count(), 2);
    }
}
