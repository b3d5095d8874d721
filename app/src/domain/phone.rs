use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A phone number as couriers dial it: an optional leading `+`, then 6 to 15 digits (E.164's
/// limit); spaces, dashes, dots and brackets are accepted when typed and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// As the API document states it: a `+` only first, 6 to 15 digits, the separators above.
    pub const PATTERN: &str = r"^\+?[-. ()]*(?:[0-9][-. ()]*){6,15}$";

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

    /// Inputs at the edges of the parser, for the fuzz target `postcode_phone` (fuzz/, README
    /// "Fuzzing"); an input it crashes on is added here.
    #[test]
    fn fuzz_regressions() {
        for bad in [
            // Arabic-Indic and full-width digits are not digits a courier dials.
            "\u{661}\u{663}\u{668}\u{660}\u{660}\u{661}\u{663}\u{668}",
            "\u{ff11}\u{ff13}\u{ff18}\u{ff10}\u{ff10}\u{ff11}\u{ff13}\u{ff18}",
            "+",
            "+ ()-.",
            "13800138000\u{0}",
            "+86 138 0013 8000 x12",
        ] {
            assert_eq!(
                PhoneNumber::parse(bad),
                Err(FieldError::PhoneInvalid),
                "{bad}"
            );
        }
        assert_eq!(PhoneNumber::parse("\u{3000}"), Err(FieldError::Required));
        // The shortest and the longest numbers, spaced by any Unicode space around them.
        let shortest = PhoneNumber::parse("\u{a0}12-34-56\u{a0}").unwrap();
        assert_eq!((shortest.as_str(), shortest.suffix()), ("123456", "3456"));
        let longest = PhoneNumber::parse("+1 234 567 890 123 45").unwrap();
        assert_eq!(longest.as_str(), "+123456789012345");
        // The normal form reads back as itself (the fuzz target's property).
        for number in [shortest, longest] {
            assert_eq!(PhoneNumber::parse(number.as_str()).as_ref(), Ok(&number));
        }
    }
}
