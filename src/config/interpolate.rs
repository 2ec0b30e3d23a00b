//! Environment variable references in configuration strings.
//!
//! Every string value of a credential table may contain `${VAR}`, replaced
//! by the variable's value, or `${VAR:-default}`, replaced by `default`
//! when the variable is unset or empty. The default may itself contain
//! references, as in `${A:-${B}}`. `$${` writes a literal `${`, and a
//! `$` that does not start one of these forms is kept as it is. Table keys
//! are never changed.

use crate::error::Error;

/// The reason one string could not be interpolated, before the credential and
/// field are known.
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    /// `${VAR}` names a variable that is not set.
    Unset(String),
    /// The variable is set but its value is not valid Unicode.
    NotUnicode(String),
    /// `${` is never closed by `}`.
    Unclosed,
    /// The text between `${` and `}` or `:-` is not a variable name.
    BadName(String),
}

/// Replaces the references in every string inside `value`, in place.
///
/// `lookup` returns a variable's value; it is `std::env::var_os` outside
/// tests. The error names the credential, the field and the variable.
pub fn interpolate_value(
    value: &mut toml::Value,
    credential: &str,
    lookup: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<(), Error> {
    walk(value, &mut String::new(), &|text, field| {
        expand(text, lookup).map_err(|problem| describe(problem, credential, field))
    })
}

/// Tells whether any string inside `value` contains a `$`, the only case in
/// which [`interpolate_value`] changes something.
pub fn has_dollar(value: &toml::Value) -> bool {
    match value {
        toml::Value::String(text) => text.contains('$'),
        toml::Value::Array(items) => items.iter().any(has_dollar),
        toml::Value::Table(table) => table.values().any(has_dollar),
        _ => false,
    }
}

/// Visits every string in `value`, passing the dotted path of its field.
fn walk(
    value: &mut toml::Value,
    path: &mut String,
    visit: &dyn Fn(&str, &str) -> Result<String, Error>,
) -> Result<(), Error> {
    match value {
        toml::Value::String(text) if text.contains('$') => *text = visit(text, path)?,
        toml::Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                walk(item, path, visit)?;
                path.truncate(length);
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                walk(item, path, visit)?;
                path.truncate(length);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Expands the references in one string.
fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<String, Problem> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(tail) = after.strip_prefix("${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let end = closing_brace(tail).ok_or(Problem::Unclosed)?;
            out.push_str(&substitute(&tail[..end], lookup)?);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Returns the index of the `}` that closes a reference whose text starts
/// at `text`, skipping the references nested in its default.
fn closing_brace(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            // `$${` is a literal `${`, which opens nothing.
            b'$' if bytes[index + 1..].starts_with(b"${") => index += 2,
            b'$' if bytes.get(index + 1) == Some(&b'{') => {
                depth += 1;
                index += 1;
            }
            b'}' if depth == 0 => return Some(index),
            b'}' => depth -= 1,
            _ => {}
        }
        index += 1;
    }
    None
}

/// Returns the replacement for the inside of one `${...}`.
fn substitute(
    inner: &str,
    lookup: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<String, Problem> {
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    if !is_variable_name(name) {
        return Err(Problem::BadName(inner.to_string()));
    }
    let value = match lookup(name) {
        None => None,
        Some(raw) => Some(raw.into_string().map_err(|_| Problem::NotUnicode(name.to_string()))?),
    };
    // The default is expanded only when it is used, so a nested reference
    // to an unset variable matters only then.
    match (value, default) {
        (Some(value), Some(default)) if value.is_empty() => expand(default, lookup),
        (Some(value), _) => Ok(value),
        (None, Some(default)) => expand(default, lookup),
        (None, None) => Err(Problem::Unset(name.to_string())),
    }
}

/// Tells whether `name` is a POSIX shell variable name: letters, digits
/// and underscores, not starting with a digit.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Builds the configuration error for a problem in `field` of `credential`.
fn describe(problem: Problem, credential: &str, field: &str) -> Error {
    let place = format!("credential `{credential}`, field `{field}`");
    match problem {
        Problem::Unset(name) => {
            Error::config(format!("environment variable `{name}` is not set ({place})"))
                .with_hint(format!("set {name}, or give a default with ${{{name}:-value}}"))
        }
        Problem::NotUnicode(name) => {
            Error::config(format!("environment variable `{name}` is not valid UTF-8 ({place})"))
        }
        Problem::Unclosed => Error::config(format!("`${{` is not closed by `}}` ({place})"))
            .with_hint("write $${ for a literal ${"),
        Problem::BadName(inner) => Error::config(format!(
            "`${{{}}}` does not name an environment variable ({place})",
            inner.escape_debug()
        ))
        .with_hint("a name has letters, digits and underscores, and does not start with a digit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn environment(name: &str) -> Option<OsString> {
        match name {
            "HOST" => Some("api.example.com".into()),
            "EMPTY" => Some(OsString::new()),
            _ => None,
        }
    }

    fn run(text: &str) -> Result<String, Problem> {
        expand(text, &environment)
    }

    #[test]
    fn nested_default_expanded_when_used() {
        assert_eq!(run("${MISSING:-${HOST}}/v1").unwrap(), "api.example.com/v1");
        assert_eq!(run("${EMPTY:-${MISSING:-x}}").unwrap(), "x");
        assert_eq!(run("${HOST:-${MISSING}}").unwrap(), "api.example.com");
        assert_eq!(run("${MISSING:-${OTHER}}"), Err(Problem::Unset("OTHER".to_string())));
        assert_eq!(run("${MISSING:-$${x}}").unwrap(), "${x}");
        assert_eq!(run("${MISSING:-${HOST}"), Err(Problem::Unclosed));
    }

    #[test]
    fn variables_replaced() {
        assert_eq!(run("https://${HOST}/v1").unwrap(), "https://api.example.com/v1");
        assert_eq!(run("${HOST}${HOST}").unwrap(), "api.example.comapi.example.com");
        assert_eq!(run("${EMPTY}").unwrap(), "");
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        assert_eq!(run("${MISSING:-fallback}").unwrap(), "fallback");
        assert_eq!(run("${EMPTY:-fallback}").unwrap(), "fallback");
        assert_eq!(run("${HOST:-fallback}").unwrap(), "api.example.com");
        assert_eq!(run("${MISSING:-}").unwrap(), "");
    }

    #[test]
    fn literal_dollars_kept() {
        assert_eq!(run("$${HOST}").unwrap(), "${HOST}");
        assert_eq!(run("cost $5 and $").unwrap(), "cost $5 and $");
        assert_eq!(run("$$").unwrap(), "$$");
    }

    #[test]
    fn unset_variable_named() {
        assert_eq!(run("${MISSING}"), Err(Problem::Unset("MISSING".to_string())));
    }

    #[test]
    fn malformed_references_rejected() {
        assert_eq!(run("${HOST"), Err(Problem::Unclosed));
        assert_eq!(run("${1X}"), Err(Problem::BadName("1X".to_string())));
        assert_eq!(run("${}"), Err(Problem::BadName(String::new())));
        assert_eq!(run("${A-B}"), Err(Problem::BadName("A-B".to_string())));
    }

    #[test]
    fn nested_values_replaced_and_field_named() {
        let mut value: toml::Value =
            toml::from_str("url = \"https://${HOST}\"\n[headers]\nX-Id = \"${MISSING}\"\n")
                .unwrap();
        let error = interpolate_value(&mut value, "api", &environment).unwrap_err();
        assert!(error.message.contains("`MISSING`"), "{}", error.message);
        assert!(error.message.contains("`api`"), "{}", error.message);
        assert!(error.message.contains("`headers.X-Id`"), "{}", error.message);

        let mut value: toml::Value = toml::from_str("audience = [\"a\", \"${HOST}\"]\n").unwrap();
        interpolate_value(&mut value, "api", &environment).unwrap();
        assert_eq!(value["audience"][1].as_str(), Some("api.example.com"));
    }
}
