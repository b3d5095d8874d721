use serde_json::{json, Value};

use crate::helpers::*;

pub fn booking(reference: &str) -> Value {
    json!({
        "sender": {"name": "Alice Chen", "company": "Acme", "phone": "+86 21 5555 0000",
                   "line1": "1 Factory Road", "city": "Shanghai", "postcode": "200000", "country": "CN"},
        "recipient": {"name": "李雷", "phone": "13800138000", "line1": "9 Xinhua Road",
                      "city": "Beijing", "postcode": "100080", "country": "CN"},
        "parcels": [
            {"weight_g": 2000, "length_cm": 30, "width_cm": 20, "height_cm": 10,
             "declared_value": 50000, "contents": "lamp"},
            {"weight_g": 500, "length_cm": 20, "width_cm": 15, "height_cm": 5, "contents": "books"}
        ],
        "service": "express",
        "insure": true,
        "reference": reference
    })
}

/// Signs up a customer and returns its bearer token.
pub async fn customer(app: &TestApp, email: &str) -> String {
    assert_eq!(app.sign_up(email).await.status(), 201);
    app.bearer_for(email, PASSWORD).await
}

pub async fn book(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    client()
        .post(app.url("/api/v1/shipments"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn post_as(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    client()
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_is_numbered_priced_and_listed() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let res = book(&app, &token, "k-1", &booking("PO-1001")).await;
    assert_eq!(res.status(), 201);
    let shipment: Value = res.json().await.unwrap();
    let tn = shipment["tracking_number"].as_str().unwrap();
    assert!(app::domain::TrackingNumber::parse(tn).is_ok(), "{tn}");
    assert!(tn.starts_with("EP") && tn.ends_with("CN"), "{tn}");
    assert_eq!(shipment["status"], "created");
    assert_eq!(shipment["service"], "express");
    assert_eq!(shipment["reference"], "PO-1001");
    assert_eq!(shipment["parcels"].as_array().unwrap().len(), 2);
    let lines = shipment["price_lines"].as_array().unwrap();
    let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(shipment["total"].as_i64().unwrap(), sum);
    assert!(sum > 0);
    assert_eq!(shipment["events"][0]["status"], "created");

    // The booked price is the express quote for the same shipment.
    let quote: Value = client()
        .post(app.url("/api/v1/quotes"))
        .bearer_auth(&token)
        .json(&booking("PO-1001"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let express = quote["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["service"] == "express")
        .unwrap();
    assert_eq!(express["total"], shipment["total"]);

    let detail: Value = get_as(&app, &format!("/api/v1/shipments/{tn}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail, shipment);
    // Typed loosely (lower case, spaces), the number still finds it.
    let loose = tn.to_lowercase();
    let loose = format!("{} {}", &loose[..2], &loose[2..]);
    let page: Value = get_as(
        &app,
        &format!("/api/v1/shipments?q={}", loose.replace(' ', "%20")),
        Some(&token),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page["shipments"][0]["tracking_number"], tn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bookings_name_every_field() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let mut body = booking(&"x".repeat(101));
    body["recipient"]["postcode"] = json!("12");
    body["parcels"][1]["weight_g"] = json!(0);
    let res = book(&app, &token, "k-1", &body).await;
    let err = error_body(res, 422, "validation_failed").await;
    let fields = err["error"]["fields"].as_object().unwrap();
    for f in ["recipient.postcode", "parcels[1].weight_g", "reference"] {
        assert!(fields.contains_key(f), "{f}: {err}");
    }
    // Nothing was booked, and the key is free for the corrected request.
    let page: Value = get_as(&app, "/api/v1/shipments", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 0);
    assert_eq!(
        book(&app, &token, "k-1", &booking("ok")).await.status(),
        201
    );
    let res = client()
        .post(app.url("/api/v1/shipments"))
        .bearer_auth(&token)
        .json(&booking("no key"))
        .send()
        .await
        .unwrap();
    let err = error_body(res, 422, "validation_failed").await;
    assert!(err["error"]["fields"]["Idempotency-Key"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_booking_never_books_twice() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let first: Value = book(&app, &token, "retry-1", &booking("A"))
        .await
        .json()
        .await
        .unwrap();
    let again = book(&app, &token, "retry-1", &booking("A")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["tracking_number"], first["tracking_number"]);

    let other = book(&app, &token, "retry-1", &booking("B")).await;
    error_body(other, 422, "validation_failed").await;

    // Another customer may use the same key for its own booking.
    let token_b = customer(&app, "bob@example.com").await;
    let theirs: Value = book(&app, &token_b, "retry-1", &booking("A"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(theirs["tracking_number"], first["tracking_number"]);

    // Concurrent retries of one new request: one shipment; the others get it or a 409.
    let attempts = (0..8).map(|_| {
        let (app_url, token) = (app.url("/api/v1/shipments"), token.clone());
        tokio::spawn(async move {
            client()
                .post(app_url)
                .bearer_auth(token)
                .header("Idempotency-Key", "burst")
                .json(&booking("C"))
                .send()
                .await
                .unwrap()
        })
    });
    let mut numbers = std::collections::HashSet::new();
    let mut in_progress = 0;
    for a in attempts {
        let res = a.await.unwrap();
        match res.status().as_u16() {
            201 => {
                let v: Value = res.json().await.unwrap();
                numbers.insert(v["tracking_number"].as_str().unwrap().to_string());
            }
            409 => {
                let body = error_body(res, 409, "request_in_progress").await;
                assert!(body["error"]["fields"]["Idempotency-Key"].is_string());
                in_progress += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(numbers.len(), 1, "{numbers:?} ({in_progress} refused)");
    let page: Value = get_as(&app, "/api/v1/shipments?q=c", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let with_reference_c = page["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["reference"] == "C")
        .count();
    assert_eq!(with_reference_c, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_shipment_is_not_found_on_every_route() {
    let app = spawn_app().await;
    let owner = customer(&app, "ada@example.com").await;
    let other = customer(&app, "eve@example.com").await;
    let shipment: Value = book(&app, &owner, "k", &booking("secret-ref"))
        .await
        .json()
        .await
        .unwrap();
    let tn = shipment["tracking_number"].as_str().unwrap();
    for path in [
        format!("/api/v1/shipments/{tn}"),
        format!("/api/v1/shipments/{tn}/label.pdf"),
    ] {
        let res = get_as(&app, &path, Some(&other)).await;
        let body = error_body(res, 404, "not_found").await;
        assert!(!body.to_string().contains("secret-ref"));
    }
    let res = post_as(&app, &format!("/api/v1/shipments/{tn}/cancel"), &other).await;
    error_body(res, 404, "not_found").await;
    let page: Value = get_as(&app, "/api/v1/shipments", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 0);
    let page: Value = get_as(&app, &format!("/api/v1/shipments?q={tn}"), Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 0);
    // Still there for its owner, untouched; and nobody unauthenticated gets in.
    let mine: Value = get_as(&app, &format!("/api/v1/shipments/{tn}"), Some(&owner))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["status"], "created");
    let res = get_as(&app, &format!("/api/v1/shipments/{tn}"), None).await;
    error_body(res, 401, "unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_shipment_not_yet_picked_up_can_be_cancelled() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let a: Value = book(&app, &token, "a", &booking("A"))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = book(&app, &token, "b", &booking("B"))
        .await
        .json()
        .await
        .unwrap();
    let (a, b) = (
        a["tracking_number"].as_str().unwrap(),
        b["tracking_number"].as_str().unwrap(),
    );
    let res = post_as(&app, &format!("/api/v1/shipments/{a}/cancel"), &token).await;
    assert_eq!(res.status(), 200);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["events"][0]["status"], "cancelled");
    // Twice is refused, with the reason.
    let res = post_as(&app, &format!("/api/v1/shipments/{a}/cancel"), &token).await;
    let body = error_body(res, 409, "not_cancellable").await;
    assert!(body["error"]["fields"]["status"].is_string());

    // Once the carrier has it, it stays booked.
    sqlx::query("UPDATE shipments SET status = 'picked_up' WHERE tracking_number = $1")
        .bind(b)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let res = post_as(&app, &format!("/api/v1/shipments/{b}/cancel"), &token).await;
    error_body(res, 409, "not_cancellable").await;

    let page: Value = get_as(&app, "/api/v1/shipments?status=cancelled", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<&str> = page["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tracking_number"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [a]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_filters_searches_and_pages_without_gaps() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let mut booked = Vec::new();
    for i in 0..7 {
        let mut body = booking(&format!("ORDER-{i}"));
        if i % 2 == 0 {
            body["service"] = json!("standard");
        }
        let v: Value = book(&app, &token, &format!("k{i}"), &body)
            .await
            .json()
            .await
            .unwrap();
        booked.push(v["tracking_number"].as_str().unwrap().to_string());
    }
    // Pages of 3, newest first, follow the cursor to the end.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = get_as(
            &app,
            &format!("/api/v1/shipments?limit=3&cursor={cursor}"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
        for s in page["shipments"].as_array().unwrap() {
            seen.push(s["tracking_number"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let newest_first: Vec<String> = booked.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let page: Value = get_as(
        &app,
        "/api/v1/shipments?service=standard&sort=oldest",
        Some(&token),
    )
    .await
    .json()
    .await
    .unwrap();
    let refs: Vec<&str> = page["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["ORDER-0", "ORDER-2", "ORDER-4", "ORDER-6"]);
    // Search matches the reference, the recipient's name, case-insensitively; % is literal.
    for (q, n) in [("order-5", 1), ("李雷", 7), ("BEIJING", 7), ("%", 0)] {
        let page: Value = get_as(
            &app,
            &format!("/api/v1/shipments?q={}", urlencode(q)),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(page["shipments"].as_array().unwrap().len(), n, "q={q}");
    }
    let today = app::ui::format_date(app::platform::now_ms());
    let page: Value = get_as(
        &app,
        &format!("/api/v1/shipments?from={today}&to={today}"),
        Some(&token),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 7);
    let page: Value = get_as(&app, "/api/v1/shipments?to=2000-01-01", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 0);

    let res = get_as(
        &app,
        "/api/v1/shipments?status=teleported&from=yesterday&limit=500",
        Some(&token),
    )
    .await;
    let body = error_body(res, 422, "validation_failed").await;
    for f in ["status", "from", "limit"] {
        assert!(body["error"]["fields"][f].is_string(), "{f}: {body}");
    }
    let res = get_as(&app, "/api/v1/shipments?sort=sideways", Some(&token)).await;
    assert_eq!(res.status(), 422);
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_label_is_a_pdf_for_its_owner_only() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let shipment: Value = book(&app, &token, "k", &booking("PO-7"))
        .await
        .json()
        .await
        .unwrap();
    let tn = shipment["tracking_number"].as_str().unwrap();
    let res = get_as(
        &app,
        &format!("/api/v1/shipments/{tn}/label.pdf"),
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("label-{tn}.pdf")));
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    // Two parcels, two pages; the reference is printed.
    assert_eq!(
        text.matches("/Type /Page").count() - text.matches("/Type /Pages").count(),
        2
    );
    assert!(text.contains("Ref PO-7"));
    if let Ok(dir) = std::env::var("LABEL_SAMPLE_DIR") {
        std::fs::write(format!("{dir}/label.pdf"), &pdf).unwrap();
    }

    post_as_ok(&app, &format!("/api/v1/shipments/{tn}/cancel"), &token).await;
    let res = get_as(
        &app,
        &format!("/api/v1/shipments/{tn}/label.pdf"),
        Some(&token),
    )
    .await;
    error_body(res, 409, "cancelled").await;
}

async fn post_as_ok(app: &TestApp, path: &str, token: &str) {
    assert_eq!(post_as(app, path, token).await.status(), 200);
}

async fn import(
    app: &TestApp,
    token: &str,
    csv: &str,
    query: &str,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = client()
        .post(app.url(&format!("/api/v1/shipments/import{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .header("accept-language", "zh-CN");
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.body(csv.to_string()).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_books_the_good_rows_and_names_the_bad_ones() {
    let app = spawn_app().await;
    let token = customer(&app, "ada@example.com").await;
    let template = get_as(&app, "/api/v1/shipments/import/template.csv", None)
        .await
        .text()
        .await
        .unwrap();
    let mut lines = template.lines();
    let header = lines.next().unwrap().trim_start_matches('\u{feff}');
    let example = lines.next().unwrap();
    let bad = example.replace(",100080,", ",ABC,");
    let second = example.replace("PO-1001", "PO-1002");
    let csv = format!("\u{feff}{header}\r\n{example}\r\n{bad}\r\n{second}\r\n");

    // A dry run books nothing.
    let preview: Value = import(&app, &token, &csv, "?dry_run=true", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (preview["valid"].as_u64(), preview["invalid"].as_u64()),
        (Some(2), Some(1))
    );
    let page: Value = get_as(&app, "/api/v1/shipments", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 0);

    let res = import(&app, &token, &csv, "", Some("batch-1")).await;
    assert_eq!(res.status(), 200);
    let result: Value = res.json().await.unwrap();
    assert_eq!(result["booked"], 2, "{result}");
    assert_eq!(result["failed"], 1);
    let rows = result["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows[0]["tracking_number"].is_string());
    assert_eq!(rows[1]["line"], 3);
    assert!(rows[1]["tracking_number"].is_null());
    let error = &rows[1]["errors"][0];
    assert_eq!(error["column"], "recipient_postcode");
    assert_eq!(error["code"], "postcode_invalid");
    assert_eq!(error["line"], 3);
    // Messages follow Accept-Language.
    assert!(
        error["message"].as_str().unwrap().contains("邮政编码"),
        "{error}"
    );

    // The same file again under the same key books nothing new.
    let again: Value = import(&app, &token, &csv, "", Some("batch-1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["rows"][0]["tracking_number"],
        rows[0]["tracking_number"]
    );
    let page: Value = get_as(&app, "/api/v1/shipments", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["shipments"].as_array().unwrap().len(), 2);

    // Whole-file problems are refused as a whole.
    let res = import(&app, &token, "", "", None).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["file"].is_string());
    let res = import(&app, &token, "reference,service\nA,express\n", "", None).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["columns.recipient_city"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_numbers_are_random_and_a_number_drawn_twice_is_drawn_again() {
    let app = spawn_app().await;
    let token = customer(&app, "shipper@example.com").await;
    // Consecutive bookings: no common step from one serial to the next.
    let mut serials = Vec::new();
    for key in ["k1", "k2", "k3"] {
        let res = book(&app, &token, key, &booking(key)).await;
        assert_eq!(res.status(), 201);
        let tn = res.json::<Value>().await.unwrap()["tracking_number"]
            .as_str()
            .unwrap()
            .to_string();
        serials.push(tn[2..10].parse::<i64>().unwrap());
    }
    assert_ne!(
        serials[1] - serials[0],
        serials[2] - serials[1],
        "{serials:?}"
    );

    // A serial already taken is drawn again, in the same booking.
    let customer_id: i64 = sqlx::query_scalar("SELECT customer_id FROM users WHERE email = $1")
        .bind("shipper@example.com")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let req: app::orders::BookingRequest = serde_json::from_value(booking("PO-9")).unwrap();
    let now = app::platform::now_ms();
    let book_drawing = |key: &'static str, draws: Vec<u32>| {
        let (db, req) = (app.db.clone(), req.clone());
        async move {
            let mut draws = draws.into_iter();
            let mut next = move || draws.next().expect("a draw");
            app::orders::shipments::book_once_drawing(&db, customer_id, key, &req, now, &mut next)
                .await
                .unwrap()
                .shipment
                .tracking_number
        }
    };
    let first = book_drawing("k4", vec![12_345_678]).await;
    let second = book_drawing("k5", vec![12_345_678, 12_345_678, 87_654_321]).await;
    assert_eq!(&first[2..10], "12345678");
    assert_eq!(&second[2..10], "87654321");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shipments")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 5);
}

async fn count_shipments(db: &app::platform::Db, customer_id: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM shipments WHERE customer_id = $1")
        .bind(customer_id)
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

/// An idempotency key's claim time and shipment.
async fn key_row(db: &app::platform::Db, customer_id: i64, key: &str) -> (i64, Option<i64>) {
    sqlx::query_as(
        "SELECT created_at, shipment_id FROM idempotency_keys \
         WHERE customer_id = $1 AND idempotency_key = $2",
    )
    .bind(customer_id)
    .bind(key)
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_slower_than_its_claim_never_books_a_second_shipment() {
    use app::orders::shipments::{
        book_claimed, book_once_at, book_once_drawing, claim_key, random_serial, validate, Claim,
    };

    let app = spawn_app().await;
    customer(&app, "shipper@example.com").await;
    let customer_id: i64 = sqlx::query_scalar("SELECT customer_id FROM users WHERE email = $1")
        .bind("shipper@example.com")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let req: app::orders::BookingRequest = serde_json::from_value(booking("PO-1")).unwrap();
    let valid = validate(&req).unwrap();
    let db = &app.db;
    let t0 = app::platform::now_ms();
    // A retry finds the first attempt's claim older than a minute and takes it over.
    let takeover = t0 + 61_000;

    // The first attempt claims the key at t0 and is slow; the retry takes over and books; the
    // first then finishes: it writes nothing and answers with the retry's shipment.
    let Claim::Held(slow) = claim_key(db, customer_id, "k1", &req, t0).await.unwrap() else {
        panic!("the first attempt claims the key");
    };
    let retry = book_once_at(db, customer_id, "k1", &req, takeover)
        .await
        .unwrap();
    assert!(!retry.replayed, "the retry took the claim over and booked");
    let late = book_claimed(db, customer_id, &slow, &valid, &req, t0, &mut random_serial)
        .await
        .unwrap();
    assert!(late.replayed, "the late attempt answers as a replay");
    assert_eq!(
        late.shipment.tracking_number,
        retry.shipment.tracking_number
    );
    assert_eq!(
        count_shipments(db, customer_id).await,
        1,
        "one shipment for the key"
    );
    let notifications: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        notifications, 1,
        "the late attempt's message was rolled back too"
    );

    // While the retry that took over is still booking, the late first attempt gets a 409 and
    // books nothing; the retry then books.
    let Claim::Held(slow) = claim_key(db, customer_id, "k2", &req, t0).await.unwrap() else {
        panic!("the first attempt claims the key");
    };
    let Claim::Held(retry) = claim_key(db, customer_id, "k2", &req, takeover)
        .await
        .unwrap()
    else {
        panic!("the retry takes the claim over");
    };
    let Err(refused) =
        book_claimed(db, customer_id, &slow, &valid, &req, t0, &mut random_serial).await
    else {
        panic!("the late attempt must not book");
    };
    assert_eq!(refused.code(), "request_in_progress");
    assert_eq!(count_shipments(db, customer_id).await, 1);
    assert_eq!(key_row(db, customer_id, "k2").await, (takeover, None));
    let booked = book_claimed(
        db,
        customer_id,
        &retry,
        &valid,
        &req,
        takeover,
        &mut random_serial,
    )
    .await
    .unwrap();
    assert!(!booked.replayed);
    assert_eq!(count_shipments(db, customer_id).await, 2);

    // A late first attempt that fails releases only its own claim, never the retry's.
    let mut taken = || 42_u32;
    book_once_drawing(db, customer_id, "k0", &req, t0, &mut taken)
        .await
        .unwrap();
    let Claim::Held(slow) = claim_key(db, customer_id, "k3", &req, t0).await.unwrap() else {
        panic!("the first attempt claims the key");
    };
    let Claim::Held(retry) = claim_key(db, customer_id, "k3", &req, takeover)
        .await
        .unwrap()
    else {
        panic!("the retry takes the claim over");
    };
    // Every number it draws is taken: its booking fails.
    let failed = book_claimed(db, customer_id, &slow, &valid, &req, t0, &mut taken).await;
    assert!(failed.is_err());
    assert_eq!(
        key_row(db, customer_id, "k3").await,
        (takeover, None),
        "the retry's claim stays"
    );
    let booked = book_claimed(
        db,
        customer_id,
        &retry,
        &valid,
        &req,
        takeover,
        &mut random_serial,
    )
    .await
    .unwrap();
    assert!(!booked.replayed);
    assert_eq!(
        count_shipments(db, customer_id).await,
        4,
        "k1, k2, k0 and k3: one each"
    );
    assert!(
        key_row(db, customer_id, "k3").await.1.is_some(),
        "the key names its shipment"
    );
}
