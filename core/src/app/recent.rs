//! A bounded window of recently seen ids, for de-duplication (messages replayed after a
//! recovery, notifications sent twice). Ids are kept as 64-bit FNV-1a hashes: fixed size
//! whatever the id length; a false "seen" needs a 64-bit collision within the window.

/// The last `N` ids seen.
#[derive(Debug, Clone)]
pub(crate) struct RecentIds<const N: usize> {
    hashes: [u64; N],
    next: usize,
    len: usize,
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

impl<const N: usize> RecentIds<N> {
    pub(crate) const fn new() -> Self {
        Self { hashes: [0; N], next: 0, len: 0 }
    }

    /// Records `id`; returns false if it was already in the window.
    pub(crate) fn insert(&mut self, id: &str) -> bool {
        let h = fnv1a(id.as_bytes());
        if self.hashes[..self.len].contains(&h) {
            return false;
        }
        self.hashes[self.next] = h;
        self.next = (self.next + 1) % N;
        self.len = (self.len + 1).min(N);
        true
    }

    /// The ids' hashes, oldest first (forgotten ones left out), for snapshots.
    pub(crate) fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        let (older, newer) = if self.len < N {
            (&self.hashes[..0], &self.hashes[..self.len])
        } else {
            (&self.hashes[self.next..], &self.hashes[..self.next])
        };
        older.iter().chain(newer).copied().filter(|&h| h != 0)
    }

    /// Records a hash from [`RecentIds::hashes`] (restoring a snapshot).
    pub(crate) fn insert_hash(&mut self, h: u64) {
        if h != 0 && !self.hashes[..self.len].contains(&h) {
            self.hashes[self.next] = h;
            self.next = (self.next + 1) % N;
            self.len = (self.len + 1).min(N);
        }
    }

    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let h = fnv1a(id.as_bytes());
        match self.hashes[..self.len].iter().position(|&x| x == h) {
            Some(i) => {
                self.hashes[i] = 0;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_forgets_the_oldest() {
        let mut r: RecentIds<2> = RecentIds::new();
        assert!(r.insert("a") && r.insert("b"));
        assert!(!r.insert("a"));
        assert!(r.insert("c")); // evicts "a"
        assert!(r.insert("a"));
        assert!(r.remove("c") && !r.remove("zz"));
    }
}
