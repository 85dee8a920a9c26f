//! Where a field lies in a YAML (or JSON) document: its line and column, found by walking the
//! document to the field with serde_yaml and letting serde_yaml mark the spot, the same way it marks
//! a deserialisation error. Checks that run after a document is read (a workload command, a pod's
//! validation) use it to report file:line:column: field like the reader's own errors.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// One step of a field path: a mapping's key or a sequence's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `.key` (or `[key]` for a key that is not a name).
    Key(String),
    /// `[index]`.
    Index(usize),
}

/// A field's path in a document, written as errors name it: `pods[0].spec.containers[1].command`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<Step>);

/// Paths deeper than this are not followed (a limit on the walk; no document podsim reads nests so).
const MAX_DEPTH: usize = 64;

impl FieldPath {
    /// The document itself.
    pub fn root() -> FieldPath {
        FieldPath(Vec::new())
    }

    /// The field `key` below this one.
    pub fn key(mut self, key: &str) -> FieldPath {
        self.0.push(Step::Key(key.to_string()));
        self
    }

    /// The element `index` of this sequence.
    pub fn index(mut self, index: usize) -> FieldPath {
        self.0.push(Step::Index(index));
        self
    }

    /// This path followed by `relative`.
    pub fn join(mut self, relative: &FieldPath) -> FieldPath {
        self.0.extend(relative.0.iter().cloned());
        self
    }

    /// Its steps.
    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    /// Reads a path as serde_path_to_error and the pod validation write it: `a.b[0].c`, `[1]`,
    /// `resources.requests[cpu]` (a bracket that is not a number holds a key). `None` for text that
    /// is not a path (empty parts, an unclosed bracket, spaces).
    pub fn parse(text: &str) -> Option<FieldPath> {
        let mut path = FieldPath::root();
        let mut rest = text;
        while !rest.is_empty() {
            rest = rest.strip_prefix('.').filter(|_| !path.0.is_empty()).unwrap_or(rest);
            if let Some(inner) = rest.strip_prefix('[') {
                let (step, after) = inner.split_once(']')?;
                path = match step.parse::<usize>() {
                    Ok(i) => path.index(i),
                    Err(_) if is_name(step) => path.key(step),
                    Err(_) => return None,
                };
                rest = after;
            } else {
                let end = rest.find(['.', '[']).unwrap_or(rest.len());
                let (name, after) = rest.split_at(end);
                if !is_name(name) {
                    return None;
                }
                path = path.key(name);
                rest = after;
            }
        }
        (!path.0.is_empty() && path.0.len() <= MAX_DEPTH).then_some(path)
    }
}

/// A key as paths write it: not empty, no spaces, no quotes or colons (so a message's text is not
/// mistaken for a path).
fn is_name(text: &str) -> bool {
    !text.is_empty() && !text.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '`' | ':' | ','))
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => write!(f, "{k}")?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The 1-based line and column where the value of `path` starts in `text` (for a sequence or a
/// mapping, its first entry or opening bracket); `None` if the document has no such field. (Only
/// for documents that parse: of one that does not, the part before its error is searched.)
pub fn locate(text: &str, path: &FieldPath) -> Option<(usize, usize)> {
    if path.0.len() > MAX_DEPTH {
        return None;
    }
    let seek = Seek::<Here> { steps: &path.0, target: PhantomData };
    match seek.deserialize(serde_yaml::Deserializer::from_str(text)) {
        Err(e) if e.to_string().contains(HERE) => e.location().map(|l| (l.line(), l.column())),
        _ => None,
    }
}

/// The entries of the mapping at `path` whose values are scalars, as text (numbers and booleans as
/// YAML writes them), in the document's order; `None` if there is no mapping there.
pub fn scalar_entries(text: &str, path: &FieldPath) -> Option<Vec<(String, String)>> {
    if path.0.len() > MAX_DEPTH {
        return None;
    }
    let seek = Seek::<serde_yaml::Mapping> { steps: &path.0, target: PhantomData };
    let mapping = seek.deserialize(serde_yaml::Deserializer::from_str(text)).ok()??;
    Some(mapping.iter().filter_map(|(k, v)| Some((scalar_text(k)?, scalar_text(v)?))).collect())
}

/// A scalar's text: a string as it is, a number or boolean as YAML writes it.
fn scalar_text(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The marker of the error [`Here`] raises at the field, to tell it from a real error.
const HERE: &str = "podsim-locate: the field is here";

/// Raises an error at whatever value it is read from, so that serde_yaml marks that value's line and
/// column (every visit is refused, the message naming [`HERE`]).
struct Here;

impl<'de> Deserialize<'de> for Here {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Here, D::Error> {
        struct Refuse;
        impl Visitor<'_> for Refuse {
            type Value = Here;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(HERE)
            }
        }
        d.deserialize_any(Refuse)
    }
}

/// Walks to the value at `steps` and reads a `T` there; `None` if a step is not in the document.
/// Every other entry is skipped (read as [`IgnoredAny`]), so serde_yaml sees a whole document.
struct Seek<'p, T> {
    steps: &'p [Step],
    target: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Seek<'_, T> {
    type Value = Option<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        match self.steps.split_first() {
            None => T::deserialize(d).map(Some),
            Some((step, rest)) => d.deserialize_any(Descend::<T> { step, rest, target: PhantomData }),
        }
    }
}

/// One step of the walk: into the mapping's entry or the sequence's element it names.
struct Descend<'p, T> {
    step: &'p Step,
    rest: &'p [Step],
    target: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Descend<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping or a sequence on the way to a field")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<serde_yaml::Value>()? {
            let wanted =
                matches!(self.step, Step::Key(k) if scalar_text(&key).as_deref() == Some(k.as_str()));
            if wanted && found.is_none() {
                found = map.next_value_seed(Seek::<T> { steps: self.rest, target: PhantomData })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<T>, A::Error> {
        let mut found = None;
        let mut index = 0;
        loop {
            let element = if matches!(self.step, Step::Index(i) if *i == index) {
                seq.next_element_seed(Seek::<T> { steps: self.rest, target: PhantomData })?.map(|f| {
                    found = f;
                })
            } else {
                seq.next_element::<IgnoredAny>()?.map(|_| ())
            };
            if element.is_none() {
                return Ok(found);
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
name: demo
pods:
- metadata: {name: web}
  spec:
    containers:
    - name: app
      command: [workload, run]
    - name: side
      command:
      - workload
      - exit-after
      args: [\"2s\", 1]
images:
- {name: a, command: [workload, nope]}
";

    fn at(path: &str) -> Option<(usize, usize)> {
        locate(DOC, &FieldPath::parse(path).expect("a path"))
    }

    #[test]
    fn finds_the_line_and_column_of_a_field() {
        assert_eq!(at("name"), Some((1, 7)));
        assert_eq!(at("pods[0].spec.containers[0].command"), Some((7, 16)));
        assert_eq!(at("pods[0].spec.containers[1].command"), Some((10, 7)));
        assert_eq!(at("pods[0].spec.containers[1].args"), Some((12, 13)));
        assert_eq!(at("pods[0].spec.containers[1].args[1]"), Some((12, 20)));
        assert_eq!(at("images[0].command"), Some((14, 22)));
        assert_eq!(at("pods[0].metadata"), Some((3, 13)));
    }

    #[test]
    fn a_missing_field_or_a_bad_document_has_no_place() {
        assert_eq!(at("pods[1]"), None);
        assert_eq!(at("pods[0].spec.volumes"), None);
        assert_eq!(at("name.first"), None, "a scalar has no fields");
        assert_eq!(locate("a: 1\n", &FieldPath::root().key("b")), None);
        assert_eq!(locate("", &FieldPath::root().key("a")), None);
    }

    #[test]
    fn reads_the_scalar_entries_of_a_mapping() {
        let path = FieldPath::parse("images[0]").unwrap();
        assert_eq!(scalar_entries(DOC, &path), Some(vec![("name".to_string(), "a".to_string())]));
        assert_eq!(scalar_entries(DOC, &FieldPath::parse("name").unwrap()), None);
    }

    #[test]
    fn paths_read_and_write_as_errors_name_them() {
        for text in ["pods[0].spec.containers[1].command", "expect.pods.web", "resources.requests[cpu]"] {
            let path = FieldPath::parse(text).expect(text);
            let written = path.to_string();
            let again = FieldPath::parse(&written).expect("written paths read back");
            assert_eq!(again, path, "{text}");
        }
        assert_eq!(
            FieldPath::parse("a[2].b").unwrap().steps(),
            [Step::Key("a".into()), Step::Index(2), Step::Key("b".into())]
        );
        for not_a_path in ["", "a..b", "a[", "expected Pod, found x", "a b"] {
            assert_eq!(FieldPath::parse(not_a_path), None, "{not_a_path:?}");
        }
    }
}
