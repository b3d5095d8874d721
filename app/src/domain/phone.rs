use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A phone number as couriers dial it: an optional leading `+`, then 6 to 15 digits (E.164's
/// limit); spaces, dashes, dots and brackets are accepted when typed and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::Required);
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()".contains(c))
        {
            return Err(FieldError::PhoneInvalid);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if !(6..=15).contains(&digits.len()) {
            return Err(FieldError::PhoneInvalid);
        }
        Ok(Self(format!("{plus}{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, which a recipient may quote to prove who they are.
    pub fn suffix(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        assert_eq!(
            PhoneNumber::parse("+86 138-0013-8000").unwrap().as_str(),
            "+8613800138000"
        );
        assert_eq!(
            PhoneNumber::parse("(020) 7946 0958").unwrap().as_str(),
            "02079460958"
        );
        assert_eq!(PhoneNumber::parse("13800138000").unwrap().suffix(), "8000");
    }

    #[test]
    fn refuses_letters_and_wrong_lengths() {
        assert_eq!(PhoneNumber::parse(""), Err(FieldError::Required));
        assert_eq!(PhoneNumber::parse("call me"), Err(FieldError::PhoneInvalid));
        assert_eq!(PhoneNumber::parse("12345"), Err(FieldError::PhoneInvalid));
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(FieldError::PhoneInvalid)
        );
        assert_eq!(
            PhoneNumber::parse("++8613800138000"),
            Err(FieldError::PhoneInvalid)
        );
    }
}
