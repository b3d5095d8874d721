//! Tracking by number, for anyone: the public view hides the recipient, the note, the window
//! and the pickup point until the proof; wrong proofs and look-ups are rate limited; the track
//! box answers several numbers at once; and the recipient moves the delivery with the proof.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};
use crate::tracking::{
    at, booked, carrier_post, html, location, next_data, open_stream, public_view, scan,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_view_hides_the_recipient_until_the_proof_and_limits_guesses() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    error_body(
        get_as(&app, "/api/v1/track/RR473124829FR", None).await,
        404,
        "not_found",
    )
    .await;

    let public: Value = get_as(&app, &format!("/api/v1/track/{tn}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(public["status"], "created");
    assert_eq!(public["destination_city"], "Beijing");
    let text = public.to_string();
    for secret in ["李雷", "13800138000", "Xinhua", "100080"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    // Right proof: postcode, or the phone's last digits.
    for proof in ["100080", "8000"] {
        let res = get_as(&app, &format!("/api/v1/track/{tn}?verify={proof}"), None).await;
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["recipient_name"], "李雷");
        assert!(view["address"].as_str().unwrap().contains("9 Xinhua Road"));
    }
    // An unknown number with a proof is refused like a wrong proof.
    let res = get_as(&app, "/api/v1/track/RR473124829FR?verify=100080", None).await;
    error_body(res, 422, "validation_failed").await;
    for _ in 0..4 {
        let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=999999"), None).await;
        let body = error_body(res, 422, "validation_failed").await;
        assert!(body["error"]["fields"]["proof"].is_string());
    }
    // Five wrong guesses for this parcel: even the right one waits now.
    let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=999999"), None).await;
    error_body(res, 422, "validation_failed").await;
    let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None).await;
    error_body(res, 429, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_wrong_proofs_gets_no_more_answers_than_the_limit() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..50 {
        let url = app.url(&format!("/api/v1/track/{tn}?verify={}", 200_000 + i));
        guesses.spawn(async move { client().get(url).send().await.unwrap().status().as_u16() });
    }
    let statuses = guesses.join_all().await;
    let answered: Vec<u16> = statuses.iter().copied().filter(|&s| s != 429).collect();
    // Five wrong answers at most, every one of them a refusal of the proof.
    assert!(!answered.is_empty() && answered.len() <= 5, "{statuses:?}");
    assert!(answered.iter().all(|&s| s == 422), "{statuses:?}");
    // The right proof waits for the window too.
    let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None).await;
    error_body(res, 429, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_proof_is_not_counted_against_the_limit() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    for _ in 0..10 {
        let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None).await;
        assert_eq!(res.status(), 200);
    }
    for _ in 0..5 {
        let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=999999"), None).await;
        assert_eq!(res.status(), 422);
    }
    let res = get_as(&app, &format!("/api/v1/track/{tn}?verify=999999"), None).await;
    error_body(res, 429, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_look_ups_are_rate_limited_per_client_address() {
    let app = spawn_app_with(|s| s.track_lookup_limit = 6).await;
    let tn = booked(&app).await;
    // Page, API, stream and track box all count: two of each is the limit of six here.
    for path in [format!("/track/{tn}"), format!("/api/v1/track/{tn}")] {
        for _ in 0..2 {
            assert_eq!(get_as(&app, &path, None).await.status(), 200, "{path}");
        }
    }
    let stream = open_stream(&app, &tn).await;
    assert_eq!(stream.status(), 200);
    drop(stream);
    let many = app
        .post_json("/rpc/tracking/many", &json!({"numbers": ["CP000000000CN"]}))
        .await;
    assert_eq!(many.status(), 200);
    // Harvesting numbers stops here, known or not.
    let res = get_as(&app, "/api/v1/track/CP123456785CN", None).await;
    error_body(res, 429, "rate_limited").await;
    let res = get_as(&app, &format!("/api/v1/track/{tn}"), None).await;
    error_body(res, 429, "rate_limited").await;
    let page = get_as(&app, &format!("/track/{tn}"), None).await;
    assert!(!page
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"track-status\""));
    // Another address (a trusted proxy's hop) still gets its answer.
    let other = spawn_app_with(|s| {
        s.track_lookup_limit = 1;
        s.trust_proxy = true;
    })
    .await;
    let tn = booked(&other).await;
    let from = |ip: &'static str| {
        client()
            .get(other.url(&format!("/api/v1/track/{tn}")))
            .header("X-Forwarded-For", ip)
            .send()
    };
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(from("198.51.100.2").await.unwrap().status(), 200);
}

/// The public view, the track box and the live stream carry no event note, no window's times
/// and no pickup point; the recipient's view, by proof or by grant, carries them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_the_proof_no_note_window_or_pickup_point_is_sent() {
    let app = spawn_app().await;
    beijing_windows_and_a_pickup_point(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let list: Value = get_as(
        &app,
        "/api/v1/slots?postcode=100080&days=14",
        Some(&shipper),
    )
    .await
    .json()
    .await
    .unwrap();
    let slot = list["slots"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["bookable"] == true)
        .expect("a bookable window")
        .clone();
    let day = slot["day"].as_str().unwrap().to_string();
    let mut scheduled = booking("PO-W");
    scheduled["service"] = json!("scheduled");
    scheduled["delivery_slot_id"] = slot["id"].clone();
    let res = book(&app, &shipper, "k-w", &scheduled).await;
    assert_eq!(res.status(), 201);
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Test Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let mut noted = scan("n-1", &tn, "picked_up", &at(1));
    noted["note"] = json!("Handed over by Mr Wang, flat 1203");
    let res = carrier_post(&app, Some(&carrier), &json!({"events": [noted]})).await;
    assert_eq!(res.json::<Value>().await.unwrap()["recorded"], 1);

    // The API: the day, the scan's status and place, nothing else of either.
    let note = "Mr Wang";
    let public = public_view(&app, &tn).await;
    let text = public.to_string();
    for hidden in [note, "13:10", "15:50", "local_start"] {
        assert!(!text.contains(hidden), "{hidden} sent: {text}");
    }
    assert!(public.get("delivery_slot").is_none(), "{public}");
    assert!(public.get("pickup_point").is_none(), "{public}");
    assert_eq!(
        (
            public["promised_from"].as_str(),
            public["promised_to"].as_str()
        ),
        (Some(day.as_str()), Some(day.as_str()))
    );
    assert_eq!(public["events"][0]["status"], "picked_up");
    assert_eq!(public["events"][0]["place"], "Shanghai hub");
    assert!(public["events"][0]["note"].is_null());

    // The page: the day, and what the proof would show.
    let page = format!("/track/{tn}");
    let recipient = client();
    let first = html(&recipient, &app, &page).await;
    assert!(
        !first.contains(note) && !first.contains("13:10–15:50"),
        "{first}"
    );
    // The window is the last day offered: nothing else on the page falls on it.
    assert!(first.contains(&day), "{first}");
    assert!(first.contains("data-testid=\"proof-reveals\""));

    // The API with the proof: all of it.
    let view: Value = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["shipment"]["delivery_slot"]["local_start"], "13:10");
    assert_eq!(view["shipment"]["delivery_slot"]["local_end"], "15:50");
    assert!(view["shipment"]["events"][0]["note"]
        .as_str()
        .unwrap()
        .contains(note));

    // The page with a grant: the window and the note.
    let res = recipient
        .post(app.url(&format!("{page}/proof")))
        .form(&[("proof", "100080")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), page);
    let opened = html(&recipient, &app, &page).await;
    assert!(
        opened.contains("13:10–15:50") && opened.contains(note),
        "{opened}"
    );
    assert!(!opened.contains("data-testid=\"proof-reveals\""));

    // Moved to a pickup point: its name is the recipient's to see, and the live stream, which
    // anyone may open, says something changed without the change's note.
    let mut stream = open_stream(&app, &tn).await;
    let res = recipient
        .post(app.url(&format!("{page}/delivery")))
        .form(&[("to", "pickup_point"), ("pickup_point", "Haidian locker 7")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), format!("{page}?changed=1"));
    let live = next_data(&mut stream).await;
    assert_eq!(live["status"], "picked_up");
    assert!(live["note"].is_null(), "{live}");
    let mut noted = scan("n-2", &tn, "in_transit", &at(2));
    noted["note"] = json!("Call Mr Wang first");
    carrier_post(&app, Some(&carrier), &json!({"events": [noted]})).await;
    let live = next_data(&mut stream).await;
    assert_eq!(live["status"], "in_transit");
    assert!(live["note"].is_null(), "{live}");
    // A reconnecting stream's catch-up: booked, the two scans and the change, no note.
    let mut again = client()
        .get(app.url(&format!("/api/v1/track/{tn}/stream")))
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    let mut caught_up = String::new();
    while caught_up.matches("data:").count() < 4 {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), again.chunk())
            .await
            .expect("the catch-up within 10 s")
            .unwrap()
            .expect("the stream stays open");
        caught_up.push_str(&String::from_utf8_lossy(&chunk));
    }
    for hidden in [note, "Haidian", "slot:"] {
        assert!(!caught_up.contains(hidden), "{hidden} sent: {caught_up}");
    }

    let public = public_view(&app, &tn).await;
    let text = public.to_string();
    for hidden in [note, "Haidian", "pickup_point"] {
        assert!(!text.contains(hidden), "{hidden} sent: {text}");
    }
    // The change itself is no scan: left out of the public history.
    let statuses: Vec<&str> = public["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["in_transit", "picked_up", "created"]);
    let many: Value = app
        .post_json("/rpc/tracking/many", &json!({"numbers": [tn]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(many[0]["tracking_number"], tn.as_str());
    let text = many.to_string();
    for hidden in [note, "Haidian", "13:10", "pickup_point"] {
        assert!(!text.contains(hidden), "{hidden} sent: {text}");
    }
    let elsewhere = html(&client(), &app, &page).await;
    assert!(
        !elsewhere.contains(note) && !elsewhere.contains("Haidian"),
        "{elsewhere}"
    );
    let opened = html(&recipient, &app, &page).await;
    assert!(opened.contains("Collect at: Haidian locker 7"), "{opened}");
    let view: Value = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["shipment"]["pickup_point"], "Haidian locker 7");
}

/// The track box through the API: each number's public view in order, `null` for one nobody
/// booked, nothing of the recipient; at most 20 numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_parcels_are_tracked_at_once_through_the_api() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let res = app
        .post_json(
            "/api/v1/track",
            &json!({"numbers": [tn, "CP123456785CN", "not a number"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let many: Value = res.json().await.unwrap();
    assert_eq!(many[0]["tracking_number"], tn.as_str());
    assert_eq!(many[0]["status"], "created");
    assert!(many[1].is_null() && many[2].is_null(), "{many}");
    let text = many.to_string();
    for secret in ["李雷", "13800138000", "Xinhua", "100080"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let numbers = vec![tn; 21];
    let res = app
        .post_json("/api/v1/track", &json!({ "numbers": numbers }))
        .await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["numbers"].is_string(), "{body}");
}

/// The recipient moves the delivery through the API with the proof, as the tracking page does
/// with its form: a wrong proof or an unknown number changes nothing and is refused alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_moves_the_delivery_through_the_api_with_the_proof() {
    let app = spawn_app().await;
    beijing_windows_and_a_pickup_point(&app).await;
    let tn = booked(&app).await;
    let path = format!("/api/v1/track/{tn}/delivery");
    let to_point = |verify: &str| json!({"verify": verify, "pickup_point": "Haidian locker 7"});

    let res = app.post_json(&path, &to_point("999999")).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["proof"].is_string(), "{body}");
    let res = app
        .post_json("/api/v1/track/RR473124829FR/delivery", &to_point("100080"))
        .await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["proof"].is_string(), "{body}");
    let res = app.post_json(&path, &json!({"verify": "100080"})).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["slot_id"].is_string(), "{body}");
    let view: Value = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(view["shipment"].get("pickup_point").is_none(), "{view}");

    // The right proof: to the pickup point, then to a window of the recipient's view.
    let res = app.post_json(&path, &to_point("100080")).await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["shipment"]["pickup_point"], "Haidian locker 7");
    assert_eq!(view["recipient_name"], "李雷");
    let slot = view["slots"]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["bookable"] == true)
        .expect("a bookable window")["id"]
        .clone();
    let res = app
        .post_json(&path, &json!({"verify": "8000", "slot_id": slot}))
        .await;
    assert_eq!(res.status(), 200);
    let view: Value = res.json().await.unwrap();
    assert_eq!(view["shipment"]["delivery_slot"]["id"], slot);
    assert!(view["shipment"].get("pickup_point").is_none(), "{view}");
    // The public still sees neither.
    let public = public_view(&app, &tn).await;
    assert!(public.get("delivery_slot").is_none(), "{public}");
}

/// A manager's Beijing area: one afternoon window a day and the Haidian locker.
async fn beijing_windows_and_a_pickup_point(app: &TestApp) {
    app.create_staff("manager@carrier.example", app::accounts::Role::Manager)
        .await;
    let manager = app.bearer_for("manager@carrier.example", PASSWORD).await;
    let template = json!({
        "area": "beijing", "name": "Beijing", "country": "CN", "time_zone": "Asia/Shanghai",
        "cities": ["Beijing"], "postcode_prefixes": ["10"], "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "windows": [{"start": "13:10", "end": "15:50"}], "capacity": 5,
        "cutoff_days_before": 1, "cutoff_time": "18:00", "days_ahead": 14, "holidays": [],
        "pickup_points": ["Haidian locker 7"]
    });
    let res = client()
        .post(app.url("/api/v1/slot-templates"))
        .bearer_auth(&manager)
        .json(&template)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}
