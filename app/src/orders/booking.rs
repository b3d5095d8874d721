//! One booking checked, numbered with a random tracking number and stored with its first event.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sqlx::Row;

use super::quote::{parse_shipment, price, ParsedShipment};
use super::{BookingRequest, ParcelInput, ServiceLevel, ShipmentStatus};
use crate::addresses::service::ParsedAddress;
use crate::domain::{single_line, TrackingNumber};
use crate::error::{AppError, FieldErrors, OrInternal};
use crate::kpi_rollup::{Counted, Subject};

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
        let query = sqlx::query(
            "INSERT INTO shipments (customer_id, tracking_number, service, status, reference, \
         sender_name, sender_company, sender_phone, sender_line1, sender_line2, sender_city, \
         sender_postcode, sender_country, sender_lat, sender_lon, \
         recipient_name, recipient_company, recipient_phone, recipient_line1, recipient_line2, \
         recipient_city, recipient_postcode, recipient_country, recipient_lat, recipient_lon, \
         parcels, parcel_count, weight_g, insured, price_lines, total, currency, promised_from, \
         promised_to, search_text, created_at, updated_at, tier, industry) VALUES ($1, $2, $3, \
         $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
         $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $36, $37, \
         (SELECT industry FROM customers WHERE id = $1)) \
         ON CONFLICT (tracking_number) DO NOTHING RETURNING id",
        )
        .bind(customer_id)
        .bind(tracking.as_str().to_string())
        .bind(v.service.as_str())
        .bind(ShipmentStatus::Created.as_str())
        .bind(v.reference.clone());
        let inserted = bind_party(bind_party(query, s), r)
            .bind(parcels_json.clone())
            .bind(v.parcels.len() as i64)
            .bind(weight_g)
            .bind(i64::from(v.insure))
            .bind(lines_json.clone())
            .bind(option.total)
            .bind(option.currency.clone())
            .bind(earliest.clone())
            .bind(latest.clone())
            .bind(search_text.clone())
            .bind(now)
            // The tier that priced it, kept for the KPIs' tier filter.
            .bind(tier)
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
    sqlx::query(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, place, lat, lon, note, \
         source, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, 'system', $3)",
    )
    .bind(id)
    .bind(ShipmentStatus::Created.as_str())
    .bind(now)
    .bind(s.city.name.clone())
    .bind(s.city.lat)
    .bind(s.city.lon)
    .execute(&mut **tx)
    .await?;
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

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds one party's ten columns in the order of the INSERT.
fn bind_party<'q>(q: AnyQuery<'q>, a: &ParsedAddress) -> AnyQuery<'q> {
    q.bind(a.name.as_str().to_string())
        .bind(a.company.as_ref().map(|c| c.as_str().to_string()))
        .bind(a.phone.as_str().to_string())
        .bind(a.line1.clone())
        .bind(a.line2.clone())
        .bind(a.city.name.clone())
        .bind(a.postcode.as_str().to_string())
        .bind(a.city.country.clone())
        .bind(a.city.lat)
        .bind(a.city.lon)
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
