//! Time as the host gives it: milliseconds on a monotonic clock, never read by the core.

/// A point on the host's monotonic clock, in milliseconds. The origin is the host's
/// choice (boot, process start); only differences matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The instant `ms` milliseconds after the host clock's origin.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the host clock's origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `ms` milliseconds later (saturating).
    pub const fn after(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// A deadline `ms` after `self`, at least 1 ms later: a deadline computed while
    /// handling an input is always in the future, so one input never fires a chain of
    /// zero-length deadlines (a zero timeout or delay becomes 1 ms).
    pub(crate) const fn deadline(self, ms: u64) -> Self {
        self.after(if ms == 0 { 1 } else { ms })
    }

    /// Milliseconds from `earlier` to `self` (0 if `earlier` is later).
    pub const fn since(self, earlier: Instant) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// Keeps time moving forward: a `now` earlier than the last one seen is clamped to it
/// (phones and VMs can hand out such values after suspend or clock quirks).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Clock {
    last: Instant,
}

impl Clock {
    pub(crate) fn advance(&mut self, now: Instant) -> Instant {
        if now > self.last {
            self.last = now;
        }
        self.last
    }
}
