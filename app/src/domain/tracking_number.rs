use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A UPU S10 item identifier: 2 service letters, 8 serial digits, a check digit and an ISO
/// country code, e.g. `RR123456785CN`. Spaces and lower case are accepted when typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingNumber(String);

const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

impl TrackingNumber {
    /// The canonical shape as the API document states it; the check digit is checked beyond it.
    /// Spaces and lower case, accepted when typed, are left out.
    pub const PATTERN: &str = "^[A-Z]{2}[0-9]{9}[A-Z]{2}$";
    /// [`Self::PATTERN`], or empty where an empty field names no shipment.
    pub const PATTERN_OR_EMPTY: &str = "^([A-Z]{2}[0-9]{9}[A-Z]{2})?$";

    /// The S10 check digit of eight serial digits.
    pub fn check_digit(serial: &[u8; 8]) -> u8 {
        let sum: u32 = serial
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(*d) * w)
            .sum();
        match 11 - (sum % 11) {
            10 => 0,
            11 => 5,
            c => c as u8,
        }
    }

    /// Builds a number from its parts; the check digit is computed, never supplied.
    pub fn from_parts(service: &str, serial: u32, country: &str) -> Option<Self> {
        if serial > 99_999_999 {
            return None;
        }
        let digits: Vec<u8> = format!("{serial:08}").bytes().map(|b| b - b'0').collect();
        let digits: [u8; 8] = digits.try_into().ok()?;
        let check = Self::check_digit(&digits);
        Self::parse(&format!("{service}{serial:08}{check}{country}")).ok()
    }

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        let b = s.as_bytes();
        if b.len() != 13
            || !b[..2].iter().all(u8::is_ascii_uppercase)
            || !b[2..11].iter().all(u8::is_ascii_digit)
            || !b[11..].iter().all(u8::is_ascii_uppercase)
        {
            return Err(FieldError::Invalid);
        }
        let serial: [u8; 8] = std::array::from_fn(|i| b[2 + i] - b'0');
        if Self::check_digit(&serial) != b[10] - b'0' {
            return Err(FieldError::Invalid);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TrackingNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|e| e.code().to_string())
    }
}

impl From<TrackingNumber> for String {
    fn from(value: TrackingNumber) -> Self {
        value.0
    }
}

impl std::fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_upu_reference_example_in_any_typing() {
        // The worked example of UPU S10: serial 47312482 has check digit 9.
        assert_eq!(TrackingNumber::check_digit(&[4, 7, 3, 1, 2, 4, 8, 2]), 9);
        assert!(TrackingNumber::parse("RR473124829FR").is_ok());
        assert_eq!(
            TrackingNumber::parse(" rr 4731 2482 9 fr ")
                .unwrap()
                .as_str(),
            "RR473124829FR"
        );
    }

    #[test]
    fn check_digit_remainders_map_to_zero_and_five() {
        // sum % 11 == 1 -> 10 -> 0, sum % 11 == 0 -> 11 -> 5
        assert_eq!(TrackingNumber::check_digit(&[0, 0, 0, 0, 0, 0, 0, 0]), 5);
        assert_eq!(TrackingNumber::check_digit(&[0, 0, 0, 0, 0, 0, 0, 8]), 0); // 56 % 11 == 1
        assert_eq!(TrackingNumber::check_digit(&[0, 0, 0, 0, 0, 0, 0, 3]), 1); // 21 % 11 == 10
    }

    #[test]
    fn a_wrong_digit_in_any_position_is_caught() {
        // S10 maps remainders 0 and 6 both to check digit 5, so a number whose check digit is
        // 5 cannot catch every slip; any other check digit does (11 is prime).
        let good = TrackingNumber::from_parts("RR", 47312482, "CN").unwrap();
        assert_eq!(good.as_str(), "RR473124829CN");
        let s = good.as_str().to_string();
        for pos in 2..11 {
            let mut bytes = s.clone().into_bytes();
            bytes[pos] = if bytes[pos] == b'9' {
                b'0'
            } else {
                bytes[pos] + 1
            };
            let bad = String::from_utf8(bytes).unwrap();
            assert_eq!(
                TrackingNumber::parse(&bad),
                Err(FieldError::Invalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_wrong_shapes() {
        for bad in [
            "RR12345678CN",
            "R1234567895CN",
            "RR1234567895C1",
            "RR12345678950CN",
        ] {
            assert_eq!(
                TrackingNumber::parse(bad),
                Err(FieldError::Invalid),
                "{bad}"
            );
        }
        assert_eq!(TrackingNumber::parse("  "), Err(FieldError::Required));
    }

    /// Inputs at the edges of the parser, for the fuzz target `tracking_number` (fuzz/, README
    /// "Fuzzing"); an input it crashes on is added here.
    #[test]
    fn fuzz_regressions() {
        for empty in ["", "\u{3000}\u{a0}\t\n"] {
            assert_eq!(TrackingNumber::parse(empty), Err(FieldError::Required));
        }
        // Full-width letters and digits (U+FF01.. mirror ASCII from '!'), and Arabic-Indic
        // digits: not S10.
        let full_width: String = "RR473124829FR"
            .chars()
            .filter_map(|c| char::from_u32(u32::from(c) + 0xfee0))
            .collect();
        assert_eq!(full_width.chars().next(), Some('\u{ff32}'));
        for bad in [
            full_width.as_str(),
            "RR\u{664}\u{667}\u{663}\u{661}\u{662}\u{664}\u{668}\u{662}\u{669}FR",
            // Thirteen bytes with a three-byte character where the check digit goes.
            "RR47312482\u{20ac}",
            "RR473124829F",
            "RR473124829FRA",
            "R\u{0}473124829FR",
        ] {
            assert_eq!(
                TrackingNumber::parse(bad),
                Err(FieldError::Invalid),
                "{bad}"
            );
        }
        // Typed with any Unicode spaces and in lower case, it is the same number, and its
        // normal form reads back as itself (the fuzz target's property).
        let typed = TrackingNumber::parse("cp\u{a0}1234\u{3000}5678 5\tcn").unwrap();
        assert_eq!(typed.as_str(), "CP123456785CN");
        assert_eq!(TrackingNumber::parse(typed.as_str()).as_ref(), Ok(&typed));
        // The first and last serials; one more has no number.
        let first = TrackingNumber::from_parts("RR", 0, "CN").unwrap();
        assert_eq!(first.as_str(), "RR000000005CN");
        let last = TrackingNumber::from_parts("RR", 99_999_999, "CN").unwrap();
        assert_eq!(last.as_str(), "RR999999995CN");
        assert_eq!(TrackingNumber::from_parts("RR", 100_000_000, "CN"), None);
    }
}
