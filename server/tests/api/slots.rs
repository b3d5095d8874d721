use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

const MANAGER: &str = "manager@carrier.example";

async fn manager(app: &TestApp) -> String {
    app.create_staff(MANAGER, app::accounts::Role::Manager)
        .await;
    app.bearer_for(MANAGER, PASSWORD).await
}

/// Beijing, every day, windows as given, cut-off the day before at 18:00 unless changed.
fn template(area: &str, windows: &[(&str, &str)], capacity: i64) -> Value {
    json!({
        "area": area, "name": "Beijing", "country": "CN", "time_zone": "Asia/Shanghai",
        "cities": ["Beijing"], "postcode_prefixes": ["10"],
        "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "windows": windows.iter().map(|(s, e)| json!({"start": s, "end": e})).collect::<Vec<_>>(),
        "capacity": capacity, "cutoff_days_before": 1, "cutoff_time": "18:00",
        "days_ahead": 14, "holidays": [], "pickup_points": ["Haidian locker"]
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: &Value,
) -> reqwest::Response {
    client()
        .request(method, app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Sends all requests at once, each on its own task; answers in order.
async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<reqwest::Response> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| tokio::spawn(async move { r.send().await.unwrap() }))
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn create_template(app: &TestApp, token: &str, body: &Value) -> Value {
    let res = send(
        app,
        reqwest::Method::POST,
        "/api/v1/slot-templates",
        token,
        body,
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn beijing_slots(app: &TestApp, token: &str) -> Vec<Value> {
    let res = get_as(app, "/api/v1/slots?postcode=100080&days=14", Some(token)).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["area"], "beijing");
    list["slots"].as_array().unwrap().clone()
}

/// The last bookable window: far enough ahead for any service's transit time.
fn late_bookable(slots: &[Value]) -> Value {
    slots
        .iter()
        .rev()
        .find(|s| s["bookable"] == true)
        .cloned()
        .expect("a bookable window")
}

fn scheduled(reference: &str, slot_id: &Value) -> Value {
    let mut b = booking(reference);
    b["service"] = json!("scheduled");
    b["delivery_slot_id"] = slot_id.clone();
    b
}

async fn booked_count(app: &TestApp, slot_id: i64) -> (i64, i64) {
    let booked: i64 = sqlx::query_scalar("SELECT booked FROM slots WHERE id = $1")
        .bind(slot_id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let holding: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE delivery_slot_id = $1")
            .bind(slot_id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    (booked, holding)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn managers_define_templates_and_windows_are_generated_from_them() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let res = get_as(&app, "/api/v1/slot-templates", Some(&shipper)).await;
    error_body(res, 403, "forbidden").await;
    let token = manager(&app).await;

    let mut bad = template("Bei Jing", &[("11:00", "09:00")], -1);
    bad["time_zone"] = json!("Asia/Atlantis");
    let res = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/slot-templates",
        &token,
        &bad,
    )
    .await;
    let body = error_body(res, 422, "validation_failed").await;
    for field in ["area", "time_zone", "windows[0].end", "capacity"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }

    let created = create_template(
        &app,
        &token,
        &template("beijing", &[("14:00", "18:00"), ("09:00", "11:00")], 5),
    )
    .await;
    assert_eq!(
        created["windows"][0]["start"], "09:00",
        "windows are sorted"
    );
    let res = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/slot-templates",
        &token,
        &template("beijing", &[("09:00", "11:00")], 5),
    )
    .await;
    error_body(res, 409, "area_taken").await;

    // Two windows a day for 14 days, minus those whose cut-off passed already.
    let slots = beijing_slots(&app, &shipper).await;
    assert!((24..=28).contains(&slots.len()), "{}", slots.len());
    let first = &slots[0];
    for key in [
        "id",
        "starts_at",
        "ends_at",
        "capacity",
        "remaining",
        "cutoff_at",
        "bookable",
    ] {
        assert!(!first[key].is_null(), "{key}");
    }
    assert!(first["starts_at"].as_str().unwrap().ends_with('Z'), "UTC");
    let s = late_bookable(&slots);
    assert_eq!(
        (s["capacity"].clone(), s["remaining"].clone()),
        (json!(5), json!(5))
    );
    assert_eq!(s["local_start"], "14:00");
    // 14:00 in Beijing is 06:00 UTC.
    assert!(s["starts_at"].as_str().unwrap().ends_with("T06:00:00Z"));

    // No area serves Lhasa: no windows, not an error.
    let res = get_as(
        &app,
        "/api/v1/slots?postcode=850000&city=Lhasa",
        Some(&shipper),
    )
    .await;
    let list: Value = res.json().await.unwrap();
    assert!(list["area"].is_null());
    assert_eq!(list["slots"], json!([]));
    let res = get_as(
        &app,
        "/api/v1/slots?postcode=100080&from=2026-02-30",
        Some(&shipper),
    )
    .await;
    error_body(res, 422, "validation_failed").await;

    // Editing the template regenerates unbooked windows with the new capacity.
    let id = created["id"].as_i64().unwrap();
    let res = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/slot-templates/{id}"),
        &token,
        &template("beijing", &[("09:00", "11:00"), ("14:00", "18:00")], 7),
    )
    .await;
    assert_eq!(res.status(), 200);
    let s = late_bookable(&beijing_slots(&app, &shipper).await);
    assert_eq!(s["capacity"], 7);
    let listed: Value = get_as(&app, "/api/v1/slot-templates", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_of_ten_places_book_exactly_ten() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    create_template(
        &app,
        &token,
        &template("beijing", &[("09:00", "11:00")], 10),
    )
    .await;
    let shipper = customer(&app, "shipper@example.com").await;
    let slot = late_bookable(&beijing_slots(&app, &shipper).await);
    let attempts = (0..200)
        .map(|i| {
            client()
                .post(app.url("/api/v1/shipments"))
                .bearer_auth(&shipper)
                .header("Idempotency-Key", format!("hot-{i}"))
                .json(&scheduled(&format!("hot-{i}"), &slot["id"]))
        })
        .collect();
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for res in all_at_once(attempts).await {
        let status = res.status().as_u16();
        if status == 409 {
            error_body(res, 409, "slot_full").await;
        }
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(statuses.get(&201), Some(&10), "{statuses:?}");
    assert_eq!(statuses.get(&409), Some(&190), "{statuses:?}");
    let id = slot["id"].as_i64().unwrap();
    assert_eq!(booked_count(&app, id).await, (10, 10));
    // A refused booking leaves nothing behind.
    let shipments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(shipments, 10);
    let s = beijing_slots(&app, &shipper)
        .await
        .into_iter()
        .find(|s| s["id"] == slot["id"])
        .unwrap();
    assert_eq!(
        (s["remaining"].clone(), s["bookable"].clone()),
        (json!(0), json!(false))
    );
    assert_eq!(s["unavailable"], "full");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reschedules_keep_every_booking_counted_once() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    create_template(
        &app,
        &token,
        &template("beijing", &[("09:00", "11:00"), ("14:00", "18:00")], 100),
    )
    .await;
    let shipper = customer(&app, "shipper@example.com").await;
    let slots = beijing_slots(&app, &shipper).await;
    let b = late_bookable(&slots);
    let a = slots
        .iter()
        .rev()
        .find(|s| s["id"] != b["id"])
        .unwrap()
        .clone();
    let mut numbers = Vec::new();
    for i in 0..50 {
        let slot = if i % 2 == 0 { &a["id"] } else { &b["id"] };
        let res = book(
            &app,
            &shipper,
            &format!("r-{i}"),
            &scheduled(&format!("r-{i}"), slot),
        )
        .await;
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        numbers.push(v["tracking_number"].as_str().unwrap().to_string());
    }
    // Every shipment is asked to move to both windows at once: 100 concurrent requests.
    let moves = numbers
        .iter()
        .flat_map(|tn| [(tn, &a["id"]), (tn, &b["id"])])
        .map(|(tn, slot)| {
            client()
                .put(app.url(&format!("/api/v1/shipments/{tn}/delivery-slot")))
                .bearer_auth(&shipper)
                .json(&json!({"slot_id": slot}))
        })
        .collect();
    for res in all_at_once(moves).await {
        let status = res.status().as_u16();
        assert!(status == 200 || status == 409, "{status}");
        if status == 409 {
            error_body(res, 409, "changed_meanwhile").await;
        }
    }
    let (ida, idb) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let (booked_a, holding_a) = booked_count(&app, ida).await;
    let (booked_b, holding_b) = booked_count(&app, idb).await;
    assert_eq!(booked_a + booked_b, 50);
    assert_eq!((booked_a, booked_b), (holding_a, holding_b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cutoffs_areas_owners_cancellations_and_manager_changes_are_enforced() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    // Today's windows close at midnight before them: always past.
    let mut t = template("beijing", &[("09:00", "11:00"), ("20:00", "22:00")], 3);
    t["cutoff_days_before"] = json!(0);
    t["cutoff_time"] = json!("00:00");
    create_template(&app, &token, &t).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let slots = beijing_slots(&app, &shipper).await;
    let today = slots
        .iter()
        .find(|s| s["unavailable"] == "cutoff_passed")
        .expect("today's windows are past their cut-off");
    assert_eq!(today["bookable"], false);
    let later = late_bookable(&slots);

    let mut express = booking("plain");
    express["service"] = json!("scheduled");
    let res = book(&app, &shipper, "k1", &express).await;
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/shipments/{tn}/delivery-slot");
    let put = |slot: &Value, who: &str| {
        let body = json!({"slot_id": slot});
        let (app, path, who) = (&app, path.clone(), who.to_string());
        async move { send(app, reqwest::Method::PUT, &path, &who, &body).await }
    };
    error_body(put(&today["id"], &shipper).await, 409, "cutoff_passed").await;

    // Someone else's shipment is not found; a window elsewhere does not serve it.
    let other = customer(&app, "other@example.com").await;
    error_body(put(&later["id"], &other).await, 404, "not_found").await;
    let mut shanghai = template("shanghai", &[("09:00", "11:00")], 3);
    shanghai["name"] = json!("Shanghai");
    shanghai["cities"] = json!(["Shanghai"]);
    shanghai["postcode_prefixes"] = json!(["20"]);
    create_template(&app, &token, &shanghai).await;
    let res = get_as(&app, "/api/v1/slots?postcode=200000", Some(&shipper)).await;
    let sh: Value = res.json().await.unwrap();
    let elsewhere = late_bookable(sh["slots"].as_array().unwrap());
    error_body(
        put(&elsewhere["id"], &shipper).await,
        422,
        "validation_failed",
    )
    .await;

    // Given a window: the promised day is that window's, and an event records it.
    let res = put(&later["id"], &shipper).await;
    assert_eq!(res.status(), 200);
    let shipment: Value = res.json().await.unwrap();
    assert_eq!(shipment["delivery_slot"]["id"], later["id"]);
    assert_eq!(shipment["promised_from"], later["day"]);
    assert!(shipment["events"][0]["note"]
        .as_str()
        .unwrap()
        .starts_with("slot:"));
    let notes: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'delivery_changed'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(notes, 0, "the shipper is not told of its own change");
    let id = later["id"].as_i64().unwrap();
    assert_eq!(booked_count(&app, id).await, (1, 1));

    // Managers cannot squeeze capacity under what is booked; they can close a window.
    let slot_path = format!("/api/v1/slots/{id}");
    let res = send(
        &app,
        reqwest::Method::PUT,
        &slot_path,
        &shipper,
        &json!({"capacity": 9}),
    )
    .await;
    error_body(res, 403, "forbidden").await;
    let res = send(
        &app,
        reqwest::Method::PUT,
        &slot_path,
        &token,
        &json!({"capacity": 0}),
    )
    .await;
    error_body(res, 409, "capacity_below_booked").await;
    let res = send(
        &app,
        reqwest::Method::PUT,
        &slot_path,
        &token,
        &json!({"closed": true}),
    )
    .await;
    let closed: Value = res.json().await.unwrap();
    assert_eq!(
        (closed["unavailable"].clone(), closed["bookable"].clone()),
        (json!("closed"), json!(false))
    );
    let res = book(&app, &shipper, "k2", &scheduled("closed", &later["id"])).await;
    error_body(res, 409, "slot_closed").await;
    send(
        &app,
        reqwest::Method::PUT,
        &slot_path,
        &token,
        &json!({"closed": false}),
    )
    .await;

    // Once the cut-off passes, the window can no longer be left: the booking stays.
    let other_window = slots
        .iter()
        .rev()
        .find(|s| s["bookable"] == true && s["id"] != later["id"])
        .unwrap();
    sqlx::query("UPDATE slots SET cutoff_at = 0 WHERE id = $1")
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    error_body(
        put(&other_window["id"], &shipper).await,
        409,
        "cutoff_passed",
    )
    .await;
    assert_eq!(booked_count(&app, id).await, (1, 1));
    sqlx::query("UPDATE slots SET cutoff_at = $1 WHERE id = $2")
        .bind(i64::MAX / 2)
        .bind(id)
        .execute(&app.db.pool)
        .await
        .unwrap();

    // Cancelling frees the window.
    let res = client()
        .post(app.url(&format!("/api/v1/shipments/{tn}/cancel")))
        .bearer_auth(&shipper)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(booked_count(&app, id).await, (0, 0));

    // A delivery window before the service can arrive is refused at booking.
    let first_bookable = slots.iter().find(|s| s["bookable"] == true).unwrap();
    let mut too_soon = scheduled("soon", &first_bookable["id"]);
    too_soon["sender"]["city"] = json!("Lhasa");
    too_soon["sender"]["postcode"] = json!("850000");
    let res = book(&app, &shipper, "k3", &too_soon).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(
        body["error"]["fields"]["delivery_slot_id"].is_string(),
        "{body}"
    );
}

/// What the booking page and the shipment page offer, through the API: a booking's delivery
/// windows (from the day the service can arrive) and pickup windows, a shipment's destination
/// windows (the caller's own only), and a template's windows (managers only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_offers_a_bookings_a_shipments_and_a_templates_windows() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let beijing =
        create_template(&app, &token, &template("beijing", &[("09:00", "12:00")], 5)).await;
    let mut shanghai = template("shanghai", &[("14:00", "17:00")], 5);
    shanghai["name"] = json!("Shanghai");
    shanghai["cities"] = json!(["Shanghai"]);
    shanghai["postcode_prefixes"] = json!(["20"]);
    create_template(&app, &token, &shanghai).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let other = customer(&app, "other@example.com").await;

    // A booking's windows: deliveries in Beijing, none before the quote's first day.
    let mut request = booking("slots");
    request["service"] = json!("scheduled");
    request["purpose"] = json!("delivery");
    let path = "/api/v1/slots/for-booking";
    let res = send(&app, reqwest::Method::POST, path, &shipper, &request).await;
    assert_eq!(res.status(), 200);
    let delivery: Value = res.json().await.unwrap();
    assert_eq!(delivery["area"], "beijing");
    let res = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/quotes",
        &shipper,
        &request,
    )
    .await;
    let quote: Value = res.json().await.unwrap();
    let earliest = quote["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["service"] == "scheduled")
        .unwrap()["earliest_delivery"]
        .as_str()
        .unwrap()
        .to_string();
    let days: Vec<&str> = delivery["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["day"].as_str().unwrap())
        .collect();
    assert!(!days.is_empty());
    assert!(
        days.iter().all(|d| *d >= earliest.as_str()),
        "{days:?} before {earliest}"
    );
    // Pickups: in the sender's area, from today.
    request["purpose"] = json!("pickup");
    let res = send(&app, reqwest::Method::POST, path, &shipper, &request).await;
    let pickup: Value = res.json().await.unwrap();
    assert_eq!(pickup["area"], "shanghai");
    assert_eq!(pickup["slots"][0]["local_start"], "14:00");
    // The shipment is checked first, every field named; nobody signed in is refused.
    let mut bad = request.clone();
    bad["recipient"]["city"] = json!("Atlantis");
    bad["parcels"][0]["weight_g"] = json!(0);
    let res = send(&app, reqwest::Method::POST, path, &shipper, &bad).await;
    let body = error_body(res, 422, "validation_failed").await;
    for field in ["recipient.city", "parcels[0].weight_g"] {
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    let res = client()
        .post(app.url(path))
        .json(&request)
        .send()
        .await
        .unwrap();
    error_body(res, 401, "unauthenticated").await;

    // A shipment's windows: its destination's, as far as the area opens them.
    let res = book(&app, &shipper, "k-slots", &booking("to-beijing")).await;
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/shipments/{tn}/delivery-slots");
    let res = get_as(&app, &path, Some(&shipper)).await;
    assert_eq!(res.status(), 200);
    let own: Value = res.json().await.unwrap();
    assert_eq!(own["area"], "beijing");
    let offered: Vec<&Value> = own["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    let at_address = beijing_slots(&app, &shipper).await;
    let at_address: Vec<&Value> = at_address.iter().map(|s| &s["id"]).collect();
    assert!(!offered.is_empty());
    assert_eq!(offered, at_address);
    error_body(get_as(&app, &path, Some(&other)).await, 404, "not_found").await;
    error_body(get_as(&app, &path, None).await, 401, "unauthenticated").await;

    // A template's windows: three days of one window each, for managers.
    let id = beijing["id"].as_i64().unwrap();
    let path = format!("/api/v1/slot-templates/{id}/slots?days=3");
    let res = get_as(&app, &path, Some(&token)).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["area"], "beijing");
    assert_eq!(list["slots"].as_array().unwrap().len(), 3);
    error_body(get_as(&app, &path, Some(&shipper)).await, 403, "forbidden").await;
    error_body(get_as(&app, &path, None).await, 401, "unauthenticated").await;
    let unknown = format!("/api/v1/slot-templates/{}/slots", id + 100);
    error_body(get_as(&app, &unknown, Some(&token)).await, 404, "not_found").await;
    let res = get_as(
        &app,
        &format!("/api/v1/slot-templates/{id}/slots?from=someday"),
        Some(&token),
    )
    .await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["from"].is_string(), "{body}");
}

/// `days` is refused outside the bounds the document states (1 to 60), naming it, however the
/// number is spelled; and any day the document allows as `from` answers, a day past the horizon
/// with no windows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_beyond_the_documented_bounds_are_refused_by_name() {
    let app = spawn_app().await;
    let token = manager(&app).await;
    let body = template("beijing", &[("09:00", "12:00")], 5);
    let created = create_template(&app, &token, &body).await;
    let id = created["id"].as_i64().unwrap();
    let max = app::slots::service::MAX_DAYS_AHEAD;
    let over = (max + 1).to_string();
    for days in ["0", "-1", over.as_str(), "2147483648"] {
        for path in [
            format!("/api/v1/slot-templates/{id}/slots?days={days}"),
            format!("/api/v1/slots?postcode=100080&days={days}"),
        ] {
            let res = get_as(&app, &path, Some(&token)).await;
            let body = error_body(res, 422, "validation_failed").await;
            assert!(
                body["error"]["fields"]["days"].is_string(),
                "{path}: {body}"
            );
        }
    }
    let path = format!("/api/v1/slot-templates/{id}/slots?days={max}");
    assert_eq!(get_as(&app, &path, Some(&token)).await.status(), 200);

    let path = format!("/api/v1/slot-templates/{id}/slots?from=9999-12-31&days={max}");
    let res = get_as(&app, &path, Some(&token)).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["slots"], json!([]));
    let path = format!("/api/v1/slot-templates/{id}/slots?from=");
    let res = get_as(&app, &path, Some(&token)).await;
    assert_eq!(res.status(), 200, "an empty `from` is today");

    // A day that is no day is refused by name, also where no area serves the address.
    for postcode in ["100080", "999999"] {
        let path = format!("/api/v1/slots?postcode={postcode}&from=null");
        let res = get_as(&app, &path, Some(&token)).await;
        let body = error_body(res, 422, "validation_failed").await;
        assert!(
            body["error"]["fields"]["from"].is_string(),
            "{path}: {body}"
        );
    }
}
