//! A scripted server for the app layer's feature tests (the pattern of app_layer.rs):
//! the `Realtime` under test, simulated time, every frame sent recorded as text (binary
//! frames as `<bin HEX>`), every app event as canonical JSON.
#![allow(dead_code)]

use serde_json::{json, Value};
use tidings::app::{AppConfig, AppEvent, CallState, Realtime, ReplyOutcome, SendOutcome};
use tidings::client::{TransportCause, TransportCommand, TransportId};
use tidings::wire::{Frame, FrameKind};
use tidings::Instant;

use crate::support::sim::event_json;

pub type Rt = Realtime<8192, 8192>;

pub const HS: &str = r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

pub struct App {
    pub rt: Box<Rt>,
    pub now: u64,
    pub transport: Option<TransportId>,
    pub sent: Vec<String>,
    pub events: Vec<Value>,
}

pub fn call_state(s: &CallState) -> Value {
    match s {
        CallState::Ended(reason) => json!({"ended": format!("{reason:?}")}),
        other => json!(format!("{other:?}")),
    }
}

/// The canonical JSON of an app event.
pub fn app_json(e: &AppEvent<'_>) -> Value {
    let raw = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    match e {
        AppEvent::Client(c) => event_json(c),
        AppEvent::Joined { conversation_id } => json!({"app": "joined", "conversation": conversation_id}),
        AppEvent::Removed { conversation_id, reason } => {
            json!({"app": "removed", "conversation": conversation_id, "reason": reason})
        }
        AppEvent::Synced { recovered } => json!({"app": "synced", "recovered": recovered}),
        AppEvent::Message(m) => json!({"app": "message", "id": m.id, "conversation": m.conversation_id}),
        AppEvent::Send { client_message_id, outcome } => {
            let o = match outcome {
                SendOutcome::Delivered { .. } => json!("delivered"),
                SendOutcome::Failed { reason } => json!({"failed": reason}),
                SendOutcome::Expired => json!("expired"),
            };
            json!({"app": "send", "id": client_message_id, "outcome": o})
        }
        AppEvent::Typing { conversation_id, typers_json } => {
            json!({"app": "typing", "conversation": conversation_id, "typers": raw(typers_json)})
        }
        AppEvent::Notification { id, .. } => json!({"app": "notification", "id": id}),
        AppEvent::UnreadCount { count } => json!({"app": "unread", "count": count}),
        AppEvent::Presence { user_id, online } => json!({"app": "presence", "user": user_id, "online": online}),
        AppEvent::ReadReceipt { conversation_id, user_id, message_id } => {
            json!({"app": "read_receipt", "conversation": conversation_id, "user": user_id, "message": message_id})
        }
        AppEvent::Reaction { conversation_id, message_id, user_id, emoji, added } => json!({"app": "reaction",
            "conversation": conversation_id, "message": message_id, "user": user_id, "emoji": emoji, "added": added}),
        AppEvent::Reply { ack, outcome } => {
            let o = match outcome {
                ReplyOutcome::Ok { answer } => json!({"ok": raw(answer)}),
                ReplyOutcome::Refused { reason } => json!({"refused": reason}),
                ReplyOutcome::RateLimited { retry_after_ms } => json!({"rate_limited": retry_after_ms}),
                ReplyOutcome::NoAnswer => json!("no_answer"),
            };
            json!({"app": "reply", "ack": ack.0, "outcome": o})
        }
        AppEvent::Call { call_id, peer, state, signal } => {
            let mut v = json!({"app": "call", "call": call_id, "peer": peer, "state": call_state(state)});
            if let Some(s) = signal {
                v["signal"] = json!({"type": s.kind.as_str(), "payload": raw(s.payload)});
            }
            v
        }
        AppEvent::UploadChunkNeeded { upload_id, index, offset, len } => {
            json!({"app": "chunk_needed", "upload": upload_id, "index": index, "offset": offset, "len": len})
        }
        AppEvent::UploadProgress { upload_id, acked_bytes, total_bytes } => {
            json!({"app": "upload_progress", "upload": upload_id, "acked": acked_bytes, "total": total_bytes})
        }
        AppEvent::UploadFinished { upload_id, total_bytes } => {
            json!({"app": "upload_finished", "upload": upload_id, "total": total_bytes})
        }
        AppEvent::UploadFailed { upload_id, reason } => {
            json!({"app": "upload_failed", "upload": upload_id, "reason": reason})
        }
        AppEvent::RateLimited { class, retry_after_ms } => {
            json!({"app": "rate_limited", "class": format!("{class:?}"), "retry_after_ms": retry_after_ms})
        }
        AppEvent::RateLimitLifted { class } => json!({"app": "rate_limit_lifted", "class": format!("{class:?}")}),
        other => json!({"app": "unknown", "debug": format!("{other:?}")}),
    }
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
            let v = app_json(&e);
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

    /// The app events since the last call, without the connection's own (draining first).
    pub fn take_app_events(&mut self) -> Vec<Value> {
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
