use crate::accounts::Customer;
use crate::domain::Industry;
use crate::error::AppError;
use crate::platform::{now_ms, Db};

use super::{CareOverview, CustomerSummary};

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    name: String,
    company: Option<String>,
    industry: String,
    created_at: i64,
}

impl From<CustomerRow> for Customer {
    fn from(r: CustomerRow) -> Self {
        Customer {
            id: r.id,
            name: r.name,
            company: r.company,
            industry: Industry::parse(&r.industry).unwrap_or(Industry::Other),
            created_at: r.created_at,
        }
    }
}

pub async fn customer(db: &Db, id: i64) -> Result<Customer, AppError> {
    let row: CustomerRow = sqlx::query_as(
        "SELECT id, name, company, industry, created_at FROM customers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(row.into())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    #[sqlx(flatten)]
    customer: CustomerRow,
    users: i64,
}

/// Newest first.
pub async fn list_customers(db: &Db, limit: i64) -> Result<Vec<CustomerSummary>, AppError> {
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT c.id, c.name, c.company, c.industry, c.created_at, \
                (SELECT COUNT(*) FROM users u WHERE u.customer_id = c.id) AS users \
         FROM customers c ORDER BY c.created_at DESC, c.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CustomerSummary {
            customer: r.customer.into(),
            users: r.users,
        })
        .collect())
}

pub async fn overview(db: &Db) -> Result<CareOverview, AppError> {
    let week_ago = now_ms() - 7 * 24 * 3600 * 1000;
    let (customers, new_customers_7d, staff_users): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM customers), \
                (SELECT COUNT(*) FROM customers WHERE created_at >= $1), \
                (SELECT COUNT(*) FROM users WHERE role <> 'customer')",
    )
    .bind(week_ago)
    .fetch_one(&db.pool)
    .await?;
    Ok(CareOverview {
        customers,
        new_customers_7d,
        staff_users,
        latest: list_customers(db, 5).await?,
    })
}
