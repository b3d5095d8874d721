//! The unit tests of the pure rules: a template's checks, the windows it generates, when one
//! can be taken, and which area serves an address.

use jiff::civil::Date;
use jiff::Timestamp;

use super::*;
use crate::error::{AppError, FieldError};
use crate::slots::{SlotTemplateInput, SlotUnavailable, TemplateForm, WindowInput};

fn template(tz: &str) -> SlotTemplateInput {
    SlotTemplateInput {
        area: "shanghai".into(),
        name: "Shanghai".into(),
        country: "CN".into(),
        time_zone: tz.into(),
        cities: vec!["Shanghai".into()],
        postcode_prefixes: vec!["20".into()],
        weekdays: vec![1, 2, 3, 4, 5, 6],
        windows: vec![
            WindowInput {
                start: "14:00".into(),
                end: "18:00".into(),
            },
            WindowInput {
                start: "09:00".into(),
                end: "11:00".into(),
            },
        ],
        capacity: 10,
        cutoff_days_before: 1,
        cutoff_time: "18:00".into(),
        days_ahead: 14,
        holidays: vec!["2026-12-01".into()],
        pickup_points: vec![],
    }
}

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

fn ms(rfc3339: &str) -> i64 {
    rfc3339.parse::<Timestamp>().unwrap().as_millisecond()
}

#[test]
fn a_week_has_windows_on_open_days_only_and_not_on_holidays() {
    let (_, p) = parse_template(&template("Asia/Shanghai")).unwrap();
    // Monday 2026-11-30 to Sunday 2026-12-06; Tuesday 12-01 is a holiday, Sunday is shut.
    let slots = generate(&p, date("2026-11-30"), date("2026-12-06"));
    let days: Vec<String> = slots.iter().map(|s| s.day.to_string()).collect();
    assert_eq!(slots.len(), 2 * 5);
    assert!(!days.contains(&"2026-12-01".to_string()));
    assert!(!days.contains(&"2026-12-06".to_string()));
    assert_eq!(days[0], "2026-11-30");
    assert_eq!(days[9], "2026-12-05");
    // Windows come out in time order whatever order they were typed in.
    assert!(slots[0].starts_at < slots[1].starts_at);
}

#[test]
fn windows_are_stored_in_utc_from_the_areas_local_time() {
    let (_, p) = parse_template(&template("Asia/Shanghai")).unwrap();
    let s = &generate(&p, date("2026-11-30"), date("2026-11-30"))[0];
    // 09:00 in Shanghai (UTC+8, no daylight saving) is 01:00 UTC.
    assert_eq!(s.starts_at, ms("2026-11-30T01:00:00Z"));
    assert_eq!(s.ends_at, ms("2026-11-30T03:00:00Z"));
    // Cut-off 18:00 local the day before.
    assert_eq!(s.cutoff_at, ms("2026-11-29T10:00:00Z"));
    // Shanghai has no DST: the same local time is the same UTC time in July.
    let july = &generate(&p, date("2026-07-06"), date("2026-07-06"))[0];
    assert_eq!(july.starts_at, ms("2026-07-06T01:00:00Z"));
}

#[test]
fn a_zone_with_daylight_saving_keeps_the_local_time() {
    let mut t = template("America/New_York");
    t.country = "US".into();
    t.cities = vec!["New York City".into()];
    let (_, p) = parse_template(&t).unwrap();
    // US clocks went forward on Sunday 2026-03-08; Saturday and Monday are open.
    let slots = generate(&p, date("2026-03-07"), date("2026-03-09"));
    assert_eq!(slots.len(), 4);
    assert_eq!(slots[0].starts_at, ms("2026-03-07T14:00:00Z")); // EST, UTC-5
    assert_eq!(slots[2].starts_at, ms("2026-03-09T13:00:00Z")); // EDT, UTC-4
                                                                // The Monday's cut-off is Sunday 18:00 EDT.
    assert_eq!(slots[2].cutoff_at, ms("2026-03-08T22:00:00Z"));
}

#[test]
fn the_cutoff_is_exclusive_to_the_second() {
    let cutoff = ms("2026-11-29T10:00:00Z");
    assert_eq!(unavailable(10, 0, false, cutoff, cutoff - 1_000), None);
    assert_eq!(
        unavailable(10, 0, false, cutoff, cutoff),
        Some(SlotUnavailable::CutoffPassed)
    );
    assert_eq!(
        unavailable(10, 0, false, cutoff, cutoff + 1_000),
        Some(SlotUnavailable::CutoffPassed)
    );
    assert_eq!(
        unavailable(10, 10, false, cutoff, cutoff - 1_000),
        Some(SlotUnavailable::Full)
    );
    assert_eq!(
        unavailable(10, 0, true, cutoff, cutoff - 1_000),
        Some(SlotUnavailable::Closed)
    );
}

#[test]
fn a_cutoff_after_the_window_starts_is_pulled_back_to_its_start() {
    let mut t = template("Asia/Shanghai");
    t.cutoff_days_before = 0;
    t.cutoff_time = "23:00".into();
    let (_, p) = parse_template(&t).unwrap();
    let s = &generate(&p, date("2026-11-30"), date("2026-11-30"))[0];
    assert_eq!(s.cutoff_at, s.starts_at);
}

#[test]
fn bad_templates_name_every_field() {
    let mut t = template("Mars/Olympus");
    t.area = "Shang Hai".into();
    t.weekdays = vec![0, 8];
    t.windows[0].end = "13:00".into();
    t.windows[1].start = "9am".into();
    t.cutoff_time = "25:00".into();
    t.days_ahead = 0;
    t.holidays = vec!["2026-13-01".into()];
    t.cities = vec!["Atlantis".into()];
    let Err(AppError::Validation(f)) = parse_template(&t) else {
        panic!("accepted");
    };
    assert_eq!(f["area"], FieldError::AreaCode);
    assert_eq!(f["time_zone"], FieldError::TimeZoneUnknown);
    assert_eq!(f["weekdays"], FieldError::Invalid);
    assert_eq!(f["windows[0].end"], FieldError::WindowOrder);
    assert_eq!(f["windows[1].start"], FieldError::TimeInvalid);
    assert_eq!(f["cutoff_time"], FieldError::TimeInvalid);
    assert!(f.contains_key("days_ahead"));
    assert_eq!(f["holidays[0]"], FieldError::DateInvalid);
    assert_eq!(f["cities[0]"], FieldError::CityUnknown);
}

#[test]
fn addresses_find_their_area_by_postcode_prefix_then_city() {
    let stored = |area: &str, cities: &[&str], prefixes: &[&str], id| {
        let mut t = template("Asia/Shanghai");
        t.area = area.into();
        t.cities = cities.iter().map(|c| c.to_string()).collect();
        t.postcode_prefixes = prefixes.iter().map(|c| c.to_string()).collect();
        let (input, pattern) = parse_template(&t).unwrap();
        Stored {
            id,
            input,
            pattern,
            generated_until: "1970-01-01".into(),
        }
    };
    let all = vec![
        stored("shanghai", &["Shanghai"], &["20"], 1),
        stored("pudong", &[], &["2012"], 2),
        stored("hangzhou", &["Hangzhou"], &[], 3),
    ];
    let area = |city, pc| area_for(&all, "cn", city, pc).map(|t| t.input.area.as_str());
    assert_eq!(area("Shanghai", "200001"), Some("shanghai"));
    assert_eq!(area("Shanghai", "201204"), Some("pudong"));
    assert_eq!(area("hang zhou", "310000"), Some("hangzhou"));
    assert_eq!(area("Beijing", "100000"), None);
    assert_eq!(
        area_for(&all, "US", "Shanghai", "200001").map(|t| t.id),
        None
    );
}

#[test]
fn the_form_splits_lists_and_names_its_fields() {
    let form = TemplateForm {
        area: "beijing".into(),
        name: "Beijing".into(),
        country: "CN".into(),
        time_zone: "Asia/Shanghai".into(),
        cities: "Beijing".into(),
        weekdays: vec!["1".into(), "3".into()],
        windows: "09:00-11:00, 14:00–18:00".into(),
        capacity: "ten".into(),
        cutoff_days_before: "1".into(),
        cutoff_time: "18:00".into(),
        days_ahead: "14".into(),
        ..TemplateForm::default()
    };
    let Err(AppError::Validation(f)) = parse_form(&form) else {
        panic!("accepted");
    };
    assert_eq!(f.len(), 1);
    assert_eq!(f["capacity"], FieldError::NotANumber);
    let ok = parse_form(&TemplateForm {
        capacity: "8".into(),
        ..form
    })
    .unwrap();
    assert_eq!(ok.windows.len(), 2);
    assert_eq!(ok.windows[1].end, "18:00");
    assert_eq!(ok.weekdays, vec![1, 3]);
}
