//! A bounded output cursor that measures what it could not write.

use super::error::EncodeError;

/// Writes into a caller buffer. When the buffer runs out it stops writing but keeps
/// counting, so that [`Writer::finish`] can say exactly how much room was needed.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
        }
        self.len = end;
    }

    #[inline]
    pub(crate) fn byte(&mut self, b: u8) {
        self.put(&[b]);
    }

    /// Reserves `n` bytes and lets `fill` write them (skipped when they do not fit).
    pub(crate) fn put_with(&mut self, n: usize, fill: impl FnOnce(&mut [u8])) {
        let end = self.len + n;
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            fill(dst);
        }
        self.len = end;
    }

    /// Writes `bytes` as standard padded base64.
    pub(crate) fn base64(&mut self, bytes: &[u8]) {
        use base64::Engine as _;
        let n = bytes.len().div_ceil(3) * 4;
        self.put_with(n, |dst| {
            // Cannot fail: `dst` has exactly the encoded length.
            let _ = base64::engine::general_purpose::STANDARD.encode_slice(bytes, dst);
        });
    }

    pub(crate) fn uint(&mut self, v: u64) {
        let mut tmp = itoa::Buffer::new();
        self.put(tmp.format(v).as_bytes());
    }

    /// Writes `s` as a JSON string literal, escaping what JSON requires (as
    /// `JSON.stringify` does: `"`, `\` and control characters).
    pub(crate) fn json_string(&mut self, s: &str) {
        self.byte(b'"');
        let bytes = s.as_bytes();
        let mut run = 0;
        for (i, &c) in bytes.iter().enumerate() {
            let esc: &[u8] = match c {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            self.put(&bytes[run..i]);
            run = i + 1;
            if esc.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.put(&[b'\\', b'u', b'0', b'0', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]]);
            } else {
                self.put(esc);
            }
        }
        self.put(&bytes[run..]);
        self.byte(b'"');
    }

    pub(crate) fn finish(self) -> Result<usize, EncodeError> {
        if self.len <= self.buf.len() {
            Ok(self.len)
        } else {
            Err(EncodeError::BufferTooSmall { needed: self.len })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_exact_size_needed() {
        let mut small = [0u8; 3];
        let mut w = Writer::new(&mut small);
        w.put(b"ab");
        w.put(b"cd");
        w.byte(b'e');
        assert_eq!(w.finish(), Err(EncodeError::BufferTooSmall { needed: 5 }));
        let mut big = [0u8; 32];
        let mut w = Writer::new(&mut big);
        w.uint(1234);
        w.json_string("a\"\u{1}");
        let n = w.finish().unwrap();
        assert_eq!(&big[..n], b"1234\"a\\\"\\u0001\"");
    }
}
