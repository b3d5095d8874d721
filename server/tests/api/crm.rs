//! The care team's CRM over HTTP: tiers computed from a customer's history that change its
//! prices and SLAs, the retention queue, KPIs equal to hand-computed fixtures, and staff routes
//! closed to customers.

use serde_json::{json, Value};

use crate::after_delivery::{agent, booked, deliver, get, ok_json, post, scan};
use crate::helpers::*;
use crate::shipments::{book, booking, customer};

const MANAGER: &str = "manager@carrier.example";
const DAY_MS: i64 = 86_400_000;

async fn manager(app: &TestApp) -> String {
    app.create_staff(MANAGER, app::accounts::Role::Manager)
        .await;
    app.bearer_for(MANAGER, PASSWORD).await
}

async fn customer_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT customer_id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// A heavy, insured express parcel: about 204 CNY a shipment, so 55 of them in a year are
/// worth a vip's monetary score.
fn heavy(reference: &str) -> Value {
    let mut b = booking(reference);
    b["parcels"] = json!([{"weight_g": 30000, "length_cm": 60, "width_cm": 40, "height_cm": 40,
                           "declared_value": 1_000_000, "contents": "machine parts"}]);
    b
}

/// Books `n` heavy shipments, then sets the clock of each back: the i-th booked
/// `first_days_ago - 2 i` days ago (a shipment every two days).
async fn history(app: &TestApp, token: &str, email: &str, n: i64, first_days_ago: i64) {
    for i in 0..n {
        let key = format!("{email}-{i}");
        assert_eq!(book(app, token, &key, &heavy(&key)).await.status(), 201);
    }
    let cid = customer_id(app, email).await;
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM shipments WHERE customer_id = $1 ORDER BY id")
            .bind(cid)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let now = app::platform::now_ms();
    for (i, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE shipments SET created_at = $1 WHERE id = $2")
            .bind(now - (first_days_ago - 2 * i as i64) * DAY_MS)
            .bind(id)
            .execute(&app.db.pool)
            .await
            .unwrap();
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_403_on_every_staff_route_and_agents_cannot_recompute() {
    let app = spawn_app().await;
    let shipper = customer(&app, "nosy@example.com").await;
    let care = agent(&app).await;
    for path in [
        "/api/v1/customers",
        "/api/v1/segments",
        "/api/v1/retention",
        "/api/v1/kpis",
        "/api/v1/kpis/on_time/items",
    ] {
        error_body(get(&app, path, &shipper).await, 403, "forbidden").await;
        error_body(get_as(&app, path, None).await, 401, "unauthenticated").await;
    }
    for path in ["/api/v1/segments/recompute", "/api/v1/retention/1/outreach"] {
        let body = json!({"outcome": "retained", "note": "x"});
        error_body(post(&app, path, &shipper, &body).await, 403, "forbidden").await;
    }
    error_body(
        post(&app, "/api/v1/segments/recompute", &care, &json!({})).await,
        403,
        "forbidden",
    )
    .await;
    ok_json(get(&app, "/api/v1/segments", &care).await, 200).await;
}

fn kpi<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kpi"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

fn counts(k: &Value) -> (i64, i64, Option<f64>) {
    (
        k["current"]["numerator"].as_i64().unwrap(),
        k["current"]["denominator"].as_i64().unwrap(),
        k["current"]["value"].as_f64(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kpis_equal_a_hand_computed_fixture_and_drill_down_to_their_rows() {
    let app = spawn_app().await;
    let boss = manager(&app).await;
    let care = agent(&app).await;
    let shipper = customer(&app, "kpi@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    // A: delivered on time, two complaints (wrong delivery and delay): counts once.
    // B: damaged on the way, then delivered, with a damage complaint. C: delivered late.
    // D: on its way. E: cancelled, so no shipment at all.
    let [a, b, c, d, e] = [
        booked(&app, &shipper, "A").await,
        booked(&app, &shipper, "B").await,
        booked(&app, &shipper, "C").await,
        booked(&app, &shipper, "D").await,
        booked(&app, &shipper, "E").await,
    ];
    deliver(&app, &carrier, &a, 0).await;
    for s in [
        "picked_up",
        "in_transit",
        "damaged",
        "out_for_delivery",
        "delivered",
    ] {
        scan(&app, &carrier, &b, s).await;
    }
    sqlx::query("UPDATE shipments SET promised_to = '2020-01-01' WHERE tracking_number = $1")
        .bind(&c)
        .execute(&app.db.pool)
        .await
        .unwrap();
    deliver(&app, &carrier, &c, 0).await;
    scan(&app, &carrier, &d, "picked_up").await;
    ok_json(
        post(
            &app,
            &format!("/api/v1/shipments/{e}/cancel"),
            &shipper,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    let complain = |tn: String, category: &'static str| {
        let (app, shipper) = (&app, &shipper);
        async move {
            ok_json(
                post(app, "/api/v1/complaints", shipper,
                     &json!({"tracking_number": tn, "category": category, "description": "Not right."}))
                    .await,
                201,
            )
            .await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let wrong = complain(a.clone(), "wrong_delivery").await;
    complain(a.clone(), "delay").await;
    complain(b.clone(), "damage").await;
    // One complaint resolved: taken up by an agent's answer, then resolved, well within SLA.
    ok_json(
        post(
            &app,
            &format!("/api/v1/complaints/{wrong}/messages"),
            &care,
            &json!({"body": "Looking."}),
        )
        .await,
        200,
    )
    .await;
    ok_json(
        post(
            &app,
            &format!("/api/v1/complaints/{wrong}/resolve"),
            &care,
            &json!({"note": "Redelivered."}),
        )
        .await,
        200,
    )
    .await;
    for (tn, csat, nps) in [(&a, 5, 10), (&b, 2, 3), (&c, 4, 8)] {
        let res = crate::after_delivery::send(
            &app,
            reqwest::Method::PUT,
            &format!("/api/v1/shipments/{tn}/rating"),
            &shipper,
            Some(&json!({"csat": csat, "nps": nps})),
        )
        .await;
        ok_json(res, 200).await;
    }

    let report = ok_json(get(&app, "/api/v1/kpis?period=7d", &boss).await, 200).await;
    assert_eq!(report["period"]["days"], 7);
    assert_eq!(counts(kpi(&report, "order_accuracy")), (3, 4, Some(75.0)));
    assert_eq!(counts(kpi(&report, "complaint_rate")), (2, 4, Some(50.0)));
    assert_eq!(counts(kpi(&report, "exception_rate")), (1, 4, Some(25.0)));
    assert_eq!(counts(kpi(&report, "on_time")), (2, 3, Some(66.67)));
    assert_eq!(counts(kpi(&report, "damage_rate")), (1, 3, Some(33.33)));
    assert_eq!(counts(kpi(&report, "csat")), (2, 3, Some(66.67)));
    assert_eq!(counts(kpi(&report, "csat_mean")), (11, 3, Some(3.67)));
    assert_eq!(counts(kpi(&report, "nps")), (0, 3, Some(0.0)));
    assert_eq!(
        counts(kpi(&report, "resolution_within_sla")),
        (1, 1, Some(100.0))
    );
    assert_eq!(kpi(&report, "resolution_time")["current"]["denominator"], 1);
    // The period before has no data: no value, no verdict; never 0% or NaN.
    let on_time = kpi(&report, "on_time");
    assert!(on_time["previous"]["value"].is_null(), "{on_time}");
    assert_eq!(on_time["verdict"], "unknown");
    // The trend's buckets add up to the card.
    let trend_total: i64 = on_time["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"]["denominator"].as_i64().unwrap())
        .sum();
    assert_eq!(trend_total, 3);
    assert_eq!(on_time["trend"].as_array().unwrap().len(), 7);
    // Industry is a dimension of the report: each industry's KPIs, in `KpiId::ALL`'s order.
    let industry = |name: &str| {
        report["by_industry"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["industry"] == name)
            .cloned()
            .unwrap()
    };
    let on_time_of = |name: &str| {
        let v = industry(name)["values"][0].clone();
        (v["numerator"].as_i64(), v["denominator"].as_i64())
    };
    assert_eq!(report["by_industry"].as_array().unwrap().len(), 4);
    assert_eq!(on_time_of("manufacturing"), (Some(2), Some(3)));
    assert_eq!(on_time_of("retail"), (Some(0), Some(0)));
    assert!(industry("retail")["values"][0]["value"].is_null());

    // A staff agent reads them too; filters narrow them.
    let vip_only = ok_json(
        get(&app, "/api/v1/kpis?period=7d&tier=vip", &care).await,
        200,
    )
    .await;
    assert_eq!(counts(kpi(&vip_only, "on_time")), (0, 0, None));
    let same = ok_json(
        get(
            &app,
            "/api/v1/kpis?period=7d&industry=manufacturing&area=Beijing&service=express",
            &boss,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(counts(kpi(&same, "on_time")), (2, 3, Some(66.67)));

    // Drill-down: the late delivery behind the on-time rate, the complained shipments once each.
    let late = ok_json(
        get(&app, "/api/v1/kpis/on_time/items?period=7d", &boss).await,
        200,
    )
    .await;
    assert_eq!(late["total"], 1, "{late}");
    assert_eq!(late["items"][0]["tracking_number"], c.as_str());
    assert_eq!(late["items"][0]["tier"], "new");
    let complained = ok_json(
        get(&app, "/api/v1/kpis/complaint_rate/items?period=7d", &boss).await,
        200,
    )
    .await;
    assert_eq!(complained["total"], 2, "{complained}");
    let detractors = ok_json(
        get(&app, "/api/v1/kpis/nps/items?period=7d", &boss).await,
        200,
    )
    .await;
    assert_eq!(detractors["items"][0]["tracking_number"], b.as_str());
    let paged = ok_json(
        get(
            &app,
            "/api/v1/kpis/complaint_rate/items?period=7d&per_page=1&page=2",
            &boss,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        (
            paged["total"].as_i64(),
            paged["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    let csv = get(
        &app,
        "/api/v1/kpis/on_time/items?period=7d&format=csv",
        &boss,
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.lines().nth(1).unwrap().contains(&c), "{text}");

    // Bad input is named.
    let bad = error_body(
        get(&app, "/api/v1/kpis?from=2026-03-07&to=2026-03-01", &boss).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(bad["error"]["fields"]["to"].is_string(), "{bad}");
    let bad = error_body(
        get(&app, "/api/v1/kpis?from=2023-01-01&to=2026-01-01", &boss).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(bad["error"]["fields"]["to"].is_string(), "{bad}");
    let bad = error_body(
        get(&app, "/api/v1/kpis?tier=gold", &boss).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(bad["error"]["fields"]["tier"].is_string(), "{bad}");
    let bad = error_body(
        get(&app, "/api/v1/kpis/revenue/items", &boss).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(bad["error"]["fields"]["kpi"].is_string(), "{bad}");

    // The cards above were read from the daily roll-ups, kept by each event's transaction.
    assert_eq!(
        app::kpi_rollup::time_zone_of(&app.db)
            .await
            .unwrap()
            .as_deref(),
        Some("Asia/Shanghai")
    );
    assert_rollups_match_the_raw_tables(&app).await;

    // A reopened complaint is no longer resolved.
    ok_json(
        post(
            &app,
            &format!("/api/v1/complaints/{wrong}/reopen"),
            &shipper,
            &json!({"reason": "It came back."}),
        )
        .await,
        200,
    )
    .await;
    let report = ok_json(get(&app, "/api/v1/kpis?period=7d", &boss).await, 200).await;
    assert_eq!(counts(kpi(&report, "resolution_within_sla")), (0, 0, None));

    // A shipment counts under the tier that priced it: the customer's later tier does not move
    // the shipments it booked before.
    sqlx::query("UPDATE customers SET tier = 'vip' WHERE id = $1")
        .bind(customer_id(&app, "kpi@example.com").await)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let f = booked(&app, &shipper, "F").await;
    scan(&app, &carrier, &f, "picked_up").await;
    let vip = ok_json(
        get(&app, "/api/v1/kpis?period=7d&tier=vip", &boss).await,
        200,
    )
    .await;
    assert_eq!(counts(kpi(&vip, "exception_rate")), (0, 1, Some(0.0)));
    let new = ok_json(
        get(&app, "/api/v1/kpis?period=7d&tier=new", &boss).await,
        200,
    )
    .await;
    assert_eq!(counts(kpi(&new, "exception_rate")), (1, 4, Some(25.0)));
    // Two complaints on one shipment at once: it counts once, whichever commits first.
    tokio::join!(complain(f.clone(), "delay"), complain(f.clone(), "loss"));
    let vip = ok_json(
        get(&app, "/api/v1/kpis?period=7d&tier=vip", &boss).await,
        200,
    )
    .await;
    assert_eq!(counts(kpi(&vip, "complaint_rate")), (1, 1, Some(100.0)));
    assert_rollups_match_the_raw_tables(&app).await;
}

/// Every report the roll-ups answer equals the raw tables' count, and the roll-ups kept event
/// by event equal a recount from scratch.
async fn assert_rollups_match_the_raw_tables(app: &TestApp) {
    use app::crm::kpi_service::{self, Source};
    const TZ: &str = "Asia/Shanghai";
    let zone = jiff::tz::TimeZone::get(TZ).unwrap();
    // One customer's figures (its 360) come from the per-customer roll-ups.
    let customer = customer_id(app, "kpi@example.com").await.to_string();
    for pairs in [
        vec![("period", "7d"), ("customer", customer.as_str())],
        vec![
            ("period", "7d"),
            ("customer", customer.as_str()),
            ("service", "express"),
        ],
        vec![("period", "7d")],
        vec![("period", "30d"), ("bucket", "week")],
        vec![("period", "7d"), ("tier", "new"), ("service", "express")],
        vec![
            ("period", "7d"),
            ("tier", "vip"),
            ("industry", "manufacturing"),
        ],
        vec![("period", "7d"), ("service", "standard")],
    ] {
        let mut q = app::crm::kpis::KpiQuery::default();
        for (k, v) in pairs.iter().copied() {
            let v = Some(v.to_string());
            match k {
                "period" => q.period = v,
                "bucket" => q.bucket = v,
                "tier" => q.tier = v,
                "industry" => q.industry = v,
                "service" => q.service = v,
                "customer" => q.customer = v,
                _ => unreachable!(),
            }
        }
        let w = kpi_service::parse_query(&q, &zone, app::platform::now_ms()).unwrap();
        let rolled = kpi_service::report_from(&app.db, &w, TZ, Source::Best)
            .await
            .unwrap();
        let raw = kpi_service::report_from(&app.db, &w, TZ, Source::Raw)
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&rolled).unwrap(),
            serde_json::to_value(&raw).unwrap(),
            "{pairs:?}"
        );
        // A drill-down's total is the card's count, and the raw tables' count of its rows.
        for kpi in app::crm::kpis::KpiId::ALL {
            let total = |source| {
                let w = &w;
                async move {
                    kpi_service::drill_from(&app.db, w, kpi, (1, 50), TZ, source)
                        .await
                        .unwrap()
                        .total
                }
            };
            assert_eq!(
                total(Source::Best).await,
                total(Source::Raw).await,
                "{kpi:?} {pairs:?}"
            );
        }
    }
    let stored = || async {
        use sqlx::Row;
        let measures = app::kpi_rollup::MEASURES.join(", ");
        let mut tables = Vec::new();
        for (table, key) in [
            (
                "kpi_daily",
                "CAST(0 AS BIGINT), day, tier, industry, service",
            ),
            (
                "kpi_customer_daily",
                "customer_id, day, tier, industry, service",
            ),
        ] {
            let sql = format!("SELECT {key}, {measures} FROM {table} ORDER BY {key}");
            let rows = sqlx::query(&sql).fetch_all(&app.db.pool).await.unwrap();
            tables.push(
                rows.iter()
                    .map(|r| {
                        let key: (i64, i64, String, String, String) = (
                            r.get(0),
                            r.get(1),
                            r.get::<String, _>(2),
                            r.get::<String, _>(3),
                            r.get::<String, _>(4),
                        );
                        let values: Vec<i64> = (5..5 + app::kpi_rollup::MEASURES.len())
                            .map(|i| r.get::<i64, _>(i))
                            .collect();
                        (key, values)
                    })
                    // Rows an event emptied again (a booking then its cancellation) count
                    // nothing.
                    .filter(|(_, v)| v.iter().any(|&x| x != 0))
                    .collect::<Vec<_>>(),
            );
        }
        tables
    };
    let kept = stored().await;
    assert!(
        kept.iter().all(|t| !t.is_empty()),
        "the roll-ups hold the events"
    );
    app::kpi_rollup::rebuild(&app.db, TZ).await.unwrap();
    assert_eq!(stored().await, kept);
}

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
