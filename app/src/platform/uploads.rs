//! Uploaded images (return photos, complaint attachments): the type is read from the bytes, the
//! file is kept in the upload folder under a random name, and the database holds only the
//! record. Who may read one is decided by the capability it belongs to.

use std::path::Path;

use sqlx::Row;

use crate::domain::upload::check_image;
use crate::error::{AppError, FieldError};
use crate::platform::{now_ms, Db};

/// Photos or attachments one return or complaint may hold.
pub const MAX_PER_OWNER: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Return(i64),
    Complaint(i64),
}

impl Owner {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Owner::Return(id) => ("return", id),
            Owner::Complaint(id) => ("complaint", id),
        }
    }
}

/// Checks and stores one image for `owner`, refusing the sixth. The file is written first and
/// removed again if the record cannot be made, so no record points at nothing.
pub async fn save(
    db: &Db,
    dir: &Path,
    owner: Owner,
    field: &str,
    bytes: &[u8],
) -> Result<i64, AppError> {
    let kind = check_image(bytes).map_err(|e| AppError::field(field, e))?;
    let (owner_kind, owner_id) = owner.parts();
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE owner_kind = $1 AND owner_id = $2")
            .bind(owner_kind)
            .bind(owner_id)
            .fetch_one(&db.pool)
            .await?;
    if count as usize >= MAX_PER_OWNER {
        return Err(AppError::field(
            field,
            FieldError::TooMany { max: MAX_PER_OWNER },
        ));
    }
    let name = format!("{owner_kind}-{owner_id}-{}", hex::encode(random_bytes()));
    tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    let path = dir.join(&name);
    tokio::fs::write(&path, bytes).await.map_err(io_error)?;
    let inserted = sqlx::query_scalar(
        "INSERT INTO uploads (owner_kind, owner_id, content_type, size_bytes, stored_name, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(owner_kind)
    .bind(owner_id)
    .bind(kind.content_type())
    .bind(bytes.len() as i64)
    .bind(&name)
    .bind(now_ms())
    .fetch_one(&db.pool)
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e.into())
        }
    }
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

/// One upload of `owner` with its bytes; another owner's is "not found".
pub async fn read(
    db: &Db,
    dir: &Path,
    owner: Owner,
    id: i64,
) -> Result<(String, Vec<u8>), AppError> {
    let (owner_kind, owner_id) = owner.parts();
    let row = sqlx::query(
        "SELECT content_type, stored_name FROM uploads WHERE id = $1 AND owner_kind = $2 \
         AND owner_id = $3",
    )
    .bind(id)
    .bind(owner_kind)
    .bind(owner_id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let (content_type, stored_name): (String, String) = (row.try_get(0)?, row.try_get(1)?);
    let bytes = tokio::fs::read(dir.join(stored_name))
        .await
        .map_err(io_error)?;
    Ok((content_type, bytes))
}

fn random_bytes() -> [u8; 16] {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b
}

fn io_error(e: std::io::Error) -> AppError {
    tracing::error!("upload storage: {e}");
    AppError::Internal
}
