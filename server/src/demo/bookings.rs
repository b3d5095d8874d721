//! Today's bookings of the three demo customers, scheduled ones in an open delivery window.

use super::places::{place, PLACES};
use app::error::AppError;
use app::orders::{shipments, BookingRequest, ParcelInput, ServiceLevel};
use app::platform::Db;
use app::slots;

/// Saves the customer's own address and two frequent recipients, then books shipments through
/// the booking service, so prices, numbers and promised windows come from the real code paths.
/// Keys make a repeated seed book nothing twice.
pub(super) async fn seed_shipments(
    db: &Db,
    customer_id: i64,
    customer: usize,
) -> Result<usize, AppError> {
    // Alice ships from Shanghai, Wang Fang from Hangzhou, Li Lei from Beijing.
    let home = customer;
    let sender = place(home);
    app::addresses::service::create(db, customer_id, &sender).await?;
    for r in [home + 3, home + 4] {
        app::addresses::service::create(db, customer_id, &place(r)).await?;
    }
    let count = [14, 10, 3][customer % 3];
    let contents = [
        "Spare parts",
        "服装",
        "Books",
        "电子产品",
        "Tea",
        "Documents",
    ];
    for n in 0..count {
        let recipient = place(home + 1 + (n * 7 + customer) % (PLACES.len() - 1));
        let parcels = (0..1 + n % 3)
            .map(|p| ParcelInput {
                weight_g: 300 + ((n * 1_700 + p * 900) % 14_000) as i64,
                length_cm: 20 + ((n + p) * 7 % 40) as i64,
                width_cm: 15 + ((n + 2 * p) * 5 % 25) as i64,
                height_cm: 8 + ((n + p) * 3 % 20) as i64,
                declared_value: if n % 4 == 0 { 50_000 } else { 0 },
                contents: contents[(n + p) % contents.len()].into(),
            })
            .collect();
        let booking = BookingRequest {
            sender: sender.clone(),
            recipient,
            parcels,
            service: ServiceLevel::ALL[n % ServiceLevel::ALL.len()],
            insure: n % 4 == 0,
            reference: Some(format!("DEMO-{}{:03}", customer + 1, n + 1)),
            delivery_slot_id: None,
            pickup_slot_id: None,
        };
        let booking = BookingRequest {
            delivery_slot_id: demo_window(db, customer_id, &booking).await?,
            ..booking
        };
        shipments::book_once(db, customer_id, &format!("demo:{n}"), &booking).await?;
    }
    Ok(count)
}

/// For a scheduled demo booking: the first open window on or after the day the service can
/// deliver, as the booking page offers them.
async fn demo_window(
    db: &Db,
    customer_id: i64,
    booking: &BookingRequest,
) -> Result<Option<i64>, AppError> {
    if booking.service != ServiceLevel::Scheduled {
        return Ok(None);
    }
    let quote = app::orders::quote::quote_for(db, customer_id, &booking.quote_request()).await?;
    let Some(earliest) = quote
        .options
        .iter()
        .find(|o| o.service == ServiceLevel::Scheduled)
        .map(|o| o.earliest_delivery.clone())
    else {
        return Ok(None);
    };
    let r = &booking.recipient;
    let list =
        slots::service::for_address(db, &r.country, &r.city, &r.postcode, &earliest, 14).await?;
    Ok(list.slots.iter().find(|s| s.bookable).map(|s| s.id))
}
