//! Throughput of the tidings wire codec on a realistic corpus of WebSocket text frames.
//!
//! The corpus (one JSON string literal per line, each one text frame) comes from
//! `bench/gen_corpus.py`; `make bench` generates it and runs this binary in release mode
//! with LTO (the `codec-bench` profile).
//!
//! Workloads, measured side by side in one process, interleaved round by round so that
//! noise from the rest of the machine hits all of them alike:
//! - **decode**: `EnginePacket::decode`, then the Socket.IO text through one
//!   `SocketDecoder` (full validation: header, JSON syntax, depth, placeholders, event
//!   name), then `Packet::event()` to get the event's name.
//! - **encode**: every frame re-encoded from its decoded form (`Packet::encode_frame`,
//!   which validates again; `EnginePacket::encode` for engine-only frames).
//! - **baselines**: serde_json on the JSON part of each frame: `IgnoredAny` (validation
//!   only, what tidings does) and `Value` (the allocating tree most std clients build).
//!
//! It only reports: nothing here asserts on time.

use std::hint::black_box;
use std::time::{Duration, Instant};
use std::{env, fs, process};

use tidings::wire::{Decoded, EngineData, EngineKind, EnginePacket, Frame, Limits, Packet, PacketKind, SocketDecoder};

const DEFAULT_CORPUS: &str = "bench/corpus/corpus.jsonl";
/// Warm-up per workload; also calibrates how many corpus passes make one round.
const WARMUP: Duration = Duration::from_millis(400);
/// Target duration of one timed round of one workload.
const ROUND: Duration = Duration::from_millis(200);
const ROUNDS: usize = 9;
const TARGET_FRAMES_PER_SEC: f64 = 2_000_000.0;

/// A frame decoded ahead of time, for the encode workload.
#[derive(Clone, Copy)]
enum Item<'a> {
    Engine(EnginePacket<'a>),
    Socket(Packet<'a>),
}

struct Workload<'a> {
    /// The name for `--only`.
    key: &'static str,
    name: &'static str,
    /// One pass over the corpus; returns a checksum so that nothing is optimised away.
    pass: Box<dyn FnMut() -> usize + 'a>,
    passes_per_round: u32,
    /// Seconds per pass, one sample per round.
    samples: Vec<f64>,
}

fn main() {
    // Usage: codec [CORPUS] [--only WORKLOAD]   (--only: for profiling one workload)
    let mut path = DEFAULT_CORPUS.to_owned();
    let mut only: Option<String> = None;
    let mut args = env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--only" => only = args.next(),
            "-h" | "--help" => {
                println!("usage: codec [CORPUS (default {DEFAULT_CORPUS})] [--only decode|encode|ignored_any|value]");
                return;
            }
            _ => path = a,
        }
    }
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("cannot read corpus {path}: {e}");
        eprintln!("generate it with: python3 bench/gen_corpus.py --out {DEFAULT_CORPUS}  (or `make bench`)");
        process::exit(2);
    });
    let frames: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| {
                eprintln!("{path}:{}: not a JSON string literal: {e}", i + 1);
                process::exit(2);
            })
        })
        .collect();
    if frames.is_empty() {
        eprintln!("{path}: empty corpus");
        process::exit(2);
    }
    let frames: Vec<&str> = frames.iter().map(String::as_str).collect();
    let n = frames.len();
    let bytes: usize = frames.iter().map(|f| f.len()).sum();
    let limits = Limits::default();

    // ---- Untimed: decode everything once, check it, and prepare the other workloads. ----
    let mut items = Vec::with_capacity(n);
    let mut json_parts: Vec<Option<&str>> = Vec::with_capacity(n);
    let mut counts = [0usize; 7];
    let (mut pings, mut other_engine, mut decode_errors) = (0, 0, 0);
    for &f in &frames {
        match EnginePacket::decode(Frame::Text(f), &limits) {
            Ok(EnginePacket { kind: EngineKind::Message, data: EngineData::Text(t) }) => {
                match Packet::decode(t, &limits) {
                    Ok(p) => {
                        counts[p.kind as usize] += 1;
                        items.push(Item::Socket(p));
                        json_parts.push(p.payload);
                    }
                    Err(e) => {
                        decode_errors += 1;
                        eprintln!("socket decode error {e}: {f:.80}");
                    }
                }
            }
            Ok(e) => {
                if e.kind == EngineKind::Ping {
                    pings += 1;
                } else {
                    other_engine += 1;
                }
                items.push(Item::Engine(e));
                json_parts.push(None);
            }
            Err(e) => {
                decode_errors += 1;
                eprintln!("engine decode error {e}: {f:.80}");
            }
        }
    }
    let max_len = frames.iter().map(|f| f.len()).max().unwrap_or(0);
    let mut out = vec![0u8; max_len + 64];
    let mut roundtrip_mismatches = 0;
    if decode_errors == 0 {
        for (item, &f) in items.iter().zip(&frames) {
            let written = encode_one(item, &mut out).map(|n| &out[..n]);
            if written != Some(f.as_bytes()) {
                roundtrip_mismatches += 1;
                eprintln!("re-encoding differs: {f:.80}");
            }
        }
    }
    let baseline_errors =
        json_parts.iter().flatten().filter(|j| serde_json::from_str::<serde::de::IgnoredAny>(j).is_err()).count();

    println!("corpus: {path}");
    println!(
        "  frames {n}, bytes {bytes}, mean {:.1} B/frame (min {}, max {max_len})",
        bytes as f64 / n as f64,
        frames.iter().map(|f| f.len()).min().unwrap_or(0),
    );
    println!(
        "  engine pings {pings}, other engine-only {other_engine}; socket: event {}, ack {}, \
         binary-event headers {}, connect {}, other {}",
        counts[PacketKind::Event as usize],
        counts[PacketKind::Ack as usize],
        counts[PacketKind::BinaryEvent as usize],
        counts[PacketKind::Connect as usize],
        counts[PacketKind::Disconnect as usize]
            + counts[PacketKind::ConnectError as usize]
            + counts[PacketKind::BinaryAck as usize],
    );
    println!(
        "  checks (untimed): decode errors {decode_errors}, re-encode mismatches \
         {roundtrip_mismatches}, serde_json rejections {baseline_errors}"
    );
    if decode_errors > 0 {
        eprintln!("the corpus does not decode cleanly; the numbers below would be meaningless");
        process::exit(1);
    }

    // ---- The workloads. ----
    // Reassembly storage: binary headers are copied into it (their attachment frames are
    // not in the corpus, so the decoder is reset before the next text frame).
    let mut decoder = SocketDecoder::new(vec![0u8; 64 * 1024], limits);
    let frames_ref = &frames;
    let decode = move || {
        let mut sum = 0usize;
        for &f in frames_ref {
            match EnginePacket::decode(Frame::Text(black_box(f)), &limits) {
                Ok(EnginePacket { kind: EngineKind::Message, data: EngineData::Text(t) }) => {
                    if decoder.is_collecting() {
                        decoder.reset();
                    }
                    match decoder.decode_text(t) {
                        Ok(Decoded::Packet(p)) => {
                            if let Some(ev) = p.event() {
                                black_box(ev.name);
                            }
                            sum += black_box(p).namespace.len();
                        }
                        Ok(Decoded::NeedAttachments { expected, .. }) => sum += usize::from(black_box(expected)),
                        Ok(Decoded::Binary(b)) => sum += black_box(b).attachments.len(),
                        Err(e) => sum += black_box(e).offset,
                    }
                }
                Ok(p) => sum += black_box(p).kind as usize,
                Err(e) => sum += black_box(e).offset,
            }
        }
        sum
    };
    let items_ref = &items;
    let encode = move || {
        let mut sum = 0usize;
        for item in items_ref {
            sum += encode_one(black_box(item), &mut out).unwrap_or(0);
            black_box(&out);
        }
        sum
    };
    let json_ref = &json_parts;
    let ignored_any = move || {
        let mut sum = 0usize;
        for j in json_ref.iter().flatten() {
            sum += serde_json::from_str::<serde::de::IgnoredAny>(black_box(j)).is_ok() as usize;
        }
        sum
    };
    let value = move || {
        let mut sum = 0usize;
        for j in json_ref.iter().flatten() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(black_box(j)) {
                sum += black_box(v).is_array() as usize;
            }
        }
        sum
    };
    let mut workloads = vec![
        Workload::new("decode", "tidings decode+validate", decode),
        Workload::new("encode", "tidings encode", encode),
        Workload::new("ignored_any", "serde_json IgnoredAny", ignored_any),
        Workload::new("value", "serde_json Value", value),
    ];
    if let Some(only) = &only {
        workloads.retain(|w| w.key == only.as_str());
        if workloads.is_empty() {
            eprintln!("--only: unknown workload {only:?} (decode, encode, ignored_any, value)");
            process::exit(2);
        }
    }

    // Other processes skew every number; the load average says how much to trust them.
    let load_before =
        fs::read_to_string("/proc/loadavg").ok().map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    // Warm-up and calibration.
    for w in &mut workloads {
        let start = Instant::now();
        let mut passes = 0u32;
        while start.elapsed() < WARMUP || passes < 2 {
            black_box((w.pass)());
            passes += 1;
        }
        let per_pass = start.elapsed().as_secs_f64() / f64::from(passes);
        w.passes_per_round = ((ROUND.as_secs_f64() / per_pass).ceil() as u32).max(1);
    }
    // Timed rounds, the workloads interleaved.
    for _ in 0..ROUNDS {
        for w in &mut workloads {
            let start = Instant::now();
            for _ in 0..w.passes_per_round {
                black_box((w.pass)());
            }
            let secs = start.elapsed().as_secs_f64();
            w.samples.push(secs / f64::from(w.passes_per_round));
        }
    }

    if let Some(load) = &load_before {
        println!("\nload average before timing: {load}");
    }
    println!(
        "{ROUNDS} rounds of ~{} ms per workload, after a {} ms warm-up; MB/s counts the corpus \
         frame bytes (1 MB = 10^6 B);\nserde_json parses only each frame's JSON payload, located \
         ahead of time (pings: nothing), so the baselines are flattered slightly",
        ROUND.as_millis(),
        WARMUP.as_millis()
    );
    println!(
        "{:<26} {:>14} {:>27} {:>9} {:>19} {:>7}",
        "workload", "frames/s med", "frames/s [min .. max]", "MB/s med", "MB/s [min .. max]", "passes"
    );
    let mut medians = Vec::new();
    for w in &workloads {
        let mut s = w.samples.clone();
        s.sort_by(f64::total_cmp);
        let med = s[s.len() / 2];
        let (fast, slow) = (s[0], s[s.len() - 1]);
        let fps = |secs: f64| n as f64 / secs;
        let mbps = |secs: f64| bytes as f64 / secs / 1e6;
        println!(
            "{:<26} {:>14} {:>27} {:>9.1} {:>19} {:>7}",
            w.name,
            group(fps(med)),
            format!("[{} .. {}]", group(fps(slow)), group(fps(fast))),
            mbps(med),
            format!("[{:.1} .. {:.1}]", mbps(slow), mbps(fast)),
            w.passes_per_round,
        );
        medians.push(fps(med));
    }
    if only.is_some() {
        return;
    }
    let (dec, enc, ign, val) = (medians[0], medians[1], medians[2], medians[3]);
    println!();
    println!("ratio decode / serde_json IgnoredAny: {:.2}x", dec / ign);
    println!("ratio decode / serde_json Value:      {:.2}x", dec / val);
    println!("ratio encode / decode:                {:.2}x", enc / dec);
    let verdict = |fps: f64| if fps >= TARGET_FRAMES_PER_SEC { "MET" } else { "NOT MET" };
    println!("target decode >= {} frames/s: {} (median {})", group(TARGET_FRAMES_PER_SEC), verdict(dec), group(dec));
    println!("target encode >= {} frames/s: {} (median {})", group(TARGET_FRAMES_PER_SEC), verdict(enc), group(enc));
}

impl<'a> Workload<'a> {
    fn new(key: &'static str, name: &'static str, pass: impl FnMut() -> usize + 'a) -> Self {
        Self { key, name, pass: Box::new(pass), passes_per_round: 1, samples: Vec::with_capacity(ROUNDS) }
    }
}

fn encode_one(item: &Item<'_>, out: &mut [u8]) -> Option<usize> {
    match item {
        Item::Socket(p) => p.encode_frame(out).ok(),
        Item::Engine(e) => e.encode(out).ok().map(|(_, n)| n),
    }
}

/// 1234567.8 -> "1,234,568".
fn group(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
