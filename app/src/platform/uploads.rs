//! Uploaded images (return photos, complaint attachments): the type is read from the bytes, the
//! file is kept in the upload folder under a random name, and the database holds only the
//! record. Who may read one is decided by the capability it belongs to. Each customer may
//! upload `UPLOADS_PER_DAY` files and `UPLOAD_MB_PER_DAY` megabytes a day (UTC).

use std::path::Path;

use crate::domain::upload::{check_image, ImageKind};
use crate::error::{AppError, FieldError, OrInternal};
use crate::platform::insert::Insert;
use crate::platform::rate_limit::{self, Taken};
use crate::platform::{now_ms, Db, Settings};

/// Photos or attachments one return or complaint may hold.
pub const MAX_PER_OWNER: usize = 5;

/// A megabyte, as the refusal of the daily bytes counts them.
const MB: u64 = 1024 * 1024;

/// What an upload belongs to, as the module that owns it names it (`returns`, `complaints`):
/// the kind stored beside the upload, and the owner's row, its table and id. That row is locked
/// while the upload is counted; the platform names no capability's table itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub kind: &'static str,
    pub table: &'static str,
    pub id: i64,
}

impl Owner {
    fn parts(self) -> (&'static str, i64) {
        (self.kind, self.id)
    }
}

/// Checks and stores one image for `owner`, refusing the sixth and any past the day's quotas of
/// `customer_id`, the owner's customer. The quotas are taken first, in one statement each, and
/// given back if the upload is refused or fails after all, so a burst of parallel uploads stays
/// within them and a failed one costs nothing. The file is written before its record and
/// removed again if the record cannot be made, so no record points at nothing.
pub async fn save(
    db: &Db,
    settings: &Settings,
    owner: Owner,
    customer_id: i64,
    field: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let kind = check_image(bytes).map_err(|e| AppError::field(field, e))?;
    let taken = take_daily(db, settings, customer_id, field, bytes.len()).await?;
    let stored = store(db, &settings.upload_dir, owner, field, kind, bytes).await;
    if stored.is_err() {
        for t in taken {
            let _ = t.give_back(db).await;
        }
    }
    stored
}

/// Counts one upload of `size` bytes against the customer's day, refused under `field` past
/// either quota (the count taken is given back when the bytes are refused).
async fn take_daily(
    db: &Db,
    settings: &Settings,
    customer: i64,
    field: &str,
    size: usize,
) -> Result<[Taken; 2], AppError> {
    let count = match rate_limit::take(
        db,
        &format!("uploads:customer:{customer}"),
        1,
        u64::from(settings.uploads_per_day),
        rate_limit::DAY,
    )
    .await?
    {
        Ok(taken) => taken,
        Err(_) => return Err(AppError::field(field, daily_limit(settings))),
    };
    let bytes = rate_limit::take(
        db,
        &format!("upload_bytes:customer:{customer}"),
        size as u64,
        settings.upload_bytes_per_day,
        rate_limit::DAY,
    )
    .await;
    match bytes {
        Ok(Ok(bytes)) => Ok([count, bytes]),
        Ok(Err(_)) => {
            let _ = count.give_back(db).await;
            Err(AppError::field(field, daily_limit(settings)))
        }
        Err(e) => {
            let _ = count.give_back(db).await;
            Err(e)
        }
    }
}

/// The refusal of an upload past either daily quota, naming both.
fn daily_limit(settings: &Settings) -> FieldError {
    FieldError::DailyUploadLimit {
        files: settings.uploads_per_day,
        mb: settings.upload_bytes_per_day.div_ceil(MB),
    }
}

/// Writes the file and its record.
async fn store(
    db: &Db,
    dir: &Path,
    owner: Owner,
    field: &str,
    kind: ImageKind,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let (owner_kind, owner_id) = owner.parts();
    let name = format!("{owner_kind}-{owner_id}-{}", hex::encode(random_bytes()));
    tokio::fs::create_dir_all(dir)
        .await
        .or_internal("upload storage: create the directory")?;
    let path = dir.join(&name);
    tokio::fs::write(&path, bytes)
        .await
        .or_internal("upload storage: write the file")?;
    let recorded = record(db, owner, field, kind, bytes.len(), &name).await;
    if recorded.is_err() {
        let _ = tokio::fs::remove_file(&path).await;
    }
    recorded
}

/// The upload's record, refused past `MAX_PER_OWNER`. The transaction's first statement writes
/// the owner's row, which locks it (PostgreSQL) or takes the write lock (SQLite): parallel
/// uploads to one owner are counted one after the other, never both against the same count.
async fn record(
    db: &Db,
    owner: Owner,
    field: &str,
    kind: ImageKind,
    size: usize,
    stored_name: &str,
) -> Result<i64, AppError> {
    let (owner_kind, owner_id) = owner.parts();
    let mut tx = db.pool.begin().await?;
    let locked = super::db::lock_row(&mut *tx, owner.table, "updated_at", owner_id).await?;
    if !locked {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE owner_kind = $1 AND owner_id = $2")
            .bind(owner_kind)
            .bind(owner_id)
            .fetch_one(&mut *tx)
            .await?;
    if count as usize >= MAX_PER_OWNER {
        // Ended at once: the owner's row stays locked until then.
        tx.rollback().await?;
        return Err(AppError::field(
            field,
            FieldError::TooMany { max: MAX_PER_OWNER },
        ));
    }
    let (sql, arguments) = Insert::into("uploads")
        .value("owner_kind", owner_kind)
        .value("owner_id", owner_id)
        .value("content_type", kind.content_type())
        .value("size_bytes", size as i64)
        .value("stored_name", stored_name)
        .value("created_at", now_ms())
        .build("RETURNING id")?;
    let id: i64 = sqlx::query_scalar_with(&sql, arguments)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// A file as the pages send it (base64 in a server function's JSON), refused under `field`
/// when it cannot be read.
pub fn decode_base64(field: &str, data: &str) -> Result<Vec<u8>, AppError> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| AppError::field(field, FieldError::FileUnreadable))
}

/// The ids of an owner's uploads, oldest first.
pub async fn list(db: &Db, owner: Owner) -> Result<Vec<i64>, AppError> {
    let (owner_kind, owner_id) = owner.parts();
    Ok(sqlx::query_scalar(
        "SELECT id FROM uploads WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id",
    )
    .bind(owner_kind)
    .bind(owner_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Where an upload's bytes are kept, and their type.
#[derive(sqlx::FromRow)]
struct StoredRow {
    content_type: String,
    stored_name: String,
}

/// One upload of `owner` with its bytes; another owner's is "not found".
pub async fn read(
    db: &Db,
    dir: &Path,
    owner: Owner,
    id: i64,
) -> Result<(String, Vec<u8>), AppError> {
    let (owner_kind, owner_id) = owner.parts();
    let row: StoredRow = sqlx::query_as(
        "SELECT content_type, stored_name FROM uploads WHERE id = $1 AND owner_kind = $2 \
         AND owner_id = $3",
    )
    .bind(id)
    .bind(owner_kind)
    .bind(owner_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(dir.join(row.stored_name))
        .await
        .or_internal("upload storage: read the file")?;
    Ok((row.content_type, bytes))
}

fn random_bytes() -> [u8; 16] {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b
}
