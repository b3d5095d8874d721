use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_the_process_is_alive_and_readyz_reports_the_database() {
    let app = spawn_app().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    let res = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.db.kind.as_str());
    assert_eq!(body["database_ok"], true);
    assert_eq!(body["migrations"], "applied");
    assert!(body["database_roundtrip_ms"].as_f64().unwrap() >= 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let doc: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/api/v1/accounts", "post"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/customers", "get"),
        ("/api/v1/addresses", "get"),
        ("/api/v1/addresses", "post"),
        ("/api/v1/addresses/{id}", "put"),
        ("/api/v1/addresses/{id}", "delete"),
        ("/api/v1/quotes", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_routes_answer_json_404() {
    let app = spawn_app().await;
    let res = client()
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    error_body(res, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_data_is_made_once_through_the_sign_up_path() {
    let app = spawn_app_with(|s| s.demo_data = true).await;
    for (email, role) in [
        ("shipper@acme.example", "customer"),
        ("orders@lotus-shop.example", "customer"),
        ("li.lei@example.com", "customer"),
        ("agent@parcelport.example", "agent"),
        ("manager@parcelport.example", "manager"),
    ] {
        let token = app.bearer_for(email, server::demo::DEMO_PASSWORD).await;
        let me: Value = get_as(&app, "/api/v1/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["role"], role, "{email}");
    }
    // Demo shipments were booked through the booking service: numbered, priced, listed.
    let token = app
        .bearer_for("shipper@acme.example", server::demo::DEMO_PASSWORD)
        .await;
    let page: Value = get_as(&app, "/api/v1/shipments?limit=100", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let list = page["shipments"].as_array().unwrap();
    assert!(list.len() >= 10, "{}", list.len());
    for s in list {
        assert!(app::domain::TrackingNumber::parse(s["tracking_number"].as_str().unwrap()).is_ok());
        assert!(s["total"].as_i64().unwrap() > 0);
    }
    let addresses: Value = get_as(&app, "/api/v1/addresses", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(addresses.as_array().unwrap().len(), 3);
    let count_users = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    let users = count_users().await;
    server::demo::seed_if_empty(&app.db).await.unwrap();
    assert_eq!(count_users().await, users, "a second seeding makes nobody");
    // A year of history through the services gives every tier members.
    let tiers: Vec<String> = sqlx::query_scalar("SELECT DISTINCT tier FROM customers")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for tier in ["vip", "key", "regular", "at_risk", "new"] {
        assert!(tiers.iter().any(|t| t == tier), "no {tier} in {tiers:?}");
    }
}
