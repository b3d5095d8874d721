//! Delay detection: after every scan (in the scan's transaction) and in a periodic sweep of
//! parcels near their promised window, the ETA rules decide whether the parcel is late. Each
//! cause alerts the shipper once; when the parcel is back on time a recovery notice follows.

use std::collections::BTreeSet;

use super::eta::{self, DelayCause, Eta, Progress};
use crate::error::{AppError, OrInternal};
use crate::notifications::{service as notifications, NotificationKind};
use crate::orders::store;
use crate::orders::{ServiceLevel, ShipmentStatus};
use crate::platform::gazetteer::distance_km;
use crate::platform::lifecycle::{isolate, Worker};
use crate::platform::{now_ms, Db};

/// What the ETA is computed from: the shipment's own facts and its latest scan.
#[derive(Debug, Clone)]
pub struct Facts {
    pub status: ShipmentStatus,
    pub service: ServiceLevel,
    pub origin: (f64, f64),
    pub destination: (f64, f64),
    /// `YYYY-MM-DD`, the last promised day.
    pub promised_to: String,
    /// The held delivery window's end (Unix milliseconds).
    pub slot_ends_at: Option<i64>,
    pub booked_at: i64,
    /// The latest scan's time and the latest scanned position, if any.
    pub last_scan: Option<i64>,
    pub last_position: Option<(f64, f64)>,
}

/// A parcel's standing at one moment: its ETA and the end of its promised window.
#[derive(Debug, Clone)]
pub struct Standing {
    pub status: ShipmentStatus,
    pub eta: Option<Eta>,
    pub window_end: Option<i64>,
}

impl Standing {
    pub fn assess(f: &Facts, now: i64) -> Self {
        let progress = Progress {
            status: f.status,
            service: f.service,
            last_scan_ms: f.last_scan.unwrap_or(f.booked_at),
            remaining_km: distance_km(f.last_position.unwrap_or(f.origin), f.destination),
        };
        Standing {
            status: f.status,
            eta: eta::estimate(&progress, now),
            window_end: eta::window_end(f.slot_ends_at, &f.promised_to),
        }
    }

    pub fn causes(&self) -> Vec<DelayCause> {
        match self.window_end {
            Some(end) => eta::delay_causes(self.status, self.eta.as_ref(), end),
            None => Vec::new(),
        }
    }
}

/// A shipment's owner, number and standing, read for the delay rules.
async fn load(
    conn: &mut sqlx::AnyConnection,
    shipment_id: i64,
    now: i64,
) -> Result<Option<(i64, String, Standing)>, AppError> {
    let Some(s) = store::delay_row(&mut *conn, shipment_id).await? else {
        return Ok(None);
    };
    let last_scan = store::last_scan_at(&mut *conn, shipment_id).await?;
    let last_position = store::last_scan_point(&mut *conn, shipment_id).await?;
    let facts = Facts {
        status: ShipmentStatus::parse(&s.status).or_internal("shipments.status is not a status")?,
        service: ServiceLevel::parse(&s.service).unwrap_or(ServiceLevel::Standard),
        origin: (s.sender_lat, s.sender_lon),
        destination: (s.recipient_lat, s.recipient_lon),
        promised_to: s.promised_to,
        booked_at: s.created_at,
        slot_ends_at: s.slot_ends_at,
        last_scan,
        last_position: last_position.map(|p| (p.lat, p.lon)),
    };
    Ok(Some((
        s.customer_id,
        s.tracking_number,
        Standing::assess(&facts, now),
    )))
}

/// Applies the delay rules inside the caller's transaction: a new cause raises its alert, a
/// parcel back on time gets one recovery notice. Safe to run from several places at once: the
/// alert row's key lets only one of them send.
#[tracing::instrument(level = "debug", skip_all, fields(shipment_id = shipment_id))]
pub async fn evaluate(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    shipment_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let Some((customer_id, tracking_number, st)) = load(tx, shipment_id, now).await? else {
        return Ok(());
    };
    if !st.status.on_the_way() {
        return Ok(());
    }
    let causes = st.causes();
    let eta = st.eta.map(|e| e.latest);
    for cause in &causes {
        let raised = sqlx::query(
            "INSERT INTO delay_alerts (shipment_id, cause, raised_at) VALUES ($1, $2, $3) \
             ON CONFLICT (shipment_id, cause) DO NOTHING",
        )
        .bind(shipment_id)
        .bind(cause.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if raised == 1 {
            let payload = serde_json::json!({
                "tracking_number": tracking_number,
                "status": st.status.as_str(),
                "cause": cause.as_str(),
                "eta": eta,
            });
            notifications::record(
                tx,
                customer_id,
                Some(shipment_id),
                NotificationKind::DelayAlert,
                payload,
            )
            .await?;
        }
    }
    if causes.is_empty() {
        let recovered = sqlx::query(
            "UPDATE delay_alerts SET recovered_at = $1 WHERE shipment_id = $2 \
             AND recovered_at IS NULL",
        )
        .bind(now)
        .bind(shipment_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if recovered > 0 {
            let payload = serde_json::json!({
                "tracking_number": tracking_number,
                "status": st.status.as_str(),
                "eta": eta,
            });
            notifications::record(
                tx,
                customer_id,
                Some(shipment_id),
                NotificationKind::DelayRecovered,
                payload,
            )
            .await?;
        }
    }
    Ok(())
}

/// Parcels checked per sweep.
const SWEEP_BATCH: i64 = 2_000;

/// A delay alert raised for a parcel, and when it recovered.
#[derive(sqlx::FromRow)]
struct AlertRow {
    cause: String,
    recovered_at: Option<i64>,
}

/// Whether the rules would change anything for this parcel now: a cause without its alert, or
/// an open alert while on time. Read-only, so the sweep writes only where there is work.
async fn needs_action(db: &Db, shipment_id: i64, now: i64) -> Result<bool, AppError> {
    let mut conn = db.pool.acquire().await?;
    let Some((_, _, st)) = load(&mut conn, shipment_id, now).await? else {
        return Ok(false);
    };
    if !st.status.on_the_way() {
        return Ok(false);
    }
    let alerts: Vec<AlertRow> =
        sqlx::query_as("SELECT cause, recovered_at FROM delay_alerts WHERE shipment_id = $1")
            .bind(shipment_id)
            .fetch_all(&mut *conn)
            .await?;
    let causes = st.causes();
    let new_cause = causes
        .iter()
        .any(|c| !alerts.iter().any(|a| a.cause == c.as_str()));
    let recovered = causes.is_empty() && alerts.iter().any(|a| a.recovered_at.is_none());
    Ok(new_cause || recovered)
}

async fn sweep_one(db: &Db, shipment_id: i64, now: i64) -> Result<(), AppError> {
    if !needs_action(db, shipment_id, now).await? {
        return Ok(());
    }
    let mut tx = db.pool.begin().await?;
    // The shipment's row first: on SQLite the write lock up front (a transaction that read
    // first could not upgrade beside another writer), on PostgreSQL a row lock that orders this
    // with a scan of the same parcel.
    store::lock_shipment(&mut *tx, shipment_id).await?;
    evaluate(&mut tx, shipment_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks parcels whose promised window ends by tomorrow (so an alert goes out before the
/// window closes, even without new scans) and those with an open alert (for their recovery).
/// Returns how many were checked; one parcel's failure does not stop the others.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sweep(db: &Db, now: i64) -> Result<usize, AppError> {
    let tomorrow = crate::domain::format_date(now + 86_400_000);
    let due = store::on_the_way_due_by(&db.pool, &tomorrow, SWEEP_BATCH).await?;
    let open: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT shipment_id FROM delay_alerts WHERE recovered_at IS NULL \
         ORDER BY shipment_id LIMIT $1",
    )
    .bind(SWEEP_BATCH)
    .fetch_all(&db.pool)
    .await?;
    // The lowest ids of both, each once, as one UNION of them would give: the parcels are
    // orders' rows and the alerts this module's, so each list is read from its owner.
    let ids: BTreeSet<i64> = due.into_iter().chain(open).collect();
    let ids: Vec<i64> = ids.into_iter().take(SWEEP_BATCH as usize).collect();
    for &id in &ids {
        // On its own task: a failure or a panic is logged and the sweep goes on.
        let check = {
            let db = db.clone();
            async move { sweep_one(&db, id, now).await }
        };
        isolate(format!("delay check of shipment {id}"), check).await;
    }
    Ok(ids.len())
}

/// Runs `sweep` on the worker's schedule (`DELAY_SWEEP_SECS`) until the stop.
pub async fn run(worker: Worker, db: Db) {
    let db = &db;
    worker
        .rounds(|| async move {
            if let Err(e) = sweep(db, now_ms()).await {
                tracing::warn!("delay sweep failed: {e:?}");
            }
        })
        .await;
}
