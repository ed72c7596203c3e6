//! The table of acks the app is waiting for. Bounded; every entry ends exactly once.

use heapless::Vec;

use super::event::{AckHandle, AckOutcome};
use crate::time::Instant;

/// The hard ceiling for `Config::max_pending_acks`.
pub const MAX_PENDING_ACKS: usize = 64;

/// Where an awaited ack stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckState {
    /// The emit is buffered or queued, not yet handed to the transport.
    Unsent,
    /// The emit was handed to the transport.
    Sent,
    /// Ended (timeout, disconnected, cancelled) while the event queue was full: the
    /// ending waits here, delivered by `poll_event` as soon as the queue is empty, so
    /// that it is never lost.
    Ended(AckOutcome<'static>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingAck {
    pub handle: AckHandle,
    pub slot: u8,
    pub wire_id: u64,
    pub deadline: Instant,
    pub state: AckState,
}

#[derive(Debug, Default)]
pub(crate) struct AckTable {
    entries: Vec<PendingAck, MAX_PENDING_ACKS>,
}

impl AckTable {
    /// Entries not yet delivered as an `Ack` event (ended ones waiting included).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Keeps an ended ack whose event did not fit the queue, to be delivered later.
    pub(crate) fn defer_end(&mut self, mut ack: PendingAck, outcome: AckOutcome<'static>) {
        ack.state = AckState::Ended(outcome);
        // Cannot fail: the entry was just taken out of this table.
        let _ = self.entries.push(ack);
    }

    /// The oldest ended ack waiting for delivery.
    pub(crate) fn take_ended(&mut self) -> Option<(AckHandle, AckOutcome<'static>)> {
        let i = self.entries.iter().position(|a| matches!(a.state, AckState::Ended(_)))?;
        let a = self.entries.remove(i);
        match a.state {
            AckState::Ended(o) => Some((a.handle, o)),
            _ => None,
        }
    }

    pub(crate) fn insert(&mut self, ack: PendingAck, limit: usize) -> bool {
        self.entries.len() < limit.min(MAX_PENDING_ACKS) && self.entries.push(ack).is_ok()
    }

    pub(crate) fn find_by_wire(&self, slot: u8, wire_id: u64) -> Option<AckHandle> {
        self.entries
            .iter()
            .find(|a| a.slot == slot && a.wire_id == wire_id && a.state == AckState::Sent)
            .map(|a| a.handle)
    }

    pub(crate) fn take_by_handle(&mut self, handle: AckHandle) -> Option<PendingAck> {
        let i = self.entries.iter().position(|a| a.handle == handle && !matches!(a.state, AckState::Ended(_)))?;
        Some(self.entries.remove(i))
    }

    pub(crate) fn mark_sent(&mut self, handle: AckHandle) {
        if let Some(a) = self.entries.iter_mut().find(|a| a.handle == handle) {
            a.state = AckState::Sent;
        }
    }

    pub(crate) fn earliest_deadline(&self) -> Option<Instant> {
        self.entries.iter().filter(|a| !matches!(a.state, AckState::Ended(_))).map(|a| a.deadline).min()
    }

    /// Removes and returns the first entry (in deadline order) that is due at `now`.
    pub(crate) fn take_due(&mut self, now: Instant) -> Option<PendingAck> {
        let (i, _) = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, a)| a.deadline <= now && !matches!(a.state, AckState::Ended(_)))
            .min_by_key(|(_, a)| a.deadline)?;
        Some(self.entries.remove(i))
    }

    /// Removes and returns one entry (not already ended) matching `pred`.
    pub(crate) fn take_where(&mut self, pred: impl Fn(&PendingAck) -> bool) -> Option<PendingAck> {
        let i = self.entries.iter().position(|a| !matches!(a.state, AckState::Ended(_)) && pred(a))?;
        Some(self.entries.remove(i))
    }
}
