//! Owned copies of the core's events (which borrow from the client's queue).

use serde_json::Value;
use tidings::app::{AppEvent, CallState, RateClass, ReplyOutcome, SendOutcome, SignalKind};
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
    /// What is known about a user's presence changed.
    Presence {
        user_id: String,
        online: bool,
    },
    /// Someone read a conversation up to a message.
    ReadReceipt {
        conversation_id: String,
        user_id: String,
        message_id: String,
    },
    /// Someone added (`added`) or removed a reaction.
    Reaction {
        conversation_id: String,
        message_id: String,
        user_id: String,
        emoji: String,
        added: bool,
    },
    /// The answer to an acked app command (`ack` is the handle's number): `Ok(answer)`, or
    /// `Err(code)` with the server's code, `"rate_limited"` (then `retry_after_ms`) or
    /// `"no_answer"`.
    Reply {
        ack: u64,
        outcome: Result<Value, String>,
        retry_after_ms: Option<u64>,
    },
    /// A call changed state or a signal arrived (its kind and payload).
    Call {
        call_id: String,
        peer: String,
        state: CallState,
        signal: Option<(SignalKind, Value)>,
    },
    /// The upload needs these bytes of the file.
    UploadChunkNeeded {
        upload_id: String,
        index: u32,
        offset: u64,
        len: u32,
    },
    /// The server acknowledged more of an upload.
    UploadProgress {
        upload_id: String,
        acked_bytes: u64,
        total_bytes: u64,
    },
    /// The server has the whole file.
    UploadFinished {
        upload_id: String,
        total_bytes: u64,
    },
    /// An upload ended without the whole file on the server.
    UploadFailed {
        upload_id: String,
        reason: String,
    },
    /// The server blocked a class of commands for a while.
    RateLimited {
        class: RateClass,
        retry_after_ms: u64,
    },
    /// A server rate limit block ended.
    RateLimitLifted {
        class: RateClass,
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
            AppEvent::Presence { user_id, online } => Event::Presence { user_id: user_id.into(), online },
            AppEvent::ReadReceipt { conversation_id, user_id, message_id } => Event::ReadReceipt {
                conversation_id: conversation_id.into(),
                user_id: user_id.into(),
                message_id: message_id.into(),
            },
            AppEvent::Reaction { conversation_id, message_id, user_id, emoji, added } => Event::Reaction {
                conversation_id: conversation_id.into(),
                message_id: message_id.into(),
                user_id: user_id.into(),
                emoji: emoji.into(),
                added,
            },
            AppEvent::Reply { ack, outcome } => {
                let (outcome, retry_after_ms) = match outcome {
                    ReplyOutcome::Ok { answer } => (Ok(json(answer)), None),
                    ReplyOutcome::Refused { reason } => (Err(reason.to_string()), None),
                    ReplyOutcome::RateLimited { retry_after_ms } => (Err("rate_limited".into()), Some(retry_after_ms)),
                    ReplyOutcome::NoAnswer => (Err("no_answer".into()), None),
                };
                Event::Reply { ack: ack.0, outcome, retry_after_ms }
            }
            AppEvent::Call { call_id, peer, state, signal } => Event::Call {
                call_id: call_id.into(),
                peer: peer.into(),
                state,
                signal: signal.map(|s| (s.kind, json(s.payload))),
            },
            AppEvent::UploadChunkNeeded { upload_id, index, offset, len } => {
                Event::UploadChunkNeeded { upload_id: upload_id.into(), index, offset, len }
            }
            AppEvent::UploadProgress { upload_id, acked_bytes, total_bytes } => {
                Event::UploadProgress { upload_id: upload_id.into(), acked_bytes, total_bytes }
            }
            AppEvent::UploadFinished { upload_id, total_bytes } => {
                Event::UploadFinished { upload_id: upload_id.into(), total_bytes }
            }
            AppEvent::UploadFailed { upload_id, reason } => {
                Event::UploadFailed { upload_id: upload_id.into(), reason: reason.into() }
            }
            AppEvent::RateLimited { class, retry_after_ms } => Event::RateLimited { class, retry_after_ms },
            AppEvent::RateLimitLifted { class } => Event::RateLimitLifted { class },
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
