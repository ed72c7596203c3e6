//! Uploads in binary chunks: `uploadChunk {uploadId, index, total, size}` followed by the
//! chunk's bytes as one binary attachment, acked `{ok:true, received, nextIndex}` (with
//! `complete:true` on the last), resumable with `uploadStatus {uploadId}`.
//!
//! The core never holds the file: it asks the host for each chunk
//! (`AppEvent::UploadChunkNeeded`) and sends what `upload_chunk` hands it, one chunk in
//! flight per upload, the next asked for when the previous is acked. So memory does not
//! grow with the file, and a slow link is never flooded.
//!
//! After a lost connection (or an ack that did not come), the upload asks the server where
//! it stands once the app layer is live again (`uploadStatus` → `nextIndex`) and goes on
//! from the first chunk the server does not have. Every upload ends exactly once:
//! `UploadFinished` or `UploadFailed` (`cancel_upload` included).
//!
//! Uploads are not in the snapshot: the core does not have the file, and a new process
//! would need the host to find it again. The host starts them again with the same id; the
//! server's `uploadStatus` then skips what it already has.

use heapless::{String, Vec};

use super::{push_event, valid_id, Answer, AppError, AppEvent, Purpose, RateClass, Realtime, State, MAX_ID_LEN};
use crate::client::{AckHandle, Client, ClientError};
use crate::time::Instant;
use crate::wire::json;

/// The most uploads at once: a few photos picked together. Each is a few dozen bytes here.
pub const MAX_UPLOADS: usize = 4;

/// Upload settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadConfig {
    /// The largest chunk, in bytes. Default 256 KiB, the reference server's limit
    /// (docs/protocol.md). Chunks are also kept within the server's `maxPayload` and half
    /// the send buffer (`OUT / 2`), so that a chunk never stalls the other traffic.
    pub max_chunk_bytes: u32,
    /// How long a chunk's ack may take. Default 30 s: 256 KiB over a poor mobile link
    /// (100 kbit/s) takes about 20 s.
    pub chunk_ack_timeout_ms: u64,
}

impl UploadConfig {
    /// The product's settings.
    pub const DEFAULT: Self = Self { max_chunk_bytes: 256 * 1024, chunk_ack_timeout_ms: 30_000 };
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why an upload command was refused. Nothing was sent and the upload is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadError {
    /// No upload with this id (never started, or already ended).
    UnknownUpload,
    /// An upload with this id is in progress.
    DuplicateUpload,
    /// [`MAX_UPLOADS`] uploads are in progress.
    TooManyUploads,
    /// `chunk_size` is 0, or the file needs more than `u32::MAX` chunks.
    InvalidSize,
    /// This chunk was not asked for (another index, or the upload is waiting for the
    /// connection: it asks again when it is back).
    ChunkNotNeeded,
    /// The bytes are not the length that was asked for.
    WrongChunkLength {
        /// The length asked for.
        expected: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Waiting to be live; then ask the server where it stands, or ask the host for `next`.
    Paused { ask_status: bool },
    /// The host was asked for chunk `next`.
    NeedChunk,
    /// Chunk `next` is on its way.
    Sending(AckHandle),
    /// `uploadStatus` is on its way.
    Status(AckHandle),
    /// Refused for the rate limit: as `Paused` once the block ends.
    Blocked { ask_status: bool },
}

#[derive(Debug, Clone)]
struct Upload {
    id: String<MAX_ID_LEN>,
    total_bytes: u64,
    chunk: u32,
    chunks: u32,
    /// The chunk asked for or in flight; every chunk before it is on the server.
    next: u32,
    /// A chunk went out: after an interruption the server must be asked where it stands.
    sent_any: bool,
    step: Step,
}

impl Upload {
    fn offset(&self, index: u32) -> u64 {
        u64::from(index).saturating_mul(u64::from(self.chunk)).min(self.total_bytes)
    }

    fn len(&self, index: u32) -> u32 {
        let rest = self.total_bytes - self.offset(index);
        u32::try_from(rest.min(u64::from(self.chunk))).unwrap_or(self.chunk)
    }
}

/// The uploads in progress.
#[derive(Debug, Clone, Default)]
pub(crate) struct Uploads {
    list: Vec<Upload, MAX_UPLOADS>,
    /// The server's `maxPayload`, once a refused chunk told it.
    max_payload: Option<usize>,
}

impl Uploads {
    fn find(&self, id: &str) -> Option<usize> {
        self.list.iter().position(|u| u.id == id)
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

/// How many chunks of `chunk` bytes a file of `total` bytes is (an empty file is one
/// empty chunk: the server counts at least one).
fn chunk_count(total: u64, chunk: u32) -> Option<u32> {
    let n = total.div_ceil(u64::from(chunk.max(1))).max(1);
    u32::try_from(n).ok()
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The `uploadChunk` metadata.
fn chunk_meta(id: &str, index: u32, total: u32, size: u32) -> String<{ MAX_ID_LEN + 80 }> {
    let mut s = String::new();
    let (mut a, mut b, mut c) = (itoa::Buffer::new(), itoa::Buffer::new(), itoa::Buffer::new());
    let parts = [
        "{\"uploadId\":\"",
        id,
        "\",\"index\":",
        a.format(index),
        ",\"total\":",
        b.format(total),
        ",\"size\":",
        c.format(size),
        "}",
    ];
    for p in parts {
        // Cannot fail: the id is at most MAX_ID_LEN bytes, the numbers 10 digits each.
        let _ = s.push_str(p);
    }
    s
}

fn status_arg(id: &str) -> String<{ MAX_ID_LEN + 16 }> {
    let mut s = String::new();
    for p in ["{\"uploadId\":\"", id, "\"}"] {
        let _ = s.push_str(p);
    }
    s
}

fn field_u32(first: &str, key: &str) -> Option<u32> {
    json::object_field(first, key)?.parse().ok()
}

impl<const OUT: usize, const IN: usize> State<OUT, IN> {
    fn ask_chunk(&mut self, i: usize) {
        let u = &mut self.uploads.list[i];
        u.step = Step::NeedChunk;
        let (index, offset, len) = (u.next, u.offset(u.next), u.len(u.next));
        push_event(&mut self.events, &AppEvent::UploadChunkNeeded { upload_id: &u.id, index, offset, len });
    }

    fn finish_upload(&mut self, i: usize) {
        let u = self.uploads.list.swap_remove(i);
        push_event(&mut self.events, &AppEvent::UploadFinished { upload_id: &u.id, total_bytes: u.total_bytes });
    }

    fn fail_upload(&mut self, i: usize, reason: &str) {
        let u = self.uploads.list.swap_remove(i);
        push_event(&mut self.events, &AppEvent::UploadFailed { upload_id: &u.id, reason });
    }

    /// The server has every chunk before `next`: progress, then the next chunk or the end.
    fn upload_reached(&mut self, i: usize, next: u32, complete: bool) {
        let u = &mut self.uploads.list[i];
        if complete || next >= u.chunks {
            return self.finish_upload(i);
        }
        u.next = next;
        let acked_bytes = u.offset(next);
        push_event(
            &mut self.events,
            &AppEvent::UploadProgress { upload_id: &u.id, acked_bytes, total_bytes: u.total_bytes },
        );
        self.ask_chunk(i);
    }

    /// The answer to a chunk or to `uploadStatus`.
    pub(super) fn on_upload_ack(&mut self, ack: AckHandle, answer: Answer<'_>) {
        let Some(i) =
            self.uploads.list.iter().position(|u| matches!(u.step, Step::Sending(h) | Step::Status(h) if h == ack))
        else {
            return; // cancelled
        };
        let u = &mut self.uploads.list[i];
        let status = matches!(u.step, Step::Status(_));
        match answer {
            Answer::Ok(first) if status => {
                let total = json::object_field(first, "total").unwrap_or("null");
                if total != "null" && total.parse::<u32>().ok() != Some(u.chunks) {
                    return self.fail_upload(i, "total_mismatch");
                }
                let next = if total == "null" { 0 } else { field_u32(first, "nextIndex").unwrap_or(0) };
                self.upload_reached(i, next, false);
            }
            Answer::Ok(first) => {
                let next = field_u32(first, "nextIndex").unwrap_or(u.next.saturating_add(1));
                let complete = json::object_field(first, "complete") == Some("true");
                self.upload_reached(i, next, complete);
            }
            Answer::Refused(reason) => self.fail_upload(i, reason),
            // The server did not take it: the same request once the block ends.
            Answer::RateLimited(_) => u.step = Step::Blocked { ask_status: status },
            // Lost or late: whether the chunk arrived is unknown; ask when live.
            Answer::None => u.step = Step::Paused { ask_status: true },
        }
    }

    /// The connection is lost: a chunk the host is still reading is asked for again later.
    pub(super) fn uploads_connection_lost(&mut self) {
        for u in self.uploads.list.iter_mut() {
            if u.step == Step::NeedChunk {
                u.step = Step::Paused { ask_status: u.sent_any };
            }
        }
    }

    /// When live and not blocked: every paused upload asks the server where it stands (or
    /// the host for its next chunk).
    pub(super) fn pump_uploads(&mut self, now: Instant, client: &mut Client<OUT, IN>) {
        for i in 0..self.uploads.list.len() {
            let (Step::Paused { ask_status } | Step::Blocked { ask_status }) = self.uploads.list[i].step else {
                continue;
            };
            if !ask_status {
                self.ask_chunk(i);
                continue;
            }
            let arg = status_arg(&self.uploads.list[i].id);
            match client.emit_with_ack(now, "/", self.cfg.contract.upload_status, &[&arg], None) {
                Ok(h) => {
                    self.uploads.list[i].step = Step::Status(h);
                    let _ = self.own_acks.push((h, Purpose::Upload));
                }
                Err(_) => return, // the connection's buffers are full: next input
            }
        }
    }
}

impl<const OUT: usize, const IN: usize> Realtime<OUT, IN> {
    /// Uploads in progress (at most [`MAX_UPLOADS`]).
    pub fn uploads_in_progress(&self) -> usize {
        self.state.uploads.len()
    }

    /// Starts uploading a file of `total_bytes` in chunks of `chunk_size` bytes (clamped to
    /// [`UploadConfig::max_chunk_bytes`], the server's `maxPayload` and `OUT / 2`); returns
    /// the chunk size used. The host is asked for chunk 0 at once when live, else once the
    /// app layer is live. Refused by the `Uploads` rate limit.
    pub fn start_upload(
        &mut self,
        now: Instant,
        upload_id: &str,
        total_bytes: u64,
        chunk_size: u32,
    ) -> Result<u32, AppError> {
        if !valid_id(upload_id) {
            return Err(AppError::InvalidId);
        }
        let s = &mut self.state;
        let max_payload = s.uploads.max_payload.unwrap_or(s.cfg.client.default_max_payload);
        let chunk = chunk_size.min(s.cfg.uploads.max_chunk_bytes).min(saturate(max_payload)).min(saturate(OUT / 2));
        if chunk_size == 0 || chunk == 0 {
            return Err(AppError::Upload(UploadError::InvalidSize));
        }
        let chunks = chunk_count(total_bytes, chunk).ok_or(AppError::Upload(UploadError::InvalidSize))?;
        if s.uploads.find(upload_id).is_some() {
            return Err(AppError::Upload(UploadError::DuplicateUpload));
        }
        if s.uploads.list.is_full() {
            return Err(AppError::Upload(UploadError::TooManyUploads));
        }
        s.check_rate(RateClass::Uploads, now)?;
        s.rate.consume(&s.cfg.rate_limits, RateClass::Uploads, now);
        let id = String::try_from(upload_id).map_err(|_| AppError::InvalidId)?;
        let step = Step::Paused { ask_status: false };
        let _ = s.uploads.list.push(Upload { id, total_bytes, chunk, chunks, next: 0, sent_any: false, step });
        self.process(now);
        Ok(chunk)
    }

    /// The bytes of the chunk `AppEvent::UploadChunkNeeded` asked for: sent with its
    /// metadata as one binary attachment. An error means the chunk was not taken and the
    /// upload is unchanged (`Client(SendBufferFull)`: offer it again after draining the
    /// transmits); an upload that cannot go on ends with `UploadFailed` instead.
    pub fn upload_chunk(&mut self, now: Instant, upload_id: &str, index: u32, bytes: &[u8]) -> Result<(), AppError> {
        let s = &mut self.state;
        let i = s.uploads.find(upload_id).ok_or(AppError::Upload(UploadError::UnknownUpload))?;
        let u = &s.uploads.list[i];
        if u.step != Step::NeedChunk || u.next != index {
            return Err(AppError::Upload(UploadError::ChunkNotNeeded));
        }
        let expected = u.len(index);
        if bytes.len() != expected as usize {
            return Err(AppError::Upload(UploadError::WrongChunkLength { expected }));
        }
        let meta = chunk_meta(&u.id, index, u.chunks, expected);
        let timeout = Some(s.cfg.uploads.chunk_ack_timeout_ms);
        match self.client.emit_binary(now, "/", s.cfg.contract.upload_chunk, &[&meta], &[bytes], timeout) {
            Ok((_, Some(h))) => {
                let u = &mut s.uploads.list[i];
                u.step = Step::Sending(h);
                u.sent_any = true;
                let _ = s.own_acks.push((h, Purpose::Upload));
            }
            Ok((_, None)) => return Err(AppError::Client(ClientError::AckTableFull)),
            Err(ClientError::PayloadTooLarge { max, .. }) => {
                // The server's maxPayload is smaller than assumed. Before anything was sent
                // the chunks can still shrink; later the indices are fixed.
                s.uploads.max_payload = Some(max);
                let u = &mut s.uploads.list[i];
                let fits = saturate(max).min(saturate(OUT / 2));
                match chunk_count(u.total_bytes, fits) {
                    Some(chunks) if !u.sent_any && fits > 0 && fits < u.chunk => {
                        (u.chunk, u.chunks) = (fits, chunks);
                        s.ask_chunk(i);
                    }
                    _ => s.fail_upload(i, "payload_too_large"),
                }
            }
            Err(e @ (ClientError::SendBufferFull | ClientError::AckTableFull)) => return Err(AppError::Client(e)),
            Err(_) => s.fail_upload(i, "invalid"),
        }
        self.process(now);
        Ok(())
    }

    /// Cancels an upload: it ends now with `UploadFailed { reason: "cancelled" }` (a chunk
    /// already queued still goes out; its ack is ignored).
    pub fn cancel_upload(&mut self, now: Instant, upload_id: &str) -> Result<(), AppError> {
        let s = &mut self.state;
        let i = s.uploads.find(upload_id).ok_or(AppError::Upload(UploadError::UnknownUpload))?;
        if let Step::Sending(h) | Step::Status(h) = s.uploads.list[i].step {
            self.client.cancel_ack(now, h);
        }
        s.fail_upload(i, "cancelled");
        self.process(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_metadata() {
        assert_eq!(chunk_count(0, 10), Some(1));
        assert_eq!(chunk_count(10, 10), Some(1));
        assert_eq!(chunk_count(11, 10), Some(2));
        assert_eq!(chunk_count(u64::MAX, 1), None);
        let u = Upload {
            id: String::try_from("f").unwrap(),
            total_bytes: 25,
            chunk: 10,
            chunks: 3,
            next: 0,
            sent_any: false,
            step: Step::NeedChunk,
        };
        assert_eq!((u.offset(2), u.len(2)), (20, 5));
        assert_eq!((u.offset(7), u.len(7)), (25, 0));
        assert_eq!(chunk_meta("f", 2, 3, 5), r#"{"uploadId":"f","index":2,"total":3,"size":5}"#);
        assert_eq!(status_arg("f"), r#"{"uploadId":"f"}"#);
    }
}
