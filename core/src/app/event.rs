//! What the app layer tells the app.

use serde::{Deserialize, Serialize};

use super::calls::{CallSignal, CallState};
use super::rate_limit::RateClass;
use crate::client::{AckHandle, ClientEvent};
use crate::wire::JsonStr;

/// An event from [`Realtime::poll_event`](super::Realtime::poll_event). New kinds of
/// events are added as the contract grows, hence `non_exhaustive`: match the ones the app
/// shows and ignore the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AppEvent<'a> {
    /// A connection-level event, passed through (auth requests, connected, disconnected,
    /// reconnection, other server events, acks of the app's own emits).
    #[serde(borrow)]
    Client(ClientEvent<'a>),
    /// A conversation was joined (its room is live).
    Joined {
        /// The conversation.
        conversation_id: &'a str,
    },
    /// The server refused to join a conversation, or removed the user from one. The
    /// conversation is no longer in the joined set.
    Removed {
        /// The conversation.
        conversation_id: &'a str,
        /// The server's error code or reason (JSON-escaped text).
        reason: &'a str,
    },
    /// After a (re)connect: every conversation was re-joined and the outbox flushed.
    Synced {
        /// The session was recovered by the server (missed events replayed).
        recovered: bool,
    },
    /// A new message in a joined conversation (duplicates suppressed).
    #[serde(borrow)]
    Message(MessageView<'a>),
    /// A `send_message` ended. Each send ends exactly once.
    Send {
        /// The id `send_message` returned.
        client_message_id: &'a str,
        /// How it ended.
        #[serde(borrow)]
        outcome: SendOutcome<'a>,
    },
    /// The set of people typing in a conversation changed.
    Typing {
        /// The conversation.
        conversation_id: &'a str,
        /// A JSON array of user ids, e.g. `["bob"]` (empty when nobody types).
        typers_json: &'a str,
    },
    /// A new notification (duplicates suppressed): its JSON object.
    Notification {
        /// Its id.
        id: &'a str,
        /// The notification as raw JSON.
        raw: &'a str,
    },
    /// The unread count changed (see [`badge_text`](super::badge_text)).
    UnreadCount {
        /// Never negative.
        count: u32,
    },
    /// What is known about a user's presence changed (see
    /// [`Realtime::presence`](super::Realtime::presence)). After a disconnect every user is
    /// unknown until the server says again; no event is sent for that.
    Presence {
        /// The user (JSON-escaped text).
        user_id: &'a str,
        /// Online or offline.
        online: bool,
    },
    /// Someone read a conversation up to a message.
    ReadReceipt {
        /// The conversation.
        conversation_id: &'a str,
        /// Who read it.
        user_id: &'a str,
        /// The last message they read.
        message_id: &'a str,
    },
    /// Someone added or removed a reaction to a message.
    Reaction {
        /// The conversation.
        conversation_id: &'a str,
        /// The message.
        message_id: &'a str,
        /// Who reacted.
        user_id: &'a str,
        /// The emoji (JSON-escaped text).
        emoji: &'a str,
        /// Added (true) or removed (false).
        added: bool,
    },
    /// How the server answered a command that returned an [`AckHandle`]
    /// (`add_reaction`, `remove_reaction`, `mark_conversation_read`). Exactly once per handle.
    Reply {
        /// The handle the command returned.
        ack: AckHandle,
        /// The answer.
        #[serde(borrow)]
        outcome: ReplyOutcome<'a>,
    },
    /// A call changed state or a signal arrived for it. A call ends (`state` is
    /// [`CallState::Ended`]) exactly once.
    Call {
        /// The call id.
        call_id: &'a str,
        /// The other user.
        peer: &'a str,
        /// The call's state after this change.
        state: CallState,
        /// The signal received, for incoming offer, answer, ice and end (payload as raw
        /// JSON); `None` for local changes.
        #[serde(borrow)]
        signal: Option<CallSignal<'a>>,
    },
    /// The upload needs its next chunk: answer with
    /// [`Realtime::upload_chunk`](super::Realtime::upload_chunk) and exactly these bytes of
    /// the file.
    UploadChunkNeeded {
        /// The upload.
        upload_id: &'a str,
        /// The chunk's index.
        index: u32,
        /// Its first byte in the file.
        offset: u64,
        /// Its length in bytes (the last chunk may be shorter).
        len: u32,
    },
    /// The server acknowledged more of an upload.
    UploadProgress {
        /// The upload.
        upload_id: &'a str,
        /// Bytes the server has (every chunk before the first missing one).
        acked_bytes: u64,
        /// The file's size.
        total_bytes: u64,
    },
    /// The server has the whole file. An upload ends exactly once: this or `UploadFailed`.
    UploadFinished {
        /// The upload.
        upload_id: &'a str,
        /// The file's size.
        total_bytes: u64,
    },
    /// An upload ended without the whole file on the server.
    UploadFailed {
        /// The upload.
        upload_id: &'a str,
        /// The server's error code, or `cancelled` (`cancel_upload`), `payload_too_large`
        /// (a chunk no longer fits the server's limit), `total_mismatch` (the server holds
        /// this id with another chunk count).
        reason: &'a str,
    },
    /// The server refused a class of commands for a while: they are refused with
    /// `AppError::RateLimited` (messages wait in the outbox) until `RateLimitLifted`.
    RateLimited {
        /// The class.
        class: RateClass,
        /// How long, in ms.
        retry_after_ms: u64,
    },
    /// A server rate limit block ended.
    RateLimitLifted {
        /// The class.
        class: RateClass,
    },
}

/// How the server answered an acked command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyOutcome<'a> {
    /// Done: the server's answer object as raw JSON.
    Ok {
        /// The answer (`{"ok":true,…}`).
        answer: &'a str,
    },
    /// Refused: the server's error code (JSON-escaped text).
    Refused {
        /// Why (e.g. `not_found`, `forbidden`).
        reason: &'a str,
    },
    /// Refused for the rate limit; the class is blocked for this long.
    RateLimited {
        /// The block, in ms.
        retry_after_ms: u64,
    },
    /// No answer (timeout, lost connection, cancelled): the server may or may not have
    /// carried it out.
    NoAnswer,
}

/// A message, borrowed: ids and timestamps as JSON-escaped text, the content as raw JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView<'a> {
    /// The server's message id.
    pub id: &'a str,
    /// The conversation.
    pub conversation_id: &'a str,
    /// The sender's user id.
    pub sender_id: &'a str,
    /// The content as raw JSON (usually a string).
    pub content: &'a str,
    /// The creation time (ISO 8601 text).
    pub created_at: &'a str,
    /// The whole message object as raw JSON, for fields the view does not name.
    pub raw: &'a str,
}

impl<'a> MessageView<'a> {
    /// The content's text when it is a JSON string.
    pub fn content_text(&self) -> Option<JsonStr<'a>> {
        let c = self.content;
        (c.len() >= 2 && c.starts_with('"') && c.ends_with('"')).then(|| JsonStr::from_validated(&c[1..c.len() - 1]))
    }
}

/// How a send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendOutcome<'a> {
    /// The server stored it; its message as raw JSON.
    Delivered {
        /// The stored message.
        message: &'a str,
    },
    /// The server refused it; its error code (JSON-escaped text).
    Failed {
        /// Why.
        reason: &'a str,
    },
    /// Not acknowledged before its time to live ran out.
    Expired,
}
