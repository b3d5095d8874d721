//! Windows as users see them: the area serving an address, the windows of an area or of a
//! template over some days, one window, and a manager's change to one.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use super::pattern::{parse_day, today, unavailable, DEFAULT_DAYS, MAX_CAPACITY, MAX_DAYS_AHEAD};
use super::templates::{ensure_generated, load_template, load_templates, Stored};
use crate::addresses::AddressInput;
use crate::domain::fold_key;
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::{now_ms, Db};
use crate::slots::{Slot, SlotList, SlotUpdate};

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

pub(super) fn local(tz: &TimeZone, ms: i64) -> jiff::Zoned {
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

/// A window as stored.
#[derive(sqlx::FromRow)]
struct SlotRow {
    id: i64,
    template_id: i64,
    day: String,
    starts_at: i64,
    ends_at: i64,
    cutoff_at: i64,
    capacity: i64,
    booked: i64,
    closed: i64,
}

fn slot_from_row(t: &Stored, row: SlotRow, now: i64) -> Slot {
    let tz = &t.pattern.tz;
    let closed = row.closed != 0;
    let why = unavailable(row.capacity, row.booked, closed, row.cutoff_at, now);
    Slot {
        id: row.id,
        area: t.input.area.clone(),
        time_zone: t.input.time_zone.clone(),
        day: row.day,
        local_start: local_hm(tz, row.starts_at),
        local_end: local_hm(tz, row.ends_at),
        starts_at: rfc3339(row.starts_at),
        ends_at: rfc3339(row.ends_at),
        cutoff_at: rfc3339(row.cutoff_at),
        local_cutoff: local_day_hm(tz, row.cutoff_at),
        capacity: row.capacity,
        remaining: (row.capacity - row.booked).max(0),
        closed,
        bookable: why.is_none(),
        unavailable: why,
    }
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
    let rows: Vec<SlotRow> = sqlx::query_as(&format!(
        "SELECT {SLOT_COLUMNS} FROM slots WHERE template_id = $1 AND day >= $2 AND day <= $3 \
         ORDER BY starts_at"
    ))
    .bind(t.id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|r| slot_from_row(t, r, now)).collect())
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
        .or_internal("the template's horizon within the calendar")?;
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
#[tracing::instrument(level = "debug", skip_all)]
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
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn of_template(db: &Db, id: i64, from: &str, days: i64) -> Result<SlotList, AppError> {
    let t = load_template(db, id).await?;
    let now = now_ms();
    let (from, to) = range(&t, from, days, now)?;
    Ok(list_of(Some(&t), between(db, &t, from, to, now).await?))
}

/// The windows of the area serving `party`'s address, from the local day `from` (empty: today)
/// to the template's horizon; none when no area serves it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn windows_for(db: &Db, party: &AddressInput, from: &str) -> Result<SlotList, AppError> {
    let templates = load_templates(db).await?;
    let Some(t) = area_for(&templates, &party.country, &party.city, &party.postcode) else {
        return Ok(list_of(None, Vec::new()));
    };
    let now = now_ms();
    let (from, to) = range(t, from, t.pattern.days_ahead, now)?;
    Ok(list_of(Some(t), between(db, t, from, to, now).await?))
}

/// The windows of an area (a shipment's destination) over the template's horizon.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn area_slots(db: &Db, area: Option<&Stored>) -> Result<SlotList, AppError> {
    let Some(t) = area else {
        return Ok(list_of(None, Vec::new()));
    };
    let now = now_ms();
    let (from, to) = range(t, "", t.pattern.days_ahead, now)?;
    Ok(list_of(Some(t), between(db, t, from, to, now).await?))
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn slot_by_id(db: &Db, id: i64, now: i64) -> Result<Option<Slot>, AppError> {
    let Some(row) =
        sqlx::query_as::<_, SlotRow>(&format!("SELECT {SLOT_COLUMNS} FROM slots WHERE id = $1"))
            .bind(id)
            .fetch_optional(&db.pool)
            .await?
    else {
        return Ok(None);
    };
    let t = load_template(db, row.template_id).await?;
    Ok(Some(slot_from_row(&t, row, now)))
}

/// A window's settings before a manager's change to them.
#[derive(sqlx::FromRow)]
struct HeldRow {
    capacity: i64,
    closed: i64,
}

/// A manager changes one window's capacity or closes it; it then no longer follows its
/// template. Capacity cannot go below what is already booked.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
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
    let row: HeldRow = sqlx::query_as("SELECT booked, capacity, closed FROM slots WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)?;
    let capacity = update.capacity.unwrap_or(row.capacity);
    let closed = update.closed.map(i64::from).unwrap_or(row.closed);
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
