//! Rate limiting: a token bucket per event class on the client, and the server's own limits
//! (a `rateLimited {event, retryAfterMs}` event, a `rate_limited` refusal in an ack)
//! honoured as a block of that class.
//!
//! The server limits anyway; the client-side bucket exists so that a user (or a bug in the
//! app, a retry loop) hitting the limit learns it at once, with how long to wait, instead of
//! after a round trip and with the command half-applied. A command over the limit is refused
//! with [`AppError::RateLimited`](super::AppError::RateLimited) and nothing is sent.
//!
//! A server block outranks the bucket: until it ends, the class refuses every command. Only
//! messages behave differently: a message already in the outbox is never failed for a
//! limit, it waits and is sent again when the block ends.

use serde::{Deserialize, Serialize};

use crate::time::Instant;

/// The classes of commands with a limit of their own. Typing has none: its debounce
/// already bounds it to one emit per 300 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RateClass {
    /// `send_message` (server event `sendMessage`).
    Messages,
    /// `add_reaction` / `remove_reaction`.
    Reactions,
    /// `mark_conversation_read`.
    Receipts,
    /// `start_call` (signals within a call are never refused: hanging up must always work).
    Calls,
    /// `start_upload` (chunks are paced by their acks, one in flight per upload).
    Uploads,
}

impl RateClass {
    /// Every class, in a fixed order.
    pub const ALL: [RateClass; 5] =
        [RateClass::Messages, RateClass::Reactions, RateClass::Receipts, RateClass::Calls, RateClass::Uploads];

    fn index(self) -> usize {
        match self {
            RateClass::Messages => 0,
            RateClass::Reactions => 1,
            RateClass::Receipts => 2,
            RateClass::Calls => 3,
            RateClass::Uploads => 4,
        }
    }
}

/// One class's bucket: up to `capacity` commands at once, then one more every `refill_ms`.
/// Over any window of `W` ms, at most `capacity + W / refill_ms` commands pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketConfig {
    /// The burst: commands allowed back to back (at least 1 is used).
    pub capacity: u32,
    /// One token comes back this often, in ms (0: at once, i.e. only the burst limits).
    pub refill_ms: u64,
}

/// The limits of every class. `None` turns a class's client-side bucket off (a server
/// block is still honoured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Default 10 at once, then one per 500 ms: nobody types faster than 2 messages a
    /// second for long, while a paste-and-send loop stops after ten.
    pub messages: Option<BucketConfig>,
    /// Default 20 at once, then one per 250 ms: tapping through a reaction picker (add,
    /// change one's mind, remove) is bursty and harmless.
    pub reactions: Option<BucketConfig>,
    /// Default 10 at once, then one per second: receipts follow scrolling, and only the
    /// last one of a conversation matters; an app should send the newest one, not each.
    pub receipts: Option<BucketConfig>,
    /// Default 3 at once, then one per 10 s: starting calls is rare; a redial loop is not.
    pub calls: Option<BucketConfig>,
    /// Default 4 at once ([`MAX_UPLOADS`](super::MAX_UPLOADS)), then one per 2 s.
    pub uploads: Option<BucketConfig>,
    /// The longest server block honoured, in ms: a larger `retryAfterMs` is cut to this, so
    /// a wrong value cannot silence a class for hours. Default 10 minutes (the outbox TTL).
    pub max_server_block_ms: u64,
    /// The block when the server says `rate_limited` without `retryAfterMs`. Default 1 s.
    pub default_server_block_ms: u64,
}

impl RateLimits {
    /// The product's limits (see each field for why).
    pub const DEFAULT: Self = Self {
        messages: Some(BucketConfig { capacity: 10, refill_ms: 500 }),
        reactions: Some(BucketConfig { capacity: 20, refill_ms: 250 }),
        receipts: Some(BucketConfig { capacity: 10, refill_ms: 1_000 }),
        calls: Some(BucketConfig { capacity: 3, refill_ms: 10_000 }),
        uploads: Some(BucketConfig { capacity: 4, refill_ms: 2_000 }),
        max_server_block_ms: 600_000,
        default_server_block_ms: 1_000,
    };

    /// No client-side limits at all (server blocks are still honoured).
    pub const UNLIMITED: Self = Self {
        messages: None,
        reactions: None,
        receipts: None,
        calls: None,
        uploads: None,
        max_server_block_ms: 600_000,
        default_server_block_ms: 1_000,
    };

    /// The bucket of a class.
    pub fn bucket(&self, class: RateClass) -> Option<BucketConfig> {
        match class {
            RateClass::Messages => self.messages,
            RateClass::Reactions => self.reactions,
            RateClass::Receipts => self.receipts,
            RateClass::Calls => self.calls,
            RateClass::Uploads => self.uploads,
        }
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A token bucket driven by the host's clock. It starts full; tokens come back one per
/// `refill_ms` and never beyond the capacity (no credit builds up while it is full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenBucket {
    tokens: u32,
    /// When the last token was credited (`None`: never used, i.e. full).
    refilled_at: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket.
    pub const fn new() -> Self {
        Self { tokens: 0, refilled_at: None }
    }

    fn refill(&mut self, cfg: &BucketConfig, now: Instant) {
        let capacity = cfg.capacity.max(1);
        let Some(at) = self.refilled_at else {
            self.tokens = capacity;
            self.refilled_at = Some(now);
            return;
        };
        match now.since(at).checked_div(cfg.refill_ms) {
            // No refill interval: only the burst limits.
            None => self.tokens = capacity,
            Some(0) => {}
            Some(n) => {
                self.tokens = self.tokens.saturating_add(u32::try_from(n).unwrap_or(u32::MAX)).min(capacity);
                // n · refill_ms ≤ now − at: no overflow.
                self.refilled_at = Some(at.after(n * cfg.refill_ms));
            }
        }
        if self.tokens >= capacity {
            self.refilled_at = Some(now);
        }
    }

    /// How long until a command would pass: `None` if one passes now.
    pub fn retry_after_ms(&mut self, cfg: &BucketConfig, now: Instant) -> Option<u64> {
        self.refill(cfg, now);
        if self.tokens > 0 {
            return None;
        }
        let since = self.refilled_at.map_or(0, |at| now.since(at));
        Some(cfg.refill_ms.saturating_sub(since).max(1))
    }

    /// Takes a token: `Ok` if the command passes, else how long to wait (in ms).
    pub fn take(&mut self, cfg: &BucketConfig, now: Instant) -> Result<(), u64> {
        match self.retry_after_ms(cfg, now) {
            Some(wait) => Err(wait),
            None => {
                self.tokens -= 1;
                Ok(())
            }
        }
    }
}

/// The buckets and the server's blocks of every class.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateLimiter {
    buckets: [TokenBucket; 5],
    blocked_until: [Option<Instant>; 5],
}

impl RateLimiter {
    /// `Err(retry_after_ms)` if a command of `class` must be refused now. Takes nothing:
    /// call [`RateLimiter::consume`] once the command went out.
    pub(crate) fn check(&mut self, cfg: &RateLimits, class: RateClass, now: Instant) -> Result<(), u64> {
        let i = class.index();
        let blocked = self.blocked_until[i].filter(|&t| t > now).map(|t| t.since(now));
        let empty = cfg.bucket(class).and_then(|b| self.buckets[i].retry_after_ms(&b, now));
        match (blocked, empty) {
            (None, None) => Ok(()),
            (a, b) => Err(a.unwrap_or(0).max(b.unwrap_or(0))),
        }
    }

    /// Takes the token of a command that `check` let through and that was sent.
    pub(crate) fn consume(&mut self, cfg: &RateLimits, class: RateClass, now: Instant) {
        if let Some(b) = cfg.bucket(class) {
            let _ = self.buckets[class.index()].take(&b, now);
        }
    }

    /// The server refused `class` for `retry_after_ms` (capped): blocks it until then, plus
    /// one millisecond. Hosts pass whole milliseconds rounded down, so `now` can trail the
    /// clock the server measured its window on by up to 1 ms; without the extra
    /// millisecond the retry could reach the server just inside its window and be refused
    /// again.
    ///
    /// Returns the block's length as the server gave it (capped) when a block starts, so
    /// that it is reported once. A signal while the class is already blocked extends the
    /// block if it ends later and is not reported: the reference server signals one
    /// refusal twice (a `rateLimited` event, then the ack), and the host's clock moves
    /// between the two frames, so the second one ends a little later than the first.
    pub(crate) fn block(
        &mut self,
        cfg: &RateLimits,
        class: RateClass,
        now: Instant,
        retry_after_ms: u64,
    ) -> Option<u64> {
        let ms = retry_after_ms.min(cfg.max_server_block_ms);
        let until = now.after(ms + 1);
        let slot = &mut self.blocked_until[class.index()];
        match *slot {
            Some(current) if current > now => {
                *slot = Some(current.max(until));
                None
            }
            _ => {
                *slot = Some(until);
                Some(ms)
            }
        }
    }

    /// Whether the server's block of `class` is still on at `now`.
    pub(crate) fn is_blocked(&self, class: RateClass, now: Instant) -> bool {
        self.blocked_until[class.index()].is_some_and(|t| t > now)
    }

    /// The end of the earliest server block.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.blocked_until.iter().flatten().min().copied()
    }

    /// A class whose block ended at `now` (removed, so each end is reported once).
    pub(crate) fn take_lifted(&mut self, now: Instant) -> Option<RateClass> {
        let class = RateClass::ALL.into_iter().find(|c| self.blocked_until[c.index()].is_some_and(|t| t <= now))?;
        self.blocked_until[class.index()] = None;
        Some(class)
    }
}

/// The `retryAfterMs` of a `rate_limited` refusal (`{"ok":false,"error":{"code":
/// "rate_limited","retryAfterMs":N}}`), `Some(None)` when the code is there without a time.
pub(crate) fn refusal_retry_after(first: &str) -> Option<Option<u64>> {
    let error = crate::wire::json::object_field(first, "error")?;
    if super::string_value(crate::wire::json::object_field(error, "code")) != Some("rate_limited") {
        return None;
    }
    let ms = crate::wire::json::object_field(error, "retryAfterMs")
        .or_else(|| crate::wire::json::object_field(first, "retryAfterMs"));
    Some(ms.and_then(parse_ms))
}

/// A non-negative JSON number of milliseconds (fractions rounded up, as a wait should be).
pub(crate) fn parse_ms(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let whole = int.parse::<u64>().ok()?;
    let up = frac.bytes().take_while(u8::is_ascii_digit).any(|d| d != b'0');
    Some(whole.saturating_add(u64::from(up)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn burst_then_one_per_interval() {
        let cfg = BucketConfig { capacity: 3, refill_ms: 100 };
        let mut b = TokenBucket::new();
        assert!(b.take(&cfg, t(1000)).is_ok() && b.take(&cfg, t(1000)).is_ok() && b.take(&cfg, t(1000)).is_ok());
        assert_eq!(b.take(&cfg, t(1000)), Err(100));
        assert_eq!(b.take(&cfg, t(1040)), Err(60));
        assert!(b.take(&cfg, t(1100)).is_ok());
        assert_eq!(b.take(&cfg, t(1150)), Err(50));
        // A long pause refills to the capacity, not beyond.
        for _ in 0..3 {
            assert!(b.take(&cfg, t(9000)).is_ok());
        }
        assert!(b.take(&cfg, t(9000)).is_err());
        // Time going backwards neither panics nor credits tokens.
        assert!(b.take(&cfg, t(5)).is_err());
    }

    #[test]
    fn server_blocks_outrank_the_bucket_and_lift_once() {
        let cfg = RateLimits::DEFAULT;
        let mut r = RateLimiter::default();
        assert_eq!(r.check(&cfg, RateClass::Reactions, t(0)), Ok(()));
        assert_eq!(r.block(&cfg, RateClass::Reactions, t(0), 3_000), Some(3_000));
        assert_eq!(r.block(&cfg, RateClass::Reactions, t(0), 2_000), None, "a shorter block changes nothing");
        // The block ends 1 ms after the server's time (see `block`).
        assert_eq!(r.check(&cfg, RateClass::Reactions, t(1_000)), Err(2_001));
        assert_eq!(r.check(&cfg, RateClass::Messages, t(1_000)), Ok(()));
        assert_eq!(r.next_deadline(), Some(t(3_001)));
        // The same refusal signalled again 4 ms later (event, then ack): extended, not
        // reported a second time.
        assert_eq!(r.block(&cfg, RateClass::Reactions, t(4), 3_000), None);
        assert_eq!(r.next_deadline(), Some(t(3_005)));
        assert_eq!(r.take_lifted(t(3_004)), None);
        assert_eq!(r.take_lifted(t(3_005)), Some(RateClass::Reactions));
        assert_eq!(r.take_lifted(t(3_005)), None);
        // A block after the last one ended is a new one: reported.
        assert_eq!(r.block(&cfg, RateClass::Reactions, t(3_005), 10), Some(10));
        assert_eq!(r.block(&cfg, RateClass::Calls, t(0), u64::MAX), Some(600_000), "capped");
    }

    #[test]
    fn refusals_and_numbers() {
        let r = r#"{"ok":false,"error":{"code":"rate_limited","message":"x","retryAfterMs":1500}}"#;
        assert_eq!(refusal_retry_after(r), Some(Some(1500)));
        assert_eq!(refusal_retry_after(r#"{"ok":false,"error":{"code":"rate_limited"}}"#), Some(None));
        assert_eq!(refusal_retry_after(r#"{"ok":false,"error":{"code":"forbidden"}}"#), None);
        assert_eq!(refusal_retry_after(r#"{"ok":true}"#), None);
        assert_eq!(parse_ms("12.5"), Some(13));
        assert_eq!(parse_ms("12.0"), Some(12));
        assert_eq!(parse_ms("-3"), None);
        assert_eq!(parse_ms("1e3"), None);
    }
}
