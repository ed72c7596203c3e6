//! What the app layer tells the app.

use serde::{Deserialize, Serialize};

use crate::client::ClientEvent;
use crate::wire::JsonStr;

/// An event from [`Realtime::poll_event`](super::Realtime::poll_event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
