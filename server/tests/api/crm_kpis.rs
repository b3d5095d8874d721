//! KPIs over HTTP: equal to a hand-computed fixture, filtered, drilled down to their rows and
//! exported; and the daily roll-ups they are read from equal the raw tables and a recount.

use serde_json::{json, Value};

use crate::after_delivery::{agent, booked, deliver, get, ok_json, post, scan};
use crate::crm::{customer_id, manager};
use crate::helpers::*;
use crate::shipments::customer;

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
