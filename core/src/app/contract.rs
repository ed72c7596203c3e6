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
    };
}

impl Default for Contract {
    fn default() -> Self {
        Self::DEFAULT
    }
}
