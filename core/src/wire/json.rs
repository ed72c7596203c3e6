//! A validating, zero-copy JSON scanner with a nesting-depth limit.
//!
//! Why hand-written: `serde-json-core` deserialises into *typed* structs; it cannot walk
//! an arbitrary JSON value, report where its parts are (we need the span of an event's
//! name and of each argument so that a decoded event can borrow them from the frame),
//! spot Socket.IO binary placeholders (`{"_placeholder":true,"num":N}`), or bound the
//! nesting depth. No maintained no_std crate does that without an allocator, so this
//! module does exactly that and nothing more. It never allocates and never recurses:
//! containers are tracked on a fixed stack of [`MAX_DEPTH_LIMIT`] entries.
//!
//! The grammar is RFC 8259, as `JSON.parse` accepts it: whitespace between tokens,
//! `\uXXXX` escapes (lone surrogates included), no control characters inside strings.
//! Input is `&str`, so it is already valid UTF-8.

/// The hard ceiling for [`crate::wire::Limits::max_depth`]: the size of the scanner's
/// fixed container stack.
pub const MAX_DEPTH_LIMIT: u8 = 64;

/// What went wrong while scanning JSON, at a byte offset into the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not valid JSON at this offset.
    Syntax(usize),
    /// Nested deeper than the configured limit at this offset.
    TooDeep(usize),
    /// A binary placeholder whose `num` is not an attachment index below the count.
    Placeholder(usize),
}

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `{...}`
    Object,
    /// `[...]`
    Array,
    /// `"..."`
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`
    Null,
}

/// A value's kind and its byte span in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub kind: JsonKind,
    pub start: usize,
    pub end: usize,
}

/// What a full scan learned about the top-level value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outline {
    /// The top-level value.
    pub top: Span,
    /// If the top-level value is a non-empty array: its first element.
    pub first: Option<Span>,
}

/// Placeholder bookkeeping for one open container (binary packets only).
#[derive(Clone, Copy)]
struct Level {
    /// Which key the value being scanned belongs to (objects only).
    key: KeyTag,
    /// Saw `"_placeholder": true` in this object.
    placeholder: bool,
    /// Value of `"num"` in this object, if it was a whole number that fits u32.
    num: Option<u32>,
    /// Saw a `"num"` key at all (whatever its value).
    has_num: bool,
    start: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyTag {
    Other,
    Placeholder,
    Num,
}

const LEVEL: Level = Level { key: KeyTag::Other, placeholder: false, num: None, has_num: false, start: 0 };

/// Scans `text` as exactly one JSON value (surrounding whitespace allowed).
///
/// `max_depth` bounds container nesting (clamped to [`MAX_DEPTH_LIMIT`]).
/// `attachments`: when `Some(n)`, every object with `"_placeholder": true` must carry a
/// `"num"` that is an integer in `0..n` (Socket.IO binary packets); when `None`,
/// placeholders are ordinary objects.
pub(crate) fn scan(text: &str, max_depth: u8, attachments: Option<u8>) -> Result<Outline, JsonError> {
    match attachments {
        // The common case keeps no per-level state: nesting is a bitmask.
        None => scan_impl::<0>(text, max_depth, 0),
        Some(n) => scan_impl::<{ MAX_DEPTH_LIMIT as usize }>(text, max_depth, n),
    }
}

/// The scanner. `PH` is the size of the placeholder stack: 0 (no placeholder checks, no
/// per-level state at all) or [`MAX_DEPTH_LIMIT`].
#[inline(always)]
fn scan_impl<const PH: usize>(text: &str, max_depth: u8, attachments: u8) -> Result<Outline, JsonError> {
    let b = text.as_bytes();
    let max_depth = max_depth.min(MAX_DEPTH_LIMIT) as usize;
    let mut levels = [LEVEL; PH];
    // Bit `d` is set when the container at depth `d + 1` is an object.
    let mut objects: u64 = 0;
    let mut depth = 0usize;
    let mut pos = skip_ws(b, 0);
    let top_start = pos;
    // Start of the current element of the top-level container.
    let mut elem_start = 0usize;
    let top: Span;
    let mut first: Option<Span> = None;
    // Element index within the top-level array (only tracked at depth 1).
    let mut top_index = 0usize;

    'value: loop {
        // ---- scan one value starting at `pos` ----
        let start = pos;
        if depth == 1 {
            elem_start = start;
        }
        let kind = match b.get(pos) {
            Some(&open @ (b'{' | b'[')) => {
                if depth >= max_depth {
                    return Err(JsonError::TooDeep(pos));
                }
                let is_object = open == b'{';
                if is_object {
                    objects |= 1 << depth;
                } else {
                    objects &= !(1 << depth);
                }
                if PH > 0 {
                    levels[depth] = Level { start: pos, ..LEVEL };
                }
                depth += 1;
                pos = skip_ws(b, pos + 1);
                let close = if is_object { b'}' } else { b']' };
                if b.get(pos) == Some(&close) {
                    pos += 1;
                    depth -= 1;
                    if is_object {
                        JsonKind::Object
                    } else {
                        JsonKind::Array
                    }
                } else if is_object {
                    pos = scan_key(b, pos, &mut levels, depth)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            Some(b'"') => {
                pos = skip_string(b, pos)?;
                JsonKind::String
            }
            Some(b'-' | b'0'..=b'9') => {
                let (end, int) = scan_number(b, pos)?;
                if PH > 0 && depth > 0 && levels[depth - 1].key == KeyTag::Num {
                    levels[depth - 1].num = int;
                }
                pos = end;
                JsonKind::Number
            }
            Some(b't') => {
                pos = literal(b, pos, b"true")?;
                if PH > 0 && depth > 0 && levels[depth - 1].key == KeyTag::Placeholder {
                    levels[depth - 1].placeholder = true;
                }
                JsonKind::Bool
            }
            Some(b'f') => {
                pos = literal(b, pos, b"false")?;
                JsonKind::Bool
            }
            Some(b'n') => {
                pos = literal(b, pos, b"null")?;
                JsonKind::Null
            }
            _ => return Err(JsonError::Syntax(pos)),
        };
        let mut done = Span { kind, start, end: pos };

        // ---- after a value: close containers / move to the next element ----
        loop {
            if depth == 0 {
                top = done;
                break 'value;
            }
            let is_object = (objects >> (depth - 1)) & 1 == 1;
            if depth == 1 && !is_object {
                if top_index == 0 {
                    first = Some(done);
                }
                top_index += 1;
            }
            pos = skip_ws(b, pos);
            match (b.get(pos), is_object) {
                (Some(b','), true) => {
                    pos = scan_key(b, skip_ws(b, pos + 1), &mut levels, depth)?;
                    continue 'value;
                }
                (Some(b','), false) => {
                    pos = skip_ws(b, pos + 1);
                    continue 'value;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    depth -= 1;
                    pos += 1;
                    if PH > 0 {
                        let closed = levels[depth];
                        if is_object && closed.placeholder {
                            let ok = matches!(closed.num, Some(num) if num < u32::from(attachments));
                            if !ok || !closed.has_num {
                                return Err(JsonError::Placeholder(closed.start));
                            }
                        }
                        // A closed container is not a scalar: it never sets its parent's
                        // placeholder flags.
                        if depth > 0 {
                            levels[depth - 1].key = KeyTag::Other;
                        }
                    }
                    let kind = if is_object { JsonKind::Object } else { JsonKind::Array };
                    // Only the top value's and the top-level elements' spans are used.
                    let start = match depth {
                        0 => top_start,
                        1 => elem_start,
                        _ => 0,
                    };
                    done = Span { kind, start, end: pos };
                }
                _ => return Err(JsonError::Syntax(pos)),
            }
        }
    }

    let end = skip_ws(b, pos);
    if end != b.len() {
        return Err(JsonError::Syntax(end));
    }
    Ok(Outline { top, first })
}

/// Scans `"key"` then `:` and returns the position of the value. With a placeholder
/// stack (`PH > 0`), records which key it was in the container at `depth`.
#[inline(always)]
fn scan_key<const PH: usize>(b: &[u8], pos: usize, levels: &mut [Level; PH], depth: usize) -> Result<usize, JsonError> {
    if b.get(pos) != Some(&b'"') {
        return Err(JsonError::Syntax(pos));
    }
    let end = skip_string(b, pos)?;
    let colon = skip_ws(b, end);
    if b.get(colon) != Some(&b':') {
        return Err(JsonError::Syntax(colon));
    }
    if PH == 0 {
        // Only binary packets look at keys.
        return Ok(skip_ws(b, colon + 1));
    }
    let c = &mut levels[depth - 1];
    let raw = &b[pos + 1..end - 1];
    // Keys compare by value, as JSON.parse sees them: `"_placeholde\u0072"` is
    // `_placeholder`. Plain keys (the norm) need no unescaping.
    let escaped = raw.contains(&b'\\');
    let is = |name: &str| {
        if escaped {
            core::str::from_utf8(raw).is_ok_and(|k| super::JsonStr::from_validated(k).eq_str(name))
        } else {
            raw == name.as_bytes()
        }
    };
    c.key = if is("_placeholder") {
        // The last occurrence of a key wins (JSON.parse); its value sets the flag anew.
        c.placeholder = false;
        KeyTag::Placeholder
    } else if is("num") {
        c.has_num = true;
        c.num = None;
        KeyTag::Num
    } else {
        KeyTag::Other
    };
    Ok(skip_ws(b, colon + 1))
}

#[inline(always)]
fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    // JSON.stringify writes no whitespace: check the common case first.
    if matches!(b.get(pos), Some(&c) if c > b' ') {
        return pos;
    }
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(pos) {
        pos += 1;
    }
    pos
}

fn literal(b: &[u8], pos: usize, word: &[u8]) -> Result<usize, JsonError> {
    match b.get(pos..pos + word.len()) {
        Some(s) if s == word => Ok(pos + word.len()),
        _ => Err(JsonError::Syntax(pos)),
    }
}

/// Scans a JSON number; also returns its value when it is a whole number in u32 range
/// (the only numbers the placeholder check cares about).
fn scan_number(b: &[u8], mut pos: usize) -> Result<(usize, Option<u32>), JsonError> {
    let start = pos;
    let neg = b.get(pos) == Some(&b'-');
    if neg {
        pos += 1;
    }
    let int_start = pos;
    match b.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while let Some(b'0'..=b'9') = b.get(pos) {
                pos += 1;
            }
        }
        _ => return Err(JsonError::Syntax(pos)),
    }
    let int_end = pos;
    let mut integral = !neg;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let digits = pos;
        while let Some(b'0'..=b'9') = b.get(pos) {
            pos += 1;
        }
        if pos == digits {
            return Err(JsonError::Syntax(pos));
        }
        integral = false;
    }
    if let Some(b'e' | b'E') = b.get(pos) {
        pos += 1;
        if let Some(b'+' | b'-') = b.get(pos) {
            pos += 1;
        }
        let digits = pos;
        while let Some(b'0'..=b'9') = b.get(pos) {
            pos += 1;
        }
        if pos == digits {
            return Err(JsonError::Syntax(pos));
        }
        integral = false;
    }
    let value = if integral {
        parse_u32(&b[int_start..int_end])
    } else {
        // `0.0`, `-0`, `1e0` name attachments 0, 0 and 1 for JSON.parse too: compare by
        // value (core's float parser; no std needed).
        let text = core::str::from_utf8(&b[start..pos]).ok();
        text.and_then(|t| t.parse::<f64>().ok()).and_then(|v| {
            let n = v as u32;
            (f64::from(n) == v).then_some(n)
        })
    };
    Ok((pos, value))
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(v)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` that is `"`, `\` or below 0x20: the bytes that end a
/// plain run inside a JSON string. Classic SWAR "has zero byte" / "has byte less than"
/// tests. Bits above the lowest set one can be false positives (a borrow from a flagged
/// byte), but the lowest set bit is always exact: it marks the first special byte.
#[inline(always)]
fn special_mask(x: u64) -> u64 {
    let quote = x ^ (LO * u64::from(b'"'));
    let backslash = x ^ (LO * u64::from(b'\\'));
    let zero_q = quote.wrapping_sub(LO) & !quote;
    let zero_b = backslash.wrapping_sub(LO) & !backslash;
    let below_space = x.wrapping_sub(LO * 0x20) & !x;
    (zero_q | zero_b | below_space) & HI
}

#[cfg(test)]
fn has_special(x: u64) -> bool {
    special_mask(x) != 0
}

/// Skips a JSON string starting at the opening quote; returns the position after the
/// closing quote.
#[inline(always)]
pub(crate) fn skip_string(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let mut pos = start + 1;
    loop {
        // Fast path: sixteen, then eight plain bytes at a time (two independent loads per
        // step); on a hit, jump straight to the first special byte instead of re-testing
        // a word per byte.
        while let Some(chunk) = b.get(pos..pos + 16) {
            let (mut lo, mut hi) = ([0u8; 8], [0u8; 8]);
            lo.copy_from_slice(&chunk[..8]);
            hi.copy_from_slice(&chunk[8..]);
            let (m1, m2) = (special_mask(u64::from_le_bytes(lo)), special_mask(u64::from_le_bytes(hi)));
            if m1 | m2 != 0 {
                pos += if m1 != 0 { m1.trailing_zeros() / 8 } else { 8 + m2.trailing_zeros() / 8 } as usize;
                break;
            }
            pos += 16;
        }
        while let Some(chunk) = b.get(pos..pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let m = special_mask(u64::from_le_bytes(word));
            if m != 0 {
                pos += (m.trailing_zeros() / 8) as usize;
                break;
            }
            pos += 8;
        }
        match b.get(pos) {
            None => return Err(JsonError::Syntax(pos)),
            Some(b'"') => return Ok(pos + 1),
            Some(b'\\') => {
                pos += 1;
                match b.get(pos) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => pos += 1,
                    Some(b'u') => {
                        let hex = b.get(pos + 1..pos + 5).ok_or(JsonError::Syntax(pos))?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(JsonError::Syntax(pos));
                        }
                        pos += 5;
                    }
                    _ => return Err(JsonError::Syntax(pos)),
                }
            }
            Some(&c) if c < 0x20 => return Err(JsonError::Syntax(pos)),
            Some(_) => pos += 1,
        }
    }
}

/// Skips one already-validated value starting at `pos` (after whitespace); returns its
/// span. Used to walk event arguments lazily after [`scan`] accepted the whole payload.
pub(crate) fn skip_value(text: &str, pos: usize) -> Option<Span> {
    let b = text.as_bytes();
    let start = skip_ws(b, pos);
    let kind = match b.get(start)? {
        b'{' => JsonKind::Object,
        b'[' => JsonKind::Array,
        b'"' => {
            let end = skip_string(b, start).ok()?;
            return Some(Span { kind: JsonKind::String, start, end });
        }
        b't' | b'f' => JsonKind::Bool,
        b'n' => JsonKind::Null,
        _ => JsonKind::Number,
    };
    if matches!(kind, JsonKind::Object | JsonKind::Array) {
        // Already validated: count brackets, skipping strings.
        let mut depth = 0usize;
        let mut p = start;
        while p < b.len() {
            match b[p] {
                b'"' => {
                    p = skip_string(b, p).ok()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(Span { kind, start, end: p + 1 });
                    }
                }
                _ => {}
            }
            p += 1;
        }
        return None;
    }
    let mut end = start;
    while let Some(c) = b.get(end) {
        if matches!(c, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
            break;
        }
        end += 1;
    }
    Some(Span { kind, start, end })
}

/// The raw JSON of a top-level field of a validated JSON object (`None` if absent).
pub(crate) fn object_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let b = text.as_bytes();
    let mut pos = skip_ws(b, 0);
    if b.get(pos) != Some(&b'{') {
        return None;
    }
    pos = skip_ws(b, pos + 1);
    loop {
        if b.get(pos) != Some(&b'"') {
            return None;
        }
        let key_end = skip_string(b, pos).ok()?;
        let name = super::JsonStr::from_validated(&text[pos + 1..key_end - 1]);
        pos = skip_ws(b, key_end);
        if b.get(pos) != Some(&b':') {
            return None;
        }
        let value = skip_value(text, pos + 1)?;
        if name.eq_str(key) {
            return Some(&text[value.start..value.end]);
        }
        pos = skip_ws(b, value.end);
        if b.get(pos) != Some(&b',') {
            return None;
        }
        pos = skip_ws(b, pos + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Outline {
        scan(s, 32, None).unwrap_or_else(|e| panic!("{s:?}: {e:?}"))
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for s in [
            "0",
            "-0",
            "1.5e+3",
            "\"a\\u00e9\\n\"",
            "[]",
            "{}",
            " [ 1 , {\"a\" : [null,true,false]} ] ",
            "\"日本語\"",
            "[\"\\ud83d\"]",
            "-12.0E-2",
        ] {
            ok(s);
        }
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for s in [
            "",
            " ",
            "[",
            "]",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "tru",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"\t\"",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "[]]",
            "1 2",
            "NaN",
            "'a'",
        ] {
            assert!(scan(s, 32, None).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn outline_reports_top_and_first_element() {
        let o = ok("[\"ev\",{\"a\":1},2]");
        assert_eq!(o.top.kind, JsonKind::Array);
        let f = o.first.unwrap();
        assert_eq!((f.kind, f.start, f.end), (JsonKind::String, 1, 5));
        assert_eq!(ok("[]").first, None);
        assert_eq!(ok("[[1],2]").first.unwrap().kind, JsonKind::Array);
    }

    #[test]
    fn depth_limit_holds() {
        assert!(scan("[[[1]]]", 3, None).is_ok());
        assert_eq!(scan("[[[[1]]]]", 3, None), Err(JsonError::TooDeep(3)));
        let deep: heapless::String<300> = (0..200).map(|_| '[').collect();
        assert!(matches!(scan(&deep, 255, None), Err(JsonError::TooDeep(64))));
    }

    #[test]
    fn placeholders_checked_only_for_binary_packets() {
        let p = "[\"a\",{\"_placeholder\":true,\"num\":1}]";
        assert!(scan(p, 32, Some(2)).is_ok());
        assert_eq!(scan(p, 32, Some(1)), Err(JsonError::Placeholder(5)));
        assert!(scan(p, 32, None).is_ok());
        for bad in [
            "[{\"_placeholder\":true,\"num\":\"0\"}]",
            "[{\"_placeholder\":true,\"num\":-1}]",
            "[{\"_placeholder\":true,\"num\":0.5}]",
            "[{\"_placeholder\":true}]",
        ] {
            assert!(matches!(scan(bad, 32, Some(3)), Err(JsonError::Placeholder(_))), "{bad}");
        }
        // `_placeholder` must be literally `true`, and nested containers do not count.
        assert!(scan("[{\"_placeholder\":false,\"num\":9}]", 32, Some(1)).is_ok());
        assert!(scan("[{\"_placeholder\":[true],\"num\":9}]", 32, Some(1)).is_ok());
    }

    #[test]
    fn special_byte_detection_matches_bytewise() {
        for i in 0u16..256 {
            let c = i as u8;
            let mut w = [b'a'; 8];
            w[5] = c;
            let expect = c == b'"' || c == b'\\' || c < 0x20;
            assert_eq!(has_special(u64::from_le_bytes(w)), expect, "byte {c:#x}");
        }
    }

    #[test]
    fn object_field_finds_top_level_values() {
        let o = r#"{"message":"no","data":{"code":"auth_failed","x":[1]},"n":2}"#;
        assert_eq!(object_field(o, "data"), Some(r#"{"code":"auth_failed","x":[1]}"#));
        assert_eq!(object_field(o, "n"), Some("2"));
        assert_eq!(object_field(o, "code"), None);
        assert_eq!(object_field("[1]", "a"), None);
    }

    #[test]
    fn skip_value_walks_validated_values() {
        let t = "[\"a\", {\"b\":[1,\"]\"]} ,2.5,null]";
        let v = skip_value(t, 5).unwrap();
        assert_eq!(&t[v.start..v.end], "{\"b\":[1,\"]\"]}");
        let n = skip_value(t, 21).unwrap();
        assert_eq!(&t[n.start..n.end], "2.5");
    }
}
