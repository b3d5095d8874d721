use crate::accounts::service::{customer, CustomerRow};
use crate::accounts::User;
use crate::crm::kpis::{KpiFilters, KpiId, ReportPeriod};
use crate::domain::ShipmentStatus;
use crate::domain::{free_text, Industry, Tier, TrackingNumber};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::{now_ms, Db};

use super::{
    segments, CareOverview, Customer360, CustomerNote, CustomerQuery, CustomerSummary,
    CustomerUser, KpiComparison, StaffRef, Touchpoint, TouchpointKind, MAX_NOTE_CHARS,
    MAX_SEARCH_CHARS,
};

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    customer: CustomerRow,
    users: i64,
    tier: String,
    account_manager: Option<String>,
}

const SUMMARY_SELECT: &str = "SELECT c.id, c.name, c.company, c.industry, c.created_at, c.tier, \
     (SELECT COUNT(*) FROM users u WHERE u.customer_id = c.id) AS users, \
     (SELECT m.name FROM users m WHERE m.id = c.account_manager_id) AS account_manager \
     FROM customers c";

fn summaries(rows: Vec<SummaryRow>) -> Result<Vec<CustomerSummary>, AppError> {
    rows.into_iter()
        .map(|r| {
            Ok(CustomerSummary {
                tier: Tier::parse(&r.tier).or_internal("customers.tier is not a tier")?,
                customer: r.customer.into(),
                users: r.users,
                account_manager: r.account_manager,
            })
        })
        .collect()
}

/// Newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_customers(db: &Db, limit: i64) -> Result<Vec<CustomerSummary>, AppError> {
    search_customers(db, &CustomerQuery::default(), limit).await
}

/// Customers matching a search (part of a name, company or user's email, or a whole tracking
/// number) and filters, newest first. Bad filter values are named.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search_customers(
    db: &Db,
    q: &CustomerQuery,
    limit: i64,
) -> Result<Vec<CustomerSummary>, AppError> {
    let mut errors = FieldErrors::new();
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut arg = |v: String| {
        args.push(v);
        format!("${}", args.len())
    };
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    if let Some(text) = given(&q.q) {
        if text.chars().count() > MAX_SEARCH_CHARS {
            errors.insert(
                "q".into(),
                FieldError::TooLong {
                    max: MAX_SEARCH_CHARS,
                },
            );
        } else if let Ok(tn) = TrackingNumber::parse(&text) {
            let p = arg(tn.as_str().to_string());
            clauses.push(format!(
                "c.id IN (SELECT customer_id FROM shipments WHERE tracking_number = {p})"
            ));
        } else {
            let p = arg(crate::platform::db::like_contains(&text));
            clauses.push(format!(
                "(LOWER(c.name) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(c.company, '')) LIKE {p} \
                 ESCAPE '\\' OR c.id IN (SELECT customer_id FROM users WHERE customer_id IS NOT NULL \
                 AND LOWER(email) LIKE {p} ESCAPE '\\'))"
            ));
        }
    }
    if let Some(v) = given(&q.tier) {
        match Tier::parse(&v) {
            Some(t) => clauses.push(format!("c.tier = {}", arg(t.as_str().into()))),
            None => {
                errors.insert("tier".into(), FieldError::Invalid);
            }
        }
    }
    if let Some(v) = given(&q.industry) {
        match Industry::parse(&v) {
            Ok(i) => clauses.push(format!("c.industry = {}", arg(i.as_str().into()))),
            Err(e) => {
                errors.insert("industry".into(), e);
            }
        }
    }
    match given(&q.at_risk).as_deref() {
        None | Some("false") => {}
        Some("true") => clauses.push("c.tier = 'at_risk'".into()),
        Some(_) => {
            errors.insert("at_risk".into(), FieldError::YesOrNo);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let sql = format!(
        "{SUMMARY_SELECT}{filter} ORDER BY c.created_at DESC, c.id DESC LIMIT {}",
        limit.clamp(1, 500)
    );
    let mut query = sqlx::query_as::<_, SummaryRow>(&sql);
    for a in args {
        query = query.bind(a);
    }
    summaries(query.fetch_all(&db.pool).await?)
}

#[derive(sqlx::FromRow)]
struct CareCountsRow {
    customers: i64,
    new_customers_7d: i64,
    staff_users: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn overview(db: &Db) -> Result<CareOverview, AppError> {
    let week_ago = now_ms() - 7 * 24 * 3600 * 1000;
    let counts: CareCountsRow = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM customers) AS customers, \
                (SELECT COUNT(*) FROM customers WHERE created_at >= $1) AS new_customers_7d, \
                (SELECT COUNT(*) FROM users WHERE role <> 'customer') AS staff_users",
    )
    .bind(week_ago)
    .fetch_one(&db.pool)
    .await?;
    Ok(CareOverview {
        customers: counts.customers,
        new_customers_7d: counts.new_customers_7d,
        staff_users: counts.staff_users,
        emails_waiting_for_smtp: crate::notifications::service::emails_waiting_for_smtp(db).await?,
        latest: list_customers(db, 5).await?,
    })
}

#[derive(sqlx::FromRow)]
struct StaffRow {
    id: i64,
    name: String,
    email: String,
}

impl From<StaffRow> for StaffRef {
    fn from(r: StaffRow) -> Self {
        StaffRef {
            id: r.id,
            name: r.name,
            email: r.email,
        }
    }
}

/// Staff who can be named account manager.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn staff(db: &Db) -> Result<Vec<StaffRef>, AppError> {
    let rows: Vec<StaffRow> = sqlx::query_as(
        "SELECT id, name, email FROM users WHERE role IN ('agent', 'manager') ORDER BY name, id",
    )
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(StaffRef::from).collect())
}

/// Names (or with `None` removes) a customer's account manager: a staff user.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(customer_id = customer_id, user_id = user_id)
)]
pub async fn set_account_manager(
    db: &Db,
    customer_id: i64,
    user_id: Option<i64>,
) -> Result<(), AppError> {
    if let Some(id) = user_id {
        if !staff(db).await?.iter().any(|s| s.id == id) {
            return Err(AppError::field("user_id", FieldError::Unknown));
        }
    }
    if !crate::accounts::store::set_account_manager_id(&db.pool, customer_id, user_id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ContactRow {
    name: String,
    email: String,
}

/// The account manager a customer may contact, if a manager named one (for vip and key
/// accounts; one who slips to at risk keeps it). The customer sees the person, never its tier.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn account_manager_contact(
    db: &Db,
    customer_id: i64,
) -> Result<Option<super::AccountManagerContact>, AppError> {
    let row: Option<ContactRow> = sqlx::query_as(
        "SELECT m.name, m.email FROM customers c JOIN users m \
         ON m.id = c.account_manager_id WHERE c.id = $1",
    )
    .bind(customer_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|r| super::AccountManagerContact {
        name: r.name,
        email: r.email,
    }))
}

#[tracing::instrument(level = "debug", skip_all, fields(user = me.id, customer_id = customer_id))]
pub async fn add_note(
    db: &Db,
    me: &User,
    customer_id: i64,
    body: &str,
) -> Result<CustomerNote, AppError> {
    let body = free_text(body, MAX_NOTE_CHARS, true)
        .map_err(|e| AppError::field("body", e))?
        .unwrap_or_default();
    customer(db, customer_id).await?;
    let at = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO customer_notes (customer_id, author_id, body, at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(customer_id)
    .bind(me.id)
    .bind(&body)
    .bind(at)
    .fetch_one(&db.pool)
    .await?;
    Ok(CustomerNote {
        id,
        author: me.name.clone(),
        body,
        at,
    })
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    author: String,
    body: String,
    at: i64,
}

impl From<NoteRow> for CustomerNote {
    fn from(r: NoteRow) -> Self {
        CustomerNote {
            id: r.id,
            author: r.author,
            body: r.body,
            at: r.at,
        }
    }
}

async fn notes(db: &Db, customer_id: i64) -> Result<Vec<CustomerNote>, AppError> {
    let rows: Vec<NoteRow> = sqlx::query_as(
        "SELECT n.id, u.name AS author, n.body, n.at FROM customer_notes n JOIN users u \
         ON u.id = n.author_id WHERE n.customer_id = $1 ORDER BY n.id DESC LIMIT 100",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(CustomerNote::from).collect())
}

/// One touchpoint as each of `touchpoints`' queries names its columns.
#[derive(sqlx::FromRow)]
struct TouchpointRow {
    title: String,
    detail: String,
    at: i64,
    link: Option<String>,
}

/// Each kind of touchpoint, newest first and capped, to merge into one timeline.
async fn touchpoints(db: &Db, customer_id: i64) -> Result<Vec<Touchpoint>, AppError> {
    const CAP: i64 = 30;
    let mut out = Vec::new();
    let queries: [(TouchpointKind, String); 6] = [
        (
            TouchpointKind::Shipment,
            format!(
                "SELECT tracking_number AS title, status AS detail, created_at AS at, \
                 tracking_number AS link FROM shipments WHERE customer_id = $1 \
                 ORDER BY id DESC LIMIT {CAP}"
            ),
        ),
        (
            TouchpointKind::Exception,
            // The newest exceptions are on the shipments whose last exception is newest, so
            // only those shipments' events are read, however many the customer sends.
            format!(
                "SELECT s.tracking_number AS title, e.status AS detail, e.occurred_at AS at, \
                 s.tracking_number AS link FROM tracking_events e JOIN (SELECT id, \
                 tracking_number FROM shipments WHERE customer_id = $1 AND had_exception = 1 \
                 ORDER BY last_exception_at DESC LIMIT {CAP}) s ON s.id = e.shipment_id \
                 WHERE e.status IN {} ORDER BY e.occurred_at DESC LIMIT {CAP}",
                ShipmentStatus::exception_sql()
            ),
        ),
        (
            TouchpointKind::Notification,
            format!(
                "SELECT n.kind AS title, COALESCE(s.tracking_number, '') AS detail, \
                 n.created_at AS at, s.tracking_number AS link FROM notifications n \
                 LEFT JOIN shipments s ON s.id = n.shipment_id WHERE n.customer_id = $1 \
                 ORDER BY n.id DESC LIMIT {CAP}"
            ),
        ),
        (
            TouchpointKind::Rating,
            format!(
                "SELECT s.tracking_number AS title, CAST(r.csat AS TEXT) || '/' || \
                 COALESCE(CAST(r.nps AS TEXT), '-') AS detail, r.created_at AS at, \
                 s.tracking_number AS link FROM ratings r JOIN shipments s \
                 ON s.id = r.shipment_id WHERE r.customer_id = $1 \
                 ORDER BY r.created_at DESC LIMIT {CAP}"
            ),
        ),
        (
            TouchpointKind::Return,
            format!(
                "SELECT reason AS title, status AS detail, created_at AS at, \
                 CAST(id AS TEXT) AS link FROM returns WHERE customer_id = $1 \
                 ORDER BY id DESC LIMIT {CAP}"
            ),
        ),
        (
            TouchpointKind::Complaint,
            format!(
                "SELECT category AS title, status AS detail, created_at AS at, \
                 CAST(id AS TEXT) AS link FROM complaints WHERE customer_id = $1 \
                 ORDER BY id DESC LIMIT {CAP}"
            ),
        ),
    ];
    for (kind, sql) in queries {
        let rows: Vec<TouchpointRow> = sqlx::query_as(&sql)
            .bind(customer_id)
            .fetch_all(&db.pool)
            .await?;
        for r in rows {
            out.push(Touchpoint {
                kind,
                at: r.at,
                title: r.title,
                detail: r.detail,
                link: r.link.map(|l| match kind {
                    TouchpointKind::Return => format!("/returns/{l}"),
                    TouchpointKind::Complaint => format!("/complaints/{l}"),
                    _ => format!("/track/{l}"),
                }),
            });
        }
    }
    Ok(out)
}

/// A customer's tier and account manager (the manager's columns are NULL without one).
#[derive(sqlx::FromRow)]
struct TierManagerRow {
    tier: String,
    manager_id: Option<i64>,
    manager_name: Option<String>,
    manager_email: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CustomerUserRow {
    name: String,
    email: String,
    created_at: i64,
}

impl From<CustomerUserRow> for CustomerUser {
    fn from(r: CustomerUserRow) -> Self {
        CustomerUser {
            name: r.name,
            email: r.email,
            created_at: r.created_at,
        }
    }
}

/// Everything the care team knows of a customer: profile, tier and why, its history, its own
/// KPIs beside the whole base's over the last 90 days, and one timeline of every touchpoint.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn customer_360(
    db: &Db,
    customer_id: i64,
    tz: &jiff::tz::TimeZone,
) -> Result<Customer360, AppError> {
    let customer = customer(db, customer_id).await?;
    let row: TierManagerRow = sqlx::query_as(
        "SELECT c.tier, m.id AS manager_id, m.name AS manager_name, m.email AS manager_email \
         FROM customers c LEFT JOIN users m ON m.id = c.account_manager_id WHERE c.id = $1",
    )
    .bind(customer_id)
    .fetch_one(&db.pool)
    .await?;
    let tier = Tier::parse(&row.tier).or_internal("customers.tier is not a tier")?;
    let account_manager = match (row.manager_id, row.manager_name, row.manager_email) {
        (Some(id), Some(name), Some(email)) => Some(StaffRef { id, name, email }),
        // A user's name and email are NOT NULL: a manager without them cannot be read.
        (Some(_), _, _) => return Err(AppError::internal("account manager without name or email")),
        (None, _, _) => None,
    };
    let users: Vec<CustomerUserRow> = sqlx::query_as(
        "SELECT name, email, created_at FROM users WHERE customer_id = $1 ORDER BY id",
    )
    .bind(customer_id)
    .fetch_all(&db.pool)
    .await?;
    let history = segments::history(db, customer_id).await?;
    let retention = segments::retention_of(db, customer_id).await?;
    let notes = notes(db, customer_id).await?;
    let window = super::kpi_service::parse_query(
        &super::kpis::KpiQuery {
            period: Some("90d".into()),
            ..Default::default()
        },
        tz,
        now_ms(),
    )?;
    // Both from the roll-ups (the customer's from its own rows) when they count in this zone.
    let zone = tz.iana_name().unwrap_or_default();
    let own_window = super::kpi_service::Window {
        filters: KpiFilters {
            customer: Some(customer_id),
            ..KpiFilters::default()
        },
        ..window.clone()
    };
    let own = super::kpi_service::totals(db, &own_window, zone).await?;
    let base = super::kpi_service::totals(db, &window, zone).await?;
    let mut timeline = touchpoints(db, customer_id).await?;
    timeline.extend(notes.iter().map(|n| Touchpoint {
        kind: TouchpointKind::Note,
        at: n.at,
        title: n.author.clone(),
        detail: n.body.clone(),
        link: None,
    }));
    timeline.extend(retention.iter().map(|r| {
        Touchpoint {
            kind: TouchpointKind::Retention,
            at: r.closed_at.unwrap_or(r.created_at),
            title: r.rule.as_str().to_string(),
            detail: r
                .outcome
                .map(|o| o.as_str().to_string())
                .unwrap_or_else(|| "open".into()),
            link: None,
        }
    }));
    timeline.extend(history.iter().map(|h| Touchpoint {
        kind: TouchpointKind::TierChange,
        at: h.at,
        title: h.from.as_str().to_string(),
        detail: h.to.as_str().to_string(),
        link: None,
    }));
    timeline.sort_by_key(|t| std::cmp::Reverse(t.at));
    timeline.truncate(150);
    Ok(Customer360 {
        customer,
        tier,
        account_manager,
        users: users.into_iter().map(CustomerUser::from).collect(),
        assessment: segments::stored_assessment(db, customer_id).await?,
        history,
        retention,
        notes,
        kpi_period: ReportPeriod {
            ..window.period.clone()
        },
        kpis: KpiId::ALL
            .into_iter()
            .map(|kpi| KpiComparison {
                kpi,
                customer: own.get(&kpi).copied().unwrap_or_default(),
                base: base.get(&kpi).copied().unwrap_or_default(),
            })
            .collect(),
        timeline,
        staff: staff(db).await?,
        rules: super::tiering::TierRules::bundled().clone(),
    })
}
