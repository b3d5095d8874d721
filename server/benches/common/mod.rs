//! What the benchmarks share: a disposable database on either backend, a customer, and CSV
//! rows to book through the import.
#![allow(dead_code)] // Each bench uses its own part.

use app::orders::import;
use app::platform::Db;

/// SQLite in a temporary file, or the PostgreSQL database `BENCH_DATABASE_URL` names (created
/// if missing, emptied first: it must be disposable).
pub async fn database() -> Db {
    Db::connect(&database_url().await).await.expect("connect")
}

/// Prepares the disposable database and returns its URL (for a server to start on).
pub async fn database_url() -> String {
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
            url
        }
        _ => {
            let dir = std::env::temp_dir().join("parcelport-bench");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite://{}", dir.join("bench.db").display())
        }
    }
}

/// A customer signed up through the accounts service.
pub async fn bench_customer(db: &Db) -> i64 {
    use app::accounts::service::{parse_sign_up, register_customer};
    let user = register_customer(
        db,
        parse_sign_up(&app::accounts::SignUpRequest {
            email: "bench@example.com".into(),
            password: "bench-password-123".into(),
            name: "Bench".into(),
            company: "Bench Co".into(),
            industry: "retail".into(),
        })
        .unwrap(),
    )
    .await
    .unwrap();
    user.customer.unwrap().id
}

/// `rows` shipments from Shanghai to five cities, every service, in the import's columns.
pub fn shipments_csv(rows: usize) -> String {
    let header: Vec<&str> = import::COLUMNS.iter().map(|(c, _)| *c).collect();
    let cities = [
        ("Beijing", "100080"),
        ("Guangzhou", "510620"),
        ("Chengdu", "610041"),
        ("Lhasa", "850000"),
        ("Harbin", "150001"),
    ];
    let services = ["standard", "express", "scheduled", "pickup_point"];
    let mut out = header.join(",");
    for i in 0..rows {
        let (city, postcode) = cities[i % cities.len()];
        out.push_str(&format!(
            "\nORDER-{i:05},{},Alice Chen,Acme,+86 21 5555 0000,1 Factory Road,,Shanghai,200120,CN,\
             Recipient {i},,13800138000,{} Example Road,,{city},{postcode},CN,{}.{},{},{},{},,Goods,no",
            services[i % services.len()],
            i % 500,
            1 + i % 20,
            i % 10,
            20 + i % 30,
            15 + i % 20,
            5 + i % 15,
        ));
    }
    out
}
