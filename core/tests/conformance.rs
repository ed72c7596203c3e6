//! Replays the 115 reference vectors (checked against npm socket.io-parser 4.2.7 and
//! engine.io-parser 5.2.3) with the rules in tests/vectors/tidings-expectations.json.
//! See tests/vectors/README.md for the format.

use serde_json::{json, Map, Value};
use tidings::wire::{
    encode_payload, DecodeError, Decoded, EngineData, EngineKind, EnginePacket, Frame, FrameKind, Limits, Packet,
    PacketKind, PayloadDecoder, SocketDecoder,
};

const REFERENCE: &str = include_str!("../../tests/vectors/socketio-reference.json");
const EXPECTATIONS: &str = include_str!("../../tests/vectors/tidings-expectations.json");

/// One frame of a vector's wire sequence, owned.
enum WireFrame {
    Text(String),
    Binary(Vec<u8>),
}

fn frames(wire: &Value) -> Vec<WireFrame> {
    let one = |v: &Value| match v {
        Value::String(s) => WireFrame::Text(s.clone()),
        Value::Object(o) => WireFrame::Binary(hex::decode(o["$binary_hex"].as_str().unwrap()).unwrap()),
        other => panic!("bad wire frame {other}"),
    };
    match wire {
        Value::Array(a) => a.iter().map(one).collect(),
        v => vec![one(v)],
    }
}

fn to_wire(frames: &[(FrameKind, Vec<u8>)]) -> Value {
    let v: Vec<Value> = frames
        .iter()
        .map(|(k, b)| match k {
            FrameKind::Text => Value::String(String::from_utf8(b.clone()).unwrap()),
            FrameKind::Binary => json!({ "$binary_hex": hex::encode(b) }),
        })
        .collect();
    if v.len() == 1 {
        v.into_iter().next().unwrap()
    } else {
        Value::Array(v)
    }
}

/// The outcome of replaying one vector, in the reference's terms.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok { decoded: Value, encoded: Option<Value> },
    Err { code: &'static str, frame: usize, decoded_before: Value },
}

fn engine_name(k: EngineKind) -> &'static str {
    match k {
        EngineKind::Open => "open",
        EngineKind::Close => "close",
        EngineKind::Ping => "ping",
        EngineKind::Pong => "pong",
        EngineKind::Message => "message",
        EngineKind::Upgrade => "upgrade",
        EngineKind::Noop => "noop",
    }
}

fn engine_json(p: &EnginePacket<'_>) -> Value {
    let mut o = Map::new();
    o.insert("type".into(), engine_name(p.kind).into());
    match p.data {
        EngineData::Text("") => {}
        EngineData::Text(t) => {
            o.insert("data".into(), t.into());
        }
        EngineData::Binary(b) => {
            o.insert("data".into(), json!({ "$binary_hex": hex::encode(b) }));
        }
        EngineData::Base64(b) => {
            let mut buf = vec![0u8; b.decoded_len()];
            let bytes = b.decode_into(&mut buf).unwrap();
            o.insert("data".into(), json!({ "$binary_hex": hex::encode(bytes) }));
        }
    }
    Value::Object(o)
}

fn replay_engine(v: &Value) -> Outcome {
    let op = v["operation"].as_str().unwrap();
    let limits = Limits::default();
    if op.ends_with("payload") {
        let wire = v["wire"].as_str().unwrap();
        let mut decoded = vec![];
        let mut packets = vec![];
        for item in PayloadDecoder::new(wire, &limits) {
            match item {
                Ok(p) => {
                    decoded.push(engine_json(&p));
                    packets.push(p);
                }
                Err(e) => {
                    return Outcome::Err {
                        code: e.kind.code(),
                        frame: decoded.len(),
                        decoded_before: Value::Array(decoded),
                    }
                }
            }
        }
        let mut buf = vec![0u8; 4096];
        let n = encode_payload(&packets, &mut buf).unwrap();
        let encoded = Value::String(String::from_utf8(buf[..n].to_vec()).unwrap());
        return Outcome::Ok { decoded: Value::Array(decoded), encoded: Some(encoded) };
    }
    let wire = frames(&v["wire"]);
    assert_eq!(wire.len(), 1, "one Engine.IO frame per vector");
    let decoded = match &wire[0] {
        WireFrame::Text(t) => EnginePacket::decode(Frame::Text(t), &limits),
        WireFrame::Binary(b) => EnginePacket::decode(Frame::Binary(b), &limits),
    };
    let p = match decoded {
        Ok(p) => p,
        Err(e) => return Outcome::Err { code: e.kind.code(), frame: 0, decoded_before: json!([]) },
    };
    let mut buf = vec![0u8; 4096];
    let encoded = if op == "roundtrip_b64" {
        let n = p.encode_text(&mut buf).unwrap();
        to_wire(&[(FrameKind::Text, buf[..n].to_vec())])
    } else {
        let (kind, n) = p.encode(&mut buf).unwrap();
        to_wire(&[(kind, buf[..n].to_vec())])
    };
    Outcome::Ok { decoded: engine_json(&p), encoded: Some(encoded) }
}

/// The reference's view of a decoded Socket.IO packet: binary kinds reported as 2/3,
/// placeholders replaced by their attachment.
fn socket_json(p: &Packet<'_>, attachments: &[Vec<u8>]) -> Value {
    fn fill(v: Value, att: &[Vec<u8>]) -> Value {
        match v {
            Value::Object(o) if o.get("_placeholder") == Some(&Value::Bool(true)) => {
                let i = o["num"].as_u64().unwrap() as usize;
                json!({ "$binary_hex": hex::encode(&att[i]) })
            }
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, fill(v, att))).collect()),
            Value::Array(a) => Value::Array(a.into_iter().map(|v| fill(v, att)).collect()),
            v => v,
        }
    }
    let ty = match p.kind {
        PacketKind::BinaryEvent => 2,
        PacketKind::BinaryAck => 3,
        k => k as u8,
    };
    let mut o = Map::new();
    o.insert("type".into(), ty.into());
    o.insert("nsp".into(), p.namespace.into());
    if let Some(id) = p.ack_id {
        o.insert("id".into(), id.into());
    }
    if let Some(payload) = p.payload {
        o.insert("data".into(), fill(serde_json::from_str(payload).unwrap(), attachments));
    }
    Value::Object(o)
}

fn replay_socket(v: &Value) -> Outcome {
    let mut limits = Limits::default();
    if let Some(max) = v.pointer("/decoder_options/maxAttachments") {
        limits.max_attachments = max.as_u64().unwrap() as u8;
    }
    let destroy_between = v["operation"] == "decode_destroy";
    let engine_frames = frames(&v["engineio_frames"]);
    let wire = frames(&v["wire"]);
    assert_eq!(engine_frames.len(), wire.len());

    let mut decoder = SocketDecoder::new(vec![0u8; 64 * 1024], limits);
    let mut decoded = vec![];
    let mut encoded: Vec<(FrameKind, Vec<u8>)> = vec![];
    let fail = |e: DecodeError, frame: usize, decoded: &Vec<Value>| Outcome::Err {
        code: e.kind.code(),
        frame,
        decoded_before: Value::Array(decoded.clone()),
    };
    for (i, (frame, wire_frame)) in engine_frames.iter().zip(&wire).enumerate() {
        if destroy_between && i > 0 {
            decoder.reset();
        }
        // Two vectors list their second text frame without the Engine.IO '4' (a quirk of
        // the vector file, see tests/vectors/README.md): replay `wire` for those frames.
        let data = match (frame, wire_frame) {
            (WireFrame::Text(t), WireFrame::Text(w)) if t == w => EngineData::Text(w),
            (WireFrame::Text(t), _) => {
                let engine = EnginePacket::decode(Frame::Text(t), &limits).expect("a valid Engine.IO frame");
                assert_eq!(engine.kind, EngineKind::Message);
                engine.data
            }
            (WireFrame::Binary(b), _) => EnginePacket::decode(Frame::Binary(b), &limits).unwrap().data,
        };
        let result = match (data, wire_frame) {
            (EngineData::Text(t), WireFrame::Text(w)) => {
                assert_eq!(t, w, "engineio_frames carries wire after the '4'");
                decoder.decode_text(t)
            }
            (EngineData::Binary(b), WireFrame::Binary(w)) => {
                assert_eq!(b, &w[..]);
                decoder.decode_binary(b)
            }
            _ => panic!("engineio_frames and wire disagree"),
        };
        let mut buf = vec![0u8; 4096];
        match result {
            Err(e) => return fail(e, i, &decoded),
            Ok(Decoded::NeedAttachments { .. }) => {}
            Ok(Decoded::Packet(p)) => {
                decoded.push(socket_json(&p, &[]));
                let n = p.encode(&mut buf).expect("a decoded packet re-encodes");
                encoded.push((FrameKind::Text, buf[..n].to_vec()));
            }
            Ok(Decoded::Binary(bin)) => {
                let att: Vec<Vec<u8>> = bin.attachments.iter().map(<[u8]>::to_vec).collect();
                assert_eq!(att.len(), usize::from(bin.packet.attachments));
                decoded.push(socket_json(&bin.packet, &att));
                let n = bin.packet.encode(&mut buf).expect("a decoded packet re-encodes");
                encoded.push((FrameKind::Text, buf[..n].to_vec()));
                encoded.extend(att.into_iter().map(|a| (FrameKind::Binary, a)));
            }
        }
    }
    Outcome::Ok { decoded: Value::Array(decoded), encoded: Some(to_wire(&encoded)) }
}

/// What the reference (adjusted by our expectations) says the outcome must be.
enum Expected {
    Ok { decoded: Option<Value>, encoded: Option<Value> },
    Err { codes: Vec<String>, frame: Option<usize> },
}

fn expected(v: &Value, expectations: &Value) -> (Expected, bool) {
    let name = v["name"].as_str().unwrap();
    if let Some(dev) = expectations["deviations"].as_array().unwrap().iter().find(|d| d["name"] == name) {
        let t = &dev["tidings"];
        assert_eq!(t["ok"], false, "deviations are refusals");
        let e = Expected::Err {
            codes: vec![t["error"].as_str().unwrap().to_string()],
            frame: t["failed_at_frame"].as_u64().map(|f| f as usize),
        };
        return (e, true);
    }
    let r = &v["reference_result"];
    if r["ok"] == true {
        let decoded = match v["operation"].as_str().unwrap() {
            "encode" => None,
            _ => Some(r["decoded"].clone()),
        };
        return (Expected::Ok { decoded, encoded: r.get("encoded").cloned() }, false);
    }
    let message = match v["kind"].as_str().unwrap() {
        "engineio" => "parser error".to_string(),
        _ => r["error"].as_str().unwrap().to_lowercase(),
    };
    let classes = expectations["error_classes"].as_object().unwrap();
    let (_, codes) = classes
        .iter()
        .find(|(prefix, _)| message.starts_with(prefix.as_str()))
        .unwrap_or_else(|| panic!("{name}: no error class for reference message {message:?}"));
    let codes = codes.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    (Expected::Err { codes, frame: r["failed_at_frame"].as_u64().map(|f| f as usize) }, false)
}

#[test]
fn replays_every_reference_vector() {
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let expectations: Value = serde_json::from_str(EXPECTATIONS).unwrap();
    let vectors = reference["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), reference["count"].as_u64().unwrap() as usize);

    let (mut valid, mut invalid, mut deviations, mut reencoded) = (0, 0, 0, 0);
    let mut failures = vec![];
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let outcome = match v["kind"].as_str().unwrap() {
            "engineio" => replay_engine(v),
            "socketio" => replay_socket(v),
            other => panic!("unknown kind {other}"),
        };
        let (expect, deviation) = expected(v, &expectations);
        deviations += usize::from(deviation);
        match (&expect, &outcome) {
            (Expected::Ok { decoded, encoded }, Outcome::Ok { decoded: got, encoded: got_enc }) => {
                valid += 1;
                if let Some(d) = decoded {
                    if d != got {
                        failures.push(format!("{name}: decoded {got} but reference has {d}"));
                    }
                }
                if let (Some(e), Some(ge)) = (encoded, got_enc) {
                    reencoded += 1;
                    if e != ge {
                        failures.push(format!("{name}: encoded {ge} but reference has {e}"));
                    }
                }
            }
            (Expected::Err { codes, frame }, Outcome::Err { code, frame: got_frame, .. }) => {
                invalid += 1;
                if !codes.iter().any(|c| c == code) {
                    failures.push(format!("{name}: error {code}, expected one of {codes:?}"));
                }
                if frame.is_some_and(|f| f != *got_frame) {
                    failures.push(format!("{name}: failed at frame {got_frame}, expected {frame:?}"));
                }
            }
            (Expected::Ok { .. }, Outcome::Err { code, frame, .. }) => {
                failures.push(format!("{name}: rejected with {code} at frame {frame}, but must decode"))
            }
            (Expected::Err { codes, .. }, Outcome::Ok { decoded, .. }) => {
                failures.push(format!("{name}: decoded {decoded}, but must be rejected with one of {codes:?}"))
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), vectors.len(), failures.join("\n"));
    assert_eq!(valid + invalid, vectors.len());
    // Every deviation named in the expectations file must exist in the vectors.
    assert_eq!(deviations, expectations["deviations"].as_array().unwrap().len());
    println!(
        "replayed {} reference vectors: {} decoded as the reference, {} rejected ({} by documented deviation), {} re-encoded byte for byte",
        vectors.len(),
        valid,
        invalid,
        deviations,
        reencoded
    );
}

#[test]
fn reference_roundtrip_vectors_reencode_through_the_engine_frame_too() {
    // The `4`-prefixed frame a client sends is exactly "4" + the Socket.IO text.
    let reference: Value = serde_json::from_str(REFERENCE).unwrap();
    let mut checked = 0;
    for v in reference["vectors"].as_array().unwrap() {
        if v["kind"] != "socketio" || v["operation"] != "roundtrip" {
            continue;
        }
        let Value::String(wire) = &v["wire"] else { continue };
        let p = Packet::decode(wire, &Limits::default()).unwrap();
        let mut buf = vec![0u8; 1024];
        let n = p.encode_frame(&mut buf).unwrap();
        assert_eq!(&buf[..n], v["engineio_frames"][0].as_str().unwrap().as_bytes(), "{}", v["name"]);
        checked += 1;
    }
    assert_eq!(checked, 25, "single-frame Socket.IO roundtrip vectors");
}
