//! Property: the payload JSON validator agrees with serde_json.
//!
//! For a string `s`, the CONNECT packet `"0" + s` must decode without `InvalidJson` /
//! `NestingTooDeep` iff serde_json parses `s` as a `Value` and `s` does not start with
//! whitespace (a documented difference: a Socket.IO payload must start at its value).
//!
//! Known, accounted-for differences from `serde_json::from_str::<Value>`:
//! - Lone surrogate escapes (`"\ud800"`, `"\udc00"`, `"\ud800\u0041"`): `JSON.parse`,
//!   and so the scanner, accept them; serde_json refuses them when building a `String`
//!   ("lone leading surrogate in hex escape" / "unexpected end of hex escape").
//! - Numbers out of f64 range (`1e400`): `JSON.parse` gives `Infinity`, the scanner
//!   accepts them; serde_json refuses them ("number out of range").
//!   For these two, serde_json's syntax-only path (`IgnoredAny`, which checks neither)
//!   is the oracle instead.
//! - Nesting: serde_json stops at 128 levels; the scanner at `max_depth` (default 32,
//!   at most 64). Inputs here have at most 64 opening brackets in total and are checked
//!   with `max_depth: 64`, so neither limit can be reached; the default limit is
//!   checked separately on values nesting less than 32 deep.
//! - A CONNECT text starting with `/` is a namespace, not a payload, and `"0"` alone is a
//!   CONNECT without payload: such inputs are outside the comparison.

mod properties_support;

use properties_support::*;
use proptest::prelude::*;
use serde::de::IgnoredAny;
use serde_json::Value;
use tidings::wire::{DecodeErrorKind, Limits, Packet, PacketKind, MAX_DEPTH_LIMIT};

const DEEP: Limits = Limits { max_depth: MAX_DEPTH_LIMIT, ..Limits::DEFAULT };

/// Whether serde_json accepts `s` as JSON, with the documented differences accounted for.
fn oracle_accepts(s: &str) -> bool {
    match serde_json::from_str::<Value>(s) {
        Ok(_) => true,
        Err(e) => {
            let msg = e.to_string();
            let js_parse_accepts = msg.starts_with("lone leading surrogate in hex escape")
                || msg.starts_with("unexpected end of hex escape")
                || msg.starts_with("number out of range");
            js_parse_accepts && serde_json::from_str::<IgnoredAny>(s).is_ok()
        }
    }
}

fn in_scope(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && s.bytes().filter(|&b| b == b'[' || b == b'{').count() <= usize::from(MAX_DEPTH_LIMIT)
}

/// Decodes `"0" + s`; true iff the payload's JSON itself was accepted.
fn scanner_accepts(s: &str, limits: &Limits) -> Result<bool, TestCaseError> {
    let text = format!("0{s}");
    match Packet::decode(&text, limits) {
        Ok(p) => {
            prop_assert_eq!(p.kind, PacketKind::Connect);
            prop_assert_eq!(p.payload, Some(s));
            Ok(true)
        }
        Err(e) => match e.kind {
            DecodeErrorKind::InvalidJson | DecodeErrorKind::NestingTooDeep => {
                prop_assert!(e.offset >= 1 && e.offset <= text.len(), "offset {:?}", e);
                Ok(false)
            }
            // The JSON was fine; only the CONNECT shape (an object) was not.
            DecodeErrorKind::InvalidPayloadShape => Ok(true),
            other => Err(TestCaseError::fail(format!("{s:?}: unexpected {other:?}"))),
        },
    }
}

fn check(s: &str) -> Result<(), TestCaseError> {
    prop_assume!(in_scope(s));
    let leading_ws = s.starts_with([' ', '\t', '\n', '\r']);
    let expected = oracle_accepts(s) && !leading_ws;
    let got = scanner_accepts(s, &DEEP)?;
    prop_assert_eq!(got, expected, "payload {:?}", s);
    // With the JSON accepted, the shape rule is exactly "an object".
    if got {
        let is_object = s.starts_with('{');
        prop_assert_eq!(Packet::decode(&format!("0{s}"), &DEEP).is_ok(), is_object);
    }
    Ok(())
}

/// Valid JSON, sometimes padded with whitespace (inside, around), then mutated.
fn mutated_json() -> impl Strategy<Value = String> {
    (
        json_value(6),
        any::<bool>(),
        prop::collection::vec((0u8..3, any::<prop::sample::Index>(), prop::sample::select(FRAGMENTS)), 0..3),
    )
        .prop_map(|(v, pretty, edits)| {
            let s = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { compact(&v) };
            edits.into_iter().fold(s, |s, (op, at, frag)| mutate(&s, op, at, frag))
        })
}

/// JSON-ish text built from tokens, so that near-valid strings are common.
fn json_tokens() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        4 => prop::sample::select(vec![
            "{", "}", "[", "]", ",", ":", "\"", "\"a\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
            "\"\\ud800\"", "\"\\udc00x\"", "\"\\x\"", "\"\\u12\"", "\"\\/\"", "\"\\\\\"",
            "true", "false", "null", "nul", "0", "-0", "01", "1.5", "1.", ".5", "-", "1e5",
            "1E+2", "1e-", "2e400", "-1e400", "123456789012345678901234567890", " ", "\t",
            "\n", "\r", "\u{b}", "\u{c}", "\u{a0}", "\u{0}", "\u{7f}", "é",
        ]).prop_map(String::from),
        1 => tricky_string(3).prop_map(|s| compact(&Value::String(s))),
        1 => tricky_string(2),
    ];
    prop::collection::vec(token, 1..16).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn validator_agrees_with_serde_json_on_tokens(s in json_tokens()) {
        check(&s)?;
    }

    #[test]
    fn validator_agrees_with_serde_json_on_mutated_json(s in mutated_json()) {
        check(&s)?;
    }

    #[test]
    fn validator_agrees_with_serde_json_on_arbitrary_strings(
        s in prop_oneof![any::<String>(), socketio_ish(16), tricky_string(24)],
    ) {
        check(&s)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Under the default limits (depth 32), every valid JSON object that nests less than
    /// 32 deep is accepted exactly as serde_json wrote it.
    #[test]
    fn serialized_objects_are_accepted_with_default_limits(v in json_object(8)) {
        prop_assume!(depth_of(&v) <= usize::from(Limits::DEFAULT.max_depth));
        for s in [compact(&v), serde_json::to_string_pretty(&v).unwrap()] {
            let text = format!("0{s}");
            let p = Packet::decode(&text, &Limits::DEFAULT);
            prop_assert_eq!(p.map(|p| p.payload), Ok(Some(s.as_str())));
        }
    }
}

/// The differences documented above, pinned.
#[test]
fn documented_differences_from_serde_json() {
    for s in [r#"{"a":"\ud800"}"#, r#"{"a":"\udc00"}"#, r#"{"a":"\ud800\u0041"}"#, r#"{"a":1e400}"#] {
        assert!(serde_json::from_str::<Value>(s).is_err(), "{s}");
        assert!(oracle_accepts(s), "{s}");
        assert!(Packet::decode(&format!("0{s}"), &Limits::DEFAULT).is_ok(), "{s}");
    }
    // Leading whitespace: JSON, but not a payload.
    assert!(serde_json::from_str::<Value>(" {}").is_ok());
    assert_eq!(Packet::decode("0 {}", &Limits::DEFAULT).unwrap_err().kind, DecodeErrorKind::InvalidJson);
    // Trailing whitespace is fine for both.
    assert!(Packet::decode("0{} \n", &Limits::DEFAULT).is_ok());
}
