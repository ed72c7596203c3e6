//! What the client tells the app. Events are queued in a bounded byte queue (serialised
//! with postcard) and borrowed from it when the host polls them.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::wire::{Args, Attachments, DecodeErrorKind, JsonStr};

/// An app-level event from [`Client::poll_event`](super::Client::poll_event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientEvent<'a> {
    /// The client needs the auth payload for a namespace's CONNECT: answer with
    /// [`Client::provide_auth`](super::Client::provide_auth). `refresh` is true when the
    /// server refused the last token as an auth failure: fetch a fresh one.
    AuthRequired {
        /// The namespace.
        namespace: &'a str,
        /// The previous token was refused: get a new one.
        refresh: bool,
    },
    /// A namespace is connected.
    Connected {
        /// The namespace.
        namespace: &'a str,
        /// The server restored the previous session (connection state recovery): missed
        /// events were replayed and rooms kept.
        recovered: bool,
    },
    /// A namespace refused the connection for a reason other than auth. The namespace is
    /// not retried until the app reconnects it.
    ConnectError {
        /// The namespace.
        namespace: &'a str,
        /// The refusal's `message` (JSON-escaped text), or the string payload.
        message: &'a str,
        /// The refusal's `data` as raw JSON, if any.
        data: Option<&'a str>,
    },
    /// Authentication failed twice (once more after a fresh token). Terminal: the client
    /// stops until `connect()` is called again. The product shows "Session expired.
    /// Please log in again."
    AuthFailed {
        /// The namespace.
        namespace: &'a str,
        /// The server's message (JSON-escaped text).
        message: &'a str,
    },
    /// A namespace (or, with `namespace` = `None`, the whole connection) is disconnected.
    Disconnected {
        /// The namespace, or `None` for the connection.
        namespace: Option<&'a str>,
        /// Why.
        reason: DisconnectReason,
    },
    /// An event from the server.
    Event(IncomingEvent<'a>),
    /// An ack the app asked for has ended. Each ack ends exactly once.
    Ack {
        /// The handle [`Client::emit`](super::Client::emit) returned.
        ack: AckHandle,
        /// How it ended.
        outcome: AckOutcome<'a>,
    },
    /// The next reconnection attempt is scheduled.
    ReconnectScheduled {
        /// The attempt number, from 1.
        attempt: u32,
        /// The delay before it, in ms.
        delay_ms: u64,
    },
    /// Connected again after `attempts` attempts.
    Reconnected {
        /// How many attempts it took.
        attempts: u32,
    },
    /// Every allowed attempt failed. Reported once; the client stops until `connect()`.
    ReconnectFailed {
        /// How many attempts were made.
        attempts: u32,
    },
    /// Trying to connect has taken longer than `slow_connection_after_ms` (once per outage;
    /// not a failure).
    SlowConnection {
        /// How long the client has been trying, in ms.
        elapsed_ms: u64,
    },
    /// An emit buffered before the handshake is larger than the server's `maxPayload`: it
    /// was dropped (its ack, if any, ends `Cancelled`).
    EmitTooLarge {
        /// The namespace.
        namespace: &'a str,
        /// The frame's size.
        size: u64,
        /// The server's limit.
        max: u64,
    },
    /// The server sent a frame the codec rejected; it was dropped.
    ProtocolError {
        /// What was wrong.
        kind: DecodeErrorKind,
    },
}

/// Why a connection or namespace ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisconnectReason {
    /// The app called `disconnect()` (or closed the namespace).
    ClientDisconnect,
    /// The server sent DISCONNECT for the namespace. Not reconnected automatically.
    ServerDisconnect,
    /// The transport closed or failed.
    TransportClosed,
    /// No ping from the server within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The host reported the network offline.
    Offline,
    /// Authentication failed for good (`AuthFailed`); the client stopped.
    AuthFailed,
}

/// An event the server sent, borrowed from the client's queue.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingEvent<'a> {
    /// The namespace.
    pub namespace: &'a str,
    /// The event name, still JSON-escaped (see [`IncomingEvent::name`]).
    pub name_raw: &'a str,
    /// The arguments as raw JSON values separated by commas (the inside of the array,
    /// without the name and without a recovery offset). Empty when there are none.
    pub args_raw: &'a str,
    /// Set when the server asks for an ack: answer with
    /// [`Client::ack`](super::Client::ack).
    pub ack_id: Option<u64>,
    /// Binary attachments, for events that carried `{"_placeholder":true,"num":N}`.
    #[serde(borrow)]
    pub attachments: AttachmentList<'a>,
}

impl<'a> IncomingEvent<'a> {
    /// The event name.
    pub fn name(&self) -> JsonStr<'a> {
        JsonStr::from_validated(self.name_raw)
    }

    /// The arguments, each as raw JSON.
    pub fn args(&self) -> Args<'a> {
        Args::of_list(self.args_raw)
    }
}

impl fmt::Debug for IncomingEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingEvent")
            .field("namespace", &self.namespace)
            .field("name", &self.name_raw)
            .field("args", &self.args_raw)
            .field("ack_id", &self.ack_id)
            .field("attachments", &self.attachments.len())
            .finish()
    }
}

/// How an ack ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AckOutcome<'a> {
    /// The server answered.
    Ok {
        /// The answer's arguments: raw JSON values separated by commas.
        args_raw: &'a str,
        /// Binary attachments of a BINARY_ACK.
        #[serde(borrow)]
        attachments: AttachmentList<'a>,
    },
    /// No answer within the ack's timeout.
    Timeout,
    /// The connection was lost after the emit was sent: the server may or may not have
    /// seen it.
    Disconnected,
    /// The app cancelled it, or discarded the unsent emit with `disconnect()`.
    Cancelled,
}

impl<'a> AckOutcome<'a> {
    /// The answer's arguments, for `Ok`.
    pub fn args(&self) -> Option<Args<'a>> {
        match self {
            AckOutcome::Ok { args_raw, .. } => Some(Args::of_list(args_raw)),
            _ => None,
        }
    }
}

/// Identifies one emit's ack across namespaces and reconnections (the wire ack id is per
/// namespace and is not unique over time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AckHandle(pub u64);

/// Binary attachments of an event or ack. Stored in the event queue as
/// `[count: u8][len: u32 LE]*count[bytes...]`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct AttachmentList<'a> {
    raw: &'a [u8],
    /// While an event is being queued: the reassembled attachments it is written from.
    source: Option<Attachments<'a>>,
}

impl<'a> AttachmentList<'a> {
    pub(crate) fn from_source(source: Attachments<'a>) -> Self {
        Self { raw: &[], source: Some(source) }
    }

    /// How many attachments there are.
    pub fn len(&self) -> usize {
        match self.source {
            Some(src) => src.len(),
            None => self.raw.first().map_or(0, |&n| usize::from(n)),
        }
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Attachment `i`.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        if let Some(src) = self.source {
            return src.get(i);
        }
        let n = self.len();
        if i >= n {
            return None;
        }
        let lens = self.raw.get(1..1 + 4 * n)?;
        let len_at = |k: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&lens[4 * k..4 * k + 4]);
            u32::from_le_bytes(b) as usize
        };
        let start = 1 + 4 * n + (0..i).map(len_at).sum::<usize>();
        self.raw.get(start..start + len_at(i))
    }

    /// The attachments in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let this = *self;
        (0..this.len()).filter_map(move |i| this.get(i))
    }
}

impl fmt::Debug for AttachmentList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttachmentList({})", self.len())
    }
}

impl Serialize for AttachmentList<'_> {
    // postcard writes a byte sequence and a byte string identically (varint length, raw
    // bytes), so a list assembled from its parts reads back as one borrowed byte string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let Some(src) = self.source else {
            return s.serialize_bytes(self.raw);
        };
        let n = src.len();
        let total = 1 + 4 * n + src.iter().map(<[u8]>::len).sum::<usize>();
        let mut seq = s.serialize_seq(Some(total))?;
        seq.serialize_element(&(n as u8))?;
        for a in src.iter() {
            for b in (a.len() as u32).to_le_bytes() {
                seq.serialize_element(&b)?;
            }
        }
        for a in src.iter() {
            for b in a {
                seq.serialize_element(b)?;
            }
        }
        seq.end()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AttachmentList<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = &'de [u8];
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("borrowed bytes")
            }
            fn visit_borrowed_bytes<E: serde::de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
                Ok(v)
            }
        }
        d.deserialize_bytes(V).map(|raw| AttachmentList { raw, source: None })
    }
}
