//! Fixed-window rate limiting kept in the database, so every server instance sharing one
//! PostgreSQL counts the same attempts.

use std::time::Duration;

use crate::error::AppError;

use super::{now_ms, Db};

/// The window's length in milliseconds and the start of the window `now` falls in.
fn current_window(window: Duration, now: i64) -> (i64, i64) {
    let window_ms = window.as_millis().max(1) as i64;
    (window_ms, now - now % window_ms)
}

/// Counts one attempt against `bucket`; refuses once more than `limit` fall in the window.
pub async fn hit(db: &Db, bucket: &str, limit: u32, window: Duration) -> Result<(), AppError> {
    let now = now_ms();
    let (window_ms, window_start) = current_window(window, now);
    // One statement: the check and the increment cannot interleave between instances.
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start = excluded.window_start \
                       THEN rate_limits.hits + 1 ELSE 1 END, \
           window_start = excluded.window_start \
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_start)
    .fetch_one(&db.pool)
    .await?;
    if hits > i64::from(limit) {
        tracing::warn!(target: "security", bucket, limit, "rate limit reached");
        let retry_after_ms = window_start + window_ms - now;
        Err(AppError::RateLimited {
            retry_after_secs: (retry_after_ms.max(0) as u64).div_ceil(1000).max(1),
        })
    } else {
        Ok(())
    }
}

/// Gives back one attempt counted by `hit` in the current window (an attempt that turned out
/// right, where only wrong ones should count). Counting first and giving back after is what
/// keeps a burst of parallel attempts within the limit: a check before counting lets them
/// all through.
pub async fn give_back(db: &Db, bucket: &str, window: Duration) -> Result<(), AppError> {
    let (_, window_start) = current_window(window, now_ms());
    sqlx::query(
        "UPDATE rate_limits SET hits = hits - 1 \
         WHERE bucket = $1 AND window_start = $2 AND hits > 0",
    )
    .bind(bucket)
    .bind(window_start)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Drops counters whose window ended over a day ago, so the table stays as small as the set of
/// recent callers.
pub async fn prune(db: &Db) -> Result<(), AppError> {
    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now_ms() - 24 * 3600 * 1000)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Forgets the attempts of a bucket (after a successful sign-in for that email).
pub async fn clear(db: &Db, bucket: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .execute(&db.pool)
        .await?;
    Ok(())
}
