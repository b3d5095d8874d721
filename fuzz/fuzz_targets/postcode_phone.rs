//! Postcodes per country (`app::domain::Postcode`) and phone numbers (`PhoneNumber`): the first
//! byte picks the country, the rest is what was typed.
#![no_main]

use app::domain::{PhoneNumber, Postcode};
use libfuzzer_sys::fuzz_target;

/// Every country with a format of its own, the UK (checked apart), and one without a known
/// format (the UPU's general rule).
const COUNTRIES: &[&str] = &[
    "CN", "SG", "IN", "RU", "US", "DE", "FR", "ES", "IT", "FI", "MY", "TH", "MX", "AU", "AT", "BE",
    "CH", "DK", "NO", "NZ", "ZA", "PH", "JP", "KR", "NL", "CA", "SE", "PL", "PT", "BR", "HK", "GB",
    "AE",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, typed)) = data.split_first() else {
        return;
    };
    let country = COUNTRIES[usize::from(pick) % COUNTRIES.len()];
    let typed = String::from_utf8_lossy(typed);

    if let Ok(postcode) = Postcode::parse(country, &typed) {
        let s = postcode.as_str();
        // The normal form reads back as itself: upper-case letters, digits, spaces and dashes,
        // within the limit; empty only where there are no postcodes.
        assert_eq!(
            Postcode::parse(country, s).as_ref(),
            Ok(&postcode),
            "{country} {typed:?}"
        );
        assert!(s.chars().count() <= Postcode::MAX_CHARS, "{s:?}");
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ' || b == b'-'),
            "{s:?}"
        );
        assert_eq!(s.is_empty(), country == "HK", "{country} {s:?}");
    }

    if let Ok(phone) = PhoneNumber::parse(&typed) {
        let s = phone.as_str();
        // An optional "+", then 6 to 15 ASCII digits; it reads back as itself.
        assert_eq!(PhoneNumber::parse(s).as_ref(), Ok(&phone), "{typed:?}");
        let digits = s.strip_prefix('+').unwrap_or(s);
        assert!(
            (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
            "{s:?}"
        );
        assert!(
            phone.suffix().len() == 4 && s.ends_with(phone.suffix()),
            "{s:?}"
        );
    }
});
