//! # tidings-host
//!
//! The std host for the tidings core: a real WebSocket ([`tungstenite`], blocking, with
//! read timeouts) and the real monotonic clock drive a [`Client`] through its run loop.
//! Everything the connection *does* lives in the core; this crate only moves bytes and
//! time, and turns the core's borrowed events into owned [`Event`]s.
//!
//! ```no_run
//! use std::time::Duration;
//! use tidings_host::{Event, Host};
//!
//! let mut host = Host::new("ws://127.0.0.1:3000", tidings::Config::default(), 42, |_ns, _refresh| {
//!     Some(r#"{"token":"<JWT>"}"#.to_string())
//! });
//! host.connect();
//! host.wait_for(Duration::from_secs(5), |e| matches!(e, Event::Connected { .. })).expect("connected");
//! let ack = host.emit_with_ack("/", "sendMessage", &[r#"{"conversationId":"c1","content":"hi"}"#]).unwrap();
//! let answer = host.wait_for_ack(ack, Duration::from_secs(5));
//! println!("{answer:?}");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod event;
pub mod harness;
mod machine;
mod socket;

use std::collections::VecDeque;
use std::time::Duration;

pub use event::{AckResult, Event, SendResult};
pub use machine::Machine;
use socket::{Readiness, Socket};
pub use tidings;
use tidings::app::{AppConfig, Realtime};
use tidings::client::{AckHandle, Client, ClientError, EmitStatus, TransportCause, TransportCommand};
use tidings::wire::{Frame, FrameKind};
use tidings::{Config, Instant};

/// Supplies the auth payload for a namespace's CONNECT: `(namespace, refresh)` → JSON
/// object text, or `None` for no auth. `refresh` is true when the server refused the
/// previous token.
pub type AuthProvider = Box<dyn FnMut(&str, bool) -> Option<String> + Send>;

/// A client (or the app layer over one) connected through a real WebSocket.
pub struct Host<M: Machine = Client> {
    client: Box<M>,
    base_url: String,
    epoch: std::time::Instant,
    socket: Option<Socket>,
    auth: AuthProvider,
    inbox: VecDeque<Event>,
    /// Every event seen, in order (for timelines and assertions).
    history: Vec<Event>,
}

impl Host<Client> {
    /// A host for the server at `base_url` (`ws://host:port`; the client adds the path).
    pub fn new(
        base_url: &str,
        config: Config,
        seed: u64,
        auth: impl FnMut(&str, bool) -> Option<String> + Send + 'static,
    ) -> Self {
        Host::with_machine(base_url, Client::new(config, seed), auth)
    }
}

impl Host<Realtime> {
    /// A host driving the app layer ([`Realtime`]) for the server at `base_url`.
    pub fn app(
        base_url: &str,
        config: AppConfig,
        seed: u64,
        auth: impl FnMut(&str, bool) -> Option<String> + Send + 'static,
    ) -> Self {
        Host::with_machine(base_url, Realtime::new(config, seed), auth)
    }

    /// The app layer, for its commands (`join`, `send_message`, `typing`, …). Call
    /// [`Host::step`] (or a `wait_for`) afterwards to send what they queued.
    pub fn realtime(&mut self) -> &mut Realtime {
        &mut self.client
    }
}

impl<M: Machine> Host<M> {
    /// A host around any [`Machine`].
    pub fn with_machine(
        base_url: &str,
        machine: M,
        auth: impl FnMut(&str, bool) -> Option<String> + Send + 'static,
    ) -> Self {
        Host {
            client: Box::new(machine),
            base_url: base_url.trim_end_matches('/').to_string(),
            epoch: std::time::Instant::now(),
            socket: None,
            auth: Box::new(auth),
            inbox: VecDeque::new(),
            history: Vec::new(),
        }
    }

    /// Milliseconds on the monotonic clock since the host was made.
    pub fn now(&self) -> Instant {
        Instant::from_millis(self.epoch.elapsed().as_millis() as u64)
    }

    /// The connection, for commands and state this host does not wrap.
    pub fn client(&mut self) -> &mut Client {
        self.client.client()
    }

    /// Every event seen so far.
    pub fn history(&self) -> &[Event] {
        &self.history
    }

    /// Starts connecting.
    pub fn connect(&mut self) {
        let now = self.now();
        self.client.connect(now);
        self.pump();
    }

    /// Ends the connection (terminal until `connect`).
    pub fn disconnect(&mut self) {
        let now = self.now();
        self.client.disconnect(now);
        self.pump();
    }

    /// Opens another namespace on the connection.
    pub fn open_namespace(&mut self, namespace: &str) -> Result<(), ClientError> {
        let now = self.now();
        let r = self.client.client().open_namespace(now, namespace);
        self.pump();
        r
    }

    /// Emits an event (buffered while disconnected).
    pub fn emit(&mut self, namespace: &str, name: &str, args: &[&str]) -> Result<EmitStatus, ClientError> {
        let now = self.now();
        let r = self.client.client().emit(now, namespace, name, args);
        self.pump();
        r
    }

    /// Emits an event and awaits its ack (default timeout).
    pub fn emit_with_ack(&mut self, namespace: &str, name: &str, args: &[&str]) -> Result<AckHandle, ClientError> {
        let now = self.now();
        let r = self.client.client().emit_with_ack(now, namespace, name, args, None);
        self.pump();
        r
    }

    /// Emits an event with binary attachments (placeholders appended after `args`).
    pub fn emit_binary(
        &mut self,
        namespace: &str,
        name: &str,
        args: &[&str],
        attachments: &[&[u8]],
        with_ack: bool,
    ) -> Result<(EmitStatus, Option<AckHandle>), ClientError> {
        let now = self.now();
        let timeout = with_ack.then(|| self.client.client().config().ack_timeout_ms);
        let r = self.client.client().emit_binary(now, namespace, name, args, attachments, timeout);
        self.pump();
        r
    }

    /// Answers a server event that asked for an ack.
    pub fn ack(&mut self, namespace: &str, ack_id: u64, args: &[&str]) -> Result<(), ClientError> {
        let now = self.now();
        let r = self.client.client().ack(now, namespace, ack_id, args);
        self.pump();
        r
    }

    /// Tells the core the network went offline or came back.
    pub fn set_network(&mut self, online: bool) {
        let now = self.now();
        self.client.set_network(now, online);
        self.pump();
    }

    /// Takes the next event, if one is waiting.
    pub fn next_event(&mut self) -> Option<Event> {
        self.inbox.pop_front()
    }

    /// Runs the loop until an event matching `pred` arrives (returned and removed from
    /// the inbox; events before it stay queued), or `timeout` passes.
    pub fn wait_for(&mut self, timeout: Duration, mut pred: impl FnMut(&Event) -> bool) -> Option<Event> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(i) = self.inbox.iter().position(&mut pred) {
                return self.inbox.remove(i);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return None;
            }
            self.step(left.min(Duration::from_millis(50)));
        }
    }

    /// Runs the loop until `ack` ends, and returns how.
    pub fn wait_for_ack(&mut self, ack: AckHandle, timeout: Duration) -> Option<AckResult> {
        match self.wait_for(timeout, |e| matches!(e, Event::Ack { ack: a, .. } if *a == ack.0))? {
            Event::Ack { result, .. } => Some(result),
            _ => None,
        }
    }

    /// Runs the loop for `duration`, collecting events.
    pub fn run_for(&mut self, duration: Duration) {
        let end = std::time::Instant::now() + duration;
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            self.step(left.min(Duration::from_millis(50)));
        }
    }

    /// One turn of the run loop: drain the core's outputs, then wait up to `max_wait`
    /// for a frame or the core's deadline, and feed what happened back in.
    pub fn step(&mut self, max_wait: Duration) {
        self.pump();
        let now = self.now();
        let wait = match self.client.poll_timeout() {
            Some(t) => Duration::from_millis(t.as_millis().saturating_sub(now.as_millis())).min(max_wait),
            None => max_wait,
        };
        match self.socket.as_mut() {
            Some(sock) => match sock.read(wait) {
                Readiness::Text(text) => {
                    let id = sock.id;
                    let now = self.now();
                    let _ = self.client.handle_frame(now, id, Frame::Text(&text));
                }
                Readiness::Binary(bytes) => {
                    let id = sock.id;
                    let now = self.now();
                    let _ = self.client.handle_frame(now, id, Frame::Binary(&bytes));
                }
                Readiness::Idle => {
                    let now = self.now();
                    self.client.handle_timeout(now);
                }
                Readiness::Closed(cause) => {
                    let id = sock.id;
                    self.socket = None;
                    let now = self.now();
                    self.client.handle_transport_closed(now, id, cause);
                }
            },
            None => {
                std::thread::sleep(wait.max(Duration::from_millis(1)));
                let now = self.now();
                self.client.handle_timeout(now);
            }
        }
        self.pump();
    }

    /// Drains the core's outputs: transport commands, frames to send, events.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(cmd) = self.client.poll_transport() {
                progressed = true;
                match cmd {
                    TransportCommand::Open { id, path, query } => {
                        let url = format!("{}{}?{}", self.base_url, path, query);
                        let timeout = Duration::from_millis(self.client.client().config().connect_timeout_ms);
                        match Socket::open(id, &url, timeout) {
                            Ok(sock) => {
                                self.socket = Some(sock);
                                let now = self.now();
                                self.client.handle_transport_opened(now, id);
                            }
                            Err(_) => {
                                let now = self.now();
                                self.client.handle_transport_closed(now, id, TransportCause::Failed);
                            }
                        }
                    }
                    TransportCommand::Close { id } => {
                        if let Some(mut sock) = self.socket.take_if(|s| s.id == id) {
                            sock.close();
                        }
                    }
                }
            }
            let mut failed = None;
            while let Some(tx) = self.client.poll_transmit() {
                progressed = true;
                let Some(sock) = self.socket.as_mut().filter(|s| s.id == tx.transport) else { continue };
                let ok = match tx.kind {
                    FrameKind::Text => sock.send_text(tx.bytes),
                    FrameKind::Binary => sock.send_binary(tx.bytes),
                };
                if !ok {
                    failed = Some(tx.transport);
                    break;
                }
            }
            if let Some(id) = failed {
                self.socket = None;
                let now = self.now();
                self.client.handle_transport_closed(now, id, TransportCause::Failed);
            }
            let mut auth_needed = Vec::new();
            while let Some(owned) = self.client.next_owned_event() {
                progressed = true;
                if let Event::AuthRequired { namespace, refresh } = &owned {
                    auth_needed.push((namespace.clone(), *refresh));
                }
                self.history.push(owned.clone());
                self.inbox.push_back(owned);
            }
            for (ns, refresh) in auth_needed {
                let payload = (self.auth)(&ns, refresh);
                let now = self.now();
                let _ = self.client.provide_auth(now, &ns, payload.as_deref());
            }
            if !progressed {
                return;
            }
        }
    }
}
