//! The realtime app layer: conversations, messages with a durable outbox, typing,
//! notifications and the unread count, presence, read receipts, reactions, call
//! signalling, chunked uploads and rate limits, on top of the [`Client`].
//!
//! [`Realtime`] takes the same inputs as the client (the host's run loop does not change)
//! and turns the connection's events into the app's: typed messages, delivery outcomes,
//! typers, the badge count. After every (re)connect it keeps a fixed order: CONNECT →
//! re-join every conversation and wait for the acks → `Synced` → flush the outbox → send
//! the read positions the server lacks, `end` to the peers of calls the lost connection
//! ended, and resume the uploads (`uploadStatus`).
//!
//! One module per feature: [`presence`](PresenceState), read receipts, reactions,
//! [`calls`](CallState) (a transition table), uploads and [`rate limits`](RateLimits). Every
//! table has a fixed capacity (`MAX_*`) and a typed error when it is full; every deadline
//! (ring timeouts, rate limit blocks) is in [`Realtime::poll_timeout`].

mod calls;
mod contract;
mod event;
mod outbox;
mod presence;
mod rate_limit;
mod reactions;
mod receipts;
mod recent;
mod snapshot;
mod typing;
mod unread;
mod uploads;

pub use calls::{CallConfig, CallError, CallInput, CallSignal, CallState, EndReason, SignalKind, MAX_CALLS};
pub use contract::Contract;
pub use event::{AppEvent, MessageView, ReplyOutcome, SendOutcome};
pub use outbox::MAX_OUTBOX_MESSAGES;
pub use presence::{PresenceState, MAX_PRESENCE};
pub use rate_limit::{BucketConfig, RateClass, RateLimits, TokenBucket};
pub use reactions::MAX_EMOJI_LEN;
pub use snapshot::{SnapshotError, SNAPSHOT_VERSION};
pub use typing::{TypingConfig, MAX_ID_LEN};
pub use unread::badge_text;
pub use uploads::{UploadConfig, UploadError, MAX_UPLOADS};

use heapless::{String, Vec};

use crate::client::{AckHandle, AckOutcome, Client, ClientError, ClientEvent, Config, IncomingEvent, Transmit};
use crate::client::{TransportCause, TransportCommand, TransportId};
use crate::queue::RecordQueue;
use crate::rng::SplitMix64;
use crate::time::Instant;
use crate::wire::{json, Frame};
use calls::Calls;
use outbox::Outbox;
use presence::Presence;
use rate_limit::RateLimiter;
use receipts::ReadPosition;
use recent::RecentIds;
use typing::{LocalAction, Typing};
use unread::Unread;
use uploads::Uploads;

/// The most conversations joined at once.
pub const MAX_CONVERSATIONS: usize = 32;

/// App layer configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppConfig {
    /// The connection's configuration.
    pub client: Config,
    /// Event names.
    pub contract: Contract,
    /// Typing timings.
    pub typing: TypingConfig,
    /// How long a message may wait in the outbox for its ack. Default 10 minutes: a phone
    /// in a tunnel still gets its messages out; a message older than that is better shown
    /// as not sent than delivered out of context.
    pub outbox_ttl_ms: u64,
    /// The most messages waiting at once (≤ [`MAX_OUTBOX_MESSAGES`]). Default 64.
    pub max_outbox_messages: usize,
    /// Call timings (the ring timeout).
    pub calls: CallConfig,
    /// Upload chunk sizes and ack timeout.
    pub uploads: UploadConfig,
    /// The client-side limit of each class of commands.
    pub rate_limits: RateLimits,
}

impl AppConfig {
    /// The product defaults.
    pub const DEFAULT: Self = Self {
        client: Config::DEFAULT,
        contract: Contract::DEFAULT,
        typing: TypingConfig::DEFAULT,
        outbox_ttl_ms: 600_000,
        max_outbox_messages: MAX_OUTBOX_MESSAGES,
        calls: CallConfig::DEFAULT,
        uploads: UploadConfig::DEFAULT,
        rate_limits: RateLimits::DEFAULT,
    };
}

impl Default for AppConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why an app command was refused. Nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppError {
    /// The joined set is full ([`MAX_CONVERSATIONS`]).
    TooManyConversations,
    /// A conversation id longer than [`MAX_ID_LEN`] or empty.
    InvalidId,
    /// The message content is not one JSON value.
    InvalidContent,
    /// The outbox is full (by count or bytes): the message was not accepted.
    OutboxFull,
    /// Over the class's rate limit (the client's bucket, or a block the server asked
    /// for): try again after `retry_after_ms`.
    RateLimited {
        /// How long until the command would pass, in ms.
        retry_after_ms: u64,
    },
    /// An emoji that is empty, longer than [`MAX_EMOJI_LEN`] or not JSON-safe.
    InvalidEmoji,
    /// The conversation is not in the joined set.
    NotJoined,
    /// A call command was refused.
    Call(CallError),
    /// An upload command was refused.
    Upload(UploadError),
    /// The connection refused the command.
    Client(ClientError),
}

impl From<ClientError> for AppError {
    fn from(e: ClientError) -> Self {
        AppError::Client(e)
    }
}

impl core::fmt::Display for AppError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

impl core::error::Error for AppError {}

/// Where the app layer is in its (re)connect sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPhase {
    /// Not connected.
    Offline,
    /// Connected; re-joining conversations (the outbox waits).
    Rejoining,
    /// Connected, re-joined, outbox flowing.
    Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConvState {
    /// In the set; joined on the next connect.
    Waiting,
    Joining(AckHandle),
    Joined,
    /// The join got no answer on this connection: sent again on the next input.
    Retry,
}

#[derive(Debug, Clone)]
struct Conversation {
    id: String<MAX_ID_LEN>,
    state: ConvState,
    /// The own read position (durable).
    read: Option<ReadPosition>,
}

impl Conversation {
    fn new(id: String<MAX_ID_LEN>) -> Self {
        Conversation { id, state: ConvState::Waiting, read: None }
    }
}

/// What an ack this layer asked for belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Join,
    Other,
    Reaction,
    /// `reply`: the app holds the handle (else an automatic resend).
    Receipt {
        reply: bool,
    },
    /// A call signal: the call (by its key, unique per call), and which signal.
    Call {
        key: u64,
        kind: SignalKind,
    },
    Upload,
}

impl Purpose {
    /// The rate limit class a refusal of this command blocks.
    fn class(self) -> Option<RateClass> {
        match self {
            Purpose::Reaction => Some(RateClass::Reactions),
            Purpose::Receipt { .. } => Some(RateClass::Receipts),
            Purpose::Call { .. } => Some(RateClass::Calls),
            Purpose::Upload => Some(RateClass::Uploads),
            Purpose::Join | Purpose::Other => None,
        }
    }
}

/// A server's answer to an acked command, as the features read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer<'a> {
    /// `{"ok":true,…}`: the first argument, raw.
    Ok(&'a str),
    /// Refused: the error code (`refused` when there is none).
    Refused(&'a str),
    /// Refused for the rate limit, with the server's `retryAfterMs` if given.
    RateLimited(Option<u64>),
    /// No answer: timeout, lost connection, cancelled.
    None,
}

impl<'a> Answer<'a> {
    fn of(outcome: &AckOutcome<'a>) -> Self {
        let AckOutcome::Ok { args_raw, .. } = *outcome else { return Answer::None };
        let first = crate::wire::Args::of_list(args_raw).next().map_or("null", |a| a.raw);
        if json::object_field(first, "ok") == Some("true") {
            return Answer::Ok(first);
        }
        if let Some(ms) = rate_limit::refusal_retry_after(first) {
            return Answer::RateLimited(ms);
        }
        let code = json::object_field(first, "error").and_then(|e| string_value(json::object_field(e, "code")));
        Answer::Refused(code.unwrap_or("refused"))
    }
}

/// Everything but the connection and the scratch buffer (so that an event decoded into the
/// scratch buffer can be handled while the client is borrowed mutably).
struct State<const OUT: usize, const IN: usize> {
    cfg: AppConfig,
    phase: SyncPhase,
    recovered: bool,
    conversations: Vec<Conversation, MAX_CONVERSATIONS>,
    outbox: Outbox<OUT>,
    /// Acks this layer asked for (joins, leaves, mark-read), by handle.
    own_acks: Vec<(AckHandle, Purpose), 64>,
    recent_messages: RecentIds<128>,
    recent_notifications: RecentIds<64>,
    unread: Unread,
    typing: Typing,
    presence: Presence,
    calls: Calls,
    uploads: Uploads,
    rate: RateLimiter,
    events: RecordQueue<IN>,
}

/// The app layer over a [`Client`]. `OUT`/`IN` as for the client; the outbox has `OUT`
/// bytes of its own and decoding uses an `IN`-byte scratch buffer.
pub struct Realtime<const OUT: usize = 32768, const IN: usize = 32768> {
    client: Client<OUT, IN>,
    state: State<OUT, IN>,
    scratch: [u8; IN],
}

impl<const OUT: usize, const IN: usize> core::fmt::Debug for Realtime<OUT, IN> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Realtime")
            .field("client", &self.client)
            .field("phase", &self.state.phase)
            .field("conversations", &self.state.conversations.len())
            .field("outbox", &self.state.outbox.len())
            .field("unread", &self.state.unread.count)
            .field("calls", &self.state.calls.len())
            .field("uploads", &self.state.uploads.len())
            .finish()
    }
}

fn push_event<const N: usize>(events: &mut RecordQueue<N>, ev: &AppEvent<'_>) {
    // The host drains events after every input; a full queue means it does not, and the
    // event is dropped rather than the input refused (counted by the queue's bound).
    let _ = events.push_with(0, 0, 0, |buf| postcard::to_slice(ev, buf).ok().map(|s| s.len()));
}

/// The text of a JSON string value (`"abc"` → `abc`, still escaped), or None.
fn string_value(raw: Option<&str>) -> Option<&str> {
    let r = raw?.trim();
    (r.len() >= 2 && r.starts_with('"') && r.ends_with('"')).then(|| &r[1..r.len() - 1])
}

/// An id the app layer writes into JSON as is and keeps in its tables: 1..=[`MAX_ID_LEN`]
/// bytes, no quote, backslash or control character.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && !id.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

/// Concatenates `parts` into `out`; `None` if it does not fit.
pub(crate) fn write_parts<'b>(out: &'b mut [u8], parts: &[&str]) -> Option<&'b str> {
    let mut len = 0;
    for p in parts {
        out.get_mut(len..len + p.len())?.copy_from_slice(p.as_bytes());
        len += p.len();
    }
    core::str::from_utf8(&out[..len]).ok()
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// A new app layer (nothing joined, empty outbox). `seed` as for [`Client::new`]; it
    /// also makes this instance's client message ids unique.
    pub fn new(cfg: AppConfig, seed: u64) -> Self {
        let instance = SplitMix64::new(seed ^ 0x7469_6469_6e67_7321).next_u64();
        Realtime {
            client: Client::new(cfg.client, seed),
            state: State {
                cfg,
                phase: SyncPhase::Offline,
                recovered: false,
                conversations: Vec::new(),
                outbox: Outbox::new(instance),
                own_acks: Vec::new(),
                recent_messages: RecentIds::new(),
                recent_notifications: RecentIds::new(),
                unread: Unread::new(0),
                typing: Typing::default(),
                presence: Presence::default(),
                calls: Calls::default(),
                uploads: Uploads::default(),
                rate: RateLimiter::default(),
                events: RecordQueue::new(),
            },
            scratch: [0; IN],
        }
    }

    /// The connection underneath (for namespaces and raw emits).
    pub fn client(&mut self) -> &mut Client<OUT, IN> {
        &mut self.client
    }

    /// Where the (re)connect sequence stands.
    pub fn phase(&self) -> SyncPhase {
        self.state.phase
    }

    /// The unread count (never negative).
    pub fn unread_count(&self) -> u32 {
        self.state.unread.count
    }

    /// Messages waiting in the outbox.
    pub fn outbox_len(&self) -> usize {
        self.state.outbox.len()
    }

    /// The joined (or to-be-joined) conversations, in join order.
    pub fn conversations(&self) -> impl Iterator<Item = &str> {
        self.state.conversations.iter().map(|c| c.id.as_str())
    }

    /// Whether a conversation's room is joined right now.
    pub fn is_joined(&self, conversation_id: &str) -> bool {
        self.state.conversations.iter().any(|c| c.id == conversation_id && c.state == ConvState::Joined)
    }

    // ------------------------------------------------------------------ outputs

    /// The next transport command (as [`Client::poll_transport`]).
    pub fn poll_transport(&mut self) -> Option<TransportCommand> {
        self.client.poll_transport()
    }

    /// The next frame to send (as [`Client::poll_transmit`]).
    pub fn poll_transmit(&mut self) -> Option<Transmit<'_>> {
        self.client.poll_transmit()
    }

    /// The next app event.
    pub fn poll_event(&mut self) -> Option<AppEvent<'_>> {
        let r = self.state.events.pop()?;
        postcard::from_bytes(r.body).ok()
    }

    /// The next deadline: the connection's, the outbox's, typing's, the ring timeouts and
    /// the end of the rate limit blocks.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let s = &self.state;
        [
            self.client.poll_timeout(),
            s.outbox.next_expiry(),
            s.typing.next_deadline(&s.cfg.typing),
            s.calls.next_deadline(),
            s.rate.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// How long until a command of `class` would pass (`None`: now), without taking
    /// anything: for a "slow down" hint before the user tries.
    pub fn rate_limited_for(&mut self, now: Instant, class: RateClass) -> Option<u64> {
        let s = &mut self.state;
        s.rate.check(&s.cfg.rate_limits, class, now).err()
    }

    // ------------------------------------------------------------------ inputs (as the client's)

    /// See [`Client::handle_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        self.client.handle_timeout(now);
        self.process(now);
    }

    /// See [`Client::handle_transport_opened`].
    pub fn handle_transport_opened(&mut self, now: Instant, id: TransportId) {
        self.client.handle_transport_opened(now, id);
        self.process(now);
    }

    /// See [`Client::handle_transport_closed`].
    pub fn handle_transport_closed(&mut self, now: Instant, id: TransportId, cause: TransportCause) {
        self.client.handle_transport_closed(now, id, cause);
        self.process(now);
    }

    /// See [`Client::handle_frame`].
    pub fn handle_frame(&mut self, now: Instant, id: TransportId, frame: Frame<'_>) -> Result<(), ClientError> {
        let r = self.client.handle_frame(now, id, frame);
        self.process(now);
        r
    }

    /// See [`Client::set_network`].
    pub fn set_network(&mut self, now: Instant, online: bool) {
        self.client.set_network(now, online);
        self.process(now);
    }

    /// See [`Client::set_foreground`].
    pub fn set_foreground(&mut self, now: Instant, foreground: bool) {
        self.client.set_foreground(now, foreground);
        self.process(now);
    }

    /// See [`Client::connect`].
    pub fn connect(&mut self, now: Instant) {
        self.client.connect(now);
        self.process(now);
    }

    /// See [`Client::disconnect`]. The joined set and the outbox are kept (they are the
    /// durable state); `connect()` resumes them.
    pub fn disconnect(&mut self, now: Instant) {
        self.client.disconnect(now);
        self.process(now);
    }

    /// See [`Client::provide_auth`].
    pub fn provide_auth(&mut self, now: Instant, namespace: &str, auth: Option<&str>) -> Result<(), ClientError> {
        let r = self.client.provide_auth(now, namespace, auth);
        self.process(now);
        r
    }

    // ------------------------------------------------------------------ app commands

    /// Joins a conversation (now if connected, else on the next connect) and keeps it
    /// joined across reconnects until `leave`.
    pub fn join(&mut self, now: Instant, conversation_id: &str) -> Result<(), AppError> {
        if self.state.conversations.iter().any(|c| c.id == conversation_id) {
            return Ok(());
        }
        if !valid_id(conversation_id) {
            return Err(AppError::InvalidId);
        }
        let id = String::try_from(conversation_id).map_err(|_| AppError::InvalidId)?;
        self.state.conversations.push(Conversation::new(id)).map_err(|_| AppError::TooManyConversations)?;
        if self.state.phase != SyncPhase::Offline {
            let i = self.state.conversations.len() - 1;
            self.state.send_join(now, &mut self.client, i);
        }
        self.process(now);
        Ok(())
    }

    /// Leaves a conversation: removed from the joined set, `stopTyping` if typing there,
    /// `leaveConversation` sent if connected.
    pub fn leave(&mut self, now: Instant, conversation_id: &str) -> Result<(), AppError> {
        let s = &mut self.state;
        if let Some(i) = s.conversations.iter().position(|c| c.id == conversation_id) {
            s.conversations.remove(i);
        }
        let c = s.cfg.contract;
        if s.typing.stop_local(conversation_id) {
            s.emit_simple(now, &mut self.client, c.stop_typing, conversation_id);
        }
        if s.phase != SyncPhase::Offline {
            let arg = conversation_arg(conversation_id);
            if let Ok(h) = self.client.emit_with_ack(now, "/", c.leave, &[&arg], None) {
                let _ = s.own_acks.push((h, Purpose::Other));
            }
        }
        self.process(now);
        Ok(())
    }

    /// Sends a message: it gets a client message id (the idempotency key, returned),
    /// waits in the outbox while offline or until the conversations are re-joined, is sent
    /// in order and resent after a reconnect with the same id until acked. It ends exactly
    /// once with `AppEvent::Send`: Delivered, Failed or Expired. `content` is one JSON
    /// value (a JSON string for text). Refused over the `Messages` rate limit; a message
    /// the server refuses for its rate limit waits in the outbox and is sent again when
    /// the block ends.
    pub fn send_message(
        &mut self,
        now: Instant,
        conversation_id: &str,
        content: &str,
    ) -> Result<String<{ outbox::ID_LEN }>, AppError> {
        if !valid_id(conversation_id) {
            return Err(AppError::InvalidId);
        }
        crate::wire::check_arg(content, &self.state.cfg.client.limits).map_err(|_| AppError::InvalidContent)?;
        let s = &mut self.state;
        s.check_rate(RateClass::Messages, now)?;
        let max = s.cfg.max_outbox_messages;
        let id = s.outbox.push(conversation_id, content, now.after(s.cfg.outbox_ttl_ms), max)?;
        s.rate.consume(&s.cfg.rate_limits, RateClass::Messages, now);
        let c = s.cfg.contract;
        if s.typing.stop_local(conversation_id) {
            s.emit_simple(now, &mut self.client, c.stop_typing, conversation_id);
        }
        self.process(now);
        Ok(id)
    }

    /// A keystroke in a conversation's composer: `typing` goes out at most once per
    /// debounce, is refreshed while typing continues, and `stopTyping` follows after the
    /// idle time (or on send or leave).
    pub fn typing(&mut self, now: Instant, conversation_id: &str) {
        let s = &mut self.state;
        if s.typing.keystroke(&s.cfg.typing, now, conversation_id) == LocalAction::SendTyping {
            let c = s.cfg.contract;
            s.emit_simple(now, &mut self.client, c.typing, conversation_id);
        }
        self.process(now);
    }

    /// Marks a notification read: optimistic decrement (if the client saw it unread),
    /// reconciled by the server's next count.
    pub fn mark_read(&mut self, now: Instant, notification_id: &str) -> Result<(), AppError> {
        let s = &mut self.state;
        let mut arg: String<128> = String::new();
        let ok = arg.push_str("{\"notificationId\":\"").is_ok()
            && !notification_id.contains(['"', '\\'])
            && arg.push_str(notification_id).is_ok()
            && arg.push_str("\"}").is_ok();
        if !ok {
            return Err(AppError::InvalidId);
        }
        let h = self.client.emit_with_ack(now, "/", s.cfg.contract.mark_read, &[&arg], None)?;
        let _ = s.own_acks.push((h, Purpose::Other));
        let before = s.unread.count;
        s.unread.mark_read(notification_id);
        if s.unread.count != before {
            push_event(&mut s.events, &AppEvent::UnreadCount { count: s.unread.count });
        }
        self.process(now);
        Ok(())
    }

    /// Marks every notification read: the count drops to 0 at once.
    pub fn mark_all_read(&mut self, now: Instant) -> Result<(), AppError> {
        let s = &mut self.state;
        let h = self.client.emit_with_ack(now, "/", s.cfg.contract.mark_all_read, &[], None)?;
        let _ = s.own_acks.push((h, Purpose::Other));
        s.unread.mark_all_read();
        push_event(&mut s.events, &AppEvent::UnreadCount { count: 0 });
        self.process(now);
        Ok(())
    }

    // ------------------------------------------------------------------ the machinery

    /// Turns the client's events into app events, fires the app's deadlines, and when
    /// live sends what waits for it: the outbox, then the read positions the server lacks,
    /// the `end`s owed after a lost connection, and the paused uploads (each class only
    /// outside a server rate limit block).
    fn process(&mut self, now: Instant) {
        while let Some(n) = self.client.poll_event_raw(&mut self.scratch) {
            let Ok(ev) = postcard::from_bytes::<ClientEvent<'_>>(&self.scratch[..n]) else { continue };
            self.state.on_client_event(now, &mut self.client, ev);
        }
        self.state.fire_timers(now, &mut self.client);
        self.state.retry_joins(now, &mut self.client);
        // A conversation left or removed while its join was unanswered may have been the
        // last one the re-join waited for.
        self.state.finish_sync_if_done();
        if self.state.phase == SyncPhase::Live {
            let s = &mut self.state;
            if !s.rate.is_blocked(RateClass::Messages, now) {
                s.outbox.flush(now, &mut self.client, &s.cfg, &mut self.scratch, &mut s.events);
            }
            if !s.rate.is_blocked(RateClass::Receipts, now) {
                s.pump_receipts(now, &mut self.client);
            }
            s.send_hangups(now, &mut self.client);
            if !s.rate.is_blocked(RateClass::Uploads, now) {
                s.pump_uploads(now, &mut self.client);
            }
        }
    }
}

fn conversation_arg(conversation_id: &str) -> String<{ MAX_ID_LEN + 24 }> {
    let mut s = String::new();
    let _ = s.push_str("{\"conversationId\":\"");
    let _ = s.push_str(conversation_id);
    let _ = s.push_str("\"}");
    s
}

impl<const OUT: usize, const IN: usize> State<OUT, IN> {
    /// Refuses a command of `class` over the limit (nothing taken yet).
    fn check_rate(&mut self, class: RateClass, now: Instant) -> Result<(), AppError> {
        self.rate
            .check(&self.cfg.rate_limits, class, now)
            .map_err(|retry_after_ms| AppError::RateLimited { retry_after_ms })
    }

    /// The server refused `class` for its rate limit: block it, and say so once.
    fn server_limit(&mut self, now: Instant, class: RateClass, retry_after_ms: Option<u64>) -> u64 {
        let cfg = &self.cfg.rate_limits;
        // At least 1 ms: a block always ends after the refusal, never at the same instant.
        let ms = retry_after_ms.unwrap_or(cfg.default_server_block_ms).clamp(1, cfg.max_server_block_ms.max(1));
        if let Some(ms) = self.rate.block(cfg, class, now, ms) {
            push_event(&mut self.events, &AppEvent::RateLimited { class, retry_after_ms: ms });
        }
        ms
    }

    /// The rate limit class of a client → server event name.
    fn class_of(&self, event: crate::wire::JsonStr<'_>) -> Option<RateClass> {
        let c = &self.cfg.contract;
        if event.eq_str(c.send_message) {
            Some(RateClass::Messages)
        } else if event.eq_str(c.add_reaction) || event.eq_str(c.remove_reaction) {
            Some(RateClass::Reactions)
        } else if event.eq_str(c.mark_conversation_read) {
            Some(RateClass::Receipts)
        } else if event.eq_str(c.call_signal) {
            Some(RateClass::Calls)
        } else if event.eq_str(c.upload_chunk) || event.eq_str(c.upload_status) {
            Some(RateClass::Uploads)
        } else {
            None
        }
    }

    fn emit_simple(&mut self, now: Instant, client: &mut Client<OUT, IN>, event: &str, conversation_id: &str) {
        let arg = conversation_arg(conversation_id);
        // Typing is ephemeral: volatile, never buffered.
        let _ = client.emit_volatile(now, "/", event, &[&arg]);
    }

    /// Sends again the joins that got no answer on this connection.
    fn retry_joins(&mut self, now: Instant, client: &mut Client<OUT, IN>) {
        if self.phase == SyncPhase::Offline {
            return;
        }
        for i in 0..self.conversations.len() {
            if self.conversations[i].state == ConvState::Retry {
                self.send_join(now, client, i);
            }
        }
    }

    fn send_join(&mut self, now: Instant, client: &mut Client<OUT, IN>, i: usize) {
        let arg = conversation_arg(&self.conversations[i].id);
        match client.emit_with_ack(now, "/", self.cfg.contract.join, &[&arg], None) {
            Ok(h) => {
                self.conversations[i].state = ConvState::Joining(h);
                let _ = self.own_acks.push((h, Purpose::Join));
            }
            Err(_) => self.conversations[i].state = ConvState::Waiting,
        }
    }

    fn finish_sync_if_done(&mut self) {
        if self.phase == SyncPhase::Rejoining
            && !self.conversations.iter().any(|c| matches!(c.state, ConvState::Joining(_) | ConvState::Retry))
        {
            self.phase = SyncPhase::Live;
            push_event(&mut self.events, &AppEvent::Synced { recovered: self.recovered });
        }
    }

    fn on_client_event(&mut self, now: Instant, client: &mut Client<OUT, IN>, ev: ClientEvent<'_>) {
        match ev {
            ClientEvent::Connected { namespace: "/", recovered } => {
                push_event(&mut self.events, &AppEvent::Client(ev));
                self.phase = SyncPhase::Rejoining;
                self.recovered = recovered;
                for i in 0..self.conversations.len() {
                    self.send_join(now, client, i);
                }
                self.finish_sync_if_done();
            }
            ClientEvent::Disconnected { namespace: None | Some("/"), .. } => {
                push_event(&mut self.events, &AppEvent::Client(ev));
                if self.phase != SyncPhase::Offline {
                    self.phase = SyncPhase::Offline;
                    for c in self.conversations.iter_mut() {
                        c.state = ConvState::Waiting;
                    }
                    // Nobody is known to be typing any more: every conversation that
                    // showed typers is told (else the app would show them for good).
                    while let Some(conversation) = self.typing.take_remote_conversation() {
                        self.push_typers(&conversation);
                    }
                    // Presence is unknown until the server says again after the connect.
                    self.presence.clear();
                    self.calls_connection_lost();
                    self.uploads_connection_lost();
                }
            }
            ClientEvent::Event(e) if e.namespace == "/" => self.on_server_event(now, client, e),
            ClientEvent::Ack { ack, outcome } => self.on_ack(now, ack, outcome),
            other => push_event(&mut self.events, &AppEvent::Client(other)),
        }
    }

    fn on_ack(&mut self, now: Instant, ack: AckHandle, outcome: AckOutcome<'_>) {
        if let Some(i) = self.own_acks.iter().position(|(h, _)| *h == ack) {
            let (_, purpose) = self.own_acks.remove(i);
            let answer = Answer::of(&outcome);
            let mut blocked = 0;
            if let (Answer::RateLimited(ms), Some(class)) = (answer, purpose.class()) {
                blocked = self.server_limit(now, class, ms);
            }
            match purpose {
                Purpose::Join => self.on_join_ack(ack, outcome),
                Purpose::Other => {}
                Purpose::Reaction => self.push_reply(ack, answer, blocked),
                Purpose::Receipt { reply } => {
                    self.on_receipt_ack(ack, answer);
                    if reply {
                        self.push_reply(ack, answer, blocked);
                    }
                }
                Purpose::Call { key, kind } => self.on_call_ack(key, kind, answer),
                Purpose::Upload => self.on_upload_ack(ack, answer),
            }
            return;
        }
        // A message the server refused for its rate limit is not failed: it waits (as an
        // unanswered one does) and goes again when the block ends.
        let limited = match Answer::of(&outcome) {
            Answer::RateLimited(ms) => Some(ms),
            _ => None,
        };
        let for_outbox = if limited.is_some() { AckOutcome::Timeout } else { outcome };
        if self.outbox.on_ack(ack, for_outbox, &mut self.events) {
            if let Some(ms) = limited {
                self.server_limit(now, RateClass::Messages, ms);
            }
            return;
        }
        if self.outbox.is_ignored(ack) {
            return;
        }
        push_event(&mut self.events, &AppEvent::Client(ClientEvent::Ack { ack, outcome }));
    }

    fn on_join_ack(&mut self, ack: AckHandle, outcome: AckOutcome<'_>) {
        let Some(i) = self.conversations.iter().position(|c| c.state == ConvState::Joining(ack)) else { return };
        match outcome {
            AckOutcome::Ok { args_raw, .. } => {
                let first = crate::wire::Args::of_list(args_raw).next().map(|a| a.raw).unwrap_or("null");
                if json::object_field(first, "ok") == Some("true") {
                    self.conversations[i].state = ConvState::Joined;
                    let id = self.conversations[i].id.clone();
                    push_event(&mut self.events, &AppEvent::Joined { conversation_id: &id });
                } else {
                    let reason = json::object_field(first, "error")
                        .and_then(|e| string_value(json::object_field(e, "code")))
                        .unwrap_or("refused");
                    let c = self.conversations.remove(i);
                    push_event(&mut self.events, &AppEvent::Removed { conversation_id: &c.id, reason });
                }
            }
            // No answer: still wanted. While connected it is joined again (and `Synced`
            // waits for it); otherwise on the next connect.
            _ => {
                self.conversations[i].state =
                    if self.phase == SyncPhase::Offline { ConvState::Waiting } else { ConvState::Retry }
            }
        }
        self.finish_sync_if_done();
    }

    fn push_reply(&mut self, ack: AckHandle, answer: Answer<'_>, blocked_ms: u64) {
        let outcome = match answer {
            Answer::Ok(answer) => ReplyOutcome::Ok { answer },
            Answer::Refused(reason) => ReplyOutcome::Refused { reason },
            Answer::RateLimited(_) => ReplyOutcome::RateLimited { retry_after_ms: blocked_ms },
            Answer::None => ReplyOutcome::NoAnswer,
        };
        push_event(&mut self.events, &AppEvent::Reply { ack, outcome });
    }

    /// `rateLimited {event, retryAfterMs}`: blocks the event's class. Another event's
    /// limit is passed through.
    fn on_rate_limited(&mut self, now: Instant, e: IncomingEvent<'_>) {
        let first = e.args().next().map_or("null", |a| a.raw);
        let class = string_value(json::object_field(first, "event"))
            .and_then(|name| self.class_of(crate::wire::JsonStr::from_validated(name)));
        match class {
            Some(class) => {
                let ms = json::object_field(first, "retryAfterMs").and_then(rate_limit::parse_ms);
                self.server_limit(now, class, ms);
            }
            None => push_event(&mut self.events, &AppEvent::Client(ClientEvent::Event(e))),
        }
    }

    fn on_server_event(&mut self, now: Instant, client: &mut Client<OUT, IN>, e: IncomingEvent<'_>) {
        let c = self.cfg.contract;
        let name = e.name();
        let first = e.args().next().map(|a| a.raw).unwrap_or("null");
        let field = |k| string_value(json::object_field(first, k));
        if name.eq_str(c.new_message) {
            let (Some(id), Some(conversation_id)) = (field("id"), field("conversationId")) else {
                return push_event(&mut self.events, &AppEvent::Client(ClientEvent::Event(e)));
            };
            if !self.recent_messages.insert(id) {
                return; // a duplicate (recovery replay, resend)
            }
            let sender_id = field("senderId").unwrap_or("");
            if self.typing.remote_stopped(conversation_id, sender_id) {
                self.push_typers(conversation_id);
            }
            let view = MessageView {
                id,
                conversation_id,
                sender_id,
                content: json::object_field(first, "content").unwrap_or("null"),
                created_at: field("createdAt").unwrap_or(""),
                raw: first,
            };
            push_event(&mut self.events, &AppEvent::Message(view));
        } else if name.eq_str(c.notification) {
            let Some(id) = field("id") else { return };
            if !self.recent_notifications.insert(id) {
                return;
            }
            let read = json::object_field(first, "read") == Some("true");
            push_event(&mut self.events, &AppEvent::Notification { id, raw: first });
            let before = self.unread.count;
            self.unread.notification_arrived(id, read);
            if self.unread.count != before {
                push_event(&mut self.events, &AppEvent::UnreadCount { count: self.unread.count });
            }
        } else if name.eq_str(c.unread_count) {
            let count = json::object_field(first, "count").or(Some(first)).and_then(|n| n.parse::<u32>().ok());
            if let Some(count) = count {
                self.unread.set_from_server(count);
                push_event(&mut self.events, &AppEvent::UnreadCount { count });
            }
        } else if name.eq_str(c.user_typing) || name.eq_str(c.user_stopped_typing) {
            let (Some(user), Some(conv)) = (field("userId"), field("conversationId")) else { return };
            let changed = if name.eq_str(c.user_typing) {
                self.typing.remote_typing(&self.cfg.typing, now, conv, user)
            } else {
                self.typing.remote_stopped(conv, user)
            };
            if changed {
                self.push_typers(conv);
            }
        } else if name.eq_str(c.presence) {
            self.on_presence(&e);
        } else if name.eq_str(c.read_receipt) {
            self.on_read_receipt(&e);
        } else if name.eq_str(c.reaction) {
            self.on_reaction(&e);
        } else if name.eq_str(c.call_signal) {
            self.on_call_signal(now, client, &e);
        } else if name.eq_str(c.rate_limited) {
            self.on_rate_limited(now, e);
        } else if name.eq_str(c.removed) {
            let Some(conv) = field("conversationId") else { return };
            if let Some(i) = self.conversations.iter().position(|x| x.id == conv) {
                let gone = self.conversations.remove(i);
                let reason = field("reason").unwrap_or("removed");
                push_event(&mut self.events, &AppEvent::Removed { conversation_id: &gone.id, reason });
            }
        } else {
            push_event(&mut self.events, &AppEvent::Client(ClientEvent::Event(e)));
        }
    }

    fn push_typers(&mut self, conversation_id: &str) {
        let typers = self.typing.typers_json(conversation_id);
        push_event(&mut self.events, &AppEvent::Typing { conversation_id, typers_json: &typers });
    }

    fn fire_timers(&mut self, now: Instant, client: &mut Client<OUT, IN>) {
        let c = self.cfg.contract;
        while let Some(conv) = self.typing.take_idle(&self.cfg.typing, now) {
            self.emit_simple(now, client, c.stop_typing, &conv);
        }
        while let Some(conv) = self.typing.take_expired(now) {
            self.push_typers(&conv);
        }
        self.outbox.expire(now, client, &mut self.events);
        self.fire_call_timers(now, client);
        // What the end of a block lets through again is sent by `process`.
        while let Some(class) = self.rate.take_lifted(now) {
            push_event(&mut self.events, &AppEvent::RateLimitLifted { class });
        }
    }
}
