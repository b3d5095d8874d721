//! The helpers the after-delivery tests share (`returns`, `ratings`, `complaints` and others
//! use them), and the check that nobody reaches another customer's returns, ratings or
//! complaints.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

const AGENT: &str = "agent@carrier.example";
pub const DAY_MS: i64 = 86_400_000;
/// The smallest PNG header the type check accepts; what it holds does not matter here.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";

pub async fn agent(app: &TestApp) -> String {
    app.create_staff(AGENT, app::accounts::Role::Agent).await;
    app.bearer_for(AGENT, PASSWORD).await
}

pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = client().request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap()
}

pub async fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    send(app, reqwest::Method::POST, path, token, Some(body)).await
}

pub async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    send(app, reqwest::Method::GET, path, token, None).await
}

pub async fn ok_json(res: reqwest::Response, status: u16) -> Value {
    let code = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

/// Books the standard two-parcel shipment (lamp 500.00 CNY declared, books) to Beijing.
pub async fn booked(app: &TestApp, token: &str, key: &str) -> String {
    let res = book(app, token, key, &booking(key)).await;
    ok_json(res, 201).await["tracking_number"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Scans a parcel through to delivered, the delivery `days_ago` days back.
pub async fn deliver(app: &TestApp, carrier: &str, tn: &str, days_ago: i64) {
    let at = |minutes: i64| {
        (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days_ago)
            + jiff::SignedDuration::from_mins(minutes))
        .to_string()
    };
    let events: Vec<Value> = ["picked_up", "in_transit", "out_for_delivery", "delivered"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({"event_id": format!("{tn}-{s}"), "tracking_number": tn, "status": s,
                   "time": at(i as i64 - 10), "place": "Beijing", "lat": 39.9, "lng": 116.4})
        })
        .collect();
    let res = client()
        .post(app.url("/api/v1/carrier/events"))
        .bearer_auth(carrier)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    let out = ok_json(res, 200).await;
    for r in out["results"].as_array().unwrap() {
        assert_eq!(r["outcome"], "recorded", "{out}");
    }
}

pub async fn scan(app: &TestApp, carrier: &str, tn: &str, status: &str) {
    let res = client()
        .post(app.url("/api/v1/carrier/events"))
        .bearer_auth(carrier)
        .json(
            &json!({"events": [{"event_id": format!("{tn}-{status}"), "tracking_number": tn,
            "status": status, "time": jiff::Timestamp::now().to_string(), "place": "Shanghai"}]}),
        )
        .send()
        .await
        .unwrap();
    let out = ok_json(res, 200).await;
    assert_eq!(out["results"][0]["outcome"], "recorded", "{out}");
}

/// A Beijing service area with windows and a drop-off point, made by a manager.
pub async fn beijing_area(app: &TestApp) {
    app.create_staff("manager@carrier.example", app::accounts::Role::Manager)
        .await;
    let manager = app.bearer_for("manager@carrier.example", PASSWORD).await;
    let template = json!({
        "area": "beijing", "name": "Beijing", "country": "CN", "time_zone": "Asia/Shanghai",
        "cities": ["Beijing"], "postcode_prefixes": ["10"], "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "windows": [{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        "capacity": 5, "cutoff_days_before": 1, "cutoff_time": "18:00", "days_ahead": 14,
        "holidays": [], "pickup_points": ["Haidian locker"]
    });
    ok_json(
        post(app, "/api/v1/slot-templates", &manager, &template).await,
        201,
    )
    .await;
}

/// The first open window at the recipient's address, where a return is collected.
pub async fn recipient_window(app: &TestApp, token: &str) -> i64 {
    let res = get(
        app,
        "/api/v1/slots?country=CN&city=Beijing&postcode=100080",
        token,
    )
    .await;
    let list = ok_json(res, 200).await;
    list["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bookable"] == true)
        .expect("a bookable window")["id"]
        .as_i64()
        .unwrap()
}

pub async fn upload(
    app: &TestApp,
    path: &str,
    token: &str,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string());
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("photo", part))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_reaches_another_customers_returns_ratings_or_complaints() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let owner = customer(&app, "owner@example.com").await;
    let other = customer(&app, "other@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &owner, "x1").await;
    deliver(&app, &carrier, &tn, 1).await;
    let r = ok_json(
        post(&app, &format!("/api/v1/shipments/{tn}/returns"), &owner,
            &json!({"items": [0], "reason": "damaged", "method": "drop_off", "drop_off_point": "Haidian locker"})).await,
        201,
    )
    .await;
    let id = r["id"].as_i64().unwrap();
    let photo = ok_json(
        upload(
            &app,
            &format!("/api/v1/returns/{id}/photos"),
            &owner,
            "a.png",
            PNG,
        )
        .await,
        200,
    )
    .await["photos"][0]
        .as_i64()
        .unwrap();
    let c = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &owner,
            &json!({"tracking_number": tn, "category": "damage", "description": "Broken."}),
        )
        .await,
        201,
    )
    .await;
    let cid = c["id"].as_i64().unwrap();

    // Every route, as the other customer: not found (or forbidden where only agents may act).
    let return_json = json!({"items": [1], "reason": "damaged", "method": "drop_off", "drop_off_point": "Haidian locker"});
    error_body(
        post(
            &app,
            &format!("/api/v1/shipments/{tn}/returns"),
            &other,
            &return_json,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    for path in [
        format!("/api/v1/returns/{id}"),
        format!("/api/v1/returns/{id}/label.pdf"),
        format!("/api/v1/returns/{id}/photos/{photo}"),
        format!("/api/v1/shipments/{tn}/rating"),
        format!("/api/v1/complaints/{cid}"),
    ] {
        error_body(get(&app, &path, &other).await, 404, "not_found").await;
    }
    error_body(
        upload(
            &app,
            &format!("/api/v1/returns/{id}/photos"),
            &other,
            "b.png",
            PNG,
        )
        .await,
        404,
        "not_found",
    )
    .await;
    error_body(
        send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/shipments/{tn}/rating"),
            &other,
            Some(&json!({"csat": 1})),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    for (action, body) in [
        ("messages", json!({"body": "hi"})),
        ("confirm", json!({})),
        ("reopen", json!({"reason": "x"})),
    ] {
        error_body(
            post(
                &app,
                &format!("/api/v1/complaints/{cid}/{action}"),
                &other,
                &body,
            )
            .await,
            404,
            "not_found",
        )
        .await;
    }
    for (path, body) in [
        (
            format!("/api/v1/returns/{id}/decision"),
            json!({"approve": true}),
        ),
        (
            format!("/api/v1/returns/{id}/refund"),
            json!({"refund": true}),
        ),
        (format!("/api/v1/complaints/{cid}/assign"), json!({})),
        (
            format!("/api/v1/complaints/{cid}/resolve"),
            json!({"note": "x"}),
        ),
    ] {
        error_body(post(&app, &path, &other, &body).await, 403, "forbidden").await;
    }
    error_body(
        post(
            &app,
            "/api/v1/complaints",
            &other,
            &json!({"tracking_number": tn, "category": "damage", "description": "Not mine."}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    // Lists hold only one's own; without a session, nothing.
    assert_eq!(
        ok_json(get(&app, "/api/v1/returns", &other).await, 200).await,
        json!([])
    );
    assert_eq!(
        ok_json(get(&app, "/api/v1/complaints", &other).await, 200).await,
        json!([])
    );
    error_body(
        get_as(&app, &format!("/api/v1/returns/{id}"), None).await,
        401,
        "unauthenticated",
    )
    .await;
    error_body(
        get_as(&app, &format!("/api/v1/returns/{id}/photos/{photo}"), None).await,
        401,
        "unauthenticated",
    )
    .await;
}
