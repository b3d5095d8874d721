use serde_json::{json, Value};

use crate::helpers::*;
use crate::shipments::{book, booking, customer};

async fn carrier_post(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = client().post(app.url("/api/v1/carrier/events")).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// RFC 3339, `minutes` after now (negative: before).
fn at(minutes: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes)).to_string()
}

fn scan(id: &str, tn: &str, status: &str, time: &str) -> Value {
    json!({"event_id": id, "tracking_number": tn, "status": status, "time": time,
           "place": "Shanghai hub", "lat": 31.23, "lng": 121.47})
}

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

/// The `data` of the next server-sent event on an open stream.
async fn next_data(res: &mut reqwest::Response) -> Value {
    let mut buf = String::new();
    loop {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), res.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(line) = buf.lines().find(|l| l.starts_with("data:")) {
            return serde_json::from_str(line["data:".len()..].trim()).unwrap();
        }
    }
}

async fn booked(app: &TestApp) -> String {
    let shipper = customer(app, "shipper@example.com").await;
    let res = book(app, &shipper, "k1", &booking("PO-1")).await;
    res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn open_stream(app: &TestApp, tn: &str) -> reqwest::Response {
    let res = client()
        .get(app.url(&format!("/api/v1/track/{tn}/stream")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    res
}

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

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn html(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let res = client
        .get(app.url(path))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracking_page_works_as_plain_forms_without_any_wasm() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let page = format!("/track/{tn}");
    let recipient = client();

    // Served whole, with the small script and no app wasm.
    let first = html(&recipient, &app, &page).await;
    assert!(first.contains("data-testid=\"track-status\""), "{first}");
    assert!(first.contains("track.js"));
    assert!(
        !first.contains(".wasm") && !first.contains("modulepreload"),
        "no wasm, JS glue or preload of it"
    );
    assert!(!first.contains("李雷"), "nobody named before the proof");
    assert!(first.contains(&format!("action=\"/track/{tn}/proof\"")));

    // A wrong proof comes back to the page, which says why next to the field.
    let res = recipient
        .post(app.url(&format!("{page}/proof")))
        .form(&[("proof", "999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("{page}?error=proof_wrong&field=proof")
    );
    assert!(set_cookie_headers(res.headers()).is_empty());
    let refused = html(&recipient, &app, &location(&res)).await;
    assert!(
        refused.contains("That does not match the recipient&#x27;s postcode or phone number.")
            || refused.contains("That does not match the recipient's postcode or phone number.")
    );
    assert!(!refused.contains("李雷"));

    // The right one: a grant for this parcel's page only, which scripts cannot read.
    let res = recipient
        .post(app.url(&format!("{page}/proof")))
        .form(&[("proof", "100080")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), page);
    let cookie = set_cookie_headers(res.headers()).join("\n");
    assert!(cookie.starts_with("pp_recipient="), "{cookie}");
    assert!(cookie.contains(&format!("Path={page};")) && cookie.contains("HttpOnly"));
    let opened = html(&recipient, &app, &page).await;
    assert!(opened.contains("李雷") && opened.contains("9 Xinhua Road"));
    // No delivery windows in this test's Beijing: said so, not offered.
    assert!(opened.contains("data-testid=\"cannot-change\""));
    assert!(
        !html(&client(), &app, &page).await.contains("李雷"),
        "another device still sees the public page"
    );
    let cache = |res: reqwest::Response| res.headers()["cache-control"].clone();
    let verified = recipient.get(app.url(&page)).send().await.unwrap();
    assert_eq!(cache(verified), "no-store", "kept by no cache");
    let public = client().get(app.url(&page)).send().await.unwrap();
    assert_eq!(cache(public), "no-cache");

    // The grant is worth nothing for another parcel.
    let other = {
        let shipper = app.bearer_for("shipper@example.com", PASSWORD).await;
        let res = book(&app, &shipper, "k2", &booking("PO-2")).await;
        res.json::<Value>().await.unwrap()["tracking_number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let grant = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("pp_recipient=")
        .to_string();
    let res = client()
        .post(app.url(&format!("/track/{other}/delivery")))
        .header("Cookie", format!("pp_recipient={grant}"))
        .form(&[("to", "pickup_point"), ("pickup_point", "Anywhere")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        format!("/track/{other}"),
        "sent back to prove it"
    );

    // A grant altered in any way is no grant.
    let (expires, signature) = grant.split_once('.').unwrap();
    let later = expires.parse::<i64>().unwrap() + 3_600_000;
    for forged in [
        format!("{later}.{signature}"),
        format!("{expires}.{}", "0".repeat(64)),
    ] {
        let res = client()
            .get(app.url(&page))
            .header("Cookie", format!("pp_recipient={forged}"))
            .send()
            .await
            .unwrap();
        assert!(!res.text().await.unwrap().contains("李雷"), "{forged}");
    }
    // Another site cannot post the forms with the visitor's grant.
    let res = recipient
        .post(app.url(&format!("{page}/delivery")))
        .header("Origin", "https://evil.example")
        .form(&[("to", "pickup_point"), ("pickup_point", "Anywhere")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Nothing chosen: refused next to the choice, nothing changed.
    let res = recipient
        .post(app.url(&format!("{page}/delivery")))
        .form(&[("to", "window")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        format!("{page}?error=nothing_chosen&field=slot_id")
    );
    // An unknown number is a 404, never a redirect built from it.
    let res = recipient
        .post(app.url("/track/not-a-number/proof"))
        .form(&[("proof", "100080")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_buttons_work_as_a_form_and_only_lead_back_to_this_site() {
    let app = spawn_app().await;
    let browser = client();
    let res = browser
        .post(app.url("/locale"))
        .form(&[("locale", "zh-CN"), ("back", "/track?q=RR473124829FR")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/track?q=RR473124829FR");
    assert!(set_cookie_headers(res.headers())
        .join("\n")
        .starts_with("pp_lang=zh-CN;"));
    assert!(html(&browser, &app, "/").await.contains("我的包裹在哪里？"));
    for away in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil",
    ] {
        let res = browser
            .post(app.url("/locale"))
            .form(&[("locale", "en"), ("back", away)])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/", "{away:?}");
    }
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

/// The parcel as anyone with its number sees it, through the API.
async fn public_view(app: &TestApp, tn: &str) -> Value {
    get_as(app, &format!("/api/v1/track/{tn}"), None)
        .await
        .json()
        .await
        .unwrap()
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
