//! Properties of the Engine.IO layer: every packet type roundtrips through a WebSocket
//! frame, binary messages roundtrip as binary frames and as `b<base64>` text, polling
//! payloads roundtrip through `encode_payload` / `PayloadDecoder`, and handshakes parse.

mod properties_support;

use properties_support::*;
use proptest::prelude::*;
use proptest::sample::select;
use tidings::wire::{
    encode_payload, DecodeErrorKind, EncodeError, EngineData, EngineKind, EnginePacket, Frame, FrameKind, Handshake,
    Limits, PayloadDecoder, RECORD_SEPARATOR,
};

const KINDS: [EngineKind; 7] = [
    EngineKind::Open,
    EngineKind::Close,
    EngineKind::Ping,
    EngineKind::Pong,
    EngineKind::Message,
    EngineKind::Upgrade,
    EngineKind::Noop,
];

/// An Engine.IO packet that owns its data.
#[derive(Debug, Clone)]
enum OwnedEngine {
    Text(EngineKind, String),
    Binary(Vec<u8>),
}

impl OwnedEngine {
    fn packet(&self) -> EnginePacket<'_> {
        match self {
            OwnedEngine::Text(kind, t) => EnginePacket { kind: *kind, data: EngineData::Text(t) },
            OwnedEngine::Binary(b) => EnginePacket { kind: EngineKind::Message, data: EngineData::Binary(b) },
        }
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

/// A packet for a polling payload: text data never contains the record separator.
fn payload_packet() -> impl Strategy<Value = OwnedEngine> {
    prop_oneof![
        3 => (select(KINDS.to_vec()), socketio_ish(8).prop_map(|s| s.replace(RECORD_SEPARATOR, "")))
            .prop_map(|(k, t)| OwnedEngine::Text(k, t)),
        1 => bytes(600).prop_map(OwnedEngine::Binary),
    ]
}

/// Checks that a decoded packet carries what `expected` holds.
fn same(decoded: &EnginePacket<'_>, expected: &OwnedEngine) -> Result<(), TestCaseError> {
    match (expected, decoded.data) {
        (OwnedEngine::Text(k, t), EngineData::Text(d)) => {
            prop_assert_eq!(decoded.kind, *k);
            prop_assert_eq!(d, t.as_str());
        }
        (OwnedEngine::Binary(b), EngineData::Base64(b64)) => {
            prop_assert_eq!(decoded.kind, EngineKind::Message);
            prop_assert_eq!(b64.decoded_len(), b.len());
            let mut out = vec![0u8; b.len()];
            prop_assert_eq!(b64.decode_into(&mut out), Ok(&b[..]));
        }
        (e, d) => prop_assert!(false, "expected {e:?}, decoded {d:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn text_packets_roundtrip(kind in select(KINDS.to_vec()), data in tricky_string(40)) {
        let p = EnginePacket { kind, data: EngineData::Text(&data) };
        let mut buf = vec![0u8; data.len() + 1];
        prop_assert_eq!(p.encode(&mut buf), Ok((FrameKind::Text, data.len() + 1)));
        prop_assert_eq!(
            p.encode(&mut buf[..data.len()]),
            Err(EncodeError::BufferTooSmall { needed: data.len() + 1 })
        );
        let text = std::str::from_utf8(&buf).unwrap();
        prop_assert_eq!(text.as_bytes()[0], kind.digit());
        // Text frames encode the same with and without binary-as-text.
        let mut t2 = vec![0u8; buf.len()];
        prop_assert_eq!(p.encode_text(&mut t2), Ok(buf.len()));
        prop_assert_eq!(&t2, &buf);
        let back = EnginePacket::decode(Frame::Text(text), &Limits::DEFAULT);
        prop_assert_eq!(back, Ok(p));
    }

    #[test]
    fn binary_message_roundtrips_as_frame_and_base64(data in bytes(2048)) {
        let p = EnginePacket { kind: EngineKind::Message, data: EngineData::Binary(&data) };

        // As a binary frame: the bytes themselves.
        let mut frame = vec![0u8; data.len()];
        prop_assert_eq!(p.encode(&mut frame), Ok((FrameKind::Binary, data.len())));
        prop_assert_eq!(&frame, &data);
        prop_assert_eq!(
            EnginePacket::decode(Frame::Binary(&frame), &Limits::DEFAULT),
            Ok(p)
        );

        // As text: `b` + padded base64 of the exact expected length.
        let b64_len = 1 + data.len().div_ceil(3) * 4;
        let mut text = vec![0u8; b64_len];
        prop_assert_eq!(p.encode_text(&mut text), Ok(b64_len));
        if b64_len > 1 {
            prop_assert_eq!(
                p.encode_text(&mut text[..b64_len - 1]),
                Err(EncodeError::BufferTooSmall { needed: b64_len })
            );
        }
        let text = std::str::from_utf8(&text).unwrap();
        prop_assert!(text.starts_with('b'));
        let back = EnginePacket::decode_text(text, &Limits::DEFAULT).unwrap();
        prop_assert_eq!(back.kind, EngineKind::Message);
        let EngineData::Base64(b64) = back.data else {
            return Err(TestCaseError::fail(format!("not base64: {back:?}")));
        };
        prop_assert_eq!(b64.text(), &text[1..]);
        prop_assert_eq!(b64.decoded_len(), data.len());
        let mut out = vec![0u8; data.len()];
        prop_assert_eq!(b64.decode_into(&mut out), Ok(&data[..]));
        if !data.is_empty() {
            prop_assert_eq!(b64.decode_into(&mut out[..data.len() - 1]), Err(data.len()));
        }

        // The base64 packet re-encodes to the same text, and to the same binary frame.
        let mut again = vec![0u8; text.len()];
        prop_assert_eq!(back.encode_text(&mut again), Ok(text.len()));
        prop_assert_eq!(&again, text.as_bytes());
        let mut bin = vec![0u8; data.len()];
        prop_assert_eq!(back.encode(&mut bin), Ok((FrameKind::Binary, data.len())));
        prop_assert_eq!(&bin, &data);
    }

    /// Binary data on anything but a message cannot be encoded.
    #[test]
    fn binary_data_only_on_messages(
        kind in select(KINDS.to_vec()).prop_filter("not message", |k| *k != EngineKind::Message),
        data in bytes(8),
    ) {
        let p = EnginePacket { kind, data: EngineData::Binary(&data) };
        let bad = EncodeError::Invalid(DecodeErrorKind::UnknownEnginePacketType);
        prop_assert_eq!(p.encode(&mut [0u8; 64]), Err(bad));
        prop_assert_eq!(p.encode_text(&mut [0u8; 64]), Err(bad));
    }

    #[test]
    fn polling_payload_roundtrip(packets in prop::collection::vec(payload_packet(), 1..8)) {
        let borrowed: Vec<EnginePacket<'_>> = packets.iter().map(OwnedEngine::packet).collect();
        let needed = match encode_payload(&borrowed, &mut []) {
            Err(EncodeError::BufferTooSmall { needed }) => needed,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        let mut buf = vec![0u8; needed];
        prop_assert_eq!(encode_payload(&borrowed, &mut buf), Ok(needed));
        let text = std::str::from_utf8(&buf).unwrap();
        prop_assert_eq!(text.matches(RECORD_SEPARATOR).count(), packets.len() - 1);

        let mut dec = PayloadDecoder::new(text, &Limits::DEFAULT);
        for expected in &packets {
            let got = dec.next().expect("one record per packet").expect("record decodes");
            same(&got, expected)?;
        }
        prop_assert!(dec.next().is_none());
        prop_assert!(dec.next().is_none());
    }

    /// A handshake as a server writes it (fields in any order, unknown fields among them)
    /// parses to the values it was written from.
    #[test]
    fn handshake_parses_what_a_server_writes(
        sid in "[A-Za-z0-9_-]{1,24}",
        upgrades in prop::collection::vec(select(vec!["websocket", "webtransport", "polling"]), 0..=4),
        ping_interval in any::<u32>(),
        ping_timeout in any::<u32>(),
        max_payload in any::<u64>(),
        extra in prop::collection::vec(("[a-z]{1,6}", json_value(2)), 0..3),
        order in Just((0..5).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let fields = [
            format!("\"sid\":{}", compact(&sid.clone().into())),
            format!("\"upgrades\":{}", compact(&upgrades.clone().into())),
            format!("\"pingInterval\":{ping_interval}"),
            format!("\"pingTimeout\":{ping_timeout}"),
            format!("\"maxPayload\":{max_payload}"),
        ];
        let known = ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"];
        let mut parts: Vec<String> = order.iter().map(|&i| fields[i].clone()).collect();
        for (k, v) in extra.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
            parts.insert(parts.len() / 2, format!("{}:{}", compact(&k.clone().into()), compact(v)));
        }
        let json = format!("{{{}}}", parts.join(","));
        let h = Handshake::parse(&json);
        prop_assert!(h.is_ok(), "{} -> {:?}", json, h);
        let h = h.unwrap();
        prop_assert_eq!(h.sid, sid.as_str());
        prop_assert_eq!(&h.upgrades[..], &upgrades[..]);
        prop_assert_eq!(
            (h.ping_interval, h.ping_timeout, h.max_payload),
            (ping_interval, ping_timeout, max_payload)
        );
        prop_assert_eq!(
            h.heartbeat_timeout_ms(),
            u64::from(ping_interval) + u64::from(ping_timeout)
        );
    }
}
