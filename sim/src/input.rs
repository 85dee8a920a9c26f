//! Reading the user's files (scenarios, manifests, plan documents): YAML (or JSON) into typed
//! documents, with errors that name the file, the line and column, and the field.

use std::fmt;
use std::io::Read;

use serde::de::DeserializeOwned;

use crate::locate::{locate, scalar_entries, FieldPath};

/// Bad input: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file as the user named it (`-` is shown as `<stdin>`).
    pub file: String,
    /// 1-based line and column, when known.
    pub location: Option<(usize, usize)>,
    /// The field, as `spec.containers[0].name`, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// An error about the file as a whole.
    pub fn whole_file(file: &str, message: impl Into<String>) -> InputError {
        InputError { file: display_name(file), location: None, field: None, message: message.into() }
    }

    /// An error about a field of a document already read (`text`), found after reading it: the
    /// field's line and column are looked up in the text.
    pub fn at_field(file: &str, text: &str, field: &FieldPath, message: impl Into<String>) -> InputError {
        InputError {
            file: display_name(file),
            location: locate(text, field),
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    /// [`InputError::at_field`] for a field path written as errors write it (`pod.spec.containers[0].name`);
    /// a path that does not read as one is named as it is, without a place.
    pub fn at_path(file: &str, text: &str, field: &str, message: impl Into<String>) -> InputError {
        match FieldPath::parse(field) {
            Some(path) => InputError::at_field(file, text, &path, message),
            None => InputError {
                file: display_name(file),
                location: None,
                field: Some(field.to_string()),
                message: message.into(),
            },
        }
    }
}

fn display_name(file: &str) -> String {
    if file == "-" {
        "<stdin>".to_string()
    } else {
        file.to_string()
    }
}

/// Reads a file, or standard input for `-`.
pub fn read_source(file: &str) -> Result<String, InputError> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| InputError::whole_file(file, format!("cannot read standard input: {e}")))?;
        Ok(text)
    } else {
        std::fs::read_to_string(file).map_err(|e| InputError::whole_file(file, format!("cannot read: {e}")))
    }
}

/// Parses YAML (JSON is YAML too) into `T`, locating any error.
pub fn parse_document<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::whole_file(file, "the document is empty"));
    }
    let deserializer = serde_yaml::Deserializer::from_str(text);
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let location = inner.location().map(|l| (l.line(), l.column()));
        let error = InputError {
            file: display_name(file),
            location,
            field: (path != "." && path != "?" && !path.is_empty()).then_some(path.clone()),
            message: clean_message(&inner.to_string(), &path),
        };
        narrow(text, error)
    })
}

/// Points an error at the field it is about when the reader could only point at an enclosing one
/// (at the field's own line and column, or at the one field below it that the message names):
/// a check of a whole entry whose message starts with the field below it (`pods[0]`: "kind: expected
/// Pod"), or a word inside an entry that serde reads in one piece (a fault's fields are buffered
/// while its `kind` is found, so `direction: up` is reported at the fault).
fn narrow(text: &str, error: InputError) -> InputError {
    // When serde_yaml names an unknown key in the path, it put the error at the key itself: that is
    // the place (a buffered entry's unknown key is named only in the message, and found below).
    let unknown_key = error.message.strip_prefix("unknown field `").and_then(|m| m.split('`').next());
    if unknown_key.is_some_and(|k| error.field.as_deref().is_some_and(|f| f.ends_with(&format!(".{k}")))) {
        return error;
    }
    let Some(field) = error.field.as_deref().and_then(FieldPath::parse) else { return error };
    let Some((child, message)) = field_within(text, &field, &error.message) else {
        // A check made after its value was read (a conversion, a whole-entry check) is marked by
        // serde_yaml at an enclosing value; the field itself is where the error is.
        return InputError { location: locate(text, &field).or(error.location), ..error };
    };
    InputError {
        location: locate(text, &child).or(error.location),
        field: Some(child.to_string()),
        message,
        ..error
    }
}

/// The field below `field` that `message` is about, and the message to give there.
fn field_within(text: &str, field: &FieldPath, message: &str) -> Option<(FieldPath, String)> {
    // "kind: expected Pod, found ...": the message names the field below.
    if let Some((head, rest)) = message.split_once(": ") {
        if let Some(relative) = FieldPath::parse(head) {
            let child = field.clone().join(&relative);
            if locate(text, &child).is_some() {
                return Some((child, rest.to_string()));
            }
        }
    }
    // "unknown variant `up`", "unknown field `x`", "invalid type: string \"three\"", "unknown feature
    // gate \"X\"": the one entry of the mapping with that key or value.
    if message.starts_with("missing field") {
        return None;
    }
    let word = quoted_word(message)?;
    let entries = scalar_entries(text, field)?;
    let mut matching = entries.iter().filter(|(k, v)| *k == word || *v == word);
    match (matching.next(), matching.next()) {
        (Some((key, _)), None) => Some((field.clone().key(key), message.to_string())),
        _ => None,
    }
}

/// The first word of a message in backquotes (serde's `unknown variant `x``) or double quotes.
fn quoted_word(message: &str) -> Option<String> {
    let backquoted = message.split('`').nth(1).filter(|_| message.matches('`').count() >= 2);
    let quoted = || message.split('"').nth(1).filter(|_| message.matches('"').count() >= 2);
    backquoted.or_else(quoted).map(str::to_string)
}

/// serde_yaml puts the path and the location into its message; we print both apart, so strip them.
fn clean_message(message: &str, path: &str) -> String {
    let without_location = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    // serde_yaml may name the field (or one of its parents) again at the start of the message.
    let mut message = without_location;
    if let Some((head, rest)) = message.split_once(": ") {
        if !head.is_empty()
            && (path == head
                || path.starts_with(&format!("{head}."))
                || path.starts_with(&format!("{head}[")))
        {
            message = rest;
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        name: String,
        count: u32,
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let text = "items:\n- name: a\n  count: 1\n- name: b\n  count: many\n";
        let err = parse_document::<Doc>("f.yaml", text).unwrap_err();
        assert_eq!(err.location, Some((5, 10)));
        assert_eq!(err.field.as_deref(), Some("items[1].count"));
        assert!(err.message.contains("invalid type"), "{}", err.message);
        assert!(err.to_string().starts_with("f.yaml:5:10: items[1].count: "), "{err}");
    }

    #[test]
    fn unknown_keys_and_empty_documents_are_errors() {
        let err = parse_document::<Doc>("f.yaml", "items: []\nextra: 1\n").unwrap_err();
        assert!(err.message.contains("unknown field `extra`"), "{}", err.message);
        assert_eq!(err.location.map(|l| l.0), Some(2));
        let err = parse_document::<Doc>("-", "  \n").unwrap_err();
        assert_eq!(err.to_string(), "<stdin>: the document is empty");
    }
}
