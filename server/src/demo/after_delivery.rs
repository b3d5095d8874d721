//! Acme's parcels after delivery: delivered, rated, complained about and one sent back.

use super::{carrier_token_id, demo_agent_id};
use app::error::AppError;
use app::orders::store::first_shipments;
use app::platform::Db;

/// After delivery, for the first customer: four parcels scanned through to delivered by a demo
/// courier, then rated (one well, one badly), a return waiting for the care team, a complaint
/// waiting in the queue and one resolved and waiting for the customer. Every step goes through
/// the services the pages and the API call.
pub(super) async fn seed_after_delivery(db: &Db, customer_id: i64) -> Result<(), AppError> {
    use app::complaints::{service as complaints, ComplaintCategory, NewComplaint};
    use app::ratings::{service as ratings, Csat, Nps, RatingInput, RatingTag};
    use app::returns::{service as returns, ReturnMethod, ReturnReason, ReturnRequest};
    use app::tracking::{carrier, CarrierBatch, CarrierEvent};

    let numbers = first_shipments(&db.pool, customer_id, 4).await?;
    const COURIER: &str = "Parcelport demo courier";
    // Scans are recorded in-process: nobody holds this token, so it never worked.
    carrier::create_token(db, COURIER, std::time::Duration::ZERO).await?;
    let courier = carrier_token_id(db, COURIER).await?;
    let now = jiff::Timestamp::now();
    for parcel in &numbers {
        let (tn, city) = (&parcel.tracking_number, &parcel.recipient_city);
        let events = ["picked_up", "in_transit", "out_for_delivery", "delivered"]
            .iter()
            .enumerate()
            .map(|(i, status)| CarrierEvent {
                event_id: format!("demo-{tn}-{status}"),
                tracking_number: tn.clone(),
                status: (*status).into(),
                // In order, the last one now: delivered, not about to be.
                time: (now - jiff::SignedDuration::from_millis(3 - i as i64)).to_string(),
                place: Some(city.clone()),
                lat: None,
                lng: None,
                note: None,
            })
            .collect();
        carrier::record(db, courier, &CarrierBatch { events }, app::i18n::Locale::En).await?;
    }
    // The first goes to Hangzhou, whose area has drop-off points for its return.
    let [returned, bad, resolved, good] = numbers.as_slice() else {
        return Ok(());
    };
    let rate = |csat: i64, nps: i64, tags: Vec<RatingTag>, comment: &str| RatingInput {
        csat: Csat::parse(csat).expect("a demo score is on the scale"),
        nps: Nps::parse(nps).ok(),
        tags,
        comment: Some(comment.into()),
    };
    let now_ms = app::platform::now_ms();
    let access = ratings::owner_access(db, customer_id, &good.tracking_number).await?;
    let input = rate(
        5,
        10,
        vec![RatingTag::OnTime, RatingTag::CourteousCourier],
        "Spot on.",
    );
    ratings::save(db, &access, &input, now_ms).await?;
    let access = ratings::owner_access(db, customer_id, &bad.tracking_number).await?;
    let input = rate(2, 4, vec![RatingTag::Late], "Two days later than promised.");
    ratings::save(db, &access, &input, now_ms).await?;
    let complaint = |tn: &str, category, description: &str| NewComplaint {
        tracking_number: Some(tn.into()),
        category,
        description: description.into(),
    };
    let input = complaint(
        &bad.tracking_number,
        ComplaintCategory::Delay,
        "The parcel came two days after the promised window; our customer cancelled.",
    );
    complaints::create_at(db, customer_id, &input, now_ms).await?;
    let input = complaint(
        &resolved.tracking_number,
        ComplaintCategory::Damage,
        "The box was crushed at one corner.",
    );
    let filed = complaints::create_at(db, customer_id, &input, now_ms).await?;
    let agent_id = demo_agent_id(db).await?;
    let agent = app::accounts::service::Party::Staff(
        app::accounts::service::user_by_id(db, agent_id).await?,
    );
    complaints::assign(db, &agent, filed.id, now_ms).await?;
    let note = "Sorry about that: we refunded the shipping fee and flagged the depot.";
    complaints::resolve(db, &agent, filed.id, note, now_ms).await?;
    let request = ReturnRequest {
        items: vec![0],
        reason: ReturnReason::WrongItem,
        note: Some("Ordered the blue one, received the red one.".into()),
        method: ReturnMethod::DropOff,
        pickup_slot_id: None,
        drop_off_point: None,
    };
    let options = returns::options(
        db,
        &returns::Requester::Shipper(customer_id),
        &returned.tracking_number,
        app::returns::DEFAULT_WINDOW_DAYS,
    )
    .await?;
    let request = ReturnRequest {
        drop_off_point: options.drop_off_points.first().cloned(),
        ..request
    };
    // A recipient's area without drop-off points has no demo return; nothing else depends on it.
    if request.drop_off_point.is_some() {
        returns::create(
            db,
            &returns::Requester::Shipper(customer_id),
            &returned.tracking_number,
            &request,
            app::returns::DEFAULT_WINDOW_DAYS,
        )
        .await?;
    }
    Ok(())
}
