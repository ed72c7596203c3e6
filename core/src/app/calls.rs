//! Call signalling: offer, answer, ICE candidates and end relayed between two users over
//! `callSignal`, with a small state machine per call.
//!
//! The machine is a table (in the style of h11): `(state, input) → state`, and anything
//! not in it is an invalid transition. A local command that is invalid is refused with
//! [`CallError::InvalidTransition`] and sends nothing; a received signal that is invalid
//! (an answer for a call that is not ringing, a signal from someone who is not the call's
//! peer, a duplicate offer) is dropped.
//!
//! ```text
//!  Idle ──send offer──▶ RingingOutgoing ──receive answer──▶ Active
//!  Idle ─receive offer▶ RingingIncoming ───send answer────▶ Active
//!  Ringing*/Active ──end (sent or received), refusal, connection lost──▶ Ended
//!  Ringing* ──no answer within the ring timeout──▶ Ended
//! ```
//!
//! Every call ends exactly once (`AppEvent::Call` with [`CallState::Ended`]) and is then
//! forgotten. A lost connection ends every call; once connected again, the peer of each is
//! sent `end` so that its side does not ring on. At most [`MAX_CALLS`] calls exist at once
//! (one active and one waiting); an offer beyond that is answered `end {"reason":"busy"}`.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use super::{push_event, valid_id, AppError, AppEvent, Purpose, Realtime, State, SyncPhase, MAX_ID_LEN};
use crate::client::{AckHandle, Client, ClientError, IncomingEvent};
use crate::time::Instant;
use crate::wire::json;

/// The most calls at once: one active call and one more ringing (call waiting).
pub const MAX_CALLS: usize = 2;

/// Call timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallConfig {
    /// A ringing call with no answer ends after this long. Default 30 s: what phones ring
    /// for before voicemail; longer and the caller has given up anyway.
    pub ring_timeout_ms: u64,
}

impl CallConfig {
    /// The product's timings.
    pub const DEFAULT: Self = Self { ring_timeout_ms: 30_000 };
}

impl Default for CallConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The kind of a signal (the `type` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignalKind {
    /// `offer`: the caller's session description.
    Offer,
    /// `answer`: the callee's session description.
    Answer,
    /// `ice`: one ICE candidate.
    Ice,
    /// `end`: the call is over.
    End,
}

impl SignalKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Offer => "offer",
            SignalKind::Answer => "answer",
            SignalKind::Ice => "ice",
            SignalKind::End => "end",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [SignalKind::Offer, SignalKind::Answer, SignalKind::Ice, SignalKind::End].into_iter().find(|k| k.as_str() == s)
    }
}

/// A signal received: its kind and its payload, raw JSON passed through untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSignal<'a> {
    /// The kind.
    pub kind: SignalKind,
    /// The payload as raw JSON (`null` if the server sent none).
    pub payload: &'a str,
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallState {
    /// No such call.
    Idle,
    /// The offer was sent; waiting for the answer.
    RingingOutgoing,
    /// An offer arrived; waiting for the user to answer.
    RingingIncoming,
    /// Answered.
    Active,
    /// Over (reported once; the call is forgotten).
    Ended(EndReason),
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndReason {
    /// `end_call` (hang up, decline or cancel).
    Hangup,
    /// The peer sent `end` (its payload is in the event's signal).
    Remote,
    /// The server refused a signal because the peer is not connected.
    Offline,
    /// The server refused the offer for another reason (e.g. `forbidden`).
    Refused,
    /// The server refused the offer for the rate limit.
    RateLimited,
    /// Nobody answered within the ring timeout.
    Timeout,
    /// The connection was lost.
    Disconnected,
    /// An offer arrived while [`MAX_CALLS`] calls were in progress; the caller was told
    /// `busy`. The call never rang.
    Busy,
}

/// What happens to a call: the inputs of the transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallInput {
    /// `start_call`.
    SendOffer,
    /// An offer arrived.
    ReceiveOffer,
    /// `answer_call`.
    SendAnswer,
    /// An answer arrived.
    ReceiveAnswer,
    /// `send_ice`.
    SendIce,
    /// A candidate arrived.
    ReceiveIce,
    /// `end_call`.
    SendEnd,
    /// `end` arrived.
    ReceiveEnd,
    /// The server refused a signal of the call.
    Refused,
    /// The ring timeout passed.
    RingTimeout,
    /// The connection was lost.
    ConnectionLost,
}

/// Why a call command was refused. Nothing was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// No call with this id.
    UnknownCall,
    /// A call with this id exists already.
    DuplicateCall,
    /// [`MAX_CALLS`] calls are in progress.
    TooManyCalls,
    /// The command is not valid in the call's state (e.g. answering a call that is not
    /// ringing in).
    InvalidTransition {
        /// The call's state.
        state: CallState,
        /// The command.
        input: CallInput,
    },
    /// Not connected: calls need the peer now, so nothing is queued for later.
    NotConnected,
}

/// A call's state without the end reason (the table's states; `Ended` calls are removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    RingingOutgoing,
    RingingIncoming,
    Active,
    Ended,
}

impl Phase {
    fn state(self, reason: EndReason) -> CallState {
        match self {
            Phase::Idle => CallState::Idle,
            Phase::RingingOutgoing => CallState::RingingOutgoing,
            Phase::RingingIncoming => CallState::RingingIncoming,
            Phase::Active => CallState::Active,
            Phase::Ended => CallState::Ended(reason),
        }
    }
}

/// Every valid transition. Whatever is not here is invalid.
const TRANSITIONS: &[(Phase, CallInput, Phase)] = {
    use CallInput::*;
    use Phase::*;
    &[
        (Idle, SendOffer, RingingOutgoing),
        (Idle, ReceiveOffer, RingingIncoming),
        (RingingOutgoing, ReceiveAnswer, Active),
        (RingingIncoming, SendAnswer, Active),
        // Trickle ICE: the caller sends candidates right after its offer; the callee only
        // once it has answered (it has no local description before).
        (RingingOutgoing, SendIce, RingingOutgoing),
        (RingingOutgoing, ReceiveIce, RingingOutgoing),
        (RingingIncoming, ReceiveIce, RingingIncoming),
        (Active, SendIce, Active),
        (Active, ReceiveIce, Active),
        (RingingOutgoing, SendEnd, Ended),
        (RingingIncoming, SendEnd, Ended),
        (Active, SendEnd, Ended),
        (RingingOutgoing, ReceiveEnd, Ended),
        (RingingIncoming, ReceiveEnd, Ended),
        (Active, ReceiveEnd, Ended),
        (RingingOutgoing, Refused, Ended),
        (RingingIncoming, Refused, Ended),
        (Active, Refused, Ended),
        (RingingOutgoing, RingTimeout, Ended),
        (RingingIncoming, RingTimeout, Ended),
        (RingingOutgoing, ConnectionLost, Ended),
        (RingingIncoming, ConnectionLost, Ended),
        (Active, ConnectionLost, Ended),
    ]
};

fn next(from: Phase, input: CallInput) -> Option<Phase> {
    TRANSITIONS.iter().find(|(f, i, _)| *f == from && *i == input).map(|(_, _, to)| *to)
}

#[derive(Debug, Clone)]
struct Call {
    /// Unique per call (ids may be reused once a call ended): what its acks are filed under.
    key: u64,
    id: String<MAX_ID_LEN>,
    peer: String<MAX_ID_LEN>,
    phase: Phase,
    /// While ringing: when it stops.
    ring_deadline: Option<Instant>,
}

/// The calls in progress, and the peers owed an `end` after a lost connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct Calls {
    calls: Vec<Call, MAX_CALLS>,
    hangups: Vec<(String<MAX_ID_LEN>, String<MAX_ID_LEN>), MAX_CALLS>,
    next_key: u64,
}

impl Calls {
    fn find(&self, call_id: &str) -> Option<usize> {
        self.calls.iter().position(|c| c.id == call_id)
    }

    fn by_key(&self, key: u64) -> Option<usize> {
        self.calls.iter().position(|c| c.key == key)
    }

    fn new_key(&mut self) -> u64 {
        self.next_key = self.next_key.wrapping_add(1);
        self.next_key
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.calls.iter().filter_map(|c| c.ring_deadline).min()
    }

    pub(crate) fn state(&self, call_id: &str) -> CallState {
        self.find(call_id).map_or(CallState::Idle, |i| self.calls[i].phase.state(EndReason::Hangup))
    }

    pub(crate) fn len(&self) -> usize {
        self.calls.len()
    }
}

/// `{"toUserId":"…","callId":"…","type":"…","payload":…}` into `out`.
fn signal_arg<'b>(out: &'b mut [u8], to: &str, call_id: &str, kind: SignalKind, payload: &str) -> Option<&'b str> {
    let parts = [
        "{\"toUserId\":\"",
        to,
        "\",\"callId\":\"",
        call_id,
        "\",\"type\":\"",
        kind.as_str(),
        "\",\"payload\":",
        payload,
        "}",
    ];
    super::write_parts(out, &parts)
}

/// Sends `end` with `{"reason":…}` and no ack: nothing is done with its answer, and
/// hanging up must not fail because the ack table is full.
fn send_end<const OUT: usize, const IN: usize>(
    client: &mut Client<OUT, IN>,
    now: Instant,
    event: &str,
    to: &str,
    call_id: &str,
    reason: &str,
) {
    let mut payload = [0u8; 48];
    let mut buf = [0u8; 2 * MAX_ID_LEN + 128];
    let Some(p) = super::write_parts(&mut payload, &["{\"reason\":\"", reason, "\"}"]) else { return };
    if let Some(arg) = signal_arg(&mut buf, to, call_id, SignalKind::End, p) {
        let _ = client.emit(now, "/", event, &[arg]);
    }
}

impl<const OUT: usize, const IN: usize> State<OUT, IN> {
    fn end_call_at(&mut self, i: usize, reason: EndReason, signal: Option<CallSignal<'_>>) {
        let call = self.calls.calls.swap_remove(i);
        let state = CallState::Ended(reason);
        push_event(&mut self.events, &AppEvent::Call { call_id: &call.id, peer: &call.peer, state, signal });
    }

    /// A `callSignal {fromUserId, callId, type, payload}` from the server.
    pub(super) fn on_call_signal(&mut self, now: Instant, client: &mut Client<OUT, IN>, e: &IncomingEvent<'_>) {
        let first = e.args().next().map_or("null", |a| a.raw);
        let field = |k| super::string_value(json::object_field(first, k));
        let (Some(from), Some(call_id), Some(kind)) =
            (field("fromUserId"), field("callId"), field("type").and_then(SignalKind::parse))
        else {
            return;
        };
        if !valid_id(from) || !valid_id(call_id) {
            return;
        }
        let payload = json::object_field(first, "payload").unwrap_or("null");
        let signal = Some(CallSignal { kind, payload });
        let i = self.calls.find(call_id);
        if kind == SignalKind::Offer {
            if i.is_some() {
                return; // a duplicate offer
            }
            if self.calls.calls.is_full() {
                send_end(client, now, self.cfg.contract.call_signal, from, call_id, "busy");
                let state = CallState::Ended(EndReason::Busy);
                return push_event(&mut self.events, &AppEvent::Call { call_id, peer: from, state, signal: None });
            }
            let (Ok(id), Ok(peer)) = (String::try_from(call_id), String::try_from(from)) else { return };
            let ring_deadline = Some(now.after(self.cfg.calls.ring_timeout_ms));
            let key = self.calls.new_key();
            let _ = self.calls.calls.push(Call { key, id, peer, phase: Phase::RingingIncoming, ring_deadline });
            let state = CallState::RingingIncoming;
            return push_event(&mut self.events, &AppEvent::Call { call_id, peer: from, state, signal });
        }
        // Only the call's peer may signal within it.
        let Some(i) = i.filter(|&i| self.calls.calls[i].peer == from) else { return };
        let input = match kind {
            SignalKind::Answer => CallInput::ReceiveAnswer,
            SignalKind::Ice => CallInput::ReceiveIce,
            _ => CallInput::ReceiveEnd,
        };
        let Some(to) = next(self.calls.calls[i].phase, input) else { return };
        if to == Phase::Ended {
            return self.end_call_at(i, EndReason::Remote, signal);
        }
        let c = &mut self.calls.calls[i];
        c.phase = to;
        if to == Phase::Active {
            c.ring_deadline = None;
        }
        let state = to.state(EndReason::Remote);
        push_event(&mut self.events, &AppEvent::Call { call_id, peer: from, state, signal });
    }

    /// The answer to one of our signals. Any refusal of the offer ends the call; later
    /// signals end it only when the peer is gone (`offline`).
    pub(super) fn on_call_ack(&mut self, key: u64, kind: SignalKind, answer: super::Answer<'_>) {
        let Some(i) = self.calls.by_key(key) else { return };
        let reason = match answer {
            super::Answer::Refused("offline") => EndReason::Offline,
            super::Answer::Refused(_) if kind == SignalKind::Offer => EndReason::Refused,
            super::Answer::RateLimited(_) if kind == SignalKind::Offer => EndReason::RateLimited,
            _ => return,
        };
        if next(self.calls.calls[i].phase, CallInput::Refused) == Some(Phase::Ended) {
            self.end_call_at(i, reason, None);
        }
    }

    /// Ring timeouts due at `now`. An outgoing call tells the callee; an incoming one only
    /// stops ringing here (the user's other devices may have answered it).
    pub(super) fn fire_call_timers(&mut self, now: Instant, client: &mut Client<OUT, IN>) {
        while let Some(i) = self.calls.calls.iter().position(|c| c.ring_deadline.is_some_and(|d| d <= now)) {
            let c = &self.calls.calls[i];
            if next(c.phase, CallInput::RingTimeout) != Some(Phase::Ended) {
                self.calls.calls[i].ring_deadline = None;
                continue;
            }
            if c.phase == Phase::RingingOutgoing {
                send_end(client, now, self.cfg.contract.call_signal, &c.peer, &c.id, "timeout");
            }
            self.end_call_at(i, EndReason::Timeout, None);
        }
    }

    /// The connection is lost: every call ends, and its peer is owed an `end`.
    pub(super) fn calls_connection_lost(&mut self) {
        while let Some(i) = self.calls.calls.len().checked_sub(1) {
            let c = &self.calls.calls[i];
            if self.calls.hangups.is_full() {
                self.calls.hangups.remove(0);
            }
            let _ = self.calls.hangups.push((c.id.clone(), c.peer.clone()));
            self.end_call_at(i, EndReason::Disconnected, None);
        }
    }

    /// Once live again: `end` to the peers of the calls the lost connection ended.
    pub(super) fn send_hangups(&mut self, now: Instant, client: &mut Client<OUT, IN>) {
        let event = self.cfg.contract.call_signal;
        for (id, peer) in self.calls.hangups.iter() {
            send_end(client, now, event, peer, id, "disconnected");
        }
        self.calls.hangups.clear();
    }
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// A call's state (`Idle` if there is no such call).
    pub fn call_state(&self, call_id: &str) -> CallState {
        self.state.calls.state(call_id)
    }

    /// Calls in progress (at most [`MAX_CALLS`]).
    pub fn calls_in_progress(&self) -> usize {
        self.state.calls.len()
    }

    /// Calls `to_user`: sends the offer (`offer_payload`, one JSON value, e.g. the SDP
    /// object) and rings for the ring timeout. Refused while offline, for the rate limit
    /// (class `Calls`), or with [`MAX_CALLS`] calls in progress. `call_id` is the app's
    /// (unique per call, e.g. a random id).
    pub fn start_call(
        &mut self,
        now: Instant,
        to_user: &str,
        call_id: &str,
        offer_payload: &str,
    ) -> Result<(), AppError> {
        if !valid_id(to_user) || !valid_id(call_id) {
            return Err(AppError::InvalidId);
        }
        crate::wire::check_arg(offer_payload, &self.state.cfg.client.limits).map_err(|_| AppError::InvalidContent)?;
        let s = &mut self.state;
        if s.phase == SyncPhase::Offline {
            return Err(AppError::Call(CallError::NotConnected));
        }
        if s.calls.find(call_id).is_some() {
            return Err(AppError::Call(CallError::DuplicateCall));
        }
        if s.calls.calls.is_full() {
            return Err(AppError::Call(CallError::TooManyCalls));
        }
        s.check_rate(super::RateClass::Calls, now)?;
        let to = next(Phase::Idle, CallInput::SendOffer).unwrap_or(Phase::RingingOutgoing);
        let arg = signal_arg(&mut self.scratch, to_user, call_id, SignalKind::Offer, offer_payload)
            .ok_or(AppError::Client(ClientError::SendBufferFull))?;
        let h = self.client.emit_with_ack(now, "/", s.cfg.contract.call_signal, &[arg], None)?;
        s.rate.consume(&s.cfg.rate_limits, super::RateClass::Calls, now);
        let key = s.calls.new_key();
        let _ = s.own_acks.push((h, Purpose::Call { key, kind: SignalKind::Offer }));
        let (id, peer) = (String::try_from(call_id).unwrap_or_default(), String::try_from(to_user).unwrap_or_default());
        let ring_deadline = Some(now.after(s.cfg.calls.ring_timeout_ms));
        let _ = s.calls.calls.push(Call { key, id, peer, phase: to, ring_deadline });
        let state = to.state(EndReason::Hangup);
        push_event(&mut s.events, &AppEvent::Call { call_id, peer: to_user, state, signal: None });
        self.process(now);
        Ok(())
    }

    /// Answers an incoming ringing call with `answer_payload` (one JSON value).
    pub fn answer_call(&mut self, now: Instant, call_id: &str, answer_payload: &str) -> Result<(), AppError> {
        let to = self.signal(now, call_id, CallInput::SendAnswer, SignalKind::Answer, answer_payload)?;
        let s = &mut self.state;
        if let Some(i) = s.calls.find(call_id) {
            let c = &mut s.calls.calls[i];
            c.phase = to;
            c.ring_deadline = None;
            let state = to.state(EndReason::Hangup);
            push_event(&mut s.events, &AppEvent::Call { call_id, peer: &c.peer, state, signal: None });
        }
        self.process(now);
        Ok(())
    }

    /// Sends one ICE candidate (`candidate_payload`, one JSON value) to the call's peer.
    pub fn send_ice(&mut self, now: Instant, call_id: &str, candidate_payload: &str) -> Result<(), AppError> {
        self.signal(now, call_id, CallInput::SendIce, SignalKind::Ice, candidate_payload)?;
        self.process(now);
        Ok(())
    }

    /// Ends a call: hang up (active), decline (ringing in) or cancel (ringing out). The
    /// peer is sent `end` with `{"reason":"hangup"|"declined"|"cancelled"}`; the call ends
    /// here whatever happens to that frame.
    pub fn end_call(&mut self, now: Instant, call_id: &str) -> Result<(), AppError> {
        let s = &mut self.state;
        let i = s.calls.find(call_id).ok_or(AppError::Call(CallError::UnknownCall))?;
        let c = &s.calls.calls[i];
        if next(c.phase, CallInput::SendEnd).is_none() {
            let state = c.phase.state(EndReason::Hangup);
            return Err(AppError::Call(CallError::InvalidTransition { state, input: CallInput::SendEnd }));
        }
        let reason = match c.phase {
            Phase::RingingIncoming => "declined",
            Phase::RingingOutgoing => "cancelled",
            _ => "hangup",
        };
        if s.phase != SyncPhase::Offline {
            send_end(&mut self.client, now, s.cfg.contract.call_signal, &c.peer, &c.id, reason);
        }
        s.end_call_at(i, EndReason::Hangup, None);
        self.process(now);
        Ok(())
    }

    /// Checks a local signal against the table and sends it with an ack; returns the state
    /// it leads to (not applied yet).
    fn signal(
        &mut self,
        now: Instant,
        call_id: &str,
        input: CallInput,
        kind: SignalKind,
        payload: &str,
    ) -> Result<Phase, AppError> {
        let s = &mut self.state;
        let i = s.calls.find(call_id).ok_or(AppError::Call(CallError::UnknownCall))?;
        let c = &s.calls.calls[i];
        let to = next(c.phase, input)
            .ok_or(AppError::Call(CallError::InvalidTransition { state: c.phase.state(EndReason::Hangup), input }))?;
        crate::wire::check_arg(payload, &s.cfg.client.limits).map_err(|_| AppError::InvalidContent)?;
        if s.phase == SyncPhase::Offline {
            return Err(AppError::Call(CallError::NotConnected));
        }
        let arg = signal_arg(&mut self.scratch, &c.peer, call_id, kind, payload)
            .ok_or(AppError::Client(ClientError::SendBufferFull))?;
        let h: AckHandle = self.client.emit_with_ack(now, "/", s.cfg.contract.call_signal, &[arg], None)?;
        let _ = s.own_acks.push((h, Purpose::Call { key: c.key, kind }));
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_is_valid() {
        assert_eq!(next(Phase::Idle, CallInput::SendOffer), Some(Phase::RingingOutgoing));
        assert_eq!(next(Phase::RingingIncoming, CallInput::SendAnswer), Some(Phase::Active));
        assert_eq!(next(Phase::RingingOutgoing, CallInput::SendAnswer), None, "the caller cannot answer");
        assert_eq!(next(Phase::Active, CallInput::SendAnswer), None);
        assert_eq!(next(Phase::RingingIncoming, CallInput::SendIce), None);
        assert_eq!(next(Phase::Active, CallInput::RingTimeout), None, "an answered call does not time out");
        assert_eq!(next(Phase::Idle, CallInput::SendEnd), None);
        // Nothing leaves Ended: an ended call is forgotten, never revived.
        assert!(TRANSITIONS.iter().all(|(from, _, _)| *from != Phase::Ended));
        // Every input that ends a call is accepted from every live state but Active's
        // timeout.
        for from in [Phase::RingingOutgoing, Phase::RingingIncoming, Phase::Active] {
            for input in [CallInput::SendEnd, CallInput::ReceiveEnd, CallInput::Refused, CallInput::ConnectionLost] {
                assert_eq!(next(from, input), Some(Phase::Ended), "{from:?} {input:?}");
            }
        }
    }

    #[test]
    fn signal_arg_passes_the_payload_through() {
        let mut buf = [0u8; 128];
        let a = signal_arg(&mut buf, "bob", "k1", SignalKind::Ice, r#"{"candidate":"a b"}"#).unwrap();
        assert_eq!(a, r#"{"toUserId":"bob","callId":"k1","type":"ice","payload":{"candidate":"a b"}}"#);
        assert!(signal_arg(&mut [0u8; 8], "bob", "k1", SignalKind::Ice, "1").is_none());
        assert_eq!(SignalKind::parse("answer"), Some(SignalKind::Answer));
        assert_eq!(SignalKind::parse("Answer"), None);
    }
}
