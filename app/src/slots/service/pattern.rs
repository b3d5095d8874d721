//! A template's limits and weekly pattern: checking a template (from the API or the manager's
//! form) and the windows its pattern generates. Pure: no database.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::ToSpan;

use super::windows::local;
use crate::domain::{fold_key, single_line};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::platform::gazetteer::Gazetteer;
use crate::slots::{SlotTemplateInput, SlotUnavailable, TemplateForm, WindowInput};

pub const MAX_DAYS_AHEAD: i64 = 60;
pub const MAX_CAPACITY: i64 = 10_000;
pub const MAX_WINDOWS: usize = 24;
pub const MAX_CUTOFF_DAYS_BEFORE: i64 = 14;
pub const MAX_AREA_CODE_CHARS: usize = 40;
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_POINT_CHARS: usize = 120;
pub(super) const DEFAULT_DAYS: i64 = 7;
/// What `parse_time` reads, as the API document states it: `HH:MM`, 24-hour.
pub const TIME_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// An area's code as typed: letters (kept in lower case), digits and `-`.
pub const AREA_CODE_PATTERN: &str = "^[A-Za-z0-9-]+$";

/// A template's weekly pattern, parsed.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub tz: TimeZone,
    /// ISO weekdays, 1 = Monday.
    pub weekdays: Vec<i8>,
    pub windows: Vec<(Time, Time)>,
    pub holidays: Vec<Date>,
    pub capacity: i64,
    pub cutoff_days_before: i64,
    pub cutoff_time: Time,
    pub days_ahead: i64,
}

/// One window to be stored; times in UTC milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlot {
    pub day: Date,
    pub starts_at: i64,
    pub ends_at: i64,
    pub cutoff_at: i64,
}

/// A local wall-clock time in UTC milliseconds. In a DST gap the clock time is moved forward
/// past it, in a fold the earlier instant is taken (RFC 5545's rule).
fn instant(tz: &TimeZone, day: Date, time: Time) -> Option<i64> {
    day.to_datetime(time)
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// The windows of `from..=to` (local days): open weekdays, not holidays, every window.
pub fn generate(p: &Pattern, from: Date, to: Date) -> Vec<NewSlot> {
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let open = p.weekdays.contains(&day.weekday().to_monday_one_offset())
            && !p.holidays.contains(&day);
        let cutoff = day
            .checked_sub(p.cutoff_days_before.days())
            .ok()
            .and_then(|d| instant(&p.tz, d, p.cutoff_time));
        if let (true, Some(cutoff_at)) = (open, cutoff) {
            for (start, end) in &p.windows {
                if let (Some(starts_at), Some(ends_at)) =
                    (instant(&p.tz, day, *start), instant(&p.tz, day, *end))
                {
                    out.push(NewSlot {
                        day,
                        starts_at,
                        ends_at,
                        // Never after the window starts, whatever the template says.
                        cutoff_at: cutoff_at.min(starts_at),
                    });
                }
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// Today's date in the zone.
pub fn today(tz: &TimeZone, now_ms: i64) -> Date {
    local(tz, now_ms).date()
}

/// Why a window cannot be taken now, if it cannot. Bookable strictly before the cut-off.
pub fn unavailable(
    capacity: i64,
    booked: i64,
    closed: bool,
    cutoff_at: i64,
    now_ms: i64,
) -> Option<SlotUnavailable> {
    if closed {
        Some(SlotUnavailable::Closed)
    } else if now_ms >= cutoff_at {
        Some(SlotUnavailable::CutoffPassed)
    } else if booked >= capacity {
        Some(SlotUnavailable::Full)
    } else {
        None
    }
}

pub(super) fn refusal(field: &str, why: SlotUnavailable) -> AppError {
    let error = match why {
        SlotUnavailable::Full => FieldError::SlotFull,
        SlotUnavailable::CutoffPassed => FieldError::CutoffPassed,
        SlotUnavailable::Closed => FieldError::SlotClosed,
    };
    AppError::Conflict(FieldErrors::from([(field.to_string(), error)]))
}

fn parse_time(s: &str) -> Result<Time, FieldError> {
    let s = s.trim();
    let (h, m) = s.split_once(':').ok_or(FieldError::TimeInvalid)?;
    let num = |x: &str| {
        (x.len() == 2 && x.bytes().all(|b| b.is_ascii_digit()))
            .then(|| x.parse::<i8>().ok())
            .flatten()
            .ok_or(FieldError::TimeInvalid)
    };
    let (h, m) = (num(h)?, num(m)?);
    Time::new(h, m, 0, 0).map_err(|_| FieldError::TimeInvalid)
}

fn format_time(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

pub(super) fn parse_day(s: &str) -> Result<Date, FieldError> {
    crate::domain::parse_date(s).ok_or(FieldError::DateInvalid)?;
    s.trim()
        .parse::<Date>()
        .map_err(|_| FieldError::DateInvalid)
}

/// Checks a template and every field of it at once; returns it tidied and its pattern.
fn put(errors: &mut FieldErrors, field: String, e: FieldError) {
    errors.entry(field).or_insert(e);
}

pub fn parse_template(input: &SlotTemplateInput) -> Result<(SlotTemplateInput, Pattern), AppError> {
    let mut errors = FieldErrors::new();
    let area = input.area.trim().to_ascii_lowercase();
    if area.is_empty() {
        put(&mut errors, "area".into(), FieldError::Required);
    } else if area.len() > MAX_AREA_CODE_CHARS
        || !area
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        put(&mut errors, "area".into(), FieldError::AreaCode);
    }
    let name = match single_line(&input.name, MAX_NAME_CHARS, true) {
        Ok(n) => n.unwrap_or_default(),
        Err(e) => {
            put(&mut errors, "name".into(), e);
            String::new()
        }
    };
    let country = input.country.trim().to_ascii_uppercase();
    let gazetteer = Gazetteer::bundled();
    if !gazetteer.has_country(&country) {
        put(&mut errors, "country".into(), FieldError::CountryInvalid);
    }
    let tz = match TimeZone::get(input.time_zone.trim()) {
        Ok(tz) => Some(tz),
        Err(_) => {
            put(&mut errors, "time_zone".into(), FieldError::TimeZoneUnknown);
            None
        }
    };
    let mut cities = Vec::new();
    for (i, c) in input.cities.iter().enumerate() {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        match gazetteer.find(&country, c) {
            Some(city) if !cities.contains(&city.name) => cities.push(city.name.clone()),
            Some(_) => {}
            None => put(&mut errors, format!("cities[{i}]"), FieldError::CityUnknown),
        }
    }
    let mut prefixes = Vec::new();
    for (i, p) in input.postcode_prefixes.iter().enumerate() {
        let p = fold_key(p);
        if p.is_empty() {
            continue;
        }
        if p.len() > 10 {
            put(
                &mut errors,
                format!("postcode_prefixes[{i}]"),
                FieldError::TooLong { max: 10 },
            );
        } else if !prefixes.contains(&p) {
            prefixes.push(p);
        }
    }
    if cities.is_empty() && prefixes.is_empty() && !errors.keys().any(|k| k.starts_with("cit")) {
        put(&mut errors, "cities".into(), FieldError::AreaEmpty);
    }
    let mut weekdays: Vec<i8> = Vec::new();
    for d in &input.weekdays {
        if !(1..=7).contains(d) {
            put(&mut errors, "weekdays".into(), FieldError::Invalid);
        } else if !weekdays.contains(&(*d as i8)) {
            weekdays.push(*d as i8);
        }
    }
    weekdays.sort_unstable();
    if weekdays.is_empty() {
        put(&mut errors, "weekdays".into(), FieldError::Required);
    }
    let mut windows = Vec::new();
    if input.windows.is_empty() {
        put(&mut errors, "windows".into(), FieldError::Required);
    }
    if input.windows.len() > MAX_WINDOWS {
        put(
            &mut errors,
            "windows".into(),
            FieldError::TooLarge { max: MAX_WINDOWS },
        );
    }
    for (i, w) in input.windows.iter().enumerate() {
        match (parse_time(&w.start), parse_time(&w.end)) {
            (Ok(s), Ok(e)) if s < e => windows.push((s, e)),
            (Ok(_), Ok(_)) => put(
                &mut errors,
                format!("windows[{i}].end"),
                FieldError::WindowOrder,
            ),
            (s, e) => {
                if let Err(x) = s {
                    put(&mut errors, format!("windows[{i}].start"), x);
                }
                if let Err(x) = e {
                    put(&mut errors, format!("windows[{i}].end"), x);
                }
            }
        }
    }
    windows.sort();
    if !(0..=MAX_CAPACITY).contains(&input.capacity) {
        put(
            &mut errors,
            "capacity".into(),
            FieldError::TooLarge {
                max: MAX_CAPACITY as usize,
            },
        );
    }
    if !(0..=MAX_CUTOFF_DAYS_BEFORE).contains(&input.cutoff_days_before) {
        put(
            &mut errors,
            "cutoff_days_before".into(),
            FieldError::TooLarge {
                max: MAX_CUTOFF_DAYS_BEFORE as usize,
            },
        );
    }
    let cutoff_time = parse_time(&input.cutoff_time).unwrap_or_else(|e| {
        put(&mut errors, "cutoff_time".into(), e);
        Time::midnight()
    });
    if !(1..=MAX_DAYS_AHEAD).contains(&input.days_ahead) {
        put(
            &mut errors,
            "days_ahead".into(),
            FieldError::TooLarge {
                max: MAX_DAYS_AHEAD as usize,
            },
        );
    }
    let mut holidays = Vec::new();
    for (i, h) in input.holidays.iter().enumerate() {
        if h.trim().is_empty() {
            continue;
        }
        match parse_day(h) {
            Ok(d) if !holidays.contains(&d) => holidays.push(d),
            Ok(_) => {}
            Err(e) => put(&mut errors, format!("holidays[{i}]"), e),
        }
    }
    holidays.sort();
    let mut points = Vec::new();
    for (i, p) in input.pickup_points.iter().enumerate() {
        match single_line(p, MAX_POINT_CHARS, false) {
            Ok(Some(p)) if !points.contains(&p) => points.push(p),
            Ok(_) => {}
            Err(e) => put(&mut errors, format!("pickup_points[{i}]"), e),
        }
    }
    let Some(tz) = tz.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let tidy = SlotTemplateInput {
        area,
        name,
        country,
        time_zone: tz.iana_name().unwrap_or_default().to_string(),
        cities,
        postcode_prefixes: prefixes,
        weekdays: weekdays.iter().map(|d| *d as u8).collect(),
        windows: windows
            .iter()
            .map(|(s, e)| WindowInput {
                start: format_time(*s),
                end: format_time(*e),
            })
            .collect(),
        capacity: input.capacity,
        cutoff_days_before: input.cutoff_days_before,
        cutoff_time: format_time(cutoff_time),
        days_ahead: input.days_ahead,
        holidays: holidays.iter().map(|d| d.to_string()).collect(),
        pickup_points: points,
    };
    let pattern = Pattern {
        tz,
        weekdays,
        windows,
        holidays,
        capacity: input.capacity,
        cutoff_days_before: input.cutoff_days_before,
        cutoff_time,
        days_ahead: input.days_ahead,
    };
    Ok((tidy, pattern))
}

/// The manager's form: lists typed as text, split on commas and new lines.
pub fn parse_form(form: &TemplateForm) -> Result<SlotTemplateInput, AppError> {
    let list = |s: &str| -> Vec<String> {
        s.split([',', '\n', '，', ';'])
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    let mut errors = FieldErrors::new();
    let mut int = |field: &str, s: &str| match s.trim().parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            errors.insert(
                field.into(),
                if s.trim().is_empty() {
                    FieldError::Required
                } else {
                    FieldError::NotANumber
                },
            );
            0
        }
    };
    let capacity = int("capacity", &form.capacity);
    let cutoff_days_before = int("cutoff_days_before", &form.cutoff_days_before);
    let days_ahead = int("days_ahead", &form.days_ahead);
    let mut windows = Vec::new();
    for w in list(&form.windows) {
        match w.split_once(['-', '–']) {
            Some((s, e)) => windows.push(WindowInput {
                start: s.trim().into(),
                end: e.trim().into(),
            }),
            None => {
                errors.insert("windows".into(), FieldError::TimeInvalid);
            }
        }
    }
    let input = SlotTemplateInput {
        area: form.area.clone(),
        name: form.name.clone(),
        country: form.country.clone(),
        time_zone: form.time_zone.clone(),
        cities: list(&form.cities),
        postcode_prefixes: list(&form.postcode_prefixes),
        weekdays: form
            .weekdays
            .iter()
            .filter_map(|d| d.trim().parse().ok())
            .collect(),
        windows,
        capacity,
        cutoff_days_before,
        cutoff_time: form.cutoff_time.clone(),
        days_ahead,
        holidays: list(&form.holidays),
        pickup_points: form
            .pickup_points
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
    };
    // Report the form's own errors with the template's, each under its field.
    match parse_template(&input) {
        Ok(_) if errors.is_empty() => Ok(input),
        Ok(_) => Err(AppError::Validation(errors)),
        Err(AppError::Validation(mut more)) => {
            // Windows' errors are per index in the API; the form has one field for them all.
            let window_error = more
                .iter()
                .find(|(k, _)| k.starts_with("windows["))
                .map(|(_, v)| *v);
            more.retain(|k, _| !k.starts_with("windows["));
            if let Some(e) = window_error {
                more.entry("windows".into()).or_insert(e);
            }
            for k in ["cities", "postcode_prefixes", "holidays", "pickup_points"] {
                let first = more
                    .iter()
                    .find(|(key, _)| key.starts_with(&format!("{k}[")))
                    .map(|(_, v)| *v);
                more.retain(|key, _| !key.starts_with(&format!("{k}[")));
                if let Some(e) = first {
                    more.entry(k.into()).or_insert(e);
                }
            }
            errors.extend(more);
            Err(AppError::Validation(errors))
        }
        Err(e) => Err(e),
    }
}
