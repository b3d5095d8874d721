//! Carriers over HTTP: scans move shipments and bad ones are refused one by one, scans with and
//! without coordinates mix, carrier tokens expire and are revoked; and the demo simulator, which
//! scans demo customers' parcels as a carrier would and never a real customer's.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};
use crate::tracking::{at, booked, carrier_post, public_view, scan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_scans_move_shipments_and_bad_ones_are_refused_one_by_one() {
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let res = book(&app, &shipper, "k1", &booking("PO-1")).await;
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Test Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();

    let batch = json!({"events": [scan("e1", &tn, "picked_up", &at(1))]});
    error_body(
        carrier_post(&app, None, &batch).await,
        401,
        "unauthenticated",
    )
    .await;
    error_body(
        carrier_post(&app, Some(&shipper), &batch).await,
        401,
        "unauthenticated",
    )
    .await;

    let unknown = "RR473124829FR";
    let batch = json!({"events": [
        scan("e1", &tn, "picked_up", &at(1)),
        scan("e1", &tn, "picked_up", &at(1)),
        scan("e2", &tn, "delivered", &at(2)),
        scan("e3", unknown, "in_transit", &at(2)),
        scan("e4", &tn, "in_transit", "not a time"),
        scan("e5", &tn, "in_transit", &at(3)),
    ]});
    let res = carrier_post(&app, Some(&carrier), &batch).await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    let outcomes: Vec<&str> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "recorded",
            "duplicate",
            "refused",
            "refused",
            "refused",
            "recorded"
        ]
    );
    assert_eq!(
        (
            out["recorded"].clone(),
            out["duplicates"].clone(),
            out["refused"].clone()
        ),
        (json!(2), json!(1), json!(3))
    );
    assert_eq!(out["results"][2]["code"], "transition_illegal");
    assert!(out["results"][2]["fields"]["status"].is_string());
    assert!(out["results"][3]["fields"]["tracking_number"].is_string());
    assert!(out["results"][4]["fields"]["time"].is_string());

    // Resending the whole batch stores nothing twice.
    let again: Value = carrier_post(&app, Some(&carrier), &batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["recorded"].clone(), again["duplicates"].clone()),
        (json!(0), json!(3))
    );

    // The timeline: newest first, with the carrier's times and places.
    let shipment: Value = get_as(&app, &format!("/api/v1/shipments/{tn}"), Some(&shipper))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shipment["status"], "in_transit");
    let statuses: Vec<&str> = shipment["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["in_transit", "picked_up", "created"]);
    assert_eq!(shipment["events"][0]["place"], "Shanghai hub");

    // Once collected, the shipper cannot cancel; a cancelled parcel is never delivered.
    let res = book(&app, &shipper, "k2", &booking("PO-2")).await;
    let tn2 = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let res = client()
        .post(app.url(&format!("/api/v1/shipments/{tn2}/cancel")))
        .bearer_auth(&shipper)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let out: Value = carrier_post(
        &app,
        Some(&carrier),
        &json!({"events": [scan("e9", &tn2, "delivered", &at(4))]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(out["results"][0]["code"], "transition_illegal");
}

/// A scan without coordinates, then scans with them: on PostgreSQL a NULL coordinate once
/// made the prepared insert refuse the next real one (a 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_with_and_without_coordinates_mix_on_every_backend() {
    use crate::after_delivery::{ok_json, scan};
    let app = spawn_app().await;
    let shipper = crate::shipments::customer(&app, "mix@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    for i in 0..6 {
        let tn = crate::after_delivery::booked(&app, &shipper, &format!("mix-{i}")).await;
        scan(&app, &carrier, &tn, "picked_up").await;
        let res = client()
            .post(app.url("/api/v1/carrier/events"))
            .bearer_auth(&carrier)
            .json(
                &serde_json::json!({"events": [{"event_id": format!("{tn}-hub"),
                "tracking_number": tn, "status": "at_hub",
                "time": jiff::Timestamp::now().to_string(), "place": "Hub",
                "lat": 31.2, "lng": 121.5}]}),
            )
            .send()
            .await
            .unwrap();
        let out = ok_json(res, 200).await;
        assert_eq!(out["results"][0]["outcome"], "recorded", "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carrier_tokens_expire_and_a_revoked_one_stops_at_once() {
    use app::tracking::carrier;
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let res = book(&app, &shipper, "k1", &booking("PO-1")).await;
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let live = carrier::create_token(&app.db, "Live Courier", crate::helpers::CARRIER_TTL)
        .await
        .unwrap();
    let expired = carrier::create_token(&app.db, "Old Courier", std::time::Duration::ZERO)
        .await
        .unwrap();
    let first = json!({"events": [scan("e1", &tn, "picked_up", &at(1))]});
    error_body(
        carrier_post(&app, Some(&expired), &first).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(carrier_post(&app, Some(&live), &first).await.status(), 200);

    let now = app::platform::now_ms();
    let listed: Vec<(String, bool)> = carrier::tokens(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.name.ends_with("Courier"))
        .map(|t| {
            let live = t.is_live(now);
            (t.name, live)
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("Live Courier".to_string(), true),
            ("Old Courier".to_string(), false)
        ]
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM carrier_tokens WHERE name = 'Live Courier'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    carrier::revoke_token(&app.db, id).await.unwrap();
    let next = json!({"events": [scan("e2", &tn, "in_transit", &at(2))]});
    error_body(
        carrier_post(&app, Some(&live), &next).await,
        401,
        "unauthenticated",
    )
    .await;
    assert!(matches!(
        carrier::revoke_token(&app.db, id).await,
        Err(app::error::AppError::NotFound)
    ));
    let kept: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM tracking_events WHERE carrier_id = $1")
            .bind(id)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(kept, 1, "a revoked carrier's scans stay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_moves_demo_parcels_to_delivery_once_and_never_a_real_customers() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    // At 100,000x the whole route takes a second or two: a minute on, every scan is due.
    let later = app::platform::now_ms() + 60_000;
    let step = || async {
        app::tracking::simulator::step(&app.db, 100_000, later)
            .await
            .unwrap()
    };
    // A customer who signed up: its parcel is not the simulator's to move.
    assert_eq!(step().await, 0);
    let public = public_view(&app, &tn).await;
    assert_eq!(public["status"], "created", "{public}");

    // A demo customer's parcel arrives, and a second step records nothing twice.
    make_demo_customers(&app).await;
    let first = step().await;
    assert!(first >= 6, "{first}");
    assert_eq!(step().await, 0);
    let public = public_view(&app, &tn).await;
    assert_eq!(public["status"], "delivered");
    assert_eq!(public["events"][0]["place"], "Beijing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_courier_reports_positions_on_the_round() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let booked_at: i64 = sqlx::query_scalar("SELECT created_at FROM shipments")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let g = app::platform::gazetteer::Gazetteer::bundled();
    let (from, to) = (
        g.find("CN", "Shanghai").unwrap(),
        g.find("CN", "Beijing").unwrap(),
    );
    let service = app::orders::ServiceLevel::Express;
    let scans = app::tracking::simulator::journey(&tn, service, booked_at, from, to, 100_000);
    let time = |i: usize| {
        scans[i]
            .time
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond()
    };
    let round = scans
        .iter()
        .position(|e| e.status == "out_for_delivery")
        .unwrap();
    let halfway = (time(round) + time(round + 1)) / 2;
    make_demo_customers(&app).await;
    app::tracking::simulator::step(&app.db, 100_000, halfway)
        .await
        .unwrap();
    let verified: Value = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(verified["shipment"]["status"], "out_for_delivery");
    let lat = verified["courier"]["point"]["lat"].as_f64().unwrap();
    assert!(
        lat > to.lat && lat < to.lat + 0.06,
        "between depot and door: {lat}"
    );
}

/// Marks every customer of the test's database as the demo data would.
async fn make_demo_customers(app: &TestApp) {
    let customers: Vec<i64> = sqlx::query_scalar("SELECT id FROM customers")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for id in customers {
        app::accounts::service::mark_demo_customer(&app.db, id)
            .await
            .unwrap();
    }
}
