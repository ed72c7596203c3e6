//! Properties of the decoding limits: nesting depth, attachment count, frame length, ack
//! id range and reassembly storage, each tested at its exact boundary, and applied the
//! same way by the encoders.
//!
//! How depth is counted (json.rs `scan`): every `[` or `{` opens one level, and opening
//! a container when `max_depth` levels are already open is `NestingTooDeep` at that
//! bracket. So `max_depth` containers nested inside each other are accepted and one more
//! is not; scalars add no level. A Socket.IO payload counts from its top-level value, so
//! an event's arguments may nest `max_depth - 1` deep. `max_depth` is clamped to
//! `MAX_DEPTH_LIMIT` (64).

mod properties_support;

use properties_support::*;
use proptest::prelude::*;
use tidings::wire::{
    DecodeError, DecodeErrorKind, Decoded, EncodeError, EngineData, EnginePacket, Frame, Limits, OutgoingEvent, Packet,
    PacketKind, PayloadDecoder, SocketDecoder, MAX_ACK_ID, MAX_ATTACHMENTS_LIMIT, MAX_DEPTH_LIMIT,
};

use DecodeErrorKind::*;

fn depth_limits(max_depth: u8) -> Limits {
    Limits { max_depth, ..Limits::DEFAULT }
}

/// `depth` containers nested inside each other (`true` = object), innermost empty, with
/// optional whitespace after each opening bracket. Returns the text and the byte offset
/// of each opening bracket.
fn nested(kinds: &[bool], spaced: bool) -> (String, Vec<usize>) {
    let mut s = String::new();
    let mut opens = vec![];
    for (i, &is_object) in kinds.iter().enumerate() {
        opens.push(s.len());
        s.push(if is_object { '{' } else { '[' });
        if spaced {
            s.push(' ');
        }
        if i + 1 < kinds.len() && is_object {
            s.push_str("\"k\":");
        }
    }
    for &is_object in kinds.iter().rev() {
        s.push(if is_object { '}' } else { ']' });
    }
    (s, opens)
}

fn any_depth_limit() -> impl Strategy<Value = u8> {
    prop_oneof![0u8..=70, Just(MAX_DEPTH_LIMIT), Just(255u8), any::<u8>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// CONNECT `{"k":{"k":...{}}}`: accepted iff its depth is at most the limit; else
    /// NestingTooDeep at the first bracket beyond it.
    #[test]
    fn depth_limit_is_exact_for_objects(max_depth in any_depth_limit(), depth in 1usize..=72, spaced in any::<bool>()) {
        let limit = usize::from(max_depth.min(MAX_DEPTH_LIMIT));
        let (payload, opens) = nested(&vec![true; depth], spaced);
        let text = format!("0{payload}");
        let r = Packet::decode(&text, &depth_limits(max_depth));
        if depth <= limit {
            prop_assert_eq!(r.map(|p| p.payload), Ok(Some(payload.as_str())));
        } else {
            prop_assert_eq!(r, Err(DecodeError { kind: NestingTooDeep, offset: 1 + opens[limit] }));
        }
    }

    /// An event's arguments: the event array is one level, so arguments nest one less.
    /// Mixed arrays and objects; the encoders (Packet and OutgoingEvent) agree.
    #[test]
    fn depth_limit_is_exact_for_event_arguments(
        max_depth in any_depth_limit(),
        kinds in prop::collection::vec(any::<bool>(), 0..=70),
        spaced in any::<bool>(),
    ) {
        let limits = depth_limits(max_depth);
        let limit = usize::from(max_depth.min(MAX_DEPTH_LIMIT));
        let (arg, opens) = nested(&kinds, spaced);
        let arg = if kinds.is_empty() { "7".to_string() } else { arg };
        let payload = format!("[\"e\",{arg}]");
        let text = format!("2{payload}");
        let total = kinds.len() + 1;
        let r = Packet::decode(&text, &limits);
        if total <= limit {
            prop_assert!(r.is_ok(), "{:?}", r);
        } else if limit == 0 {
            prop_assert_eq!(r, Err(DecodeError { kind: NestingTooDeep, offset: 1 }));
        } else {
            // The argument starts at byte 6 of the text: `2["e",`.
            let offset = 6 + opens[limit - 1];
            prop_assert_eq!(r, Err(DecodeError { kind: NestingTooDeep, offset }));
        }

        let want = if total <= limit { Ok(text.len()) } else { Err(EncodeError::Invalid(NestingTooDeep)) };
        let p = Packet { kind: PacketKind::Event, namespace: "/", ack_id: None, attachments: 0, payload: Some(&payload) };
        let mut buf = vec![0u8; text.len()];
        prop_assert_eq!(p.encode_with(&mut buf, &limits, false), want);
        let args = [arg.as_str()];
        let ev = OutgoingEvent { namespace: "/", ack_id: None, name: "e", args: &args, attachments: 0 };
        let mut buf = vec![0u8; text.len()];
        prop_assert_eq!(ev.encode(&mut buf, &limits, false), want);
        if want.is_ok() {
            prop_assert_eq!(&buf, text.as_bytes());
        }
    }

    /// An ACK whose payload is only arrays: `3<id>[[...]]`.
    #[test]
    fn depth_limit_is_exact_for_ack_arrays(max_depth in any_depth_limit(), depth in 1usize..=72) {
        let limit = usize::from(max_depth.min(MAX_DEPTH_LIMIT));
        let text = format!("31{}{}", "[".repeat(depth), "]".repeat(depth));
        let r = Packet::decode(&text, &depth_limits(max_depth));
        if depth <= limit {
            prop_assert!(r.is_ok(), "{:?}", r);
        } else {
            prop_assert_eq!(r, Err(DecodeError { kind: NestingTooDeep, offset: 2 + limit }));
        }
    }

    /// A binary packet announcing `count` attachments: zero is invalid, up to the limit
    /// (clamped to MAX_ATTACHMENTS_LIMIT) is accepted, more is TooManyAttachments.
    #[test]
    fn attachment_limit_is_exact(
        max_attachments in prop_oneof![0u8..=40, Just(MAX_ATTACHMENTS_LIMIT), Just(255u8)],
        count in prop_oneof![0u64..=40, Just(255u64), Just(256u64), any::<u64>()],
        zeros in 0usize..3,
        ack in any::<bool>(),
    ) {
        let limits = Limits { max_attachments, ..Limits::DEFAULT };
        let limit = u64::from(max_attachments.min(MAX_ATTACHMENTS_LIMIT));
        let text = if ack {
            format!("6{}{count}-/n,1[]", "0".repeat(zeros))
        } else {
            format!("5{}{count}-[\"e\"]", "0".repeat(zeros))
        };
        let r = Packet::decode(&text, &limits);
        if count == 0 {
            prop_assert_eq!(r, Err(DecodeError { kind: InvalidAttachmentCount, offset: 1 }));
        } else if count <= limit {
            prop_assert_eq!(r.map(|p| u64::from(p.attachments)), Ok(count));
        } else {
            prop_assert_eq!(r, Err(DecodeError { kind: TooManyAttachments, offset: 1 }));
        }

        // The encoder applies the same rule.
        if let Ok(n) = u8::try_from(count) {
            let p = Packet {
                kind: if ack { PacketKind::BinaryAck } else { PacketKind::BinaryEvent },
                namespace: "/",
                ack_id: ack.then_some(1),
                attachments: n,
                payload: Some(if ack { "[]" } else { "[\"e\"]" }),
            };
            let r = p.encode_with(&mut [0u8; 64], &limits, false);
            match count {
                0 => prop_assert_eq!(r, Err(EncodeError::Invalid(InvalidAttachmentCount))),
                c if c <= limit => prop_assert!(r.is_ok(), "{:?}", r),
                _ => prop_assert_eq!(r, Err(EncodeError::Invalid(TooManyAttachments))),
            }
        }
    }

    /// Frames and packets longer than max_frame_len are FrameTooLarge (offset = the
    /// limit); at or under it the limit changes nothing.
    #[test]
    fn frame_length_limit_is_exact(text in engine_ish(), max_frame_len in 0usize..80) {
        let limits = Limits { max_frame_len, ..Limits::DEFAULT };
        let too_large = DecodeError { kind: FrameTooLarge, offset: max_frame_len };
        let fits = text.len() <= max_frame_len;

        let e = EnginePacket::decode(Frame::Text(&text), &limits);
        let b = EnginePacket::decode(Frame::Binary(text.as_bytes()), &limits);
        let p = Packet::decode(&text, &limits);
        if fits {
            prop_assert_eq!(e, EnginePacket::decode(Frame::Text(&text), &Limits::DEFAULT));
            prop_assert_eq!(b.map(|x| x.data), Ok(EngineData::Binary(text.as_bytes())));
            prop_assert_eq!(p, Packet::decode(&text, &Limits::DEFAULT));
        } else {
            prop_assert_eq!(e, Err(too_large));
            prop_assert_eq!(b, Err(too_large));
            prop_assert_eq!(p, Err(too_large));
        }

        // Polling: the limit applies to each record; offsets count from the payload start.
        let payload = format!("6\u{1e}{text}");
        let mut dec = PayloadDecoder::new(&payload, &limits);
        let mut at = 0;
        for rec in payload.split('\u{1e}') {
            let got = dec.next().expect("one item per record until an error");
            let want = if rec.len() > max_frame_len {
                Err(DecodeError { kind: FrameTooLarge, offset: max_frame_len + at })
            } else {
                EnginePacket::decode_text(rec, &Limits::DEFAULT)
                    .map_err(|e| DecodeError { offset: e.offset + at, ..e })
            };
            prop_assert_eq!(got, want);
            if got.is_err() {
                break;
            }
            at += rec.len() + 1;
        }
        prop_assert!(dec.next().is_none());
    }

    /// Whatever an encoder writes under some limits, the decoder accepts under the same
    /// limits ("nothing this crate writes would be refused by a decoder").
    ///
    /// Fails today: `Packet::validate` compares only the *payload* with `max_frame_len`,
    /// while `Packet::decode` compares the whole text. E.g. with `max_frame_len: 5`,
    /// `Packet { kind: Event, namespace: "/", payload: Some("[\"a\"]"), .. }` encodes to
    /// `2["a"]` (6 bytes), which decodes as FrameTooLarge.
    #[test]
    fn packet_encode_with_output_decodes_under_the_same_limits(
        op in packet(),
        max_frame_len in 0usize..400,
    ) {
        let limits = Limits { max_frame_len, ..Limits::DEFAULT };
        let p = op.packet();
        let mut buf = vec![0u8; p.encoded_len()];
        if let Ok(n) = p.encode_with(&mut buf, &limits, false) {
            let text = std::str::from_utf8(&buf[..n]).unwrap();
            prop_assert_eq!(Packet::decode(text, &limits), Ok(p), "{:?} under {:?}", text, limits);
        }
    }

    /// Fails today for the same reason: `OutgoingEvent::encode` checks each argument
    /// against `max_frame_len` but not the packet it writes.
    #[test]
    fn outgoing_event_output_decodes_under_the_same_limits(
        values in prop::collection::vec(json_value(2), 0..4),
        max_frame_len in 0usize..200,
    ) {
        let limits = Limits { max_frame_len, ..Limits::DEFAULT };
        let args: Vec<String> = values.iter().map(compact).collect();
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let ev = OutgoingEvent { namespace: "/", ack_id: None, name: "e", args: &arg_refs, attachments: 0 };
        let mut buf = vec![0u8; 4096];
        if let Ok(n) = ev.encode(&mut buf, &limits, false) {
            let text = std::str::from_utf8(&buf[..n]).unwrap();
            let r = Packet::decode(text, &limits);
            prop_assert!(r.is_ok(), "{:?} under {:?}: {:?}", text, limits, r);
        }
    }

    /// Ack ids up to MAX_ACK_ID (2^53 - 1) are accepted, with any leading zeros; anything
    /// above, including numbers that overflow u64, is AckIdTooLarge at the first digit.
    #[test]
    fn ack_id_limit_is_exact(
        id in prop_oneof![
            MAX_ACK_ID - 1000..=MAX_ACK_ID,
            MAX_ACK_ID + 1..=MAX_ACK_ID + 1000,
            Just(MAX_ACK_ID + 1),
            any::<u64>(),
        ],
        zeros in 0usize..4,
        extra_digits in "[0-9]{0,3}",
        ns in namespace(),
        ack in any::<bool>(),
    ) {
        let digits = format!("{}{id}{extra_digits}", "0".repeat(zeros));
        let head = if ns == "/" { String::new() } else { format!("{ns},") };
        let text = if ack { format!("3{head}{digits}[]") } else { format!("2{head}{digits}[\"e\"]") };
        let value: Option<u64> = digits.parse().ok(); // None: overflows u64
        let r = Packet::decode(&text, &Limits::DEFAULT);
        match value {
            Some(v) if v <= MAX_ACK_ID => prop_assert_eq!(r.map(|p| p.ack_id), Ok(Some(v))),
            _ => prop_assert_eq!(r, Err(DecodeError { kind: AckIdTooLarge, offset: 1 + head.len() })),
        }

        // The encoders refuse the same ids.
        let want_ok = id <= MAX_ACK_ID;
        let p = Packet {
            kind: if ack { PacketKind::Ack } else { PacketKind::Event },
            namespace: &ns,
            ack_id: Some(id),
            attachments: 0,
            payload: Some(if ack { "[]" } else { "[\"e\"]" }),
        };
        let r = p.encode(&mut [0u8; 256]);
        prop_assert_eq!(r.is_ok(), want_ok, "{:?}", r);
        if !want_ok {
            prop_assert_eq!(r, Err(EncodeError::Invalid(AckIdTooLarge)));
        }
        let ev = OutgoingEvent { namespace: &ns, ack_id: Some(id), name: "e", args: &[], attachments: 0 };
        let r = ev.encode(&mut [0u8; 256], &Limits::DEFAULT, true);
        prop_assert_eq!(r.is_ok(), want_ok, "{:?}", r);
        if !want_ok {
            prop_assert_eq!(r, Err(EncodeError::Invalid(AckIdTooLarge)));
        }
    }

    /// Reassembly holds nothing outside the caller's storage: a binary message succeeds
    /// iff header + attachments fit, and every byte handed back lies inside the storage.
    #[test]
    fn reassembly_stays_inside_storage(
        max_attachments in 1u8..=MAX_ATTACHMENTS_LIMIT,
        atts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..=usize::from(MAX_ATTACHMENTS_LIMIT)),
        slack in -40isize..40,
    ) {
        let limits = Limits { max_attachments, ..Limits::DEFAULT };
        let n = atts.len();
        let phs: Vec<String> = (0..n).map(|i| compact(&placeholder(i))).collect();
        let text = format!("5{n}-[\"f\",{}]", phs.join(","));
        let need = text.len() + atts.iter().map(Vec::len).sum::<usize>();
        let cap = need.saturating_add_signed(slack);
        let storage = vec![0u8; cap];
        let range = storage.as_ptr_range();
        let (lo, hi) = (range.start as usize, range.end as usize);
        let inside = |s: &[u8]| {
            let r = s.as_ptr_range();
            lo <= r.start as usize && r.end as usize <= hi
        };
        let mut dec = SocketDecoder::new(storage, limits);

        let first = dec.decode_text(&text);
        if n > usize::from(max_attachments) {
            prop_assert_eq!(first, Err(DecodeError { kind: TooManyAttachments, offset: 1 }));
            return Ok(());
        }
        if text.len() > cap {
            prop_assert_eq!(first, Err(DecodeError { kind: ReassemblyBufferFull, offset: cap }));
            return Ok(());
        }
        prop_assert!(first.is_ok());
        let mut used = text.len();
        for (i, a) in atts.iter().enumerate() {
            used += a.len();
            let r = dec.decode_binary(a);
            if used > cap {
                prop_assert_eq!(r, Err(DecodeError { kind: ReassemblyBufferFull, offset: cap }));
                prop_assert!(need > cap);
                return Ok(());
            }
            if i + 1 < n {
                prop_assert!(matches!(r, Ok(Decoded::NeedAttachments { .. })), "{:?}", r);
                continue;
            }
            let Ok(Decoded::Binary(bin)) = r else {
                return Err(TestCaseError::fail(format!("{r:?}")));
            };
            prop_assert!(need <= cap);
            prop_assert!(inside(bin.packet.payload.unwrap().as_bytes()));
            prop_assert!(inside(bin.packet.namespace.as_bytes()) || bin.packet.namespace == "/");
            prop_assert_eq!(bin.attachments.len(), n);
            for (j, a) in atts.iter().enumerate() {
                let got = bin.attachments.get(j).unwrap();
                prop_assert!(inside(got));
                prop_assert_eq!(got, &a[..]);
            }
        }
    }
}

#[test]
fn depth_boundaries_at_the_defaults() {
    let d = usize::from(Limits::DEFAULT.max_depth);
    // CONNECT: the object itself is level 1, so `d` objects fit and `d + 1` do not.
    let ok = format!("0{}", nested(&vec![true; d], false).0);
    let deep = format!("0{}", nested(&vec![true; d + 1], false).0);
    assert!(Packet::decode(&ok, &Limits::DEFAULT).is_ok());
    assert_eq!(Packet::decode(&deep, &Limits::DEFAULT).unwrap_err().kind, NestingTooDeep);
    // The hard ceiling: 64 levels with any larger limit, never 65.
    let max = depth_limits(255);
    let at = format!("31{}{}", "[".repeat(64), "]".repeat(64));
    let over = format!("31{}{}", "[".repeat(65), "]".repeat(65));
    assert!(Packet::decode(&at, &max).is_ok());
    assert_eq!(Packet::decode(&over, &max), Err(DecodeError { kind: NestingTooDeep, offset: 2 + 64 }));
}

/// The smallest cases of the encode/decode asymmetry in `max_frame_len` (see
/// `packet_encode_with_output_decodes_under_the_same_limits`).
#[test]
fn encoders_respect_max_frame_len() {
    let limits = Limits { max_frame_len: 5, ..Limits::DEFAULT };
    let p = Packet { kind: PacketKind::Event, namespace: "/", ack_id: None, attachments: 0, payload: Some("[\"a\"]") };
    let mut buf = [0u8; 16];
    if let Ok(n) = p.encode_with(&mut buf, &limits, false) {
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(Packet::decode(text, &limits), Ok(p), "{text}");
    }
    let ev = OutgoingEvent { namespace: "/", ack_id: None, name: "e", args: &["1", "2"], attachments: 0 };
    if let Ok(n) = ev.encode(&mut buf, &limits, false) {
        let text = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(Packet::decode(text, &limits).is_ok(), "{text}");
    }
}

#[test]
fn ack_id_boundaries() {
    let ok = format!("2{MAX_ACK_ID}[\"e\"]");
    assert_eq!(Packet::decode(&ok, &Limits::DEFAULT).unwrap().ack_id, Some(MAX_ACK_ID));
    let over = format!("2{}[\"e\"]", MAX_ACK_ID + 1);
    assert_eq!(Packet::decode(&over, &Limits::DEFAULT), Err(DecodeError { kind: AckIdTooLarge, offset: 1 }));
}
