//! Owned copies of the core's events (which borrow from the client's queue).

use serde_json::Value;
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
    AuthRequired { namespace: String, refresh: bool },
    Connected { namespace: String, recovered: bool },
    ConnectError { namespace: String, message: String, data: Option<Value> },
    AuthFailed { namespace: String, message: String },
    Disconnected { namespace: Option<String>, reason: DisconnectReason },
    Message { namespace: String, name: String, args: Vec<Value>, ack_id: Option<u64>, attachments: Vec<Vec<u8>> },
    Ack { ack: u64, result: AckResult },
    ReconnectScheduled { attempt: u32, delay_ms: u64 },
    Reconnected { attempts: u32 },
    ReconnectFailed { attempts: u32 },
    SlowConnection { elapsed_ms: u64 },
    ProtocolError { code: &'static str },
}

fn args(list: &str) -> Vec<Value> {
    match serde_json::from_str(&format!("[{list}]")) {
        Ok(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

impl Event {
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
        }
    }
}
