//! The live tracking stream and the map: an open stream receives the events posted after it
//! connected, reads back what it missed once announcements resume, hears another instance's on
//! PostgreSQL; the map shows cities to all and the courier to the recipient only.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::tracking::{at, booked, carrier_post, next_data, open_stream, scan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_stream_receives_an_event_posted_after_it_connected() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let res = get_as(&app, "/api/v1/track/RR473124829FR/stream", None).await;
    error_body(res, 404, "not_found").await;
    let mut stream = open_stream(&app, &tn).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Test Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let batch = json!({"events": [scan("live-1", &tn, "picked_up", &at(0))]});
    assert_eq!(
        carrier_post(&app, Some(&carrier), &batch).await.status(),
        200
    );
    let event = next_data(&mut stream).await;
    assert_eq!(event["status"], "picked_up");
    assert_eq!(event["place"], "Shanghai hub");

    // A reconnecting client gets what it missed after the id it last saw.
    let batch = json!({"events": [scan("live-2", &tn, "in_transit", &at(1))]});
    carrier_post(&app, Some(&carrier), &batch).await;
    let mut again = client()
        .get(app.url(&format!("/api/v1/track/{tn}/stream")))
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(next_data(&mut again).await["status"], "created");
}

/// While PostgreSQL restarts, the instance hears no announcements; once its listener is back
/// it says so (`LIVE_RESUMED`), and an open stream reads back from the database what it missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_stream_reads_back_what_it_missed_once_announcements_resume() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let mut stream = open_stream(&app, &tn).await;
    // Stored without an announcement, as a scan recorded just after a restart, before the
    // listener is back, is heard by nobody.
    let now = app::platform::now_ms();
    sqlx::query(
        "INSERT INTO tracking_events (shipment_id, status, occurred_at, place, source, \
         created_at) SELECT id, 'picked_up', $1, 'Shanghai hub', 'scan', $1 FROM shipments \
         WHERE tracking_number = $2",
    )
    .bind(now)
    .bind(tn)
    .execute(&app.db.pool)
    .await
    .unwrap();
    app.db
        .announcements
        .send(app::platform::db::LIVE_RESUMED.to_string())
        .expect("the open stream listens");
    let event = next_data(&mut stream).await;
    assert_eq!(event["status"], "picked_up");
    assert_eq!(event["place"], "Shanghai hub");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_an_event_posted_to_one_instance_reaches_a_stream_on_another() {
    let first = spawn_app().await;
    if first.db.kind != app::platform::DbKind::Postgres {
        // One SQLite file has one server instance; the same-process path is tested above.
        return;
    }
    let url = first.database_url.clone();
    let second = spawn_app_with(|s| s.database_url = url).await;
    let tn = booked(&first).await;
    let mut stream = open_stream(&second, &tn).await;
    let carrier = app::tracking::carrier::create_token(
        &first.db,
        "Test Courier",
        crate::helpers::CARRIER_TTL,
    )
    .await
    .unwrap();
    let batch = json!({"events": [scan("x-1", &tn, "picked_up", &at(0))]});
    assert_eq!(
        carrier_post(&first, Some(&carrier), &batch).await.status(),
        200
    );
    assert_eq!(next_data(&mut stream).await["status"], "picked_up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_shows_cities_to_all_and_the_courier_to_the_recipient_only() {
    let app = spawn_app_with(|s| s.map_tile_url = "none".into()).await;
    let tn = booked(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Test Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let position = |lat: f64, minutes: i64| json!({"positions": [{"tracking_number": tn, "time": at(minutes), "lat": lat, "lng": 116.3123}]});
    let post_positions = |body: Value| {
        client()
            .post(app.url("/api/v1/carrier/positions"))
            .bearer_auth(&carrier)
            .json(&body)
            .send()
    };
    // Not out for delivery yet: refused, and nothing stored.
    let out: Value = post_positions(position(39.98, 0))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out["refused"], 1);
    assert_eq!(out["results"][0]["code"], "not_out_for_delivery");

    let mut stream = open_stream(&app, &tn).await;
    let scans = json!({"events": [
        scan("m-1", &tn, "picked_up", &at(1)),
        {"event_id": "m-2", "tracking_number": tn, "status": "in_transit", "time": at(2),
         "place": "Jinan hub", "lat": 36.6512, "lng": 117.1201},
        {"event_id": "m-3", "tracking_number": tn, "status": "out_for_delivery", "time": at(3),
         "place": "Beijing", "lat": 39.9075, "lng": 116.3972},
    ]});
    let res = carrier_post(&app, Some(&carrier), &scans).await;
    assert_eq!(res.json::<Value>().await.unwrap()["recorded"], 3);
    for _ in 0..3 {
        next_data(&mut stream).await;
    }
    let out: Value = post_positions(position(39.9812, 5))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out["recorded"], 1, "{out}");
    // Open pages hear that the courier moved, but not where.
    let ping = next_data(&mut stream).await;
    assert!(ping["time"].is_i64(), "{ping}");
    assert!(ping.get("lat").is_none());
    // An older position than the one held changes nothing.
    let out: Value = post_positions(position(10.0, 4))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out["results"][0]["outcome"], "stale");

    let public: Value = get_as(&app, &format!("/api/v1/track/{tn}"), None)
        .await
        .json()
        .await
        .unwrap();
    let map = &public["map"];
    assert!(map["tile_url"].is_null(), "MAP_TILE_URL=none: no tiles");
    assert!((map["origin"]["lat"].as_f64().unwrap() - 31.2).abs() < 0.5);
    assert!((map["destination"]["lat"].as_f64().unwrap() - 39.9).abs() < 0.5);
    // The scans' path at city precision: one decimal.
    assert_eq!(
        map["path"],
        json!([{"lat": 31.2, "lng": 121.5}, {"lat": 36.7, "lng": 117.1}, {"lat": 39.9, "lng": 116.4}])
    );
    assert!(public.get("courier").is_none());
    assert!(public["eta_latest"].as_i64().is_some());

    let verified: Value = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verified["courier"]["point"]["lat"], 39.9812);
    assert_eq!(verified["courier"]["point"]["lng"], 116.3123);
}
