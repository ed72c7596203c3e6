//! Property: every valid Socket.IO packet survives `Packet::encode` → `Packet::decode`,
//! `encoded_len` is exact, a buffer one byte short reports the exact size, and the
//! event / ack arguments read back are the ones written. Same for `OutgoingEvent`.

mod properties_support;

use properties_support::*;
use proptest::prelude::*;
use serde_json::Value;
use tidings::wire::{
    EncodeError, EventName, JsonKind, Limits, OutgoingEvent, Packet, PacketKind, RESERVED_EVENT_NAMES,
};

fn kind_of(v: &Value) -> JsonKind {
    match v {
        Value::Null => JsonKind::Null,
        Value::Bool(_) => JsonKind::Bool,
        Value::Number(_) => JsonKind::Number,
        Value::String(_) => JsonKind::String,
        Value::Array(_) => JsonKind::Array,
        Value::Object(_) => JsonKind::Object,
    }
}

/// Checks a decoded event name against the JSON value it was written from.
fn check_name(name: EventName<'_>, expected: &Value) -> Result<(), TestCaseError> {
    match (name, expected) {
        (EventName::Text(t), Value::String(s)) => {
            prop_assert!(t.eq_str(s), "name {t:?} != {s:?}");
            let mut buf = vec![0u8; s.len()];
            prop_assert_eq!(t.unescape_into(&mut buf), Some(s.as_str()));
            if !s.is_empty() {
                // One byte short of the unescaped length must not fit.
                let mut short = vec![0u8; s.len() - 1];
                prop_assert_eq!(t.unescape_into(&mut short), None);
            }
            prop_assert_eq!(t.chars().collect::<String>(), s.clone());
            prop_assert_eq!(t.to_string(), s.clone());
        }
        (EventName::Number(n), Value::Number(_)) => {
            prop_assert_eq!(n, compact(expected));
        }
        (name, expected) => prop_assert!(false, "name {name:?} decoded from {expected}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn packet_encode_decode_roundtrip(op in packet()) {
        let p = op.packet();
        let len = p.encoded_len();
        let mut buf = vec![0u8; len + 8];
        let n = p.encode(&mut buf).expect("a generated packet is valid");
        prop_assert_eq!(n, len, "encoded_len is exact");
        let text = std::str::from_utf8(&buf[..n]).unwrap().to_string();

        // One byte short: nothing fits, and the exact size is reported.
        prop_assert_eq!(
            p.encode(&mut buf[..len - 1]),
            Err(EncodeError::BufferTooSmall { needed: len })
        );
        prop_assert_eq!(p.encode(&mut buf[..len]), Ok(len));

        // The frame form is the same text behind the Engine.IO message type.
        let mut frame = vec![0u8; len + 1];
        prop_assert_eq!(p.encode_frame(&mut frame), Ok(len + 1));
        prop_assert_eq!(frame[0], b'4');
        prop_assert_eq!(&frame[1..], text.as_bytes());
        prop_assert_eq!(
            p.encode_frame(&mut frame[..len]),
            Err(EncodeError::BufferTooSmall { needed: len + 1 })
        );

        let back = Packet::decode(&text, &Limits::DEFAULT);
        prop_assert_eq!(back, Ok(p), "text {:?}", text);
        prop_assert_eq!(p.validate(&Limits::DEFAULT), Ok(()));

        // Event / ack arguments read back as written, byte for byte.
        let back = back.unwrap();
        if op.kind.is_event() {
            prop_assert!(back.ack_args().is_none());
            let ev = back.event().expect("an event has a name");
            check_name(ev.name, op.name.as_ref().unwrap())?;
            let args: Vec<_> = ev.args.collect();
            let raws: Vec<&str> = args.iter().map(|a| a.raw).collect();
            prop_assert_eq!(&raws, &op.args);
            for a in &args {
                let v: Value = serde_json::from_str(a.raw).unwrap();
                prop_assert_eq!(a.kind, kind_of(&v));
                if let (Some(js), Value::String(s)) = (a.as_str(), &v) {
                    prop_assert!(js.eq_str(s));
                }
            }
        } else if op.kind.is_ack() {
            prop_assert!(back.event().is_none());
            let raws: Vec<&str> = back.ack_args().expect("an ack has args").map(|a| a.raw).collect();
            prop_assert_eq!(&raws, &op.args);
        } else {
            prop_assert!(back.event().is_none());
            prop_assert!(back.ack_args().is_none());
        }
    }

    #[test]
    fn outgoing_event_roundtrip(
        namespace in namespace(),
        ack_id in prop::option::of(ack_id()),
        name in tricky_string(16)
            .prop_filter("not reserved", |s| !RESERVED_EVENT_NAMES.contains(&s.as_str())),
        values in prop::collection::vec(json_value(VALUE_DEPTH), 0..5),
        engine_prefix in any::<bool>(),
    ) {
        let args: Vec<String> = values.iter().map(compact).collect();
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let ev = OutgoingEvent { namespace: &namespace, ack_id, name: &name, args: &arg_refs, attachments: 0 };
        let limits = Limits::DEFAULT;

        // Measure with an empty buffer, then write exactly.
        let needed = match ev.encode(&mut [], &limits, engine_prefix) {
            Err(EncodeError::BufferTooSmall { needed }) => needed,
            other => return Err(TestCaseError::fail(format!("empty buffer: {other:?}"))),
        };
        let mut buf = vec![0u8; needed];
        prop_assert_eq!(ev.encode(&mut buf, &limits, engine_prefix), Ok(needed));
        prop_assert_eq!(
            ev.encode(&mut buf[..needed - 1], &limits, engine_prefix),
            Err(EncodeError::BufferTooSmall { needed })
        );
        let text = std::str::from_utf8(&buf).unwrap();
        let socket_text = if engine_prefix {
            prop_assert!(text.starts_with('4'));
            &text[1..]
        } else {
            text
        };

        // What OutgoingEvent writes is what serde_json would have written.
        let mut expected_payload = vec![compact(&Value::String(name.clone()))];
        expected_payload.extend(args.iter().cloned());
        let back = Packet::decode(socket_text, &limits).expect("an outgoing event decodes");
        prop_assert_eq!(back.kind, PacketKind::Event);
        prop_assert_eq!(back.namespace, namespace.as_str());
        prop_assert_eq!(back.ack_id, ack_id);
        prop_assert_eq!(back.attachments, 0);
        let payload: Value = serde_json::from_str(back.payload.unwrap()).unwrap();
        prop_assert_eq!(
            payload,
            serde_json::from_str::<Value>(&json_array(&expected_payload)).unwrap()
        );

        let decoded = back.event().unwrap();
        check_name(decoded.name, &Value::String(name.clone()))?;
        let raws: Vec<&str> = decoded.args.map(|a| a.raw).collect();
        prop_assert_eq!(raws, arg_refs);
    }

    /// An `OutgoingEvent` and the equivalent `Packet` write the same bytes.
    #[test]
    fn outgoing_event_matches_packet_encoding(
        namespace in namespace(),
        ack_id in prop::option::of(ack_id()),
        name in tricky_string(8)
            .prop_filter("not reserved", |s| !RESERVED_EVENT_NAMES.contains(&s.as_str())),
        values in prop::collection::vec(json_value(3), 0..4),
    ) {
        let args: Vec<String> = values.iter().map(compact).collect();
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut elems = vec![compact(&Value::String(name.clone()))];
        elems.extend(args.iter().cloned());
        let payload = json_array(&elems);
        let p = Packet {
            kind: PacketKind::Event,
            namespace: &namespace,
            ack_id,
            attachments: 0,
            payload: Some(&payload),
        };
        let ev = OutgoingEvent { namespace: &namespace, ack_id, name: &name, args: &arg_refs, attachments: 0 };
        let mut a = vec![0u8; 4096];
        let mut b = vec![0u8; 4096];
        let na = p.encode_frame(&mut a).unwrap();
        let nb = ev.encode(&mut b, &Limits::DEFAULT, true).unwrap();
        prop_assert_eq!(&a[..na], &b[..nb]);
    }

    /// An `OutgoingEvent` with attachments is a BINARY_EVENT: `5<n>-...`, the given
    /// arguments followed by one placeholder per attachment, and it reassembles.
    #[test]
    fn outgoing_binary_event_roundtrip(
        namespace in namespace(),
        ack_id in prop::option::of(ack_id()),
        name in tricky_string(8)
            .prop_filter("not reserved", |s| !RESERVED_EVENT_NAMES.contains(&s.as_str())),
        values in prop::collection::vec(json_value(3).prop_map(strip_placeholders), 0..4),
        attachments in 1u8..=Limits::DEFAULT.max_attachments,
    ) {
        let args: Vec<String> = values.iter().map(compact).collect();
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let ev = OutgoingEvent { namespace: &namespace, ack_id, name: &name, args: &arg_refs, attachments };
        let mut buf = vec![0u8; 8192];
        let n = ev.encode(&mut buf, &Limits::DEFAULT, false).unwrap();
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        let back = Packet::decode(text, &Limits::DEFAULT);
        prop_assert!(back.is_ok(), "{:?} -> {:?}", text, back);
        let back = back.unwrap();
        prop_assert_eq!(back.kind, PacketKind::BinaryEvent, "{}", text);
        prop_assert_eq!(back.attachments, attachments);
        prop_assert_eq!(back.namespace, namespace.as_str());
        prop_assert_eq!(back.ack_id, ack_id);
        let ev_back = back.event().unwrap();
        check_name(ev_back.name, &Value::String(name.clone()))?;
        let mut want = args.clone();
        want.extend((0..usize::from(attachments)).map(|i| compact(&placeholder(i))));
        let raws: Vec<&str> = ev_back.args.map(|a| a.raw).collect();
        prop_assert_eq!(raws, want);
    }

    /// More attachments than the limit are refused, as the decoder would.
    #[test]
    fn outgoing_event_attachment_limit(
        max_attachments in 0u8..=40,
        attachments in 1u8..=40,
    ) {
        let limits = Limits { max_attachments, ..Limits::DEFAULT };
        let ev = OutgoingEvent { namespace: "/", ack_id: None, name: "e", args: &[], attachments };
        let r = ev.encode(&mut [0u8; 2048], &limits, false);
        let limit = max_attachments.min(tidings::wire::MAX_ATTACHMENTS_LIMIT);
        if attachments <= limit {
            prop_assert!(r.is_ok(), "{:?}", r);
        } else {
            prop_assert_eq!(r, Err(EncodeError::Invalid(tidings::wire::DecodeErrorKind::TooManyAttachments)));
        }
    }

    /// Whatever `OutgoingEvent::encode` writes decodes, also when an argument contains
    /// something that looks like a placeholder.
    ///
    /// Fails today: arguments are checked without placeholder rules, but a BINARY_EVENT's
    /// payload is decoded with them, so `OutgoingEvent { args: &[r#"{"_placeholder":true,"num":5}"#],
    /// attachments: 1, .. }` encodes to `51-["e",{"_placeholder":true,"num":5},{"_placeholder":true,"num":0}]`,
    /// which decodes as InvalidPlaceholder.
    #[test]
    fn outgoing_event_output_always_decodes(
        values in prop::collection::vec(prop_oneof![
            3 => json_value(2),
            1 => (0usize..4).prop_map(placeholder),
        ], 0..4),
        attachments in 0u8..=3,
    ) {
        let args: Vec<String> = values.iter().map(compact).collect();
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let ev = OutgoingEvent { namespace: "/", ack_id: None, name: "e", args: &arg_refs, attachments };
        let mut buf = vec![0u8; 4096];
        if let Ok(n) = ev.encode(&mut buf, &Limits::DEFAULT, false) {
            let text = std::str::from_utf8(&buf[..n]).unwrap();
            let r = Packet::decode(text, &Limits::DEFAULT);
            prop_assert!(r.is_ok(), "{:?} -> {:?}", text, r);
        }
    }
}
