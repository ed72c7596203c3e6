//! Properties of binary reassembly through `SocketDecoder`: a header and its attachment
//! frames come back as the same packet and the same bytes; a text frame in the middle or
//! storage that is too small is an error that resets the decoder, after which the next
//! packet decodes normally.

mod properties_support;

use properties_support::*;
use proptest::prelude::*;
use tidings::wire::{DecodeError, DecodeErrorKind, Decoded, Limits, Packet, PacketKind, SocketDecoder};

fn attachment_bytes(n: u8) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), usize::from(n))
}

/// A binary packet's header text and attachments.
fn binary_message(max: u8) -> impl Strategy<Value = (OwnedPacket, String, Vec<Vec<u8>>)> {
    binary_packet(max).prop_flat_map(|p| {
        let text = encode_to_string(&p.packet());
        let n = p.attachments;
        (Just(p), Just(text), attachment_bytes(n))
    })
}

/// Feeds a whole binary message; checks every step and the reassembled result.
fn feed_whole<S: AsRef<[u8]> + AsMut<[u8]>>(
    dec: &mut SocketDecoder<S>,
    header: &Packet<'_>,
    text: &str,
    atts: &[Vec<u8>],
) -> Result<(), TestCaseError> {
    let n = atts.len() as u8;
    prop_assert_eq!(dec.decode_text(text), Ok(Decoded::NeedAttachments { received: 0, expected: n }));
    prop_assert!(dec.is_collecting());
    for (i, a) in atts.iter().enumerate() {
        let got = dec.decode_binary(a).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        if i + 1 < atts.len() {
            prop_assert_eq!(got, Decoded::NeedAttachments { received: i as u8 + 1, expected: n });
            continue;
        }
        let Decoded::Binary(bin) = got else {
            return Err(TestCaseError::fail(format!("not complete: {got:?}")));
        };
        prop_assert_eq!(bin.packet, *header);
        prop_assert_eq!(bin.attachments.len(), atts.len());
        prop_assert!(!bin.attachments.is_empty());
        for (j, expected) in atts.iter().enumerate() {
            prop_assert_eq!(bin.attachments.get(j), Some(&expected[..]));
        }
        prop_assert_eq!(bin.attachments.get(atts.len()), None);
        let all: Vec<&[u8]> = bin.attachments.iter().collect();
        let expected: Vec<&[u8]> = atts.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(all, expected);
    }
    prop_assert!(!dec.is_collecting());
    Ok(())
}

fn storage_needed(text: &str, atts: &[Vec<u8>]) -> usize {
    text.len() + atts.iter().map(Vec::len).sum::<usize>()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn reassembles_header_and_attachments((p, text, atts) in binary_message(10)) {
        let mut dec = SocketDecoder::new(vec![0u8; 8192], Limits::DEFAULT);
        feed_whole(&mut dec, &p.packet(), &text, &atts)?;
        // The decoder is ready for the next message, and storage is reused.
        feed_whole(&mut dec, &p.packet(), &text, &atts)?;
        prop_assert_eq!(
            dec.decode_text("2[\"after\"]").map(|d| matches!(d, Decoded::Packet(_))),
            Ok(true)
        );
    }

    /// Storage of exactly the size needed is enough (on a fixed array too).
    #[test]
    fn exact_storage_is_enough((p, text, atts) in binary_message(4)) {
        let need = storage_needed(&text, &atts);
        let mut dec = SocketDecoder::new(vec![0u8; need], Limits::DEFAULT);
        feed_whole(&mut dec, &p.packet(), &text, &atts)?;
        if need <= 2048 {
            let mut arr = SocketDecoder::new([0u8; 2048], Limits::DEFAULT);
            feed_whole(&mut arr, &p.packet(), &text, &atts)?;
        }
    }

    /// Non-binary packets pass straight through, borrowed from the text.
    #[test]
    fn non_binary_packets_pass_through(op in packet()) {
        prop_assume!(!op.kind.is_binary());
        let text = encode_to_string(&op.packet());
        let mut dec = SocketDecoder::new([0u8; 0], Limits::DEFAULT);
        prop_assert_eq!(dec.decode_text(&text), Ok(Decoded::Packet(op.packet())));
        prop_assert!(!dec.is_collecting());
    }

    #[test]
    fn text_in_the_middle_resets(
        (p, text, atts) in binary_message(10),
        cut in any::<prop::sample::Index>(),
        intruder in prop_oneof![
            Just("2[\"x\"]".to_string()),
            Just("".to_string()),
            socketio_ish(6),
            mutated_packet_text(),
        ],
    ) {
        let mut dec = SocketDecoder::new(vec![0u8; 8192], Limits::DEFAULT);
        let k = cut.index(atts.len()); // attachments delivered before the intruder: 0..n-1
        let r = dec.decode_text(&text);
        prop_assert!(matches!(r, Ok(Decoded::NeedAttachments { .. })), "{:?}", r);
        for a in &atts[..k] {
            let r = dec.decode_binary(a);
            prop_assert!(matches!(r, Ok(Decoded::NeedAttachments { .. })), "{:?}", r);
        }
        prop_assert!(dec.is_collecting());
        prop_assert_eq!(
            dec.decode_text(&intruder),
            Err(DecodeError { kind: DecodeErrorKind::UnexpectedText, offset: 0 })
        );
        prop_assert!(!dec.is_collecting());
        // The rest of the old message is now unexpected...
        if let Some(a) = atts.get(k) {
            prop_assert_eq!(
                dec.decode_binary(a),
                Err(DecodeError { kind: DecodeErrorKind::UnexpectedBinary, offset: 0 })
            );
        }
        // ...and a new message decodes from scratch.
        feed_whole(&mut dec, &p.packet(), &text, &atts)?;
    }

    #[test]
    fn reset_drops_a_partial_message(
        (p, text, atts) in binary_message(10),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut dec = SocketDecoder::new(vec![0u8; 8192], Limits::DEFAULT);
        let k = cut.index(atts.len());
        prop_assert!(dec.decode_text(&text).is_ok());
        for a in &atts[..k] {
            prop_assert!(dec.decode_binary(a).is_ok());
        }
        dec.reset();
        prop_assert!(!dec.is_collecting());
        feed_whole(&mut dec, &p.packet(), &text, &atts)?;
    }

    /// With storage smaller than header + attachments, the frame that would overflow it
    /// fails with ReassemblyBufferFull (offset = capacity), the decoder is reset, and the
    /// next packet decodes.
    #[test]
    fn storage_too_small_fails_and_resets(
        (_p, text, atts) in binary_message(6),
        short_by in 1usize..64,
    ) {
        let need = storage_needed(&text, &atts);
        let cap = need.saturating_sub(short_by);
        prop_assume!(cap < need);
        let mut dec = SocketDecoder::new(vec![0u8; cap], Limits::DEFAULT);
        let full = DecodeError { kind: DecodeErrorKind::ReassemblyBufferFull, offset: cap };

        let mut used = text.len();
        let mut failed_at = None;
        if used > cap {
            prop_assert_eq!(dec.decode_text(&text), Err(full));
            failed_at = Some(0);
        } else {
            prop_assert!(dec.decode_text(&text).is_ok());
            for (i, a) in atts.iter().enumerate() {
                used += a.len();
                let r = dec.decode_binary(a);
                if used > cap {
                    prop_assert_eq!(r, Err(full));
                    failed_at = Some(i + 1);
                    break;
                }
                prop_assert!(matches!(r, Ok(Decoded::NeedAttachments { .. })), "{:?}", r);
            }
        }
        prop_assert!(failed_at.is_some(), "never overflowed {} bytes with {}", cap, need);
        prop_assert!(!dec.is_collecting());
        // The next packet decodes fine: a plain one always, a binary one when it fits.
        let r = dec.decode_text("2/x,1[\"next\",{\"a\":[1]}]");
        prop_assert!(
            matches!(r, Ok(Decoded::Packet(q)) if q.kind == PacketKind::Event && q.ack_id == Some(1)),
            "{:?}", r
        );
        let small = "51-[\"s\",{\"_placeholder\":true,\"num\":0}]";
        if small.len() < cap {
            let q = Packet::decode(small, &Limits::DEFAULT).unwrap();
            feed_whole(&mut dec, &q, small, &[vec![7u8]])?;
        }
    }
}
