//! Strategies and helpers shared by the `properties_*.rs` property tests.
//!
//! Every test binary includes this module with `mod properties_support;` and uses only
//! part of it, hence the `dead_code` allowance.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value};
use tidings::wire::{Packet, PacketKind, MAX_ACK_ID, RESERVED_EVENT_NAMES};

/// Characters that matter to a JSON / Socket.IO codec, mixed with arbitrary ones.
pub fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        3 => proptest::char::range('a', 'z'),
        2 => select(vec![
            '"', '\\', '/', '\n', '\r', '\t', '\u{0}', '\u{8}', '\u{c}', '\u{1f}', '\u{7f}',
            '\u{80}', '\u{9f}', '\u{2028}', '\u{fffd}', 'é', '日', '😀', '[', ']', '{', '}',
            ',', ':', '-', ' ', '0', '9',
        ]),
    ]
}

/// Strings that exercise JSON escaping: quotes, backslashes, control characters, unicode.
pub fn tricky_string(max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(interesting_char(), 0..=max_len).prop_map(String::from_iter)
}

/// Object keys: mostly ordinary, sometimes the ones the codec looks at.
pub fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => tricky_string(6),
        1 => select(vec!["_placeholder", "num", "sid", "message", "data", ""]).prop_map(String::from),
    ]
}

pub fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        // Finite floats only: `Value::from` maps NaN / infinities to null anyway.
        any::<f64>().prop_filter_map("finite", Number::from_f64).prop_map(Value::Number),
    ]
}

pub fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        tricky_string(10).prop_map(Value::String),
    ]
}

/// Arbitrary JSON values nesting at most `depth` containers deep.
pub fn json_value(depth: u32) -> BoxedStrategy<Value> {
    json_leaf()
        .prop_recursive(depth, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((json_key(), inner), 0..5)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
}

/// A JSON object (the payload shape of CONNECT).
pub fn json_object(depth: u32) -> impl Strategy<Value = Value> {
    prop::collection::vec((json_key(), json_value(depth.saturating_sub(1))), 0..5)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

/// How many containers deep `v` nests (a scalar is 0).
pub fn depth_of(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth_of).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth_of).max().unwrap_or(0),
        _ => 0,
    }
}

/// Renames every `_placeholder` key so that a generated value cannot contain an
/// accidental binary placeholder (binary packets insert the real ones themselves).
pub fn strip_placeholders(v: Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.into_iter().map(strip_placeholders).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let k = if k == "_placeholder" { "placeholder_".to_string() } else { k };
                    (k, strip_placeholders(v))
                })
                .collect(),
        ),
        other => other,
    }
}

pub fn compact(v: &Value) -> String {
    serde_json::to_string(v).expect("a Value always serialises")
}

/// A valid namespace: `/`, or `/` followed by characters that may appear in one (no
/// `,`, `"`, `[`, `{`, and no control characters).
pub fn namespace() -> impl Strategy<Value = String> {
    let ns_char = interesting_char()
        .prop_filter("allowed in a namespace", |&c| !matches!(c, ',' | '"' | '[' | '{') && !c.is_control());
    prop_oneof![
        1 => Just("/".to_string()),
        2 => prop::collection::vec(ns_char, 0..12)
            .prop_map(|cs| format!("/{}", String::from_iter(cs))),
        1 => select(vec!["/admin", "/chat/room-1", "/ü", "/0", "/123"]).prop_map(String::from),
    ]
}

/// Ack ids over the whole valid range, with the boundaries and small ones favoured.
pub fn ack_id() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => 0..=MAX_ACK_ID,
        2 => 0u64..1000,
        1 => Just(MAX_ACK_ID),
        1 => Just(0u64),
    ]
}

/// A valid event name, as JSON: a string that is not reserved, or a number.
pub fn event_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => tricky_string(12)
            .prop_filter("not reserved", |s| !RESERVED_EVENT_NAMES.contains(&s.as_str()))
            .prop_map(Value::String),
        1 => select(vec!["newMessage", "connected", "Connect", "upload", "a"])
            .prop_map(|s| Value::String(s.to_string())),
        1 => json_number(),
    ]
}

/// `{"_placeholder":true,"num":n}` as Socket.IO writes it.
pub fn placeholder(n: usize) -> Value {
    serde_json::json!({ "_placeholder": true, "num": n })
}

/// A packet that owns its text, to be borrowed as a [`Packet`].
#[derive(Debug, Clone)]
pub struct OwnedPacket {
    pub kind: PacketKind,
    pub namespace: String,
    pub ack_id: Option<u64>,
    pub attachments: u8,
    pub payload: Option<String>,
    /// For events / acks: the raw JSON of each argument (after the name for events).
    pub args: Vec<String>,
    /// For events: the name, as JSON.
    pub name: Option<Value>,
}

impl OwnedPacket {
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            kind: self.kind,
            namespace: &self.namespace,
            ack_id: self.ack_id,
            attachments: self.attachments,
            payload: self.payload.as_deref(),
        }
    }
}

/// `[a,b,c]` from already serialised elements.
pub fn json_array(elems: &[String]) -> String {
    format!("[{}]", elems.join(","))
}

pub const VALUE_DEPTH: u32 = 4;

/// Arguments of a binary packet: arbitrary values plus one placeholder for each of the
/// `n` attachments, shuffled (some nested one level down in an object or array).
pub fn binary_args(max_attachments: u8) -> impl Strategy<Value = (u8, Vec<String>)> {
    (1..=max_attachments).prop_flat_map(|n| {
        (
            prop::collection::vec(json_value(VALUE_DEPTH).prop_map(strip_placeholders), 0..4),
            prop::collection::vec(0u8..3, usize::from(n)),
            any::<prop::sample::Index>(),
        )
            .prop_map(move |(values, wraps, seed)| {
                let mut args: Vec<Value> = values;
                for (i, wrap) in wraps.into_iter().enumerate() {
                    let ph = placeholder(i);
                    let v = match wrap {
                        0 => ph,
                        1 => Value::Array(vec![Value::from(1), ph]),
                        _ => serde_json::json!({ "file": ph, "name": "x" }),
                    };
                    let at = seed.index(args.len() + 1);
                    args.insert(at, v);
                }
                (n, args.iter().map(compact).collect())
            })
    })
}

/// Any valid Socket.IO packet (under the default limits), with what it was built from.
pub fn packet() -> impl Strategy<Value = OwnedPacket> {
    let values = || prop::collection::vec(json_value(VALUE_DEPTH), 0..5);
    let connect = (namespace(), prop::option::of(json_object(VALUE_DEPTH).prop_map(|v| compact(&v)))).prop_map(
        |(namespace, payload)| OwnedPacket {
            kind: PacketKind::Connect,
            namespace,
            ack_id: None,
            attachments: 0,
            payload,
            args: vec![],
            name: None,
        },
    );
    let disconnect = namespace().prop_map(|namespace| OwnedPacket {
        kind: PacketKind::Disconnect,
        namespace,
        ack_id: None,
        attachments: 0,
        payload: None,
        args: vec![],
        name: None,
    });
    let event = (namespace(), prop::option::of(ack_id()), event_name(), values()).prop_map(
        |(namespace, ack_id, name, args)| {
            let args: Vec<String> = args.iter().map(compact).collect();
            let mut elems = vec![compact(&name)];
            elems.extend(args.iter().cloned());
            OwnedPacket {
                kind: PacketKind::Event,
                namespace,
                ack_id,
                attachments: 0,
                payload: Some(json_array(&elems)),
                args,
                name: Some(name),
            }
        },
    );
    let ack = (namespace(), ack_id(), values()).prop_map(|(namespace, id, args)| {
        let args: Vec<String> = args.iter().map(compact).collect();
        OwnedPacket {
            kind: PacketKind::Ack,
            namespace,
            ack_id: Some(id),
            attachments: 0,
            payload: Some(json_array(&args)),
            args,
            name: None,
        }
    });
    let connect_error =
        (namespace(), prop_oneof![tricky_string(16).prop_map(Value::String), json_object(VALUE_DEPTH),]).prop_map(
            |(namespace, v)| OwnedPacket {
                kind: PacketKind::ConnectError,
                namespace,
                ack_id: None,
                attachments: 0,
                payload: Some(compact(&v)),
                args: vec![],
                name: None,
            },
        );
    let max = tidings::wire::Limits::DEFAULT.max_attachments;
    let binary_event = (namespace(), prop::option::of(ack_id()), event_name(), binary_args(max)).prop_map(
        |(namespace, ack_id, name, (n, args))| {
            let mut elems = vec![compact(&name)];
            elems.extend(args.iter().cloned());
            OwnedPacket {
                kind: PacketKind::BinaryEvent,
                namespace,
                ack_id,
                attachments: n,
                payload: Some(json_array(&elems)),
                args,
                name: Some(name),
            }
        },
    );
    let binary_ack = (namespace(), ack_id(), binary_args(max)).prop_map(|(namespace, id, (n, args))| OwnedPacket {
        kind: PacketKind::BinaryAck,
        namespace,
        ack_id: Some(id),
        attachments: n,
        payload: Some(json_array(&args)),
        args,
        name: None,
    });
    prop_oneof![connect, disconnect, event, ack, connect_error, binary_event, binary_ack]
}

/// A binary packet (BINARY_EVENT or BINARY_ACK) with up to `max` attachments.
pub fn binary_packet(max: u8) -> impl Strategy<Value = OwnedPacket> {
    (namespace(), prop::option::of(ack_id()), any::<bool>(), binary_args(max)).prop_map(
        |(namespace, id, is_event, (n, args))| {
            if is_event {
                let mut elems = vec![compact(&Value::from("upload"))];
                elems.extend(args.iter().cloned());
                OwnedPacket {
                    kind: PacketKind::BinaryEvent,
                    namespace,
                    ack_id: id,
                    attachments: n,
                    payload: Some(json_array(&elems)),
                    args,
                    name: Some(Value::from("upload")),
                }
            } else {
                OwnedPacket {
                    kind: PacketKind::BinaryAck,
                    namespace,
                    ack_id: Some(id.unwrap_or(7)),
                    attachments: n,
                    payload: Some(json_array(&args)),
                    args,
                    name: None,
                }
            }
        },
    )
}

/// Encodes a packet into a fresh `String` of exactly its encoded length.
pub fn encode_to_string(p: &Packet<'_>) -> String {
    let mut buf = vec![0u8; p.encoded_len()];
    let n = p.encode(&mut buf).expect("valid packet encodes");
    buf.truncate(n);
    String::from_utf8(buf).expect("encoded packets are UTF-8")
}

/// Fragments that look like Socket.IO / Engine.IO / JSON, to build near-valid inputs.
pub const FRAGMENTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "9",
    "b",
    "-",
    "/",
    "/admin",
    ",",
    "[",
    "]",
    "{",
    "}",
    "\"",
    ":",
    "\\",
    "\\u",
    "\\ud800",
    "\\udc00",
    "00e9",
    "\\n",
    "_placeholder",
    "\"_placeholder\"",
    "\"_placeholder\":true",
    "num",
    "\"num\"",
    "\"num\":0",
    "\"num\":1",
    "true",
    "false",
    "null",
    "tru",
    "1e5",
    "-0",
    ".5",
    "e",
    "E+",
    "9007199254740991",
    "9007199254740992",
    "99999999999999999999",
    "\"connect\"",
    "\"a\"",
    "\"ev\"",
    " ",
    "\t",
    "\n",
    "\u{1e}",
    "\u{0}",
    "\u{7f}",
    "é",
    "😀",
    "QQ==",
    "AAEC",
    "=",
    "{\"sid\":\"s\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}",
    "\"sid\"",
    "\"upgrades\"",
    "\"pingInterval\"",
];

/// Strings built from [`FRAGMENTS`], arbitrary characters and short digit runs.
pub fn socketio_ish(max_parts: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            6 => select(FRAGMENTS).prop_map(String::from),
            1 => interesting_char().prop_map(String::from),
            1 => "[0-9]{1,4}",
        ],
        0..=max_parts,
    )
    .prop_map(|parts| parts.concat())
}

/// Valid packets (re-encoded) with a few random edits: insert, delete or replace one
/// fragment at a character boundary.
pub fn mutated_packet_text() -> impl Strategy<Value = String> {
    (packet(), prop::collection::vec((0u8..3, any::<prop::sample::Index>(), select(FRAGMENTS)), 0..4)).prop_map(
        |(p, edits)| {
            let mut s = encode_to_string(&p.packet());
            for (op, at, frag) in edits {
                s = mutate(&s, op, at, frag);
            }
            s
        },
    )
}

/// One edit of `s` at a character boundary chosen by `at`.
pub fn mutate(s: &str, op: u8, at: prop::sample::Index, frag: &str) -> String {
    let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect();
    let i = bounds[at.index(bounds.len())];
    let next = s[i..].chars().next().map_or(i, |c| i + c.len_utf8());
    match op {
        0 => format!("{}{}{}", &s[..i], frag, &s[i..]),
        1 => format!("{}{}", &s[..i], &s[next..]),
        _ => format!("{}{}{}", &s[..i], frag, &s[next..]),
    }
}

/// Near-valid Socket.IO packet text: a type digit, sometimes an attachment count, then
/// Socket.IO-ish fragments; or a mutated valid packet; or anything.
pub fn packet_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ("[0-6]", "([0-9]{1,2}-)?", socketio_ish(16)).prop_map(|(a, b, c)| a + &b + &c),
        3 => mutated_packet_text(),
        1 => socketio_ish(24),
        1 => any::<String>(),
    ]
}

/// `b` + base64 as tidings writes it, then mutated.
pub fn mutated_base64_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(any::<u8>(), 0..700),
        prop::collection::vec(
            (
                0u8..3,
                any::<prop::sample::Index>(),
                select(vec!["=", "==", "A", "+", "/", "-", "_", " ", "\n", "QQ==", "\u{1e}", "é"]),
            ),
            0..3,
        ),
    )
        .prop_map(|(bytes, edits)| {
            let p = tidings::wire::EnginePacket {
                kind: tidings::wire::EngineKind::Message,
                data: tidings::wire::EngineData::Binary(&bytes),
            };
            let mut buf = vec![0u8; 1 + bytes.len().div_ceil(3) * 4];
            let n = p.encode_text(&mut buf).expect("sized exactly");
            buf.truncate(n);
            let s = String::from_utf8(buf).expect("base64 is ASCII");
            edits.into_iter().fold(s, |s, (op, at, frag)| mutate(&s, op, at, frag))
        })
}

/// Near-valid Engine.IO text frames / polling records.
pub fn engine_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ("[0-6]", packet_ish()).prop_map(|(a, b)| a + &b),
        2 => mutated_base64_text(),
        1 => socketio_ish(24),
        1 => any::<String>(),
    ]
}
