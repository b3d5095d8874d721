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
    let refusal = reply_refusal(app.sign_in("ada@example.com", PASSWORD).await).await;
    assert_eq!(refusal.as_deref(), Some("RateLimited"));
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
