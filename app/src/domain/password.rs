use crate::error::FieldError;

/// A new password that meets the policy. Deliberately not `Serialize` nor `Debug`-printable.
pub struct Password(String);

impl Password {
    /// NIST SP 800-63B and ASVS 2.1.1: length matters, composition rules do not.
    pub const MIN_CHARS: usize = 12;
    /// Bounded so a megabyte "password" cannot tie up the hasher.
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let n = input.chars().count();
        if n == 0 {
            Err(FieldError::Required)
        } else if n < Self::MIN_CHARS {
            Err(FieldError::PasswordTooShort {
                min: Self::MIN_CHARS,
            })
        } else if n > Self::MAX_CHARS {
            Err(FieldError::PasswordTooLong {
                max: Self::MAX_CHARS,
            })
        } else if is_common(input) {
            Err(FieldError::PasswordCommon)
        } else {
            Ok(Self(input.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The 10,000 most common passwords of the leaked-password corpus zxcvbn ships (MIT), those of
/// four or more ASCII characters, lower case, one per line. Server only: the wasm stays small,
/// and the server is where a password is accepted.
#[cfg(feature = "ssr")]
const COMMON: &str = include_str!("common_passwords.txt");

#[cfg(feature = "ssr")]
fn common_set() -> &'static std::collections::HashSet<&'static str> {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON.lines().collect())
}

/// Whether a password is one attackers try first (ASVS 2.1.7): on the list as it is, or a
/// listed word padded with digits and symbols ("Summer2024!"), or one short piece repeated
/// ("abcabcabcabc").
#[cfg(feature = "ssr")]
fn is_common(input: &str) -> bool {
    let lower = input.to_lowercase();
    let core =
        lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    let set = common_set();
    set.contains(lower.as_str())
        || (core.chars().count() >= 4 && set.contains(core))
        || is_repetition(&lower)
}

/// The client's check is a courtesy: it only counts characters.
#[cfg(not(feature = "ssr"))]
fn is_common(_input: &str) -> bool {
    false
}

/// One piece of up to four characters written again and again.
#[cfg(feature = "ssr")]
fn is_repetition(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    (1..=4).any(|unit| {
        chars.len() >= unit * 2
            && chars.len().is_multiple_of(unit)
            && chars.chunks(unit).all(|c| c == &chars[..unit])
    })
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_in_characters_not_bytes() {
        assert_eq!(Password::parse("").err(), Some(FieldError::Required));
        assert_eq!(
            Password::parse("short").err(),
            Some(FieldError::PasswordTooShort { min: 12 })
        );
        assert_eq!(
            Password::parse("eleven-char").err(),
            Some(FieldError::PasswordTooShort { min: 12 })
        );
        assert!(Password::parse("包裹追踪密码很安全的好密码").is_ok());
        let longest = "0123456789abcdef".repeat(8);
        assert!(Password::parse(&longest).is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(129)).err(),
            Some(FieldError::PasswordTooLong { max: 128 })
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn refuses_common_passwords_padded_or_repeated() {
        for common in [
            "123qweasdzxc",
            "1qaz2wsx3edc",
            "QWERTY123456",
            "password1234",
            "Password2024!",
            "iloveyou!!!!",
            "  sunshine2025",
            "abcabcabcabc",
            "zzzzzzzzzzzz",
            "1212121212121212",
        ] {
            assert_eq!(
                Password::parse(common).err(),
                Some(FieldError::PasswordCommon),
                "{common}"
            );
        }
        for fine in [
            "a-long-enough-password",
            "parcelport-demo",
            "correct horse battery",
            "tr0ub4dor&3-staple",
            "abcdabcdabcx",
        ] {
            assert!(Password::parse(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
