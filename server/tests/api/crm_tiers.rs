//! Customer tiers over HTTP: computed from a customer's history, they change its prices and
//! complaint SLAs; a valuable customer whose spend falls lands in the retention queue once; two
//! recomputations at once give one result.

use serde_json::json;

use crate::after_delivery::{agent, get, ok_json, post};
use crate::crm::{customer_id, heavy, history, manager, DAY_MS};
use crate::helpers::*;
use crate::shipments::customer;

/// Moves every shipment of a customer `days` further into the past.
async fn age(app: &TestApp, email: &str, days: i64) {
    sqlx::query("UPDATE shipments SET created_at = created_at - $1 WHERE customer_id = $2")
        .bind(days * DAY_MS)
        .bind(customer_id(app, email).await)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

async fn tier_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT tier FROM customers WHERE id = $1")
        .bind(customer_id(app, email).await)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vip_history_makes_a_vip_whose_complaints_and_quotes_follow_the_tier() {
    let app = spawn_app().await;
    let boss = manager(&app).await;
    let email = "big@example.com";
    let shipper = customer(&app, email).await;
    // A shipment every two days for 110 days: F 55, M over 800,000, last one yesterday.
    history(&app, &shipper, email, 55, 109).await;
    let quote_before = ok_json(
        post(&app, "/api/v1/quotes", &shipper, &heavy("q")).await,
        200,
    )
    .await;
    assert!(
        !quote_before.to_string().contains("tier_discount"),
        "a new customer has no tier discount: {quote_before}"
    );

    let summary = ok_json(
        post(&app, "/api/v1/segments/recompute", &boss, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(summary["changed"], 1, "{summary}");
    assert_eq!(tier_of(&app, email).await, "vip");

    // The complaint gets the VIP SLA: high priority, first answer in 4 hours, resolution in 24.
    let c = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"category": "delay", "description": "Where is it?"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(c["priority"], "high", "{c}");
    let opened = c["messages"][0]["at"].as_i64().unwrap();
    assert_eq!(
        c["first_response_due"].as_i64().unwrap() - opened,
        4 * 3_600_000
    );
    assert_eq!(
        c["resolution_due"].as_i64().unwrap() - opened,
        24 * 3_600_000
    );
    assert!(c["tier"].is_null(), "customers never see their tier: {c}");

    // The quote carries the VIP discount as its own line: 15% of transport.
    let quote = ok_json(
        post(&app, "/api/v1/quotes", &shipper, &heavy("q")).await,
        200,
    )
    .await;
    let option = &quote["options"][0];
    let lines = option["lines"].as_array().unwrap();
    let discount = lines
        .iter()
        .find(|l| l["kind"] == "tier_discount")
        .unwrap_or_else(|| panic!("no tier discount line: {option}"));
    assert_eq!(discount["percent"], 15);
    let transport: i64 = lines
        .iter()
        .filter(|l| {
            l["kind"] == "carriage" || l["kind"] == "oversize" || l["kind"] == "remote_area"
        })
        .map(|l| l["amount"].as_i64().unwrap())
        .sum();
    assert_eq!(
        discount["amount"].as_i64().unwrap(),
        -(transport * 15 / 100)
    );

    // Staff see why: the rule and the scores, and the change in the history.
    let segments = ok_json(get(&app, "/api/v1/segments", &boss).await, 200).await;
    let vip = segments["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tier"] == "vip")
        .unwrap();
    assert_eq!(vip["customers"], 1);
    assert_eq!(segments["rules"]["tiers"][0]["tier"], "vip");
    let change: (String, String, String) =
        sqlx::query_as("SELECT from_tier, to_tier, rule FROM tier_changes WHERE customer_id = $1")
            .bind(customer_id(&app, email).await)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(change, ("new".into(), "vip".into(), "scores".into()));

    // Recomputing again changes nothing.
    let again = ok_json(
        post(&app, "/api/v1/segments/recompute", &boss, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(again["changed"], 0, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valuable_customer_whose_spend_falls_lands_in_the_retention_queue_once() {
    let app = spawn_app().await;
    let boss = manager(&app).await;
    let care = agent(&app).await;
    let email = "fading@example.com";
    let shipper = customer(&app, email).await;
    history(&app, &shipper, email, 55, 109).await;
    post(&app, "/api/v1/segments/recompute", &boss, &json!({})).await;
    assert_eq!(tier_of(&app, email).await, "vip");

    // Three months of silence: nothing in the last 90 days, all of it in the 90 before.
    age(&app, email, 95).await;
    let s = ok_json(
        post(&app, "/api/v1/segments/recompute", &boss, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(
        (s["changed"].as_i64(), s["retention_opened"].as_i64()),
        (Some(1), Some(1)),
        "{s}"
    );
    assert_eq!(tier_of(&app, email).await, "at_risk");
    let s = ok_json(
        post(&app, "/api/v1/segments/recompute", &boss, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(s["retention_opened"], 0, "{s}");

    let queue = ok_json(get(&app, "/api/v1/retention", &care).await, 200).await;
    let items = queue.as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    let item = &items[0];
    assert_eq!(
        (item["from_tier"].as_str(), item["tier"].as_str()),
        (Some("vip"), Some("at_risk"))
    );
    assert_eq!(item["rule"], "at_risk_spend_drop");
    assert_eq!(item["scores"]["spend_trend_pct"], -100);

    let path = format!("/api/v1/retention/{}/outreach", item["id"]);
    error_body(
        post(
            &app,
            &path,
            &care,
            &json!({"outcome": "retained", "note": " "}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    error_body(
        post(
            &app,
            &path,
            &care,
            &json!({"outcome": "maybe", "note": "x"}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;
    let closed = ok_json(
        post(
            &app,
            &path,
            &care,
            &json!({"outcome": "retained", "note": "Called; new rate agreed."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (closed["status"].as_str(), closed["outcome"].as_str()),
        (Some("closed"), Some("retained"))
    );
    error_body(
        post(
            &app,
            &path,
            &care,
            &json!({"outcome": "lost", "note": "again"}),
        )
        .await,
        409,
        "changed_meanwhile",
    )
    .await;
    let queue = ok_json(get(&app, "/api/v1/retention", &care).await, 200).await;
    assert_eq!(queue, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_recomputations_at_once_give_one_result() {
    let app = spawn_app().await;
    let boss = manager(&app).await;
    let email = "racing@example.com";
    let shipper = customer(&app, email).await;
    history(&app, &shipper, email, 55, 109).await;
    let empty = json!({});
    let (a, b) = tokio::join!(
        post(&app, "/api/v1/segments/recompute", &boss, &empty),
        post(&app, "/api/v1/segments/recompute", &boss, &empty)
    );
    let (a, b) = (ok_json(a, 200).await, ok_json(b, 200).await);
    assert_eq!(
        a["changed"].as_i64().unwrap() + b["changed"].as_i64().unwrap(),
        1,
        "{a} {b}"
    );
    let changes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tier_changes")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(changes, 1);
    assert_eq!(tier_of(&app, email).await, "vip");
}
