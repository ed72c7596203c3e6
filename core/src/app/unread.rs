//! The unread count behind the badge: the server's `unreadCount` is the truth; between two
//! of them the count rises on a new unread notification and falls optimistically on
//! mark-read. It is never negative.

use heapless::String;

use super::recent::RecentIds;

#[derive(Debug, Clone)]
pub(crate) struct Unread {
    pub count: u32,
    /// Notifications seen unread in this session (so mark-read only lowers the count for
    /// one the client knows to be unread).
    unread_ids: RecentIds<64>,
}

impl Unread {
    pub(crate) const fn new(count: u32) -> Self {
        Self { count, unread_ids: RecentIds::new() }
    }

    pub(crate) fn set_from_server(&mut self, count: u32) {
        self.count = count;
    }

    pub(crate) fn notification_arrived(&mut self, id: &str, read: bool) {
        if !read && self.unread_ids.insert(id) {
            self.count = self.count.saturating_add(1);
        }
    }

    pub(crate) fn mark_read(&mut self, id: &str) {
        if self.unread_ids.remove(id) {
            self.count = self.count.saturating_sub(1);
        }
    }

    /// The notifications counted as unread (hashes, oldest first), for snapshots: a
    /// restored instance must not count them again.
    pub(crate) fn counted(&self) -> impl Iterator<Item = u64> + '_ {
        self.unread_ids.hashes()
    }

    pub(crate) fn restore_counted(&mut self, h: u64) {
        self.unread_ids.insert_hash(h);
    }

    pub(crate) fn mark_all_read(&mut self) {
        self.count = 0;
        self.unread_ids = RecentIds::new();
    }
}

/// The badge text for an unread count: empty for 0, the number up to 99, then `99+`.
pub fn badge_text(count: u32) -> String<3> {
    let mut s = String::new();
    match count {
        0 => {}
        1..=99 => {
            let mut b = itoa::Buffer::new();
            // Cannot fail: at most two digits.
            let _ = s.push_str(b.format(count));
        }
        _ => {
            let _ = s.push_str("99+");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badge() {
        assert_eq!(badge_text(0), "");
        assert_eq!(badge_text(7), "7");
        assert_eq!(badge_text(99), "99");
        assert_eq!(badge_text(100), "99+");
        assert_eq!(badge_text(u32::MAX), "99+");
    }

    #[test]
    fn never_negative_and_server_wins() {
        let mut u = Unread::new(0);
        u.mark_read("x");
        assert_eq!(u.count, 0);
        u.notification_arrived("n1", false);
        u.notification_arrived("n1", false); // duplicate
        u.notification_arrived("n2", true); // already read
        assert_eq!(u.count, 1);
        u.mark_read("n1");
        u.mark_read("n1");
        assert_eq!(u.count, 0);
        u.set_from_server(5);
        assert_eq!(u.count, 5);
        u.mark_all_read();
        assert_eq!(u.count, 0);
    }
}
