//! What the benchmarks share: a disposable database on either backend.

use app::platform::Db;

/// SQLite in a temporary file, or the PostgreSQL database `BENCH_DATABASE_URL` names (created
/// if missing, emptied first: it must be disposable).
pub async fn database() -> Db {
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            use sqlx::Connection;
            let (admin, name) = url.rsplit_once('/').expect("a database name");
            let mut conn = sqlx::PgConnection::connect(&format!("{admin}/postgres"))
                .await
                .expect("connect to PostgreSQL");
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await;
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create the bench database");
            Db::connect(&url).await.expect("connect")
        }
        _ => {
            let dir = std::env::temp_dir().join("parcelport-bench");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Db::connect(&format!("sqlite://{}", dir.join("bench.db").display()))
                .await
                .expect("connect")
        }
    }
}
