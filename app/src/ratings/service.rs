//! Storing ratings, and who may give one: the shipment's owner signed in, or anyone holding the
//! signed link from the delivered notification.

use super::{editable, offers_complaint, LinkProof, Rating, RatingInput, RatingTag, RatingView};
use super::{Csat, Nps, EDIT_WINDOW_MS, MAX_COMMENT_CHARS};
use crate::accounts::service::require_customer;
use crate::domain::ShipmentStatus;
use crate::domain::{free_text, TrackingNumber};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::kpi_rollup::{Counted, Subject};
use crate::notifications::rating_link::{self, PURPOSE};
use crate::orders::store as orders;
use crate::platform::{links, now_ms, Db};

/// The shipment a caller may rate.
pub struct Access {
    pub shipment_id: i64,
    pub customer_id: i64,
    pub tracking_number: String,
    status: ShipmentStatus,
    origin_city: String,
    destination_city: String,
}

/// The signed link, or else the owner's session. A bad or expired link is refused as such (so
/// the page can say so); an unknown number or another customer's shipment is "not found".
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authorize(
    db: &Db,
    headers: &http::HeaderMap,
    tracking_number: &str,
    proof: &LinkProof,
) -> Result<Access, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    let caller = match (&proof.exp, &proof.sig) {
        (Some(exp), Some(sig)) => {
            let key = links::key(db).await?;
            if !links::verify(&key, PURPOSE, tn.as_str(), *exp, sig, now_ms()) {
                return Err(AppError::field("link", FieldError::LinkExpired));
            }
            None
        }
        // A signature is a link's, as with returns: without its expiry it proves nothing.
        (None, Some(_)) => return Err(AppError::field("link", FieldError::LinkExpired)),
        (_, None) => Some(require_customer(db, headers).await?),
    };
    access(db, tn, caller).await
}

/// The owner's access to one of its shipments (another's: "not found").
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn owner_access(
    db: &Db,
    customer_id: i64,
    tracking_number: &str,
) -> Result<Access, AppError> {
    let tn = TrackingNumber::parse(tracking_number).map_err(|_| AppError::NotFound)?;
    access(db, tn, Some(customer_id)).await
}

/// The shipment, for `caller` (a customer) or for a link's holder (`None`).
async fn access(db: &Db, tn: TrackingNumber, caller: Option<i64>) -> Result<Access, AppError> {
    let row = orders::shipment_outline(&db.pool, tn.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    if caller.is_some_and(|c| c != row.customer_id) {
        return Err(AppError::NotFound);
    }
    Ok(Access {
        shipment_id: row.id,
        customer_id: row.customer_id,
        tracking_number: tn.as_str().to_string(),
        status: ShipmentStatus::parse(&row.status)
            .or_internal("shipments.status is not a status")?,
        origin_city: row.sender_city,
        destination_city: row.recipient_city,
    })
}

/// A rating as stored: tags comma-separated, scores not yet checked.
#[derive(sqlx::FromRow)]
struct RatingRow {
    csat: i64,
    nps: Option<i64>,
    tags: String,
    comment: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<RatingRow> for Rating {
    type Error = AppError;

    fn try_from(r: RatingRow) -> Result<Self, AppError> {
        Ok(Rating {
            csat: Csat::parse(r.csat).or_internal("ratings.csat is not a score")?,
            nps: r
                .nps
                .map(Nps::parse)
                .transpose()
                .or_internal("ratings.nps is not a score")?,
            tags: r.tags.split(',').filter_map(RatingTag::parse).collect(),
            comment: r.comment,
            created_at: r.created_at,
            updated_at: r.updated_at,
            editable_until: r.created_at + EDIT_WINDOW_MS,
        })
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn find(db: &Db, shipment_id: i64) -> Result<Option<Rating>, AppError> {
    let row: Option<RatingRow> = sqlx::query_as(
        "SELECT csat, nps, tags, comment, created_at, updated_at FROM ratings \
         WHERE shipment_id = $1",
    )
    .bind(shipment_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(Rating::try_from).transpose()
}

#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = a.shipment_id))]
pub async fn view(db: &Db, a: &Access) -> Result<RatingView, AppError> {
    let now = now_ms();
    let rating = find(db, a.shipment_id).await?;
    Ok(RatingView {
        tracking_number: a.tracking_number.clone(),
        origin_city: a.origin_city.clone(),
        destination_city: a.destination_city.clone(),
        delivered_at: orders::delivered_at(&db.pool, a.shipment_id).await?,
        can_rate: a.status == ShipmentStatus::Delivered
            && rating.as_ref().is_none_or(|r| editable(r.created_at, now)),
        offers_complaint: rating
            .as_ref()
            .is_some_and(|r| offers_complaint(r.csat, r.nps)),
        rating,
        rate_link: rating_link::link(db, &a.tracking_number, now).await?,
    })
}

/// Gives or changes the rating. Only a delivered shipment is rated; a rating may change for
/// seven days after it was first given (the window is checked in the statement, so two saves
/// at once cannot slip past it).
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = a.shipment_id))]
pub async fn save(
    db: &Db,
    a: &Access,
    input: &RatingInput,
    now: i64,
) -> Result<RatingView, AppError> {
    if a.status != ShipmentStatus::Delivered {
        return Err(AppError::Conflict(FieldErrors::from([(
            "status".to_string(),
            FieldError::NotDelivered,
        )])));
    }
    let comment = free_text(
        input.comment.as_deref().unwrap_or(""),
        MAX_COMMENT_CHARS,
        false,
    )
    .map_err(|e| AppError::field("comment", e))?;
    let mut tags: Vec<&str> = input.tags.iter().map(|t| t.as_str()).collect();
    tags.sort_unstable();
    tags.dedup();
    let mut tx = db.pool.begin().await?;
    let counted = Counted::read(&mut tx, Subject::Shipment(a.shipment_id)).await?;
    let changed = sqlx::query(
        "INSERT INTO ratings (shipment_id, customer_id, csat, nps, tags, comment, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (shipment_id) DO UPDATE \
         SET csat = excluded.csat, nps = excluded.nps, tags = excluded.tags, \
         comment = excluded.comment, updated_at = excluded.updated_at \
         WHERE ratings.created_at >= $8",
    )
    .bind(a.shipment_id)
    .bind(a.customer_id)
    .bind(i64::from(input.csat.get()))
    .bind(input.nps.map(|n| i64::from(n.get())))
    .bind(tags.join(","))
    .bind(comment)
    .bind(now)
    .bind(now - EDIT_WINDOW_MS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict(FieldErrors::from([(
            "rating".to_string(),
            FieldError::RatingLocked,
        )])));
    }
    counted.settle(&mut tx).await?;
    tx.commit().await?;
    view(db, a).await
}
