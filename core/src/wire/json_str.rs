//! A JSON string borrowed from a frame, still escaped.
//!
//! Decoding is zero-copy, so an event name or a string argument is handed out as the raw
//! text between its quotes. Almost every real name has no escapes; for the rest,
//! [`JsonStr::chars`] decodes on the fly and [`JsonStr::unescape_into`] writes the text
//! into a caller buffer. Nothing allocates.

use core::fmt;

/// The raw (escaped) contents of a validated JSON string, without its quotes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonStr<'a> {
    raw: &'a str,
}

impl<'a> JsonStr<'a> {
    /// Wraps the text between the quotes of a string the scanner has validated.
    pub(crate) fn from_validated(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The raw, still-escaped text between the quotes.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The text itself when it has no escapes (the common case), borrowed from the frame.
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.raw.as_bytes().contains(&b'\\') {
            None
        } else {
            Some(self.raw)
        }
    }

    /// The unescaped characters. A lone surrogate escape becomes U+FFFD, as a
    /// JavaScript string would show it when converted to UTF-8.
    pub fn chars(&self) -> Unescaped<'a> {
        Unescaped { rest: self.raw.as_bytes(), pending_low: None }
    }

    /// Compares the unescaped text with `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        match self.as_plain() {
            Some(plain) => plain == s,
            None => self.chars().eq(s.chars()),
        }
    }

    /// Writes the unescaped text into `out` and returns it, or `None` if `out` is too small.
    pub fn unescape_into<'b>(&self, out: &'b mut [u8]) -> Option<&'b str> {
        let mut len = 0;
        for c in self.chars() {
            let n = c.len_utf8();
            let dst = out.get_mut(len..len + n)?;
            c.encode_utf8(dst);
            len += n;
        }
        core::str::from_utf8(&out[..len]).ok()
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.raw)
    }
}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for c in self.chars() {
            f.write_char(c)?;
        }
        Ok(())
    }
}

/// Iterator over the unescaped characters of a [`JsonStr`].
pub struct Unescaped<'a> {
    rest: &'a [u8],
    pending_low: Option<char>,
}

fn hex4(b: &[u8]) -> u32 {
    b.iter().take(4).fold(0, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => d.wrapping_sub(b'A').wrapping_add(10),
        };
        acc * 16 + u32::from(v)
    })
}

impl Iterator for Unescaped<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(c) = self.pending_low.take() {
            return Some(c);
        }
        let (&first, tail) = self.rest.split_first()?;
        if first != b'\\' {
            // Validated UTF-8: decode one scalar from the front.
            let len = match first {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let (head, rest) = self.rest.split_at(len.min(self.rest.len()));
            self.rest = rest;
            return core::str::from_utf8(head).ok().and_then(|s| s.chars().next());
        }
        let (&esc, tail) = tail.split_first()?;
        self.rest = tail;
        let c = match esc {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(self.rest);
                self.rest = self.rest.get(4..).unwrap_or(&[]);
                if (0xd800..0xdc00).contains(&hi) && self.rest.starts_with(b"\\u") {
                    let lo = hex4(&self.rest[2..]);
                    if (0xdc00..0xe000).contains(&lo) {
                        self.rest = self.rest.get(6..).unwrap_or(&[]);
                        let code = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                        return char::from_u32(code);
                    }
                }
                char::from_u32(hi).unwrap_or('\u{fffd}')
            }
            other => char::from(other),
        };
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_like_json_parse() {
        let s = JsonStr::from_validated(r#"a\"b\\c\/\n\u00e9\ud83d\ude00x\ud800"#);
        let mut buf = [0u8; 64];
        assert_eq!(s.unescape_into(&mut buf), Some("a\"b\\c/\né😀x\u{fffd}"));
        assert!(s.as_plain().is_none());
        assert!(JsonStr::from_validated(r"conn\u0065ct").eq_str("connect"));
        assert!(JsonStr::from_validated("日本").eq_str("日本"));
        assert!(!JsonStr::from_validated("ab").eq_str("abc"));
        assert_eq!(JsonStr::from_validated("abc").unescape_into(&mut [0u8; 2]), None);
    }
}
