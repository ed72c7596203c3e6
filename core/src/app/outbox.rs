//! The outbox: messages the app sent, kept until the server acks them.
//!
//! Each message has a client message id (the idempotency key the server dedupes on), a
//! time to live, and is either waiting to be sent or in flight (an ack handle). Sending
//! happens only when the app layer is live (after the re-joins); a lost connection puts
//! in-flight messages back to waiting and they are resent, with the same id, in order.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use super::event::{AppEvent, SendOutcome};
use super::{push_event, string_value, AppConfig, AppError};
use crate::client::{AckHandle, AckOutcome, Client, ClientError};
use crate::queue::RecordQueue;
use crate::time::Instant;
use crate::wire::{json, Args};

/// The hard ceiling for `AppConfig::max_outbox_messages`.
pub const MAX_OUTBOX_MESSAGES: usize = 64;
/// The length of a client message id: `tdg-<16 hex digits of this instance>-<counter>`.
pub const ID_LEN: usize = 48;

const WAITING: u8 = 1;
const IN_FLIGHT: u8 = 2;

/// One message as stored (and as written into snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry<'a> {
    pub id: &'a str,
    pub conversation: &'a str,
    /// Raw JSON content.
    pub content: &'a str,
    pub expires_at: u64,
}

pub(crate) struct Outbox<const N: usize> {
    queue: RecordQueue<N>,
    instance: u64,
    next: u64,
    /// Acks of expired in-flight messages: cancelled, their `Cancelled` event swallowed.
    ignored: Vec<AckHandle, 16>,
}

impl<const N: usize> Outbox<N> {
    pub(crate) fn new(instance: u64) -> Self {
        Outbox { queue: RecordQueue::new(), instance, next: 0, ignored: Vec::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn counter(&self) -> u64 {
        self.next
    }

    pub(crate) fn set_counter(&mut self, next: u64) {
        self.next = next;
    }

    fn new_id(&mut self) -> String<ID_LEN> {
        let mut id = String::new();
        let _ = id.push_str("tdg-");
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for i in (0..16).rev() {
            let _ = id.push(char::from(HEX[((self.instance >> (i * 4)) & 15) as usize]));
        }
        let _ = id.push('-');
        let _ = id.push_str(itoa::Buffer::new().format(self.next));
        self.next += 1;
        id
    }

    /// Queues a new message; returns its client message id.
    pub(crate) fn push(
        &mut self,
        conversation: &str,
        content: &str,
        expires_at: Instant,
        max: usize,
    ) -> Result<String<ID_LEN>, AppError> {
        if self.queue.len() >= max.min(MAX_OUTBOX_MESSAGES) {
            return Err(AppError::OutboxFull);
        }
        let id = self.new_id();
        let entry = Entry { id: &id, conversation, content, expires_at: expires_at.as_millis() };
        self.insert(&entry).map_err(|_| {
            self.next -= 1;
            AppError::OutboxFull
        })?;
        Ok(id)
    }

    /// Stores an entry as waiting (new messages and restored snapshots).
    pub(crate) fn insert(&mut self, entry: &Entry<'_>) -> Result<(), AppError> {
        if self.queue.len() >= MAX_OUTBOX_MESSAGES {
            return Err(AppError::OutboxFull);
        }
        self.queue
            .push_with(WAITING, 0, 0, |buf| postcard::to_slice(entry, buf).ok().map(|s| s.len()))
            .map(|_| ())
            .map_err(|_| AppError::OutboxFull)
    }

    /// Visits every entry in order.
    pub(crate) fn for_each(&mut self, mut f: impl FnMut(&Entry<'_>)) {
        self.queue.update_headers(|r| {
            if let Ok(e) = postcard::from_bytes::<Entry<'_>>(r.body) {
                f(&e);
            }
            None
        });
    }

    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        let mut min: Option<u64> = None;
        self.queue.for_each(|r| {
            if let Ok(e) = postcard::from_bytes::<Entry<'_>>(r.body) {
                min = Some(min.map_or(e.expires_at, |m| m.min(e.expires_at)));
            }
        });
        min.map(Instant::from_millis)
    }

    /// Handles an ack if it belongs to an in-flight message; returns whether it did.
    pub(crate) fn on_ack<const IN: usize>(
        &mut self,
        ack: AckHandle,
        outcome: AckOutcome<'_>,
        events: &mut RecordQueue<IN>,
    ) -> bool {
        let Some(at) = self.position(|tag, aux| tag == IN_FLIGHT && aux == ack.0 + 1) else { return false };
        match outcome {
            AckOutcome::Ok { args_raw, .. } => {
                let first = Args::of_list(args_raw).next().map_or("null", |a| a.raw);
                let id = self.id_at(at);
                let outcome = if json::object_field(first, "ok") == Some("true") {
                    SendOutcome::Delivered { message: json::object_field(first, "message").unwrap_or("null") }
                } else {
                    let reason = json::object_field(first, "error")
                        .and_then(|e| string_value(json::object_field(e, "code")))
                        .unwrap_or("refused");
                    SendOutcome::Failed { reason }
                };
                self.remove_at(at);
                push_event(events, &AppEvent::Send { client_message_id: &id, outcome });
            }
            // Not answered: waiting again, resent (same id) when live.
            _ => self.set_tag(at, WAITING, 0),
        }
        true
    }

    /// True (once) for the ack of a message that expired in flight.
    pub(crate) fn is_ignored(&mut self, ack: AckHandle) -> bool {
        match self.ignored.iter().position(|h| *h == ack) {
            Some(i) => {
                self.ignored.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Ends every message whose time to live ran out: `Expired`.
    pub(crate) fn expire<const OUT: usize, const IN: usize>(
        &mut self,
        now: Instant,
        client: &mut Client<OUT, IN>,
        events: &mut RecordQueue<IN>,
    ) {
        loop {
            let mut found = None;
            let mut i = 0;
            self.queue.for_each(|r| {
                if found.is_none() {
                    if let Ok(e) = postcard::from_bytes::<Entry<'_>>(r.body) {
                        if e.expires_at <= now.as_millis() {
                            found = Some((i, r.tag, r.aux));
                        }
                    }
                }
                i += 1;
            });
            let Some((at, tag, aux)) = found else { return };
            if tag == IN_FLIGHT {
                let handle = AckHandle(aux - 1);
                if client.cancel_ack(now, handle) {
                    if self.ignored.is_full() {
                        self.ignored.remove(0);
                    }
                    let _ = self.ignored.push(handle);
                }
            }
            let id = self.id_at(at);
            self.remove_at(at);
            push_event(events, &AppEvent::Send { client_message_id: &id, outcome: SendOutcome::Expired });
        }
    }

    fn position(&self, pred: impl Fn(u8, u64) -> bool) -> Option<usize> {
        let (mut i, mut found) = (0, None);
        self.queue.for_each(|r| {
            if found.is_none() && pred(r.tag, r.aux) {
                found = Some(i);
            }
            i += 1;
        });
        found
    }

    fn id_at(&self, at: usize) -> String<ID_LEN> {
        let (mut i, mut id) = (0, String::new());
        self.queue.for_each(|r| {
            if i == at {
                if let Ok(e) = postcard::from_bytes::<Entry<'_>>(r.body) {
                    let _ = id.push_str(e.id);
                }
            }
            i += 1;
        });
        id
    }

    fn set_tag(&mut self, at: usize, tag: u8, aux: u64) {
        let mut j = 0;
        self.queue.update_headers(|_| {
            j += 1;
            (j - 1 == at).then_some((tag, aux))
        });
    }

    /// Sends every waiting message, in order, while the client takes them.
    pub(crate) fn flush<const OUT: usize, const IN: usize>(
        &mut self,
        now: Instant,
        client: &mut Client<OUT, IN>,
        cfg: &AppConfig,
        scratch: &mut [u8],
        events: &mut RecordQueue<IN>,
    ) {
        let mut index = 0;
        loop {
            // Find the next waiting record at or after `index`, copying its body out so
            // that the queue can be updated while the client is called. The rest of the
            // scratch buffer takes the payload.
            let mut found = None;
            let mut i = 0;
            let room = scratch.len();
            self.queue.update_headers(|r| {
                if found.is_none() && i >= index && r.tag == WAITING {
                    let fits = r.body.len() <= room;
                    if fits {
                        scratch[..r.body.len()].copy_from_slice(r.body);
                    }
                    found = Some((i, r.body.len(), fits));
                }
                i += 1;
                None
            });
            let Some((at, len, fits)) = found else { return };
            index = at + 1;
            let (copy, payload) = scratch.split_at_mut(len.min(room));
            let entry = if fits { postcard::from_bytes::<Entry<'_>>(copy).ok() } else { None };
            let text = entry.as_ref().and_then(|e| write_payload(payload, e));
            let (Some(entry), Some(text)) = (entry, text) else {
                // Larger than this build can stage for sending: it can never go out, so it
                // fails now, in its place, rather than waiting to expire.
                let id = self.id_at(at);
                self.remove_at(at);
                index = at;
                let outcome = SendOutcome::Failed { reason: "payload_too_large" };
                push_event(events, &AppEvent::Send { client_message_id: &id, outcome });
                continue;
            };
            match client.emit_with_ack(now, "/", cfg.contract.send_message, &[text], None) {
                Ok(handle) => self.set_tag(at, IN_FLIGHT, handle.0 + 1),
                // The connection's buffers are full: try again on the next input.
                Err(ClientError::SendBufferFull | ClientError::AckTableFull) => return,
                // This message can never be sent (too large for the server): it fails.
                Err(e) => {
                    let mut id: String<ID_LEN> = String::new();
                    let _ = id.push_str(entry.id);
                    let reason = match e {
                        ClientError::PayloadTooLarge { .. } => "payload_too_large",
                        _ => "invalid",
                    };
                    self.remove_at(at);
                    index = at;
                    push_event(
                        events,
                        &AppEvent::Send { client_message_id: &id, outcome: SendOutcome::Failed { reason } },
                    );
                }
            }
        }
    }

    fn remove_at(&mut self, at: usize) {
        let mut i = 0;
        self.queue.retain(
            |_| {
                i += 1;
                i - 1 != at
            },
            |_| {},
        );
    }
}

/// `{"conversationId":"…","content":…,"clientMessageId":"…"}` into `out`.
fn write_payload<'b>(out: &'b mut [u8], e: &Entry<'_>) -> Option<&'b str> {
    let parts = [
        "{\"conversationId\":\"",
        e.conversation,
        "\",\"content\":",
        e.content,
        ",\"clientMessageId\":\"",
        e.id,
        "\"}",
    ];
    super::write_parts(out, &parts)
}
