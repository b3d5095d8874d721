//! Signed links (`app::platform::links`): signing, and checking what a link's holder offers.
//!
//! Input, one field a line: purpose, subject, expiry, clock, then the signature offered (the
//! rest). The signed message joins purpose, subject and expiry with line breaks, so the app's
//! purposes (constants) and subjects (tracking numbers, ids) never hold one; here they cannot.
#![no_main]

use app::platform::links::{sign, verify};
use libfuzzer_sys::fuzz_target;

/// A deployment's key is random; any fixed one shows the properties.
const KEY: &str = "fuzz-link-key";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let fields: Vec<&str> = text.splitn(5, '\n').collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or("");
    let (purpose, subject, offered) = (field(0), field(1), field(4));
    let expires: i64 = field(2).trim().parse().unwrap_or(0);
    let now: i64 = field(3).trim().parse().unwrap_or(0);

    let ours = sign(KEY, purpose, subject, expires);
    assert!(
        ours.len() == 64 && ours.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{ours}"
    );
    // Our signature holds exactly until it expires.
    assert_eq!(
        verify(KEY, purpose, subject, expires, &ours, now),
        now <= expires
    );
    // What is offered holds only when it is ours (hex in either case, spaces around it).
    assert_eq!(
        verify(KEY, purpose, subject, expires, offered, now),
        now <= expires && offered.trim().eq_ignore_ascii_case(&ours),
        "{offered:?}"
    );
    // Ours is worth nothing for another subject, purpose, expiry or key, even at a clock
    // before any expiry.
    let (other_subject, other_purpose) = (format!("{subject}0"), format!("{purpose}0"));
    for (key, p, s, e) in [
        (KEY, purpose, other_subject.as_str(), expires),
        (KEY, other_purpose.as_str(), subject, expires),
        (KEY, purpose, subject, expires.wrapping_add(1)),
        ("another key", purpose, subject, expires),
    ] {
        assert!(!verify(key, p, s, e, &ours, i64::MIN), "{p:?} {s:?} {e}");
    }
});
