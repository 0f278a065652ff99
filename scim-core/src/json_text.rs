//! JSON text read and written directly on the response path.
//!
//! A response copies most attributes from a record's stored text. Going
//! through serde for that needs each value as a `RawValue`, and serde_json
//! makes one only by parsing (validating) the value's text again: on every
//! GET, for text that was valid when it was stored. Here, the top-level
//! fields of text already known to be valid JSON are found by scanning for
//! their boundaries, and responses are written into a byte buffer.

use serde_json::Value;

/// The top-level fields of `text`, an object: each key and its value's
/// text, in the order they appear.
///
/// `text` must be valid JSON (stored text is checked when it is taken in);
/// on anything else the answer is some split of it, or `None`. `None` too
/// when a key has escapes, which cannot be borrowed as they are: the
/// caller then decodes the text instead.
pub(crate) fn object_fields(text: &str) -> Option<Vec<(&str, &str)>> {
    let b = text.as_bytes();
    let mut fields = Vec::with_capacity(16);
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(fields);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let key = text.get(i + 1..key_end - 1)?;
        if key.contains('\\') {
            return None;
        }
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        fields.push((key, text.get(start..end)?));
        i = skip_ws(b, end);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return Some(fields),
            _ => return None,
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Whether `text` (valid JSON) has no whitespace outside its strings.
pub(crate) fn is_compact(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => match string_end(b, i) {
                Some(end) => i = end,
                None => return false,
            },
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            _ => i += 1,
        }
    }
    true
}

/// Just past the string whose opening quote is at `open`.
fn string_end(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    // Eight bytes at a time while none is a quote or a backslash.
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let word = u64::from_le_bytes(chunk);
        if has_byte(word, b'"') | has_byte(word, b'\\') != 0 {
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some(i + 1),
            // A backslash and the character it escapes (the hex digits of
            // `\uXXXX` are never a quote or a backslash).
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Non-zero when a byte of `word` is `byte` (the classic bit trick: a
/// byte that is zero after the XOR borrows in the subtraction).
fn has_byte(word: u64, byte: u8) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & (ONES << 7)
}

/// Just past the value that starts at `start`.
fn value_end(b: &[u8], start: usize) -> Option<usize> {
    match b.get(start)? {
        b'"' => string_end(b, start),
        b'{' | b'[' => {
            let mut depth = 0_usize;
            let mut i = start;
            while let Some(&c) = b.get(i) {
                match c {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let len = b[start..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(b.len() - start);
            (len > 0).then_some(start + len)
        }
    }
}

/// Writes `s` as a JSON string.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    write_str_parts(out, &[s]);
}

/// Writes the concatenation of `parts` as one JSON string, without
/// putting it together first.
pub(crate) fn write_str_parts(out: &mut Vec<u8>, parts: &[&str]) {
    out.push(b'"');
    for part in parts {
        // Without an early exit, the check runs many bytes at a time.
        let plain = part
            .bytes()
            .fold(true, |ok, c| ok & (c >= 0x20) & (c != b'"') & (c != b'\\'));
        if plain {
            out.extend_from_slice(part.as_bytes());
        } else {
            write_escaped(out, part);
        }
    }
    out.push(b'"');
}

/// Writes `s` escaped as serde_json escapes a string, without the quotes:
/// `"`, `\` and the control characters, the common ones by their short
/// escapes.
fn write_escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0..0x20 => b'u',
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        out.extend_from_slice(&[b'\\', short]);
        if short == b'u' {
            out.extend_from_slice(&[
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ]);
        }
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
}

/// Writes `n` in decimal.
pub(crate) fn write_usize(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // A digit: below 10.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Writes `"key":`.
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

/// Writes a decoded value.
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    write_value_of(out, value);
}

fn write_value_of<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Into a Vec, a value without maps keyed by non-strings always writes.
    serde_json::to_writer(out, value).expect("BUG: a JSON value writes into a Vec");
}

/// Writes a comma before every item but the first.
pub(crate) struct Commas(bool);

impl Commas {
    pub(crate) fn new() -> Self {
        Self(false)
    }

    pub(crate) fn next(&mut self, out: &mut Vec<u8>) {
        if std::mem::replace(&mut self.0, true) {
            out.push(b',');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn fields(text: &str) -> Option<Vec<(&str, &str)>> {
        object_fields(text)
    }

    #[test]
    fn splits_compact_and_spaced_objects() {
        let text = r#"{"a":1,"b":"x,}\"y","c":{"d":[1,{"e":"]"}]},"f":[],"g":null,"h":-1.5e3}"#;
        assert_eq!(
            fields(text).unwrap(),
            vec![
                ("a", "1"),
                ("b", r#""x,}\"y""#),
                ("c", r#"{"d":[1,{"e":"]"}]}"#),
                ("f", "[]"),
                ("g", "null"),
                ("h", "-1.5e3"),
            ]
        );
        let spaced = " {\n  \"a\" : true ,\n \"b\":\t[ 1 , 2 ]\r\n}\n";
        assert_eq!(
            fields(spaced).unwrap(),
            vec![("a", "true"), ("b", "[ 1 , 2 ]")]
        );
        assert_eq!(fields("{}").unwrap(), vec![]);
        assert_eq!(fields(" { } ").unwrap(), vec![]);
    }

    #[test]
    fn refuses_escaped_keys_and_non_objects() {
        assert_eq!(fields(r#"{"a\u0062":1}"#), None);
        assert_eq!(fields("[1]"), None);
        assert_eq!(fields("\"x\""), None);
        assert_eq!(fields(""), None);
    }

    #[test]
    fn refuses_broken_text() {
        for text in [
            "{",
            "{\"",
            "{\"a",
            "{\"a\"",
            "{\"a\":",
            "{\"a\":\"",
            "{\"a\":[",
            "{\"a\":1",
            "{\"a\":1,",
            "{\"a\":\"\\",
            "{\"a\":}",
            "{\"a\"1}",
            "{1:2}",
        ] {
            assert_eq!(fields(text), None, "{text}");
        }
    }

    #[test]
    fn writes_strings_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "q\"uote",
            "back\\slash",
            "tab\t",
            "\u{1}",
            "é ✓",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap());
        }
        let mut out = Vec::new();
        write_str_parts(&mut out, &["a\"", "b", "\\c"]);
        assert_eq!(out, serde_json::to_vec("a\"b\\c").unwrap());
    }

    proptest! {
        #[test]
        fn numbers_are_written_as_display_writes_them(n in any::<usize>()) {
            let mut out = Vec::new();
            write_usize(&mut out, n);
            prop_assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }

        /// Any string, in any number of parts, is written as serde_json
        /// writes it.
        #[test]
        fn strings_are_escaped_as_serde_json_escapes_them(
            parts in prop::collection::vec(prop::collection::vec(prop_oneof![
                any::<char>(),
                (0..0x20_u8).prop_map(char::from),
                prop::sample::select(vec!['"', '\\', '/', '\u{7f}']),
            ], 0..12), 0..4),
        ) {
            let parts: Vec<String> = parts.into_iter().map(String::from_iter).collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let mut out = Vec::new();
            write_str_parts(&mut out, &parts);
            prop_assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&parts.concat()).unwrap()
            );
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            ".*".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".*", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Every field found is the key and the exact value text that
        /// serde_json finds, compact or pretty-printed.
        #[test]
        fn agrees_with_serde_json(
            object in prop::collection::btree_map(".*", arb_json(), 0..8),
            pretty in any::<bool>(),
        ) {
            let object: serde_json::Map<String, Value> = object.into_iter().collect();
            let text = if pretty {
                serde_json::to_string_pretty(&object).unwrap()
            } else {
                serde_json::to_string(&object).unwrap()
            };
            let expected: Vec<(String, Value)> = object.clone().into_iter().collect();
            match fields(&text) {
                Some(found) => {
                    prop_assert_eq!(found.len(), expected.len());
                    for ((k, v), (ek, ev)) in found.iter().zip(&expected) {
                        prop_assert_eq!(*k, ek.as_str());
                        // Both through the same parse: serde_json does not
                        // round-trip every float exactly.
                        let reparsed: Value =
                            serde_json::from_str(&serde_json::to_string(ev).unwrap()).unwrap();
                        prop_assert_eq!(serde_json::from_str::<Value>(v).unwrap(), reparsed);
                    }
                }
                // Only a key with escapes is refused.
                None => prop_assert!(expected
                    .iter()
                    .any(|(k, _)| serde_json::to_string(k).unwrap().contains('\\'))),
            }
        }
    }
}
