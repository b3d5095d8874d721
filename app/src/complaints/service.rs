//! The complaint loop in the database: every step is a message with its time (and the status it
//! moved to), so first-response and resolution times are read from data, never typed in.

use super::{
    due_times, sla_for, Complaint, ComplaintCategory, ComplaintMessage, ComplaintStatus,
    ComplaintSummary, NewComplaint, Priority, AUTO_CLOSE_MS, MAX_TEXT_CHARS,
};
use crate::accounts::store::INDUSTRY_OF_CUSTOMER;
use crate::accounts::User;
use crate::domain::{free_text, TrackingNumber};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::kpi_rollup::{Counted, Subject};
use crate::notifications::NotificationKind;
use crate::orders::store::own_shipment_id;
use crate::platform::insert::Insert;
use crate::platform::lifecycle::{isolate, Worker};
use crate::platform::uploads::{self, Owner};
use crate::platform::{now_ms, rate_limit, Db, Settings};
use crate::ratings::Csat;

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

use crate::accounts::service::Party;

fn conflict(field: &str, error: FieldError) -> AppError {
    AppError::Conflict(FieldErrors::from([(field.to_string(), error)]))
}

fn text(field: &str, input: &str) -> Result<String, AppError> {
    free_text(input, MAX_TEXT_CHARS, true)
        .map_err(|e| AppError::field(field, e))
        .map(Option::unwrap_or_default)
}

/// Files a complaint. The shipment, if named, must be the caller's (else "not found"); the
/// priority and due times come from the customer's tier through the SLA table. At most
/// `COMPLAINTS_PER_DAY` a customer a day (UTC; 429 beyond): counted in one statement before
/// anything is written, so parallel filings cannot all pass, and given back when the complaint
/// is refused.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn create(
    db: &Db,
    settings: &Settings,
    customer_id: i64,
    input: &NewComplaint,
) -> Result<Complaint, AppError> {
    let taken = match rate_limit::take(
        db,
        &format!("complaints:customer:{customer_id}"),
        1,
        u64::from(settings.complaints_per_day),
        rate_limit::DAY,
    )
    .await?
    {
        Ok(taken) => taken,
        Err(exceeded) => return Err(exceeded.rate_limited()),
    };
    let created = create_at(db, customer_id, input, now_ms()).await;
    if created.is_err() {
        let _ = taken.give_back(db).await;
    }
    created
}

/// `create` at the clock `now`: the complaint's times and its SLA due times count from it.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn create_at(
    db: &Db,
    customer_id: i64,
    input: &NewComplaint,
    now: i64,
) -> Result<Complaint, AppError> {
    let description = text("description", &input.description)?;
    let shipment_id = match input.tracking_number.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(tn) => {
            let tn =
                TrackingNumber::parse(tn).map_err(|e| AppError::field("tracking_number", e))?;
            Some(own_shipment_id(db, customer_id, tn.as_str()).await?)
        }
    };
    let tier = crate::accounts::store::tier(&db.pool, customer_id).await?;
    // A customer with an account manager (vip and key accounts) is served by it first.
    let assignee = crate::accounts::store::account_manager_id(&db.pool, customer_id).await?;
    let tier = tier.as_str();
    let sla = sla_for(tier);
    let (first_due, resolution_due) = due_times(tier, now);
    let mut tx = db.pool.begin().await?;
    // A complaint changes what its shipment counts (complained, wrong delivery, damaged).
    let counted = match shipment_id {
        Some(sid) => Some(Counted::read(&mut tx, Subject::Shipment(sid)).await?),
        None => None,
    };
    let (sql, arguments) = Insert::into("complaints")
        .value("customer_id", customer_id)
        .value("shipment_id", shipment_id)
        .value("category", input.category.as_str())
        .value("description", &description)
        .value("tier", tier)
        .value("priority", sla.priority.as_str())
        .value("status", ComplaintStatus::Open.as_str())
        .value("first_response_due", first_due)
        .value("resolution_due", resolution_due)
        .value("created_at", now)
        .value("updated_at", now)
        .value("assignee_id", assignee)
        .value_in("industry", INDUSTRY_OF_CUSTOMER, customer_id)
        .build("RETURNING id")?;
    let id: i64 = sqlx::query_scalar_with(&sql, arguments)
        .fetch_one(&mut *tx)
        .await?;
    add_message(
        &mut tx,
        id,
        "customer",
        None,
        &description,
        Some(ComplaintStatus::Open),
        now,
    )
    .await?;
    notify(&mut tx, id, "received").await?;
    if let (Some(counted), Some(sid)) = (counted, shipment_id) {
        // What the shipment's complaints say of it, kept on its row for the KPIs.
        crate::orders::store::mark_complained(
            &mut *tx,
            sid,
            input.category == ComplaintCategory::WrongDelivery,
            input.category == ComplaintCategory::Damage,
        )
        .await?;
        counted.settle(&mut tx).await?;
    }
    tx.commit().await?;
    get(db, &Party::Customer(customer_id), id).await
}

async fn add_message(
    tx: &mut Tx<'_>,
    complaint_id: i64,
    author: &str,
    user_id: Option<i64>,
    body: &str,
    status: Option<ComplaintStatus>,
    now: i64,
) -> Result<(), AppError> {
    let (sql, arguments) = Insert::into("complaint_messages")
        .value("complaint_id", complaint_id)
        .value("author", author)
        .value("user_id", user_id)
        .value("body", body)
        .value("status", status.map(|s| s.as_str()))
        .value("at", now)
        .build("")?;
    sqlx::query_with(&sql, arguments).execute(&mut **tx).await?;
    Ok(())
}

/// Whom a complaint's notification goes to, and the shipment it names.
#[derive(sqlx::FromRow)]
struct NotifyRow {
    customer_id: i64,
    shipment_id: Option<i64>,
    tracking_number: Option<String>,
}

/// Tells the customer about a step, in the step's transaction.
async fn notify(tx: &mut Tx<'_>, complaint_id: i64, step: &str) -> Result<(), AppError> {
    let row: NotifyRow = sqlx::query_as(
        "SELECT c.customer_id, c.shipment_id, s.tracking_number FROM complaints c \
         LEFT JOIN shipments s ON s.id = c.shipment_id WHERE c.id = $1",
    )
    .bind(complaint_id)
    .fetch_one(&mut **tx)
    .await?;
    crate::notifications::service::record(
        tx,
        row.customer_id,
        row.shipment_id,
        NotificationKind::ComplaintUpdate,
        serde_json::json!({
            "complaint_id": complaint_id,
            "step": step,
            "tracking_number": row.tracking_number,
        }),
    )
    .await
}

/// Moves the complaint from `from` (as just read) to `to`; someone else's change in between
/// refuses it. The first write of every step, so SQLite takes its write lock first.
async fn advance(
    tx: &mut Tx<'_>,
    id: i64,
    from: ComplaintStatus,
    to: ComplaintStatus,
    now: i64,
) -> Result<(), AppError> {
    if !from.can_become(to) {
        return Err(conflict("status", FieldError::TransitionIllegal));
    }
    let changed = sqlx::query(
        "UPDATE complaints SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if changed == 1 {
        Ok(())
    } else {
        Err(conflict("status", FieldError::ChangedMeanwhile))
    }
}

fn agent(caller: &Party) -> Result<&User, AppError> {
    match caller {
        Party::Staff(u) => Ok(u),
        Party::Customer(_) => Err(AppError::Forbidden),
    }
}

fn customer(caller: &Party) -> Result<i64, AppError> {
    match caller {
        Party::Customer(c) => Ok(*c),
        Party::Staff(_) => Err(AppError::Forbidden),
    }
}

/// A reply in the thread. An agent's first one is the first response, and takes the complaint
/// up if nobody had.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn message(
    db: &Db,
    caller: &Party,
    id: i64,
    body: &str,
    now: i64,
) -> Result<Complaint, AppError> {
    let c = get(db, caller, id).await?;
    let body = text("body", body)?;
    if c.status == ComplaintStatus::Closed {
        return Err(conflict("status", FieldError::TransitionIllegal));
    }
    let mut tx = db.pool.begin().await?;
    match caller {
        Party::Staff(user) => {
            let to = (c.status == ComplaintStatus::Open).then_some(ComplaintStatus::InProgress);
            match to {
                Some(to) => advance(&mut tx, id, c.status, to, now).await?,
                None => touch(&mut tx, id, now).await?,
            }
            sqlx::query(
                "UPDATE complaints SET first_response_at = COALESCE(first_response_at, $1), \
                 assignee_id = COALESCE(assignee_id, $2) WHERE id = $3",
            )
            .bind(now)
            .bind(user.id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            add_message(&mut tx, id, "agent", Some(user.id), &body, to, now).await?;
            notify(&mut tx, id, "agent_reply").await?;
        }
        Party::Customer(_) => {
            touch(&mut tx, id, now).await?;
            add_message(&mut tx, id, "customer", None, &body, None, now).await?;
        }
    }
    tx.commit().await?;
    get(db, caller, id).await
}

async fn touch(tx: &mut Tx<'_>, id: i64, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE complaints SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// An agent takes the complaint: it is theirs, and in progress.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn assign(db: &Db, caller: &Party, id: i64, now: i64) -> Result<Complaint, AppError> {
    let user = agent(caller)?;
    let c = get(db, caller, id).await?;
    let mut tx = db.pool.begin().await?;
    let to = match c.status {
        ComplaintStatus::Open | ComplaintStatus::Reopened => Some(ComplaintStatus::InProgress),
        ComplaintStatus::InProgress => None,
        _ => return Err(conflict("status", FieldError::TransitionIllegal)),
    };
    match to {
        Some(to) => advance(&mut tx, id, c.status, to, now).await?,
        None => touch(&mut tx, id, now).await?,
    }
    sqlx::query("UPDATE complaints SET assignee_id = $1 WHERE id = $2")
        .bind(user.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if let Some(to) = to {
        add_message(&mut tx, id, "system", Some(user.id), "", Some(to), now).await?;
        notify(&mut tx, id, to.as_str()).await?;
    }
    tx.commit().await?;
    get(db, caller, id).await
}

/// An agent resolves it with a note to the customer, who then confirms or reopens.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn resolve(
    db: &Db,
    caller: &Party,
    id: i64,
    note: &str,
    now: i64,
) -> Result<Complaint, AppError> {
    let user = agent(caller)?;
    let c = get(db, caller, id).await?;
    let note = text("note", note)?;
    let mut tx = db.pool.begin().await?;
    let counted = Counted::read(&mut tx, Subject::Complaint(id)).await?;
    let mut from = c.status;
    if from == ComplaintStatus::Open {
        advance(&mut tx, id, from, ComplaintStatus::InProgress, now).await?;
        add_message(
            &mut tx,
            id,
            "system",
            Some(user.id),
            "",
            Some(ComplaintStatus::InProgress),
            now,
        )
        .await?;
        from = ComplaintStatus::InProgress;
    }
    advance(&mut tx, id, from, ComplaintStatus::Resolved, now).await?;
    sqlx::query(
        "UPDATE complaints SET resolved_at = $1, resolution_note = $2, \
         first_response_at = COALESCE(first_response_at, $1), \
         assignee_id = COALESCE(assignee_id, $3) WHERE id = $4",
    )
    .bind(now)
    .bind(&note)
    .bind(user.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    add_message(
        &mut tx,
        id,
        "agent",
        Some(user.id),
        &note,
        Some(ComplaintStatus::Resolved),
        now,
    )
    .await?;
    notify(&mut tx, id, ComplaintStatus::Resolved.as_str()).await?;
    counted.settle(&mut tx).await?;
    tx.commit().await?;
    get(db, caller, id).await
}

/// The customer accepts the resolution, answering the follow-up question if they like; on a
/// complaint already closed (automatically), only the follow-up answer is recorded, once.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn confirm(
    db: &Db,
    caller: &Party,
    id: i64,
    satisfaction: Option<Csat>,
    now: i64,
) -> Result<Complaint, AppError> {
    customer(caller)?;
    let c = get(db, caller, id).await?;
    let follow_up = satisfaction.map(|s| i64::from(s.get()));
    let mut tx = db.pool.begin().await?;
    if c.status == ComplaintStatus::Closed {
        let Some(answer) = follow_up else {
            return Err(conflict("status", FieldError::TransitionIllegal));
        };
        let changed = sqlx::query(
            "UPDATE complaints SET follow_up = $1, updated_at = $2 WHERE id = $3 \
             AND follow_up IS NULL",
        )
        .bind(answer)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(conflict("satisfaction", FieldError::TransitionIllegal));
        }
    } else {
        advance(&mut tx, id, c.status, ComplaintStatus::Closed, now).await?;
        sqlx::query(
            "UPDATE complaints SET closed_at = $1, closed_by = 'customer', follow_up = $2 \
             WHERE id = $3",
        )
        .bind(now)
        .bind(follow_up)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        add_message(
            &mut tx,
            id,
            "customer",
            None,
            "",
            Some(ComplaintStatus::Closed),
            now,
        )
        .await?;
        notify(&mut tx, id, ComplaintStatus::Closed.as_str()).await?;
    }
    tx.commit().await?;
    get(db, caller, id).await
}

/// The customer is not satisfied: back to the care team, with the reason in the thread.
#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn reopen(
    db: &Db,
    caller: &Party,
    id: i64,
    reason: &str,
    now: i64,
) -> Result<Complaint, AppError> {
    customer(caller)?;
    let c = get(db, caller, id).await?;
    let reason = text("reason", reason)?;
    let mut tx = db.pool.begin().await?;
    let counted = Counted::read(&mut tx, Subject::Complaint(id)).await?;
    advance(&mut tx, id, c.status, ComplaintStatus::Reopened, now).await?;
    sqlx::query(
        "UPDATE complaints SET reopen_count = reopen_count + 1, resolved_at = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    add_message(
        &mut tx,
        id,
        "customer",
        None,
        &reason,
        Some(ComplaintStatus::Reopened),
        now,
    )
    .await?;
    notify(&mut tx, id, ComplaintStatus::Reopened.as_str()).await?;
    counted.settle(&mut tx).await?;
    tx.commit().await?;
    get(db, caller, id).await
}

/// Closes every complaint resolved at least seven days before `now` that the customer neither
/// confirmed nor reopened. Each closes in its own transaction on its own task, and only if still
/// resolved: one that fails is logged and the others still close.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn auto_close(db: &Db, now: i64) -> Result<usize, AppError> {
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM complaints WHERE status = 'resolved' AND resolved_at <= $1 ORDER BY id",
    )
    .bind(now - AUTO_CLOSE_MS)
    .fetch_all(&db.pool)
    .await?;
    let mut closed = 0;
    for id in due {
        let closing = {
            let db = db.clone();
            async move { close_after_silence(&db, id, now).await }
        };
        if isolate(format!("auto-closing complaint {id}"), closing).await == Some(true) {
            closed += 1;
        }
    }
    Ok(closed)
}

/// Closes one complaint if it is still resolved and due; true when it closed.
async fn close_after_silence(db: &Db, id: i64, now: i64) -> Result<bool, AppError> {
    let mut tx = db.pool.begin().await?;
    let changed = sqlx::query(
        "UPDATE complaints SET status = 'closed', closed_at = $1, closed_by = 'auto', \
         updated_at = $1 WHERE id = $2 AND status = 'resolved' AND resolved_at <= $3",
    )
    .bind(now)
    .bind(id)
    .bind(now - AUTO_CLOSE_MS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed != 1 {
        return Ok(false);
    }
    add_message(
        &mut tx,
        id,
        "system",
        None,
        "",
        Some(ComplaintStatus::Closed),
        now,
    )
    .await?;
    notify(&mut tx, id, "auto_closed").await?;
    tx.commit().await?;
    Ok(true)
}

/// Runs `auto_close` on the worker's schedule until the stop.
pub async fn run_auto_close(worker: Worker, db: Db) {
    let db = &db;
    worker
        .rounds(|| async move {
            match auto_close(db, now_ms()).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!("{n} resolved complaints closed after 7 days without answer")
                }
                Err(e) => tracing::warn!("complaint auto-close failed: {e}"),
            }
        })
        .await;
}

const COMPLAINT_COLUMNS: &str = "c.id, s.tracking_number, c.category, c.description, c.status, \
     c.priority, c.tier, c.first_response_due, c.resolution_due, c.first_response_at, \
     c.resolved_at, c.closed_at, c.closed_by, c.resolution_note, c.reopen_count, c.follow_up, \
     u.name AS assignee, k.name AS customer_name, c.created_at, c.customer_id";

/// A complaint as `COMPLAINT_COLUMNS` reads it.
#[derive(sqlx::FromRow)]
struct ComplaintRow {
    id: i64,
    tracking_number: Option<String>,
    category: String,
    description: String,
    status: String,
    priority: String,
    tier: String,
    first_response_due: i64,
    resolution_due: i64,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    closed_by: Option<String>,
    resolution_note: Option<String>,
    reopen_count: i64,
    follow_up: Option<i64>,
    assignee: Option<String>,
    customer_name: String,
    created_at: i64,
    customer_id: i64,
}

/// A message of a complaint's thread, with its author's name.
#[derive(sqlx::FromRow)]
struct MessageRow {
    author: String,
    author_name: Option<String>,
    body: String,
    status: Option<String>,
    at: i64,
}

impl From<MessageRow> for ComplaintMessage {
    fn from(m: MessageRow) -> Self {
        ComplaintMessage {
            author: m.author,
            author_name: m.author_name,
            body: m.body,
            status: m.status.and_then(|s| ComplaintStatus::parse(&s)),
            at: m.at,
        }
    }
}

/// A line of a complaint list as stored.
#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    tracking_number: Option<String>,
    category: String,
    status: String,
    priority: String,
    tier: String,
    customer_name: String,
    assignee: Option<String>,
    first_response_due: i64,
    resolution_due: i64,
    first_response_at: Option<i64>,
    created_at: i64,
    account_manager_id: Option<i64>,
}

fn due_and_overdue(
    status: ComplaintStatus,
    first_due: i64,
    resolution_due: i64,
    first_response_at: Option<i64>,
    now: i64,
) -> (i64, bool) {
    let due = if first_response_at.is_none() {
        first_due
    } else {
        resolution_due
    };
    (due, status.with_agents() && now > due)
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn get(db: &Db, caller: &Party, id: i64) -> Result<Complaint, AppError> {
    let r: ComplaintRow = sqlx::query_as(&format!(
        "SELECT {COMPLAINT_COLUMNS} FROM complaints c LEFT JOIN shipments s \
         ON s.id = c.shipment_id LEFT JOIN users u ON u.id = c.assignee_id \
         JOIN customers k ON k.id = c.customer_id WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    if let Party::Customer(c) = caller {
        if *c != r.customer_id {
            return Err(AppError::NotFound);
        }
    }
    let messages: Vec<MessageRow> = sqlx::query_as(
        "SELECT m.author, u.name AS author_name, m.body, m.status, m.at FROM complaint_messages m \
         LEFT JOIN users u ON u.id = m.user_id WHERE m.complaint_id = $1 ORDER BY m.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let status = status_of(&r.status)?;
    let (_, overdue) = due_and_overdue(
        status,
        r.first_response_due,
        r.resolution_due,
        r.first_response_at,
        now_ms(),
    );
    Ok(Complaint {
        id: r.id,
        tracking_number: r.tracking_number,
        category: category_of(&r.category)?,
        description: r.description,
        status,
        priority: Priority::parse(&r.priority)
            .or_internal("complaints.priority is not a priority")?,
        // Segmentation is the care team's business, not the customer's.
        tier: match caller {
            Party::Staff(_) => Some(r.tier),
            Party::Customer(_) => None,
        },
        first_response_due: r.first_response_due,
        resolution_due: r.resolution_due,
        first_response_at: r.first_response_at,
        resolved_at: r.resolved_at,
        closed_at: r.closed_at,
        closed_by: r.closed_by,
        resolution_note: r.resolution_note,
        reopen_count: r.reopen_count,
        follow_up: r.follow_up.and_then(|v| Csat::parse(v).ok()),
        assignee: r.assignee,
        customer_name: r.customer_name,
        messages: messages.into_iter().map(ComplaintMessage::from).collect(),
        attachments: uploads::list(db, attachments_of(id)).await?,
        created_at: r.created_at,
        overdue,
    })
}

fn status_of(s: &str) -> Result<ComplaintStatus, AppError> {
    ComplaintStatus::parse(s).or_internal("complaints.status is not a status")
}

fn category_of(s: &str) -> Result<ComplaintCategory, AppError> {
    ComplaintCategory::parse(s).or_internal("complaints.category is not a category")
}

/// A customer's complaints (newest first), or with `None` the agents' queue: complaints waiting
/// on the care team, by due time, so overdue ones come first; those of the customers whose
/// account manager is `first_for` (the agent reading it) before the rest.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer))]
pub async fn list(
    db: &Db,
    customer: Option<i64>,
    first_for: Option<i64>,
) -> Result<Vec<ComplaintSummary>, AppError> {
    // The queue is read soonest-due first, so a cap never hides the most overdue.
    let (filter, order) = match customer {
        Some(_) => ("c.customer_id = $1", "c.id DESC"),
        None => (
            "c.status IN ('open', 'in_progress', 'reopened') AND $1 = 0",
            "CASE WHEN c.first_response_at IS NULL THEN c.first_response_due \
             ELSE c.resolution_due END, c.id",
        ),
    };
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "SELECT c.id, s.tracking_number, c.category, c.status, c.priority, c.tier, \
         k.name AS customer_name, u.name AS assignee, c.first_response_due, c.resolution_due, \
         c.first_response_at, c.created_at, k.account_manager_id FROM complaints c \
         LEFT JOIN shipments s ON s.id = c.shipment_id \
         LEFT JOIN users u ON u.id = c.assignee_id JOIN customers k ON k.id = c.customer_id \
         WHERE {filter} ORDER BY {order} LIMIT 500"
    ))
    .bind(customer.unwrap_or(0))
    .fetch_all(&db.pool)
    .await?;
    let now = now_ms();
    let mut out = rows
        .into_iter()
        .map(|r| {
            let mine = first_for.is_some() && r.account_manager_id == first_for;
            let status = status_of(&r.status)?;
            let (due_at, overdue) = due_and_overdue(
                status,
                r.first_response_due,
                r.resolution_due,
                r.first_response_at,
                now,
            );
            let summary = ComplaintSummary {
                id: r.id,
                tracking_number: r.tracking_number,
                category: category_of(&r.category)?,
                status,
                priority: Priority::parse(&r.priority)
                    .or_internal("complaints.priority is not a priority")?,
                tier: match customer {
                    None => Some(r.tier),
                    Some(_) => None,
                },
                customer_name: r.customer_name,
                assignee: r.assignee,
                due_at,
                overdue,
                created_at: r.created_at,
            };
            Ok((mine, summary))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    if customer.is_none() {
        out.sort_by_key(|(mine, c)| (!mine, c.due_at, c.id));
    }
    Ok(out.into_iter().map(|(_, c)| c).collect())
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id))]
pub async fn attach(
    db: &Db,
    settings: &Settings,
    caller: &Party,
    id: i64,
    bytes: &[u8],
) -> Result<Complaint, AppError> {
    let c = get(db, caller, id).await?;
    if c.status == ComplaintStatus::Closed {
        return Err(conflict("attachment", FieldError::TransitionIllegal));
    }
    uploads::save(
        db,
        settings,
        attachments_of(id),
        customer_id_of(db, id).await?,
        "attachment",
        bytes,
    )
    .await?;
    get(db, caller, id).await
}

#[tracing::instrument(level = "debug", skip_all, fields(id = id, attachment_id = attachment_id))]
pub async fn attachment(
    db: &Db,
    settings: &Settings,
    caller: &Party,
    id: i64,
    attachment_id: i64,
) -> Result<(String, Vec<u8>), AppError> {
    get(db, caller, id).await?;
    uploads::read(db, &settings.upload_dir, attachments_of(id), attachment_id).await
}

/// A complaint's attachments, as the uploads file them: the complaint's row is locked while one is counted.
fn attachments_of(id: i64) -> Owner {
    Owner {
        kind: "complaint",
        table: "complaints",
        id,
    }
}

/// The customer a complaint is for: its attachments count against that customer's daily quota.
async fn customer_id_of(db: &Db, id: i64) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT customer_id FROM complaints WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(AppError::NotFound)
}
