//! The sans-IO Socket.IO client: connection lifecycle, heartbeat, namespaces, acks, send
//! buffer, reconnection, auth and connection state recovery.
//!
//! The host drives it (see the crate docs for the run loop):
//! - inputs: `handle_transport_opened/closed`, `handle_frame`, `handle_timeout`,
//!   `set_network`, `set_foreground`, and the app's commands (`connect`, `disconnect`,
//!   `emit…`, `ack`, `provide_auth`, `open_namespace`, `close_namespace`, `cancel_ack`);
//! - outputs: `poll_transport` (open/close the WebSocket), `poll_transmit` (frames to
//!   send), `poll_event` (app events) and `poll_timeout` (the next deadline).
//!
//! Every input takes `now`; a `now` earlier than the last is clamped, and every input
//! first fires the deadlines that are due (timers on phones fire late, so nothing waits
//! for `handle_timeout`).

mod acks;
mod backoff;
mod commands;
mod config;
mod event;
mod inputs;
mod namespace;
mod session;

pub use acks::MAX_PENDING_ACKS;
pub use backoff::{base_delay_ms, delay_bounds_ms};
pub use config::{AuthFailureRule, Config, ReconnectPolicy};
pub use event::{AckHandle, AckOutcome, AttachmentList, ClientEvent, DisconnectReason, IncomingEvent};
pub use namespace::{NamespaceState, MAX_NAMESPACES, MAX_NAMESPACE_LEN, MAX_RECOVERY_TOKEN_LEN};

use core::fmt;

use heapless::{Deque, String, Vec};
use serde::Deserialize;

use acks::{AckState, AckTable, PendingAck};
use namespace::Namespace;

use crate::queue::{Full, Record, RecordQueue};
use crate::rng::SplitMix64;
use crate::time::{Clock, Instant};
use crate::wire::writer::Writer;
use crate::wire::{
    DecodeErrorKind, Decoded, EncodeError, EngineData, EngineKind, EnginePacket, Frame, FrameKind, Handshake, Limits,
    OutgoingEvent, Packet, PacketKind, SocketDecoder,
};

/// The query string of the WebSocket URL: Engine.IO v4 over WebSocket only.
pub const WEBSOCKET_QUERY: &str = "EIO=4&transport=websocket";

/// Identifies one transport (one WebSocket). Inputs about an older transport are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransportId(pub u32);

/// What the host must do with its WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCommand {
    /// Open a WebSocket to `<base URL><path>?<query>` and report it as `id`.
    Open {
        /// The id to report in `handle_transport_opened/closed` and `handle_frame`.
        id: TransportId,
        /// The Engine.IO path, e.g. `/socket.io/` (with its trailing slash).
        path: &'static str,
        /// The query, [`WEBSOCKET_QUERY`].
        query: &'static str,
    },
    /// Close the WebSocket `id` (no close packet is needed over WebSocket).
    Close {
        /// The transport to close.
        id: TransportId,
    },
}

/// Why the host's transport closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCause {
    /// It closed normally (close frame).
    Closed,
    /// It failed (connect refused, reset, TLS error…).
    Failed,
}

/// A frame to send, borrowed from the client's queue. Its `Debug` output shows the size,
/// never the bytes: a CONNECT frame carries the auth token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// The transport it is for.
    pub transport: TransportId,
    /// Send as a text or a binary WebSocket frame.
    pub kind: FrameKind,
    /// The frame's bytes (UTF-8 for text frames).
    pub bytes: &'a [u8],
}

impl fmt::Debug for Transmit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transmit")
            .field("transport", &self.transport)
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The connection as the app sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Not connecting: never connected, or after `disconnect()`.
    Idle,
    /// An attempt is in flight (`attempt` 0 is the first connection).
    Connecting {
        /// Reconnection attempt number (0: the first connect).
        attempt: u32,
    },
    /// Connected (at least one namespace).
    Connected,
    /// Waiting before reconnection attempt `attempt`.
    Reconnecting {
        /// The attempt to be made.
        attempt: u32,
        /// When.
        at: Instant,
    },
    /// The host said the network is offline; the client waits for it to come back.
    Offline,
    /// Stopped after `ReconnectFailed`, `AuthFailed` or the server's DISCONNECT of every
    /// namespace. Only `connect()` starts again.
    Stopped,
}

/// Why a command was refused. Nothing was queued or sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The namespace was never opened on this client.
    UnknownNamespace,
    /// `open_namespace` on a full namespace table ([`MAX_NAMESPACES`]).
    TooManyNamespaces,
    /// The namespace name is longer than [`MAX_NAMESPACE_LEN`] or not of the form `/…`.
    InvalidNamespace,
    /// The ack table is full (`Config::max_pending_acks`).
    AckTableFull,
    /// The send buffer has no room for this frame.
    SendBufferFull,
    /// The frame is larger than the server's `maxPayload`.
    PayloadTooLarge {
        /// The frame's size.
        size: usize,
        /// The server's limit.
        max: usize,
    },
    /// The event or its arguments are invalid (reserved name, bad JSON, …).
    Invalid(DecodeErrorKind),
    /// Acks to the server can only be sent while the namespace is connected.
    NotConnected,
    /// `provide_auth` for a namespace that is not waiting for auth.
    NotAwaitingAuth,
    /// The auth payload is not a JSON object.
    InvalidAuth,
    /// The event queue is full: the host must drain `poll_event` after every input.
    EventQueueFull,
    /// More attachments than one packet can carry.
    TooManyAttachments,
    /// A recovery session to restore is empty, too long or not a plain JSON string, or
    /// the namespace is connecting or connected already.
    InvalidRecoverySession,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl core::error::Error for ClientError {}

/// How an emit was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmitStatus {
    /// Queued for the transport now.
    Queued,
    /// Buffered until the namespace is connected.
    Buffered,
    /// A volatile emit while not connected: dropped, as asked.
    Dropped,
}

// Record tags in the outbound and pending queues.
const TAG_PONG: u8 = 1;
const TAG_CONNECT: u8 = 2;
const TAG_EMIT: u8 = 3;
const TAG_ATTACHMENT: u8 = 4;
const TAG_VOLATILE: u8 = 5;
const TAG_ACK_REPLY: u8 = 6;
const TAG_DISCONNECT: u8 = 7;
// Slot value for records that belong to no namespace.
const NO_SLOT: u8 = u8::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransportState {
    Closed,
    Opening(TransportId),
    Open(TransportId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    Idle,
    /// An attempt in flight; fails at `deadline` unless a namespace connects.
    Connecting {
        deadline: Instant,
    },
    Connected,
    Backoff {
        at: Instant,
    },
    Offline,
    Stopped,
}

#[derive(Debug, Clone, Copy)]
struct EngineSession {
    ping_deadline: Instant,
    /// pingInterval + pingTimeout from the handshake.
    heartbeat_ms: u64,
    max_payload: usize,
}

#[derive(Debug, Clone, Copy)]
struct Outage {
    since: Instant,
    warned: bool,
}

/// The client. `OUT` bytes each for the outbound queue and the send buffer, `IN` bytes
/// each for the event queue, the held-event queue and binary reassembly: memory is
/// `size_of::<Client<OUT, IN>>()`, known at compile time, and nothing is allocated.
pub struct Client<const OUT: usize = 32768, const IN: usize = 32768> {
    config: Config,
    clock: Clock,
    rng: SplitMix64,
    conn: ConnState,
    transport: TransportState,
    next_transport: u32,
    commands: Deque<TransportCommand, 4>,
    engine: Option<EngineSession>,
    namespaces: Vec<Namespace, MAX_NAMESPACES>,
    acks: AckTable,
    next_ack_handle: u64,
    outbound: RecordQueue<OUT>,
    pending: RecordQueue<OUT>,
    events: RecordQueue<IN>,
    held: RecordQueue<IN>,
    decoder: SocketDecoder<[u8; IN]>,
    attempt: u32,
    /// Attachments still queued of a binary packet whose header the host already took.
    unsent_attachments: u8,
    outage: Option<Outage>,
    online: bool,
    foreground: bool,
}

impl<const OUT: usize, const IN: usize> fmt::Debug for Client<OUT, IN> {
    // Summaries only: queued frames can hold auth tokens, which never reach Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state())
            .field("namespaces", &self.namespaces.len())
            .field("pending_acks", &self.acks.len())
            .field("outbound", &self.outbound)
            .field("send_buffer", &self.pending)
            .field("events", &self.events)
            .finish()
    }
}

#[derive(Deserialize)]
struct ConnectReply<'a> {
    #[serde(borrow)]
    pid: Option<&'a str>,
}

#[derive(Deserialize)]
struct ConnectErrorBody<'a> {
    #[serde(borrow)]
    message: Option<&'a str>,
}

impl<const OUT: usize, const IN: usize> Client<OUT, IN> {
    /// A client with the main namespace `/` registered. `seed` drives reconnection jitter:
    /// give each device a different one (a random number at install time is ideal).
    pub fn new(config: Config, seed: u64) -> Self {
        let mut limits = config.limits;
        // A frame must fit the event queue (with room for its record header).
        limits.max_frame_len = limits.max_frame_len.min(IN.saturating_sub(IN / 8 + 64));
        let mut client = Self {
            config,
            clock: Clock::default(),
            rng: SplitMix64::new(seed),
            conn: ConnState::Idle,
            transport: TransportState::Closed,
            next_transport: 0,
            commands: Deque::new(),
            engine: None,
            namespaces: Vec::new(),
            acks: AckTable::default(),
            next_ack_handle: 0,
            outbound: RecordQueue::new(),
            pending: RecordQueue::new(),
            events: RecordQueue::new(),
            held: RecordQueue::new(),
            decoder: SocketDecoder::new([0; IN], limits),
            attempt: 0,
            unsent_attachments: 0,
            outage: None,
            online: true,
            foreground: true,
        };
        // Cannot fail: the table is empty and "/" is short.
        let _ = client.namespaces.push(Namespace::new("/").expect("\"/\" fits"));
        client
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The connection state.
    pub fn state(&self) -> ConnectionState {
        match self.conn {
            ConnState::Idle => ConnectionState::Idle,
            ConnState::Connecting { .. } => ConnectionState::Connecting { attempt: self.attempt },
            ConnState::Connected => ConnectionState::Connected,
            ConnState::Backoff { at } => ConnectionState::Reconnecting { attempt: self.attempt, at },
            ConnState::Offline => ConnectionState::Offline,
            ConnState::Stopped => ConnectionState::Stopped,
        }
    }

    /// A namespace's state, if it was opened.
    pub fn namespace_state(&self, namespace: &str) -> Option<NamespaceState> {
        self.namespaces.iter().find(|n| n.name == namespace).map(|n| n.state)
    }

    /// How many acks are awaited.
    pub fn pending_acks(&self) -> usize {
        self.acks.len()
    }

    /// Frames buffered until their namespace connects (attachments count separately).
    pub fn buffered_frames(&self) -> usize {
        self.pending.len()
    }

    /// Bytes in use in the client's queues (outbound, send buffer, events, held events),
    /// record headers included. Never more than `2 * OUT + 2 * IN`.
    pub fn queued_bytes(&self) -> usize {
        self.outbound.used() + self.pending.used() + self.events.used() + self.held.used()
    }

    /// Whether the app is in the foreground (as last told).
    pub fn is_foreground(&self) -> bool {
        self.foreground
    }

    /// The recovery offset of a namespace (JSON-escaped), if a recovery session is held.
    pub fn recovery_offset(&self, namespace: &str) -> Option<&str> {
        let ns = self.namespaces.iter().find(|n| n.name == namespace)?;
        (!ns.pid.is_empty() && !ns.offset.is_empty()).then_some(ns.offset.as_str())
    }

    /// The connection state recovery session of a namespace: `(pid, offset)` (the offset
    /// JSON-escaped, possibly empty), for snapshots.
    pub fn recovery_session(&self, namespace: &str) -> Option<(&str, &str)> {
        let ns = self.namespaces.iter().find(|n| n.name == namespace)?;
        (!ns.pid.is_empty()).then_some((ns.pid.as_str(), ns.offset.as_str()))
    }

    /// Restores a recovery session saved with [`Client::recovery_session`] (in a new
    /// process), so that the next CONNECT asks the server to recover it.
    pub fn restore_recovery_session(&mut self, namespace: &str, pid: &str, offset: &str) -> Result<(), ClientError> {
        let ns = self.namespaces.iter_mut().find(|n| n.name == namespace).ok_or(ClientError::UnknownNamespace)?;
        if matches!(
            ns.state,
            NamespaceState::AwaitingAuth { .. } | NamespaceState::Connecting | NamespaceState::Connected
        ) {
            // A CONNECT is in flight or done: its reply is compared with the pid it carried.
            return Err(ClientError::InvalidRecoverySession);
        }
        let valid_offset = offset.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
        match (String::try_from(pid), String::try_from(offset)) {
            (Ok(p), Ok(o)) if valid_offset && !p.is_empty() => {
                ns.pid = p;
                ns.offset = o;
                Ok(())
            }
            _ => Err(ClientError::InvalidRecoverySession),
        }
    }

    /// Copies the next event's stored bytes into `out` (for the app layer, which decodes
    /// them from its own buffer). `None` when there is none or `out` is too small.
    pub(crate) fn poll_event_raw(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.events.len() == 0 {
            let (ack, outcome) = self.acks.take_ended()?;
            return postcard::to_slice(&ClientEvent::Ack { ack, outcome }, out).ok().map(|s| s.len());
        }
        let len = self.events.front()?.body.len();
        let dst = out.get_mut(..len)?;
        dst.copy_from_slice(self.events.pop()?.body);
        Some(len)
    }

    /// The next transport command.
    pub fn poll_transport(&mut self) -> Option<TransportCommand> {
        self.commands.pop_front()
    }

    /// The next frame to send on the current transport.
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        let TransportState::Open(id) = self.transport else { return None };
        if self.outbound.len() == 0 {
            // Room again: buffered emits of connected namespaces that did not fit before.
            self.flush_buffered();
        }
        let record = self.outbound.front()?;
        if record.tag == TAG_EMIT && record.aux != 0 {
            self.acks.mark_sent(AckHandle(record.aux - 1));
        }
        match record.tag {
            // `45<n>-…`: a binary packet; its n attachments follow.
            TAG_EMIT | TAG_VOLATILE if record.body.get(1) == Some(&b'5') => {
                let digits = record.body[2..].iter().take_while(|c| c.is_ascii_digit());
                self.unsent_attachments = digits.fold(0u8, |n, d| n.saturating_mul(10).saturating_add(d - b'0'));
            }
            TAG_ATTACHMENT => self.unsent_attachments = self.unsent_attachments.saturating_sub(1),
            _ => {}
        }
        let r = self.outbound.pop()?;
        let kind = if r.tag == TAG_ATTACHMENT { FrameKind::Binary } else { FrameKind::Text };
        Some(Transmit { transport: id, kind, bytes: r.body })
    }

    /// The next app event.
    pub fn poll_event(&mut self) -> Option<ClientEvent<'_>> {
        if self.events.len() == 0 {
            // Ack endings that did not fit the queue when they happened.
            let (ack, outcome) = self.acks.take_ended()?;
            return Some(ClientEvent::Ack { ack, outcome });
        }
        let r = self.events.pop()?;
        // Cannot fail: every record was serialised from a ClientEvent by this client.
        postcard::from_bytes(r.body).ok()
    }

    /// When the client next needs `handle_timeout` (if nothing else happens first).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        match self.conn {
            ConnState::Connecting { deadline } => consider(deadline),
            ConnState::Backoff { at } => consider(at),
            _ => {}
        }
        if let Some(e) = self.engine {
            consider(e.ping_deadline);
        }
        for ns in &self.namespaces {
            if let NamespaceState::AwaitingAuth { deadline, .. } = ns.state {
                consider(deadline);
            }
        }
        if let Some(t) = self.acks.earliest_deadline() {
            consider(t);
        }
        if let Some(o) = self.outage {
            if !o.warned {
                consider(o.since.deadline(self.config.slow_connection_after_ms));
            }
        }
        next
    }

    pub(super) fn slot(&self, namespace: &str) -> Option<usize> {
        self.namespaces.iter().position(|n| n.name == namespace)
    }

    pub(super) fn max_payload(&self) -> usize {
        self.engine.map_or(self.config.default_max_payload, |e| e.max_payload)
    }

    /// Reports an ack's end; if the event queue is full, the ending waits in the ack table
    /// and is delivered by `poll_event` later: never lost.
    pub(super) fn end_ack(&mut self, ack: acks::PendingAck, outcome: AckOutcome<'static>) {
        if self.push_event(&ClientEvent::Ack { ack: ack.handle, outcome }).is_err() {
            self.acks.defer_end(ack, outcome);
        }
    }

    /// Limits for what this client writes: the codec's rules, with no frame-size cap of
    /// its own (the server's `maxPayload` and the queue sizes bound outgoing frames).
    pub(super) fn encode_limits(&self) -> Limits {
        Limits { max_frame_len: usize::MAX, ..self.config.limits }
    }

    pub(super) fn push_event(&mut self, ev: &ClientEvent<'_>) -> Result<(), ClientError> {
        inputs::push(&mut self.events, 0, ev)
    }
}
