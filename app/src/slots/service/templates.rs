//! Slot templates in the database: loading and saving them, and generating their windows
//! ahead.

use jiff::civil::Date;
use jiff::ToSpan;
use sqlx::Row;

use super::pattern::{generate, parse_form, parse_template, today, Pattern};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::insert::{Columns, Insert, Update};
use crate::platform::{now_ms, Db};
use crate::slots::{SlotTemplate, SlotTemplateInput, TemplateForm};

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

/// A template as stored: its lists are JSON text.
#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: i64,
    area: String,
    name: String,
    country: String,
    time_zone: String,
    cities: String,
    postcode_prefixes: String,
    weekdays: String,
    windows: String,
    holidays: String,
    pickup_points: String,
    capacity: i64,
    cutoff_days_before: i64,
    cutoff_time: String,
    days_ahead: i64,
    generated_until: String,
}

fn json<T: serde::de::DeserializeOwned>(text: &str, col: &str) -> Result<T, AppError> {
    serde_json::from_str(text)
        .map_err(|e| AppError::internal(format_args!("slot template: bad {col}: {e}")))
}

impl TemplateRow {
    fn into_stored(self) -> Result<Stored, AppError> {
        let input = SlotTemplateInput {
            area: self.area,
            name: self.name,
            country: self.country,
            time_zone: self.time_zone,
            cities: json(&self.cities, "cities")?,
            postcode_prefixes: json(&self.postcode_prefixes, "postcode_prefixes")?,
            weekdays: json(&self.weekdays, "weekdays")?,
            windows: json(&self.windows, "windows")?,
            capacity: self.capacity,
            cutoff_days_before: self.cutoff_days_before,
            cutoff_time: self.cutoff_time,
            days_ahead: self.days_ahead,
            holidays: json(&self.holidays, "holidays")?,
            pickup_points: json(&self.pickup_points, "pickup_points")?,
        };
        let (_, pattern) = parse_template(&input).map_err(|e| {
            AppError::internal(format_args!("stored slot template no longer parses: {e:?}"))
        })?;
        Ok(Stored {
            id: self.id,
            input,
            pattern,
            generated_until: self.generated_until,
        })
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_templates(db: &Db) -> Result<Vec<Stored>, AppError> {
    sqlx::query_as::<_, TemplateRow>(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM slot_templates ORDER BY area"
    ))
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(TemplateRow::into_stored)
    .collect()
}

pub(super) async fn load_template(db: &Db, id: i64) -> Result<Stored, AppError> {
    sqlx::query_as::<_, TemplateRow>(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM slot_templates WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?
    .into_stored()
}

fn to_dto(s: &Stored) -> SlotTemplate {
    SlotTemplate {
        id: s.id,
        template: s.input.clone(),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_templates(db: &Db) -> Result<Vec<SlotTemplate>, AppError> {
    Ok(load_templates(db).await?.iter().map(to_dto).collect())
}

fn json_text<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).or_internal("a slot template part as JSON")
}

/// A template's columns, the same whether it is new or replaces one. Its windows are generated
/// afresh from today on (`generated_until` before any day).
fn template_columns<'q, C: Columns<'q>>(
    columns: C,
    t: &'q SlotTemplateInput,
    now: i64,
) -> Result<C, AppError> {
    Ok(columns
        .set("area", &t.area)
        .set("name", &t.name)
        .set("country", &t.country)
        .set("time_zone", &t.time_zone)
        .set("cities", json_text(&t.cities)?)
        .set("postcode_prefixes", json_text(&t.postcode_prefixes)?)
        .set("weekdays", json_text(&t.weekdays)?)
        .set("windows", json_text(&t.windows)?)
        .set("holidays", json_text(&t.holidays)?)
        .set("pickup_points", json_text(&t.pickup_points)?)
        .set("capacity", t.capacity)
        .set("cutoff_days_before", t.cutoff_days_before)
        .set("cutoff_time", &t.cutoff_time)
        .set("days_ahead", t.days_ahead)
        .set("generated_until", "1970-01-01")
        .set("updated_at", now))
}

/// Creates a template (`id` None) or replaces one. Windows already generated and not yet booked
/// are regenerated from the new pattern; booked ones and days a manager changed by hand stay.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn save(
    db: &Db,
    id: Option<i64>,
    input: &SlotTemplateInput,
) -> Result<SlotTemplate, AppError> {
    let (t, _) = parse_template(input)?;
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    let (sql, arguments) = match id {
        None => {
            let insert = template_columns(Insert::into("slot_templates"), &t, now)?;
            insert.build("RETURNING id")?
        }
        Some(id) => {
            let update = template_columns(Update::table("slot_templates"), &t, now)?;
            update.where_eq("id", id).build("RETURNING id")?
        }
    };
    let result = sqlx::query_with(&sql, arguments)
        .fetch_optional(&mut *tx)
        .await;
    let saved_id: i64 = match result {
        Ok(Some(row)) => row.try_get("id")?,
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

#[tracing::instrument(level = "debug", skip_all)]
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
#[tracing::instrument(level = "debug", skip_all, fields(template_id = t.id))]
pub async fn ensure_generated(db: &Db, t: &Stored, now: i64) -> Result<(), AppError> {
    let today = today(&t.pattern.tz, now);
    let until = today
        .checked_add((t.pattern.days_ahead - 1).days())
        .or_internal("the template's horizon within the calendar")?;
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
        let (sql, arguments) = Insert::into("slots")
            .value("template_id", t.id)
            .value("day", s.day.to_string())
            .value("starts_at", s.starts_at)
            .value("ends_at", s.ends_at)
            .value("cutoff_at", s.cutoff_at)
            .value("capacity", t.pattern.capacity)
            .build("ON CONFLICT DO NOTHING")?;
        sqlx::query_with(&sql, arguments).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
