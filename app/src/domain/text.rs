use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// One line of free text: trimmed, at most `max` characters, no line breaks or control
/// characters; `None` when empty and not `required`.
pub fn single_line(input: &str, max: usize, required: bool) -> Result<Option<String>, FieldError> {
    checked(input, input.trim().to_string(), max, required, |_| false)
}

/// Text of at most `max` characters as sent (spaces and line ends counted, as the API document's
/// `maxLength` counts them), trimmed, with no control characters but those `allowed`.
fn checked(
    sent: &str,
    value: String,
    max: usize,
    required: bool,
    allowed: impl Fn(char) -> bool,
) -> Result<Option<String>, FieldError> {
    if sent.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    if value.is_empty() {
        return if required {
            Err(FieldError::Required)
        } else {
            Ok(None)
        };
    }
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(FieldError::ControlCharacters);
    }
    Ok(Some(value))
}

/// Several lines of free text (a comment, a complaint): trimmed, at most `max` characters, line
/// breaks and tabs allowed but no other control characters; `None` when empty and not
/// `required`.
pub fn free_text(input: &str, max: usize, required: bool) -> Result<Option<String>, FieldError> {
    checked(
        input,
        input.trim().replace("\r\n", "\n"),
        max,
        required,
        |c| c == '\n' || c == '\t',
    )
}

/// Case, spaces and punctuation folded away, for comparing what people type with what is
/// stored: postcodes, postcode prefixes, city names, tracking numbers.
pub fn fold_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A person's name as they write it: any script, trimmed, one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        single_line(input, Self::MAX_CHARS, true).map(|v| Self(v.unwrap_or_default()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A company name; optional at sign-up (individuals ship too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyName(String);

impl CompanyName {
    pub const MAX_CHARS: usize = 120;

    pub fn parse_optional(input: &str) -> Result<Option<Self>, FieldError> {
        single_line(input, Self::MAX_CHARS, false).map(|v| v.map(Self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Percent-encodes everything but unreserved characters and `/`, for a URL in a query value.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn free_text_keeps_line_breaks_and_refuses_other_controls() {
        assert_eq!(
            free_text(" a\r\nb\tc ", 10, true),
            Ok(Some("a\nb\tc".into()))
        );
        assert_eq!(free_text("  ", 10, true), Err(FieldError::Required));
        assert_eq!(free_text("", 10, false), Ok(None));
        assert_eq!(
            free_text("a\u{7}b", 10, false),
            Err(FieldError::ControlCharacters)
        );
        assert_eq!(
            free_text("abcdef", 5, false),
            Err(FieldError::TooLong { max: 5 })
        );
        // Counted as sent, as the API document's maxLength counts: line ends and spaces too.
        assert_eq!(
            free_text("ab\r\ncd", 5, false),
            Err(FieldError::TooLong { max: 5 })
        );
        assert_eq!(
            single_line(" abcde", 5, false),
            Err(FieldError::TooLong { max: 5 })
        );
        assert_eq!(free_text("ab\r\nc", 5, false), Ok(Some("ab\nc".into())));
    }

    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_single_line() {
        assert_eq!(PersonName::parse("  李雷 ").unwrap().as_str(), "李雷");
        assert_eq!(PersonName::parse(" ").err(), Some(FieldError::Required));
        assert_eq!(
            PersonName::parse(&"é".repeat(101)).err(),
            Some(FieldError::TooLong { max: 100 })
        );
        assert_eq!(
            PersonName::parse("Ada\nLovelace").err(),
            Some(FieldError::ControlCharacters)
        );
    }

    #[test]
    fn company_is_optional() {
        assert_eq!(CompanyName::parse_optional("  ").unwrap(), None);
        assert_eq!(
            CompanyName::parse_optional("Acme Ltd")
                .unwrap()
                .unwrap()
                .as_str(),
            "Acme Ltd"
        );
    }
}
