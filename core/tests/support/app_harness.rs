//! A scripted server for the app layer's tests (app_layer.rs and the feature files): the
//! `Realtime` under test, simulated time, every frame sent recorded as text (binary
//! frames as `<bin HEX>`), every event as its canonical JSON (`app_event_json`), taken
//! whole or trimmed (`app_json`).
#![allow(dead_code)]

use serde_json::{json, Value};
use tidings::app::{AppConfig, AppEvent};
use tidings::client::{TransportCause, TransportCommand, TransportId};
use tidings::wire::{Frame, FrameKind};
use tidings::Instant;

use crate::support::app::app_event_json;
pub use crate::support::app::Rt;

pub const HS: &str = r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

pub struct App {
    pub rt: Box<Rt>,
    pub now: u64,
    pub transport: Option<TransportId>,
    pub sent: Vec<String>,
    pub events: Vec<Value>,
}

/// The JSON of an app event the feature tests assert: the canonical form
/// (`app_event_json`) without the raw objects of messages, notifications and deliveries.
pub fn app_json(e: &AppEvent<'_>) -> Value {
    trimmed(app_event_json(e))
}

/// The canonical JSON of an event without the raw objects of messages, notifications and
/// deliveries.
fn trimmed(mut v: Value) -> Value {
    match v.get("app").and_then(Value::as_str) {
        Some("message") => v = json!({"app": "message", "id": v["id"], "conversation": v["conversation"]}),
        Some("notification") => v = json!({"app": "notification", "id": v["id"]}),
        Some("send") if v["outcome"].get("delivered").is_some() => v["outcome"] = json!("delivered"),
        _ => {}
    }
    v
}

impl App {
    pub fn new(cfg: AppConfig) -> App {
        App { rt: Box::new(Rt::new(cfg, 9)), now: 0, transport: None, sent: vec![], events: vec![] }
    }

    pub fn t(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    pub fn pump(&mut self) {
        while let Some(cmd) = self.rt.poll_transport() {
            match cmd {
                TransportCommand::Open { id, .. } => self.transport = Some(id),
                TransportCommand::Close { .. } => self.transport = None,
            }
        }
        while let Some(tx) = self.rt.poll_transmit() {
            let frame = match tx.kind {
                FrameKind::Text => String::from_utf8(tx.bytes.to_vec()).unwrap(),
                FrameKind::Binary => format!("<bin {}>", hex::encode(tx.bytes)),
            };
            self.sent.push(frame);
        }
        while let Some(e) = self.rt.poll_event() {
            let v = app_event_json(&e);
            self.events.push(v);
        }
    }

    /// A frame from the server (the outputs are drained first, as a host's loop does).
    pub fn recv(&mut self, frame: &str) {
        self.pump();
        let id = self.transport.expect("transport");
        self.rt.handle_frame(self.t(), id, Frame::Text(frame)).unwrap();
        self.pump();
    }

    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.rt.handle_timeout(self.t());
        self.pump();
    }

    /// Jumps to the app layer's next deadline and fires it.
    pub fn advance_to_deadline(&mut self) {
        let at = self.rt.poll_timeout().expect("a deadline").as_millis();
        self.now = self.now.max(at);
        self.rt.handle_timeout(self.t());
        self.pump();
    }

    /// Through handshake and auth to the CONNECT reply, with this handshake.
    pub fn connect_with(&mut self, hs: &str) {
        if self.transport.is_none() {
            self.rt.connect(self.t());
            self.pump();
        }
        let id = self.transport.unwrap();
        self.rt.handle_transport_opened(self.t(), id);
        self.recv(hs);
        self.rt.provide_auth(self.t(), "/", Some(r#"{"token":"t"}"#)).unwrap();
        self.pump();
        self.recv(r#"40{"sid":"n"}"#);
    }

    /// Connected and live (nothing joined), with the frames and events so far dropped.
    pub fn connect(&mut self) {
        self.connect_with(HS);
        self.take_sent();
        self.take_app_events();
    }

    pub fn lose_transport(&mut self) {
        let id = self.transport.take().unwrap();
        self.rt.handle_transport_closed(self.t(), id, TransportCause::Failed);
        self.pump();
    }

    /// After `lose_transport`: waits for the reconnection attempt (or starts one, if the
    /// client gave up) and connects again (the CONNECT frame is left in `sent`).
    pub fn reconnect(&mut self) {
        self.rt.connect(self.t());
        self.pump();
        while self.transport.is_none() {
            self.advance_to_deadline();
        }
        self.connect_with(HS);
    }

    /// The frames sent since the last call (draining the app layer's outputs first).
    pub fn take_sent(&mut self) -> Vec<String> {
        self.pump();
        std::mem::take(&mut self.sent)
    }

    /// The app events since the last call, trimmed (`app_json`), without the connection's
    /// own (draining first).
    pub fn take_app_events(&mut self) -> Vec<Value> {
        self.take_full_app_events().into_iter().map(trimmed).collect()
    }

    /// As [`App::take_app_events`], in the canonical form with every field.
    pub fn take_full_app_events(&mut self) -> Vec<Value> {
        self.pump();
        std::mem::take(&mut self.events).into_iter().filter(|e| e.get("app").is_some()).collect()
    }
}

/// The ack id of a sent `42N[…]` or `45N-…` frame (panics if it has none).
pub fn ack_id(frame: &str) -> u64 {
    let head = &frame[..frame.find('[').unwrap()];
    let id = match head.strip_prefix("45") {
        Some(binary) => binary.split_once('-').unwrap().1,
        None => head.strip_prefix("42").unwrap(),
    };
    id.parse().unwrap()
}
