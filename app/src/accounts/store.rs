//! The reads and writes other modules make of accounts' tables (`customers`, `users`): accounts
//! owns those rows, so every statement on them is here, run on the caller's executor (a change,
//! in the caller's transaction).

use crate::domain::Tier;
use crate::error::{AppError, OrInternal};
use crate::i18n::Locale;
use crate::platform::Db;

/// The customer's industry, as the subquery an INSERT of a shipment or a complaint copies it
/// with (`Insert::value_in`; `{}` is the customer id's placeholder), for the KPIs' industry
/// filter. A subquery rather than a read first: on SQLite a transaction whose first statement
/// reads cannot upgrade to a write beside another writer.
pub const INDUSTRY_OF_CUSTOMER: &str = "(SELECT industry FROM customers WHERE id = {})";

/// Sets the customer's tier, as segmentation assessed it: the tier is read by every capability
/// through accounts (`store::tier`), so accounts writes it too.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn set_tier<'e, E>(exec: E, customer_id: i64, tier: Tier) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE customers SET tier = $1 WHERE id = $2")
        .bind(tier.as_str())
        .bind(customer_id)
        .execute(exec)
        .await?;
    Ok(())
}

/// Names (or with `None` removes) the customer's account manager, a column of the customer's
/// row, which accounts owns. Whether the customer exists.
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(customer_id = customer_id, user_id = user_id)
)]
pub async fn set_account_manager_id<'e, E>(
    exec: E,
    customer_id: i64,
    user_id: Option<i64>,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let changed = sqlx::query("UPDATE customers SET account_manager_id = $1 WHERE id = $2")
        .bind(user_id)
        .bind(customer_id)
        .execute(exec)
        .await?
        .rows_affected();
    Ok(changed > 0)
}

/// Sets the language of the customer's email, kept on the customer's row, which accounts owns.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn set_notification_locale<'e, E>(
    exec: E,
    customer_id: i64,
    locale: Locale,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("UPDATE customers SET notification_locale = $1 WHERE id = $2")
        .bind(locale.tag())
        .bind(customer_id)
        .execute(exec)
        .await?;
    Ok(())
}

/// A write to the customer's row that changes nothing, so the caller's transaction holds its
/// lock (and, touching no key, runs no foreign-key checks); the row is accounts'. Whether the
/// customer exists.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn lock_customer<'e, E>(exec: E, customer_id: i64) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    crate::platform::db::lock_row(exec, "customers", "name", customer_id).await
}

/// Dates a customer account and its users back to `created_at` (demo data, as old as its
/// history), in one transaction: both rows are accounts'.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn backdate_customer(db: &Db, customer_id: i64, created_at: i64) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("UPDATE customers SET created_at = $1 WHERE id = $2")
        .bind(created_at)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET created_at = $1 WHERE customer_id = $2")
        .bind(created_at)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The customer's current tier, as segmentation last set it: quotes, bookings, complaint SLAs
/// and return deadlines all read it here, so one customer gets one service everywhere.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn tier<'e, E>(exec: E, customer_id: i64) -> Result<crate::domain::Tier, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let tier: String = sqlx::query_scalar("SELECT tier FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(exec)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::domain::Tier::parse(&tier).or_internal("customers.tier is not a tier")
}

/// The staff user a customer's account is managed by, if a manager named one.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn account_manager_id<'e, E>(exec: E, customer_id: i64) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query_scalar("SELECT account_manager_id FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(exec)
            .await?
            .flatten(),
    )
}

/// The language the customer's email is written in, as its notification preferences set it.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn notification_locale<'e, E>(exec: E, customer_id: i64) -> Result<String, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let locale: String =
        sqlx::query_scalar("SELECT notification_locale FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_one(exec)
            .await?;
    Ok(locale)
}

/// The email addresses of the customer's users, the first user's first: where its email
/// notifications go.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn customer_emails<'e, E>(exec: E, customer_id: i64) -> Result<Vec<String>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM users WHERE customer_id = $1 AND role = 'customer' ORDER BY id",
    )
    .bind(customer_id)
    .fetch_all(exec)
    .await?;
    Ok(emails)
}

/// Whether anybody has an account yet, staff or customer: the demo seeds only an empty
/// database.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn has_users<'e, E>(exec: E) -> Result<bool, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(exec)
        .await?;
    Ok(users > 0)
}

/// The id of the user who signs in with this email address, if there is one. The address is
/// matched as given.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn user_id_by_email<'e, E>(exec: E, email: &str) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(exec)
        .await?;
    Ok(id)
}

/// The customers whose current tier is one of `tiers`, by id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn customer_ids_in_tiers<'e, E>(
    exec: E,
    tiers: &[crate::domain::Tier],
) -> Result<Vec<i64>, AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    // `IN ()` is not SQL: no tier, no customer.
    if tiers.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=tiers.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT id FROM customers WHERE tier IN ({}) ORDER BY id",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_scalar::<sqlx::Any, i64>(&sql);
    for tier in tiers {
        query = query.bind(tier.as_str());
    }
    Ok(query.fetch_all(exec).await?)
}
