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

/// Scans `text` as exactly one JSON value (surrounding whitespace allowed) and returns
/// that value's kind.
///
/// `max_depth` bounds container nesting (clamped to [`MAX_DEPTH_LIMIT`]).
/// `attachments`: when `Some(n)`, every object with `"_placeholder": true` must carry a
/// `"num"` that is an integer in `0..n` (Socket.IO binary packets); when `None`,
/// placeholders are ordinary objects.
///
/// It only validates: spans are found afterwards, where needed, by [`first_element`] and
/// [`skip_value`] on the validated text (an event needs the span of its name, nothing
/// else), which keeps per-value bookkeeping out of the hot loop.
pub(crate) fn scan(text: &str, max_depth: u8, attachments: Option<u8>) -> Result<JsonKind, JsonError> {
    match attachments {
        // The common case keeps no per-level state: nesting is a bitmask.
        None => scan_impl::<0>(text, max_depth, 0),
        Some(n) => scan_impl::<{ MAX_DEPTH_LIMIT as usize }>(text, max_depth, n),
    }
}

/// The scanner. `PH` is the size of the placeholder stack: 0 (no placeholder checks, no
/// per-level state at all) or [`MAX_DEPTH_LIMIT`].
///
/// Shape: one loop over values. Each turn scans one value at `pos`, then climbs out of
/// every container the value completes until it finds a `,` (next element: loop again)
/// or the end of the top-level value. Whitespace is handled where a token is expected,
/// only after the common case (the next byte is the token) failed: `JSON.stringify`
/// writes none.
#[inline(always)]
fn scan_impl<const PH: usize>(text: &str, max_depth: u8, attachments: u8) -> Result<JsonKind, JsonError> {
    let b = text.as_bytes();
    let max_depth = max_depth.min(MAX_DEPTH_LIMIT) as usize;
    let mut levels = [LEVEL; PH];
    // Bit `d` is set when the container at depth `d + 1` is an object.
    let mut objects: u64 = 0;
    let mut depth = 0usize;
    // Whether the innermost open container is an object (bit `depth - 1` of `objects`),
    // kept apart so that the per-value path reads a register, not the bitmask.
    let mut in_object = false;
    let top_start = skip_ws(b, 0);
    let mut pos = top_start;

    'value: loop {
        // ---- scan one value starting at `pos` ----
        // Strings on a branch of their own, tested first: most values are strings.
        if b.get(pos) == Some(&b'"') {
            pos = skip_string(b, pos)?;
        } else {
            match b.get(pos) {
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
                    in_object = is_object;
                    pos = skip_ws(b, pos + 1);
                    let close = if is_object { b'}' } else { b']' };
                    if b.get(pos) != Some(&close) {
                        if is_object {
                            pos = scan_key(b, pos, &mut levels, depth)?;
                        }
                        continue 'value;
                    }
                    // Empty: closed below like any other container.
                }
                Some(b'-' | b'0'..=b'9') => {
                    let (end, int) = scan_number::<PH>(b, pos)?;
                    if PH > 0 && depth > 0 && levels[depth - 1].key == KeyTag::Num {
                        levels[depth - 1].num = int;
                    }
                    pos = end;
                }
                Some(b't') => {
                    pos = literal(b, pos, b"true")?;
                    if PH > 0 && depth > 0 && levels[depth - 1].key == KeyTag::Placeholder {
                        levels[depth - 1].placeholder = true;
                    }
                }
                Some(b'f') => pos = literal(b, pos, b"false")?,
                Some(b'n') => pos = literal(b, pos, b"null")?,
                Some(b' ' | b'\t' | b'\n' | b'\r') => {
                    pos = skip_ws(b, pos);
                    continue 'value;
                }
                _ => return Err(JsonError::Syntax(pos)),
            }
        }

        // ---- after a value: close containers / move to the next element ----
        while depth > 0 {
            let is_object = in_object;
            let mut next = b.get(pos).copied();
            if matches!(next, Some(b' ' | b'\t' | b'\n' | b'\r')) {
                pos = skip_ws(b, pos);
                next = b.get(pos).copied();
            }
            match (next, is_object) {
                (Some(b','), true) => {
                    pos = scan_key(b, skip_ws(b, pos + 1), &mut levels, depth)?;
                    continue 'value;
                }
                (Some(b','), false) => {
                    pos += 1;
                    continue 'value;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    if PH > 0 {
                        let closed = levels[depth - 1];
                        if is_object && closed.placeholder {
                            let ok = matches!(closed.num, Some(num) if num < u32::from(attachments));
                            if !ok || !closed.has_num {
                                return Err(JsonError::Placeholder(closed.start));
                            }
                        }
                        // A closed container is not a scalar: it never sets its parent's
                        // placeholder flags.
                        if depth > 1 {
                            levels[depth - 2].key = KeyTag::Other;
                        }
                    }
                    depth -= 1;
                    pos += 1;
                    in_object = depth > 0 && (objects >> (depth - 1)) & 1 == 1;
                }
                _ => return Err(JsonError::Syntax(pos)),
            }
        }
        break;
    }

    let end = skip_ws(b, pos);
    if end != b.len() {
        return Err(JsonError::Syntax(end));
    }
    Ok(match b[top_start] {
        b'{' => JsonKind::Object,
        b'[' => JsonKind::Array,
        b'"' => JsonKind::String,
        b't' | b'f' => JsonKind::Bool,
        b'n' => JsonKind::Null,
        _ => JsonKind::Number,
    })
}

/// Scans `"key"` then `:` and returns the position after the colon. With a placeholder
/// stack (`PH > 0`), records which key it was in the container at `depth`.
#[inline(always)]
fn scan_key<const PH: usize>(b: &[u8], pos: usize, levels: &mut [Level; PH], depth: usize) -> Result<usize, JsonError> {
    if b.get(pos) != Some(&b'"') {
        return Err(JsonError::Syntax(pos));
    }
    let end = skip_string(b, pos)?;
    let colon = if b.get(end) == Some(&b':') { end } else { skip_ws(b, end) };
    if b.get(colon) != Some(&b':') {
        return Err(JsonError::Syntax(colon));
    }
    if PH == 0 {
        // Only binary packets look at keys.
        return Ok(colon + 1);
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
    Ok(colon + 1)
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

/// Scans a JSON number. With a placeholder stack (`PH > 0`), also returns its value when
/// it is a whole number in u32 range (the only numbers the placeholder check cares about).
#[inline(always)]
fn scan_number<const PH: usize>(b: &[u8], mut pos: usize) -> Result<(usize, Option<u32>), JsonError> {
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
    if PH == 0 {
        return Ok((pos, None));
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

/// Finds the bytes that end a plain run inside a JSON string: `"`, `\\` and anything
/// below 0x20. Sixteen bytes at a time, with SIMD where the target has it in its
/// baseline (SSE2 on x86-64, NEON on aarch64, simd128 on wasm) through `wide`'s safe
/// vectors (core forbids `unsafe`, and `core::arch` intrinsics need it outside
/// `#[target_feature]` functions); SWAR on two 64-bit words elsewhere. Either way, bit
/// `i` of the result is set when byte `i` of the chunk is special.
mod special {
    /// Whether `wide` maps its vectors onto real SIMD on this target (else SWAR is
    /// faster than its lane-by-lane fallback).
    const SIMD: bool = cfg!(any(
        all(target_arch = "x86_64", target_feature = "sse2"),
        all(target_arch = "x86", target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon"),
        all(target_arch = "wasm32", target_feature = "simd128"),
    ));

    #[inline(always)]
    pub(super) fn mask16(chunk: &[u8; 16]) -> u32 {
        if SIMD {
            simd_mask16(chunk)
        } else {
            swar_mask16(chunk)
        }
    }

    #[inline(always)]
    pub(super) fn simd_mask16(chunk: &[u8; 16]) -> u32 {
        use wide::u8x16;
        let v = u8x16::new(*chunk);
        // One unsigned compare finds controls and quotes together: XOR with 0x02 maps
        // `"` (0x22) to 0x20 and keeps 0x00..=0x1f below 0x20, while no other byte lands
        // at or below 0x20 (0x20 and 0x21 become 0x22 and 0x23). `x <= 0x20` is
        // `min(x, 0x20) == x`: SSE2 has no unsigned compare.
        let x = v ^ u8x16::splat(0x02);
        let control_or_quote = x.min(u8x16::splat(0x20)).simd_eq(x);
        let backslash = v.simd_eq(u8x16::splat(b'\\'));
        (control_or_quote | backslash).to_bitmask()
    }

    const LO: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    /// The portable version of [`mask16`]: exact SWAR tests on two 64-bit words.
    #[inline(always)]
    pub(super) fn swar_mask16(chunk: &[u8; 16]) -> u32 {
        let (lo, hi) = chunk.split_at(8);
        let word = |w: &[u8]| {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            word_mask(u64::from_le_bytes(a))
        };
        word(lo) | word(hi) << 8
    }

    /// Bit `i` set when byte `i` of `x` is `"`, `\\` or below 0x20.
    #[inline(always)]
    fn word_mask(x: u64) -> u32 {
        // High bit of each byte that is zero, with no borrow between bytes (exact for
        // every lane, unlike the shorter `(v - LO) & !v` test).
        let zero = |v: u64| !(((v & LOW7) + LOW7) | v | LOW7);
        let quote = zero(x ^ (LO * u64::from(b'"')));
        let backslash = zero(x ^ (LO * u64::from(b'\\')));
        let control = zero(x & (LO * 0xe0));
        // Gather the eight high bits into the low byte, in lane order.
        ((((quote | backslash | control) >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u32
    }
}

/// Skips a JSON string starting at the opening quote; returns the position after the
/// closing quote.
#[inline(always)]
pub(crate) fn skip_string(b: &[u8], start: usize) -> Result<usize, JsonError> {
    let mut pos = start + 1;
    loop {
        let (at, byte) = next_special(b, pos).ok_or(JsonError::Syntax(b.len()))?;
        // The closing quote first: almost every string ends at its first special byte.
        if byte == b'"' {
            return Ok(at + 1);
        }
        match byte {
            b'\\' => {
                pos = at + 1;
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
            // A control character: not allowed raw inside a string.
            _ => return Err(JsonError::Syntax(at)),
        }
    }
}

/// The first byte at or after `pos` that is `"`, `\` or a control character, with its
/// position; `None` when the input ends first. Sixteen bytes at a time; the last few
/// bytes of the input are copied into a chunk padded with 0xFF (never special), so that
/// they take one step too instead of a byte-by-byte loop.
#[inline(always)]
fn next_special(b: &[u8], pos: usize) -> Option<(usize, u8)> {
    next_special_with(b, pos, special::mask16)
}

/// [`next_special`] with the chunk classifier as a parameter, so that the tests run the
/// SWAR version on targets that use SIMD.
#[inline(always)]
fn next_special_with(b: &[u8], mut pos: usize, mask16: fn(&[u8; 16]) -> u32) -> Option<(usize, u8)> {
    let (chunks, _) = b.get(pos..)?.as_chunks::<16>();
    for chunk in chunks {
        let m = mask16(chunk);
        if m != 0 {
            let i = m.trailing_zeros() as usize & 15;
            return Some((pos + i, chunk[i]));
        }
        pos += 16;
    }
    // Fewer than 16 bytes left: look at the input's last 16 bytes and ignore the lanes
    // before `pos` (no copy). Inputs shorter than 16 bytes go byte by byte.
    if let Some(tail) = b.len().checked_sub(16).and_then(|from| b.get(from..)) {
        let chunk: &[u8; 16] = tail.try_into().unwrap_or(&[0; 16]);
        let skip = (pos + 16).saturating_sub(b.len());
        let m = mask16(chunk).checked_shr(skip as u32).unwrap_or(0);
        if m == 0 {
            return None;
        }
        let i = (skip + m.trailing_zeros() as usize) & 15;
        return Some((b.len() - 16 + i, chunk[i]));
    }
    while let Some(&c) = b.get(pos) {
        if matches!(c, b'"' | b'\\' | 0..=0x1f) {
            return Some((pos, c));
        }
        pos += 1;
    }
    None
}

/// The first element of a validated JSON array whose `[` is at `open`, if it has one.
pub(crate) fn first_element(text: &str, open: usize) -> Option<Span> {
    let b = text.as_bytes();
    // The common case, an event name right after the bracket: straight to the string.
    if b.get(open + 1) == Some(&b'"') {
        let end = skip_string(b, open + 1).ok()?;
        return Some(Span { kind: JsonKind::String, start: open + 1, end });
    }
    let pos = skip_ws(b, open + 1);
    if b.get(pos) == Some(&b']') {
        return None;
    }
    skip_value(text, pos)
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
                    // Checked: `Packet::event` may run on a packet built by hand.
                    depth = depth.checked_sub(1)?;
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

    fn ok(s: &str) -> JsonKind {
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
    fn reports_the_top_kind_and_finds_the_first_element() {
        assert_eq!(ok(" [1] "), JsonKind::Array);
        assert_eq!(ok("{\"a\":[]}"), JsonKind::Object);
        assert_eq!(ok("\"x\""), JsonKind::String);
        assert_eq!(ok("-1e3"), JsonKind::Number);
        assert_eq!(ok("false"), JsonKind::Bool);
        assert_eq!(ok("null"), JsonKind::Null);
        let t = "[\"ev\",{\"a\":1},2]";
        ok(t);
        let f = first_element(t, 0).unwrap();
        assert_eq!((f.kind, f.start, f.end), (JsonKind::String, 1, 5));
        assert_eq!(first_element("[]", 0), None);
        assert_eq!(first_element("[ \n]", 0), None);
        assert_eq!(first_element("[[1],2]", 0).unwrap().kind, JsonKind::Array);
        assert_eq!(first_element("[ 12 ,3]", 0).map(|s| (s.kind, s.start, s.end)), Some((JsonKind::Number, 2, 4)));
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
        // Every byte value in every lane, next to special and plain neighbours: both
        // classifiers give the exact mask.
        for i in 0u16..256 {
            let c = i as u8;
            let special = c == b'"' || c == b'\\' || c < 0x20;
            for lane in 0..16 {
                for filler in [b'a', b'"', 0x00, 0xff, b'!', b']'] {
                    let mut chunk = [filler; 16];
                    chunk[lane] = c;
                    let expect: u32 =
                        (0..16).filter(|&k| matches!(chunk[k], b'"' | b'\\' | 0..=0x1f)).map(|k| 1 << k).sum();
                    assert_eq!(special::simd_mask16(&chunk), expect, "simd: {c:#x} at {lane} in {filler:#x}");
                    assert_eq!(special::swar_mask16(&chunk), expect, "swar: {c:#x} at {lane} in {filler:#x}");
                    assert_eq!(special, expect & (1 << lane) != 0);
                }
            }
        }
    }

    #[test]
    fn next_special_finds_the_first_special_byte_at_every_offset() {
        // Every input length around the 16-byte steps, every start, every position of
        // one special byte (or none): the result is the naive byte-by-byte answer,
        // including in the tail that is read through the input's last 16 bytes.
        for len in 0..50usize {
            for special_at in (0..len).map(Some).chain([None]) {
                for special in [b'"', b'\\', 0x1f, 0x00] {
                    let mut input = [b'a'; 50];
                    if let Some(i) = special_at {
                        input[i] = special;
                    }
                    let b = &input[..len];
                    for start in 0..=len {
                        let naive = (start..len).find(|&i| matches!(b[i], b'"' | b'\\' | 0..=0x1f)).map(|i| (i, b[i]));
                        for (name, mask) in
                            [("simd", special::simd_mask16 as fn(&[u8; 16]) -> u32), ("swar", special::swar_mask16)]
                        {
                            assert_eq!(
                                next_special_with(b, start, mask),
                                naive,
                                "{name}: len {len}, start {start}, at {special_at:?}"
                            );
                        }
                    }
                }
            }
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
