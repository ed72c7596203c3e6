//! Presence: who is online, from the server's `presence {userId, online}` events.
//!
//! The table is knowledge, not truth: a user the server has not spoken about since the
//! last connect is [`PresenceState::Unknown`], and a lost connection makes everyone unknown
//! again (the server sends the online contacts after every connect, so it is rebuilt at
//! once). It holds [`MAX_PRESENCE`] users; when it is full, the entry changed longest ago is
//! forgotten (offline ones first), which makes that user unknown rather than wrong.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use super::{push_event, valid_id, AppEvent, Realtime, State, MAX_ID_LEN};
use crate::client::IncomingEvent;
use crate::wire::json;

/// The most users whose presence is known at once: a contact list's worth, 64 × ~80 bytes.
pub const MAX_PRESENCE: usize = 64;

/// What is known about a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PresenceState {
    /// The server said the user is online.
    Online,
    /// The server said the user went offline.
    Offline,
    /// Nothing said since the last connect (or forgotten to make room).
    Unknown,
}

#[derive(Debug, Clone)]
struct Entry {
    user: String<MAX_ID_LEN>,
    online: bool,
    /// When it last changed, in changes seen (for eviction).
    changed: u64,
}

/// The presence table.
#[derive(Debug, Clone, Default)]
pub(crate) struct Presence {
    entries: Vec<Entry, MAX_PRESENCE>,
    clock: u64,
}

impl Presence {
    pub(crate) fn get(&self, user: &str) -> PresenceState {
        match self.entries.iter().find(|e| e.user == user) {
            Some(e) if e.online => PresenceState::Online,
            Some(_) => PresenceState::Offline,
            None => PresenceState::Unknown,
        }
    }

    /// Records what the server said; returns whether what is known changed.
    pub(crate) fn set(&mut self, user: &str, online: bool) -> bool {
        self.clock += 1;
        if let Some(e) = self.entries.iter_mut().find(|e| e.user == user) {
            if e.online == online {
                return false;
            }
            e.online = online;
            e.changed = self.clock;
            return true;
        }
        let Ok(user) = String::try_from(user) else { return true };
        if self.entries.is_full() {
            // Forget the oldest offline entry, else the oldest online one.
            let victim = (self.entries.iter().enumerate()).min_by_key(|(_, e)| (e.online, e.changed)).map(|(i, _)| i);
            if let Some(i) = victim {
                self.entries.swap_remove(i);
            }
        }
        let _ = self.entries.push(Entry { user, online, changed: self.clock });
        true
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<const OUT: usize, const IN: usize> State<OUT, IN> {
    /// `presence {userId, online}`: updates the table, `AppEvent::Presence` on a change.
    pub(super) fn on_presence(&mut self, e: &IncomingEvent<'_>) {
        let first = e.args().next().map_or("null", |a| a.raw);
        let Some(user) = super::string_value(json::object_field(first, "userId")) else { return };
        let online = match json::object_field(first, "online") {
            Some("true") => true,
            Some("false") => false,
            _ => return,
        };
        // An id the table cannot hold is still reported; it just stays unknown.
        let changed = if valid_id(user) { self.presence.set(user, online) } else { true };
        if changed {
            push_event(&mut self.events, &AppEvent::Presence { user_id: user, online });
        }
    }
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// What is known about a user's presence (ids compare as the server wrote them).
    pub fn presence(&self, user_id: &str) -> PresenceState {
        self.state.presence.get(user_id)
    }

    /// True only if the server said the user is online (and nothing since said otherwise);
    /// false for offline and unknown.
    pub fn is_online(&self, user_id: &str) -> bool {
        self.presence(user_id) == PresenceState::Online
    }

    /// How many users' presence is known (at most [`MAX_PRESENCE`]).
    pub fn known_presence(&self) -> usize {
        self.state.presence.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_only_and_eviction_prefers_offline_then_oldest() {
        let mut p = Presence::default();
        assert!(p.set("bob", true));
        assert!(!p.set("bob", true));
        assert!(p.set("bob", false));
        assert_eq!(p.get("bob"), PresenceState::Offline);
        assert_eq!(p.get("zed"), PresenceState::Unknown);
        let mut name: String<8> = String::new();
        for i in 0..MAX_PRESENCE - 1 {
            name.clear();
            let _ = core::fmt::write(&mut name, format_args!("u{i}"));
            assert!(p.set(&name, true));
        }
        assert_eq!(p.len(), MAX_PRESENCE);
        assert!(p.set("new1", true));
        assert_eq!(p.get("bob"), PresenceState::Unknown, "the offline entry goes first");
        assert!(p.set("new2", true));
        assert_eq!(p.get("u0"), PresenceState::Unknown, "then the oldest online one");
        assert_eq!(p.get("u1"), PresenceState::Online);
        assert_eq!(p.len(), MAX_PRESENCE);
        p.clear();
        assert_eq!(p.get("u1"), PresenceState::Unknown);
    }
}
