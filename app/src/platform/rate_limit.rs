//! Fixed-window rate limiting and daily quotas kept in the database, so every server instance
//! sharing one PostgreSQL counts the same attempts; and the live streams this process holds
//! open, per client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
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

/// A day: the window of the daily quotas. Windows start at multiples of their length since the
/// Unix epoch, so a day starts at midnight UTC.
pub const DAY: Duration = Duration::from_secs(24 * 3600);

/// An amount `take` counted against a quota, to give back if what it paid for did not happen.
#[derive(Debug)]
#[must_use = "give it back when what it paid for fails"]
pub struct Taken {
    bucket: String,
    amount: i64,
    window_start: i64,
}

impl Taken {
    /// Gives the amount back to the window it was taken from (after midnight nothing is given:
    /// the new day's count never held it).
    pub async fn give_back(self, db: &Db) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE rate_limits SET hits = hits - $3 \
             WHERE bucket = $1 AND window_start = $2 AND hits >= $3",
        )
        .bind(&self.bucket)
        .bind(self.window_start)
        .bind(self.amount)
        .execute(&db.pool)
        .await?;
        Ok(())
    }
}

/// A quota `take` refused: the window holds `used` already, and starts afresh in
/// `retry_after_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub used: u64,
    pub retry_after_secs: u64,
}

impl Exceeded {
    /// The refusal as a 429 with `Retry-After`, for quotas that belong to no field.
    pub fn rate_limited(self) -> AppError {
        AppError::RateLimited {
            retry_after_secs: self.retry_after_secs,
        }
    }
}

/// Takes `amount` of `bucket`'s quota of `limit` per window (uploads or bytes a day, say), or
/// refuses, taking nothing, when the window's total would pass `limit`. One statement: the
/// check and the addition cannot interleave, so parallel requests cannot all pass a check
/// made before any of them counted.
pub async fn take(
    db: &Db,
    bucket: &str,
    amount: u64,
    limit: u64,
    window: Duration,
) -> Result<Result<Taken, Exceeded>, AppError> {
    let now = now_ms();
    let (window_ms, window_start) = current_window(window, now);
    let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let (amount, limit) = (as_i64(amount), as_i64(limit));
    let total: Option<i64> = if amount > limit {
        None
    } else {
        sqlx::query_scalar(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, $3) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start = excluded.window_start \
                           THEN rate_limits.hits + excluded.hits ELSE excluded.hits END, \
               window_start = excluded.window_start \
             WHERE rate_limits.window_start <> excluded.window_start \
                OR rate_limits.hits + excluded.hits <= $4 \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .bind(amount)
        .bind(limit)
        .fetch_optional(&db.pool)
        .await?
    };
    if total.is_some() {
        return Ok(Ok(Taken {
            bucket: bucket.to_string(),
            amount,
            window_start,
        }));
    }
    tracing::warn!(target: "security", bucket, limit, "quota reached");
    let used: Option<i64> =
        sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2")
            .bind(bucket)
            .bind(window_start)
            .fetch_optional(&db.pool)
            .await?;
    let retry_after_ms = window_start + window_ms - now;
    Ok(Err(Exceeded {
        used: used.unwrap_or(0).max(0) as u64,
        retry_after_secs: (retry_after_ms.max(0) as u64).div_ceil(1000).max(1),
    }))
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

/// How long a client refused another live stream is asked to wait.
const STREAM_RETRY_SECS: u64 = 30;

/// The live streams this process holds open, per client address. Kept in memory on purpose: a
/// stream is a connection to this instance and ends with it (a restart frees every place).
#[derive(Debug, Clone, Default)]
pub struct OpenStreams(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One open stream of a client. Moved into the stream, it is dropped when the stream ends or
/// its client leaves, which frees the place.
#[derive(Debug)]
pub struct StreamSlot {
    streams: OpenStreams,
    client: IpAddr,
}

impl OpenStreams {
    /// A place for one more stream of `client`, refused (429) while it holds `limit` open.
    pub fn open(&self, client: IpAddr, limit: u32) -> Result<StreamSlot, AppError> {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let held = open.get(&client).copied().unwrap_or(0);
        if held >= limit as usize {
            drop(open);
            tracing::warn!(target: "security", %client, limit, "open stream limit reached");
            return Err(AppError::RateLimited {
                retry_after_secs: STREAM_RETRY_SECS,
            });
        }
        open.insert(client, held + 1);
        Ok(StreamSlot {
            streams: self.clone(),
            client,
        })
    }

    /// The streams `client` holds open now.
    pub fn held(&self, client: IpAddr) -> usize {
        let open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&client).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self
            .streams
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(held) = open.get_mut(&self.client) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_utc() {
        // 2024-03-01T13:45:00Z, and that day's midnight.
        let (len, start) = current_window(DAY, 1_709_300_700_000);
        assert_eq!(len, 86_400_000);
        assert_eq!(start, 1_709_251_200_000);
    }

    #[test]
    fn a_stream_place_is_freed_when_its_slot_is_dropped() {
        let streams = OpenStreams::default();
        let (a, b) = (IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2]));
        let first = streams.open(a, 2).unwrap();
        let second = streams.open(a, 2).unwrap();
        assert!(matches!(
            streams.open(a, 2),
            Err(AppError::RateLimited { .. })
        ));
        // Another address has places of its own.
        let other = streams.open(b, 2).unwrap();
        drop(first);
        assert_eq!(streams.held(a), 1);
        let third = streams.open(a, 2).unwrap();
        drop((second, third, other));
        assert_eq!(streams.held(a), 0);
        assert_eq!(streams.held(b), 0);
        assert!(streams.0.lock().unwrap().is_empty());
    }
}
