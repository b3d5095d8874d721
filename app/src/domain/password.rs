use crate::error::FieldError;

/// A new password that meets the policy. Deliberately not `Serialize` nor `Debug`-printable.
pub struct Password(String);

impl Password {
    /// NIST SP 800-63B: length matters, composition rules do not.
    pub const MIN_CHARS: usize = 10;
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
        } else {
            Ok(Self(input.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
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
            Some(FieldError::PasswordTooShort { min: 10 })
        );
        assert!(Password::parse("包裹追踪密码很安全的").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(129)).err(),
            Some(FieldError::PasswordTooLong { max: 128 })
        );
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
