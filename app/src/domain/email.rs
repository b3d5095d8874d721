use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// An email address, trimmed and lower-cased so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err(FieldError::Required);
        }
        if email.chars().count() > Self::MAX_LEN {
            return Err(FieldError::TooLong { max: Self::MAX_LEN });
        }
        let (local, domain) = email.rsplit_once('@').ok_or(FieldError::EmailInvalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
        if local_ok && domain_ok {
            Ok(Self(email))
        } else {
            Err(FieldError::EmailInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|e| e.code().to_string())
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_ordinary_addresses() {
        let e = EmailAddress::parse("  Ada.Lovelace+ship@Example.CO.uk ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace+ship@example.co.uk");
        assert!(EmailAddress::parse("王@例子.中国").is_ok());
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "plainaddress",
            "@example.com",
            "ada@",
            "ada@example",
            "ada@@example.com",
            "ada@exa mple.com",
            ".ada@example.com",
            "ada..b@example.com",
            "ada@-example.com",
            "ada@example.c",
            "ada@example..com",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(FieldError::EmailInvalid),
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_and_overlong_have_their_own_reasons() {
        assert_eq!(EmailAddress::parse("   "), Err(FieldError::Required));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            EmailAddress::parse(&long),
            Err(FieldError::TooLong { max: 254 })
        );
    }
}
