//! Signed, expiring links: a capability for one purpose and one subject (a rating link for one
//! shipment), checked without a session. The key is made once per deployment and kept in the
//! database, so every instance signs and checks alike.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Db;
use crate::error::AppError;

const KEY_NAME: &str = "links";

/// A signature as the API document states it: the 32 bytes of an HMAC-SHA256 in hex.
pub const SIGNATURE_PATTERN: &str = "^[0-9A-Fa-f]{64}$";

/// The deployment's signing key, made on first use; concurrent first uses agree on one.
pub async fn key(db: &Db) -> Result<String, AppError> {
    sqlx::query("INSERT INTO link_keys (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(KEY_NAME)
        .bind(super::tokens::random_token())
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
    fn a_signature_has_the_shape_the_document_states() {
        let sig = sign("k3y", "view", "7", 1_000);
        assert!(
            sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_hexdigit()),
            "{sig}"
        );
        assert!(SIGNATURE_PATTERN.ends_with("{64}$"));
        // Upper case reads the same: the document allows both.
        assert!(verify("k3y", "view", "7", 1_000, &sig.to_uppercase(), 0));
    }

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

    /// Inputs at the edges of signing and checking, for the fuzz target `signed_links` (fuzz/,
    /// README "Fuzzing"); an input it crashes on is added here.
    #[test]
    fn fuzz_regressions() {
        let (key, exp) = ("k3y", 1_000_000);
        let sig = sign(key, "rate", "CP123", exp);
        assert_eq!(sig.len(), 64);
        // Hex is read in either case and with spaces around it, as links get copied.
        for copied in [sig.to_uppercase(), format!(" {sig}\n")] {
            assert!(
                verify(key, "rate", "CP123", exp, &copied, exp),
                "{copied:?}"
            );
        }
        // Cut short, lengthened, odd, not hex, not ASCII, empty or all zeros: refused.
        for bad in [
            sig[..62].to_string(),
            format!("{sig}00"),
            sig[..63].to_string(),
            format!("{}\u{e9}", &sig[..62]),
            "\u{e9}".repeat(32),
            String::new(),
            "0".repeat(64),
        ] {
            assert!(!verify(key, "rate", "CP123", exp, &bad, 0), "{bad:?}");
        }
        // The extreme expiries and clocks.
        let never = sign(key, "rate", "CP123", i64::MAX);
        assert!(verify(key, "rate", "CP123", i64::MAX, &never, i64::MAX));
        let past = sign(key, "rate", "CP123", i64::MIN);
        assert!(verify(key, "rate", "CP123", i64::MIN, &past, i64::MIN));
        assert!(!verify(key, "rate", "CP123", i64::MIN, &past, i64::MIN + 1));
        // An empty key, purpose and subject sign and check like any other.
        let empty = sign("", "", "", 0);
        assert!(verify("", "", "", 0, &empty, 0));
        assert!(!verify("", "", "", 0, &empty, 1));
    }
}
