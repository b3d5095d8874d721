//! Returns, ratings and complaints, end to end over HTTP: the loops closed, every refusal in
//! the error shape, and nobody reaching another customer's.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

const AGENT: &str = "agent@carrier.example";
const DAY_MS: i64 = 86_400_000;
/// The smallest PNG header the type check accepts; what it holds does not matter here.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01";

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

async fn upload(
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

fn steps(r: &Value) -> Vec<String> {
    r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_goes_the_whole_loop_to_refunded() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "r1").await;
    let request = |slot: i64| {
        json!({"items": [0], "reason": "damaged", "note": "The lamp arrived cracked.",
               "method": "pickup", "pickup_slot_id": slot})
    };
    let slot = recipient_window(&app, &shipper).await;
    let path = format!("/api/v1/shipments/{tn}/returns");

    // Not delivered yet.
    error_body(
        post(&app, &path, &shipper, &request(slot)).await,
        409,
        "not_delivered",
    )
    .await;
    deliver(&app, &carrier, &tn, 1).await;
    // Nothing chosen, no window, an unknown reason.
    let body = error_body(
        post(
            &app,
            &path,
            &shipper,
            &json!({"items": [], "reason": "damaged", "method": "pickup"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["items"].is_string(), "{body}");
    assert!(
        body["error"]["fields"]["pickup_slot_id"].is_string(),
        "{body}"
    );
    error_body(
        post(
            &app,
            &path,
            &shipper,
            &json!({"items": [0], "reason": "bored", "method": "pickup"}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;

    let r = ok_json(post(&app, &path, &shipper, &request(slot)).await, 201).await;
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["status"], "requested");
    assert_eq!(r["refundable"], 50000, "the lamp's declared value");
    assert_eq!(r["pickup_slot"]["id"], slot);
    // The same item cannot go back twice.
    error_body(
        post(&app, &path, &shipper, &request(slot)).await,
        409,
        "already_returned",
    )
    .await;

    // Photos: an image is kept, a renamed executable is refused by its bytes.
    let photos = format!("/api/v1/returns/{id}/photos");
    let r = ok_json(upload(&app, &photos, &shipper, "crack.png", PNG).await, 200).await;
    let photo_id = r["photos"][0].as_i64().unwrap();
    let body = error_body(
        upload(
            &app,
            &photos,
            &shipper,
            "photo.jpg",
            b"MZ\x90\0\x03\0\0\0 not an image",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["photo"].is_string(), "{body}");
    let res = get(
        &app,
        &format!("/api/v1/returns/{id}/photos/{photo_id}"),
        &shipper,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // No label before approval; only agents decide; a rejection needs a reason.
    error_body(
        get(&app, &format!("/api/v1/returns/{id}/label.pdf"), &shipper).await,
        409,
        "transition_illegal",
    )
    .await;
    let decision = format!("/api/v1/returns/{id}/decision");
    error_body(
        post(&app, &decision, &shipper, &json!({"approve": true})).await,
        403,
        "forbidden",
    )
    .await;
    error_body(
        post(&app, &decision, &agent, &json!({"approve": false})).await,
        422,
        "validation_failed",
    )
    .await;
    let queue = ok_json(get(&app, "/api/v1/returns", &agent).await, 200).await;
    assert_eq!(queue[0]["id"], id, "waiting in the agents' queue");

    let r = ok_json(
        post(&app, &decision, &agent, &json!({"approve": true})).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "label_issued");
    assert_eq!(steps(&r), ["requested", "approved", "label_issued"]);
    let rtn = r["return_tracking_number"].as_str().unwrap().to_string();
    assert!(
        app::domain::TrackingNumber::parse(&rtn).is_ok(),
        "an S10 number: {rtn}"
    );
    assert_ne!(rtn, tn);
    let res = get(&app, &format!("/api/v1/returns/{id}/label.pdf"), &shipper).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    // The way back is a shipment of its own: from the recipient to the shipper, on the map.
    let track = ok_json(
        get(&app, &format!("/api/v1/track/{rtn}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(track["origin_city"], "Beijing");
    assert_eq!(track["destination_city"], "Shanghai");
    error_body(
        post(&app, &decision, &agent, &json!({"approve": true})).await,
        409,
        "transition_illegal",
    )
    .await;

    // Its scans move the return.
    scan(&app, &carrier, &rtn, "picked_up").await;
    let r = ok_json(
        get(&app, &format!("/api/v1/returns/{id}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "in_transit");
    scan(&app, &carrier, &rtn, "in_transit").await;
    scan(&app, &carrier, &rtn, "out_for_delivery").await;
    scan(&app, &carrier, &rtn, "delivered").await;
    let r = ok_json(
        get(&app, &format!("/api/v1/returns/{id}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "received");

    let refund = format!("/api/v1/returns/{id}/refund");
    error_body(
        post(&app, &refund, &shipper, &json!({"refund": true})).await,
        403,
        "forbidden",
    )
    .await;
    let r = ok_json(
        post(&app, &refund, &agent, &json!({"refund": true})).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "refunded");
    assert_eq!(r["refund_amount"], 50000);
    assert_eq!(
        steps(&r),
        [
            "requested",
            "approved",
            "label_issued",
            "in_transit",
            "received",
            "refunded"
        ]
    );
    // Every step was told to the shipper.
    let notes = ok_json(get(&app, "/api/v1/notifications", &shipper).await, 200).await;
    let return_steps: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "return_update")
        .map(|n| n["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        return_steps,
        [
            "refunded",
            "received",
            "in_transit",
            "label_issued",
            "approved",
            "requested"
        ]
    );
    // Photos close with the return.
    error_body(
        upload(&app, &photos, &shipper, "late.png", PNG).await,
        409,
        "transition_illegal",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_are_refused_after_the_window_and_a_rejection_frees_the_items() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let late = booked(&app, &shipper, "late").await;
    deliver(&app, &carrier, &late, 31).await;
    let drop_off = json!({"items": [1], "reason": "no_longer_needed", "method": "drop_off",
                          "drop_off_point": "Haidian locker"});
    error_body(
        post(
            &app,
            &format!("/api/v1/shipments/{late}/returns"),
            &shipper,
            &drop_off,
        )
        .await,
        409,
        "return_window_closed",
    )
    .await;

    let tn = booked(&app, &shipper, "fresh").await;
    deliver(&app, &carrier, &tn, 29).await;
    let path = format!("/api/v1/shipments/{tn}/returns");
    let body = error_body(
        post(
            &app,
            &path,
            &shipper,
            &json!({"items": [1], "reason": "other", "method": "drop_off",
            "drop_off_point": "Somewhere else"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["fields"]["drop_off_point"].is_string(),
        "{body}"
    );
    let r = ok_json(post(&app, &path, &shipper, &drop_off).await, 201).await;
    let id = r["id"].as_i64().unwrap();
    let r = ok_json(
        post(
            &app,
            &format!("/api/v1/returns/{id}/decision"),
            &agent,
            &json!({"approve": false, "note": "Books cannot be returned once opened."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["decision_note"], "Books cannot be returned once opened.");
    // Rejected: the items may be asked for again.
    ok_json(post(&app, &path, &shipper, &drop_off).await, 201).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_returns_of_the_same_items_at_once_open_one() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "c1").await;
    deliver(&app, &carrier, &tn, 1).await;
    let body = json!({"items": [0, 1], "reason": "wrong_item", "method": "drop_off",
                      "drop_off_point": "Haidian locker"});
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let req = client()
                .post(app.url(&format!("/api/v1/shipments/{tn}/returns")))
                .bearer_auth(&shipper)
                .json(&body);
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
    let mine = ok_json(get(&app, "/api/v1/returns", &shipper).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_is_rated_once_editable_for_seven_days_also_by_its_signed_link() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "rate").await;
    let path = format!("/api/v1/shipments/{tn}/rating");
    let good = json!({"csat": 5, "nps": 10, "tags": ["on_time", "courteous_courier"],
                      "comment": "Quick and friendly."});
    error_body(
        send(&app, reqwest::Method::PUT, &path, &shipper, Some(&good)).await,
        409,
        "not_delivered",
    )
    .await;
    deliver(&app, &carrier, &tn, 0).await;
    for bad in [
        json!({"csat": 6}),
        json!({"csat": -1}),
        json!({"csat": 3, "nps": 11}),
    ] {
        error_body(
            send(&app, reqwest::Method::PUT, &path, &shipper, Some(&bad)).await,
            422,
            "invalid_body",
        )
        .await;
    }
    let v = ok_json(
        send(&app, reqwest::Method::PUT, &path, &shipper, Some(&good)).await,
        200,
    )
    .await;
    assert_eq!(v["rating"]["csat"], 5);
    assert_eq!(v["offers_complaint"], false);

    // The signed link works without a session; a tampered one does not.
    let link = v["rate_link"].as_str().unwrap().to_string();
    let query = link.split_once('?').unwrap().1.to_string();
    let low = json!({"csat": 2, "nps": 3, "tags": ["late"]});
    let res = client()
        .put(app.url(&format!("{path}?{query}")))
        .json(&low)
        .send()
        .await
        .unwrap();
    let v = ok_json(res, 200).await;
    assert_eq!(v["rating"]["csat"], 2, "a second rating updates the first");
    assert_eq!(
        v["offers_complaint"], true,
        "a low score offers a complaint"
    );
    let tampered = query.replace("sig=", "sig=00");
    let res = client()
        .put(app.url(&format!("{path}?{tampered}")))
        .json(&low)
        .send()
        .await
        .unwrap();
    error_body(res, 422, "validation_failed").await;
    error_body(get_as(&app, &path, None).await, 401, "unauthenticated").await;

    // Seven days after it was first given, it is final.
    sqlx::query("UPDATE ratings SET created_at = created_at - $1")
        .bind(7 * DAY_MS + 60_000)
        .execute(&app.db.pool)
        .await
        .unwrap();
    error_body(
        send(&app, reqwest::Method::PUT, &path, &shipper, Some(&good)).await,
        409,
        "rating_locked",
    )
    .await;
    let v = ok_json(get(&app, &path, &shipper).await, 200).await;
    assert_eq!(v["rating"]["csat"], 2);
    assert_eq!(v["can_rate"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_close_with_the_customer_or_by_themselves_after_seven_days() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let tn = booked(&app, &shipper, "k1").await;

    let body = error_body(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"category": "damage", "description": "  "}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["description"].is_string());
    let c = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"tracking_number": tn, "category": "delay", "description": "Two days late."}),
        )
        .await,
        201,
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "open");
    assert_eq!(c["priority"], "normal");
    assert!(
        c["tier"].is_null(),
        "segmentation is not shown to the customer"
    );
    let created = c["created_at"].as_i64().unwrap();
    assert_eq!(
        c["first_response_due"],
        created + 24 * 3_600_000,
        "the tier's SLA"
    );
    assert_eq!(c["resolution_due"], created + 72 * 3_600_000);
    let queue = ok_json(get(&app, "/api/v1/complaints", &agent).await, 200).await;
    assert_eq!(queue[0]["id"], id);
    assert_eq!(queue[0]["tier"], "new");

    // Only the customer confirms; only agents resolve.
    let at = |action: &str| format!("/api/v1/complaints/{id}/{action}");
    error_body(
        post(&app, &at("resolve"), &shipper, &json!({"note": "done"})).await,
        403,
        "forbidden",
    )
    .await;
    error_body(
        post(&app, &at("confirm"), &shipper, &json!({})).await,
        409,
        "transition_illegal",
    )
    .await;
    let c = ok_json(post(&app, &at("assign"), &agent, &json!({})).await, 200).await;
    assert_eq!(c["status"], "in_progress");
    assert_eq!(c["assignee"], "Staff Member");
    let c = ok_json(
        post(
            &app,
            &at("messages"),
            &agent,
            &json!({"body": "Looking into it."}),
        )
        .await,
        200,
    )
    .await;
    assert!(c["first_response_at"].as_i64().is_some());
    ok_json(
        post(&app, &at("messages"), &shipper, &json!({"body": "Thanks."})).await,
        200,
    )
    .await;
    let c = ok_json(
        post(
            &app,
            &at("resolve"),
            &agent,
            &json!({"note": "Refunded the express fee."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "resolved");
    error_body(
        post(&app, &at("confirm"), &shipper, &json!({"satisfaction": 6})).await,
        422,
        "invalid_body",
    )
    .await;
    error_body(
        post(
            &app,
            &at("confirm"),
            &shipper,
            &json!({"satisfaction": 4.5}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;
    // JSON's `4.0` is the integer 4.
    let c = ok_json(
        post(
            &app,
            &at("confirm"),
            &shipper,
            &json!({"satisfaction": 4.0}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "closed");
    assert_eq!(c["closed_by"], "customer");
    assert_eq!(c["follow_up"], 4);
    let statuses: Vec<Value> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            json!("open"),
            json!("in_progress"),
            Value::Null,
            Value::Null,
            json!("resolved"),
            json!("closed")
        ]
    );
    error_body(
        post(&app, &at("messages"), &shipper, &json!({"body": "More"})).await,
        409,
        "transition_illegal",
    )
    .await;

    // resolve -> reopen -> resolve -> no answer: closed after 7 days, by the clock passed in.
    let c = ok_json(
        post(
            &app,
            "/api/v1/complaints",
            &shipper,
            &json!({"category": "billing", "description": "Charged twice."}),
        )
        .await,
        201,
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let at = |action: &str| format!("/api/v1/complaints/{id}/{action}");
    ok_json(
        post(&app, &at("resolve"), &agent, &json!({"note": "Refunded."})).await,
        200,
    )
    .await;
    error_body(
        post(&app, &at("reopen"), &shipper, &json!({"reason": ""})).await,
        422,
        "validation_failed",
    )
    .await;
    let c = ok_json(
        post(
            &app,
            &at("reopen"),
            &shipper,
            &json!({"reason": "Not refunded yet."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(c["status"], "reopened");
    assert_eq!(c["reopen_count"], 1);
    assert!(c["resolved_at"].is_null());
    let c = ok_json(
        post(
            &app,
            &at("resolve"),
            &agent,
            &json!({"note": "Refund sent today."}),
        )
        .await,
        200,
    )
    .await;
    let resolved_at = c["resolved_at"].as_i64().unwrap();
    let week = 7 * DAY_MS;
    assert_eq!(
        app::complaints::service::auto_close(&app.db, resolved_at + week - 1)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app::complaints::service::auto_close(&app.db, resolved_at + week)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::complaints::service::auto_close(&app.db, resolved_at + week + 1)
            .await
            .unwrap(),
        0,
        "once"
    );
    let c = ok_json(
        get(&app, &format!("/api/v1/complaints/{id}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(c["status"], "closed");
    assert_eq!(c["closed_by"], "auto");
    // The follow-up question can still be answered, once.
    let c = ok_json(
        post(&app, &at("confirm"), &shipper, &json!({"satisfaction": 2})).await,
        200,
    )
    .await;
    assert_eq!(c["follow_up"], 2);
    error_body(
        post(&app, &at("confirm"), &shipper, &json!({"satisfaction": 5})).await,
        409,
        "transition_illegal",
    )
    .await;
    let notes = ok_json(get(&app, "/api/v1/notifications", &shipper).await, 200).await;
    let complaint_steps: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "complaint_update" && n["subject_id"] == id)
        .map(|n| n["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        complaint_steps,
        [
            "auto_closed",
            "resolved",
            "reopened",
            "resolved",
            "received"
        ]
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_returns_by_the_tracking_pages_signed_link_without_an_account() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "rcpt").await;
    deliver(&app, &carrier, &tn, 2).await;
    // What the tracking page hands a recipient who proved the postcode.
    let link = app::returns::service::request_link(&app.db, &tn, app::platform::now_ms())
        .await
        .unwrap();
    let query = link
        .split_once('?')
        .unwrap()
        .1
        .replace(&format!("tn={tn}&"), "");
    let body = json!({"items": [0], "reason": "not_as_described", "method": "drop_off",
                      "drop_off_point": "Haidian locker"});
    let path = format!("/api/v1/shipments/{tn}/returns");
    let res = client()
        .post(app.url(&format!("{path}?{}", query.replace("sig=", "sig=1"))))
        .json(&body)
        .send()
        .await
        .unwrap();
    error_body(res, 422, "validation_failed").await;
    let res = client()
        .post(app.url(&format!("{path}?{query}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let r = ok_json(res, 201).await;
    assert_eq!(r["requested_by"], "recipient");
    let id = r["id"].as_i64().unwrap();
    // Its own signed link follows it, photos included; it opens no other return.
    let view = r["view_link"].as_str().unwrap().to_string();
    let view_query = view.split_once('?').unwrap().1.to_string();
    let r = ok_json(
        client()
            .get(app.url(&format!("/api/v1/returns/{id}?{view_query}")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(r["status"], "requested");
    let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("x.png");
    let res = client()
        .post(app.url(&format!("/api/v1/returns/{id}/photos?{view_query}")))
        .multipart(reqwest::multipart::Form::new().part("photo", part))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok_json(res, 200).await["photos"].as_array().unwrap().len(),
        1
    );
    let res = client()
        .get(app.url(&format!("/api/v1/returns/{}?{view_query}", id + 1)))
        .send()
        .await
        .unwrap();
    error_body(res, 422, "validation_failed").await;
    // The shipper sees it among its returns; the agent decides as for any other.
    let mine = ok_json(get(&app, "/api/v1/returns", &shipper).await, 200).await;
    assert_eq!(mine[0]["id"], id);
    let r = ok_json(
        post(
            &app,
            &format!("/api/v1/returns/{id}/decision"),
            &agent,
            &json!({"approve": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["status"], "label_issued");
    let res = client()
        .get(app.url(&format!("/api/v1/returns/{id}/label.pdf?{view_query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_queue_puts_the_soonest_due_first_and_marks_the_overdue() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let mut ids = Vec::new();
    for what in ["first", "second", "third"] {
        let c = ok_json(
            post(
                &app,
                "/api/v1/complaints",
                &shipper,
                &json!({"category": "other", "description": what}),
            )
            .await,
            201,
        )
        .await;
        ids.push(c["id"].as_i64().unwrap());
    }
    // Answered: now due at its resolution (72 h), behind the unanswered ones (24 h).
    let path = format!("/api/v1/complaints/{}/messages", ids[0]);
    ok_json(
        post(&app, &path, &agent, &json!({"body": "On it."})).await,
        200,
    )
    .await;
    // The third was due an hour ago.
    sqlx::query("UPDATE complaints SET first_response_due = $1 WHERE id = $2")
        .bind(app::platform::now_ms() - 3_600_000)
        .bind(ids[2])
        .execute(&app.db.pool)
        .await
        .unwrap();
    let queue = ok_json(get(&app, "/api/v1/complaints", &agent).await, 200).await;
    let order: Vec<i64> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [ids[2], ids[1], ids[0]]);
    assert_eq!(queue[0]["overdue"], true);
    assert_eq!(queue[1]["overdue"], false);
    assert_eq!(queue[2]["status"], "in_progress");
}

/// What a return may choose, through the API as on the return page: the items, the window's
/// end, the pickup windows at the recipient's address and the drop-off points; for the shipper
/// signed in or the recipient's signed link, nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_options_offer_the_items_windows_and_drop_off_points() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let other = customer(&app, "other@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "opts").await;
    let path = format!("/api/v1/shipments/{tn}/return-options");

    // Before delivery: no window yet.
    let options = ok_json(get(&app, &path, &shipper).await, 200).await;
    assert!(options["delivered_at"].is_null(), "{options}");
    assert!(options["window_ends_at"].is_null(), "{options}");

    deliver(&app, &carrier, &tn, 1).await;
    let options = ok_json(get(&app, &path, &shipper).await, 200).await;
    let delivered = options["delivered_at"].as_i64().unwrap();
    assert_eq!(options["window_ends_at"], delivered + 30 * DAY_MS);
    assert_eq!(options["currency"], "CNY");
    let items = options["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["contents"], "lamp");
    assert_eq!(items[0]["declared_value"], 50000);
    assert_eq!(items[0]["in_return"], false);
    assert_eq!(options["drop_off_points"], json!(["Haidian locker"]));
    assert_eq!(options["slots"]["area"], "beijing");
    let slot = options["slots"]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bookable"] == true)
        .expect("a pickup window")["id"]
        .clone();

    // A window from the options is taken by the request; the item is then in a return.
    let request = json!({"items": [0], "reason": "damaged", "method": "pickup",
                         "pickup_slot_id": slot});
    let returns = format!("/api/v1/shipments/{tn}/returns");
    ok_json(post(&app, &returns, &shipper, &request).await, 201).await;
    let options = ok_json(get(&app, &path, &shipper).await, 200).await;
    assert_eq!(options["items"][0]["in_return"], true);
    assert_eq!(options["items"][1]["in_return"], false);

    // The recipient's signed link opens them too; a forged one does not.
    let link = app::returns::service::request_link(&app.db, &tn, app::platform::now_ms())
        .await
        .unwrap();
    let query = link
        .split_once('?')
        .unwrap()
        .1
        .replace(&format!("tn={tn}&"), "");
    let res = get_as(&app, &format!("{path}?{query}"), None).await;
    assert_eq!(ok_json(res, 200).await["tracking_number"], tn.as_str());
    let forged = query.replace("sig=", "sig=1");
    let res = get_as(&app, &format!("{path}?{forged}"), None).await;
    error_body(res, 422, "validation_failed").await;

    // Another customer's shipment is not found; nobody signed in is refused.
    error_body(get(&app, &path, &other).await, 404, "not_found").await;
    error_body(get_as(&app, &path, None).await, 401, "unauthenticated").await;
}
