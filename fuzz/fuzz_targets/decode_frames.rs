//! Feeds a sequence of WebSocket frames through the whole receive path, and checks that
//! everything that decodes re-encodes to something that decodes to the same value.
//!
//! Input format, repeated until the input ends:
//!
//! ```text
//! [head] [len] [len bytes]     head & 1 == 0: text frame, 1: binary frame
//! ```
//!
//! (a missing `len` is 0, a short body is truncated). Text bodies go through
//! `String::from_utf8_lossy` rather than being skipped when they are not UTF-8: a
//! WebSocket library only ever hands the codec valid UTF-8, so invalid bytes would be
//! a test of nothing, but dropping the whole frame would waste the execution. Lossy
//! conversion keeps every mutated frame useful and turns broken sequences into U+FFFD,
//! a multi-byte character the JSON string scanner must step over correctly.
//!
//! The whole input is also decoded as one HTTP long-polling payload.
//!
//! Limits are small (3 attachments, depth 8, 240-byte frames, 512 bytes of reassembly
//! storage) so that every limit and the buffer-full paths are within reach.
#![no_main]

use std::str;

use libfuzzer_sys::fuzz_target;
use tidings::wire::{
    encode_payload, DecodeErrorKind, Decoded, EncodeError, EngineData, EngineKind, EnginePacket, EventName, Frame,
    FrameKind, Handshake, JsonKind, JsonStr, Limits, OutgoingEvent, Packet, PacketKind, PayloadDecoder, SocketDecoder,
    MAX_UPGRADES,
};

const LIMITS: Limits = Limits { max_attachments: 3, max_depth: 8, max_frame_len: 240 };

/// For decoding what the encoders wrote back: a re-encoded packet may be a byte longer
/// than its source (`0/ns` is written `0/ns,`), and base64 is 4/3 of the bytes.
const RELAXED: Limits = Limits { max_frame_len: 4096, ..LIMITS };

type Decoder = SocketDecoder<[u8; 512]>;

fuzz_target!(|data: &[u8]| {
    let mut decoder: Decoder = SocketDecoder::new([0u8; 512], LIMITS);
    for (binary, body) in frames(data) {
        if binary {
            one_frame(Frame::Binary(body), &mut decoder);
        } else {
            one_frame(Frame::Text(&String::from_utf8_lossy(body)), &mut decoder);
        }
    }
    polling(&String::from_utf8_lossy(data));
});

/// Splits the input into `(is_binary, body)` frames.
fn frames(mut data: &[u8]) -> impl Iterator<Item = (bool, &[u8])> {
    std::iter::from_fn(move || {
        let (&head, rest) = data.split_first()?;
        let (len, rest) = match rest.split_first() {
            Some((&len, rest)) => (usize::from(len), rest),
            None => (0, rest),
        };
        let (body, tail) = rest.split_at(len.min(rest.len()));
        data = tail;
        Some((head & 1 == 1, body))
    })
}

fn one_frame(frame: Frame<'_>, decoder: &mut Decoder) {
    let Ok(engine) = EnginePacket::decode(frame, &LIMITS) else {
        return;
    };
    engine_roundtrip(&engine);
    match (engine.kind, engine.data) {
        (EngineKind::Open, EngineData::Text(json)) => {
            if let Ok(h) = Handshake::parse(json) {
                assert!(h.upgrades.len() <= MAX_UPGRADES);
                let _ = h.heartbeat_timeout_ms();
            }
        }
        (EngineKind::Message, EngineData::Text(text)) => socket_text(text, decoder),
        (EngineKind::Message, EngineData::Binary(bytes)) => attachment(bytes, decoder),
        (EngineKind::Message, EngineData::Base64(b64)) => {
            assert_eq!(tidings::wire::Base64::new(b64.text()), Ok(b64));
            let mut out = [0u8; 1024];
            let len = b64.decoded_len();
            if len > 0 {
                assert_eq!(b64.decode_into(&mut out[..len - 1]), Err(len));
            }
            let bytes =
                b64.decode_into(&mut out).unwrap_or_else(|e| panic!("validated base64 {:?} fails: {e}", b64.text()));
            assert_eq!(bytes.len(), len);
            attachment(bytes, decoder);
        }
        _ => {}
    }
}

fn socket_text(text: &str, decoder: &mut Decoder) {
    let direct = Packet::decode(text, &LIMITS);
    if let Ok(p) = &direct {
        // Binary headers are checked here, before they wait for their attachments.
        packet_roundtrip(p);
        inspect(p);
    }
    let was_collecting = decoder.is_collecting();
    match decoder.decode_text(text) {
        Ok(Decoded::Packet(p)) => {
            assert!(!was_collecting && !p.kind.is_binary());
            assert_eq!(direct, Ok(p));
        }
        Ok(Decoded::NeedAttachments { received, expected }) => {
            assert!(!was_collecting && received == 0 && (1..=3).contains(&expected));
            assert_eq!(direct.map(|p| p.attachments), Ok(expected));
        }
        Ok(Decoded::Binary(b)) => panic!("a text frame completed a binary packet: {b:?}"),
        Err(e) => {
            if was_collecting {
                assert_eq!(e.kind, DecodeErrorKind::UnexpectedText);
            } else {
                // Frames are at most 240 bytes, so a header always fits the storage.
                assert_eq!(direct.map_err(|d| d.kind), Err(e.kind));
            }
        }
    }
}

fn attachment(bytes: &[u8], decoder: &mut Decoder) {
    let was_collecting = decoder.is_collecting();
    let failed = match decoder.decode_binary(bytes) {
        Ok(Decoded::Binary(b)) => {
            assert!(was_collecting);
            assert_eq!(b.attachments.len(), usize::from(b.packet.attachments));
            assert_eq!(b.attachments.iter().count(), b.attachments.len());
            assert_eq!(b.attachments.get(b.attachments.len() - 1), Some(bytes));
            assert!(b.packet.kind.is_binary());
            packet_roundtrip(&b.packet);
            inspect(&b.packet);
            None
        }
        Ok(Decoded::NeedAttachments { received, expected }) => {
            assert!(was_collecting && 0 < received && received < expected);
            None
        }
        Ok(Decoded::Packet(p)) => panic!("a binary frame decoded as a plain packet: {p:?}"),
        Err(e) => Some(e.kind),
    };
    if let Some(kind) = failed {
        if !was_collecting {
            assert_eq!(kind, DecodeErrorKind::UnexpectedBinary);
        } else {
            assert_eq!(kind, DecodeErrorKind::ReassemblyBufferFull);
        }
        assert!(!decoder.is_collecting(), "a failed reassembly is dropped");
    }
}

/// The roundtrip property: a decoded packet validates, encodes, and decodes to itself.
fn packet_roundtrip(p: &Packet<'_>) {
    p.validate(&LIMITS).unwrap_or_else(|e| panic!("decoded {p:?} does not validate: {e}"));
    let mut buf = [0u8; 2048];
    let n = p.encode(&mut buf).unwrap_or_else(|e| panic!("decoded {p:?} does not encode: {e}"));
    assert_eq!(n, p.encoded_len());
    if n > 0 {
        assert_eq!(p.encode(&mut buf[..n - 1]), Err(EncodeError::BufferTooSmall { needed: n }));
        p.encode(&mut buf).unwrap();
    }
    let text = str::from_utf8(&buf[..n]).expect("encoded packets are UTF-8");
    let back = Packet::decode(text, &RELAXED)
        .unwrap_or_else(|e| panic!("{p:?} encoded as {text:?}, which does not decode: {e}"));
    assert_eq!(back, *p, "{p:?} encoded as {text:?}");
    let mut framed = [0u8; 2049];
    let m = p.encode_frame(&mut framed).unwrap();
    assert_eq!((framed[0], &framed[1..m]), (b'4', &buf[..n]));
}

/// Walks everything a host would read from a packet.
fn inspect(p: &Packet<'_>) {
    if let Some(ev) = p.event() {
        assert!(p.kind.is_event());
        match ev.name {
            EventName::Text(name) => check_str(name),
            EventName::Number(n) => assert!(!n.is_empty()),
        }
        let args: Vec<&str> = ev.args.map(check_arg).collect();
        if p.kind == PacketKind::Event {
            if let EventName::Text(name) = ev.name {
                outgoing_roundtrip(p, name, &args);
            }
        }
    } else {
        assert!(!p.kind.is_event(), "a decoded event has no name: {p:?}");
    }
    if let Some(args) = p.ack_args() {
        assert!(p.kind.is_ack());
        args.for_each(|a| {
            check_arg(a);
        });
    } else {
        assert!(!p.kind.is_ack(), "a decoded ack has no arguments: {p:?}");
    }
}

fn check_arg(a: tidings::wire::Arg<'_>) -> &str {
    assert!(!a.raw.is_empty());
    match a.as_str() {
        Some(s) => {
            assert_eq!(a.kind, JsonKind::String);
            check_str(s);
        }
        None => assert_ne!(a.kind, JsonKind::String),
    }
    a.raw
}

fn check_str(s: JsonStr<'_>) {
    // Unescaping never grows the text: an escape is at least as long as what it stands for.
    let mut buf = vec![0u8; s.raw().len()];
    let plain =
        s.unescape_into(&mut buf).unwrap_or_else(|| panic!("{s:?} does not unescape into {} bytes", s.raw().len()));
    assert!(s.eq_str(plain));
    assert_eq!(s.to_string(), plain);
    if let Some(raw) = s.as_plain() {
        assert_eq!(raw, plain);
    }
}

/// An event rebuilt from its unescaped name and raw arguments encodes, and decodes back to
/// the same event.
fn outgoing_roundtrip(p: &Packet<'_>, name: JsonStr<'_>, args: &[&str]) {
    let mut name_buf = vec![0u8; name.raw().len()];
    let name = name.unescape_into(&mut name_buf).unwrap();
    let ev = OutgoingEvent { namespace: p.namespace, ack_id: p.ack_id, name, args, attachments: 0 };
    let mut buf = vec![0u8; 8192];
    let n =
        ev.encode(&mut buf, &LIMITS, false).unwrap_or_else(|e| panic!("{p:?} rebuilt as {ev:?} does not encode: {e}"));
    let text = str::from_utf8(&buf[..n]).expect("encoded events are UTF-8");
    let back = Packet::decode(text, &RELAXED)
        .unwrap_or_else(|e| panic!("{ev:?} encoded as {text:?}, which does not decode: {e}"));
    assert_eq!((back.kind, back.namespace, back.ack_id), (p.kind, p.namespace, p.ack_id));
    let back_ev = back.event().expect("an event");
    assert!(back_ev.name.eq_str(name), "{text:?}: name is not {name:?}");
    assert!(back_ev.args.map(|a| a.raw).eq(args.iter().copied()));
}

fn engine_roundtrip(e: &EnginePacket<'_>) {
    let mut buf = vec![0u8; 2048];
    let (kind, n) = e.encode(&mut buf).unwrap_or_else(|err| panic!("decoded {e:?} does not encode: {err}"));
    let frame = match kind {
        FrameKind::Text => Frame::Text(str::from_utf8(&buf[..n]).expect("text frames are UTF-8")),
        FrameKind::Binary => Frame::Binary(&buf[..n]),
    };
    let back = EnginePacket::decode(frame, &RELAXED)
        .unwrap_or_else(|err| panic!("{e:?} encoded as {frame:?}, which does not decode: {err}"));
    match e.data {
        EngineData::Base64(b) => {
            let mut bytes = [0u8; 1024];
            let bytes = b.decode_into(&mut bytes).unwrap();
            assert_eq!(back, EnginePacket { kind: EngineKind::Message, data: EngineData::Binary(bytes) });
        }
        _ => assert_eq!(back, *e),
    }
    let n = e.encode_text(&mut buf).unwrap();
    let text = str::from_utf8(&buf[..n]).expect("text encoding is UTF-8");
    let back = EnginePacket::decode_text(text, &RELAXED)
        .unwrap_or_else(|err| panic!("{e:?} encoded as {text:?}, which does not decode: {err}"));
    match (e.data, back.data) {
        (EngineData::Binary(bytes), EngineData::Base64(b)) => {
            let mut out = [0u8; 1024];
            assert_eq!(b.decode_into(&mut out), Ok(bytes));
        }
        _ => assert_eq!(back, *e),
    }
}

/// The whole input as a polling payload: decoding stops at the first bad record, and what
/// decoded re-encodes to exactly the text it came from.
fn polling(payload: &str) {
    let records: Vec<_> = PayloadDecoder::new(payload, &LIMITS).collect();
    let good: Vec<EnginePacket<'_>> = records.iter().filter_map(|r| r.ok()).collect();
    if let Some(i) = records.iter().position(Result::is_err) {
        assert_eq!(i, records.len() - 1, "records after an error: {records:?}");
    }
    let mut buf = vec![0u8; payload.len() + 16];
    let n = encode_payload(&good, &mut buf).unwrap_or_else(|e| panic!("decoded records {good:?} do not encode: {e}"));
    let text = str::from_utf8(&buf[..n]).expect("payloads are UTF-8");
    if good.len() == records.len() {
        assert_eq!(text, payload);
    }
    if !good.is_empty() {
        let back: Vec<_> = PayloadDecoder::new(text, &RELAXED).collect();
        assert_eq!(back, good.into_iter().map(Ok).collect::<Vec<_>>());
    }
}
