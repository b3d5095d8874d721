//! Tiers from data: gathers every customer's facts in a few grouped queries, assesses them with
//! the rules, and writes what changed (the tier, its history, the retention queue) in one short
//! transaction. Recomputing twice changes nothing; two recomputations at once (several
//! instances on one PostgreSQL, or a manager's click beside the daily job) queue on the job's
//! row and the second finds nothing left to change.

use std::collections::HashMap;

use sqlx::Row;

use super::tiering::{Assessment, Facts, Scores, TierRule, TierRules};
use super::{
    OutreachInput, RecomputeSummary, RetentionItem, RetentionStatus, SegmentsOverview, TierChange,
    TierMove, TierSize, MAX_OUTREACH_NOTE_CHARS,
};
use crate::accounts::User;
use crate::domain::{free_text, Tier};
use crate::error::{AppError, FieldError};
use crate::platform::lifecycle::{isolate, Worker};
use crate::platform::{now_ms, Db};

const DAY_MS: i64 = 86_400_000;
const JOB: &str = "tier_recompute";

/// Every customer's facts at `now`: what happened before it (customers without shipments are
/// absent).
pub async fn gather_facts(
    db: &Db,
    rules: &TierRules,
    now: i64,
) -> Result<HashMap<i64, Facts>, AppError> {
    let window = rules.window_start(now);
    let (recent, before) = rules.trend_starts(now);
    let mut facts: HashMap<i64, Facts> = HashMap::new();
    let rows = sqlx::query(
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
        let f = facts.entry(r.try_get("customer_id")?).or_default();
        f.lifetime_shipments = r.try_get("lifetime")?;
        f.first_shipment_at = r.try_get("first_at")?;
        f.last_shipment_at = r.try_get("last_at")?;
        f.shipments = r.try_get("shipments")?;
        f.paid = r.try_get("paid")?;
        f.first_in_window_at = r.try_get("first_in_window")?;
        f.paid_recent = r.try_get("paid_recent")?;
        f.paid_before = r.try_get("paid_before")?;
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
        for r in sqlx::query(sql)
            .bind(window)
            .bind(now)
            .fetch_all(&db.pool)
            .await?
        {
            if let Some(f) = facts.get_mut(&r.try_get("customer_id")?) {
                set(f, r.try_get("n")?);
            }
        }
    }
    // Ratings oldest first, so the last NPS answer seen is the latest.
    let ratings = sqlx::query(
        "SELECT customer_id, csat, nps, created_at FROM ratings WHERE created_at >= $1 \
         AND created_at < $2 ORDER BY customer_id, created_at",
    )
    .bind(window)
    .bind(now)
    .fetch_all(&db.pool)
    .await?;
    for r in ratings {
        let Some(f) = facts.get_mut(&r.try_get("customer_id")?) else {
            continue;
        };
        let csat: i64 = r.try_get("csat")?;
        let nps: Option<i64> = r.try_get("nps")?;
        let at: i64 = r.try_get("created_at")?;
        f.csat_sum += csat;
        f.csat_count += 1;
        if nps.is_some() {
            f.latest_nps = nps;
        }
        if csat <= 2 || nps.is_some_and(|n| n <= 6) {
            f.last_detractor_at = Some(at);
        }
    }
    Ok(facts)
}

/// One customer's assessment, computed now from its facts (for the 360 view and tests).
pub async fn assess_one(db: &Db, customer_id: i64) -> Result<Assessment, AppError> {
    let rules = TierRules::bundled();
    let now = now_ms();
    let facts = gather_facts(db, rules, now).await?;
    Ok(rules.assess(facts.get(&customer_id).unwrap_or(&Facts::default()), now))
}

/// Assesses every customer and writes what changed.
pub async fn recompute(db: &Db) -> Result<RecomputeSummary, AppError> {
    recompute_at(db, now_ms()).await
}

/// [`recompute`] as of `now` (the demo's history assesses its customers as its year goes).
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
    let customers = sqlx::query(
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
        let id: i64 = row.try_get("id")?;
        let stored_tier: String = row.try_get("tier")?;
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
        let scores = serde_json::to_string(&a.scores).map_err(|_| AppError::Internal)?;
        let stored_rule: Option<String> = row.try_get("rule")?;
        let stored_scores: Option<String> = row.try_get("scores")?;
        if a.tier != current {
            summary.changed += 1;
            sqlx::query("UPDATE customers SET tier = $1 WHERE id = $2")
                .bind(a.tier.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO tier_changes (customer_id, from_tier, to_tier, rule, scores, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(current.as_str())
            .bind(a.tier.as_str())
            .bind(a.rule.as_str())
            .bind(&scores)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if current.is_valuable() && a.tier == Tier::AtRisk {
                let assignee: Option<i64> = row.try_get("account_manager_id")?;
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

/// The tiers' sizes, the moves of the last `days` days, and the rules.
pub async fn overview(db: &Db, days: i64) -> Result<SegmentsOverview, AppError> {
    let now = now_ms();
    let sizes: Vec<(String, i64)> =
        sqlx::query_as("SELECT tier, COUNT(*) FROM customers GROUP BY tier")
            .fetch_all(&db.pool)
            .await?;
    let moves: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT from_tier, to_tier, COUNT(*) FROM tier_changes WHERE at >= $1 \
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
                    .find(|(t, _)| t == tier.as_str())
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            })
            .collect(),
        moves: moves
            .into_iter()
            .filter_map(|(from, to, customers)| {
                Some(TierMove {
                    from: Tier::parse(&from)?,
                    to: Tier::parse(&to)?,
                    customers,
                })
            })
            .collect(),
        move_days: days,
        last_recomputed_at: last,
        rules: TierRules::bundled().clone(),
    })
}

fn parse_scores(json: &str) -> Result<Scores, AppError> {
    serde_json::from_str(json).map_err(|_| AppError::Internal)
}

/// The stored assessment of a customer (`None` before its first recomputation).
pub async fn stored_assessment(db: &Db, customer_id: i64) -> Result<Option<Assessment>, AppError> {
    let row = sqlx::query("SELECT tier, rule, scores FROM tier_assessments WHERE customer_id = $1")
        .bind(customer_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| {
        Ok(Assessment {
            tier: Tier::parse(&r.try_get::<String, _>("tier")?).ok_or(AppError::Internal)?,
            rule: TierRule::parse(&r.try_get::<String, _>("rule")?).ok_or(AppError::Internal)?,
            scores: parse_scores(&r.try_get::<String, _>("scores")?)?,
        })
    })
    .transpose()
}

/// A customer's tier changes, newest first.
pub async fn history(db: &Db, customer_id: i64) -> Result<Vec<TierChange>, AppError> {
    let rows = sqlx::query(
        "SELECT from_tier, to_tier, rule, scores, at FROM tier_changes WHERE customer_id = $1 \
         ORDER BY id DESC LIMIT 100",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TierChange {
                from: Tier::parse(&r.try_get::<String, _>("from_tier")?)
                    .ok_or(AppError::Internal)?,
                to: Tier::parse(&r.try_get::<String, _>("to_tier")?).ok_or(AppError::Internal)?,
                rule: TierRule::parse(&r.try_get::<String, _>("rule")?)
                    .ok_or(AppError::Internal)?,
                scores: parse_scores(&r.try_get::<String, _>("scores")?)?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

const RETENTION_COLUMNS: &str = "r.id, r.customer_id, c.name AS customer_name, c.company, \
     c.tier, r.from_tier, r.rule, r.scores, r.assignee_id, u.name AS assignee_name, r.status, \
     r.outcome, r.note, r.created_at, r.closed_at";

fn retention_item(r: &sqlx::any::AnyRow) -> Result<RetentionItem, AppError> {
    Ok(RetentionItem {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        company: r.try_get("company")?,
        tier: Tier::parse(&r.try_get::<String, _>("tier")?).ok_or(AppError::Internal)?,
        from_tier: Tier::parse(&r.try_get::<String, _>("from_tier")?).ok_or(AppError::Internal)?,
        rule: TierRule::parse(&r.try_get::<String, _>("rule")?).ok_or(AppError::Internal)?,
        scores: parse_scores(&r.try_get::<String, _>("scores")?)?,
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        status: RetentionStatus::parse(&r.try_get::<String, _>("status")?)
            .ok_or(AppError::Internal)?,
        outcome: r
            .try_get::<Option<String>, _>("outcome")?
            .and_then(|o| super::RetentionOutcome::parse(&o)),
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

/// Open retention items: the caller's own (as account manager) first, then the oldest first.
pub async fn retention_queue(db: &Db, me: &User) -> Result<Vec<RetentionItem>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {RETENTION_COLUMNS} FROM retention_items r JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.status = 'open' \
         ORDER BY CASE WHEN r.assignee_id = $1 THEN 0 ELSE 1 END, r.created_at, r.id LIMIT 200"
    ))
    .bind(me.id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(retention_item).collect()
}

/// A customer's retention items, newest first.
pub async fn retention_of(db: &Db, customer_id: i64) -> Result<Vec<RetentionItem>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {RETENTION_COLUMNS} FROM retention_items r JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.customer_id = $1 ORDER BY r.id DESC"
    ))
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(retention_item).collect()
}

async fn retention_by_id(db: &Db, id: i64) -> Result<RetentionItem, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {RETENTION_COLUMNS} FROM retention_items r JOIN customers c ON c.id = r.customer_id \
         LEFT JOIN users u ON u.id = r.assignee_id WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    retention_item(&row)
}

/// An agent records the outreach (what was said, how it ended) and the item closes. An item
/// already closed is a conflict: two agents cannot both close it.
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
