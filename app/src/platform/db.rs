//! One pool for either backend. Queries are written once in the SQL both understand (`$1`
//! placeholders, BIGINT columns, times as Unix milliseconds) and run through sqlx's `Any` driver.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: DbKind,
    /// Announcements (JSON) for live pages. On PostgreSQL they travel through NOTIFY, so every
    /// instance sharing the database hears every instance's; on SQLite (one instance) they stay
    /// in the process.
    pub announcements: tokio::sync::broadcast::Sender<String>,
}

/// The PostgreSQL channel announcements travel on.
const CHANNEL: &str = "parcelport_live";

/// Announced to this instance's live pages when it hears the database's notifications again
/// after losing them (PostgreSQL restarted): each page reads back what it may have missed.
/// Not JSON, so nothing takes it for an event.
pub const LIVE_RESUMED: &str = "resumed";

/// How long a request waits for a PostgreSQL connection. A pool that cannot connect (the
/// database stopped or restarting) answers 503 after this, rather than holding every request
/// until the time limit; the sixteen connections are never all busy that long otherwise.
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one attempt of the notification relay waits for its connection.
const LISTEN_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The relay's pauses between attempts after losing its connection, doubling up to the most.
const LISTEN_FIRST_PAUSE: Duration = Duration::from_millis(250);
const LISTEN_MOST_PAUSE: Duration = Duration::from_secs(10);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Connects (creating an SQLite file and its folder if needed) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        install_default_drivers();
        let kind = if url.starts_with("postgres") {
            DbKind::Postgres
        } else {
            DbKind::Sqlite
        };
        let pool = match kind {
            DbKind::Sqlite => {
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
                let file = opts.get_filename().to_path_buf();
                if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
                }
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; the busy timeout makes
                            // concurrent writers queue instead of failing at once.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            DbKind::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
                    // Each idle connection is pinged before it is handed out (sqlx's default,
                    // relied on): after a restart of PostgreSQL the pool drops the dead ones and
                    // connects afresh, so no request gets a connection the restart cut.
                    .test_before_acquire(true)
                    .connect(url)
                    .await?
            }
        };
        let (announcements, _) = tokio::sync::broadcast::channel(1024);
        if kind == DbKind::Postgres {
            tokio::spawn(relay_notifications(url.to_string(), announcements.clone()));
        }
        let db = Db {
            pool,
            kind,
            announcements,
        };
        db.migrate().await?;
        Ok(db)
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.kind {
            DbKind::Sqlite => &SQLITE_MIGRATIONS,
            DbKind::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        self.migrator()
            .run(&self.pool)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    /// Whether every migration this build carries is recorded as applied (and none failed), for
    /// the readiness check: the database may have been restored or replaced since the start.
    pub async fn migrations_applied(&self) -> Result<bool, sqlx::Error> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?;
        Ok(self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .all(|m| applied.contains(&m.version)))
    }

    /// Tells every live page (on every instance) about a change. Sent after the change is
    /// committed; a failure to announce is logged, never undoes the change.
    pub async fn announce(&self, payload: String) {
        match self.kind {
            DbKind::Sqlite => {
                // No receiver (nobody watching) is not an error.
                let _ = self.announcements.send(payload);
            }
            DbKind::Postgres => {
                if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(payload)
                    .execute(&self.pool)
                    .await
                {
                    tracing::warn!("announcement not sent: {e}");
                }
            }
        }
    }

    /// A real round trip, for the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.pool)
            .await?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// True when the error is a unique-constraint violation (both backends).
    pub fn is_unique_violation(err: &sqlx::Error) -> bool {
        matches!(err, sqlx::Error::Database(e) if e.is_unique_violation())
    }
}

/// A write to row `id` of `table` that changes nothing (`column = column`), so the caller's
/// transaction holds it from here on: on SQLite the write lock up front, on PostgreSQL the
/// row's lock. Whether the row exists. The owner of the table calls it; `table` and `column`
/// are the owner's constants, never input.
pub async fn lock_row<'e, E>(
    exec: E,
    table: &'static str,
    column: &'static str,
    id: i64,
) -> Result<bool, crate::error::AppError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let locked = sqlx::query(&format!(
        "UPDATE {table} SET {column} = {column} WHERE id = $1"
    ))
    .bind(id)
    .execute(exec)
    .await?
    .rows_affected();
    Ok(locked > 0)
}

/// `%text%` for `LIKE $n ESCAPE '\'`: lower-cased, with the text's own wildcards and escape
/// character escaped, so a search for `50%_off` finds exactly that.
pub fn like_contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Forwards the database's notifications to this instance's live pages. A lost connection
/// (PostgreSQL stopped or restarted, the session ended) is logged and made again, with pauses
/// doubling from 250 ms to 10 s while the database stays out of reach; once it listens again it
/// announces [`LIVE_RESUMED`], as anything announced meanwhile went unheard.
async fn relay_notifications(url: String, to: tokio::sync::broadcast::Sender<String>) {
    let mut pause = LISTEN_FIRST_PAUSE;
    // Whether live pages may have missed announcements: the connection was lost, or never made.
    let mut interrupted = false;
    let mut attempts = 0u32;
    loop {
        match listen(&url).await {
            Ok(mut listener) => {
                if interrupted {
                    tracing::info!(attempts, "live notifications resumed");
                    // No receiver (nobody watching) is not an error.
                    let _ = to.send(LIVE_RESUMED.to_string());
                }
                pause = LISTEN_FIRST_PAUSE;
                attempts = 0;
                let lost = loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => {
                            let _ = to.send(n.payload().to_string());
                        }
                        // Without eager reconnection, a lost connection is reported at once.
                        Ok(None) => break "the connection was lost".to_string(),
                        Err(e) => break e.to_string(),
                    }
                };
                tracing::warn!("live notifications interrupted ({lost}); reconnecting");
            }
            Err(e) if attempts == 0 => {
                tracing::warn!("live notifications unavailable ({e}); retrying");
            }
            // Once per attempt would fill the log during a long outage.
            Err(e) => tracing::debug!(attempts, "live notifications still unavailable: {e}"),
        }
        interrupted = true;
        attempts += 1;
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(LISTEN_MOST_PAUSE);
    }
}

/// A connection listening on [`CHANNEL`], of its own (a listener holds its connection).
async fn listen(url: &str) -> Result<sqlx::postgres::PgListener, sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(LISTEN_CONNECT_TIMEOUT)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy(url)?;
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
    // A lost connection ends `try_recv` at once with `None`, instead of reconnecting inside it
    // where the loss could not be logged nor told to live pages.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::{like_contains, DbKind};

    #[test]
    fn backends_keep_their_names() {
        assert_eq!(DbKind::Sqlite.as_str(), "sqlite");
        assert_eq!(DbKind::Postgres.as_str(), "postgres");
    }

    #[test]
    fn like_patterns_escape_the_texts_own_wildcards() {
        assert_eq!(like_contains("50%_Off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_contains("莲花"), "%莲花%");
    }
}
