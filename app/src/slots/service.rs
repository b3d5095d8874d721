//! Slot templates, generation, and the atomic take / release of windows.
//!
//! Locking order, so concurrent changes never deadlock on PostgreSQL: a transaction touches
//! slot rows first, in ascending id order, and the shipment row after them.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use sqlx::Row;

use super::{
    Slot, SlotList, SlotTemplate, SlotTemplateInput, SlotUnavailable, SlotUpdate, TemplateForm,
    WindowInput,
};
use crate::addresses::AddressInput;
use crate::domain::{fold_key, single_line, ShipmentStatus};
use crate::error::{AppError, FieldError, FieldErrors};
use crate::platform::gazetteer::Gazetteer;
use crate::platform::{now_ms, Db};

pub const MAX_DAYS_AHEAD: i64 = 60;
pub const MAX_CAPACITY: i64 = 10_000;
pub const MAX_WINDOWS: usize = 24;
pub const MAX_CUTOFF_DAYS_BEFORE: i64 = 14;
pub const MAX_AREA_CODE_CHARS: usize = 40;
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_POINT_CHARS: usize = 120;
const DEFAULT_DAYS: i64 = 7;
/// What `parse_time` reads, as the API document states it: `HH:MM`, 24-hour.
pub const TIME_PATTERN: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";
/// An area's code as typed: letters (kept in lower case), digits and `-`.
pub const AREA_CODE_PATTERN: &str = "^[A-Za-z0-9-]+$";

// ---------------------------------------------------------------------------------------------
// The pattern of a template and the windows it generates (pure, unit-tested below).

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

fn refusal(field: &str, why: SlotUnavailable) -> AppError {
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

fn parse_day(s: &str) -> Result<Date, FieldError> {
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

// ---------------------------------------------------------------------------------------------
// Templates in the database.

/// A stored template with its parsed pattern.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub input: SlotTemplateInput,
    pub pattern: Pattern,
    pub generated_until: String,
}

const TEMPLATE_COLUMNS: &str = "id, area, name, country, time_zone, cities, postcode_prefixes, \
    weekdays, windows, holidays, pickup_points, capacity, cutoff_days_before, cutoff_time, \
    days_ahead, generated_until";

fn json<T: serde::de::DeserializeOwned>(row: &sqlx::any::AnyRow, col: &str) -> Result<T, AppError> {
    serde_json::from_str(&row.try_get::<String, _>(col)?).map_err(|e| {
        tracing::error!("slot template: bad {col}: {e}");
        AppError::Internal
    })
}

fn stored_from_row(row: &sqlx::any::AnyRow) -> Result<Stored, AppError> {
    let input = SlotTemplateInput {
        area: row.try_get("area")?,
        name: row.try_get("name")?,
        country: row.try_get("country")?,
        time_zone: row.try_get("time_zone")?,
        cities: json(row, "cities")?,
        postcode_prefixes: json(row, "postcode_prefixes")?,
        weekdays: json(row, "weekdays")?,
        windows: json(row, "windows")?,
        capacity: row.try_get("capacity")?,
        cutoff_days_before: row.try_get("cutoff_days_before")?,
        cutoff_time: row.try_get("cutoff_time")?,
        days_ahead: row.try_get("days_ahead")?,
        holidays: json(row, "holidays")?,
        pickup_points: json(row, "pickup_points")?,
    };
    let (_, pattern) = parse_template(&input).map_err(|e| {
        tracing::error!("stored slot template no longer parses: {e:?}");
        AppError::Internal
    })?;
    Ok(Stored {
        id: row.try_get("id")?,
        input,
        pattern,
        generated_until: row.try_get("generated_until")?,
    })
}

pub async fn load_templates(db: &Db) -> Result<Vec<Stored>, AppError> {
    sqlx::query(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM slot_templates ORDER BY area"
    ))
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(stored_from_row)
    .collect()
}

async fn load_template(db: &Db, id: i64) -> Result<Stored, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM slot_templates WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    stored_from_row(&row)
}

fn to_dto(s: &Stored) -> SlotTemplate {
    SlotTemplate {
        id: s.id,
        template: s.input.clone(),
    }
}

pub async fn list_templates(db: &Db) -> Result<Vec<SlotTemplate>, AppError> {
    Ok(load_templates(db).await?.iter().map(to_dto).collect())
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|_| AppError::Internal)
}

/// Creates a template (`id` None) or replaces one. Windows already generated and not yet booked
/// are regenerated from the new pattern; booked ones and days a manager changed by hand stay.
pub async fn save(
    db: &Db,
    id: Option<i64>,
    input: &SlotTemplateInput,
) -> Result<SlotTemplate, AppError> {
    let (t, _) = parse_template(input)?;
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let columns = [
        json_text(&t.cities)?,
        json_text(&t.postcode_prefixes)?,
        json_text(&t.weekdays)?,
        json_text(&t.windows)?,
        json_text(&t.holidays)?,
        json_text(&t.pickup_points)?,
    ];
    let sql = match id {
        None => {
            "INSERT INTO slot_templates (area, name, country, time_zone, cities, \
             postcode_prefixes, weekdays, windows, holidays, pickup_points, capacity, \
             cutoff_days_before, cutoff_time, days_ahead, generated_until, updated_at) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '1970-01-01', $15) \
             RETURNING id"
        }
        Some(_) => {
            "UPDATE slot_templates SET area = $1, name = $2, country = $3, time_zone = $4, \
             cities = $5, postcode_prefixes = $6, weekdays = $7, windows = $8, holidays = $9, \
             pickup_points = $10, capacity = $11, cutoff_days_before = $12, cutoff_time = $13, \
             days_ahead = $14, generated_until = '1970-01-01', updated_at = $15 WHERE id = $16 \
             RETURNING id"
        }
    };
    let [cities, prefixes, weekdays, windows, holidays, points] = columns;
    let result = sqlx::query(sql)
        .bind(&t.area)
        .bind(&t.name)
        .bind(&t.country)
        .bind(&t.time_zone)
        .bind(cities)
        .bind(prefixes)
        .bind(weekdays)
        .bind(windows)
        .bind(holidays)
        .bind(points)
        .bind(t.capacity)
        .bind(t.cutoff_days_before)
        .bind(&t.cutoff_time)
        .bind(t.days_ahead)
        .bind(now)
        .bind(id.unwrap_or_default())
        .fetch_optional(&mut *tx)
        .await;
    let saved_id: i64 = match result {
        Ok(Some(row)) => row.try_get(0)?,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) if Db::is_unique_violation(&e) => {
            return Err(AppError::Conflict(FieldErrors::from([(
                "area".to_string(),
                FieldError::AreaTaken,
            )])))
        }
        Err(e) => return Err(e.into()),
    };
    if id.is_some() {
        // Future windows nobody holds and nobody edited follow the new pattern; the others
        // take the new capacity where it still covers what they hold.
        sqlx::query(
            "DELETE FROM slots WHERE template_id = $1 AND starts_at > $2 AND booked = 0 \
             AND overridden = 0",
        )
        .bind(saved_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE slots SET capacity = $1 WHERE template_id = $2 AND starts_at > $3 \
             AND overridden = 0 AND booked <= $1",
        )
        .bind(t.capacity)
        .bind(saved_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let stored = load_template(db, saved_id).await?;
    ensure_generated(db, &stored, now).await?;
    Ok(to_dto(&stored))
}

pub async fn save_form(db: &Db, form: &TemplateForm) -> Result<SlotTemplate, AppError> {
    let input = parse_form(form)?;
    let id = match form.id.trim() {
        "" => None,
        s => Some(s.parse::<i64>().map_err(|_| AppError::NotFound)?),
    };
    save(db, id, &input).await
}

/// Makes sure the template's windows exist up to its horizon. Only days after the last run are
/// generated, and the claim on `generated_until` lets one of several concurrent callers do it.
pub async fn ensure_generated(db: &Db, t: &Stored, now: i64) -> Result<(), AppError> {
    let today = today(&t.pattern.tz, now);
    let until = today
        .checked_add((t.pattern.days_ahead - 1).days())
        .map_err(|_| AppError::Internal)?;
    let done: Date = t.generated_until.parse().unwrap_or(Date::MIN);
    if done >= until {
        return Ok(());
    }
    let from = done.tomorrow().unwrap_or(today).max(today);
    let mut tx = db.pool.begin().await?;
    let claimed = sqlx::query(
        "UPDATE slot_templates SET generated_until = $1 WHERE id = $2 AND generated_until = $3",
    )
    .bind(until.to_string())
    .bind(t.id)
    .bind(&t.generated_until)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(());
    }
    for s in generate(&t.pattern, from, until) {
        sqlx::query(
            "INSERT INTO slots (template_id, day, starts_at, ends_at, cutoff_at, capacity) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(t.id)
        .bind(s.day.to_string())
        .bind(s.starts_at)
        .bind(s.ends_at)
        .bind(s.cutoff_at)
        .bind(t.pattern.capacity)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Windows as users see them.

/// The area an address belongs to: the longest matching postcode prefix, else its city.
pub fn area_for<'a>(
    templates: &'a [Stored],
    country: &str,
    city: &str,
    postcode: &str,
) -> Option<&'a Stored> {
    let country = country.trim().to_ascii_uppercase();
    let postcode = fold_key(postcode);
    let in_country = || templates.iter().filter(|t| t.input.country == country);
    let by_postcode = in_country()
        .filter_map(|t| {
            t.input
                .postcode_prefixes
                .iter()
                .filter(|p| !postcode.is_empty() && postcode.starts_with(p.as_str()))
                .map(|p| p.len())
                .max()
                .map(|len| (len, t))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, t)| t);
    let city = fold_key(city);
    by_postcode.or_else(|| {
        in_country()
            .find(|t| !city.is_empty() && t.input.cities.iter().any(|c| fold_key(c) == city))
    })
}

const SLOT_COLUMNS: &str =
    "id, template_id, day, starts_at, ends_at, cutoff_at, capacity, booked, closed";

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn local(tz: &TimeZone, ms: i64) -> jiff::Zoned {
    Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
}

pub(crate) fn local_hm(tz: &TimeZone, ms: i64) -> String {
    let z = local(tz, ms);
    format!("{:02}:{:02}", z.hour(), z.minute())
}

fn local_day_hm(tz: &TimeZone, ms: i64) -> String {
    format!("{} {}", local(tz, ms).date(), local_hm(tz, ms))
}

fn slot_from_row(t: &Stored, row: &sqlx::any::AnyRow, now: i64) -> Result<Slot, AppError> {
    let (starts_at, ends_at, cutoff_at): (i64, i64, i64) = (
        row.try_get("starts_at")?,
        row.try_get("ends_at")?,
        row.try_get("cutoff_at")?,
    );
    let (capacity, booked): (i64, i64) = (row.try_get("capacity")?, row.try_get("booked")?);
    let closed = row.try_get::<i64, _>("closed")? != 0;
    let why = unavailable(capacity, booked, closed, cutoff_at, now);
    Ok(Slot {
        id: row.try_get("id")?,
        area: t.input.area.clone(),
        time_zone: t.input.time_zone.clone(),
        day: row.try_get("day")?,
        local_start: local_hm(&t.pattern.tz, starts_at),
        local_end: local_hm(&t.pattern.tz, ends_at),
        starts_at: rfc3339(starts_at),
        ends_at: rfc3339(ends_at),
        cutoff_at: rfc3339(cutoff_at),
        local_cutoff: local_day_hm(&t.pattern.tz, cutoff_at),
        capacity,
        remaining: (capacity - booked).max(0),
        closed,
        bookable: why.is_none(),
        unavailable: why,
    })
}

/// The template's windows on the local days `from..=to`.
async fn between(
    db: &Db,
    t: &Stored,
    from: Date,
    to: Date,
    now: i64,
) -> Result<Vec<Slot>, AppError> {
    ensure_generated(db, t, now).await?;
    sqlx::query(&format!(
        "SELECT {SLOT_COLUMNS} FROM slots WHERE template_id = $1 AND day >= $2 AND day <= $3 \
         ORDER BY starts_at"
    ))
    .bind(t.id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| slot_from_row(t, r, now))
    .collect()
}

/// `from` (empty: today) and `days` (0: a week) checked against the template's horizon.
/// `from` as asked: a day, or none (empty) for today; anything else is refused naming `from`.
fn asked_day(from: &str) -> Result<Option<Date>, AppError> {
    match from.trim() {
        "" => Ok(None),
        s => parse_day(s)
            .map(Some)
            .map_err(|e| AppError::field("from", e)),
    }
}

fn range(t: &Stored, from: &str, days: i64, now: i64) -> Result<(Date, Date), AppError> {
    let today = today(&t.pattern.tz, now);
    let from = asked_day(from)?.unwrap_or(today).max(today);
    let days = if days <= 0 { DEFAULT_DAYS } else { days }.min(t.pattern.days_ahead);
    let horizon = today
        .checked_add((t.pattern.days_ahead - 1).days())
        .map_err(|_| AppError::Internal)?;
    // A day so late that the list would end past the calendar is past the horizon too: the
    // list is empty.
    let to = from
        .checked_add((days - 1).days())
        .map_or(horizon, |to| to.min(horizon));
    Ok((from, to))
}

/// `days` as the API takes it: 1 to [`MAX_DAYS_AHEAD`], a week when absent (an area's shorter
/// horizon still ends the list); anything else is refused naming `days`.
pub fn asked_days(days: Option<i64>) -> Result<i64, AppError> {
    match days {
        None => Ok(DEFAULT_DAYS),
        Some(d) if d < 1 => Err(AppError::field("days", FieldError::MustBePositive)),
        Some(d) if d > MAX_DAYS_AHEAD => Err(AppError::field(
            "days",
            FieldError::TooLarge {
                max: MAX_DAYS_AHEAD as usize,
            },
        )),
        Some(d) => Ok(d),
    }
}

fn list_of(t: Option<&Stored>, slots: Vec<Slot>) -> SlotList {
    SlotList {
        area: t.map(|t| t.input.area.clone()),
        area_name: t.map(|t| t.input.name.clone()),
        slots,
    }
}

/// The windows serving an address (`GET /api/v1/slots`).
pub async fn for_address(
    db: &Db,
    country: &str,
    city: &str,
    postcode: &str,
    from: &str,
    days: i64,
) -> Result<SlotList, AppError> {
    if postcode.trim().is_empty() && city.trim().is_empty() {
        return Err(AppError::field("postcode", FieldError::Required));
    }
    // Checked before the area, so a bad day is refused where no area serves the address too.
    asked_day(from)?;
    let templates = load_templates(db).await?;
    let Some(t) = area_for(&templates, country, city, postcode) else {
        return Ok(list_of(None, Vec::new()));
    };
    let now = now_ms();
    let (from, to) = range(t, from, days, now)?;
    Ok(list_of(Some(t), between(db, t, from, to, now).await?))
}

/// A template's windows, for its manager.
pub async fn of_template(db: &Db, id: i64, from: &str, days: i64) -> Result<SlotList, AppError> {
    let t = load_template(db, id).await?;
    let now = now_ms();
    let (from, to) = range(&t, from, days, now)?;
    Ok(list_of(Some(&t), between(db, &t, from, to, now).await?))
}

/// The windows of the area serving `party`'s address, from the local day `from` (empty: today)
/// to the template's horizon; none when no area serves it.
pub async fn windows_for(db: &Db, party: &AddressInput, from: &str) -> Result<SlotList, AppError> {
    let templates = load_templates(db).await?;
    let Some(t) = area_for(&templates, &party.country, &party.city, &party.postcode) else {
        return Ok(list_of(None, Vec::new()));
    };
    let now = now_ms();
    let (from, to) = range(t, from, t.pattern.days_ahead, now)?;
    Ok(list_of(Some(t), between(db, t, from, to, now).await?))
}

pub async fn slot_by_id(db: &Db, id: i64, now: i64) -> Result<Option<Slot>, AppError> {
    let Some(row) = sqlx::query(&format!("SELECT {SLOT_COLUMNS} FROM slots WHERE id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let t = load_template(db, row.try_get("template_id")?).await?;
    slot_from_row(&t, &row, now).map(Some)
}

/// A manager changes one window's capacity or closes it; it then no longer follows its
/// template. Capacity cannot go below what is already booked.
pub async fn update_slot(db: &Db, id: i64, update: &SlotUpdate) -> Result<Slot, AppError> {
    if let Some(c) = update.capacity {
        if !(0..=MAX_CAPACITY).contains(&c) {
            return Err(AppError::field(
                "capacity",
                FieldError::TooLarge {
                    max: MAX_CAPACITY as usize,
                },
            ));
        }
    }
    let row = sqlx::query("SELECT booked, capacity, closed FROM slots WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let capacity = update.capacity.unwrap_or(row.try_get("capacity")?);
    let closed = update
        .closed
        .map(i64::from)
        .unwrap_or(row.try_get("closed")?);
    // The comparison with `booked` is in the statement, so a booking at the same moment is
    // counted.
    let changed = sqlx::query(
        "UPDATE slots SET capacity = $1, closed = $2, overridden = 1 WHERE id = $3 \
         AND booked <= $1",
    )
    .bind(capacity)
    .bind(closed)
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if changed == 0 {
        let booked: i64 = sqlx::query_scalar("SELECT booked FROM slots WHERE id = $1")
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
        return Err(AppError::Conflict(FieldErrors::from([(
            "capacity".to_string(),
            FieldError::CapacityBelowBooked {
                booked: booked as usize,
            },
        )])));
    }
    slot_by_id(db, id, now_ms())
        .await?
        .ok_or(AppError::NotFound)
}

// ---------------------------------------------------------------------------------------------
// Taking and leaving windows, inside the caller's transaction.

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// What a taken window settles for its shipment.
pub struct Taken {
    pub id: i64,
    pub day: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Takes one place in a window. The check and the increment are one statement, so no
/// concurrency can overbook it; a refusal names why (`field` carries it).
pub async fn take(tx: &mut Tx<'_>, slot_id: i64, now: i64, field: &str) -> Result<Taken, AppError> {
    let taken = sqlx::query(
        "UPDATE slots SET booked = booked + 1 WHERE id = $1 AND closed = 0 AND booked < capacity \
         AND cutoff_at > $2 RETURNING id, day, starts_at, ends_at",
    )
    .bind(slot_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = taken {
        return Ok(Taken {
            id: row.try_get(0)?,
            day: row.try_get(1)?,
            starts_at: row.try_get(2)?,
            ends_at: row.try_get(3)?,
        });
    }
    let row = sqlx::query("SELECT capacity, booked, closed, cutoff_at FROM slots WHERE id = $1")
        .bind(slot_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| AppError::field(field, FieldError::Invalid))?;
    let why = unavailable(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get::<i64, _>(2)? != 0,
        row.try_get(3)?,
        now,
    )
    .unwrap_or(SlotUnavailable::Full);
    Err(refusal(field, why))
}

/// Gives a place back. Leaving is refused after the window's cut-off, like taking: by then the
/// courier's round is planned.
pub async fn leave(tx: &mut Tx<'_>, slot_id: i64, now: i64, field: &str) -> Result<(), AppError> {
    let left = sqlx::query(
        "UPDATE slots SET booked = booked - 1 WHERE id = $1 AND booked > 0 AND cutoff_at > $2",
    )
    .bind(slot_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if left == 1 {
        Ok(())
    } else {
        Err(refusal(field, SlotUnavailable::CutoffPassed))
    }
}

/// Gives a place back whatever the time: the shipment is cancelled, so the courier will not
/// come either way.
pub async fn free(tx: &mut Tx<'_>, slot_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE slots SET booked = booked - 1 WHERE id = $1 AND booked > 0")
        .bind(slot_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which template a window belongs to, if it exists.
pub async fn template_of(db: &Db, slot_id: i64) -> Result<Option<i64>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT template_id FROM slots WHERE id = $1")
            .bind(slot_id)
            .fetch_optional(&db.pool)
            .await?,
    )
}

/// Who changed a delivery, for the event and the shipper's notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    Shipper,
    Recipient,
}

impl ChangedBy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChangedBy::Shipper => "shipper",
            ChangedBy::Recipient => "recipient",
        }
    }
}

/// What the delivery becomes: a window, or collection at a pickup point.
pub enum NewDelivery {
    Window(i64),
    PickupPoint(String),
}

/// A shipment's delivery as it stands, before a change to it.
pub(crate) struct Current {
    pub(crate) id: i64,
    pub(crate) customer_id: i64,
    pub(crate) tracking_number: String,
    pub(crate) status: ShipmentStatus,
    pub(crate) slot: Option<i64>,
    pub(crate) country: String,
    pub(crate) city: String,
    pub(crate) postcode: String,
}

pub(crate) async fn current(db: &Db, shipment_id: i64) -> Result<Current, AppError> {
    let row = sqlx::query(
        "SELECT id, customer_id, tracking_number, status, delivery_slot_id, recipient_country, \
         recipient_city, recipient_postcode FROM shipments WHERE id = $1",
    )
    .bind(shipment_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Current {
        id: row.try_get(0)?,
        customer_id: row.try_get(1)?,
        tracking_number: row.try_get(2)?,
        status: ShipmentStatus::parse(&row.try_get::<String, _>(3)?).ok_or(AppError::Internal)?,
        slot: row.try_get(4)?,
        country: row.try_get(5)?,
        city: row.try_get(6)?,
        postcode: row.try_get(7)?,
    })
}

/// The template serving a shipment's destination, for the windows it may move to.
pub async fn destination_area(db: &Db, shipment_id: i64) -> Result<Option<Stored>, AppError> {
    area_of(db, &current(db, shipment_id).await?).await
}

pub(crate) async fn area_of(db: &Db, c: &Current) -> Result<Option<Stored>, AppError> {
    let templates = load_templates(db).await?;
    Ok(area_for(&templates, &c.country, &c.city, &c.postcode).cloned())
}

pub(crate) async fn own_shipment_id(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
) -> Result<i64, AppError> {
    let tn =
        crate::domain::TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    sqlx::query_scalar("SELECT id FROM shipments WHERE tracking_number = $1 AND customer_id = $2")
        .bind(tn.as_str().to_string())
        .bind(customer_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// The windows the shipper's shipment may move to.
pub async fn for_own_shipment(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
) -> Result<SlotList, AppError> {
    let id = own_shipment_id(db, customer_id, tracking_number).await?;
    area_slots(db, destination_area(db, id).await?.as_ref()).await
}

/// The windows of an area (a shipment's destination) over the template's horizon.
pub async fn area_slots(db: &Db, area: Option<&Stored>) -> Result<SlotList, AppError> {
    let Some(t) = area else {
        return Ok(list_of(None, Vec::new()));
    };
    let now = now_ms();
    let (from, to) = range(t, "", t.pattern.days_ahead, now)?;
    Ok(list_of(Some(t), between(db, t, from, to, now).await?))
}

/// Frees a cancelled shipment's windows, inside the cancellation's transaction.
pub async fn free_for_cancelled(tx: &mut Tx<'_>, slots: &[i64]) -> Result<(), AppError> {
    let mut slots = slots.to_vec();
    slots.sort_unstable();
    for s in slots {
        free(tx, s).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
