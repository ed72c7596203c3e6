//! Snapshot and restore of the durable state with postcard: the joined conversations, the
//! outbox with its ids, the unread count, the recovery session, the own read positions. A
//! new process restores it and continues without losing a queued message or a receipt.
//!
//! Not in it, on purpose: presence (stale by the time a process restarts; the server sends
//! it after every connect), calls (a call does not survive its process), uploads (the core
//! never holds the file: the host starts them again with the same id and the server's
//! `uploadStatus` skips what it has), typing and rate limit state (seconds long).

use heapless::Vec;
use serde::{Deserialize, Serialize};

use super::outbox::{Entry, MAX_OUTBOX_MESSAGES};
use super::receipts::{ReadPosition, ReceiptSync};
use super::{AppConfig, Conversation, Realtime, MAX_CONVERSATIONS};
use crate::time::Instant;

/// The snapshot format version written (and the only one read).
pub const SNAPSHOT_VERSION: u16 = 1;

/// Why a snapshot could not be written or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The output buffer is too small.
    BufferTooSmall,
    /// The bytes are not a snapshot (truncated, corrupt, or not one at all).
    Corrupt,
    /// A snapshot of another format version.
    UnsupportedVersion(u16),
    /// The snapshot holds more than this build's tables can (a larger build wrote it).
    TooLarge,
}

impl core::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

impl core::error::Error for SnapshotError {}

/// The wire form. Times are stored as time left, so a process with another clock origin
/// can restore it.
#[derive(Debug, Serialize, Deserialize)]
struct SnapshotV1<'a> {
    version: u16,
    /// FNV-1a of everything after it, so corruption is caught rather than half-read.
    checksum: u64,
    #[serde(borrow)]
    body: Body<'a>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    conversations: Vec<&'a str, MAX_CONVERSATIONS>,
    #[serde(borrow)]
    outbox: Vec<StoredMessage<'a>, MAX_OUTBOX_MESSAGES>,
    next_message: u64,
    unread: u32,
    /// The notifications counted in `unread` (FNV-1a hashes of their ids).
    unread_ids: Vec<u64, 64>,
    #[serde(borrow)]
    recovery: Option<(&'a str, &'a str)>,
    /// The own read positions, in conversation order.
    #[serde(borrow)]
    read_positions: Vec<StoredReadPosition<'a>, MAX_CONVERSATIONS>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredReadPosition<'a> {
    conversation: &'a str,
    message_id: &'a str,
    /// Not yet confirmed by the server: sent again after the next connect.
    pending: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredMessage<'a> {
    id: &'a str,
    conversation: &'a str,
    content: &'a str,
    ttl_left_ms: u64,
}

/// A postcard output that keeps nothing but the FNV-1a hash of the bytes it is given, so
/// the body is hashed as it is serialised, with no buffer of its size.
struct Fnv(u64);

impl postcard::ser_flavors::Flavor for Fnv {
    type Output = u64;

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0 = (self.0 ^ u64::from(data)).wrapping_mul(0x0000_0100_0000_01b3);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<u64> {
        Ok(self.0)
    }
}

fn checksum(body: &Body<'_>) -> Result<u64, SnapshotError> {
    postcard::serialize_with_flavor(body, Fnv(0xcbf2_9ce4_8422_2325)).map_err(|_| SnapshotError::Corrupt)
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// Writes the durable state into `out`; returns the length.
    pub fn snapshot(&mut self, now: Instant, out: &mut [u8]) -> Result<usize, SnapshotError> {
        let mut conversations = Vec::new();
        let mut read_positions = Vec::new();
        for c in &self.state.conversations {
            let _ = conversations.push(c.id.as_str());
            if let Some(r) = &c.read {
                let pending = r.sync != ReceiptSync::Done;
                let _ =
                    read_positions.push(StoredReadPosition { conversation: &c.id, message_id: &r.message_id, pending });
            }
        }
        // The outbox's entries are decoded from its own queue; copy their bytes into the
        // scratch buffer so the snapshot can borrow them.
        let mut copies: Vec<(usize, usize), MAX_OUTBOX_MESSAGES> = Vec::new();
        let mut used = 0;
        let scratch = &mut self.scratch;
        let mut overflow = false;
        self.state.outbox.for_each(|e| {
            if let Ok(bytes) = postcard::to_slice(e, &mut scratch[used..]) {
                let n = bytes.len();
                let _ = copies.push((used, n));
                used += n;
            } else {
                overflow = true;
            }
        });
        if overflow {
            return Err(SnapshotError::BufferTooSmall);
        }
        let stored = &self.scratch[..used];
        let mut outbox = Vec::new();
        for (at, n) in copies {
            let e: Entry<'_> = postcard::from_bytes(&stored[at..at + n]).map_err(|_| SnapshotError::Corrupt)?;
            let _ = outbox.push(StoredMessage {
                id: e.id,
                conversation: e.conversation,
                content: e.content,
                ttl_left_ms: e.expires_at.saturating_sub(now.as_millis()),
            });
        }
        let body = Body {
            conversations,
            outbox,
            next_message: self.state.outbox.counter(),
            unread: self.state.unread.count,
            unread_ids: self.state.unread.counted().collect(),
            recovery: self.client.recovery_session("/"),
            read_positions,
        };
        let snap = SnapshotV1 { version: SNAPSHOT_VERSION, checksum: checksum(&body)?, body };
        postcard::to_slice(&snap, out).map(|s| s.len()).map_err(|_| SnapshotError::BufferTooSmall)
    }

    /// A new app layer with the state of a snapshot: the conversations (joined again on
    /// connect), the outbox (sent again with the same ids), the unread count, the
    /// recovery session and the read positions (the unconfirmed ones sent again once live).
    pub fn restore(cfg: AppConfig, seed: u64, now: Instant, bytes: &[u8]) -> Result<Self, SnapshotError> {
        let version = postcard::take_from_bytes::<u16>(bytes).map_err(|_| SnapshotError::Corrupt)?.0;
        if version != SNAPSHOT_VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let (snap, rest) = postcard::take_from_bytes::<SnapshotV1<'_>>(bytes).map_err(|_| SnapshotError::Corrupt)?;
        if !rest.is_empty() {
            return Err(SnapshotError::Corrupt);
        }
        let mut rt = Self::new(cfg, seed);
        if checksum(&snap.body)? != snap.checksum {
            return Err(SnapshotError::Corrupt);
        }
        let b = snap.body;
        for id in b.conversations {
            let id = heapless::String::try_from(id).map_err(|_| SnapshotError::TooLarge)?;
            rt.state.conversations.push(Conversation::new(id)).map_err(|_| SnapshotError::TooLarge)?;
        }
        for m in b.outbox {
            let entry = Entry {
                id: m.id,
                conversation: m.conversation,
                content: m.content,
                expires_at: now.as_millis() + m.ttl_left_ms,
            };
            rt.state.outbox.insert(&entry).map_err(|_| SnapshotError::TooLarge)?;
        }
        for r in b.read_positions {
            let c = rt.state.conversations.iter_mut().find(|c| c.id == r.conversation).ok_or(SnapshotError::Corrupt)?;
            let message_id = heapless::String::try_from(r.message_id).map_err(|_| SnapshotError::TooLarge)?;
            let sync = if r.pending { ReceiptSync::Pending } else { ReceiptSync::Done };
            c.read = Some(ReadPosition { message_id, sync });
        }
        rt.state.outbox.set_counter(b.next_message);
        rt.state.unread.set_from_server(b.unread);
        for h in b.unread_ids {
            rt.state.unread.restore_counted(h);
        }
        if let Some((pid, offset)) = b.recovery {
            rt.client.restore_recovery_session("/", pid, offset).map_err(|_| SnapshotError::Corrupt)?;
        }
        Ok(rt)
    }
}
