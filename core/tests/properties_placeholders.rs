//! Property: binary placeholders are judged as `JSON.parse` would read them.
//!
//! Model (serde_json `Value`, duplicate keys: last one wins, as in `JSON.parse`): an
//! object whose `_placeholder` is `true` stands for an attachment and must have a `num`
//! that is an integer-valued number in `0..attachments`; a BINARY_EVENT / BINARY_ACK
//! header decodes iff every such object does, else `InvalidPlaceholder`. (The reference
//! parser only checks `typeof num === "number" && num >= 0 && num < n`, so it lets
//! `num: 0.5` through and then reads `undefined`; requiring an integer is stricter on
//! purpose.)
//!
//! `plain_placeholders_match_the_model` uses keys and numbers spelled the usual way.
//! `placeholder_spellings_match_the_model` adds other spellings of the same JSON and
//! fails today; see its doc comment.

mod properties_support;

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;
use tidings::wire::{DecodeErrorKind, Limits, Packet};

/// One member of an object: raw key text (with quotes) and raw value text.
type Member = (String, String);

fn member(spellings: bool) -> impl Strategy<Value = Member> {
    let mut placeholder_keys = vec!["\"_placeholder\""];
    let mut num_keys = vec!["\"num\""];
    let mut nums = vec!["-1", "1.5", "\"0\"", "null", "true", "[0]", "1e3", "-2"];
    if spellings {
        placeholder_keys.extend(["\"_placeholde\\u0072\"", "\"\\u005fplaceholder\""]);
        num_keys.push("\"n\\u0075m\"");
        nums.extend(["0.0", "-0", "1e0", "1.0", "0e5", "10E-1"]);
    }
    prop_oneof![
        3 => (select(placeholder_keys), select(vec!["true", "true", "false", "null", "1", "\"true\"", "[true]"]))
            .prop_map(|(k, v)| (k.to_string(), v.to_string())),
        3 => (select(num_keys), prop_oneof![
                3 => (0u32..6).prop_map(|n| n.to_string()),
                1 => select(nums).prop_map(String::from),
            ])
            .prop_map(|(k, v)| (k.to_string(), v)),
        1 => (select(vec!["\"x\"", "\"name\"", "\"num \""]), select(vec!["0", "true", "\"s\"", "null", "[]", "{}"]))
            .prop_map(|(k, v)| (k.to_string(), v.to_string())),
    ]
}

fn object(spellings: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(member(spellings), 0..4).prop_map(move |members| {
        let mut seen: Vec<String> = vec![];
        let parts: Vec<String> = members
            .into_iter()
            // Without other spellings, no duplicate keys either.
            .filter(|(k, _)| {
                spellings || {
                    let fresh = !seen.contains(k);
                    seen.push(k.clone());
                    fresh
                }
            })
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        format!("{{{}}}", parts.join(","))
    })
}

/// A binary header with `n` attachments whose arguments are placeholder-ish objects,
/// some inside arrays or under a key of an ordinary object.
fn header(spellings: bool) -> impl Strategy<Value = (u8, String)> {
    (
        1u8..=4,
        any::<bool>(),
        prop::collection::vec(
            (object(spellings), 0u8..3).prop_map(|(o, wrap)| match wrap {
                0 => o,
                1 => format!("[1,{o}]"),
                _ => format!("{{\"file\":{o},\"n\":2}}"),
            }),
            0..4,
        ),
    )
        .prop_map(|(n, ack, args)| {
            let text = if ack {
                format!("6{n}-/ns,3[{}]", args.join(","))
            } else {
                let mut elems = vec!["\"up\"".to_string()];
                elems.extend(args);
                format!("5{n}-[{}]", elems.join(","))
            };
            (n, text)
        })
}

/// Whether every placeholder in `v` has an integer `num` in `0..n`, per the model.
fn placeholders_valid(v: &Value, n: u8) -> bool {
    match v {
        Value::Array(a) => a.iter().all(|e| placeholders_valid(e, n)),
        Value::Object(o) if o.get("_placeholder") == Some(&Value::Bool(true)) => {
            match o.get("num").and_then(Value::as_f64) {
                Some(num) => num.fract() == 0.0 && num >= 0.0 && num < f64::from(n),
                None => false,
            }
        }
        Value::Object(o) => o.values().all(|e| placeholders_valid(e, n)),
        _ => true,
    }
}

fn check(n: u8, text: &str) -> Result<(), TestCaseError> {
    let payload_at = text.find('[').unwrap();
    let model: Value = serde_json::from_str(&text[payload_at..]).expect("generated JSON is valid");
    let want = placeholders_valid(&model, n);
    let got = Packet::decode(text, &Limits::DEFAULT);
    if want {
        prop_assert!(got.is_ok(), "{} -> {:?}", text, got);
        prop_assert_eq!(got.unwrap().attachments, n);
    } else {
        prop_assert_eq!(got.map_err(|e| e.kind), Err(DecodeErrorKind::InvalidPlaceholder), "{}", text);
    }
    // The same payload on a non-binary packet is ordinary JSON.
    let plain = if text.starts_with('5') {
        format!("2{}", &text[payload_at..])
    } else {
        format!("3/ns,3{}", &text[payload_at..])
    };
    prop_assert!(Packet::decode(&plain, &Limits::DEFAULT).is_ok(), "{}", plain);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn plain_placeholders_match_the_model((n, text) in header(false)) {
        check(n, &text)?;
    }

    /// Fails today. The scanner recognises the keys `_placeholder` and `num` by their
    /// raw bytes and `num` only as a plain non-negative integer literal, so, unlike
    /// `JSON.parse`:
    /// - `51-["a",{"_placeholde\u0072":true,"num":5}]` is accepted although it is a
    ///   placeholder for attachment 5 of 1 (the reference throws "illegal attachments");
    /// - `51-["a",{"_placeholder":true,"num":0.0}]` (also `-0`, `1e0`, `"n\u0075m"`) is
    ///   refused although it names attachment 0;
    /// - with duplicate keys the first `"_placeholder":true` sticks, where `JSON.parse`
    ///   keeps the last value.
    #[test]
    fn placeholder_spellings_match_the_model((n, text) in header(true)) {
        check(n, &text)?;
    }
}
