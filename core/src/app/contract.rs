//! The event names of the app contract. The defaults are the product's (docs/protocol.md);
//! a backend that names things differently sets its own.

/// Event names, client → server and server → client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contract {
    /// Client → server: join a conversation room (acked).
    pub join: &'static str,
    /// Client → server: leave a conversation room (acked).
    pub leave: &'static str,
    /// Client → server: send a message (acked with the stored message).
    pub send_message: &'static str,
    /// Client → server: the user started typing.
    pub typing: &'static str,
    /// Client → server: the user stopped typing.
    pub stop_typing: &'static str,
    /// Client → server: mark one notification read (acked).
    pub mark_read: &'static str,
    /// Client → server: mark every notification read (acked).
    pub mark_all_read: &'static str,
    /// Server → client: a message in a joined conversation.
    pub new_message: &'static str,
    /// Server → client: a notification.
    pub notification: &'static str,
    /// Server → client: the authoritative unread count `{count}`.
    pub unread_count: &'static str,
    /// Server → client: someone is typing `{userId, conversationId}`.
    pub user_typing: &'static str,
    /// Server → client: someone stopped typing `{userId, conversationId}`.
    pub user_stopped_typing: &'static str,
    /// Server → client: the user was removed from a conversation `{conversationId, reason}`.
    pub removed: &'static str,
    /// Server → client: a contact came online or went offline `{userId, online}`.
    pub presence: &'static str,
    /// Client → server: the user read a conversation up to a message
    /// `{conversationId, messageId}` (acked).
    pub mark_conversation_read: &'static str,
    /// Server → client: someone read a conversation `{conversationId, userId, messageId}`.
    pub read_receipt: &'static str,
    /// Client → server: add a reaction `{conversationId, messageId, emoji}` (acked).
    pub add_reaction: &'static str,
    /// Client → server: remove a reaction `{conversationId, messageId, emoji}` (acked).
    pub remove_reaction: &'static str,
    /// Server → client: a reaction changed `{conversationId, messageId, userId, emoji, added}`.
    pub reaction: &'static str,
    /// Both ways: a call signal. Client → server `{toUserId, callId, type, payload}`
    /// (acked; refused `offline` when the callee is not connected), server → client
    /// `{fromUserId, callId, type, payload}`.
    pub call_signal: &'static str,
    /// Client → server: one chunk `{uploadId, index, total, size}` + its bytes as one
    /// binary attachment (acked `{ok, received, nextIndex, complete?}`).
    pub upload_chunk: &'static str,
    /// Client → server: where an upload stands `{uploadId}` (acked `{ok, nextIndex, total}`).
    pub upload_status: &'static str,
    /// Server → client: a command was refused for the rate limit `{event, retryAfterMs}`.
    pub rate_limited: &'static str,
}

impl Contract {
    /// The product's names (the reference server's).
    pub const DEFAULT: Self = Self {
        join: "joinConversation",
        leave: "leaveConversation",
        send_message: "sendMessage",
        typing: "typing",
        stop_typing: "stopTyping",
        mark_read: "markNotificationRead",
        mark_all_read: "markAllNotificationsRead",
        new_message: "newMessage",
        notification: "notification",
        unread_count: "unreadCount",
        user_typing: "userTyping",
        user_stopped_typing: "userStoppedTyping",
        removed: "removedFromConversation",
        presence: "presence",
        mark_conversation_read: "markConversationRead",
        read_receipt: "readReceipt",
        add_reaction: "addReaction",
        remove_reaction: "removeReaction",
        reaction: "reaction",
        call_signal: "callSignal",
        upload_chunk: "uploadChunk",
        upload_status: "uploadStatus",
        rate_limited: "rateLimited",
    };
}

impl Default for Contract {
    fn default() -> Self {
        Self::DEFAULT
    }
}
