//! Per-namespace state: lifecycle, ack-id counter, recovery session.

use heapless::String;

use crate::time::Instant;

/// The most namespaces one client handles.
pub const MAX_NAMESPACES: usize = 8;
/// The longest namespace name, in bytes.
pub const MAX_NAMESPACE_LEN: usize = 64;
/// The longest recovery `pid` or `offset` kept, in bytes (socket.io's are about 20).
pub const MAX_RECOVERY_TOKEN_LEN: usize = 64;

/// Where one namespace stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceState {
    /// Wanted, waiting for an Engine.IO session.
    Waiting,
    /// The host was asked for auth (`AuthRequired`); CONNECT not sent yet.
    AwaitingAuth {
        /// When the attempt fails if no auth arrives.
        deadline: Instant,
        /// The previous token was refused.
        refresh: bool,
    },
    /// CONNECT sent, waiting for the reply. Events that arrive now are held.
    Connecting,
    /// Connected.
    Connected,
    /// Refused by the server (CONNECT_ERROR, or auth failed twice). Not retried until
    /// the app calls `connect()` or `open_namespace()` again.
    Refused,
    /// Closed by the app or by the server's DISCONNECT. Not retried.
    Closed,
}

#[derive(Debug, Clone)]
pub(crate) struct Namespace {
    pub name: String<MAX_NAMESPACE_LEN>,
    pub state: NamespaceState,
    pub next_ack_id: u64,
    /// The recovery session id from the last CONNECT reply (empty: none).
    pub pid: String<MAX_RECOVERY_TOKEN_LEN>,
    /// The last offset seen while `pid` was set, still JSON-escaped (empty: none).
    pub offset: String<MAX_RECOVERY_TOKEN_LEN>,
    /// The CONNECT in flight carried `pid`.
    pub sent_pid: bool,
    /// The one token refresh of this attempt has been used.
    pub auth_refreshed: bool,
}

impl Namespace {
    pub(crate) fn new(name: &str) -> Option<Self> {
        Some(Self {
            name: String::try_from(name).ok()?,
            state: NamespaceState::Waiting,
            next_ack_id: 0,
            pid: String::new(),
            offset: String::new(),
            sent_pid: false,
            auth_refreshed: false,
        })
    }

    /// Whether the app wants this namespace connected (it is retried on reconnect).
    pub(crate) fn wanted(&self) -> bool {
        !matches!(self.state, NamespaceState::Refused | NamespaceState::Closed)
    }

    pub(crate) fn take_ack_id(&mut self) -> u64 {
        let id = self.next_ack_id;
        self.next_ack_id = if id >= crate::wire::MAX_ACK_ID { 0 } else { id + 1 };
        id
    }
}
