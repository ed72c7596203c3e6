//! A bounded FIFO of byte records in a fixed array: the core's only "heap".
//!
//! Each record is a small header (`tag`, `slot`, `aux`) and a body. Records are kept
//! contiguous in `[start, end)`; when the tail runs out of room the live records are moved
//! to the front. Bodies can be written in place ([`RecordQueue::push_with`]), so an encoder
//! or serializer writes straight into the queue.

/// Bytes of bookkeeping per record.
pub(crate) const HEADER: usize = 1 + 1 + 8 + 4;

/// A record as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub tag: u8,
    pub slot: u8,
    pub aux: u64,
    pub body: &'a [u8],
}

/// The queue has no room for a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

#[derive(Clone)]
pub(crate) struct RecordQueue<const N: usize> {
    buf: [u8; N],
    start: usize,
    end: usize,
    count: usize,
}

impl<const N: usize> core::fmt::Debug for RecordQueue<N> {
    // Never prints bodies: they may hold tokens.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordQueue").field("records", &self.count).field("bytes", &(self.end - self.start)).finish()
    }
}

impl<const N: usize> RecordQueue<N> {
    pub(crate) const fn new() -> Self {
        Self { buf: [0; N], start: 0, end: 0, count: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Bytes in use, headers included.
    pub(crate) fn used(&self) -> usize {
        self.end - self.start
    }

    pub(crate) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
        self.count = 0;
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
    }

    /// Appends a record whose body `fill` writes into the free space it is given; `fill`
    /// returns the body length, or `None` if the space was not enough.
    pub(crate) fn push_with(
        &mut self,
        tag: u8,
        slot: u8,
        aux: u64,
        mut fill: impl FnMut(&mut [u8]) -> Option<usize>,
    ) -> Result<usize, Full> {
        if self.count == 0 {
            self.start = 0;
            self.end = 0;
        }
        let len = match self.buf.get_mut(self.end + HEADER..).and_then(&mut fill) {
            Some(len) => len,
            // Not enough room at the tail: move the live records to the front and retry.
            None if self.start > 0 => {
                self.compact();
                self.buf.get_mut(self.end + HEADER..).and_then(&mut fill).ok_or(Full)?
            }
            None => return Err(Full),
        };
        let len32 = u32::try_from(len).map_err(|_| Full)?;
        let h = &mut self.buf[self.end..self.end + HEADER];
        h[0] = tag;
        h[1] = slot;
        h[2..10].copy_from_slice(&aux.to_le_bytes());
        h[10..14].copy_from_slice(&len32.to_le_bytes());
        self.end += HEADER + len;
        self.count += 1;
        Ok(len)
    }

    pub(crate) fn push(&mut self, tag: u8, slot: u8, aux: u64, body: &[u8]) -> Result<(), Full> {
        self.push_with(tag, slot, aux, |free| {
            free.get_mut(..body.len())?.copy_from_slice(body);
            Some(body.len())
        })
        .map(|_| ())
    }

    fn read(&self, at: usize) -> (Record<'_>, usize) {
        let h = &self.buf[at..at + HEADER];
        let mut aux = [0u8; 8];
        aux.copy_from_slice(&h[2..10]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&h[10..14]);
        let len = u32::from_le_bytes(len) as usize;
        let body = &self.buf[at + HEADER..at + HEADER + len];
        (Record { tag: h[0], slot: h[1], aux: u64::from_le_bytes(aux), body }, at + HEADER + len)
    }

    pub(crate) fn front(&self) -> Option<Record<'_>> {
        (self.count > 0).then(|| self.read(self.start).0)
    }

    /// Removes the first record and returns it; its body stays readable until the next
    /// mutation.
    pub(crate) fn pop(&mut self) -> Option<Record<'_>> {
        if self.count == 0 {
            return None;
        }
        let at = self.start;
        let (_, next) = self.read(at);
        self.start = next;
        self.count -= 1;
        if self.count == 0 {
            // Keep `start..end` empty but leave the bytes: the record returned below
            // still points at them.
            self.end = self.start;
        }
        Some(self.read(at).0)
    }

    /// Visits the records in order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(Record<'_>)) {
        let mut at = self.start;
        for _ in 0..self.count {
            let (r, next) = self.read(at);
            f(r);
            at = next;
        }
    }

    /// Rewrites the headers of the records for which `f` returns a new `(tag, aux)`.
    pub(crate) fn update_headers(&mut self, mut f: impl FnMut(&Record<'_>) -> Option<(u8, u64)>) {
        let mut at = self.start;
        for _ in 0..self.count {
            let (r, next) = self.read(at);
            if let Some((tag, aux)) = f(&r) {
                self.buf[at] = tag;
                self.buf[at + 2..at + 10].copy_from_slice(&aux.to_le_bytes());
            }
            at = next;
        }
    }

    /// Keeps the records for which `keep` is true, in order; hands every other one to
    /// `removed` (in order) before dropping it.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Record<'_>) -> bool, mut removed: impl FnMut(Record<'_>)) {
        self.compact();
        let (mut read, mut write, mut kept) = (0usize, 0usize, 0usize);
        for _ in 0..self.count {
            let (r, next) = self.read(read);
            if keep(&r) {
                let size = next - read;
                self.buf.copy_within(read..next, write);
                write += size;
                kept += 1;
            } else {
                removed(r);
            }
            read = next;
        }
        self.end = write;
        self.count = kept;
    }

    /// Moves every record of `self` for which `take` is true to the back of `dst`, in
    /// order. Records that do not fit in `dst` stay in `self` (and `Full` is returned).
    pub(crate) fn move_into<const M: usize>(
        &mut self,
        dst: &mut RecordQueue<M>,
        mut take: impl FnMut(&Record<'_>) -> bool,
    ) -> Result<(), Full> {
        let mut full = false;
        let mut moving = |r: &Record<'_>| {
            if full || !take(r) {
                return true;
            }
            if dst.push(r.tag, r.slot, r.aux, r.body).is_err() {
                full = true;
                return true;
            }
            false
        };
        self.retain(|r| moving(r), |_| {});
        if full {
            Err(Full)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_compaction_and_bounds() {
        let mut q: RecordQueue<64> = RecordQueue::new();
        q.push(1, 0, 7, b"abcdefghij").unwrap(); // 24 bytes
        q.push(2, 1, 8, b"klmnopqrst").unwrap(); // 48
        assert_eq!(q.push(3, 0, 0, b"uvwxyz"), Err(Full));
        let r = q.pop().unwrap();
        assert_eq!((r.tag, r.aux, r.body), (1, 7, &b"abcdefghij"[..]));
        q.push(3, 0, 0, b"uvwxyz").unwrap(); // fits after compaction
        assert_eq!(q.len(), 2);
        assert_eq!(q.front().map(|r| r.tag), Some(2));
        let mut other: RecordQueue<64> = RecordQueue::new();
        q.move_into(&mut other, |r| r.tag == 3).unwrap();
        assert_eq!((q.len(), other.len()), (1, 1));
        assert_eq!(other.pop().unwrap().body, b"uvwxyz");
        assert_eq!(q.pop().unwrap().body, b"klmnopqrst");
        assert!(q.pop().is_none());
        assert_eq!(q.used(), 0);
    }
}
