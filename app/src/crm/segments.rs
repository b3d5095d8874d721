//! Tiers from data: gathers every customer's facts in a few grouped queries, assesses them with
//! the rules, and writes what changed (the tier, its history, the retention queue) in one short
//! transaction. Recomputing twice changes nothing; two recomputations at once (several
//! instances on one PostgreSQL, or a manager's click beside the daily job) queue on the job's
//! row and the second finds nothing left to change.

use std::collections::HashMap;

use super::tiering::{Assessment, Facts, Scores, TierRule, TierRules};
use super::{
    OutreachInput, RecomputeSummary, RetentionItem, RetentionStatus, SegmentsOverview, TierChange,
    TierMove, TierSize, MAX_OUTREACH_NOTE_CHARS,
};
use crate::accounts::User;
use crate::domain::{free_text, Tier};
use crate::error::{AppError, FieldError, OrInternal};
use crate::platform::insert::Insert;
use crate::platform::lifecycle::{isolate, Worker};
use crate::platform::{now_ms, Db};

const DAY_MS: i64 = 86_400_000;
const JOB: &str = "tier_recompute";

/// One customer's shipments, as `gather_facts` sums them.
#[derive(sqlx::FromRow)]
struct ShipmentFactsRow {
    customer_id: i64,
    lifetime: i64,
    first_at: Option<i64>,
    last_at: Option<i64>,
    shipments: i64,
    paid: i64,
    first_in_window: Option<i64>,
    paid_recent: i64,
    paid_before: i64,
}

/// How many of something one customer has.
#[derive(sqlx::FromRow)]
struct CustomerCountRow {
    customer_id: i64,
    n: i64,
}

/// One rating, as `gather_facts` reads it.
#[derive(sqlx::FromRow)]
struct RatingFactsRow {
    customer_id: i64,
    csat: i64,
    nps: Option<i64>,
    created_at: i64,
}

/// Every customer's facts at `now`: what happened before it (customers without shipments are
/// absent).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn gather_facts(
    db: &Db,
    rules: &TierRules,
    now: i64,
) -> Result<HashMap<i64, Facts>, AppError> {
    let window = rules.window_start(now);
    let (recent, before) = rules.trend_starts(now);
    let mut facts: HashMap<i64, Facts> = HashMap::new();
    let rows: Vec<ShipmentFactsRow> = sqlx::query_as(
        "SELECT customer_id, COUNT(*) AS lifetime, MIN(created_at) AS first_at, \
         MAX(created_at) AS last_at, \
         CAST(SUM(CASE WHEN created_at >= $1 THEN 1 ELSE 0 END) AS BIGINT) AS shipments, \
         CAST(SUM(CASE WHEN created_at >= $1 THEN total ELSE 0 END) AS BIGINT) AS paid, \
         MIN(CASE WHEN created_at >= $1 THEN created_at END) AS first_in_window, \
         CAST(SUM(CASE WHEN created_at >= $2 THEN total ELSE 0 END) AS BIGINT) AS paid_recent, \
         CAST(SUM(CASE WHEN created_at >= $3 AND created_at < $2 THEN total ELSE 0 END) \
              AS BIGINT) AS paid_before \
         FROM shipments WHERE status <> 'cancelled' AND created_at < $4 GROUP BY customer_id",
    )
    .bind(window)
    .bind(recent)
    .bind(before)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let f = facts.entry(r.customer_id).or_default();
        f.lifetime_shipments = r.lifetime;
        f.first_shipment_at = r.first_at;
        f.last_shipment_at = r.last_at;
        f.shipments = r.shipments;
        f.paid = r.paid;
        f.first_in_window_at = r.first_in_window;
        f.paid_recent = r.paid_recent;
        f.paid_before = r.paid_before;
    }
    let per_customer = [
        (
            "SELECT s.customer_id, COUNT(DISTINCT c.shipment_id) AS n FROM complaints c \
             JOIN shipments s ON s.id = c.shipment_id \
             WHERE s.created_at >= $1 AND c.created_at < $2 AND s.status <> 'cancelled' \
             GROUP BY s.customer_id",
            (|f: &mut Facts, n| f.complained_shipments = n) as fn(&mut Facts, i64),
        ),
        (
            "SELECT customer_id, COUNT(*) AS n FROM returns WHERE created_at >= $1 \
             AND created_at < $2 GROUP BY customer_id",
            |f: &mut Facts, n| f.returns = n,
        ),
    ];
    for (sql, set) in per_customer {
        let counts: Vec<CustomerCountRow> = sqlx::query_as(sql)
            .bind(window)
            .bind(now)
            .fetch_all(&db.pool)
            .await?;
        for c in counts {
            if let Some(f) = facts.get_mut(&c.customer_id) {
                set(f, c.n);
            }
        }
    }
    // Ratings oldest first, so the last NPS answer seen is the latest.
    let ratings: Vec<RatingFactsRow> = sqlx::query_as(
        "SELECT customer_id, csat, nps, created_at FROM ratings WHERE created_at >= $1 \
         AND created_at < $2 ORDER BY customer_id, created_at",
    )
    .bind(window)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    for r in ratings {
        let Some(f) = facts.get_mut(&r.customer_id) else {
            continue;
        };
        f.csat_sum += r.csat;
        f.csat_count += 1;
        if r.nps.is_some() {
            f.latest_nps = r.nps;
        }
        if r.csat <= 2 || r.nps.is_some_and(|n| n <= 6) {
            f.last_detractor_at = Some(r.created_at);
        }
    }
    Ok(facts)
}

/// One customer's assessment, computed now from its facts (for the 360 view and tests).
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn assess_one(db: &Db, customer_id: i64) -> Result<Assessment, AppError> {
    let rules = TierRules::bundled();
    let now = now_ms();
    let facts = gather_facts(db, rules, now).await?;
    Ok(rules.assess(facts.get(&customer_id).unwrap_or(&Facts::default()), now))
}

/// A customer's stored tier and manager, with its last assessment (none before the first).
#[derive(sqlx::FromRow)]
struct StoredTierRow {
    id: i64,
    tier: String,
    account_manager_id: Option<i64>,
    rule: Option<String>,
    scores: Option<String>,
}

/// Assesses every customer and writes what changed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recompute(db: &Db) -> Result<RecomputeSummary, AppError> {
    recompute_at(db, now_ms()).await
}

/// [`recompute`] as of `now` (the demo's history assesses its customers as its year goes).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recompute_at(db: &Db, now: i64) -> Result<RecomputeSummary, AppError> {
    let rules = TierRules::bundled();
    let facts = gather_facts(db, rules, now).await?;
    let empty = Facts::default();
    let mut tx = db.pool.begin().await?;
    // The first write takes the job's row: a second recomputation waits here until this one
    // commits, then reads the tiers this one wrote and finds nothing to change.
    sqlx::query("UPDATE job_runs SET last_started_at = $1 WHERE name = $2")
        .bind(now)
        .bind(JOB)
        .execute(&mut *tx)
        .await?;
    let customers: Vec<StoredTierRow> = sqlx::query_as(
        "SELECT c.id, c.tier, c.account_manager_id, a.rule, a.scores FROM customers c \
         LEFT JOIN tier_assessments a ON a.customer_id = c.id ORDER BY c.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut summary = RecomputeSummary {
        customers: customers.len() as i64,
        changed: 0,
        retention_opened: 0,
        at: now,
    };
    for row in customers {
        let id = row.id;
        let stored_tier = row.tier;
        let Some(current) = Tier::parse(&stored_tier) else {
            // One bad row does not hold back every other customer's tier.
            tracing::warn!(
                customer = id,
                tier = %stored_tier,
                "unknown stored tier: customer skipped by the recomputation"
            );
            summary.customers -= 1;
            continue;
        };
        let a = rules.assess(facts.get(&id).unwrap_or(&empty), now);
        let scores = serde_json::to_string(&a.scores).or_internal("scores as JSON")?;
        let stored_rule = row.rule;
        let stored_scores = row.scores;
        if a.tier != current {
            summary.changed += 1;
            crate::accounts::store::set_tier(&mut *tx, id, a.tier).await?;
            let (sql, arguments) = Insert::into("tier_changes")
                .value("customer_id", id)
                .value("from_tier", current.as_str())
                .value("to_tier", a.tier.as_str())
                .value("rule", a.rule.as_str())
                .value("scores", &scores)
                .value("at", now)
                .build("")?;
            sqlx::query_with(&sql, arguments).execute(&mut *tx).await?;
            if current.is_valuable() && a.tier == Tier::AtRisk {
                let assignee = row.account_manager_id;
                let opened = sqlx::query(
                    "INSERT INTO retention_items (customer_id, from_tier, rule, scores, \
                     assignee_id, status, created_at) \
                     SELECT $1, $2, $3, $4, $5, 'open', $6 WHERE NOT EXISTS \
                     (SELECT 1 FROM retention_items WHERE customer_id = $1 AND status = 'open')",
                )
                .bind(id)
                .bind(current.as_str())
                .bind(a.rule.as_str())
                .bind(&scores)
                .bind(assignee)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                summary.retention_opened += opened as i64;
            }
        }
        if a.tier != current
            || stored_rule.as_deref() != Some(a.rule.as_str())
            || stored_scores.as_deref() != Some(scores.as_str())
        {
            sqlx::query(
                "INSERT INTO tier_assessments (customer_id, tier, rule, scores, assessed_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id) DO UPDATE SET \
                 tier = excluded.tier, rule = excluded.rule, scores = excluded.scores, \
                 assessed_at = excluded.assessed_at",
            )
            .bind(id)
            .bind(a.tier.as_str())
            .bind(a.rule.as_str())
            .bind(&scores)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    tracing::info!(
        customers = summary.customers,
        changed = summary.changed,
        retention = summary.retention_opened,
        "tiers recomputed"
    );
    Ok(summary)
}

/// Claims today's daily run if it is due (`at_minute` after midnight UTC has passed and no
/// instance has run it today). Exactly one instance wins the claim; it gets the day claimed.
async fn claim_daily(db: &Db, at_minute: u32, now: i64) -> Result<Option<i64>, AppError> {
    let today = now.div_euclid(DAY_MS);
    if now.rem_euclid(DAY_MS) < i64::from(at_minute) * 60_000 {
        return Ok(None);
    }
    let claimed =
        sqlx::query("UPDATE job_runs SET last_day = $1 WHERE name = $2 AND last_day < $1")
            .bind(today)
            .bind(JOB)
            .execute(&db.pool)
            .await?
            .rows_affected();
    Ok((claimed == 1).then_some(today))
}

/// Gives back the claim on `day` after a failed run, so the next check (on any instance) claims
/// and runs it again. `last_day` is only compared with today, so the day before will do.
async fn release_daily(db: &Db, day: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE job_runs SET last_day = $1 WHERE name = $2 AND last_day = $3")
        .bind(day - 1)
        .bind(JOB)
        .bind(day)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The daily recomputation: checks every minute (the worker's schedule) whether today's run is
/// due. A run that fails or panics gives its claim back, so it is tried again a minute later.
pub async fn run_daily(worker: Worker, db: Db, at_minute: u32) {
    let db = &db;
    worker
        .rounds(|| async move {
            match claim_daily(db, at_minute, now_ms()).await {
                Ok(Some(day)) => {
                    let run = {
                        let db = db.clone();
                        async move { recompute(&db).await }
                    };
                    if isolate("the daily tier recomputation", run).await.is_none() {
                        match release_daily(db, day).await {
                            Ok(()) => {
                                tracing::warn!("daily tier recomputation retried in a minute")
                            }
                            Err(e) => tracing::error!(
                                "daily tier recomputation failed and its claim was not given back \
                                 (it runs again tomorrow): {e:?}"
                            ),
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("daily tier recomputation not claimed: {e:?}"),
            }
        })
        .await;
}

#[derive(sqlx::FromRow)]
struct TierSizeRow {
    tier: String,
    customers: i64,
}

#[derive(sqlx::FromRow)]
struct TierMoveRow {
    from_tier: String,
    to_tier: String,
    customers: i64,
}

/// The tiers' sizes, the moves of the last `days` days, and the rules.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn overview(db: &Db, days: i64) -> Result<SegmentsOverview, AppError> {
    let now = now_ms();
    let sizes: Vec<TierSizeRow> =
        sqlx::query_as("SELECT tier, COUNT(*) AS customers FROM customers GROUP BY tier")
            .fetch_all(&db.pool)
            .await?;
    let moves: Vec<TierMoveRow> = sqlx::query_as(
        "SELECT from_tier, to_tier, COUNT(*) AS customers FROM tier_changes WHERE at >= $1 \
         GROUP BY from_tier, to_tier ORDER BY COUNT(*) DESC",
    )
    .bind(now - days * DAY_MS)
    .fetch_all(&db.pool)
    .await?;
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(assessed_at) FROM tier_assessments")
        .fetch_one(&db.pool)
        .await?;
    Ok(SegmentsOverview {
        sizes: Tier::ALL
            .into_iter()
            .map(|tier| TierSize {
                tier,
                customers: sizes
                    .iter()
                    .find(|s| s.tier == tier.as_str())
                    .map(|s| s.customers)
                    .unwrap_or(0),
            })
            .collect(),
        moves: moves
            .into_iter()
            .filter_map(|m| {
                Some(TierMove {
                    from: Tier::parse(&m.from_tier)?,
                    to: Tier::parse(&m.to_tier)?,
                    customers: m.customers,
                })
            })
            .collect(),
        move_days: days,
        last_recomputed_at: last,
        rules: TierRules::bundled().clone(),
    })
}

fn parse_scores(json: &str) -> Result<Scores, AppError> {
    serde_json::from_str(json).or_internal("stored scores are not scores JSON")
}

#[derive(sqlx::FromRow)]
struct AssessmentRow {
    tier: String,
    rule: String,
    scores: String,
}

impl TryFrom<AssessmentRow> for Assessment {
    type Error = AppError;

    fn try_from(r: AssessmentRow) -> Result<Self, AppError> {
        Ok(Assessment {
            tier: Tier::parse(&r.tier).or_internal("a stored tier is not a tier")?,
            rule: TierRule::parse(&r.rule).or_internal("a stored rule is not a tier rule")?,
            scores: parse_scores(&r.scores)?,
        })
    }
}

/// The stored assessment of a customer (`None` before its first recomputation).
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn stored_assessment(db: &Db, customer_id: i64) -> Result<Option<Assessment>, AppError> {
    let row: Option<AssessmentRow> =
        sqlx::query_as("SELECT tier, rule, scores FROM tier_assessments WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&db.pool)
            .await?;
    row.map(Assessment::try_from).transpose()
}

#[derive(sqlx::FromRow)]
struct TierChangeRow {
    from_tier: String,
    to_tier: String,
    rule: String,
    scores: String,
    at: i64,
}

impl TryFrom<TierChangeRow> for TierChange {
    type Error = AppError;

    fn try_from(r: TierChangeRow) -> Result<Self, AppError> {
        Ok(TierChange {
            from: Tier::parse(&r.from_tier).or_internal("tier_changes.from_tier is not a tier")?,
            to: Tier::parse(&r.to_tier).or_internal("tier_changes.to_tier is not a tier")?,
            rule: TierRule::parse(&r.rule).or_internal("a stored rule is not a tier rule")?,
            scores: parse_scores(&r.scores)?,
            at: r.at,
        })
    }
}

/// A customer's tier changes, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn history(db: &Db, customer_id: i64) -> Result<Vec<TierChange>, AppError> {
    let rows: Vec<TierChangeRow> = sqlx::query_as(
        "SELECT from_tier, to_tier, rule, scores, at FROM tier_changes WHERE customer_id = $1 \
         ORDER BY id DESC LIMIT 100",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(TierChange::try_from).collect()
}

const RETENTION_COLUMNS: &str = "r.id, r.customer_id, c.name AS customer_name, c.company, \
     c.tier, r.from_tier, r.rule, r.scores, r.assignee_id, u.name AS assignee_name, r.status, \
     r.outcome, r.note, r.created_at, r.closed_at";

/// A retention item with its customer and assignee, as [`RETENTION_COLUMNS`] reads it.
#[derive(sqlx::FromRow)]
struct RetentionRow {
    id: i64,
    customer_id: i64,
    customer_name: String,
    company: Option<String>,
    tier: String,
    from_tier: String,
    rule: String,
    scores: String,
    assignee_id: Option<i64>,
    assignee_name: Option<String>,
    status: String,
    outcome: Option<String>,
    note: Option<String>,
    created_at: i64,
    closed_at: Option<i64>,
}

impl TryFrom<RetentionRow> for RetentionItem {
    type Error = AppError;

    fn try_from(r: RetentionRow) -> Result<Self, AppError> {
        Ok(RetentionItem {
            id: r.id,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            company: r.company,
            tier: Tier::parse(&r.tier).or_internal("a stored tier is not a tier")?,
            from_tier: Tier::parse(&r.from_tier).or_internal("a stored from_tier is not a tier")?,
            rule: TierRule::parse(&r.rule).or_internal("a stored rule is not a tier rule")?,
            scores: parse_scores(&r.scores)?,
            assignee_id: r.assignee_id,
            assignee_name: r.assignee_name,
            status: RetentionStatus::parse(&r.status)
                .or_internal("a retention status is unknown")?,
            outcome: r.outcome.and_then(|o| super::RetentionOutcome::parse(&o)),
            note: r.note,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
    }
}

/// Open retention items: the caller's own (as account manager) first, then the oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(user = me.id))]
pub async fn retention_queue(db: &Db, me: &User) -> Result<Vec<RetentionItem>, AppError> {
    let rows: Vec<RetentionRow> = sqlx::query_as(&format!(
        "SELECT {RETENTION_COLUMNS} FROM retention_items r JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.status = 'open' \
         ORDER BY CASE WHEN r.assignee_id = $1 THEN 0 ELSE 1 END, r.created_at, r.id LIMIT 200"
    ))
    .bind(me.id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(RetentionItem::try_from).collect()
}

/// A customer's retention items, newest first.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn retention_of(db: &Db, customer_id: i64) -> Result<Vec<RetentionItem>, AppError> {
    let rows: Vec<RetentionRow> = sqlx::query_as(&format!(
        "SELECT {RETENTION_COLUMNS} FROM retention_items r JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.customer_id = $1 ORDER BY r.id DESC"
    ))
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter().map(RetentionItem::try_from).collect()
}

async fn retention_by_id(db: &Db, id: i64) -> Result<RetentionItem, AppError> {
    let row: RetentionRow = sqlx::query_as(&format!(
        "SELECT {RETENTION_COLUMNS} FROM retention_items r JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    RetentionItem::try_from(row)
}

/// An agent records the outreach (what was said, how it ended) and the item closes. An item
/// already closed is a conflict: two agents cannot both close it.
#[tracing::instrument(level = "debug", skip_all, fields(user = me.id, id = id))]
pub async fn record_outreach(
    db: &Db,
    me: &User,
    id: i64,
    input: &OutreachInput,
) -> Result<RetentionItem, AppError> {
    let note = free_text(&input.note, MAX_OUTREACH_NOTE_CHARS, true)
        .map_err(|e| AppError::field("note", e))?
        .unwrap_or_default();
    retention_by_id(db, id).await?;
    let closed = sqlx::query(
        "UPDATE retention_items SET status = 'closed', outcome = $1, note = $2, closed_by = $3, \
         closed_at = $4 WHERE id = $5 AND status = 'open'",
    )
    .bind(input.outcome.as_str())
    .bind(&note)
    .bind(me.id)
    .bind(now_ms())
    .bind(id)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if closed != 1 {
        return Err(AppError::Conflict(crate::error::FieldErrors::from([(
            "status".to_string(),
            FieldError::ChangedMeanwhile,
        )])));
    }
    retention_by_id(db, id).await
}
