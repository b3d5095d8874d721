//! A customer's file for the care team over HTTP: account managers (named by managers, seen by
//! their customer, serving its complaints first), notes, the 360 and the customer search, and
//! the care team's overview.

use serde_json::{json, Value};

use crate::after_delivery::{agent, booked, get, ok_json, post, scan};
use crate::crm::{customer_id, history, manager};
use crate::helpers::*;
use crate::shipments::customer;

async fn send_json(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    crate::after_delivery::send(app, method, path, token, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vip_account_manager_gets_its_complaints_first_and_the_360_tells_the_whole_story() {
    let app = spawn_app().await;
    let boss = manager(&app).await;
    let care = agent(&app).await;
    let care_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE role = 'agent'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let email = "vip@example.com";
    let vip = customer(&app, email).await;
    let small = customer(&app, "small@example.com").await;
    history(&app, &vip, email, 55, 109).await;
    post(&app, "/api/v1/segments/recompute", &boss, &json!({})).await;
    let id = customer_id(&app, email).await;

    // Only managers name an account manager, and only staff can be one.
    let path = format!("/api/v1/customers/{id}/account-manager");
    let put = reqwest::Method::PUT;
    error_body(
        send_json(
            &app,
            put.clone(),
            &path,
            &care,
            &json!({"user_id": care_id}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let customer_user: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    error_body(
        send_json(
            &app,
            put.clone(),
            &path,
            &boss,
            &json!({"user_id": customer_user}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let res = send_json(
        &app,
        put.clone(),
        &path,
        &boss,
        &json!({"user_id": care_id}),
    )
    .await;
    assert_eq!(res.status(), 204);
    error_body(
        send_json(
            &app,
            put,
            "/api/v1/customers/999999/account-manager",
            &boss,
            &json!({"user_id": care_id}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // The customer sees who its account manager is (never its tier); another sees nobody.
    assert_eq!(app.sign_in(email, PASSWORD).await.status(), 200);
    let contact: Value = app
        .call::<app::crm::MyAccountManager>(&[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contact["email"], "agent@carrier.example", "{contact}");
    assert!(!contact.to_string().contains("vip"));
    assert_eq!(
        app.sign_in("small@example.com", PASSWORD).await.status(),
        200
    );
    let nobody: Value = app
        .call::<app::crm::MyAccountManager>(&[])
        .await
        .json()
        .await
        .unwrap();
    assert!(nobody.is_null(), "{nobody}");

    // The small customer's complaint is older and more overdue, yet the vip's comes first
    // in its account manager's queue, already assigned.
    let older = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &small,
            &json!({"category": "other", "description": "first"}),
        )
        .await,
        201,
    )
    .await;
    sqlx::query("UPDATE complaints SET first_response_due = $1 WHERE id = $2")
        .bind(app::platform::now_ms() - 3_600_000)
        .bind(older["id"].as_i64().unwrap())
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mine = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &vip,
            &json!({"category": "delay", "description": "late"}),
        )
        .await,
        201,
    )
    .await;
    let queue = ok_json(get(&app, "/api/v1/complaints", &care).await, 200).await;
    assert_eq!(queue[0]["id"], mine["id"], "{queue}");
    assert_eq!(queue[0]["assignee"], "Staff Member");
    assert_eq!(queue[1]["id"], older["id"]);
    // Another agent reads the queue by due time only.
    app.create_staff("other-agent@carrier.example", app::accounts::Role::Agent)
        .await;
    let other = app
        .bearer_for("other-agent@carrier.example", PASSWORD)
        .await;
    let queue = ok_json(get(&app, "/api/v1/complaints", &other).await, 200).await;
    assert_eq!(queue[0]["id"], older["id"], "{queue}");

    // Notes on the file; a blank one is refused by name.
    let notes = format!("/api/v1/customers/{id}/notes");
    let bad = error_body(
        post(&app, &notes, &care, &json!({"body": "  "})).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(bad["error"]["fields"]["body"].is_string(), "{bad}");
    ok_json(
        post(
            &app,
            &notes,
            &care,
            &json!({"body": "Prefers calls before 10:00."}),
        )
        .await,
        201,
    )
    .await;

    // A parcel of the customer's is delayed: an exception on its timeline.
    let courier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let late = booked(&app, &vip, "late").await;
    scan(&app, &courier, &late, "picked_up").await;
    scan(&app, &courier, &late, "delayed").await;

    // The 360: tier and why, the history, people, its KPIs beside everyone's, one timeline.
    let c = ok_json(
        get(&app, &format!("/api/v1/customers/{id}"), &care).await,
        200,
    )
    .await;
    assert_eq!(c["tier"], "vip");
    assert_eq!(c["assessment"]["rule"], "scores");
    assert_eq!(c["assessment"]["scores"]["frequency"], 4);
    assert_eq!(c["history"][0]["to"], "vip");
    assert_eq!(c["account_manager"]["id"], care_id);
    assert_eq!(c["users"][0]["email"], email);
    assert_eq!(c["notes"][0]["body"], "Prefers calls before 10:00.");
    let kinds: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "shipment",
        "exception",
        "complaint",
        "note",
        "tier_change",
        "notification",
    ] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    let exception = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "exception")
        .unwrap();
    assert_eq!(exception["title"], late.as_str());
    assert_eq!(exception["detail"], "delayed");
    let complaint_rate = c["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kpi"] == "complaint_rate")
        .unwrap();
    assert!(
        complaint_rate["base"]["denominator"].as_i64().unwrap()
            >= complaint_rate["customer"]["denominator"].as_i64().unwrap()
    );
    error_body(
        get(&app, "/api/v1/customers/999999", &care).await,
        404,
        "not_found",
    )
    .await;

    // Search by tracking number, by part of an email, and by tier.
    let tn: String =
        sqlx::query_scalar("SELECT tracking_number FROM shipments WHERE customer_id = $1 LIMIT 1")
            .bind(id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let found = ok_json(
        get(&app, &format!("/api/v1/customers?q={tn}"), &care).await,
        200,
    )
    .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], id);
    assert_eq!(found[0]["tier"], "vip");
    assert_eq!(found[0]["account_manager"], "Staff Member");
    let found = ok_json(get(&app, "/api/v1/customers?q=SMALL%40", &care).await, 200).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let found = ok_json(get(&app, "/api/v1/customers?tier=vip", &care).await, 200).await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let found = ok_json(
        get(&app, "/api/v1/customers?at_risk=true", &care).await,
        200,
    )
    .await;
    assert_eq!(found, json!([]));
    let bad = error_body(
        get(&app, "/api/v1/customers?tier=gold", &care).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(bad["error"]["fields"]["tier"].is_string(), "{bad}");
}

/// The care team's front page and a customer's own account manager, through the API: staff see
/// the overview, a customer sees who serves it once a manager named someone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_shows_staff_the_overview_and_a_customer_its_account_manager() {
    let app = spawn_app().await;
    let boss = manager(&app).await;
    let care = agent(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let other = customer(&app, "other@example.com").await;

    let overview = ok_json(get(&app, "/api/v1/care/overview", &care).await, 200).await;
    assert_eq!(overview["customers"], 2);
    assert_eq!(overview["new_customers_7d"], 2);
    assert_eq!(overview["staff_users"], 2);
    assert_eq!(overview["latest"].as_array().unwrap().len(), 2);
    error_body(
        get(&app, "/api/v1/care/overview", &shipper).await,
        403,
        "forbidden",
    )
    .await;
    error_body(
        get_as(&app, "/api/v1/care/overview", None).await,
        401,
        "unauthenticated",
    )
    .await;

    let path = "/api/v1/me/account-manager";
    let mine = ok_json(get(&app, path, &shipper).await, 200).await;
    assert_eq!(mine, json!({"account_manager": null}));
    let care_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE role = 'agent'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let id = customer_id(&app, "shipper@example.com").await;
    let res = send_json(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/customers/{id}/account-manager"),
        &boss,
        &json!({"user_id": care_id}),
    )
    .await;
    assert_eq!(res.status(), 204);
    let mine = ok_json(get(&app, path, &shipper).await, 200).await;
    assert_eq!(mine["account_manager"]["email"], "agent@carrier.example");
    assert_eq!(mine["account_manager"]["name"], "Staff Member");
    // Another customer's account has its own answer; staff have no account; nobody signed in
    // is refused.
    let theirs = ok_json(get(&app, path, &other).await, 200).await;
    assert!(theirs["account_manager"].is_null(), "{theirs}");
    error_body(get(&app, path, &care).await, 403, "forbidden").await;
    error_body(get_as(&app, path, None).await, 401, "unauthenticated").await;
}
