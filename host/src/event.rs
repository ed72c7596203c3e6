//! Owned copies of the core's events (which borrow from the client's queue).

use serde_json::Value;
use tidings::app::{AppEvent, SendOutcome};
use tidings::client::{AckOutcome, ClientEvent, DisconnectReason};

/// How an ack ended.
#[derive(Debug, Clone, PartialEq)]
pub enum AckResult {
    /// The server answered with these arguments (and attachments).
    Ok(Vec<Value>, Vec<Vec<u8>>),
    /// No answer in time.
    Timeout,
    /// The connection was lost after the emit was sent.
    Disconnected,
    /// Cancelled by the app.
    Cancelled,
}

/// An owned [`ClientEvent`].
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Event {
    AuthRequired {
        namespace: String,
        refresh: bool,
    },
    Connected {
        namespace: String,
        recovered: bool,
    },
    ConnectError {
        namespace: String,
        message: String,
        data: Option<Value>,
    },
    AuthFailed {
        namespace: String,
        message: String,
    },
    Disconnected {
        namespace: Option<String>,
        reason: DisconnectReason,
    },
    Message {
        namespace: String,
        name: String,
        args: Vec<Value>,
        ack_id: Option<u64>,
        attachments: Vec<Vec<u8>>,
    },
    Ack {
        ack: u64,
        result: AckResult,
    },
    EmitTooLarge {
        namespace: String,
        size: u64,
        max: u64,
    },
    ReconnectScheduled {
        attempt: u32,
        delay_ms: u64,
    },
    Reconnected {
        attempts: u32,
    },
    ReconnectFailed {
        attempts: u32,
    },
    SlowConnection {
        elapsed_ms: u64,
    },
    ProtocolError {
        code: &'static str,
    },
    // The app layer's events (hosts that drive `Realtime`).
    Joined {
        conversation_id: String,
    },
    Removed {
        conversation_id: String,
        reason: String,
    },
    Synced {
        recovered: bool,
    },
    NewMessage {
        id: String,
        conversation_id: String,
        sender_id: String,
        content: Value,
        raw: Value,
    },
    Sent {
        client_message_id: String,
        outcome: SendResult,
    },
    Typing {
        conversation_id: String,
        typers: Vec<String>,
    },
    Notification {
        id: String,
        raw: Value,
    },
    UnreadCount {
        count: u32,
    },
    /// Another app-layer event, as its Debug text.
    App(String),
}

/// How a `send_message` ended.
#[derive(Debug, Clone, PartialEq)]
pub enum SendResult {
    /// Stored by the server: its message.
    Delivered(Value),
    /// Refused: the server's code.
    Failed(String),
    /// Its time to live ran out.
    Expired,
}

fn args(list: &str) -> Vec<Value> {
    match serde_json::from_str(&format!("[{list}]")) {
        Ok(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

fn json(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or(Value::Null)
}

impl Event {
    /// Copies an app-layer event.
    pub fn from_app(ev: &AppEvent<'_>) -> Event {
        match *ev {
            AppEvent::Client(ref c) => Event::from_core(c),
            AppEvent::Joined { conversation_id } => Event::Joined { conversation_id: conversation_id.into() },
            AppEvent::Removed { conversation_id, reason } => {
                Event::Removed { conversation_id: conversation_id.into(), reason: reason.into() }
            }
            AppEvent::Synced { recovered } => Event::Synced { recovered },
            AppEvent::Message(m) => Event::NewMessage {
                id: m.id.into(),
                conversation_id: m.conversation_id.into(),
                sender_id: m.sender_id.into(),
                content: json(m.content),
                raw: json(m.raw),
            },
            AppEvent::Send { client_message_id, outcome } => Event::Sent {
                client_message_id: client_message_id.into(),
                outcome: match outcome {
                    SendOutcome::Delivered { message } => SendResult::Delivered(json(message)),
                    SendOutcome::Failed { reason } => SendResult::Failed(reason.into()),
                    SendOutcome::Expired => SendResult::Expired,
                },
            },
            AppEvent::Typing { conversation_id, typers_json } => Event::Typing {
                conversation_id: conversation_id.into(),
                typers: serde_json::from_str(typers_json).unwrap_or_default(),
            },
            AppEvent::Notification { id, raw } => Event::Notification { id: id.into(), raw: json(raw) },
            AppEvent::UnreadCount { count } => Event::UnreadCount { count },
            #[allow(unreachable_patterns)]
            ref other => Event::App(format!("{other:?}")),
        }
    }

    /// Copies a core event.
    pub fn from_core(ev: &ClientEvent<'_>) -> Event {
        match *ev {
            ClientEvent::AuthRequired { namespace, refresh } => {
                Event::AuthRequired { namespace: namespace.into(), refresh }
            }
            ClientEvent::Connected { namespace, recovered } => {
                Event::Connected { namespace: namespace.into(), recovered }
            }
            ClientEvent::ConnectError { namespace, message, data } => Event::ConnectError {
                namespace: namespace.into(),
                message: message.into(),
                data: data.and_then(|d| serde_json::from_str(d).ok()),
            },
            ClientEvent::AuthFailed { namespace, message } => {
                Event::AuthFailed { namespace: namespace.into(), message: message.into() }
            }
            ClientEvent::Disconnected { namespace, reason } => {
                Event::Disconnected { namespace: namespace.map(Into::into), reason }
            }
            ClientEvent::Event(e) => Event::Message {
                namespace: e.namespace.into(),
                name: e.name().to_string(),
                args: args(e.args_raw),
                ack_id: e.ack_id,
                attachments: e.attachments.iter().map(<[u8]>::to_vec).collect(),
            },
            ClientEvent::Ack { ack, outcome } => Event::Ack {
                ack: ack.0,
                result: match outcome {
                    AckOutcome::Ok { args_raw, attachments } => {
                        AckResult::Ok(args(args_raw), attachments.iter().map(<[u8]>::to_vec).collect())
                    }
                    AckOutcome::Timeout => AckResult::Timeout,
                    AckOutcome::Disconnected => AckResult::Disconnected,
                    AckOutcome::Cancelled => AckResult::Cancelled,
                },
            },
            ClientEvent::ReconnectScheduled { attempt, delay_ms } => Event::ReconnectScheduled { attempt, delay_ms },
            ClientEvent::Reconnected { attempts } => Event::Reconnected { attempts },
            ClientEvent::ReconnectFailed { attempts } => Event::ReconnectFailed { attempts },
            ClientEvent::SlowConnection { elapsed_ms } => Event::SlowConnection { elapsed_ms },
            ClientEvent::ProtocolError { kind } => Event::ProtocolError { code: kind.code() },
            ClientEvent::EmitTooLarge { namespace, size, max } => {
                Event::EmitTooLarge { namespace: namespace.into(), size, max }
            }
        }
    }
}
