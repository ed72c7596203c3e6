//! Reactions: `addReaction` / `removeReaction {conversationId, messageId, emoji}` with an
//! ack, and `reaction {conversationId, messageId, userId, emoji, added}` from the server.
//!
//! Nothing is stored: the reactions of a message are the app's (it shows them from the
//! events and the history it loads). A reaction is not queued for later either: it is
//! sent (or buffered by the connection while it is down) and its `AppEvent::Reply` tells
//! the app whether to keep showing it.

use heapless::String;

use super::{push_event, valid_id, AppError, AppEvent, Purpose, RateClass, Realtime, State, MAX_ID_LEN};
use crate::client::{AckHandle, IncomingEvent};
use crate::time::Instant;
use crate::wire::json;

/// The longest emoji accepted, in bytes: the server takes 16 code points, at most 4 bytes
/// each (family and flag sequences are 25–35 bytes).
pub const MAX_EMOJI_LEN: usize = 64;

/// One JSON-safe emoji: non-empty, short, no quote, backslash or control character.
fn valid_emoji(emoji: &str) -> bool {
    !emoji.is_empty() && emoji.len() <= MAX_EMOJI_LEN && !emoji.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

fn reaction_arg(
    conversation_id: &str,
    message_id: &str,
    emoji: &str,
) -> String<{ 2 * MAX_ID_LEN + MAX_EMOJI_LEN + 56 }> {
    let mut s = String::new();
    let parts =
        ["{\"conversationId\":\"", conversation_id, "\",\"messageId\":\"", message_id, "\",\"emoji\":\"", emoji, "\"}"];
    for p in parts {
        // Cannot fail: every part is bounded (checked by the caller).
        let _ = s.push_str(p);
    }
    s
}

impl<const OUT: usize, const IN: usize> State<OUT, IN> {
    /// `reaction {conversationId, messageId, userId, emoji, added}`.
    pub(super) fn on_reaction(&mut self, e: &IncomingEvent<'_>) {
        let first = e.args().next().map_or("null", |a| a.raw);
        let field = |k| super::string_value(json::object_field(first, k));
        let (Some(conversation_id), Some(message_id), Some(user_id), Some(emoji)) =
            (field("conversationId"), field("messageId"), field("userId"), field("emoji"))
        else {
            return;
        };
        let added = match json::object_field(first, "added") {
            Some("true") => true,
            Some("false") => false,
            _ => return,
        };
        push_event(&mut self.events, &AppEvent::Reaction { conversation_id, message_id, user_id, emoji, added });
    }
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// Adds the user's `emoji` reaction to a message. Its end comes as `AppEvent::Reply`
    /// for the returned handle. Refused by the `Reactions` rate limit.
    pub fn add_reaction(
        &mut self,
        now: Instant,
        conversation_id: &str,
        message_id: &str,
        emoji: &str,
    ) -> Result<AckHandle, AppError> {
        self.react(now, conversation_id, message_id, emoji, true)
    }

    /// Removes the user's `emoji` reaction from a message (as [`Realtime::add_reaction`]).
    pub fn remove_reaction(
        &mut self,
        now: Instant,
        conversation_id: &str,
        message_id: &str,
        emoji: &str,
    ) -> Result<AckHandle, AppError> {
        self.react(now, conversation_id, message_id, emoji, false)
    }

    fn react(
        &mut self,
        now: Instant,
        conversation_id: &str,
        message_id: &str,
        emoji: &str,
        added: bool,
    ) -> Result<AckHandle, AppError> {
        if !valid_id(conversation_id) || !valid_id(message_id) {
            return Err(AppError::InvalidId);
        }
        if !valid_emoji(emoji) {
            return Err(AppError::InvalidEmoji);
        }
        let s = &mut self.state;
        s.check_rate(RateClass::Reactions, now)?;
        let c = s.cfg.contract;
        let event = if added { c.add_reaction } else { c.remove_reaction };
        let arg = reaction_arg(conversation_id, message_id, emoji);
        let h = self.client.emit_with_ack(now, "/", event, &[&arg], None)?;
        s.rate.consume(&s.cfg.rate_limits, RateClass::Reactions, now);
        let _ = s.own_acks.push((h, Purpose::Reaction));
        self.process(now);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rules_and_arg() {
        assert!(valid_emoji("👍") && valid_emoji("👨‍👩‍👧‍👦") && valid_emoji("🏴󠁧󠁢󠁳󠁣󠁴󠁿"));
        assert!(!valid_emoji("") && !valid_emoji("\"") && !valid_emoji("a\\b") && !valid_emoji("\n"));
        assert!(!valid_emoji(core::str::from_utf8(&[b'x'; MAX_EMOJI_LEN + 1]).unwrap()));
        assert_eq!(reaction_arg("c1", "m1", "👍"), "{\"conversationId\":\"c1\",\"messageId\":\"m1\",\"emoji\":\"👍\"}");
    }
}
