use app::accounts::Role;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_from_another_origin_are_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("Origin", "https://evil.example")
        .json(&sign_up_body("ada@example.com"))
        .send()
        .await
        .unwrap();
    error_body(res, 403, "cross_origin").await;

    let res = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("Sec-Fetch-Site", "cross-site")
        .json(&sign_up_body("ada@example.com"))
        .send()
        .await
        .unwrap();
    error_body(res, 403, "cross_origin").await;

    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);

    // The same request from the portal's own origin goes through.
    let res = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("Origin", app.base.clone())
        .json(&sign_up_body("ada@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // A cross-site form posting to the sign-in server function gets no session.
    let res = app
        .client
        .post(app.url(<app::accounts::SignIn as leptos::server_fn::ServerFn>::PATH))
        .header("Origin", "https://evil.example")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(set_cookie_headers(res.headers()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_public_origins_are_allowed() {
    let app = spawn_app_with(|s| s.public_origins = vec!["https://portal.example".into()]).await;
    let res = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("Origin", "https://portal.example")
        .json(&sign_up_body("ada@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_rate_limited_per_email() {
    let app = spawn_app_with(|s| s.sign_in_limit = 3).await;
    app.sign_up("ada@example.com").await;
    for _ in 0..3 {
        assert_eq!(
            app.token("ada@example.com", "wrong-password!")
                .await
                .status(),
            401
        );
    }
    let res = app.token("ada@example.com", "wrong-password!").await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    error_body(res, 429, "rate_limited").await;
    // Even the right password waits out the window: that is what stops guessing.
    assert_eq!(app.token("ada@example.com", PASSWORD).await.status(), 429);
    // The sign-in form's server function too: a limit is the call's status, not a form refusal.
    let res = app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), 429);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("RateLimited").is_some(), "{body}");
    // Another account is not locked by someone else's failures.
    app.sign_up("bob@example.com").await;
    assert_eq!(app.token("bob@example.com", PASSWORD).await.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_is_rate_limited_per_address() {
    let app = spawn_app_with(|s| s.sign_up_limit = 2).await;
    assert_eq!(app.sign_up("a@example.com").await.status(), 201);
    assert_eq!(app.sign_up("b@example.com").await.status(), 201);
    error_body(app.sign_up("c@example.com").await, 429, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_routes_check_the_role() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.create_staff("agent@carrier.example", Role::Agent).await;
    app.create_staff("manager@carrier.example", Role::Manager)
        .await;

    let anon = client()
        .get(app.url("/api/v1/customers"))
        .send()
        .await
        .unwrap();
    error_body(anon, 401, "unauthenticated").await;

    let customer = app.bearer_for("ada@example.com", PASSWORD).await;
    let res = get_as(&app, "/api/v1/customers", Some(&customer)).await;
    error_body(res, 403, "forbidden").await;

    for staff in ["agent@carrier.example", "manager@carrier.example"] {
        let token = app.bearer_for(staff, PASSWORD).await;
        let res = get_as(&app, "/api/v1/customers", Some(&token)).await;
        assert_eq!(res.status(), 200);
        let list: Vec<Value> = res.json().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["name"], "Analytical Engines Ltd");
        assert_eq!(list[0]["users"], 1);
    }

    // The staff server function behind the dashboard checks too.
    app.sign_in("ada@example.com", PASSWORD).await;
    let res = app.call::<app::crm::StaffOverview>(&[]).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_are_created_only_with_staff_roles() {
    let app = spawn_app().await;
    let err = app::accounts::service::create_staff(
        &app.db,
        "x@carrier.example",
        "X",
        PASSWORD,
        Role::Customer,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "bad_request");
    app.create_staff("agent@carrier.example", Role::Agent).await;
    let token = app.bearer_for("agent@carrier.example", PASSWORD).await;
    let me: Value = get_as(&app, "/api/v1/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "agent");
    assert!(me["customer"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_a_database_share_sessions_and_limits() {
    let first = spawn_app_with(|s| s.sign_in_limit = 2).await;
    let url = first.database_url.clone();
    let second = spawn_app_with(move |s| {
        s.database_url = url;
        s.sign_in_limit = 2;
    })
    .await;
    first.sign_up("ada@example.com").await;

    // Signed in on one instance, recognised by the other.
    let res = first.sign_in("ada@example.com", PASSWORD).await;
    let pair = session_pair(res.headers());
    let me = client()
        .get(second.url("/api/v1/me"))
        .header("Cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Failed attempts count across instances.
    assert_eq!(
        first
            .token("ada@example.com", "wrong-password!")
            .await
            .status(),
        401
    );
    assert_eq!(
        second
            .token("ada@example.com", "wrong-password!")
            .await
            .status(),
        401
    );
    error_body(
        first.token("ada@example.com", "wrong-password!").await,
        429,
        "rate_limited",
    )
    .await;
    error_body(
        second.token("ada@example.com", PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_started_without_demo_data_set_has_no_demo_accounts() {
    // The settings the binary reads from an environment that sets only where the data lives.
    let app = spawn_app_with(|s| {
        let from_env = app::platform::Settings::from_lookup(|name| match name {
            "DATABASE_URL" => Some(s.database_url.clone()),
            _ => None,
        })
        .unwrap();
        s.demo_data = from_env.demo_data;
        s.simulator_speed = from_env.simulator_speed;
    })
    .await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
    let res = app.token("shipper@acme.example", "parcelport-demo").await;
    assert_eq!(res.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_only_ever_leads_to_a_path_of_this_site_and_never_fails_with_500() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let sign_in = |form: Vec<(&'static str, String)>| {
        let url = app.url("/rpc/accounts/sign_in");
        async move {
            client()
                .post(url)
                .header("Accept", "text/html")
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let with_next = |next: &str| {
        vec![
            ("email", "ada@example.com".to_string()),
            ("password", PASSWORD.to_string()),
            ("next", next.to_string()),
        ]
    };
    let res = sign_in(with_next("/shipments?page=2")).await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/shipments?page=2");
    for next in [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "/%252F/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
    ] {
        let res = sign_in(with_next(next)).await;
        assert_eq!(res.status(), 302, "{next:?}");
        assert_eq!(res.headers()["location"], "/dashboard", "{next:?}");
    }
    // Whatever arrives, the answer is the client's fault or a success, never the server's.
    let long = "a".repeat(100_000);
    for form in [
        vec![],
        vec![("email", "ada@example.com".to_string())],
        vec![("email", long.clone()), ("password", long.clone())],
        vec![
            ("email", "\u{0}".to_string()),
            ("password", "\u{0}".to_string()),
        ],
        vec![
            ("email", "ada@example.com".to_string()),
            ("password", PASSWORD.to_string()),
            ("next", long.clone()),
        ],
    ] {
        let res = sign_in(form.clone()).await;
        assert!(
            res.status().is_client_error() || res.status() == 302,
            "{:?}: {}",
            form.iter().map(|f| f.0).collect::<Vec<_>>(),
            res.status()
        );
    }
    let raw = client()
        .post(app.url("/rpc/accounts/sign_in"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("email=%FF%FE&password=%E0%80")
        .send()
        .await
        .unwrap();
    assert!(!raw.status().is_server_error(), "{}", raw.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers_and_personal_ones_are_never_stored() {
    let app = spawn_app().await;
    let token = crate::shipments::customer(&app, "ada@example.com").await;
    let booked = crate::shipments::book(&app, &token, "k1", &crate::shipments::booking("PO-1"))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let tn = booked["tracking_number"].as_str().unwrap().to_string();
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let check_common = |res: &reqwest::Response, what: &str| {
        assert_eq!(header(res, "x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header(res, "x-frame-options"), "DENY", "{what}");
        assert_eq!(
            header(res, "referrer-policy"),
            "strict-origin-when-cross-origin",
            "{what}"
        );
        let csp = header(res, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        let scripts = csp.split(';').find(|d| d.contains("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{what}: {csp}");
        assert!(
            header(res, "strict-transport-security").is_empty(),
            "{what}: HSTS without HTTPS"
        );
    };

    // A page: its inline scripts carry the nonce the policy names, new on every load.
    let page = client().get(app.url("/sign-up")).send().await.unwrap();
    check_common(&page, "/sign-up");
    let csp = header(&page, "content-security-policy");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{html}");
    let again = client().get(app.url("/sign-up")).send().await.unwrap();
    assert!(!header(&again, "content-security-policy").contains(&nonce));

    // The landing page, anyone's: kept, but asked again.
    let landing = client().get(app.url("/")).send().await.unwrap();
    check_common(&landing, "/");
    assert_eq!(header(&landing, "cache-control"), "no-cache");

    // A signed-in page, an API answer with a bearer token, and a recipient's view by proof.
    let signed_in = app.client.get(app.url("/shipments")).send().await.unwrap();
    assert_eq!(signed_in.status(), 200);
    check_common(&signed_in, "/shipments");
    assert_eq!(header(&signed_in, "cache-control"), "no-store");
    let api = get_as(&app, "/api/v1/shipments", Some(&token)).await;
    assert_eq!(api.status(), 200);
    check_common(&api, "API");
    assert_eq!(header(&api, "cache-control"), "no-store");
    let proved = get_as(&app, &format!("/api/v1/track/{tn}?verify=100080"), None).await;
    assert_eq!(proved.status(), 200);
    check_common(&proved, "proof");
    assert_eq!(header(&proved, "cache-control"), "no-store");
    let public = get_as(&app, &format!("/api/v1/track/{tn}"), None).await;
    assert_eq!(header(&public, "cache-control"), "no-cache");

    // Served over HTTPS (Secure cookies): browsers are told to keep to it.
    let https = spawn_app_with(|s| s.cookie_secure = true).await;
    let res = client().get(https.url("/")).send().await.unwrap();
    assert_eq!(
        header(&res, "strict-transport-security"),
        "max-age=31536000; includeSubDomains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_limited_per_route() {
    let app = spawn_app().await;
    let token = crate::shipments::customer(&app, "ada@example.com").await;
    // 2 MB of JSON: refused before it is read, on the API and on a server function.
    let big = serde_json::json!({ "reference": "x".repeat(2 * 1024 * 1024) });
    let res = client()
        .post(app.url("/api/v1/shipments"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k1")
        .json(&big)
        .send()
        .await
        .unwrap();
    error_body(res, 413, "payload_too_large").await;
    let res = client()
        .post(app.url("/rpc/tracking/many"))
        .json(&serde_json::json!({ "numbers": ["x".repeat(2 * 1024 * 1024)] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "{:?}", res.text().await);
    // A CSV import of the same size is within its own limit (and checked row by row).
    let csv = format!(
        "{}\n{}",
        "recipient_name,recipient_phone",
        "a,1\n".repeat(2 * 1024 * 1024 / 4)
    );
    let res = client()
        .post(app.url("/api/v1/shipments/import"))
        .bearer_auth(&token)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 413);
    // A photo-sized body on a JSON route is refused; on a photo route it is not.
    let res = client()
        .post(app.url("/api/v1/carrier/events"))
        .header("Content-Type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

/// A complaint of the customer holding `token`, about no shipment; its id.
async fn quota_complaint(app: &TestApp, token: &str) -> i64 {
    let body = serde_json::json!({"category": "delay", "description": "Where is it?"});
    let res = crate::after_delivery::post(app, "/api/v1/complaints", token, &body).await;
    crate::after_delivery::ok_json(res, 201).await["id"]
        .as_i64()
        .unwrap()
}

/// A file the type check takes for a PNG, `size` bytes long.
fn quota_png(size: usize) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.resize(size, 0);
    png
}

/// Attaches `bytes` to complaint `id` through the API.
async fn quota_attach(app: &TestApp, token: &str, id: i64, bytes: &[u8]) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("photo.png");
    client()
        .post(app.url(&format!("/api/v1/complaints/{id}/attachments")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("attachment", part))
        .send()
        .await
        .unwrap()
}

/// Quotas are counted in one statement before anything is written: twenty filings at once get
/// exactly the day's three, and a refused filing costs nothing of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_per_day_hold_under_concurrency() {
    let app = spawn_app_with(|s| s.complaints_per_day = 3).await;
    let token = crate::shipments::customer(&app, "ada@example.com").await;
    let blank = serde_json::json!({"category": "delay", "description": "  "});
    let res = crate::after_delivery::post(&app, "/api/v1/complaints", &token, &blank).await;
    error_body(res, 422, "validation_failed").await;

    let body = serde_json::json!({"category": "delay", "description": "Where is it?"});
    let filings =
        (0..20).map(|_| crate::after_delivery::post(&app, "/api/v1/complaints", &token, &body));
    let mut filed = 0;
    for res in futures::future::join_all(filings).await {
        match res.status().as_u16() {
            201 => filed += 1,
            429 => {
                let retry: u64 = res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=86_400).contains(&retry), "until midnight UTC: {retry}");
                error_body(res, 429, "rate_limited").await;
            }
            other => panic!("{other}: {:?}", res.text().await),
        }
    }
    assert_eq!(filed, 3, "exactly the day's quota is filed");
    let res = crate::after_delivery::get(&app, "/api/v1/complaints", &token).await;
    let mine = crate::after_delivery::ok_json(res, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 3);
    // The quota is each customer's own.
    let other = crate::shipments::customer(&app, "bob@example.com").await;
    quota_complaint(&app, &other).await;
}

/// Uploads a day per customer, in number and in bytes, and a complaint's five: parallel uploads
/// get exactly what is left, and one refused (or failed) costs nothing of the day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_quotas_hold_under_concurrency() {
    let app = spawn_app_with(|s| {
        s.uploads_per_day = 8;
        s.upload_bytes_per_day = 2_000;
    })
    .await;
    let ok = |answers: &[reqwest::Response]| answers.iter().filter(|r| r.status() == 200).count();
    let token = crate::shipments::customer(&app, "ada@example.com").await;
    let png = quota_png(24);

    // Ten at once to one complaint: its five, no more; the five refused are given back.
    let first = quota_complaint(&app, &token).await;
    let burst = (0..10).map(|_| quota_attach(&app, &token, first, &png));
    let answers = futures::future::join_all(burst).await;
    assert_eq!(ok(&answers), 5);
    for res in answers.into_iter().filter(|r| r.status() != 200) {
        error_body(res, 422, "validation_failed").await;
    }
    let path = format!("/api/v1/complaints/{first}");
    let res = crate::after_delivery::get(&app, &path, &token).await;
    let c = crate::after_delivery::ok_json(res, 200).await;
    assert_eq!(c["attachments"].as_array().unwrap().len(), 5);

    // Ten more at once over two complaints: three are left of the day's eight.
    let (a, b) = (
        quota_complaint(&app, &token).await,
        quota_complaint(&app, &token).await,
    );
    let burst = (0..10).map(|i| quota_attach(&app, &token, if i % 2 == 0 { a } else { b }, &png));
    let answers = futures::future::join_all(burst).await;
    assert_eq!(ok(&answers), 3);
    for res in answers.into_iter().filter(|r| r.status() != 200) {
        let body = error_body(res, 422, "validation_failed").await;
        let message = body["error"]["fields"]["attachment"].as_str().unwrap();
        assert!(message.contains('8'), "the day's number: {body}");
    }

    // Bytes: five files of 500 at once against 2,000 a day, for another customer: four.
    let other = crate::shipments::customer(&app, "bob@example.com").await;
    let c = quota_complaint(&app, &other).await;
    let half_k = quota_png(500);
    let burst = (0..5).map(|_| quota_attach(&app, &other, c, &half_k));
    assert_eq!(ok(&futures::future::join_all(burst).await), 4);

    // The file that would pass the day's bytes is refused; a smaller one that fits is not.
    let third = crate::shipments::customer(&app, "cy@example.com").await;
    let c = quota_complaint(&app, &third).await;
    let res = quota_attach(&app, &third, c, &quota_png(1_200)).await;
    assert_eq!(res.status(), 200);
    let body = error_body(
        quota_attach(&app, &third, c, &quota_png(1_200)).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["attachment"].is_string(), "{body}");
    let res = quota_attach(&app, &third, c, &quota_png(800)).await;
    assert_eq!(res.status(), 200, "exactly the day's bytes");
    error_body(
        quota_attach(&app, &third, c, &quota_png(24)).await,
        422,
        "validation_failed",
    )
    .await;
}

/// Live streams held open per client address: the one past the limit is refused with 429, and
/// a client leaving frees its place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_are_limited_per_client_address() {
    let app = spawn_app_with(|s| s.streams_per_client = 3).await;
    let token = crate::shipments::customer(&app, "ada@example.com").await;
    let tn = crate::after_delivery::booked(&app, &token, "k1").await;
    let path = format!("/api/v1/track/{tn}/stream");

    let opened = futures::future::join_all((0..4).map(|_| get_as(&app, &path, None))).await;
    let (mut open, refused): (Vec<reqwest::Response>, Vec<reqwest::Response>) =
        opened.into_iter().partition(|r| r.status() == 200);
    assert_eq!(open.len(), 3);
    assert_eq!(refused.len(), 1);
    for res in refused {
        assert!(res.headers().contains_key("retry-after"));
        error_body(res, 429, "rate_limited").await;
    }
    error_body(get_as(&app, &path, None).await, 429, "rate_limited").await;

    // The server notices the closed connection and frees the place.
    drop(open.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let reopened = loop {
        let res = get_as(&app, &path, None).await;
        if res.status() == 200 {
            break res;
        }
        assert_eq!(res.status(), 429);
        assert!(
            std::time::Instant::now() < deadline,
            "the place of a closed stream is freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(reopened.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    error_body(get_as(&app, &path, None).await, 429, "rate_limited").await;
    drop((open, reopened));
}
