//! Property tests of the `Client` state machine: random sequences of host inputs, server
//! frames and app commands, driven the way a host drives it (after every input, drain
//! `poll_transport`, `poll_transmit` and `poll_event`), checked against a model of what the
//! host and the server have seen.
//!
//! Invariants (numbers as in the test-plan; each check names its number when it fails):
//! 1. no panic; every error is a documented `ClientError` that the situation allows;
//! 2. at most one transport open or opening: an `Open` never comes while the previous
//!    transport has not been closed (by a `Close` or by the host's report), ids are fresh,
//!    a `Close` names the current transport, frames are only transmitted on the current,
//!    opened transport;
//! 3. every ack handle ends exactly once (never twice, never unknown), `pending_acks()`
//!    always equals the number of handles that have not ended, and `disconnect()` ends them
//!    all;
//! 4. reconnection delays are within `delay_bounds_ms`, attempts count 1, 2, 3… within an
//!    outage, `ReconnectFailed` comes at most once and only when the policy is exhausted;
//! 5. after `disconnect()` (and in `Idle`/`Stopped`), no `Open` until `connect()`;
//! 6. memory: `queued_bytes() <= 2*OUT + 2*IN`, `pending_acks() <= max_pending_acks`;
//! 7. after every input, `poll_timeout()` is not in the past (every due deadline fired);
//! 8. while offline, no `Open` and no `ReconnectScheduled`;
//! 9. determinism: the same seed and actions give the same transcript.
//!
//! Plus protocol consistency ([P]): the app's view of connected namespaces (`Connected` /
//! `Disconnected` events) matches the wire (CONNECT sent and answered on the current
//! transport) and `namespace_state`; events and acks are only sent for connected
//! namespaces; every accepted emit is sent once, in order per namespace, unless discarded
//! as documented; binary attachments follow their packet; every ping gets a pong; sent
//! frames decode and fit the server's maxPayload; `Queued` emits are sent at once; auth
//! tokens never reach `Debug` output.
//!
//! Four properties: a 4 KiB client on random inputs (replayed for [9]), a cooperative
//! host and server with traffic (replayed), a 512-byte client (full queues), and zero
//! durations. `TIDINGS_INVARIANT_SCALE=N` runs N times as many cases; `--nocapture` shows
//! coverage counters, including how often each tolerated finding was seen.
//!
//! Core bugs and inconsistencies found are kept below as minimal sequences, `#[ignore]`d
//! until fixed (`cargo test -p tidings --test client_invariants -- --ignored`); the
//! properties tolerate them only at their exact signature (see `b6_tainted`,
//! `close_quirk`, `zero_delay`, `restored`, `stop_untold`, `flushing`) or avoid them
//! (`connect_timeout_ms >= 1`, at most 12 acks on the 512-byte client, interrupted sends
//! cut between packets).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proptest::prelude::*;
use proptest::test_runner::{Config as PtConfig, TestCaseError};
use tidings::client::{
    delay_bounds_ms, AckHandle, AckOutcome, Client, ClientError, ClientEvent, Config, ConnectionState,
    DisconnectReason, EmitStatus, NamespaceState, ReconnectPolicy, TransportCause, TransportCommand, TransportId,
    MAX_PENDING_ACKS,
};
use tidings::wire::{
    DecodeErrorKind, EngineData, EngineKind, EnginePacket, Frame, FrameKind, Limits, Packet, PacketKind,
};
use tidings::Instant;

// ---------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------

/// Namespaces the actions pick from: mostly the first four; enough valid ones to fill the
/// table (`MAX_NAMESPACES` is 8), and some invalid names.
const NAMES: [&str; 13] = ["/", "/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i", "bad", "/x,y", "/q\"uote"];
/// Recovery session ids the server hands out (the last is longer than the client keeps).
const PIDS: [&str; 3] = ["p1", "p2", "pid-that-is-much-too-long-to-be-kept-by-the-client-because-it-exceeds-64-bytes"];
/// CONNECT_ERROR payloads: auth failures (by message and by data.code) and others.
const CONNECT_ERRORS: [&str; 6] = [
    r#"{"message":"unauthorized"}"#,
    r#"{"message":"nope","data":{"code":"token_expired"}}"#,
    r#""Invalid Token""#,
    r#"{"message":"room full"}"#,
    r#"{"message":"forbidden","data":{"code":"other"}}"#,
    r#""server busy""#,
];
const TOKEN: &str = "SECRET-TOKEN-0123";

#[derive(Debug, Clone, Copy)]
enum Tgt {
    /// The transport the host currently has.
    Current,
    /// An older (or never issued) transport.
    Stale(u8),
}

#[derive(Debug, Clone)]
enum Srv {
    Handshake {
        interval: u32,
        timeout: u32,
        max_payload: u64,
    },
    ConnectOk {
        ns: u8,
        pid: Option<u8>,
    },
    ConnectBare {
        ns: u8,
    },
    ConnectError {
        ns: u8,
        which: u8,
    },
    Disconnect {
        ns: u8,
    },
    Event {
        ns: u8,
        ack: Option<u64>,
        size: usize,
        offset: bool,
    },
    /// An ack for one of the ids the client sent (`pick`), or for a random id.
    Ack {
        ns: u8,
        pick: u8,
        known: bool,
    },
    BinEvent {
        ns: u8,
        n: u8,
        ack: Option<u64>,
    },
    BinAck {
        ns: u8,
        pick: u8,
        n: u8,
    },
    Binary(Vec<u8>),
    Ping,
    Close,
    Noop,
    Upgrade,
    Base64,
    Garbage(String),
}

#[derive(Debug, Clone, Copy)]
enum AuthKind {
    Valid,
    Empty,
    None,
    Invalid(u8),
}

#[derive(Debug, Clone, Copy)]
enum EmitKind {
    Plain,
    Volatile,
    WithAck(Option<u64>),
    Binary { n: u8, ack: Option<Option<u64>> },
}

#[derive(Debug, Clone)]
enum Act {
    Connect,
    Disconnect,
    Opened(Tgt),
    Closed(Tgt, bool),
    Recv(Tgt, Srv),
    /// The host and server do the natural next thing (open, handshake, auth, reply…).
    Auto,
    Auth(u8, AuthKind),
    Emit {
        ns: u8,
        kind: EmitKind,
        size: usize,
        bad: u8,
    },
    /// The host's socket fails while sending: `n` emits (plain, with ack, binary), of which
    /// the host transmits `k` frames (completing a binary group it started), then it
    /// reports the transport failed.
    Cut {
        n: u8,
        k: u8,
        size: usize,
    },
    /// Restores a saved recovery session (`restore_recovery_session`).
    Restore {
        ns: u8,
        pid: u8,
        offset: u8,
    },
    /// `n` emits with acks in a row (each drained), to fill the ack table.
    Burst {
        ns: u8,
        n: u8,
        timeout: Option<u64>,
    },
    AckReply {
        pick: u8,
        size: usize,
    },
    Cancel(u8),
    OpenNs(u8),
    CloseNs(u8),
    Network(bool),
    Foreground(bool),
    /// Moves the host clock (negative: backwards); `fire` also calls `handle_timeout`.
    Advance {
        ms: i64,
        fire: bool,
    },
    Jump,
    Tick,
}

fn ns_index() -> impl Strategy<Value = u8> {
    prop_oneof![6 => 0u8..4, 2 => 4u8..10, 1 => 10u8..13]
}

fn target() -> impl Strategy<Value = Tgt> {
    prop_oneof![8 => Just(Tgt::Current), 1 => any::<u8>().prop_map(Tgt::Stale)]
}

fn server_frame(zero: bool) -> impl Strategy<Value = Srv> {
    let d = move || dur(zero, 30_000).prop_map(|x| x as u32);
    prop_oneof![
        3 => (d(), d(), prop_oneof![Just(1_000_000u64), 64u64..4_000])
            .prop_map(|(interval, timeout, max_payload)| Srv::Handshake { interval, timeout, max_payload }),
        4 => (ns_index(), proptest::option::of(0u8..3)).prop_map(|(ns, pid)| Srv::ConnectOk { ns, pid }),
        1 => ns_index().prop_map(|ns| Srv::ConnectBare { ns }),
        2 => (ns_index(), 0u8..6).prop_map(|(ns, which)| Srv::ConnectError { ns, which }),
        1 => ns_index().prop_map(|ns| Srv::Disconnect { ns }),
        4 => (ns_index(), proptest::option::of(0u64..5), prop_oneof![0usize..20, 0usize..600], any::<bool>())
            .prop_map(|(ns, ack, size, offset)| Srv::Event { ns, ack, size, offset }),
        4 => (ns_index(), any::<u8>(), prop::bool::weighted(0.8)).prop_map(|(ns, pick, known)| Srv::Ack { ns, pick, known }),
        1 => (ns_index(), 1u8..4, proptest::option::of(0u64..5)).prop_map(|(ns, n, ack)| Srv::BinEvent { ns, n, ack }),
        1 => (ns_index(), any::<u8>(), 1u8..3).prop_map(|(ns, pick, n)| Srv::BinAck { ns, pick, n }),
        2 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Srv::Binary),
        3 => Just(Srv::Ping),
        1 => Just(Srv::Close),
        1 => Just(Srv::Noop),
        1 => Just(Srv::Upgrade),
        1 => Just(Srv::Base64),
        2 => prop_oneof![
            "[0-6][0-9a-z/,\\[\\]{}\":-]{0,24}",
            Just("4".to_string()),
            Just("42".to_string()),
            Just("44/a,".to_string()),
            Just("0{}".to_string()),
            Just(String::new()),
        ]
        .prop_map(Srv::Garbage),
    ]
}

fn emit_kind(zero: bool) -> impl Strategy<Value = EmitKind> {
    let timeout = move || proptest::option::of(dur(zero, 30_000));
    prop_oneof![
        3 => Just(EmitKind::Plain),
        1 => Just(EmitKind::Volatile),
        4 => timeout().prop_map(EmitKind::WithAck),
        1 => (0u8..4, proptest::option::of(timeout())).prop_map(|(n, ack)| EmitKind::Binary { n, ack }),
    ]
}

fn action(zero: bool) -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => Just(Act::Connect),
        1 => Just(Act::Disconnect),
        3 => target().prop_map(Act::Opened),
        2 => (target(), any::<bool>()).prop_map(|(t, f)| Act::Closed(t, f)),
        14 => (target(), server_frame(zero)).prop_map(|(t, s)| Act::Recv(t, s)),
        22 => Just(Act::Auto),
        2 => (ns_index(), prop_oneof![
                4 => Just(AuthKind::Valid), 1 => Just(AuthKind::Empty), 1 => Just(AuthKind::None),
                1 => (0u8..8).prop_map(AuthKind::Invalid)])
            .prop_map(|(ns, a)| Act::Auth(ns, a)),
        10 => (ns_index(), emit_kind(zero), prop_oneof![4 => 0usize..40, 1 => 0usize..1200], prop_oneof![12 => Just(0u8), 1 => 1u8..5])
            .prop_map(|(ns, kind, size, bad)| Act::Emit { ns, kind, size, bad }),
        2 => (any::<u8>(), 0usize..100).prop_map(|(pick, size)| Act::AckReply { pick, size }),
        2 => (1u8..8, 0u8..10, 1usize..400).prop_map(|(n, k, size)| Act::Cut { n, k, size }),
        1 => (ns_index(), 1u8..70, proptest::option::of(prop_oneof![1u64..100, 1u64..60_000]))
            .prop_map(|(ns, n, timeout)| Act::Burst { ns, n, timeout }),
        2 => any::<u8>().prop_map(Act::Cancel),
        1 => (ns_index(), 0u8..6, 0u8..6).prop_map(|(ns, pid, offset)| Act::Restore { ns, pid, offset }),
        2 => ns_index().prop_map(Act::OpenNs),
        1 => ns_index().prop_map(Act::CloseNs),
        2 => prop::bool::weighted(0.6).prop_map(Act::Network),
        1 => any::<bool>().prop_map(Act::Foreground),
        6 => (prop_oneof![
                4 => 0i64..100, 4 => 0i64..5_000, 2 => 5_000i64..60_000, 1 => 60_000i64..2_000_000,
                1 => Just(1i64 << 40), 1 => -20_000i64..0],
              prop::bool::weighted(0.7))
            .prop_map(|(ms, fire)| Act::Advance { ms, fire }),
        5 => Just(Act::Jump),
        1 => Just(Act::Tick),
    ]
}

/// A duration in ms: small or large; zero often when `zero`.
fn dur(zero: bool, hi: u64) -> BoxedStrategy<u64> {
    if zero {
        prop_oneof![2 => Just(0u64), 1 => 0u64..100, 1 => 0..hi].boxed()
    } else {
        prop_oneof![1 => 1u64..100, 3 => 1..hi].boxed()
    }
}

/// A cooperative host and server with a little chaos: long connected stretches with
/// traffic (emits, acks both ways, events, binary, pings), occasional failures.
fn coop_action() -> impl Strategy<Value = Act> {
    let ns = || prop_oneof![6 => Just(0u8), 2 => 1u8..3, 1 => 3u8..10];
    prop_oneof![
        30 => Just(Act::Auto),
        10 => (ns(), emit_kind(false), 0usize..200).prop_map(|(ns, kind, size)| Act::Emit { ns, kind, size, bad: 0 }),
        8 => (ns(), proptest::option::of(0u64..5), 0usize..100, any::<bool>())
            .prop_map(|(ns, ack, size, offset)| Act::Recv(Tgt::Current, Srv::Event { ns, ack, size, offset })),
        6 => any::<u8>().prop_map(|pick| Act::Recv(Tgt::Current, Srv::Ack { ns: 0, pick, known: true })),
        1 => (ns(), any::<u8>()).prop_map(|(ns, pick)| Act::Recv(Tgt::Current, Srv::BinAck { ns, pick, n: 1 })),
        1 => (ns(), 1u8..3, proptest::option::of(0u64..3))
            .prop_map(|(ns, n, ack)| Act::Recv(Tgt::Current, Srv::BinEvent { ns, n, ack })),
        4 => Just(Act::Recv(Tgt::Current, Srv::Ping)),
        4 => (any::<u8>(), 0usize..30).prop_map(|(pick, size)| Act::AckReply { pick, size }),
        2 => any::<u8>().prop_map(Act::Cancel),
        3 => ns().prop_map(Act::OpenNs),
        1 => ns().prop_map(Act::CloseNs),
        1 => (ns(), 0u8..6).prop_map(|(ns, which)| Act::Recv(Tgt::Current, Srv::ConnectError { ns, which })),
        1 => ns().prop_map(|ns| Act::Recv(Tgt::Current, Srv::Disconnect { ns })),
        6 => (0i64..3_000).prop_map(|ms| Act::Advance { ms, fire: true }),
        1 => (1u8..6, 0u8..8, 1usize..400).prop_map(|(n, k, size)| Act::Cut { n, k, size }),
        1 => (0u8..4, 1u8..40).prop_map(|(ns, n)| Act::Burst { ns, n, timeout: None }),
        1 => (target(), any::<bool>()).prop_map(|(t, f)| Act::Closed(t, f)),
        1 => any::<bool>().prop_map(Act::Network),
        1 => any::<bool>().prop_map(Act::Foreground),
        1 => Just(Act::Jump),
        1 => Just(Act::Connect),
    ]
}

fn policy(zero: bool) -> impl Strategy<Value = ReconnectPolicy> {
    (
        prop::bool::weighted(0.9),
        dur(zero, 5_000),
        dur(zero, 60_000),
        0u32..5,
        prop_oneof![Just(0u32), 0u32..1000, Just(1000u32), 1000u32..3000],
        prop_oneof![Just(None), (0u32..6).prop_map(Some)],
    )
        .prop_map(|(enabled, initial_delay_ms, max_delay_ms, multiplier, jitter_permille, max_attempts)| {
            ReconnectPolicy { enabled, initial_delay_ms, max_delay_ms, multiplier, jitter_permille, max_attempts }
        })
}

fn config(zero: bool) -> impl Strategy<Value = Config> {
    (
        policy(zero),
        // Never 0: with a zero backoff delay too, one input runs a cascade of attempts that
        // overflows the command queue (a core bug, see `zero_connect_timeout_cascade`).
        1..=30_000u64,
        dur(zero, 60_000),
        prop::bool::weighted(0.7),
        dur(zero, 20_000),
        dur(zero, 20_000),
        prop_oneof![0usize..4, 0usize..=70],
        prop_oneof![3 => Just(1_000_000usize), 1 => 60usize..2_000],
    )
        .prop_map(|(reconnect, connect_to, slow, request_auth, auth_to, ack_to, max_acks, max_payload)| Config {
            reconnect,
            connect_timeout_ms: connect_to,
            slow_connection_after_ms: slow,
            request_auth,
            auth_timeout_ms: auth_to,
            ack_timeout_ms: ack_to,
            max_pending_acks: max_acks,
            default_max_payload: max_payload,
            ..Config::DEFAULT
        })
}

// ---------------------------------------------------------------------------------------
// Owned copies of the client's outputs
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ok { args: String, attachments: usize },
    Timeout,
    Disconnected,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq)]
enum Ev {
    AuthRequired { ns: String, refresh: bool },
    Connected { ns: String, recovered: bool },
    ConnectError { ns: String, message: String, data: Option<String> },
    AuthFailed { ns: String, message: String },
    Disconnected { ns: Option<String>, reason: DisconnectReason },
    Event { ns: String, name: String, args: String, ack_id: Option<u64>, attachments: Vec<Vec<u8>> },
    Ack { ack: u64, outcome: Outcome },
    ReconnectScheduled { attempt: u32, delay_ms: u64 },
    Reconnected { attempts: u32 },
    ReconnectFailed { attempts: u32 },
    SlowConnection { elapsed_ms: u64 },
    ProtocolError(DecodeErrorKind),
    EmitTooLarge { ns: String, size: u64, max: u64 },
}

fn own(ev: &ClientEvent<'_>) -> Ev {
    match *ev {
        ClientEvent::AuthRequired { namespace, refresh } => Ev::AuthRequired { ns: namespace.into(), refresh },
        ClientEvent::Connected { namespace, recovered } => Ev::Connected { ns: namespace.into(), recovered },
        ClientEvent::ConnectError { namespace, message, data } => {
            Ev::ConnectError { ns: namespace.into(), message: message.into(), data: data.map(Into::into) }
        }
        ClientEvent::AuthFailed { namespace, message } => {
            Ev::AuthFailed { ns: namespace.into(), message: message.into() }
        }
        ClientEvent::Disconnected { namespace, reason } => Ev::Disconnected { ns: namespace.map(Into::into), reason },
        ClientEvent::Event(e) => Ev::Event {
            ns: e.namespace.into(),
            name: e.name_raw.into(),
            args: e.args_raw.into(),
            ack_id: e.ack_id,
            attachments: e.attachments.iter().map(<[u8]>::to_vec).collect(),
        },
        ClientEvent::Ack { ack, outcome } => Ev::Ack {
            ack: ack.0,
            outcome: match outcome {
                AckOutcome::Ok { args_raw, attachments } => {
                    Outcome::Ok { args: args_raw.into(), attachments: attachments.len() }
                }
                AckOutcome::Timeout => Outcome::Timeout,
                AckOutcome::Disconnected => Outcome::Disconnected,
                AckOutcome::Cancelled => Outcome::Cancelled,
            },
        },
        ClientEvent::ReconnectScheduled { attempt, delay_ms } => Ev::ReconnectScheduled { attempt, delay_ms },
        ClientEvent::Reconnected { attempts } => Ev::Reconnected { attempts },
        ClientEvent::ReconnectFailed { attempts } => Ev::ReconnectFailed { attempts },
        ClientEvent::SlowConnection { elapsed_ms } => Ev::SlowConnection { elapsed_ms },
        ClientEvent::ProtocolError { kind } => Ev::ProtocolError(kind),
        ClientEvent::EmitTooLarge { namespace, size, max } => Ev::EmitTooLarge { ns: namespace.into(), size, max },
    }
}

// ---------------------------------------------------------------------------------------
// The host / server model
// ---------------------------------------------------------------------------------------

/// A namespace as the wire of the current transport sees it.
#[derive(Debug, Clone, PartialEq)]
enum Wire {
    /// CONNECT sent (carrying this recovery pid, if any), no reply yet.
    Pending(Option<String>),
    /// The server accepted it.
    Up,
}

/// What the current transport has carried.
#[derive(Debug, Default)]
struct Tp {
    /// The handshake's maxPayload, once received.
    handshake: Option<u64>,
    ns: BTreeMap<String, Wire>,
    /// Binary frames still owed by the last BINARY_EVENT / BINARY_ACK sent.
    attachments_owed: usize,
    /// Namespaces whose recovery session was restored while their CONNECT was in flight.
    restored: BTreeSet<String>,
}

/// What one input produced, and what it was.
#[derive(Default)]
struct Batch {
    opens: Vec<TransportId>,
    closes: Vec<TransportId>,
    pongs: usize,
    sent: Vec<String>,
    events: Vec<Ev>,
    /// A frame was delivered on the current, opened transport.
    delivered: bool,
    /// The input delivered an ack (or an attachment that may complete one).
    ack_frame: bool,
    /// The input was `set_network(false)` (deadlines due before it may still open).
    going_offline: bool,
    /// The input was close_namespace().
    closing_ns: bool,
    /// The input was disconnect().
    disconnecting: bool,
    /// The input was a CONNECT reply: buffered emits are flushed.
    flushing: bool,
    /// Deadlines may be due when the input arrives.
    may_fire: bool,
    /// The host reported this transport closed in this input.
    reported_closed: Option<TransportId>,
}

struct Host<const OUT: usize, const IN: usize> {
    client: Box<Client<OUT, IN>>,
    cfg: Config,
    /// Durations of zero were generated: deadlines may be set to `now` itself.
    zero: bool,
    now: u64,
    /// The largest `now` handed to the client (its clock never goes back).
    seen: u64,
    cur: Option<TransportId>,
    opened: bool,
    issued: Vec<TransportId>,
    tp: Tp,
    online: bool,
    may_open: bool,
    last_attempt: u32,
    failed: bool,
    /// Namespaces the app was told are connected.
    app_up: BTreeSet<String>,
    outstanding: BTreeSet<u64>,
    handles: Vec<u64>,
    /// (namespace, wire id) of acks the client asked the server for.
    server_acks: Vec<(String, u64)>,
    /// (namespace, wire id) of acks the server asked the client for.
    client_acks: Vec<(String, u64)>,
    transcript: Vec<String>,
    stats: Stats,
    /// Frames the host still sends before its socket fails (`Act::Cut`).
    tx_budget: Option<usize>,
    emit_seq: u64,
    /// Bug B6 may have dropped emits (see `Act::Cut`): loss is no longer checked.
    b6_tainted: bool,
    /// Per namespace, the emits accepted and not yet sent (nor discarded as documented),
    /// in order.
    owed: BTreeMap<String, std::collections::VecDeque<u64>>,
    /// Per accepted emit, the least and largest length its packet frame can have (the ack
    /// id is the client's): matches `EmitTooLarge` reports to the emit they dropped.
    emit_len: BTreeMap<u64, (usize, usize, usize)>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    cases: usize,
    steps: usize,
    connected: usize,
    acks_ok: usize,
    acks_other: usize,
    scheduled: usize,
    failed: usize,
    queue_full: usize,
    timeout_at_now: usize,
    max_queued: usize,
    close_quirk: usize,
    frame_too_large: usize,
    disconnect_opens: usize,
    max_acks: usize,
    oversize_flushed: usize,
    steps_connected: usize,
    lost: [usize; 6],
    connected_without_ns: usize,
    stop_untold: usize,
    b6_risk: usize,
    b6_hit: usize,
    restore_quirk: usize,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.cases += 1;
        self.steps += o.steps;
        self.connected += o.connected;
        self.acks_ok += o.acks_ok;
        self.acks_other += o.acks_other;
        self.scheduled += o.scheduled;
        self.failed += o.failed;
        self.queue_full += o.queue_full;
        self.timeout_at_now += o.timeout_at_now;
        self.max_queued = self.max_queued.max(o.max_queued);
        self.close_quirk += o.close_quirk;
        self.frame_too_large += o.frame_too_large;
        self.disconnect_opens += o.disconnect_opens;
        self.max_acks = self.max_acks.max(o.max_acks);
        self.oversize_flushed += o.oversize_flushed;
        self.steps_connected += o.steps_connected;
        self.connected_without_ns += o.connected_without_ns;
        self.stop_untold += o.stop_untold;
        self.b6_risk += o.b6_risk;
        self.b6_hit += o.b6_hit;
        self.restore_quirk += o.restore_quirk;
        for i in 0..6 {
            self.lost[i] += o.lost[i];
        }
    }
}

macro_rules! check {
    ($self:ident, $cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($self.fail(format!($($fmt)+)));
        }
    };
}

fn prefix(ns: &str) -> String {
    if ns == "/" {
        String::new()
    } else {
        format!("{ns},")
    }
}

fn json_arg(size: usize) -> String {
    match size % 4 {
        0 => format!("\"{}\"", "x".repeat(size)),
        1 => format!("{{\"k\":[1,2,\"{}\"]}}", "y".repeat(size)),
        2 => size.to_string(),
        _ => format!("[\"\\u00e9\\n{}\",null,true]", "z".repeat(size)),
    }
}

/// The namespace of a decoded packet.
fn parse_ns(p: &Packet<'_>) -> String {
    p.namespace.to_string()
}

impl<const OUT: usize, const IN: usize> Host<OUT, IN> {
    fn new(cfg: Config, seed: u64, zero: bool) -> Self {
        Host {
            client: Box::new(Client::new(cfg, seed)),
            cfg,
            zero,
            now: 1_000_000,
            seen: 0,
            cur: None,
            opened: false,
            issued: vec![],
            tp: Tp::default(),
            online: true,
            may_open: false,
            last_attempt: 0,
            failed: false,
            app_up: BTreeSet::new(),
            outstanding: BTreeSet::new(),
            handles: vec![],
            server_acks: vec![],
            client_acks: vec![],
            transcript: vec![],
            stats: Stats::default(),
            tx_budget: None,
            emit_seq: 0,
            b6_tainted: false,
            owed: BTreeMap::new(),
            emit_len: BTreeMap::new(),
        }
    }

    fn t(&mut self) -> Instant {
        self.seen = self.seen.max(self.now);
        Instant::from_millis(self.now)
    }

    fn fail(&self, msg: String) -> TestCaseError {
        let tail: Vec<&String> = self.transcript.iter().rev().take(30).collect();
        let mut s = format!("{msg}\n--- last transcript lines (newest first) ---\n");
        for l in tail {
            let _ = writeln!(s, "{l}");
        }
        TestCaseError::fail(s)
    }

    fn log(&mut self, line: String) {
        self.transcript.push(line);
    }

    fn id_of(&self, tgt: Tgt) -> TransportId {
        match (tgt, self.cur) {
            (Tgt::Current, Some(id)) => id,
            (Tgt::Current, None) | (Tgt::Stale(_), _) => {
                let k = match tgt {
                    Tgt::Stale(k) => usize::from(k),
                    Tgt::Current => 0,
                };
                if self.issued.is_empty() || k % 5 == 4 {
                    TransportId(1000 + k as u32)
                } else {
                    self.issued[k % self.issued.len()]
                }
            }
        }
    }

    fn ack_limit(&self) -> usize {
        self.cfg.max_pending_acks.min(MAX_PENDING_ACKS)
    }

    /// Runs one action: the input, the drain, and every check.
    fn step(&mut self, act: &Act) -> Result<(), TestCaseError> {
        self.stats.steps += 1;
        let act = if let Act::Auto = act { self.auto() } else { act.clone() };
        self.log(format!("@{} {:?}", self.now, act));
        // Deadlines may be due when this input arrives (time moved without an input, or a
        // deadline was set to `now` itself): the input fires them first.
        let mut b = Batch { may_fire: self.zero || self.now > self.seen, ..Batch::default() };
        let before = self.client.state();
        // Errors the action returned, checked against what the situation allows.
        match act.clone() {
            Act::Auto => unreachable!(),
            Act::Connect => {
                if matches!(before, ConnectionState::Idle | ConnectionState::Stopped) {
                    self.last_attempt = 0;
                    self.failed = false;
                }
                self.may_open = true;
                let t = self.t();
                self.client.connect(t);
            }
            Act::Disconnect => {
                self.owed.clear();
                b.disconnecting = true;
                self.may_open = false;
                let t = self.t();
                self.client.disconnect(t);
            }
            Act::Opened(tgt) => {
                let id = self.id_of(tgt);
                if Some(id) == self.cur {
                    self.opened = true;
                }
                let t = self.t();
                self.client.handle_transport_opened(t, id);
            }
            Act::Closed(tgt, failed) => {
                let id = self.id_of(tgt);
                if Some(id) == self.cur {
                    self.cur = None;
                    self.opened = false;
                    self.tp = Tp::default();
                    b.reported_closed = Some(id);
                }
                let cause = if failed { TransportCause::Failed } else { TransportCause::Closed };
                let t = self.t();
                self.client.handle_transport_closed(t, id, cause);
            }
            Act::Recv(tgt, srv) => {
                let id = self.id_of(tgt);
                b.delivered = Some(id) == self.cur && self.opened;
                b.ack_frame = matches!(srv, Srv::Ack { .. } | Srv::BinAck { .. } | Srv::Binary(_));
                b.flushing = matches!(srv, Srv::ConnectOk { .. } | Srv::ConnectBare { .. });
                self.recv(id, &srv, &mut b)?;
            }
            Act::Auth(ns, kind) => {
                let name = NAMES[usize::from(ns)];
                let state = self.client.namespace_state(name);
                let auth: Option<String> = match kind {
                    AuthKind::Valid => Some(format!("{{\"token\":\"{TOKEN}\"}}")),
                    AuthKind::Empty => Some("{}".into()),
                    AuthKind::None => None,
                    AuthKind::Invalid(k) => {
                        Some(["1", "\"s\"", "[1]", "{", " {}", "é", "", "{\"a\":1}}"][usize::from(k) % 8].to_string())
                    }
                };
                let t = self.t();
                let r = self.client.provide_auth(t, name, auth.as_deref());
                self.log(format!("  -> {r:?}"));
                let state_known = !b.may_fire;
                match r {
                    _ if !state_known && matches!(r, Ok(()) | Err(ClientError::NotAwaitingAuth)) => {}
                    Ok(()) => check!(
                        self,
                        matches!(state, Some(NamespaceState::AwaitingAuth { .. })),
                        "[1] provide_auth accepted in {state:?}"
                    ),
                    Err(ClientError::UnknownNamespace) => {
                        check!(self, state.is_none(), "[1] UnknownNamespace for {name}")
                    }
                    Err(ClientError::NotAwaitingAuth) => check!(
                        self,
                        state.is_some() && !matches!(state, Some(NamespaceState::AwaitingAuth { .. })),
                        "[1] NotAwaitingAuth in {state:?}"
                    ),
                    Err(ClientError::InvalidAuth) => {
                        check!(self, matches!(kind, AuthKind::Invalid(_)), "[1] InvalidAuth for {auth:?}")
                    }
                    Err(ClientError::SendBufferFull) => {}
                    Err(e) => check!(self, false, "[1] provide_auth: undocumented error {e:?}"),
                }
            }
            Act::Emit { ns, kind, size, bad } => self.emit(ns, kind, size, bad, &mut b)?,
            Act::Cut { n, k, size } => {
                self.tx_budget = Some(usize::from(k));
                for i in 0..n {
                    let kind = match i % 3 {
                        0 => EmitKind::Plain,
                        1 => EmitKind::WithAck(None),
                        _ => EmitKind::Binary { n: 2, ack: Some(None) },
                    };
                    self.emit(0, kind, size + usize::from(i), 0, &mut b)?;
                }
                self.tx_budget = None;
                // Bug B6: at a transport loss, unsent emits and the send buffer must fit
                // one queue together, or the buffered emits that do not fit are lost.
                if self.cur.is_some() && self.client.queued_bytes() > OUT {
                    self.b6_tainted = true;
                    self.stats.b6_risk += 1;
                }
                if let Some(id) = self.cur {
                    self.cur = None;
                    self.opened = false;
                    self.tp = Tp::default();
                    b.reported_closed = Some(id);
                    let t = self.t();
                    self.client.handle_transport_closed(t, id, TransportCause::Failed);
                }
            }
            Act::Restore { ns, pid, offset } => {
                let name = NAMES[usize::from(ns)];
                let (long_pid, long_offset) = ("x".repeat(70), "y".repeat(70));
                let pid = ["p1", "", "p\"q\\é", "p2", &long_pid, "p1"][usize::from(pid)];
                let offset = ["", "o-1", "bad\"", "o\\", &long_offset, "o\u{1}"][usize::from(offset)];
                let valid = !pid.is_empty()
                    && pid.len() <= 64
                    && offset.len() <= 64
                    && offset.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\');
                let known = self.client.namespace_state(name).is_some();
                // A namespace whose CONNECT is in flight or done refuses a restore (Q6).
                let busy = matches!(
                    self.client.namespace_state(name),
                    Some(NamespaceState::AwaitingAuth { .. } | NamespaceState::Connecting | NamespaceState::Connected)
                );
                let r = self.client.restore_recovery_session(name, pid, offset);
                self.log(format!("  -> {r:?}"));
                match r {
                    Ok(()) => {
                        check!(self, known && valid && !busy, "[1] restore accepted {pid:?} {offset:?} on {name}");
                        let got = self.client.recovery_session(name);
                        check!(self, got == Some((pid, offset)), "[P] recovery_session {got:?} after restore");
                        if let Some(Wire::Pending(_)) = self.tp.ns.get(name) {
                            self.tp.restored.insert(name.to_string());
                        }
                    }
                    Err(ClientError::UnknownNamespace) => check!(self, !known, "[1] UnknownNamespace on restore"),
                    Err(ClientError::InvalidRecoverySession) => {
                        check!(self, !valid || busy, "[1] valid session refused")
                    }
                    Err(e) => check!(self, false, "[1] restore: undocumented error {e:?}"),
                }
            }
            Act::Burst { ns, n, timeout } => {
                for i in 0..n {
                    self.emit(ns, EmitKind::WithAck(timeout), usize::from(i), 0, &mut b)?;
                }
            }
            Act::AckReply { pick, size } => {
                let (ns, id) = if self.client_acks.is_empty() || pick % 7 == 6 {
                    (NAMES[usize::from(pick % 3)].to_string(), u64::from(pick))
                } else {
                    self.client_acks[usize::from(pick) % self.client_acks.len()].clone()
                };
                let arg = json_arg(size);
                let args: Vec<&str> = if size % 5 == 0 { vec![] } else { vec![arg.as_str()] };
                let t = self.t();
                let r = self.client.ack(t, &ns, id, &args);
                self.log(format!("  -> {r:?}"));
                match r {
                    Ok(()) => {
                        self.drain(&mut b)?;
                        let want = format!("43{}{id}[", prefix(&ns));
                        check!(
                            self,
                            b.sent.iter().any(|s| s.starts_with(&want)),
                            "[P] ack() Ok but {want} not sent: {:?}",
                            b.sent
                        );
                    }
                    Err(
                        ClientError::UnknownNamespace
                        | ClientError::NotConnected
                        | ClientError::Invalid(_)
                        | ClientError::PayloadTooLarge { .. }
                        | ClientError::SendBufferFull,
                    ) => {}
                    Err(e) => check!(self, false, "[1] ack: undocumented error {e:?}"),
                }
            }
            Act::Cancel(pick) => {
                let h = if self.handles.is_empty() || pick % 9 == 8 {
                    u64::from(pick) + 1_000_000
                } else {
                    self.handles[usize::from(pick) % self.handles.len()]
                };
                let expect = self.outstanding.contains(&h);
                let t = self.t();
                let r = self.client.cancel_ack(t, AckHandle(h));
                self.log(format!("  -> {r:?}"));
                self.drain(&mut b)?;
                let ended: Vec<&Outcome> = b
                    .events
                    .iter()
                    .filter_map(
                        |e| if let Ev::Ack { ack, outcome } = e { (*ack == h).then_some(outcome) } else { None },
                    )
                    .collect();
                if r {
                    check!(self, expect, "[3] cancel_ack({h}) true for a handle that had ended");
                    check!(self, ended == vec![&Outcome::Cancelled], "[3] cancel_ack({h}) true but it ended {ended:?}");
                } else {
                    // A deadline due before the command (time moved without an input) may
                    // have ended it first.
                    check!(self, !expect || ended.len() == 1, "[3] cancel_ack({h}) false for a pending handle");
                }
            }
            Act::OpenNs(ns) => {
                let name = NAMES[usize::from(ns)];
                let t = self.t();
                let r = self.client.open_namespace(t, name);
                self.log(format!("  -> {r:?}"));
                match r {
                    Ok(()) => {
                        check!(self, self.client.namespace_state(name).is_some(), "[1] opened namespace has no state")
                    }
                    Err(ClientError::InvalidNamespace) => {
                        check!(self, usize::from(ns) >= 10, "[1] {name} called invalid")
                    }
                    Err(ClientError::TooManyNamespaces | ClientError::SendBufferFull | ClientError::EventQueueFull) => {
                        if let Err(ClientError::EventQueueFull) = r {
                            self.stats.queue_full += 1;
                        }
                    }
                    Err(e) => check!(self, false, "[1] open_namespace: undocumented error {e:?}"),
                }
            }
            Act::CloseNs(ns) => {
                b.closing_ns = true;
                let name = NAMES[usize::from(ns)];
                let t = self.t();
                let r = self.client.close_namespace(t, name);
                self.log(format!("  -> {r:?}"));
                match r {
                    Ok(()) => {
                        self.owed.remove(name);
                        self.drain(&mut b)?;
                        // Its CONNECT, if in flight, is abandoned: a late reply is ignored.
                        if let Some(Wire::Pending(_)) = self.tp.ns.get(name) {
                            self.tp.ns.remove(name);
                        }
                        check!(
                            self,
                            !self.tp.ns.contains_key(name),
                            "[P] closed namespace {name} still up on the wire"
                        );
                    }
                    Err(ClientError::UnknownNamespace) => {
                        check!(self, self.client.namespace_state(name).is_none(), "[1] UnknownNamespace")
                    }
                    Err(ClientError::SendBufferFull) => {}
                    Err(e) => check!(self, false, "[1] close_namespace: undocumented error {e:?}"),
                }
            }
            Act::Network(on) => {
                if on && before == ConnectionState::Offline {
                    self.last_attempt = 0;
                }
                b.going_offline = !on && self.online;
                self.online = on;
                let t = self.t();
                self.client.set_network(t, on);
            }
            Act::Foreground(fg) => {
                let t = self.t();
                self.client.set_foreground(t, fg);
                check!(self, self.client.is_foreground() == fg, "[P] is_foreground");
            }
            Act::Advance { ms, fire } => {
                self.now = if ms < 0 {
                    self.now.saturating_sub(ms.unsigned_abs())
                } else {
                    self.now.saturating_add(ms as u64)
                };
                if fire {
                    let t = self.t();
                    self.client.handle_timeout(t);
                }
            }
            Act::Jump => {
                if let Some(t) = self.client.poll_timeout() {
                    self.now = t.as_millis();
                }
                let t = self.t();
                self.client.handle_timeout(t);
            }
            Act::Tick => {
                let t = self.t();
                self.client.handle_timeout(t);
            }
        }
        self.drain(&mut b)?;
        self.after(&act, before, &b)
    }

    /// The natural next step of a cooperative host and server.
    fn auto(&self) -> Act {
        if self.cur.is_some() && !self.opened {
            return Act::Opened(Tgt::Current);
        }
        if self.cur.is_some() && self.tp.handshake.is_none() {
            return Act::Recv(
                Tgt::Current,
                Srv::Handshake { interval: 25_000, timeout: 20_000, max_payload: 1_000_000 },
            );
        }
        for (i, n) in NAMES.iter().enumerate().take(10) {
            if let Some(NamespaceState::AwaitingAuth { .. }) = self.client.namespace_state(n) {
                return Act::Auth(i as u8, AuthKind::Valid);
            }
        }
        if self.cur.is_some() {
            if let Some((n, _)) = self.tp.ns.iter().find(|(_, w)| matches!(w, Wire::Pending(_))) {
                let i = NAMES.iter().position(|x| x == n).unwrap_or(0) as u8;
                return Act::Recv(Tgt::Current, Srv::ConnectOk { ns: i, pid: Some((self.stats.steps % 2) as u8) });
            }
            if !self.server_acks.is_empty() && !self.stats.steps.is_multiple_of(4) {
                // The newest request first (the list keeps the last 32).
                let pick = (self.server_acks.len() - 1) as u8;
                return Act::Recv(Tgt::Current, Srv::Ack { ns: 0, pick, known: true });
            }
            if self.stats.steps.is_multiple_of(4) {
                return Act::Recv(Tgt::Current, Srv::Ping);
            }
        }
        match self.client.state() {
            ConnectionState::Idle | ConnectionState::Stopped => Act::Connect,
            ConnectionState::Offline => Act::Network(true),
            ConnectionState::Connected if self.stats.steps.is_multiple_of(2) => {
                Act::Emit { ns: 0, kind: EmitKind::WithAck(None), size: self.stats.steps % 50, bad: 0 }
            }
            ConnectionState::Connected => Act::Recv(
                Tgt::Current,
                Srv::Event { ns: 0, ack: Some(self.stats.steps as u64 % 3), size: 3, offset: true },
            ),
            _ => Act::Jump,
        }
    }

    fn recv(&mut self, id: TransportId, srv: &Srv, b: &mut Batch) -> Result<(), TestCaseError> {
        let ns_name = |ns: &u8| NAMES[usize::from(*ns)];
        let pick_ack = |host: &Self, ns: u8, pick: u8, known: bool| -> (String, u64) {
            if known && !host.server_acks.is_empty() {
                host.server_acks[usize::from(pick) % host.server_acks.len()].clone()
            } else {
                (ns_name(&ns).to_string(), u64::from(pick % 6))
            }
        };
        let mut frames: Vec<Result<String, Vec<u8>>> = vec![];
        match srv {
            Srv::Handshake { interval, timeout, max_payload } => frames.push(Ok(format!(
                r#"0{{"sid":"s","upgrades":[],"pingInterval":{interval},"pingTimeout":{timeout},"maxPayload":{max_payload}}}"#
            ))),
            Srv::ConnectOk { ns, pid } => {
                let p = match pid {
                    Some(k) => format!(r#"{{"sid":"n","pid":"{}"}}"#, PIDS[usize::from(*k)]),
                    None => r#"{"sid":"n"}"#.to_string(),
                };
                frames.push(Ok(format!("40{}{p}", prefix(ns_name(ns)))));
            }
            Srv::ConnectBare { ns } => frames.push(Ok(format!("40{}", prefix(ns_name(ns))))),
            Srv::ConnectError { ns, which } => {
                frames.push(Ok(format!("44{}{}", prefix(ns_name(ns)), CONNECT_ERRORS[usize::from(*which)])))
            }
            Srv::Disconnect { ns } => frames.push(Ok(format!("41{}", prefix(ns_name(ns))))),
            Srv::Event { ns, ack, size, offset } => {
                let id = ack.map(|a| a.to_string()).unwrap_or_default();
                let off = if *offset { format!(",\"off-{}\"", self.stats.steps) } else { String::new() };
                frames.push(Ok(format!("42{}{id}[\"ev\",{}{off}]", prefix(ns_name(ns)), json_arg(*size))));
            }
            Srv::Ack { ns, pick, known } => {
                let (n, id) = pick_ack(self, *ns, *pick, *known);
                // Mostly answered once (a repeated answer is ignored by the client).
                if *known && pick % 4 != 0 && b.delivered {
                    self.server_acks.retain(|(m, i)| !(*m == n && *i == id));
                }
                frames.push(Ok(format!("43{}{id}[\"ok\",{}]", prefix(&n), pick)));
            }
            Srv::BinEvent { ns, n, ack } => {
                let id = ack.map(|a| a.to_string()).unwrap_or_default();
                let ph: Vec<String> = (0..*n).map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#)).collect();
                frames.push(Ok(format!("45{n}-{}{id}[\"bin\",{}]", prefix(ns_name(ns)), ph.join(","))));
                for i in 0..*n {
                    frames.push(Err(vec![i; usize::from(i) * 3 + 1]));
                }
            }
            Srv::BinAck { ns, pick, n } => {
                let (name, id) = pick_ack(self, *ns, *pick, true);
                let ph: Vec<String> = (0..*n).map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#)).collect();
                frames.push(Ok(format!("46{n}-{}{id}[{}]", prefix(&name), ph.join(","))));
                for i in 0..*n {
                    frames.push(Err(vec![0xa0 + i; 5]));
                }
            }
            Srv::Binary(bytes) => frames.push(Err(bytes.clone())),
            Srv::Ping => frames.push(Ok("2".into())),
            Srv::Close => frames.push(Ok("1".into())),
            Srv::Noop => frames.push(Ok("6".into())),
            Srv::Upgrade => frames.push(Ok("5".into())),
            Srv::Base64 => frames.push(Ok("bAQID".into())),
            Srv::Garbage(s) => frames.push(Ok(s.clone())),
        }
        // What a delivered frame does to the wire, applied before the client sees it: the
        // frames it makes the client send in the same input are checked against it.
        let delivered = b.delivered;
        let mut expect: Option<Ev> = None;
        let mut pending_before: Option<Option<String>> = None;
        if delivered {
            match srv {
                Srv::Handshake { max_payload, .. } => self.tp.handshake = Some(*max_payload),
                Srv::ConnectOk { ns, pid } => {
                    let name = ns_name(ns);
                    if let Some(Wire::Pending(sent_pid)) = self.tp.ns.get(name).cloned() {
                        let reply_pid = pid.map(|k| PIDS[usize::from(k)]);
                        let recovered = sent_pid.is_some() && sent_pid.as_deref() == reply_pid;
                        expect = Some(Ev::Connected { ns: name.into(), recovered });
                        pending_before = Some(sent_pid);
                        self.tp.ns.insert(name.into(), Wire::Up);
                    }
                }
                Srv::ConnectBare { ns } => {
                    let name = ns_name(ns);
                    if let Some(Wire::Pending(sent_pid)) = self.tp.ns.get(name).cloned() {
                        expect = Some(Ev::Connected { ns: name.into(), recovered: false });
                        pending_before = Some(sent_pid);
                        self.tp.ns.insert(name.into(), Wire::Up);
                    }
                }
                Srv::ConnectError { ns, .. } => {
                    let name = ns_name(ns);
                    if let Some(Wire::Pending(_)) = self.tp.ns.get(name) {
                        self.tp.ns.remove(name);
                        pending_before = Some(None);
                    }
                }
                Srv::Disconnect { ns } => {
                    let name = ns_name(ns);
                    if self.tp.ns.get(name) == Some(&Wire::Up) {
                        self.tp.ns.remove(name);
                        expect = Some(Ev::Disconnected {
                            ns: Some(name.into()),
                            reason: DisconnectReason::ServerDisconnect,
                        });
                    }
                }
                _ => {}
            }
        }
        let full_before = self.stats.queue_full;
        for (i, f) in frames.iter().enumerate() {
            let t = self.t();
            let r = match f {
                Ok(text) => self.client.handle_frame(t, id, Frame::Text(text)),
                Err(bytes) => self.client.handle_frame(t, id, Frame::Binary(bytes)),
            };
            match r {
                Ok(()) => {}
                Err(ClientError::EventQueueFull) => {
                    self.stats.queue_full += 1;
                    self.log(format!("  frame {i}: EventQueueFull"));
                }
                Err(e) => check!(self, false, "[1] handle_frame: undocumented error {e:?}"),
            }
            self.drain(b)?;
        }
        // Documented discards: a refused namespace and a server DISCONNECT drop that
        // namespace's buffered and queued emits.
        for e in &b.events {
            match e {
                Ev::ConnectError { ns, .. }
                | Ev::AuthFailed { ns, .. }
                | Ev::Disconnected { ns: Some(ns), reason: DisconnectReason::ServerDisconnect } => {
                    self.owed.remove(ns);
                }
                _ => {}
            }
        }
        // A deadline due before the frame may have closed the transport first.
        if !delivered || b.closes.contains(&id) {
            return Ok(());
        }
        let full = self.stats.queue_full > full_before;
        match srv {
            Srv::ConnectOk { ns, .. } | Srv::ConnectBare { ns } => {
                let name = ns_name(ns);
                let connected: Vec<&Ev> =
                    b.events.iter().filter(|e| matches!(e, Ev::Connected { ns, .. } if ns == name)).collect();
                // Finding Q6: a session restored while the CONNECT was in flight replaces
                // the pid the reply is compared with: `recovered` is then not reliable.
                let restored = self.tp.restored.remove(name);
                if restored {
                    self.stats.restore_quirk += 1;
                }
                match &expect {
                    Some(want) => check!(
                        self,
                        connected == vec![want]
                            || full
                            || (restored && connected.len() == 1 && matches!(connected[0], Ev::Connected { .. })),
                        "[P] CONNECT reply for pending {name} (sent pid {pending_before:?}): want {want:?}, got {:?}",
                        b.events
                    ),
                    None => check!(self, connected.is_empty(), "[P] Connected for {name} without a CONNECT in flight"),
                }
            }
            Srv::ConnectError { ns, .. } if pending_before.is_some() => {
                let name = ns_name(ns);
                let answered = b.events.iter().any(|e| match e {
                    Ev::AuthRequired { ns, refresh } => ns == name && *refresh,
                    Ev::AuthFailed { ns, .. } | Ev::ConnectError { ns, .. } => ns == name,
                    _ => false,
                });
                check!(self, answered || full, "[P] CONNECT_ERROR for {name} not reported: {:?}", b.events);
            }
            Srv::Disconnect { ns } => {
                let name = ns_name(ns);
                if let Some(want) = &expect {
                    check!(
                        self,
                        b.events.contains(want) || full,
                        "[P] server DISCONNECT of {name} not reported: {:?}",
                        b.events
                    );
                }
            }
            Srv::Ping => check!(self, b.pongs == 1, "[P] ping answered by {} pongs", b.pongs),
            Srv::Close => check!(self, false, "[P] Engine.IO close did not close the transport"),
            _ => {}
        }
        Ok(())
    }

    fn emit(&mut self, ns: u8, kind: EmitKind, size: usize, bad: u8, b: &mut Batch) -> Result<(), TestCaseError> {
        let closes_before = b.closes.len();
        let name_ns = NAMES[usize::from(ns)];
        // Every emit is named after a sequence number: the wire shows which emit a frame is.
        self.emit_seq += 1;
        let seq = self.emit_seq;
        let tagged = format!("{}{seq}", if matches!(kind, EmitKind::Volatile) { 'v' } else { 'm' });
        // A name that needs escaping (still valid, still tagged).
        let escaped = format!("{tagged}\"\u{e9}\\");
        let ev_name = match bad {
            1 => "connect",
            2 => "disconnect",
            3 => escaped.as_str(),
            _ => tagged.as_str(),
        };
        let arg = if bad == 4 { "{\"unclosed\":".to_string() } else { json_arg(size) };
        let args: Vec<&str> = if size % 7 == 3 { vec![] } else { vec![arg.as_str(), "1"] };
        let atts: Vec<Vec<u8>> = match kind {
            EmitKind::Binary { n, .. } => (0..n).map(|i| vec![i; size * usize::from(i)]).collect(),
            _ => vec![],
        };
        let atts: Vec<&[u8]> = atts.iter().map(Vec::as_slice).collect();
        let before_acks = self.outstanding.len();
        let wire_up = self.opened && self.tp.ns.get(name_ns) == Some(&Wire::Up);
        let t = self.t();
        let (status, handle, err) = match kind {
            EmitKind::Plain => match self.client.emit(t, name_ns, ev_name, &args) {
                Ok(s) => (Some(s), None, None),
                Err(e) => (None, None, Some(e)),
            },
            EmitKind::Volatile => match self.client.emit_volatile(t, name_ns, ev_name, &args) {
                Ok(s) => (Some(s), None, None),
                Err(e) => (None, None, Some(e)),
            },
            EmitKind::WithAck(to) => match self.client.emit_with_ack(t, name_ns, ev_name, &args, to) {
                Ok(h) => (None, Some(h), None),
                Err(e) => (None, None, Some(e)),
            },
            EmitKind::Binary { ack, .. } => {
                let to = ack.map(|t| t.unwrap_or(self.cfg.ack_timeout_ms));
                match self.client.emit_binary(t, name_ns, ev_name, &args, &atts, to) {
                    Ok((s, h)) => {
                        check!(self, h.is_some() == ack.is_some(), "[3] emit_binary handle {h:?} for ack {ack:?}");
                        (Some(s), h, None)
                    }
                    Err(e) => (None, None, Some(e)),
                }
            }
        };
        self.log(format!("  -> status {status:?} handle {handle:?} err {err:?}"));
        if let Some(h) = handle {
            check!(self, !self.handles.contains(&h.0), "[3] handle {h:?} returned twice");
            check!(self, before_acks < self.ack_limit() || b.may_fire, "[6] ack accepted beyond max_pending_acks");
            self.handles.push(h.0);
            self.outstanding.insert(h.0);
        }
        match err {
            None => {}
            Some(ClientError::UnknownNamespace) => {
                check!(self, self.client.namespace_state(name_ns).is_none(), "[1] UnknownNamespace for a known one")
            }
            Some(ClientError::AckTableFull) => {
                check!(self, before_acks >= self.ack_limit(), "[1] AckTableFull with {before_acks} acks pending")
            }
            // Outgoing frames are bounded by the codec limit derived from IN as well.
            Some(ClientError::Invalid(DecodeErrorKind::FrameTooLarge)) => self.stats.frame_too_large += 1,
            Some(ClientError::Invalid(k)) => check!(self, bad != 0, "[1] valid emit refused as invalid: {k:?}"),
            Some(
                ClientError::SendBufferFull | ClientError::PayloadTooLarge { .. } | ClientError::TooManyAttachments,
            ) => {}
            Some(e) => check!(self, false, "[1] emit: undocumented error {e:?}"),
        }
        let status = status.or(handle.map(|_| if wire_up { EmitStatus::Queued } else { EmitStatus::Buffered }));
        if err.is_none() && !matches!(kind, EmitKind::Volatile) {
            self.owed.entry(name_ns.to_string()).or_default().push_back(seq);
            let n = u8::try_from(atts.len()).unwrap_or(u8::MAX);
            let with_ack = handle.is_some();
            let len = |ack_id: Option<u64>| {
                let ev = tidings::wire::OutgoingEvent {
                    namespace: name_ns,
                    ack_id,
                    name: ev_name,
                    args: &args,
                    attachments: n,
                };
                let lim = tidings::wire::Limits { max_frame_len: usize::MAX, ..tidings::wire::Limits::DEFAULT };
                match ev.encode(&mut [], &lim, true) {
                    Ok(l) | Err(tidings::wire::EncodeError::BufferTooSmall { needed: l }) => l,
                    Err(_) => 0,
                }
            };
            let (lo, hi) =
                if with_ack { (len(Some(0)), len(Some(tidings::wire::MAX_ACK_ID))) } else { (len(None), len(None)) };
            let biggest_attachment = atts.iter().map(|a| a.len()).max().unwrap_or(0);
            self.emit_len.insert(seq, (lo, hi, biggest_attachment));
        }
        self.drain(b)?;
        if b.closes.len() > closes_before {
            // A deadline due before the command closed the transport first.
            return Ok(());
        }
        match status {
            Some(EmitStatus::Queued) if self.tx_budget.is_some() => {}
            Some(EmitStatus::Queued) => {
                check!(self, wire_up, "[P] emit Queued but {name_ns} is not connected on the wire");
                let head = format!("4{}", if atts.is_empty() { "2" } else { "5" });
                check!(self, b.sent.iter().any(|s| s.starts_with(&head)), "[P] Queued emit not sent: {:?}", b.sent);
            }
            Some(EmitStatus::Buffered) => {
                check!(self, !wire_up, "[P] emit Buffered while {name_ns} is connected");
            }
            Some(EmitStatus::Dropped) => {
                check!(
                    self,
                    matches!(kind, EmitKind::Volatile) && !wire_up,
                    "[P] emit Dropped ({kind:?}, up: {wire_up})"
                )
            }
            None => {}
        }
        Ok(())
    }

    /// Drains every output, checking each as it comes.
    /// Forgets the owed emits of `ns` that cannot fit the handshake's maxPayload: the client
    /// drops them with `EmitTooLarge` when the namespace connects.
    fn forget_doomed(&mut self, ns: &str) {
        let Some(max) = self.tp.handshake else { return };
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        let lens = &self.emit_len;
        if let Some(q) = self.owed.get_mut(ns) {
            q.retain(|seq| lens.get(seq).is_none_or(|&(lo, _, att)| lo.max(att) <= max));
        }
    }

    fn drain(&mut self, b: &mut Batch) -> Result<(), TestCaseError> {
        loop {
            let mut progressed = false;
            while let Some(cmd) = self.client.poll_transport() {
                progressed = true;
                self.on_command(cmd, b)?;
            }
            loop {
                // A host whose socket is failing stops sending, after a complete group.
                if self.tx_budget == Some(0) && self.tp.attachments_owed == 0 {
                    break;
                }
                if let Some(k) = &mut self.tx_budget {
                    *k = k.saturating_sub(1);
                }
                let Some((id, kind, bytes)) =
                    self.client.poll_transmit().map(|t| (t.transport, t.kind, t.bytes.to_vec()))
                else {
                    break;
                };
                progressed = true;
                self.on_transmit(id, kind, bytes, b)?;
            }
            while let Some(ev) = self.client.poll_event().map(|e| own(&e)) {
                progressed = true;
                self.on_event(ev, b)?;
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    fn on_command(&mut self, cmd: TransportCommand, b: &mut Batch) -> Result<(), TestCaseError> {
        self.log(format!("  cmd {cmd:?}"));
        match cmd {
            TransportCommand::Open { id, path, query } => {
                check!(self, self.cur.is_none(), "[2] Open {id:?} while {:?} is open or opening", self.cur);
                check!(self, !self.issued.contains(&id), "[2] Open reuses transport id {id:?}");
                // Finding: disconnect() when a backoff is due first starts that attempt (Open),
                // then closes it; tolerated when the Close follows in the same input.
                check!(
                    self,
                    self.may_open || b.disconnecting,
                    "[5] Open {id:?} after disconnect()/Stopped without connect()"
                );
                check!(self, self.online || b.going_offline, "[8] Open {id:?} while offline");
                check!(self, path == self.cfg.path && query == tidings::client::WEBSOCKET_QUERY, "[P] Open URL");
                self.issued.push(id);
                self.cur = Some(id);
                self.opened = false;
                self.tp = Tp::default();
                b.opens.push(id);
            }
            TransportCommand::Close { id } => {
                check!(
                    self,
                    self.cur == Some(id) || b.reported_closed == Some(id),
                    "[2] Close {id:?}, current {:?}",
                    self.cur
                );
                if self.cur == Some(id) {
                    self.cur = None;
                    self.opened = false;
                    self.tp = Tp::default();
                }
                b.closes.push(id);
            }
        }
        Ok(())
    }

    fn on_transmit(
        &mut self,
        id: TransportId,
        kind: FrameKind,
        bytes: Vec<u8>,
        b: &mut Batch,
    ) -> Result<(), TestCaseError> {
        check!(
            self,
            self.cur == Some(id) && self.opened,
            "[2] transmit on {id:?}; host has {:?} (opened: {})",
            self.cur,
            self.opened
        );
        if kind == FrameKind::Binary {
            self.log(format!("  sent binary {} bytes", bytes.len()));
            check!(self, self.tp.attachments_owed > 0, "[P] binary frame sent without a binary packet before it");
            self.tp.attachments_owed -= 1;
            return Ok(());
        }
        let text = String::from_utf8(bytes);
        check!(self, text.is_ok(), "[P] text frame is not UTF-8");
        let text = text.unwrap_or_default();
        self.log(format!("  sent {}", text.chars().take(120).collect::<String>()));
        check!(
            self,
            self.tp.attachments_owed == 0,
            "[P] text frame {text} sent while {} attachments are owed",
            self.tp.attachments_owed
        );
        let limits = Limits::DEFAULT;
        let engine = EnginePacket::decode(Frame::Text(&text), &limits);
        check!(self, engine.is_ok(), "[P] sent frame does not decode: {text} ({engine:?})");
        let Ok(engine) = engine else { unreachable!() };
        match (engine.kind, engine.data) {
            (EngineKind::Pong, _) => b.pongs += 1,
            (EngineKind::Message, EngineData::Text(sio)) => {
                let p = Packet::decode(sio, &limits);
                check!(self, p.is_ok(), "[P] sent packet does not decode: {text} ({p:?})");
                let Ok(p) = p else { unreachable!() };
                let ns = parse_ns(&p);
                match p.kind {
                    PacketKind::Connect => {
                        check!(self, self.tp.handshake.is_some(), "[P] CONNECT {ns} before the handshake");
                        check!(self, !self.tp.ns.contains_key(&ns), "[P] CONNECT {ns} while {:?}", self.tp.ns.get(&ns));
                        check!(
                            self,
                            !text.contains(TOKEN) || self.cfg.request_auth,
                            "[P] token sent without request_auth"
                        );
                        let pid = p.payload.and_then(|pl| {
                            serde_json::from_str::<serde_json::Value>(pl).ok()?.get("pid")?.as_str().map(String::from)
                        });
                        self.tp.ns.insert(ns, Wire::Pending(pid));
                    }
                    PacketKind::Disconnect => {
                        check!(
                            self,
                            self.tp.ns.get(&ns) == Some(&Wire::Up),
                            "[P] DISCONNECT {ns} sent while {:?}",
                            self.tp.ns.get(&ns)
                        );
                        self.tp.ns.remove(&ns);
                    }
                    PacketKind::Event | PacketKind::BinaryEvent | PacketKind::Ack | PacketKind::BinaryAck => {
                        check!(
                            self,
                            self.tp.ns.get(&ns) == Some(&Wire::Up),
                            "[P] {:?} for {ns} sent while {:?} on the wire",
                            p.kind,
                            self.tp.ns.get(&ns)
                        );
                        if let Some(max) = self.tp.handshake.filter(|&m| text.len() as u64 > m) {
                            // Bug B2: emits buffered before the handshake are sent without
                            // checking its maxPayload (only tolerated for that flush).
                            check!(
                                self,
                                b.flushing,
                                "[P] sent {} bytes, server maxPayload {max}: {}",
                                text.len(),
                                &text[..40.min(text.len())]
                            );
                            self.stats.oversize_flushed += 1;
                        }
                        self.tp.attachments_owed = usize::from(p.attachments);
                        if let Some(seq) = p.event().and_then(|e| match e.name {
                            tidings::wire::EventName::Text(t) => {
                                let digits: String =
                                    t.raw().strip_prefix('m')?.chars().take_while(char::is_ascii_digit).collect();
                                digits.parse::<u64>().ok()
                            }
                            tidings::wire::EventName::Number(_) => None,
                        }) {
                            // Emits too large for this server are dropped (`EmitTooLarge`, which
                            // may come later in the same batch): they are not owed.
                            self.forget_doomed(&ns);
                            let owed = self.owed.entry(ns.clone()).or_default();
                            let front = owed.front().copied();
                            let known = owed.contains(&seq);
                            if front == Some(seq) {
                                owed.pop_front();
                            }
                            if front != Some(seq) && self.b6_tainted {
                                self.stats.b6_hit += 1;
                                owed.retain(|&x| x > seq);
                                b.sent.push(text);
                                return Ok(());
                            }
                            check!(self, front == Some(seq), "[P] emit m{seq} sent on {ns}; next owed there is {front:?} (m{seq} owed: {known}): an emit was lost, duplicated or reordered");
                        }
                        if let (true, Some(id)) = (p.kind.is_event(), p.ack_id) {
                            self.server_acks.push((ns, id));
                            if self.server_acks.len() > 32 {
                                self.server_acks.remove(0);
                            }
                        }
                    }
                    PacketKind::ConnectError => check!(self, false, "[P] client sent CONNECT_ERROR"),
                }
            }
            other => check!(self, false, "[P] client sent Engine.IO {other:?}"),
        }
        b.sent.push(text);
        Ok(())
    }

    fn on_event(&mut self, ev: Ev, b: &mut Batch) -> Result<(), TestCaseError> {
        self.log(format!("  ev {ev:?}"));
        // A namespace refused at any time (a CONNECT_ERROR, or its auth timing out on a live
        // connection) drops its buffered emits, as documented.
        if let Ev::ConnectError { ns, .. } | Ev::AuthFailed { ns, .. } = &ev {
            self.owed.remove(ns);
        }
        let policy = self.cfg.reconnect;
        match &ev {
            Ev::EmitTooLarge { ns, .. } => {
                // Buffered emits over the handshake's maxPayload are dropped, as documented.
                self.forget_doomed(ns);
            }
            Ev::Ack { ack, outcome } => {
                check!(self, self.outstanding.remove(ack), "[3] Ack for handle {ack} that is unknown or already ended");
                match outcome {
                    Outcome::Ok { args, .. } => {
                        check!(self, b.ack_frame, "[3] Ack Ok without an ack frame");
                        check!(
                            self,
                            serde_json::from_str::<serde_json::Value>(&format!("[{args}]")).is_ok(),
                            "[P] ack args not JSON: {args}"
                        );
                        self.stats.acks_ok += 1;
                    }
                    _ => self.stats.acks_other += 1,
                }
            }
            Ev::ReconnectScheduled { attempt, delay_ms } => {
                self.stats.scheduled += 1;
                check!(self, self.online || b.going_offline, "[8] ReconnectScheduled while offline");
                check!(self, policy.enabled, "[4] ReconnectScheduled with reconnection disabled");
                check!(self, !self.failed, "[4] ReconnectScheduled after ReconnectFailed");
                check!(self, *attempt == self.last_attempt + 1, "[4] attempt {attempt} after {}", self.last_attempt);
                check!(
                    self,
                    policy.max_attempts.is_none_or(|m| *attempt <= m),
                    "[4] attempt {attempt} beyond {policy:?}"
                );
                let (lo, hi) = delay_bounds_ms(&policy, *attempt);
                check!(
                    self,
                    (lo..=hi).contains(delay_ms),
                    "[4] delay {delay_ms} outside {lo}..={hi} for attempt {attempt}"
                );
                self.last_attempt = *attempt;
            }
            Ev::ReconnectFailed { attempts } => {
                self.stats.failed += 1;
                check!(self, !self.failed, "[4] ReconnectFailed twice in one outage");
                check!(
                    self,
                    *attempts == self.last_attempt,
                    "[4] ReconnectFailed{{{attempts}}} after {} attempts",
                    self.last_attempt
                );
                let exhausted = !policy.enabled || policy.max_attempts.is_some_and(|m| *attempts >= m);
                check!(self, exhausted, "[4] ReconnectFailed{{{attempts}}} with {policy:?}");
                self.failed = true;
            }
            Ev::Reconnected { attempts } => {
                check!(
                    self,
                    *attempts > 0 && *attempts == self.last_attempt,
                    "[4] Reconnected{{{attempts}}} after {}",
                    self.last_attempt
                );
                self.last_attempt = 0;
            }
            Ev::Connected { ns, .. } => {
                self.stats.connected += 1;
                check!(self, self.app_up.insert(ns.clone()), "[P] Connected {ns} twice without Disconnected");
            }
            Ev::Disconnected { ns: Some(ns), reason } => {
                let was_up = self.app_up.remove(ns);
                // Finding: close_namespace() reports Disconnected{ns, ClientDisconnect} even for
                // a namespace that was never connected (or closed twice). Tolerated, counted.
                let quirk = b.closing_ns && *reason == DisconnectReason::ClientDisconnect;
                if !was_up && quirk {
                    self.stats.close_quirk += 1;
                }
                check!(
                    self,
                    was_up || quirk,
                    "[P] Disconnected {ns} ({reason:?}) while the app did not see it connected"
                );
            }
            Ev::Event { ns, name, args, .. } => {
                check!(self, self.app_up.contains(ns), "[P] event for {ns} before it is Connected");
                check!(
                    self,
                    serde_json::from_str::<String>(&format!("\"{name}\"")).is_ok() || name.parse::<f64>().is_ok(),
                    "[P] event name {name}"
                );
                check!(
                    self,
                    serde_json::from_str::<serde_json::Value>(&format!("[{args}]")).is_ok(),
                    "[P] event args not JSON: {args}"
                );
                if let Ev::Event { ack_id: Some(id), .. } = &ev {
                    self.client_acks.push((ns.clone(), *id));
                    if self.client_acks.len() > 16 {
                        self.client_acks.remove(0);
                    }
                }
            }
            Ev::SlowConnection { elapsed_ms } => {
                check!(
                    self,
                    *elapsed_ms >= self.cfg.slow_connection_after_ms,
                    "[P] SlowConnection after {elapsed_ms} ms"
                )
            }
            Ev::ConnectError { data: Some(d), .. } => {
                check!(self, serde_json::from_str::<serde_json::Value>(d).is_ok(), "[P] connect_error data not JSON")
            }
            _ => {}
        }
        b.events.push(ev);
        Ok(())
    }

    /// Checks that hold after every input.
    fn after(&mut self, act: &Act, before: ConnectionState, b: &Batch) -> Result<(), TestCaseError> {
        let state = self.client.state();
        self.log(format!("  state {state:?} timeout {:?}", self.client.poll_timeout()));
        if state == ConnectionState::Connected {
            self.stats.steps_connected += 1;
        }
        for e in &b.events {
            if let Ev::Disconnected { ns: None, reason } = e {
                self.stats.lost[*reason as usize] += 1;
            }
        }
        // [8] A `set_network(false)` may open a transport that was due before it, but then
        // closes it in the same input.
        for id in &b.opens {
            check!(self, self.online || b.closes.contains(id), "[8] Open {id:?} not closed when going offline");
            check!(self, !b.disconnecting || b.closes.contains(id), "[5] Open {id:?} by disconnect() not closed");
            if b.disconnecting {
                self.stats.disconnect_opens += 1;
            }
        }
        // [6] Memory.
        let q = self.client.queued_bytes();
        self.stats.max_queued = self.stats.max_queued.max(q);
        self.stats.max_acks = self.stats.max_acks.max(self.client.pending_acks());
        check!(self, q <= 2 * OUT + 2 * IN, "[6] queued_bytes {q} > 2*{OUT}+2*{IN}");
        check!(self, self.client.pending_acks() <= self.ack_limit(), "[6] pending_acks over the limit");
        // [3] The table holds exactly the handles that have not ended.
        check!(
            self,
            self.client.pending_acks() == self.outstanding.len(),
            "[3] pending_acks() {} but {} handles have not ended: {:?}",
            self.client.pending_acks(),
            self.outstanding.len(),
            self.outstanding
        );
        // [7] Every due deadline was fired (only after an input: moving the clock is not one).
        let input = !matches!(act, Act::Advance { fire: false, .. } | Act::Restore { .. });
        if let Some(t) = self.client.poll_timeout().filter(|_| input) {
            let t = t.as_millis();
            check!(self, t >= self.seen, "[7] poll_timeout {t} is in the past (now {})", self.seen);
            // Finding: a deadline set to `now` during the input (a zero delay, which jitter
            // 1000 permille can draw) is not fired in that input.
            let zero_delay = b.events.iter().any(|e| matches!(e, Ev::ReconnectScheduled { delay_ms: 0, .. }))
                && matches!(state, ConnectionState::Reconnecting { at, .. } if at.as_millis() == t);
            if t == self.seen {
                self.stats.timeout_at_now += 1;
            }
            check!(
                self,
                t > self.seen || self.zero || zero_delay,
                "[7] poll_timeout {t} == now after {act:?}: a deadline due now was not fired"
            );
        }
        // [5] Idle / Stopped: nothing opens until connect().
        if matches!(state, ConnectionState::Idle | ConnectionState::Stopped) {
            self.may_open = false;
            check!(self, self.cur.is_none(), "[2] {state:?} but transport {:?} not closed", self.cur);
        }
        if let Act::Disconnect = act {
            self.last_attempt = 0;
            check!(self, state == ConnectionState::Idle, "[5] state after disconnect(): {state:?}");
            check!(
                self,
                self.outstanding.is_empty(),
                "[3] acks still pending after disconnect(): {:?}",
                self.outstanding
            );
            check!(
                self,
                self.client.queued_bytes() == 0,
                "[6] {} bytes queued after disconnect()",
                self.client.queued_bytes()
            );
        }
        let stopped_in_batch = b.events.iter().any(|e| {
            matches!(
                e,
                Ev::ReconnectFailed { .. }
                    | Ev::AuthFailed { .. }
                    | Ev::Disconnected { ns: None, reason: DisconnectReason::ServerDisconnect }
            )
        });
        if let Act::Connect = act {
            // A deadline due before connect() may have stopped the client first; connect()
            // then starts a new outage.
            if stopped_in_batch {
                self.failed = false;
                self.last_attempt = 0;
            }
        } else if !b.disconnecting && b.events.iter().any(|e| matches!(e, Ev::ReconnectFailed { .. })) {
            check!(self, state == ConnectionState::Stopped, "[4] ReconnectFailed but state {state:?}");
        }
        // [8] Offline: nothing is being tried.
        if !self.online {
            check!(
                self,
                matches!(state, ConnectionState::Offline | ConnectionState::Idle | ConnectionState::Stopped),
                "[8] offline but {state:?}"
            );
        }
        if state == ConnectionState::Offline {
            check!(self, self.cur.is_none(), "[8] Offline with transport {:?}", self.cur);
        }
        // The app's view of connected namespaces = the client's = the wire's.
        let by_state: BTreeSet<String> = NAMES
            .iter()
            .filter(|n| self.client.namespace_state(n) == Some(NamespaceState::Connected))
            .map(|n| n.to_string())
            .collect();
        let on_wire: BTreeSet<String> =
            self.tp.ns.iter().filter(|(_, w)| **w == Wire::Up).map(|(n, _)| n.clone()).collect();
        if self.stats.queue_full == 0 {
            check!(
                self,
                self.app_up == by_state,
                "[P] app saw {:?} connected, namespace_state says {by_state:?}",
                self.app_up
            );
        }
        check!(self, on_wire == by_state, "[P] wire has {on_wire:?} connected, namespace_state says {by_state:?}");
        // Emits to a connected namespace are all sent (the buffer is flushed on connect and
        // the host drains the queue), unless the host's socket is stalling.
        if self.tx_budget.is_none() && self.opened && !self.b6_tainted {
            for ns in &on_wire {
                let owed = self.owed.get(ns).map(|q| q.iter().copied().collect::<Vec<_>>()).unwrap_or_default();
                check!(self, owed.is_empty(), "[P] {ns} is connected but emits {owed:?} were never sent (lost)");
            }
        }
        if state == ConnectionState::Connected {
            check!(self, self.opened, "[P] Connected without an open transport");
            if by_state.is_empty() {
                self.stats.connected_without_ns += 1;
            }
        }
        if before == ConnectionState::Connected && state != ConnectionState::Connected {
            let told = b.events.iter().any(|e| matches!(e, Ev::Disconnected { ns: None, .. }));
            // Finding: a CONNECT_ERROR that stops the client (AuthFailed, or the last wanted
            // namespace refused) does not report Disconnected{None}. Tolerated, counted.
            let refused = b.events.iter().any(|e| matches!(e, Ev::AuthFailed { .. } | Ev::ConnectError { .. }));
            if !told && refused {
                self.stats.stop_untold += 1;
            }
            check!(
                self,
                told || refused,
                "[P] left Connected for {state:?} without Disconnected{{None}}: {:?}",
                b.events
            );
        }
        // Tokens never reach Debug output.
        if self.stats.steps.is_multiple_of(16) {
            let dbg = format!("{:?}", self.client);
            check!(self, !dbg.contains(TOKEN), "[P] token in Debug output");
        }
        Ok(())
    }

    /// Ends the run: disconnect() must end every ack.
    fn finish(&mut self) -> Result<(), TestCaseError> {
        self.step(&Act::Disconnect)?;
        check!(self, self.outstanding.is_empty(), "[3] acks never ended: {:?}", self.outstanding);
        // Nothing more happens, whatever time does.
        for act in [Act::Advance { ms: 1 << 30, fire: true }, Act::Network(false), Act::Network(true), Act::Jump] {
            self.step(&act)?;
        }
        Ok(())
    }
}

/// Runs `acts` on a fresh client; returns the transcript and statistics.
fn run<const OUT: usize, const IN: usize>(
    cfg: Config,
    seed: u64,
    zero: bool,
    acts: &[Act],
) -> Result<(Vec<String>, Stats), TestCaseError> {
    let mut h = Host::<OUT, IN>::new(cfg, seed, zero);
    for a in acts {
        h.step(a)?;
    }
    h.finish()?;
    Ok((h.transcript, h.stats))
}

fn runner(cases: u32) -> PtConfig {
    PtConfig { cases, failure_persistence: None, max_shrink_iters: 4096, ..PtConfig::default() }
}

/// Runs `cases` random cases of up to `len` actions on a `Client<OUT, IN>`; `replay` runs
/// each twice and compares the transcripts ([9]).
fn explore<const OUT: usize, const IN: usize>(
    name: &str,
    cases: u32,
    len: usize,
    zero: bool,
    replay: bool,
    coop: bool,
    adjust: fn(&mut Config),
) {
    let total = std::cell::RefCell::new(Stats::default());
    // TIDINGS_INVARIANT_SCALE=N runs N times as many cases (a longer hunt).
    let scale = std::env::var("TIDINGS_INVARIANT_SCALE").ok().and_then(|v| v.parse::<u32>().ok()).unwrap_or(1);
    let cases = cases * scale.max(1);
    let mut runner = proptest::test_runner::TestRunner::new(runner(cases));
    // Half the cases start by connecting fully, so that deep states are reached often.
    let acts = if coop { coop_action().boxed() } else { action(zero).boxed() };
    let strategy = (config(zero), any::<u64>(), any::<bool>(), proptest::collection::vec(acts, 1..len));
    let result = runner.run(&strategy, |(mut cfg, seed, warm, mut acts)| {
        adjust(&mut cfg);
        if warm {
            acts.splice(0..0, std::iter::repeat_n(Act::Auto, 6));
        }
        let (a, stats) = run::<OUT, IN>(cfg, seed, zero, &acts)?;
        if replay {
            let (b, _) = run::<OUT, IN>(cfg, seed, zero, &acts)?;
            prop_assert!(a == b, "[9] the same seed and actions gave different transcripts");
        }
        total.borrow_mut().add(&stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    println!("{name}: {cases} cases (Client<{OUT}, {IN}>): {:?}", total.borrow());
}

#[test]
fn client_invariants_hold() {
    explore::<4096, 4096>("client_invariants_hold", 96, 260, false, true, false, |_| {});
}

/// A tiny client, so that full queues are reached.
#[test]
fn tiny_client_invariants_hold() {
    // Few acks: more than about 25 ending in one input overflow a 512-byte event queue and
    // their Ack events are lost (bug B1, `bug_b1_*`).
    explore::<512, 512>("tiny_client_invariants_hold", 64, 200, false, false, false, |c| {
        c.max_pending_acks = c.max_pending_acks.min(12)
    });
}

/// A cooperative host and server: long connected stretches with traffic. Acks and ack
/// timeouts are long enough for answers to arrive.
#[test]
fn cooperative_traffic_invariants_hold() {
    explore::<4096, 4096>("cooperative_traffic_invariants_hold", 64, 300, false, true, true, |c| {
        c.ack_timeout_ms = c.ack_timeout_ms.max(5_000);
        c.connect_timeout_ms = c.connect_timeout_ms.max(5_000);
        c.auth_timeout_ms = c.auth_timeout_ms.max(5_000);
    });
}

/// Zero durations everywhere (timeouts, delays, heartbeat): every invariant but the strict
/// form of [7] (deadlines set to `now` during an input wait for the next one).
#[test]
fn zero_durations_keep_invariants() {
    explore::<4096, 4096>("zero_durations_keep_invariants", 48, 160, true, false, false, |_| {});
}

#[test]
fn client_size_is_bounded() {
    let small = std::mem::size_of::<Client<512, 512>>();
    let mid = std::mem::size_of::<Client<4096, 4096>>();
    let default = std::mem::size_of::<Client>();
    println!("size_of Client<512,512> = {small}, Client<4096,4096> = {mid}, Client (32 KiB) = {default}");
    // Four queues and the reassembly buffer, plus fixed tables (acks, namespaces).
    for (size, out, inn) in [(small, 512, 512), (mid, 4096, 4096), (default, 32768, 32768)] {
        assert!(size <= 2 * out + 3 * inn + 16 * 1024, "{size} bytes for OUT={out} IN={inn}");
    }
}

// ---------------------------------------------------------------------------------------
// Minimal sequences of the core bugs found (ignored until fixed: each asserts the correct
// behaviour and fails today). Run with `-- --ignored`.
// ---------------------------------------------------------------------------------------

/// A config without auth requests and without jitter, for exact sequences.
fn plain_config(f: impl FnOnce(&mut Config)) -> Config {
    let mut c = Config { request_auth: false, ..Config::DEFAULT };
    c.reconnect.jitter_permille = 0;
    f(&mut c);
    c
}

const HANDSHAKE: &str = r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

/// A host that drains everything, recording it.
struct Direct<const OUT: usize, const IN: usize> {
    c: Box<Client<OUT, IN>>,
    now: u64,
    id: Option<TransportId>,
    commands: Vec<TransportCommand>,
    sent: Vec<(FrameKind, Vec<u8>)>,
    events: Vec<Ev>,
}

impl<const OUT: usize, const IN: usize> Direct<OUT, IN> {
    fn new(cfg: Config) -> Self {
        Direct {
            c: Box::new(Client::new(cfg, 1)),
            now: 1_000,
            id: None,
            commands: vec![],
            sent: vec![],
            events: vec![],
        }
    }

    fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn pump(&mut self) {
        while let Some(cmd) = self.c.poll_transport() {
            if let TransportCommand::Open { id, .. } = cmd {
                self.id = Some(id);
            }
            self.commands.push(cmd);
        }
        while let Some(tx) = self.c.poll_transmit() {
            self.sent.push((tx.kind, tx.bytes.to_vec()));
        }
        while let Some(ev) = self.c.poll_event() {
            self.events.push(own(&ev));
        }
    }

    fn recv(&mut self, text: &str) {
        let (t, id) = (self.t(), self.id.expect("a transport"));
        self.c.handle_frame(t, id, Frame::Text(text)).expect("room for events");
        self.pump();
    }

    /// connect, open, handshake, (auth), CONNECT reply for "/".
    fn connect_fully(&mut self) {
        let t = self.t();
        self.c.connect(t);
        self.pump();
        let id = self.id.expect("Open");
        self.c.handle_transport_opened(t, id);
        self.recv(HANDSHAKE);
        if self.c.config().request_auth {
            self.c.provide_auth(t, "/", Some(r#"{"token":"t"}"#)).unwrap();
            self.pump();
        }
        self.recv(r#"40{"sid":"n"}"#);
        assert_eq!(self.c.state(), ConnectionState::Connected);
    }

    fn sent_text(&self) -> Vec<String> {
        self.sent.iter().map(|(k, b)| format!("{k:?} {}", String::from_utf8_lossy(b))).collect()
    }
}

/// B1: a small event queue drops Ack endings. Every ack must end exactly once, and the
/// host drains after every input, but the 40 Ack events of one `disconnect()` do not fit
/// a 512-byte event queue: `push_event` fails and is ignored (`let _ =`). 11 handles
/// never end, while `pending_acks()` says 0. A mass ack timeout loses them the same way.
#[test]

fn bug_b1_tiny_event_queue_drops_ack_endings() {
    let cfg = plain_config(|c| c.max_pending_acks = 64);
    let mut acts = vec![Act::Connect, Act::Auto, Act::Auto, Act::Auto];
    acts.push(Act::Burst { ns: 0, n: 40, timeout: Some(60_000) });
    acts.push(Act::Disconnect);
    if let Err(e) = run::<512, 512>(cfg, 7, false, &acts) {
        panic!("{e}");
    }
}

/// B2: emits buffered before the handshake are sent without checking the handshake's
/// `maxPayload` (only emits made after it are refused with `PayloadTooLarge`): a 214-byte
/// frame goes to a server that announced 100, which closes the connection for it.
#[test]

fn bug_b2_buffered_emit_ignores_handshake_max_payload() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|_| {}));
    let t = d.t();
    let big = format!("\"{}\"", "x".repeat(200));
    assert_eq!(d.c.emit(t, "/", "m", &[big.as_str()]), Ok(EmitStatus::Buffered));
    d.c.connect(t);
    d.pump();
    d.c.handle_transport_opened(t, d.id.unwrap());
    d.recv(r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100}"#);
    d.recv(r#"40{"sid":"n"}"#);
    for (_, bytes) in &d.sent {
        assert!(bytes.len() <= 100, "sent {} bytes to a server with maxPayload 100", bytes.len());
    }
}

/// B3: a namespace opened while connected whose `AuthRequired` is not answered in time
/// takes the whole connection down: "/" is disconnected, the transport closed and a
/// reconnection scheduled (then the same happens again after every reconnection).
#[test]

fn bug_b3_extra_namespace_auth_timeout_drops_the_connection() {
    let mut d = Direct::<4096, 4096>::new(Config { request_auth: true, ..plain_config(|_| {}) });
    d.connect_fully();
    let t = d.t();
    d.c.open_namespace(t, "/a").unwrap();
    d.pump();
    assert!(d.events.contains(&Ev::AuthRequired { ns: "/a".into(), refresh: false }));
    d.recv("2");
    d.commands.clear();
    d.now += d.c.config().auth_timeout_ms;
    d.c.handle_timeout(d.t());
    d.pump();
    assert_eq!(d.commands, vec![], "events: {:?}", d.events);
    assert_eq!(d.c.namespace_state("/"), Some(NamespaceState::Connected));
}

/// B4: `connect_timeout_ms: 0` with a zero backoff delay: one input runs the 304-step
/// safety net of `fire_due` as back-to-back attempts; the 4-entry command queue overflows,
/// `Open`s are dropped and the host is told to close transports it never opened:
/// `[Open{0}, Close{148}, Close{149}, Close{150}, Close{151}]`, 152 events, and the client
/// waits on `Opening(152)` the host never heard of.
#[test]

fn bug_b4_zero_timeout_cascade_overflows_commands() {
    let cfg = plain_config(|c| {
        c.connect_timeout_ms = 0;
        c.reconnect.initial_delay_ms = 0;
        c.reconnect.max_attempts = None;
    });
    if let Err(e) = run::<4096, 4096>(cfg, 1, true, &[Act::Connect, Act::Tick]) {
        panic!("{e}");
    }
}

/// B5: the host's socket fails after it sent a BINARY_EVENT but before its attachments:
/// the attachments stay queued and are sent on the next connection with no packet before
/// them, which the server's decoder refuses ("got binary data when not reconstructing a
/// packet") by closing the connection.
#[test]

fn bug_b5_orphan_attachments_after_interrupted_send() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|c| c.reconnect.initial_delay_ms = 10));
    d.connect_fully();
    let t = d.t();
    let r = d.c.emit_binary(t, "/", "up", &[], &[b"one", b"two"], Some(5_000));
    assert!(matches!(r, Ok((EmitStatus::Queued, Some(_)))));
    // The host sends the packet; its socket fails before the attachments.
    let first = d.c.poll_transmit().map(|x| x.bytes.to_vec()).unwrap();
    assert!(first.starts_with(b"452-"));
    d.c.handle_transport_closed(t, d.id.unwrap(), TransportCause::Failed);
    d.pump();
    d.sent.clear();
    d.now += 10;
    d.c.handle_timeout(d.t());
    d.pump();
    d.c.handle_transport_opened(d.t(), d.id.unwrap());
    d.recv(HANDSHAKE);
    d.recv(r#"40{"sid":"m"}"#);
    let binary = d.sent.iter().filter(|(k, _)| *k == FrameKind::Binary).count();
    assert_eq!(binary, 0, "attachments sent without their packet: {:?}", d.sent_text());
}

/// B6: a host under write backpressure leaves emits in the outbound queue; when the
/// transport fails, `reset_session` moves the send buffer behind them and clears what did
/// not fit. Emits buffered for a namespace still connecting are lost silently (m2 and m3
/// below; with acks, those would only end by timeout).
#[test]

fn bug_b6_buffered_emits_lost_at_transport_loss() {
    let cfg = plain_config(|c| c.reconnect.initial_delay_ms = 10);
    let mut h = Host::<4096, 4096>::new(cfg, 7, false);
    let mut acts = vec![Act::Connect, Act::Auto, Act::Auto, Act::Auto];
    // "/b": CONNECT sent, no reply yet: its emits are buffered.
    acts.push(Act::OpenNs(2));
    acts.extend((0..3).map(|_| Act::Emit { ns: 2, kind: EmitKind::Plain, size: 800, bad: 0 }));
    let run = |h: &mut Host<4096, 4096>, acts: &[Act]| acts.iter().try_for_each(|a| h.step(a));
    run(&mut h, &acts).unwrap_or_else(|e| panic!("{e}"));
    // The socket stops accepting writes: "/" emits stay queued; then it fails.
    h.tx_budget = Some(0);
    let stalled = vec![Act::Emit { ns: 0, kind: EmitKind::Plain, size: 800, bad: 0 }; 3];
    run(&mut h, &stalled).unwrap_or_else(|e| panic!("{e}"));
    h.tx_budget = None;
    let rest = [
        Act::Closed(Tgt::Current, true),
        Act::Jump,
        Act::Opened(Tgt::Current),
        Act::Recv(Tgt::Current, Srv::Handshake { interval: 25_000, timeout: 20_000, max_payload: 1_000_000 }),
        Act::Recv(Tgt::Current, Srv::ConnectOk { ns: 0, pid: None }),
        Act::Recv(Tgt::Current, Srv::ConnectOk { ns: 2, pid: None }),
    ];
    run(&mut h, &rest).unwrap_or_else(|e| panic!("{e}"));
}

// Smaller inconsistencies (the property tests tolerate them and count them).

/// Q1: `close_namespace` reports `Disconnected{ns, ClientDisconnect}` for a namespace that
/// was never connected, and again for every repeated call.
#[test]

fn quirk_q1_close_namespace_reports_disconnected_when_never_connected() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|_| {}));
    let t = d.t();
    d.c.close_namespace(t, "/").unwrap();
    d.c.close_namespace(t, "/").unwrap();
    d.pump();
    assert_eq!(d.events, vec![]);
}

/// Q2: `disconnect()` when a reconnection is due first starts that attempt, then closes
/// it: the host opens a socket after the app asked to disconnect (so does
/// `set_network(false)`).
#[test]

fn quirk_q2_disconnect_at_due_backoff_opens_a_socket() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|_| {}));
    d.connect_fully();
    d.c.handle_transport_closed(d.t(), d.id.unwrap(), TransportCause::Closed);
    d.pump();
    d.commands.clear();
    d.now += 5_000;
    d.c.disconnect(d.t());
    d.pump();
    assert_eq!(d.commands, vec![]);
}

/// Q3: a deadline set to `now` during an input is not fired by it, so `poll_timeout()`
/// is `now` afterwards, not later: here `jitter_permille: 1000` (documented as valid)
/// draws a zero delay; zero timeouts (an ack timeout of 0, a handshake with
/// pingInterval + pingTimeout = 0) do the same.
#[test]

fn quirk_q3_zero_delay_is_not_fired_by_the_input() {
    for seed in 0..64 {
        let mut c = Box::new(Client::<4096, 4096>::new(
            plain_config(|c| {
                c.reconnect.initial_delay_ms = 1;
                c.reconnect.jitter_permille = 1000;
            }),
            seed,
        ));
        let t = Instant::from_millis(1_000);
        c.connect(t);
        let Some(TransportCommand::Open { id, .. }) = c.poll_transport() else { panic!() };
        c.handle_transport_closed(t, id, TransportCause::Failed);
        while c.poll_event().is_some() {}
        assert!(c.poll_timeout().is_none_or(|d| d > t), "seed {seed}: poll_timeout {:?} at {t:?}", c.poll_timeout());
    }
}

/// Q4: `ConnectionState::Connected` is documented as "at least one namespace", but after
/// the app closes its only namespace the state stays `Connected` (transport open).
#[test]

fn quirk_q4_connected_without_any_namespace() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|_| {}));
    d.connect_fully();
    d.c.close_namespace(d.t(), "/").unwrap();
    d.pump();
    assert_ne!(d.c.state(), ConnectionState::Connected);
}

/// Q5: leaving `Connected` through a CONNECT_ERROR that stops the client (here an auth
/// failure of a second namespace) reports no `Disconnected{namespace: None}`, unlike
/// every other way of losing the connection.
#[test]

fn quirk_q5_auth_failed_stop_reports_no_connection_disconnected() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|_| {}));
    d.connect_fully();
    d.c.open_namespace(d.t(), "/a").unwrap();
    d.pump();
    d.recv(r#"44/a,{"message":"unauthorized"}"#);
    assert_eq!(d.c.state(), ConnectionState::Stopped);
    assert!(d.events.iter().any(|e| matches!(e, Ev::Disconnected { ns: None, .. })), "{:?}", d.events);
}

/// Q6: `restore_recovery_session` is accepted while the namespace's CONNECT is in flight
/// and replaces the pid the reply is compared with: the server recovers the session it
/// was asked for (same pid in its reply), yet the client reports `recovered: false` and
/// drops the offset.
#[test]

fn quirk_q6_restore_while_connecting_garbles_recovered() {
    let mut d = Direct::<4096, 4096>::new(plain_config(|_| {}));
    let t = d.t();
    d.c.restore_recovery_session("/", "p1", "o1").unwrap();
    d.c.connect(t);
    d.pump();
    d.c.handle_transport_opened(t, d.id.unwrap());
    d.recv(HANDSHAKE);
    assert!(d.sent_text().iter().any(|s| s.contains(r#""pid":"p1""#)));
    let restored = d.c.restore_recovery_session("/", "p2", "o2");
    d.recv(r#"40{"sid":"n","pid":"p1"}"#);
    let recovered = d.events.contains(&Ev::Connected { ns: "/".into(), recovered: true });
    assert!(
        restored.is_err() || recovered,
        "restore accepted mid-CONNECT and the recovery is reported lost: {:?}",
        d.events
    );
}
