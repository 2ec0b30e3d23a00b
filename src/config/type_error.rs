//! Deserialising one credential table with errors that name the field.
//!
//! serde reports a value of the wrong type as "invalid type: integer `5`,
//! expected a string", without the field and in Rust's words. This module
//! tracks the path to the failing value, looks up its line and column in
//! the file, and states the expected type in plain words.

use serde_path_to_error::Segment;
use toml::de::{DeTable, DeValue};

use super::raw::RawCredential;
use crate::error::Error;

/// Deserialises the table of credential `name` from the file `shown`,
/// whose text is `text`.
///
/// Fails with a configuration error that names the credential, the field,
/// the expected type and, where the file gives it, the line and column.
pub fn deserialize_credential(
    name: &str,
    value: toml::Value,
    shown: &str,
    text: &str,
) -> Result<RawCredential, Error> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut keys = vec![Segment::Map { key: "credentials".to_string() }];
        keys.push(Segment::Map { key: name.to_string() });
        keys.extend(error.path().iter().cloned());
        let position = position(text, &keys).unwrap_or_default();
        let problem = describe(&error.path().to_string(), error.inner().message());
        Error::config(format!("credential `{name}` in {shown}{position}: {problem}"))
    })
}

/// Builds the error for a `[credentials]` entry that is not a table, such
/// as `x = "y"` written directly under `[credentials]`.
pub fn not_a_table(name: &str, value: &toml::Value, shown: &str, text: &str) -> Error {
    let keys =
        [Segment::Map { key: "credentials".to_string() }, Segment::Map { key: name.to_string() }];
    let position = position(text, &keys).unwrap_or_default();
    Error::config(format!(
        "`credentials.{name}` in {shown}{position} is {}, but each credential is a \
         [credentials.<name>] table",
        found_type(value)
    ))
    .with_hint(format!("write the fields of `{name}` under a [credentials.{name}] line"))
}

/// Names the type of a TOML value with its article, for messages. String
/// values are not shown, because a secret may have been pasted there.
fn found_type(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a floating-point number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date or time",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// Rewrites serde's message for the value at `path` (such as `lifetime`
/// or `headers.X-A`) in plain words. Messages other than a wrong type or
/// value, such as an unknown field, are kept as serde wrote them.
fn describe(path: &str, message: &str) -> String {
    let wrong = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.rsplit_once(", expected "));
    match wrong {
        Some((found, expected)) if path != "." => {
            format!("`{path}` must be {}, not {}", plain_expected(expected), plain_found(found))
        }
        _ => message.to_string(),
    }
}

/// Translates serde's and toml's names of expected types.
fn plain_expected(expected: &str) -> &str {
    match expected {
        "a boolean" => "true or false",
        "u64" => "a whole number of 0 or more",
        "a map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => other,
    }
}

/// Translates serde's description of the value found: numbers and
/// booleans are shown, a string only by its type.
fn plain_found(found: &str) -> String {
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(value) = found.strip_prefix(prefix) {
            return value.trim_matches('`').to_string();
        }
    }
    let kind = match found {
        "map" => "a table",
        "sequence" => "an array",
        other if other.starts_with("string ") => "a string",
        other if other.starts_with("char ") => "a string",
        other => other,
    };
    kind.to_string()
}

/// Returns " at line L, column C" for the value at `keys` in `text`, or
/// `None` when the file does not parse or has no such value.
fn position(text: &str, keys: &[Segment]) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let span = root.span();
    let root = toml::Spanned::new(span, DeValue::Table(root.into_inner()));
    let mut current = &root;
    for key in keys {
        current = match key {
            Segment::Map { key } => current.get_ref().get(key.as_str())?,
            Segment::Seq { index } => current.get_ref().get(*index)?,
            _ => return None,
        };
    }
    let before = &text[..current.span().start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some(format!(" at line {line}, column {column}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deserialises `[credentials.b]` with `body` and returns the error.
    fn message(body: &str) -> String {
        let text = format!("[credentials.b]\nprotocol = \"jwt\"\n{body}\n");
        let table: toml::Table = toml::from_str(&text).unwrap();
        let value = table["credentials"]["b"].clone();
        deserialize_credential("b", value, "c.toml", &text).unwrap_err().message
    }

    #[test]
    fn fractional_lifetime_names_field_and_forms() {
        let text = message("lifetime = 1.5");
        assert!(text.starts_with("credential `b` in c.toml at line 3, column 12: "), "{text}");
        assert!(text.contains("`lifetime` must be whole seconds as an integer"), "{text}");
        assert!(text.contains("\"90s\""), "{text}");
        assert!(text.ends_with("not 1.5"), "{text}");
    }

    #[test]
    fn audience_integer_names_field() {
        let text = message("audience = 5");
        assert!(
            text.contains("`audience` must be a string or an array of strings, not 5"),
            "{text}"
        );
        assert!(!text.contains("StringOrList"), "{text}");
    }

    #[test]
    fn audience_element_names_index() {
        let text = message("audience = [\"a\", 5]");
        assert!(text.contains("`audience[1]` must be a string, not 5"), "{text}");
        assert!(text.contains("line 3, column 18"), "{text}");
    }

    #[test]
    fn url_integer_names_field() {
        let text = message("url = 5");
        assert!(text.contains("`url` must be a string, not 5"), "{text}");
    }

    #[test]
    fn header_value_names_header() {
        let text = message("[credentials.b.headers]\nX-A = 5");
        assert!(text.contains("`headers.X-A` must be a string, not 5"), "{text}");
        assert!(text.contains("line 4, column 7"), "{text}");
    }

    #[test]
    fn boolean_and_integer_fields_in_plain_words() {
        let text = message("not_before = \"yes\"");
        assert!(text.contains("`not_before` must be true or false, not a string"), "{text}");
        let text = message("installation_id = -1");
        assert!(text.contains("`installation_id` must be a whole number of 0 or more"), "{text}");
        let text = message("headers = \"X-A: 1\"");
        assert!(text.contains("`headers` must be a table, not a string"), "{text}");
    }

    #[test]
    fn string_value_not_echoed() {
        let text = message("lifetime = [\"hunter2\"]");
        assert!(text.contains("`lifetime` must be whole seconds"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let text = message("not_before = \"hunter2\"");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn unknown_field_kept() {
        let text = message("isuer = \"me\"");
        assert!(text.contains("unknown field `isuer`"), "{text}");
    }

    #[test]
    fn non_table_credential_says_table_form() {
        let text = "[credentials]\nx = \"secret-value\"\n";
        let table: toml::Table = toml::from_str(text).unwrap();
        let error = not_a_table("x", &table["credentials"]["x"], "c.toml", text);
        assert!(error.message.contains("line 2, column 5"), "{}", error.message);
        assert!(error.message.contains("is a string"), "{}", error.message);
        assert!(error.message.contains("[credentials.<name>] table"), "{}", error.message);
        assert!(!error.message.contains("secret-value"), "{}", error.message);
        assert!(error.hint.unwrap().contains("[credentials.x]"));
    }
}
