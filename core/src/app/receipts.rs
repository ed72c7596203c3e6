//! Read receipts: the user's own read position per conversation, sent to the server with
//! `markConversationRead`, and other members' positions from `readReceipt` events.
//!
//! The own position is durable state (it is in the snapshot): it is set when
//! `mark_conversation_read` is called, and until the server has answered it, it is sent
//! again after every reconnect (and after a rate limit block ends). Only the latest
//! position of a conversation is kept; it lives as long as the conversation is in the
//! joined set, so the table is bounded by [`MAX_CONVERSATIONS`](super::MAX_CONVERSATIONS).

use heapless::String;

use super::{push_event, valid_id, Answer, AppError, AppEvent, Purpose, RateClass, Realtime, State, MAX_ID_LEN};
use crate::client::{AckHandle, Client, ClientError, IncomingEvent};
use crate::time::Instant;
use crate::wire::json;

/// Whether the server has the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReceiptSync {
    /// The server answered (it took it, or refused it for good: not sent again).
    Done,
    /// To be sent (again) when live.
    Pending,
    /// Sent; waiting for this ack.
    InFlight(AckHandle),
}

/// The own read position in one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReadPosition {
    pub message_id: String<MAX_ID_LEN>,
    pub sync: ReceiptSync,
}

fn receipt_arg(conversation_id: &str, message_id: &str) -> String<{ 2 * MAX_ID_LEN + 40 }> {
    let mut s = String::new();
    for p in ["{\"conversationId\":\"", conversation_id, "\",\"messageId\":\"", message_id, "\"}"] {
        // Cannot fail: both ids are at most MAX_ID_LEN bytes.
        let _ = s.push_str(p);
    }
    s
}

impl<const OUT: usize, const IN: usize> State<OUT, IN> {
    fn send_receipt(
        &mut self,
        now: Instant,
        client: &mut Client<OUT, IN>,
        i: usize,
        reply: bool,
    ) -> Result<AckHandle, ClientError> {
        let c = &self.conversations[i];
        let Some(read) = &c.read else { return Err(ClientError::NotConnected) };
        let arg = receipt_arg(&c.id, &read.message_id);
        let h = client.emit_with_ack(now, "/", self.cfg.contract.mark_conversation_read, &[&arg], None)?;
        let _ = self.own_acks.push((h, Purpose::Receipt { reply }));
        if let Some(read) = &mut self.conversations[i].read {
            read.sync = ReceiptSync::InFlight(h);
        }
        Ok(h)
    }

    /// Sends the positions the server does not have yet (when live, outside a block).
    pub(super) fn pump_receipts(&mut self, now: Instant, client: &mut Client<OUT, IN>) {
        for i in 0..self.conversations.len() {
            let pending = self.conversations[i].read.as_ref().is_some_and(|r| r.sync == ReceiptSync::Pending);
            if pending && self.send_receipt(now, client, i, false).is_err() {
                return; // the connection's buffers are full: next input
            }
        }
    }

    /// The answer to a `markConversationRead`: the position is settled, or pending again.
    pub(super) fn on_receipt_ack(&mut self, ack: AckHandle, answer: Answer<'_>) {
        let sync = match answer {
            Answer::Ok(_) | Answer::Refused(_) => ReceiptSync::Done,
            Answer::RateLimited(_) | Answer::None => ReceiptSync::Pending,
        };
        // A newer position supersedes this one: then nothing matches.
        for c in self.conversations.iter_mut() {
            if let Some(read) = c.read.as_mut().filter(|r| r.sync == ReceiptSync::InFlight(ack)) {
                read.sync = sync;
            }
        }
    }

    /// `readReceipt {conversationId, userId, messageId}`.
    pub(super) fn on_read_receipt(&mut self, e: &IncomingEvent<'_>) {
        let first = e.args().next().map_or("null", |a| a.raw);
        let field = |k| super::string_value(json::object_field(first, k));
        let (Some(conversation_id), Some(user_id), Some(message_id)) =
            (field("conversationId"), field("userId"), field("messageId"))
        else {
            return;
        };
        push_event(&mut self.events, &AppEvent::ReadReceipt { conversation_id, user_id, message_id });
    }
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// Marks a joined conversation read up to `message_id`: the position is kept (and
    /// snapshotted) and sent as `markConversationRead`, again after reconnects until the
    /// server answers. The handle's `AppEvent::Reply` says how this attempt ended.
    /// Refused for a conversation not in the joined set, and by the `Receipts` rate limit.
    pub fn mark_conversation_read(
        &mut self,
        now: Instant,
        conversation_id: &str,
        message_id: &str,
    ) -> Result<AckHandle, AppError> {
        if !valid_id(conversation_id) || !valid_id(message_id) {
            return Err(AppError::InvalidId);
        }
        let s = &mut self.state;
        let i = s.conversations.iter().position(|c| c.id == conversation_id).ok_or(AppError::NotJoined)?;
        s.check_rate(RateClass::Receipts, now)?;
        let previous = s.conversations[i].read.take();
        let message_id = String::try_from(message_id).map_err(|_| AppError::InvalidId)?;
        s.conversations[i].read = Some(ReadPosition { message_id, sync: ReceiptSync::Pending });
        match s.send_receipt(now, &mut self.client, i, true) {
            Ok(h) => {
                s.rate.consume(&s.cfg.rate_limits, RateClass::Receipts, now);
                self.process(now);
                Ok(h)
            }
            Err(e) => {
                s.conversations[i].read = previous;
                Err(AppError::Client(e))
            }
        }
    }

    /// The own read position in a conversation (the last `mark_conversation_read`).
    pub fn read_position(&self, conversation_id: &str) -> Option<&str> {
        let c = self.state.conversations.iter().find(|c| c.id == conversation_id)?;
        c.read.as_ref().map(|r| r.message_id.as_str())
    }

    /// Whether the server has yet to confirm the own read position in a conversation.
    pub fn read_position_pending(&self, conversation_id: &str) -> bool {
        let c = self.state.conversations.iter().find(|c| c.id == conversation_id);
        c.and_then(|c| c.read.as_ref()).is_some_and(|r| r.sync != ReceiptSync::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg() {
        assert_eq!(receipt_arg("c1", "m9"), r#"{"conversationId":"c1","messageId":"m9"}"#);
        let bytes = [b'x'; MAX_ID_LEN];
        let long = core::str::from_utf8(&bytes).unwrap();
        assert_eq!(receipt_arg(long, long).len(), 2 * MAX_ID_LEN + 36);
    }
}
