//! Property: no input makes the codec panic, and whatever it accepts is consistent: a
//! decoded packet validates, its arguments can be walked (and agree with serde_json),
//! it re-encodes and decodes back equal; accepted Engine.IO text re-encodes byte for
//! byte; `SocketDecoder` behaves like a simple model on arbitrary frame sequences.

mod properties_support;

use properties_support::*;
use proptest::prelude::*;
use serde_json::Value;
use tidings::wire::{
    encode_payload, Decoded, EngineData, EngineKind, EnginePacket, Frame, Handshake, Limits, Packet, PayloadDecoder,
    SocketDecoder, RECORD_SEPARATOR,
};

/// Small limits, so that the limit paths are reached by short inputs too.
const SMALL: Limits = Limits { max_attachments: 2, max_depth: 3, max_frame_len: 48 };

fn any_input() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => socketio_ish(24),
        1 => any::<String>(),
        1 => tricky_string(32),
    ]
}

/// Everything that must hold for a packet that decoded from `text` under `limits`.
fn check_decoded(text: &str, p: Packet<'_>, limits: &Limits) -> Result<(), TestCaseError> {
    prop_assert_eq!(p.validate(limits), Ok(()));

    // Event / ack accessors exist exactly for their kinds and can be walked to the end.
    let walked: Option<Vec<&str>> = if p.kind.is_event() {
        prop_assert!(p.ack_args().is_none());
        let ev = p.event();
        prop_assert!(ev.is_some(), "event without a name: {}", text);
        let ev = ev.unwrap();
        let mut args = ev.args;
        let raws: Vec<&str> = args.by_ref().map(|a| a.raw).take(10_000).collect();
        prop_assert!(args.next().is_none(), "fused");
        Some(raws)
    } else if p.kind.is_ack() {
        prop_assert!(p.event().is_none());
        let args = p.ack_args();
        prop_assert!(args.is_some(), "ack without args: {}", text);
        Some(args.unwrap().map(|a| a.raw).take(10_000).collect())
    } else {
        prop_assert!(p.event().is_none() && p.ack_args().is_none());
        None
    };

    // serde_json as an oracle for the argument walk, when it can read the payload (it
    // refuses lone surrogate escapes and out-of-range numbers that JSON.parse accepts).
    if let (Some(raws), Some(Ok(Value::Array(elems)))) = (&walked, p.payload.map(serde_json::from_str::<Value>)) {
        let skip = usize::from(p.kind.is_event());
        prop_assert_eq!(raws.len() + skip, elems.len(), "arg count of {}", text);
        for (raw, elem) in raws.iter().zip(&elems[skip..]) {
            prop_assert_eq!(&serde_json::from_str::<Value>(raw).unwrap(), elem);
        }
        if let (Some(ev), Some(Value::String(name))) = (p.event(), elems.first()) {
            prop_assert!(ev.name.eq_str(name), "name of {}", text);
        }
    }

    // Re-encoding succeeds and decodes back to the same packet.
    let mut buf = vec![0u8; p.encoded_len()];
    let n = p.encode_with(&mut buf, limits, false);
    prop_assert_eq!(n, Ok(buf.len()), "re-encoding {}", text);
    let again = std::str::from_utf8(&buf).unwrap();
    prop_assert_eq!(Packet::decode(again, limits), Ok(p), "re-encoded {:?}", again);
    Ok(())
}

/// A frame for the SocketDecoder model.
#[derive(Debug, Clone)]
enum OwnedFrame {
    Text(String),
    Binary(Vec<u8>),
}

fn frame() -> impl Strategy<Value = OwnedFrame> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..24).prop_map(OwnedFrame::Binary),
        2 => packet_ish().prop_map(OwnedFrame::Text),
        2 => (1u8..4).prop_map(|n| {
            let phs: Vec<String> = (0..n).map(|i| compact(&placeholder(usize::from(i)))).collect();
            OwnedFrame::Text(format!("5{n}-[\"f\",{}]", phs.join(",")))
        }),
        1 => Just(OwnedFrame::Text("2[\"plain\"]".into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn packet_decode_never_panics_and_is_consistent(text in packet_ish()) {
        for limits in [Limits::DEFAULT, SMALL] {
            if let Ok(p) = Packet::decode(&text, &limits) {
                check_decoded(&text, p, &limits)?;
            }
        }
    }

    #[test]
    fn engine_decode_text_never_panics_and_reencodes_exactly(text in engine_ish()) {
        for limits in [Limits::DEFAULT, SMALL] {
            let Ok(p) = EnginePacket::decode_text(&text, &limits) else { continue };
            // Accepted text re-encodes byte for byte.
            let mut buf = vec![0u8; text.len()];
            prop_assert_eq!(p.encode_text(&mut buf), Ok(text.len()));
            prop_assert_eq!(&buf, text.as_bytes());
            prop_assert_eq!(EnginePacket::decode(Frame::Text(&text), &limits), Ok(p));
            if let EngineData::Base64(b) = p.data {
                let mut out = vec![0u8; b.decoded_len()];
                prop_assert_eq!(b.decode_into(&mut out).map(<[u8]>::len), Ok(b.decoded_len()));
                // Only canonical base64 is accepted: the bytes encode back to the same text.
                let bin = EnginePacket { kind: EngineKind::Message, data: EngineData::Binary(&out) };
                let mut again = vec![0u8; text.len()];
                prop_assert_eq!(bin.encode_text(&mut again), Ok(text.len()));
                prop_assert_eq!(&again, text.as_bytes());
            }
        }
    }

    #[test]
    fn handshake_parse_never_panics(text in prop_oneof![any_input(), mutated_handshake()]) {
        if let Ok(h) = Handshake::parse(&text) {
            prop_assert!(h.upgrades.len() <= tidings::wire::MAX_UPGRADES);
            let _ = h.heartbeat_timeout_ms();
        }
    }
}

fn mutated_handshake() -> impl Strategy<Value = String> {
    let base = r#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
    prop::collection::vec((0u8..3, any::<prop::sample::Index>(), prop::sample::select(FRAGMENTS)), 0..4)
        .prop_map(move |edits| edits.into_iter().fold(base.to_string(), |s, (op, at, frag)| mutate(&s, op, at, frag)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn payload_decoder_never_panics_and_reencodes_exactly(
        parts in prop::collection::vec(engine_ish(), 0..6),
    ) {
        let text = parts.join("\u{1e}");
        let records = text.split(RECORD_SEPARATOR).count();
        let got: Vec<_> = PayloadDecoder::new(&text, &Limits::DEFAULT).collect();
        prop_assert!(!got.is_empty() && got.len() <= records);
        // At most one error, and it ends the iteration.
        if let Some(i) = got.iter().position(Result::is_err) {
            prop_assert_eq!(i, got.len() - 1);
            prop_assert!(got[i].unwrap_err().offset <= text.len());
        } else {
            prop_assert_eq!(got.len(), records);
            let packets: Vec<EnginePacket<'_>> = got.into_iter().map(Result::unwrap).collect();
            let mut buf = vec![0u8; text.len()];
            prop_assert_eq!(encode_payload(&packets, &mut buf), Ok(text.len()));
            prop_assert_eq!(&buf, text.as_bytes());
        }
    }


    /// Arbitrary frame sequences into a SocketDecoder with small storage: no panic, and
    /// the results agree with a model of the reassembly state machine.
    #[test]
    fn socket_decoder_matches_model(
        frames in prop::collection::vec(frame(), 0..24),
        cap in 0usize..160,
        max_attachments in 0u8..4,
    ) {
        let limits = Limits { max_attachments, ..Limits::DEFAULT };
        let mut dec = SocketDecoder::new(vec![0u8; cap], limits);
        // Model: the header being collected, what it expects, and what arrived.
        let mut pending: Option<(String, u8, Vec<Vec<u8>>)> = None;
        for f in &frames {
            match f {
                OwnedFrame::Text(t) => {
                    let was_collecting = pending.take().is_some();
                    prop_assert_eq!(dec.is_collecting(), was_collecting);
                    let r = dec.decode_text(t);
                    if was_collecting {
                        prop_assert_eq!(r.map_err(|e| e.kind), Err(tidings::wire::DecodeErrorKind::UnexpectedText));
                        continue;
                    }
                    let expected = Packet::decode(t, &limits);
                    match (r, expected) {
                        (Ok(Decoded::Packet(p)), Ok(q)) => {
                            prop_assert!(!q.kind.is_binary());
                            prop_assert_eq!(p, q);
                        }
                        (Ok(Decoded::NeedAttachments { received: 0, expected: n }), Ok(q)) => {
                            prop_assert!(q.kind.is_binary() && n == q.attachments);
                            prop_assert!(t.len() <= cap);
                            pending = Some((t.clone(), n, vec![]));
                        }
                        (Err(e), Ok(q)) => {
                            prop_assert!(q.kind.is_binary() && t.len() > cap, "{:?}", e);
                            prop_assert_eq!(e.kind, tidings::wire::DecodeErrorKind::ReassemblyBufferFull);
                        }
                        (Err(e), Err(f)) => prop_assert_eq!(e, f),
                        (r, e) => prop_assert!(false, "{:?} vs {:?}", r, e),
                    }
                }
                OwnedFrame::Binary(b) => {
                    let r = dec.decode_binary(b);
                    let Some((header, n, mut got)) = pending.take() else {
                        prop_assert_eq!(r.map_err(|e| e.kind), Err(tidings::wire::DecodeErrorKind::UnexpectedBinary));
                        continue;
                    };
                    let used = header.len() + got.iter().map(Vec::len).sum::<usize>() + b.len();
                    if used > cap {
                        prop_assert_eq!(r.map_err(|e| e.kind), Err(tidings::wire::DecodeErrorKind::ReassemblyBufferFull));
                        continue;
                    }
                    got.push(b.clone());
                    match r {
                        Ok(Decoded::NeedAttachments { received, expected }) => {
                            prop_assert_eq!((usize::from(received), expected), (got.len(), n));
                            prop_assert!(received < expected);
                            pending = Some((header, n, got));
                        }
                        Ok(Decoded::Binary(bin)) => {
                            prop_assert_eq!(got.len(), usize::from(n));
                            prop_assert_eq!(bin.packet, Packet::decode(&header, &limits).unwrap());
                            prop_assert!(bin.packet.kind.is_binary());
                            let atts: Vec<&[u8]> = bin.attachments.iter().collect();
                            let want: Vec<&[u8]> = got.iter().map(Vec::as_slice).collect();
                            prop_assert_eq!(atts, want);
                        }
                        other => prop_assert!(false, "{:?}", other),
                    }
                }
            }
            prop_assert_eq!(dec.is_collecting(), pending.is_some());
        }
    }
}
