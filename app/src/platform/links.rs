//! Signed, expiring links: a capability for one purpose and one subject (a rating link for one
//! shipment), checked without a session. The key is made once per deployment and kept in the
//! database, so every instance signs and checks alike.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Db;
use crate::error::AppError;

const KEY_NAME: &str = "links";

/// The deployment's signing key, made on first use; concurrent first uses agree on one.
pub async fn key(db: &Db) -> Result<String, AppError> {
    sqlx::query("INSERT INTO link_keys (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(KEY_NAME)
        .bind(crate::accounts::service::random_token())
        .execute(&db.pool)
        .await?;
    Ok(
        sqlx::query_scalar("SELECT secret FROM link_keys WHERE name = $1")
            .bind(KEY_NAME)
            .fetch_one(&db.pool)
            .await?,
    )
}

fn mac(key: &str, purpose: &str, subject: &str, expires_ms: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("{purpose}\n{subject}\n{expires_ms}").as_bytes());
    mac
}

/// The signature of `purpose` for `subject` until `expires_ms`, in hex.
pub fn sign(key: &str, purpose: &str, subject: &str, expires_ms: i64) -> String {
    hex::encode(
        mac(key, purpose, subject, expires_ms)
            .finalize()
            .into_bytes(),
    )
}

/// True when `signature` is ours for exactly this purpose, subject and expiry, and the link has
/// not expired at `now`. Compared in constant time.
pub fn verify(
    key: &str,
    purpose: &str,
    subject: &str,
    expires_ms: i64,
    signature: &str,
    now: i64,
) -> bool {
    if now > expires_ms {
        return false;
    }
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    mac(key, purpose, subject, expires_ms)
        .verify_slice(&given)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_holds_for_its_subject_until_it_expires() {
        let (key, exp) = ("k3y", 1_000_000);
        let sig = sign(key, "rate", "CP123", exp);
        assert!(verify(key, "rate", "CP123", exp, &sig, exp));
        assert!(!verify(key, "rate", "CP123", exp, &sig, exp + 1), "expired");
        assert!(!verify(key, "rate", "CP124", exp, &sig, 0), "other subject");
        assert!(
            !verify(key, "return", "CP123", exp, &sig, 0),
            "other purpose"
        );
        assert!(
            !verify(key, "rate", "CP123", exp + 1, &sig, 0),
            "expiry changed"
        );
        assert!(!verify("other", "rate", "CP123", exp, &sig, 0), "other key");
        assert!(!verify(key, "rate", "CP123", exp, "zz", 0));
    }
}
