//! The writes other modules make to accounts' tables (`customers`, `users`): accounts owns
//! those rows, so every change to them is a statement here, in the caller's transaction.

use crate::domain::Tier;
use crate::error::AppError;
use crate::i18n::Locale;
use crate::platform::Db;

/// The customer's industry, as the subquery an INSERT of a shipment or a complaint copies it
/// with (`Insert::value_in`; `{}` is the customer id's placeholder), for the KPIs' industry
/// filter. A subquery rather than a read first: on SQLite a transaction whose first statement
/// reads cannot upgrade to a write beside another writer.
pub const INDUSTRY_OF_CUSTOMER: &str = "(SELECT industry FROM customers WHERE id = {})";

/// Sets the customer's tier, as segmentation assessed it: the tier is read by every capability
/// through accounts (`service::tier`), so accounts writes it too.
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
