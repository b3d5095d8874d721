use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_creates_a_customer_account() {
    let app = spawn_app().await;
    let res = app.sign_up("Ada@Example.com").await;
    assert_eq!(res.status(), 201);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["role"], "customer");
    assert_eq!(user["customer"]["name"], "Analytical Engines Ltd");
    assert_eq!(user["customer"]["industry"], "manufacturing");
    assert!(user.get("password_hash").is_none());

    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
        .bind("ada@example.com")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_email_is_a_conflict_whatever_its_case() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let body = error_body(app.sign_up(" ADA@example.com").await, 409, "email_taken").await;
    assert!(body["error"]["fields"]["email"]
        .as_str()
        .unwrap()
        .contains("already"));
    let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(customers, 1, "the refused sign-up left no customer behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_fields_are_all_reported_at_once() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/accounts",
            &json!({"email": "not-an-email", "password": "short", "name": " ",
                    "company": "", "industry": "mining"}),
        )
        .await;
    let body = error_body(res, 422, "validation_failed").await;
    let fields = body["error"]["fields"].as_object().unwrap();
    for f in ["email", "password", "name", "industry"] {
        assert!(fields.contains_key(f), "{f} missing in {body}");
    }
    assert!(!fields.contains_key("company"));
    assert_eq!(fields["password"], "Use at least 10 characters.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_speak_the_callers_language() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("Accept-Language", "zh-CN,zh;q=0.9")
        .json(&json!({"email": "x", "password": "short", "name": "A", "industry": "retail"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "zh-CN");
    let body = error_body(res, 422, "validation_failed").await;
    assert_eq!(body["error"]["fields"]["password"], "至少需要 10 个字符。");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_get_400_or_422_never_500() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/accounts"))
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    error_body(res, 400, "bad_request").await;

    let res = app
        .post_json("/api/v1/accounts", &json!({"password": PASSWORD}))
        .await;
    let body = error_body(res, 422, "invalid_body").await;
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");

    let res = app
        .post_json("/api/v1/tokens", &json!({"email": 5, "password": "x"}))
        .await;
    let body = error_body(res, 422, "invalid_body").await;
    assert!(body["error"]["fields"]["email"].is_string(), "{body}");

    let res = app
        .client
        .post(app.url("/api/v1/tokens"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    error_body(res, 415, "unsupported_media_type").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sets_a_locked_down_session_cookie() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let res = app.sign_in("ada@example.com", PASSWORD).await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let cookies = set_cookie_headers(res.headers());
    let session = cookies
        .iter()
        .find(|c| c.starts_with("pp_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    assert!(session.contains("Path=/"), "{session}");

    let me = app.me().await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_or_unknown_email_is_refused_alike() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let wrong = app.sign_in("ada@example.com", "not-the-password").await;
    assert!(set_cookie_headers(wrong.headers()).is_empty());
    assert_eq!(
        reply_refusal(wrong).await.as_deref(),
        Some("InvalidCredentials")
    );
    assert_eq!(app.me().await.status(), 401);

    let a = error_body(
        app.token("ada@example.com", "not-the-password").await,
        401,
        "invalid_credentials",
    )
    .await;
    let b = error_body(
        app.token("nobody@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        a, b,
        "the answer does not reveal whether the account exists"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_authenticates_api_calls() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let token = app.bearer_for("ada@example.com", PASSWORD).await;
    let res = get_as(&app, "/api/v1/me", Some(&token)).await;
    assert_eq!(res.status(), 200);
    let res = get_as(&app, "/api/v1/me", Some("pp_forged")).await;
    error_body(res, 401, "unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let res = app.sign_in("ada@example.com", PASSWORD).await;
    let token = session_pair(res.headers());
    assert_eq!(app.me().await.status(), 200);

    let out = app.call::<app::accounts::SignOut>(&[]).await;
    assert!(out.status().is_success() || out.status().is_redirection());
    assert!(set_cookie_headers(out.headers())
        .iter()
        .any(|c| c.contains("Max-Age=0")));
    assert_eq!(app.me().await.status(), 401);

    // Replaying the old cookie does not bring the session back.
    let replay = client()
        .get(app.url("/api/v1/me"))
        .header("Cookie", token)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_no_longer_signs_in() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(app.me().await.status(), 200);
    sqlx::query("UPDATE sessions SET expires_at = $1")
        .bind(app::platform::now_ms() - 1)
        .execute(&app.db.pool)
        .await
        .unwrap();
    error_body(app.me().await, 401, "unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_lifetime_follows_the_setting() {
    let app = spawn_app_with(|s| s.session_ttl = std::time::Duration::from_secs(3600)).await;
    app.sign_up("ada@example.com").await;
    let res = app.sign_in("ada@example.com", PASSWORD).await;
    assert!(set_cookie_headers(res.headers())
        .iter()
        .any(|c| c.contains("Max-Age=3600")));
    let (created, expires): (i64, i64) =
        sqlx::query_as("SELECT created_at, expires_at FROM sessions")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(expires - created, 3_600_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_and_password_changes_apply_and_sign_out_other_sessions() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.sign_in("ada@example.com", PASSWORD).await;
    let other_device = client();
    other_device
        .post(app.url(<app::accounts::SignIn as leptos::server_fn::ServerFn>::PATH))
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        other_device
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let res = app
        .call::<app::accounts::UpdateProfile>(&[
            ("name", "Ada King"),
            ("company", ""),
            ("industry", "retail"),
        ])
        .await;
    assert_eq!(reply_refusal(res).await, None);
    let me: Value = app.me().await.json().await.unwrap();
    assert_eq!(me["name"], "Ada King");
    assert_eq!(me["customer"]["industry"], "retail");
    assert_eq!(
        me["customer"]["name"], "Ada King",
        "without a company the person names the account"
    );

    let res = app
        .call::<app::accounts::ChangePassword>(&[
            ("current_password", "wrong-password"),
            ("new_password", "another-long-password"),
        ])
        .await;
    assert_eq!(reply_refusal(res).await.as_deref(), Some("Validation"));
    let res = app
        .call::<app::accounts::ChangePassword>(&[
            ("current_password", PASSWORD),
            ("new_password", "another-long-password"),
        ])
        .await;
    assert_eq!(reply_refusal(res).await, None);
    assert_eq!(app.me().await.status(), 200, "this device stays signed in");
    assert_eq!(
        other_device
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(app.token("ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        app.token("ada@example.com", "another-long-password")
            .await
            .status(),
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_refuse_anonymous_profile_changes() {
    let app = spawn_app().await;
    let res = app
        .call::<app::accounts::UpdateProfile>(&[
            ("name", "Mallory"),
            ("company", ""),
            ("industry", "retail"),
        ])
        .await;
    assert_eq!(res.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_without_scripts_returns_to_the_form_with_the_reason() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let post = |password: &'static str| {
        client()
            .post(app.url("/rpc/accounts/sign_in"))
            .header("accept", "text/html")
            .header(
                "referer",
                format!("{}/sign-in?next=%2Fshipments&error=earlier", app.base),
            )
            .form(&[
                ("email", "ada@example.com"),
                ("password", password),
                ("next", "/shipments"),
            ])
            .send()
    };
    let res = post("not-the-password").await.unwrap();
    assert_eq!(res.status(), 302);
    let kept = set_cookie_headers(res.headers()).join("\n");
    assert!(
        kept.contains("pp_typed_email=ada%40example.com; Path=/sign-in; HttpOnly"),
        "the typed email waits for the form: {kept}"
    );
    let back = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(back, "/sign-in?next=%2Fshipments&error=invalid_credentials");
    let page = client()
        .get(app.url(&back))
        .header("accept-language", "en")
        .header("cookie", "pp_typed_email=ada%40example.com")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Email or password is wrong."), "{page}");
    assert!(page.contains("value=\"ada@example.com\""), "{page}");

    let res = post(PASSWORD).await.unwrap();
    assert_eq!(res.headers()["location"], "/shipments");
    assert!(set_cookie_headers(res.headers())
        .join("\n")
        .starts_with("pp_session="));
}
