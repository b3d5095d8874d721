//! The helpers the CRM tests share (`crm_tiers`, `crm_kpis`, `crm_customers`), and the check
//! that staff routes are closed to customers and recomputing tiers to agents.

use serde_json::{json, Value};

use crate::after_delivery::{agent, get, ok_json, post};
use crate::helpers::*;
use crate::shipments::{book, booking, customer};

const MANAGER: &str = "manager@carrier.example";
pub const DAY_MS: i64 = 86_400_000;

pub async fn manager(app: &TestApp) -> String {
    app.create_staff(MANAGER, app::accounts::Role::Manager)
        .await;
    app.bearer_for(MANAGER, PASSWORD).await
}

pub async fn customer_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT customer_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A heavy, insured express parcel: about 204 CNY a shipment, so 55 of them in a year are
/// worth a vip's monetary score.
pub fn heavy(reference: &str) -> Value {
    let mut b = booking(reference);
    b["parcels"] = json!([{"weight_g": 30000, "length_cm": 60, "width_cm": 40, "height_cm": 40,
                           "declared_value": 1_000_000, "contents": "machine parts"}]);
    b
}

/// Books `n` heavy shipments, then sets the clock of each back: the i-th booked
/// `first_days_ago - 2 i` days ago (a shipment every two days).
pub async fn history(app: &TestApp, token: &str, email: &str, n: i64, first_days_ago: i64) {
    for i in 0..n {
        let key = format!("{email}-{i}");
        assert_eq!(book(app, token, &key, &heavy(&key)).await.status(), 201);
    }
    let cid = customer_id(app, email).await;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM shipments WHERE customer_id = $1 ORDER BY id")
            .bind(cid)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let now = app::platform::now_ms();
    for (i, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE shipments SET created_at = $1 WHERE id = $2")
            .bind(now - (first_days_ago - 2 * i as i64) * DAY_MS)
            .bind(id)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_403_on_every_staff_route_and_agents_cannot_recompute() {
    let app = spawn_app().await;
    let shipper = customer(&app, "nosy@example.com").await;
    let care = agent(&app).await;
    for path in [
        "/api/v1/customers",
        "/api/v1/segments",
        "/api/v1/retention",
        "/api/v1/kpis",
        "/api/v1/kpis/on_time/items",
    ] {
        error_body(get(&app, path, &shipper).await, 403, "forbidden").await;
        error_body(get_as(&app, path, None).await, 401, "unauthenticated").await;
    }
    for path in ["/api/v1/segments/recompute", "/api/v1/retention/1/outreach"] {
        let body = json!({"outcome": "retained", "note": "x"});
        error_body(post(&app, path, &shipper, &body).await, 403, "forbidden").await;
    }
    error_body(
        post(&app, "/api/v1/segments/recompute", &care, &json!({})).await,
        403,
        "forbidden",
    )
    .await;
    ok_json(get(&app, "/api/v1/segments", &care).await, 200).await;
}
