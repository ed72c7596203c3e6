//! A deterministic simulation harness (in the spirit of quinn-proto's `Pair`): the
//! machine under test (the client, or the app layer over it), simulated time that can jump
//! to the next deadline, and every output drained into owned, language-neutral JSON values
//! so tests and scenario files can assert transcripts frame by frame.
#![allow(dead_code)]

use serde_json::{json, Value};
use tidings::client::{
    AckHandle, AckOutcome, Client, ClientEvent, Config, ConnectionState, DisconnectReason, TransportCause,
    TransportCommand, TransportId,
};
use tidings::wire::{Frame, FrameKind};
use tidings::Instant;

pub type SimClient = Client<8192, 8192>;

/// What the simulation drives: [`tidings::Machine`] (the inputs and outputs the client
/// and the app layer share; the host's run loop is the same for both), plus events as
/// canonical JSON.
pub trait Machine: tidings::Machine {
    /// The next event in its canonical JSON form.
    fn poll_event_json(&mut self) -> Option<Value>;
    /// The connection's state.
    fn connection_state(&mut self) -> ConnectionState;
}

impl Machine for SimClient {
    fn poll_event_json(&mut self) -> Option<Value> {
        self.poll_event().map(|e| event_json(&e))
    }

    fn connection_state(&mut self) -> ConnectionState {
        self.state()
    }
}

pub struct Sim<M: Machine = SimClient> {
    /// The machine under test (named for the client; the app layer in app scenarios).
    pub client: Box<M>,
    pub now: u64,
    /// The transport the host currently has (opened or opening).
    pub transport: Option<TransportId>,
    pub transport_open: bool,
    pub sent: Vec<Value>,
    pub events: Vec<Value>,
    pub commands: Vec<Value>,
    pub acks: Vec<AckHandle>,
    /// Transports opened so far (for the "at most one" invariant).
    pub opens: usize,
}

pub fn disconnect_reason(r: DisconnectReason) -> &'static str {
    match r {
        DisconnectReason::ClientDisconnect => "client disconnect",
        DisconnectReason::ServerDisconnect => "server disconnect",
        DisconnectReason::TransportClosed => "transport close",
        DisconnectReason::PingTimeout => "ping timeout",
        DisconnectReason::Offline => "offline",
        DisconnectReason::AuthFailed => "auth failed",
    }
}

/// The canonical JSON form of an event (documented in tests/scenarios/README.md).
pub fn event_json(ev: &ClientEvent<'_>) -> Value {
    let atts = |l: &tidings::client::AttachmentList<'_>| -> Value {
        Value::Array(l.iter().map(|a| Value::String(hex::encode(a))).collect())
    };
    match ev {
        ClientEvent::AuthRequired { namespace, refresh } => {
            json!({"event": "auth_required", "namespace": namespace, "refresh": refresh})
        }
        ClientEvent::Connected { namespace, recovered } => {
            json!({"event": "connected", "namespace": namespace, "recovered": recovered})
        }
        ClientEvent::ConnectError { namespace, message, data } => {
            let data: Value = data.map(|d| serde_json::from_str(d).unwrap()).unwrap_or(Value::Null);
            json!({"event": "connect_error", "namespace": namespace, "message": message, "data": data})
        }
        ClientEvent::AuthFailed { namespace, message } => {
            json!({"event": "auth_failed", "namespace": namespace, "message": message})
        }
        ClientEvent::Disconnected { namespace, reason } => {
            json!({"event": "disconnected", "namespace": namespace, "reason": disconnect_reason(*reason)})
        }
        ClientEvent::Event(e) => {
            let args: Value = serde_json::from_str(&format!("[{}]", e.args_raw)).unwrap();
            let mut v = json!({"event": "event", "namespace": e.namespace, "name": e.name().to_string(), "args": args});
            if let Some(id) = e.ack_id {
                v["ack_id"] = json!(id);
            }
            if !e.attachments.is_empty() {
                v["attachments"] = atts(&e.attachments);
            }
            v
        }
        ClientEvent::Ack { ack, outcome } => {
            let mut v = json!({"event": "ack", "ack": ack.0});
            match outcome {
                AckOutcome::Ok { args_raw, attachments } => {
                    v["outcome"] = json!("ok");
                    v["args"] = serde_json::from_str(&format!("[{args_raw}]")).unwrap();
                    if !attachments.is_empty() {
                        v["attachments"] = atts(attachments);
                    }
                }
                AckOutcome::Timeout => v["outcome"] = json!("timeout"),
                AckOutcome::Disconnected => v["outcome"] = json!("disconnected"),
                AckOutcome::Cancelled => v["outcome"] = json!("cancelled"),
            }
            v
        }
        ClientEvent::ReconnectScheduled { attempt, delay_ms } => {
            json!({"event": "reconnect_scheduled", "attempt": attempt, "delay_ms": delay_ms})
        }
        ClientEvent::Reconnected { attempts } => json!({"event": "reconnected", "attempts": attempts}),
        ClientEvent::ReconnectFailed { attempts } => json!({"event": "reconnect_failed", "attempts": attempts}),
        ClientEvent::SlowConnection { elapsed_ms } => json!({"event": "slow_connection", "elapsed_ms": elapsed_ms}),
        ClientEvent::ProtocolError { kind } => json!({"event": "protocol_error", "code": kind.code()}),
        ClientEvent::EmitTooLarge { namespace, size, max } => {
            json!({"event": "emit_too_large", "namespace": namespace, "size": size, "max": max})
        }
    }
}

impl Sim<SimClient> {
    pub fn new(config: Config, seed: u64) -> Self {
        Sim::of(Box::new(SimClient::new(config, seed)))
    }

    /// Connects through handshake and auth to a connected main namespace.
    pub fn connect_fully(&mut self, token: &str) {
        self.client.connect(self.t());
        self.pump();
        self.opened();
        self.recv(r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#);
        self.client.provide_auth(self.t(), "/", Some(&format!(r#"{{"token":"{token}"}}"#))).unwrap();
        self.pump();
        self.recv(r#"40{"sid":"n1"}"#);
        self.take_sent();
        self.take_events();
        self.take_commands();
    }
}

impl<M: Machine> Sim<M> {
    /// A simulation of `machine`, at time 0, with no transport.
    pub fn of(machine: Box<M>) -> Self {
        Sim {
            client: machine,
            now: 0,
            transport: None,
            transport_open: false,
            sent: vec![],
            events: vec![],
            commands: vec![],
            acks: vec![],
            opens: 0,
        }
    }

    pub fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    /// Drains every output into the accumulators.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(cmd) = self.client.poll_transport() {
                progressed = true;
                match cmd {
                    TransportCommand::Open { id, path, query } => {
                        assert!(self.transport.is_none(), "Open while transport {:?} is still open", self.transport);
                        self.transport = Some(id);
                        self.transport_open = false;
                        self.opens += 1;
                        self.commands.push(json!({"open": format!("{path}?{query}")}));
                    }
                    TransportCommand::Close { id } => {
                        assert_eq!(Some(id), self.transport, "Close for a transport that is not the current one");
                        self.transport = None;
                        self.transport_open = false;
                        self.commands.push(json!("close"));
                    }
                }
            }
            while let Some(tx) = self.client.poll_transmit() {
                progressed = true;
                assert_eq!(Some(tx.transport), self.transport);
                assert!(self.transport_open, "transmit before the transport opened");
                self.sent.push(match tx.kind {
                    FrameKind::Text => Value::String(String::from_utf8(tx.bytes.to_vec()).unwrap()),
                    FrameKind::Binary => json!({"binary_hex": hex::encode(tx.bytes)}),
                });
            }
            while let Some(v) = self.client.poll_event_json() {
                progressed = true;
                self.events.push(v);
            }
            if !progressed {
                break;
            }
        }
    }

    pub fn at(&mut self, ms: u64) -> &mut Self {
        assert!(ms >= self.now, "scenario time goes backwards");
        self.now = ms;
        self
    }

    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.client.handle_timeout(self.t());
        self.pump();
    }

    /// Jumps simulated time to the next deadline and fires it.
    pub fn jump(&mut self) -> Option<u64> {
        let next = self.client.poll_timeout()?.as_millis();
        self.now = self.now.max(next);
        self.client.handle_timeout(self.t());
        self.pump();
        Some(self.now)
    }

    pub fn opened(&mut self) {
        let id = self.transport.expect("no transport to open");
        self.transport_open = true;
        self.client.handle_transport_opened(self.t(), id);
        self.pump();
    }

    pub fn closed(&mut self, cause: TransportCause) {
        let id = self.transport.take().expect("no transport to close");
        self.transport_open = false;
        self.client.handle_transport_closed(self.t(), id, cause);
        self.pump();
    }

    pub fn recv(&mut self, text: &str) {
        let id = self.transport.expect("no transport");
        self.client.handle_frame(self.t(), id, Frame::Text(text)).expect("event queue has room");
        self.pump();
    }

    pub fn recv_binary(&mut self, bytes: &[u8]) {
        let id = self.transport.expect("no transport");
        self.client.handle_frame(self.t(), id, Frame::Binary(bytes)).expect("event queue has room");
        self.pump();
    }

    pub fn take_sent(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.sent)
    }

    pub fn take_events(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.events)
    }

    pub fn take_commands(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.commands)
    }

    /// The host lost its transport without the machine being told (a new process, e.g.
    /// after restoring a snapshot).
    pub fn forget_transport(&mut self) {
        self.transport = None;
        self.transport_open = false;
    }
}
