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
