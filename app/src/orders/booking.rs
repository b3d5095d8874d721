//! One booking checked, numbered with a random tracking number and stored with its first event.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sqlx::Row;

use super::quote::{parse_shipment, price, ParsedShipment};
use super::{BookingRequest, ParcelInput, ServiceLevel, ShipmentStatus};
use crate::accounts::store::INDUSTRY_OF_CUSTOMER;
use crate::addresses::service::ParsedAddress;
use crate::domain::{single_line, TrackingNumber};
use crate::error::{AppError, FieldErrors, OrInternal};
use crate::kpi_rollup::{Counted, Subject};
use crate::platform::insert::Insert;

pub const MAX_REFERENCE_CHARS: usize = 100;

/// An 8-digit serial, uniform on 0..10^8, from the operating system's CSPRNG: one tracking
/// number says nothing about any other (a counter, even scrambled, gave them all away).
pub fn random_serial() -> u32 {
    const SPAN: u32 = 100_000_000;
    // The largest multiple of SPAN a u32 holds: draws above it would favour the low serials.
    const FAIR: u32 = u32::MAX / SPAN * SPAN;
    loop {
        let draw = OsRng.next_u32();
        if draw < FAIR {
            return draw % SPAN;
        }
    }
}

/// Draws before a booking gives up on finding a free number. Serials are unique per service
/// prefix and country: with a tenth of those 10^8 numbers taken, eight taken draws in a row
/// happen once in 10^8 bookings.
const SERIAL_DRAWS: usize = 8;

/// S10 service indicators: E for express (as EMS), C for parcels.
fn service_prefix(service: ServiceLevel) -> &'static str {
    match service {
        ServiceLevel::Standard => "CP",
        ServiceLevel::Express => "EP",
        ServiceLevel::Scheduled => "CD",
        ServiceLevel::PickupPoint => "CL",
    }
}

/// What a booking stores, checked and priced.
pub struct ValidBooking {
    pub shipment: ParsedShipment,
    pub service: ServiceLevel,
    pub insure: bool,
    pub reference: Option<String>,
    pub parcels: Vec<ParcelInput>,
}

/// Checks the whole request (addresses, parcels, reference) and reports every problem at once.
pub fn validate(req: &BookingRequest) -> Result<ValidBooking, AppError> {
    let reference = single_line(
        req.reference.as_deref().unwrap_or(""),
        MAX_REFERENCE_CHARS,
        false,
    );
    let shipment = parse_shipment(&req.quote_request());
    match (shipment, reference) {
        (Ok(shipment), Ok(reference)) => Ok(ValidBooking {
            shipment,
            service: req.service,
            insure: req.insure,
            reference,
            parcels: req
                .parcels
                .iter()
                .map(|p| ParcelInput {
                    contents: p.contents.trim().to_string(),
                    ..p.clone()
                })
                .collect(),
        }),
        (shipment, reference) => {
            let mut fields = match shipment {
                Err(AppError::Validation(f)) => f,
                Err(other) => return Err(other),
                Ok(_) => FieldErrors::new(),
            };
            if let Err(e) = reference {
                fields.insert("reference".into(), e);
            }
            Err(AppError::Validation(fields))
        }
    }
}

/// Numbers, prices and stores one checked booking with its first tracking event, inside the
/// caller's transaction (a booking, or the way back of an approved return). `now` is the
/// booking's time; its promised window counts from that day (the demo's history books in the
/// past).
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub(crate) async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    customer_id: i64,
    v: &ValidBooking,
    tier: &str,
    now: i64,
    serials: &mut (dyn FnMut() -> u32 + Send),
) -> Result<(i64, String), AppError> {
    let quote = price(&v.shipment, v.insure, tier);
    let option = quote
        .options
        .iter()
        .find(|o| o.service == v.service)
        .or_internal("the quote offers the checked service")?;
    // The quote counts the window from today; the booking counts it from its own day.
    let day = now.div_euclid(86_400_000);
    let promised = |days: u32| {
        crate::domain::format_date(super::pricing::add_business_days(day, days) * 86_400_000)
    };
    let (earliest, latest) = (
        promised(option.transit_days.0),
        promised(option.transit_days.1),
    );
    let (s, r) = (&v.shipment.sender, &v.shipment.recipient);
    let search_text = [
        Some(r.name.as_str()),
        r.company.as_ref().map(|c| c.as_str()),
        Some(r.city.name.as_str()),
        Some(r.postcode.as_str()),
        v.reference.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
    .to_lowercase();
    let parcels_json = serde_json::to_string(&v.parcels).or_internal("parcels as JSON")?;
    let lines_json = serde_json::to_string(&option.lines).or_internal("price lines as JSON")?;
    let weight_g: i64 = v.parcels.iter().map(|p| p.weight_g).sum();
    // A drawn number already taken inserts nothing (no error, so the transaction goes on) and
    // the next draw is tried.
    let mut numbered = None;
    for _ in 0..SERIAL_DRAWS {
        let tracking = TrackingNumber::from_parts(
            service_prefix(v.service),
            serials(),
            &v.shipment.sender.city.country,
        )
        .or_internal("a tracking number from the drawn serial")?;
        let insert = Insert::into("shipments")
            .value("customer_id", customer_id)
            .value("tracking_number", tracking.as_str().to_string())
            .value("service", v.service.as_str())
            .value("status", ShipmentStatus::Created.as_str())
            .value("reference", v.reference.clone());
        let (sql, arguments) = party(party(insert, "sender", s), "recipient", r)
            .value("parcels", parcels_json.clone())
            .value("parcel_count", v.parcels.len() as i64)
            .value("weight_g", weight_g)
            .value("insured", i64::from(v.insure))
            .value("price_lines", lines_json.clone())
            .value("total", option.total)
            .value("currency", option.currency.clone())
            .value("promised_from", earliest.clone())
            .value("promised_to", latest.clone())
            .value("search_text", search_text.clone())
            .value("created_at", now)
            .value("updated_at", now)
            // The tier that priced it, kept for the KPIs' tier filter.
            .value("tier", tier)
            .value_in("industry", INDUSTRY_OF_CUSTOMER, customer_id)
            .build("ON CONFLICT (tracking_number) DO NOTHING RETURNING id")?;
        let inserted = sqlx::query_with(&sql, arguments)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = inserted {
            numbered = Some((row.try_get::<i64, _>("id")?, tracking));
            break;
        }
    }
    let Some((id, tracking)) = numbered else {
        return Err(AppError::internal(format_args!(
            "no free tracking number in {SERIAL_DRAWS} draws"
        )));
    };
    Counted::inserted(tx, Subject::Shipment(id)).await?;
    let (sql, arguments) = Insert::into("tracking_events")
        .value("shipment_id", id)
        .value("status", ShipmentStatus::Created.as_str())
        .value("occurred_at", now)
        .value("place", s.city.name.clone())
        .value("lat", s.city.lat)
        .value("lon", s.city.lon)
        .value("note", None::<String>)
        .value("source", "system")
        .value("created_at", now)
        .build("")?;
    sqlx::query_with(&sql, arguments).execute(&mut **tx).await?;
    crate::notifications::service::record(
        tx,
        customer_id,
        Some(id),
        crate::notifications::NotificationKind::BookingConfirmed,
        serde_json::json!({ "tracking_number": tracking.as_str() }),
    )
    .await?;
    Ok((id, earliest))
}

/// One party's ten columns, `sender_...` or `recipient_...`.
fn party<'q>(insert: Insert<'q>, role: &str, a: &ParsedAddress) -> Insert<'q> {
    insert
        .value(format!("{role}_name"), a.name.as_str().to_string())
        .value(
            format!("{role}_company"),
            a.company.as_ref().map(|c| c.as_str().to_string()),
        )
        .value(format!("{role}_phone"), a.phone.as_str().to_string())
        .value(format!("{role}_line1"), a.line1.clone())
        .value(format!("{role}_line2"), a.line2.clone())
        .value(format!("{role}_city"), a.city.name.clone())
        .value(format!("{role}_postcode"), a.postcode.as_str().to_string())
        .value(format!("{role}_country"), a.city.country.clone())
        .value(format!("{role}_lat"), a.city.lat)
        .value(format!("{role}_lon"), a.city.lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_random_eight_digit_numbers_without_a_pattern() {
        let draws: Vec<u32> = (0..100_000).map(|_| random_serial()).collect();
        assert!(draws.iter().all(|&s| s < 100_000_000));
        // 100,000 draws from 10^8 repeat about 50 times (the booking draws again then); a
        // counter or a narrow range would repeat far more, or never.
        let distinct = draws.iter().collect::<std::collections::HashSet<_>>().len();
        assert!(distinct > 99_800, "{distinct}");
        // Not an arithmetic progression: the steps between consecutive draws vary.
        let steps: std::collections::HashSet<i64> = draws
            .windows(2)
            .map(|w| i64::from(w[1]) - i64::from(w[0]))
            .collect();
        assert!(steps.len() > 99_000, "{}", steps.len());
        // Every leading digit occurs (uniform over the whole range, not a corner of it).
        let leading: std::collections::HashSet<u32> =
            draws.iter().map(|s| s / 10_000_000).collect();
        assert_eq!(leading.len(), 10);
    }
}
