//! Typing indicators: the local user's keystrokes become `typing` / `stopTyping` emits;
//! remote `userTyping` / `userStoppedTyping` become a per-conversation set of typers that
//! expire when a typer goes silent.

use heapless::{String, Vec};

use crate::time::Instant;

/// The most conversations the local user can be typing in at once.
pub const MAX_LOCAL_TYPING: usize = 4;
/// The most remote typers tracked at once (over all conversations).
pub const MAX_REMOTE_TYPERS: usize = 16;
/// The longest conversation or user id kept, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// Typing timings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypingConfig {
    /// The least time between two `typing` emits: keystrokes closer than this are folded
    /// into the one already sent. Default 300 ms.
    pub debounce_ms: u64,
    /// While the user keeps typing, `typing` is sent again this often, so that the other
    /// side's expiry never fires mid-sentence. Default 2,500 ms (half the remote expiry).
    pub refresh_ms: u64,
    /// `stopTyping` after this long without a keystroke. Default 3,000 ms.
    pub idle_ms: u64,
    /// A remote typer who goes silent this long stops showing. Default 5,000 ms.
    pub remote_expiry_ms: u64,
}

impl TypingConfig {
    /// The product's timings.
    pub const DEFAULT: Self = Self { debounce_ms: 300, refresh_ms: 2_500, idle_ms: 3_000, remote_expiry_ms: 5_000 };
}

#[derive(Debug, Clone)]
struct Local {
    conversation: String<MAX_ID_LEN>,
    last_keystroke: Instant,
    last_sent: Instant,
}

#[derive(Debug, Clone)]
struct Remote {
    conversation: String<MAX_ID_LEN>,
    user: String<MAX_ID_LEN>,
    expires: Instant,
}

/// What the typing state wants sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalAction {
    SendTyping,
    Nothing,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Typing {
    local: Vec<Local, MAX_LOCAL_TYPING>,
    remote: Vec<Remote, MAX_REMOTE_TYPERS>,
}

impl Typing {
    /// A keystroke in `conversation`.
    pub(crate) fn keystroke(&mut self, cfg: &TypingConfig, now: Instant, conversation: &str) -> LocalAction {
        if let Some(l) = self.local.iter_mut().find(|l| l.conversation == conversation) {
            l.last_keystroke = now;
            let since = now.since(l.last_sent);
            if since >= cfg.refresh_ms.max(cfg.debounce_ms) {
                l.last_sent = now;
                return LocalAction::SendTyping;
            }
            return LocalAction::Nothing;
        }
        let Ok(conversation) = String::try_from(conversation) else { return LocalAction::Nothing };
        if self.local.is_full() {
            // Typing in more places at once than tracked: the oldest one stops showing.
            self.local.remove(0);
        }
        let _ = self.local.push(Local { conversation, last_keystroke: now, last_sent: now });
        LocalAction::SendTyping
    }

    /// The user stopped typing in `conversation` (sent a message, left). Returns whether
    /// `stopTyping` should be sent.
    pub(crate) fn stop_local(&mut self, conversation: &str) -> bool {
        match self.local.iter().position(|l| l.conversation == conversation) {
            Some(i) => {
                self.local.remove(i);
                true
            }
            None => false,
        }
    }

    /// Local conversations idle at `now`: removed and returned (send `stopTyping`).
    pub(crate) fn take_idle(&mut self, cfg: &TypingConfig, now: Instant) -> Option<String<MAX_ID_LEN>> {
        let i = self.local.iter().position(|l| l.last_keystroke.after(cfg.idle_ms) <= now)?;
        Some(self.local.remove(i).conversation)
    }

    /// A remote user is typing. Returns true if the set of typers changed.
    pub(crate) fn remote_typing(&mut self, cfg: &TypingConfig, now: Instant, conversation: &str, user: &str) -> bool {
        let expires = now.after(cfg.remote_expiry_ms);
        if let Some(r) = self.remote.iter_mut().find(|r| r.conversation == conversation && r.user == user) {
            r.expires = expires;
            return false;
        }
        let (Ok(conversation), Ok(user)) = (String::try_from(conversation), String::try_from(user)) else {
            return false;
        };
        if self.remote.is_full() {
            // Drop the typer closest to expiring.
            if let Some((i, _)) = self.remote.iter().enumerate().min_by_key(|(_, r)| r.expires) {
                self.remote.remove(i);
            }
        }
        let _ = self.remote.push(Remote { conversation, user, expires });
        true
    }

    /// A remote user stopped (or sent a message). Returns true if the set changed.
    pub(crate) fn remote_stopped(&mut self, conversation: &str, user: &str) -> bool {
        match self.remote.iter().position(|r| r.conversation == conversation && r.user == user) {
            Some(i) => {
                self.remote.remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes one remote typer that expired at `now`; returns its conversation.
    pub(crate) fn take_expired(&mut self, now: Instant) -> Option<String<MAX_ID_LEN>> {
        let i = self.remote.iter().position(|r| r.expires <= now)?;
        Some(self.remote.remove(i).conversation)
    }

    /// Forgets the remote typers of one conversation (the first that has any) and returns
    /// it, so that its now empty set can be reported; None when nobody is typing anywhere.
    pub(crate) fn take_remote_conversation(&mut self) -> Option<String<MAX_ID_LEN>> {
        let conversation = self.remote.first()?.conversation.clone();
        self.remote.retain(|r| r.conversation != conversation);
        Some(conversation)
    }

    /// The typers of a conversation as a JSON array of user ids (e.g. `["bob","carol"]`).
    pub(crate) fn typers_json(&self, conversation: &str) -> String<{ MAX_REMOTE_TYPERS * (MAX_ID_LEN + 3) + 2 }> {
        let mut s = String::new();
        let _ = s.push('[');
        for (i, r) in self.remote.iter().filter(|r| r.conversation == conversation).enumerate() {
            if i > 0 {
                let _ = s.push(',');
            }
            let _ = s.push('"');
            // User ids come from validated JSON strings and are kept escaped.
            let _ = s.push_str(&r.user);
            let _ = s.push('"');
        }
        let _ = s.push(']');
        s
    }

    /// The next typing deadline (local idle or remote expiry).
    pub(crate) fn next_deadline(&self, cfg: &TypingConfig) -> Option<Instant> {
        let local = self.local.iter().map(|l| l.last_keystroke.after(cfg.idle_ms));
        let remote = self.remote.iter().map(|r| r.expires);
        local.chain(remote).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn keystrokes_fold_into_one_typing_refreshed_while_typing() {
        let cfg = TypingConfig::DEFAULT;
        let mut ty = Typing::default();
        assert_eq!(ty.keystroke(&cfg, t(0), "c1"), LocalAction::SendTyping);
        assert_eq!(ty.keystroke(&cfg, t(100), "c1"), LocalAction::Nothing);
        assert_eq!(ty.keystroke(&cfg, t(2400), "c1"), LocalAction::Nothing);
        assert_eq!(ty.keystroke(&cfg, t(2500), "c1"), LocalAction::SendTyping);
        assert_eq!(ty.next_deadline(&cfg), Some(t(5500)));
        assert!(ty.take_idle(&cfg, t(5499)).is_none());
        assert_eq!(ty.take_idle(&cfg, t(5500)).unwrap(), "c1");
        assert!(!ty.stop_local("c1"));
    }

    #[test]
    fn remote_typers_expire() {
        let cfg = TypingConfig::DEFAULT;
        let mut ty = Typing::default();
        assert!(ty.remote_typing(&cfg, t(0), "c1", "bob"));
        assert!(!ty.remote_typing(&cfg, t(1000), "c1", "bob"));
        assert!(ty.remote_typing(&cfg, t(1000), "c1", "carol"));
        assert_eq!(ty.typers_json("c1"), r#"["bob","carol"]"#);
        assert!(ty.take_expired(t(5999)).is_none());
        assert_eq!(ty.take_expired(t(6000)).unwrap(), "c1");
        assert_eq!(ty.typers_json("c1"), r#"["carol"]"#);
        assert!(ty.remote_stopped("c1", "carol"));
        assert_eq!(ty.typers_json("c1"), "[]");
        assert!(ty.remote_typing(&cfg, t(7000), "c2", "bob"));
        assert!(ty.remote_typing(&cfg, t(7000), "c1", "dave"));
        assert!(ty.remote_typing(&cfg, t(7000), "c2", "erin"));
        assert_eq!(ty.take_remote_conversation().unwrap(), "c2");
        assert_eq!(ty.take_remote_conversation().unwrap(), "c1");
        assert!(ty.take_remote_conversation().is_none());
    }
}
