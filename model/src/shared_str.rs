//! [`SharedStr`]: a name, id, image or reason that many records hold at once.
//!
//! A container's name is written in its pod's spec, copied into the CRI's `CreateContainer` config,
//! held by the runtime's record, listed at every relist, and written into every status the kubelet
//! reports for the pod. As a `String` each of those was a fresh allocation; as a `SharedStr` the text
//! is allocated once (or not at all: the kubelet's own words are `&'static str`) and every copy
//! costs a reference count.
//!
//! It reads as a `&str` (`Deref`), compares with `str`, `&str` and `String`, orders and hashes as its
//! text, and (de)serializes as a plain string, so the traces, the JSON and the YAML are unchanged.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Immutable text, shared: a static word or a reference-counted copy.
#[derive(Clone)]
pub struct SharedStr(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl SharedStr {
    /// The empty text (no allocation).
    pub const EMPTY: SharedStr = SharedStr(Repr::Static(""));

    /// A static word (no allocation), such as the kubelet's reasons.
    pub const fn from_static(text: &'static str) -> SharedStr {
        SharedStr(Repr::Static(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// Whether both hold the very same text allocation (or the same static word): equal without
    /// comparing the text. Equal texts may still answer false.
    pub fn ptr_eq(&self, other: &SharedStr) -> bool {
        std::ptr::eq(self.as_str(), other.as_str())
    }
}

impl Default for SharedStr {
    fn default() -> SharedStr {
        SharedStr::EMPTY
    }
}

impl Deref for SharedStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> SharedStr {
        if text.is_empty() {
            return SharedStr::EMPTY;
        }
        SharedStr(Repr::Shared(Arc::from(text)))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> SharedStr {
        if text.is_empty() {
            return SharedStr::EMPTY;
        }
        SharedStr(Repr::Shared(Arc::from(text)))
    }
}

impl From<&String> for SharedStr {
    fn from(text: &String) -> SharedStr {
        SharedStr::from(text.as_str())
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> String {
        text.as_str().to_string()
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &SharedStr) -> bool {
        self.ptr_eq(other) || self.as_str() == other.as_str()
    }
}

impl Eq for SharedStr {}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &SharedStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &SharedStr) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for SharedStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SharedStr, D::Error> {
        String::deserialize(deserializer).map(SharedStr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::SharedStr;

    #[test]
    fn reads_compares_and_orders_as_its_text() {
        let a = SharedStr::from("app");
        let b = SharedStr::from(String::from("app"));
        assert_eq!(a, b);
        assert!(!a.ptr_eq(&b), "two allocations of equal text");
        assert!(a.ptr_eq(&a.clone()), "a clone shares the allocation");
        assert_eq!(a, "app");
        assert_eq!(a, *"app");
        assert_eq!(a, String::from("app"));
        assert_ne!(a, "sidecar");
        let (a_word, b_word) = (SharedStr::from("a"), SharedStr::from_static("b"));
        assert!(a_word < b_word);
        assert_eq!(a_word.cmp(&b_word), "a".cmp("b"));
        assert_eq!(&*a, "app");
        assert_eq!(format!("{a}/{a:?}"), "app/\"app\"");
    }

    #[test]
    fn empty_text_is_the_static_empty_word() {
        assert!(SharedStr::from("").ptr_eq(&SharedStr::EMPTY));
        assert!(SharedStr::from(String::new()).ptr_eq(&SharedStr::default()));
        assert!(SharedStr::EMPTY.is_empty());
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let a = SharedStr::from("OOMKilled");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"OOMKilled\"");
        let back: SharedStr = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
    }
}
