//! The kubelet's container hash (`kubecontainer.HashContainer`), byte for byte.
//!
//! Today's kubelet hashes only the fields it picks for the hash (`pickFieldsToHash`: the container's
//! name and image). It marshals them to JSON as Go's `encoding/json` does (a map, so keys sorted; HTML
//! characters escaped), prints the resulting byte slice with go-spew's `%#v` (`([]uint8)[123 34 ...]`,
//! the bytes in decimal separated by spaces) and feeds that text to 32-bit FNV-1a. The value is written
//! in lowercase hex in the `io.kubernetes.container.hash` annotation.
//!
//! The hash is computed without allocating: the spew text is streamed straight into the hasher.

/// 32-bit FNV-1a.
struct Fnv32a(u32);

impl Fnv32a {
    const OFFSET: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u32::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }
}

/// Writes the bytes of a JSON document to the hasher as go-spew prints a `[]uint8` with `%#v`.
struct SpewBytes {
    hasher: Fnv32a,
    first: bool,
}

impl SpewBytes {
    fn new() -> SpewBytes {
        let mut hasher = Fnv32a(Fnv32a::OFFSET);
        hasher.write(b"([]uint8)[");
        SpewBytes { hasher, first: true }
    }

    fn byte(&mut self, b: u8) {
        if !self.first {
            self.hasher.write(b" ");
        }
        self.first = false;
        let digits = [b / 100, (b / 10) % 10, b % 10].map(|d| b'0' + d);
        let skip = if b >= 100 {
            0
        } else if b >= 10 {
            1
        } else {
            2
        };
        self.hasher.write(&digits[skip..]);
    }

    fn bytes(&mut self, bs: &[u8]) {
        for &b in bs {
            self.byte(b);
        }
    }

    /// A JSON string as Go's `encoding/json` writes it with HTML escaping on (`json.Marshal`).
    fn json_string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.byte(b'"');
        for ch in s.chars() {
            match ch {
                '"' => self.bytes(b"\\\""),
                '\\' => self.bytes(b"\\\\"),
                '\n' => self.bytes(b"\\n"),
                '\r' => self.bytes(b"\\r"),
                '\t' => self.bytes(b"\\t"),
                '\u{8}' => self.bytes(b"\\b"),
                '\u{c}' => self.bytes(b"\\f"),
                '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                    let c = ch as u32;
                    self.bytes(b"\\u00");
                    self.byte(HEX[(c >> 4) as usize]);
                    self.byte(HEX[(c & 0xf) as usize]);
                }
                '\u{2028}' => self.bytes(b"\\u2028"),
                '\u{2029}' => self.bytes(b"\\u2029"),
                _ => {
                    let mut buf = [0u8; 4];
                    self.bytes(ch.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        self.byte(b'"');
    }

    fn finish(mut self) -> u32 {
        self.hasher.write(b"]");
        self.hasher.0
    }
}

/// `HashContainer` of a container with this name and image.
pub fn hash_container(name: &str, image: &str) -> u64 {
    // json.Marshal(map[string]string{"name": ..., "image": ...}): keys sorted, so image first.
    let mut spew = SpewBytes::new();
    spew.bytes(b"{\"image\":");
    spew.json_string(image);
    spew.bytes(b",\"name\":");
    spew.json_string(name);
    spew.byte(b'}');
    u64::from(spew.finish())
}

/// A hash as the kubelet writes it in the `io.kubernetes.container.hash` annotation.
pub fn format_hash(hash: u64) -> String {
    format!("{hash:x}")
}

/// Reads a hash annotation as the kubelet does: `getUint64ValueFromLabel` (kuberuntime/labels.go) calls
/// `strconv.ParseUint(text, 16, 64)`. So hex digits of either case, any number of leading zeros, and
/// nothing else: no sign, no `0x`, no underscores, no value above `u64::MAX`. The kubelet reads a hash
/// it cannot parse as 0; callers choose their own fallback.
pub fn parse_hash(text: &str) -> Option<u64> {
    let only_hex_digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit());
    if !only_hex_digits {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kubelet's own unit-test vector (pkg/kubelet/container, TestHashContainer).
    #[test]
    fn matches_the_kubelet_test_vector() {
        assert_eq!(format_hash(hash_container("test_container", "foo/image:v1")), "8e45cbd0");
    }

    /// The streamed spew text equals the one built the slow way, for strings that need escaping.
    #[test]
    fn streaming_equals_the_spelled_out_spew_text() {
        fn slow(name: &str, image: &str) -> u64 {
            let json = format!("{{\"image\":{},\"name\":{}}}", go_json_string(image), go_json_string(name));
            let spew =
                format!("([]uint8)[{}]", json.bytes().map(|b| b.to_string()).collect::<Vec<_>>().join(" "));
            let mut h = Fnv32a(Fnv32a::OFFSET);
            h.write(spew.as_bytes());
            u64::from(h.0)
        }
        fn go_json_string(s: &str) -> String {
            let mut out = String::from("\"");
            for ch in s.chars() {
                match ch {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '<' | '>' | '&' | '\u{0}'..='\u{1f}' => out.push_str(&format!("\\u{:04x}", ch as u32)),
                    '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", ch as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        for (n, i) in [
            ("a", "b"),
            ("web", "nginx:1.25"),
            ("x<y>&z", "reg/img\"q\\:1"),
            ("tab\there", "nl\nimg\u{1}\u{2028}é"),
        ] {
            assert_eq!(hash_container(n, i), slow(n, i), "{n} {i}");
        }
    }

    #[test]
    fn hash_text_round_trips() {
        let h = hash_container("app", "busybox:1");
        assert_eq!(parse_hash(&format_hash(h)), Some(h));
        assert_eq!(parse_hash("xyz"), None);
        assert_eq!(parse_hash(""), None);
    }

    /// Go's `parseUint64Tests` and the base-16 rows of `parseUint64BaseTests` (strconv/atoi_test.go),
    /// read in base 16 as `getUint64ValueFromLabel` reads them. `None` is Go's ErrSyntax or ErrRange.
    #[test]
    fn parse_hash_agrees_with_go_parse_uint_base_16() {
        let rows: [(&str, Option<u64>); 20] = [
            ("", None),
            ("0", Some(0)),
            ("1", Some(1)),
            ("12345", Some(0x12345)),
            ("012345", Some(0x12345)),
            ("12345x", None),
            ("123456789abcdef", Some(0x0123_4567_89ab_cdef)),
            ("ffffffffffffffff", Some(u64::MAX)),
            ("FFFFFFFFFFFFFFFF", Some(u64::MAX)),
            ("10000000000000000", None),
            ("00000000000000001", Some(1)),
            ("0000000000000000000ffffffffffffffff", Some(u64::MAX)),
            ("1_2_3_4_5", None),
            ("_12345", None),
            ("12345_", None),
            ("-0", None),
            ("-1", None),
            ("+1", None),
            ("0x12345", None),
            ("8e45cbd0 ", None),
        ];
        for (text, want) in rows {
            assert_eq!(parse_hash(text), want, "{text:?}");
        }
    }
}
