use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A postcode checked against its country's format and normalised (upper case, canonical
/// spacing), so "sw1a1aa" and "SW1A 1AA" are the same postcode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Postcode(String);

/// Formats per country: `N` a digit, `A` a letter, anything else itself. Spaces are where the
/// canonical spelling puts them; input is matched without its spaces and respaced.
fn patterns(country: &str) -> Option<&'static [&'static str]> {
    Some(match country {
        "CN" | "SG" | "IN" | "RU" => &["NNNNNN"],
        "US" => &["NNNNN", "NNNNN-NNNN"],
        "DE" | "FR" | "ES" | "IT" | "FI" | "MY" | "TH" | "MX" => &["NNNNN"],
        "AU" | "AT" | "BE" | "CH" | "DK" | "NO" | "NZ" | "ZA" | "PH" => &["NNNN"],
        "JP" => &["NNN-NNNN", "NNNNNNN"],
        "KR" => &["NNNNN"],
        "NL" => &["NNNN AA"],
        "CA" => &["ANA NAN"],
        "SE" => &["NNN NN"],
        "PL" => &["NN-NNN", "NNNNN"],
        "PT" => &["NNNN-NNN"],
        "BR" => &["NNNNN-NNN", "NNNNNNNN"],
        "HK" => &[],
        _ => return None,
    })
}

fn matches(pattern: &str, value: &str) -> bool {
    pattern.len() == value.len()
        && pattern.chars().zip(value.chars()).all(|(p, c)| match p {
            'N' => c.is_ascii_digit(),
            'A' => c.is_ascii_uppercase(),
            other => other == c,
        })
}

/// UK postcodes: outward code (A9, A99, A9A, AA9, AA99, AA9A) then inward code (9AA).
fn is_uk(compact: &str) -> bool {
    // ASCII first: the split below counts bytes, and "Aé12" would be cut inside the "é".
    if !compact.is_ascii() || !(5..=7).contains(&compact.len()) {
        return false;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    matches("NAA", inward)
        && ["AN", "ANN", "ANA", "AAN", "AANN", "AANA"]
            .iter()
            .any(|p| matches(p, outward))
}

impl Postcode {
    pub const MAX_CHARS: usize = 10;

    /// `country` is an ISO 3166-1 alpha-2 code, already checked.
    pub fn parse(country: &str, input: &str) -> Result<Self, FieldError> {
        let value: String = input
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase();
        if value.is_empty() {
            // Some places (Hong Kong) have no postcodes; everywhere else one is required.
            return if patterns(country) == Some(&[]) {
                Ok(Self(String::new()))
            } else {
                Err(FieldError::Required)
            };
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::TooLong {
                max: Self::MAX_CHARS,
            });
        }
        let compact: String = value.chars().filter(|c| *c != ' ').collect();
        if country == "GB" {
            return if is_uk(&compact) {
                let (outward, inward) = compact.split_at(compact.len() - 3);
                Ok(Self(format!("{outward} {inward}")))
            } else {
                Err(FieldError::PostcodeInvalid)
            };
        }
        match patterns(country) {
            Some(pats) => pats
                .iter()
                .find(|p| {
                    let compact_pattern: String = p.chars().filter(|c| *c != ' ').collect();
                    matches(&compact_pattern, &compact)
                })
                .map(|p| {
                    let mut chars = compact.chars();
                    Self(
                        p.chars()
                            .map(|c| {
                                if c == ' ' {
                                    ' '
                                } else {
                                    chars.next().unwrap_or(' ')
                                }
                            })
                            .collect(),
                    )
                })
                .ok_or(FieldError::PostcodeInvalid),
            // Unknown format: letters, digits, one space or dash, as the UPU allows.
            None => {
                if value.len() >= 2
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
                {
                    Ok(Self(value))
                } else {
                    Err(FieldError::PostcodeInvalid)
                }
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_valid_postcodes() {
        assert_eq!(
            Postcode::parse("CN", " 100080 ").unwrap().as_str(),
            "100080"
        );
        assert_eq!(
            Postcode::parse("GB", "sw1a1aa").unwrap().as_str(),
            "SW1A 1AA"
        );
        assert_eq!(Postcode::parse("GB", "M1 1AE").unwrap().as_str(), "M1 1AE");
        assert_eq!(Postcode::parse("NL", "1012ab").unwrap().as_str(), "1012 AB");
        assert_eq!(Postcode::parse("CA", "k1a0b1").unwrap().as_str(), "K1A 0B1");
        assert_eq!(
            Postcode::parse("US", "94105-1234").unwrap().as_str(),
            "94105-1234"
        );
        assert_eq!(
            Postcode::parse("JP", "100-0001").unwrap().as_str(),
            "100-0001"
        );
        assert_eq!(Postcode::parse("XX", "ab-12").unwrap().as_str(), "AB-12");
        assert_eq!(Postcode::parse("HK", "").unwrap().as_str(), "");
    }

    #[test]
    fn refuses_postcodes_of_the_wrong_shape() {
        for (country, bad) in [
            ("CN", "10008"),
            ("CN", "1000800"),
            ("US", "9410"),
            ("DE", "1011A"),
            ("GB", "SW1A 1A"),
            ("GB", "1SW 1AA"),
            ("NL", "AB 1012"),
            ("XX", "a#1"),
        ] {
            assert_eq!(
                Postcode::parse(country, bad),
                Err(FieldError::PostcodeInvalid),
                "{country} {bad}"
            );
        }
        assert_eq!(Postcode::parse("CN", "  "), Err(FieldError::Required));
        assert_eq!(
            Postcode::parse("XX", "12345678901"),
            Err(FieldError::TooLong { max: 10 })
        );
    }

    /// Inputs at the edges of the parser, for the fuzz target `postcode_phone` (fuzz/, README
    /// "Fuzzing"); an input it crashes on is added here.
    #[test]
    fn fuzz_regressions() {
        // A non-ASCII letter put the UK check's split inside a character (a panic, for the
        // first three).
        for input in ["A\u{e9}12", "ab\u{20ac}1", "sw1\u{e9}1a", "\u{e9}1AA1"] {
            assert_eq!(
                Postcode::parse("GB", input),
                Err(FieldError::PostcodeInvalid),
                "{input}"
            );
        }
        // Full-width and Arabic-Indic digits are not postcode digits.
        assert_eq!(
            Postcode::parse("CN", "\u{ff11}\u{ff10}\u{ff10}\u{ff10}\u{ff18}\u{ff10}"),
            Err(FieldError::PostcodeInvalid)
        );
        assert_eq!(
            Postcode::parse("XX", "\u{661}\u{662}\u{663}\u{664}"),
            Err(FieldError::PostcodeInvalid)
        );
        // Any Unicode space separates.
        assert_eq!(
            Postcode::parse("GB", "sw1a\u{3000}1aa").unwrap().as_str(),
            "SW1A 1AA"
        );
        // Hong Kong has no postcodes, so only none is accepted; an unknown format needs two
        // characters and takes ten.
        assert_eq!(Postcode::parse("HK", " \t").unwrap().as_str(), "");
        assert_eq!(
            Postcode::parse("HK", "999077"),
            Err(FieldError::PostcodeInvalid)
        );
        assert_eq!(Postcode::parse("XX", "a"), Err(FieldError::PostcodeInvalid));
        assert_eq!(
            Postcode::parse("XX", "ab-12 cd34").unwrap().as_str(),
            "AB-12 CD34"
        );
        // The normal form reads back as itself (the fuzz target's property).
        for (country, input) in [
            ("GB", "ec1a1bb"),
            ("NL", "1012ab"),
            ("JP", "1000001"),
            ("US", "94105-1234"),
            ("CA", "k1a 0b1"),
            ("XX", " ab  12 "),
        ] {
            let once = Postcode::parse(country, input).unwrap();
            assert_eq!(
                Postcode::parse(country, once.as_str()).as_ref(),
                Ok(&once),
                "{country} {input}"
            );
        }
    }
}
