//! S10 tracking numbers (`app::domain::TrackingNumber`): as typed, and as built from parts.
#![no_main]

use app::domain::TrackingNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let typed = String::from_utf8_lossy(data);
    if let Ok(number) = TrackingNumber::parse(&typed) {
        let s = number.as_str();
        // The normal form: 2 letters, 8 serial digits, the check digit, 2 letters; it reads
        // back as the same number, through serde too.
        assert_eq!(s.len(), 13, "{s}");
        assert!(s[..2].bytes().all(|b| b.is_ascii_uppercase()), "{s}");
        assert!(s[2..11].bytes().all(|b| b.is_ascii_digit()), "{s}");
        assert!(s[11..].bytes().all(|b| b.is_ascii_uppercase()), "{s}");
        assert_eq!(TrackingNumber::parse(s).as_ref(), Ok(&number));
        let json = serde_json::to_string(&number).expect("a string");
        assert_eq!(
            serde_json::from_str::<TrackingNumber>(&json).ok().as_ref(),
            Some(&number)
        );
        // The check digit is the serial's.
        let serial: [u8; 8] = std::array::from_fn(|i| s.as_bytes()[2 + i] - b'0');
        assert_eq!(
            TrackingNumber::check_digit(&serial),
            s.as_bytes()[10] - b'0',
            "{s}"
        );
    }

    // Built from parts (4 bytes of serial, then "service|country"): the check digit is
    // computed, the serial is where it belongs, and only 8-digit serials make a number.
    if let [a, b, c, d, rest @ ..] = data {
        let serial = u32::from_le_bytes([*a, *b, *c, *d]);
        let rest = String::from_utf8_lossy(rest);
        let (service, country) = rest.split_once('|').unwrap_or(("RR", "CN"));
        let built = TrackingNumber::from_parts(service, serial, country);
        if serial > 99_999_999 {
            assert_eq!(built, None);
        } else if (service, country) == ("RR", "CN") {
            assert!(built.is_some(), "{serial}");
        }
        if let Some(number) = built {
            assert_eq!(&number.as_str()[2..10], format!("{serial:08}"));
            assert_eq!(TrackingNumber::parse(number.as_str()).as_ref(), Ok(&number));
        }
    }
});
