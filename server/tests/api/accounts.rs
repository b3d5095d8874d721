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
    assert_eq!(fields["password"], "Use at least 12 characters.");
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
    assert_eq!(body["error"]["fields"]["password"], "至少需要 12 个字符。");
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

/// Signs `email` in from a browser of its own (its user agent given), returning the
/// `pp_session=...` pair that browser sends back.
async fn sign_in_as_browser(app: &TestApp, email: &str, user_agent: &str) -> String {
    let res = client()
        .post(app.url("/rpc/accounts/sign_in"))
        .header("accept", "application/json")
        .header("user-agent", user_agent)
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    session_pair(res.headers())
}

fn cookie_headers(session: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("cookie", session.parse().unwrap());
    headers
}

async fn me_with(app: &TestApp, session: &str) -> u16 {
    client()
        .get(app.url("/api/v1/me"))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const MINUTE: i64 = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_after_its_idle_limit_30_minutes_for_staff_12_hours_for_customers() {
    use app::accounts::service::authenticate_request_at;
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    app.create_staff("agent@parcelport.example", app::accounts::Role::Agent)
        .await;
    let start = app::platform::now_ms();
    let customer = cookie_headers(&sign_in_as_browser(&app, "ada@example.com", "test").await);
    let staff = cookie_headers(&sign_in_as_browser(&app, "agent@parcelport.example", "test").await);
    let signed_in = |headers: axum::http::HeaderMap, at: i64| {
        let db = app.db.clone();
        async move {
            authenticate_request_at(&db, &headers, at)
                .await
                .unwrap()
                .is_some()
        }
    };

    // Staff: 29 quiet minutes are fine and the use starts the count again; 31 are not.
    assert!(signed_in(staff.clone(), start + 29 * MINUTE).await);
    assert!(signed_in(staff.clone(), start + 58 * MINUTE).await);
    assert!(!signed_in(staff.clone(), start + 90 * MINUTE).await);
    // Customers: the same at 12 hours.
    assert!(signed_in(customer.clone(), start + 11 * 60 * MINUTE).await);
    assert!(signed_in(customer.clone(), start + 22 * 60 * MINUTE).await);
    assert!(!signed_in(customer.clone(), start + 34 * 60 * MINUTE + MINUTE).await);

    // Through HTTP at the real clock: a staff session last used 31 minutes ago is refused, and
    // the limit is a setting.
    let app = spawn_app_with(|s| {
        s.session_idle_staff = std::time::Duration::from_secs(10 * 60);
    })
    .await;
    app.create_staff("agent@parcelport.example", app::accounts::Role::Agent)
        .await;
    let session = sign_in_as_browser(&app, "agent@parcelport.example", "test").await;
    assert_eq!(me_with(&app, &session).await, 200);
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - $1")
        .bind(11 * MINUTE)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(me_with(&app, &session).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_lists_its_sessions_and_tokens_and_ends_any_of_them() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let phone = sign_in_as_browser(
        &app,
        "ada@example.com",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/126.0 Mobile Safari/537.36",
    )
    .await;
    let desktop = sign_in_as_browser(
        &app,
        "ada@example.com",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    )
    .await;
    let bearer = app.bearer_for("ada@example.com", PASSWORD).await;
    assert_eq!(
        get_as(&app, "/api/v1/me", Some(&bearer)).await.status(),
        200
    );

    let list = |session: String| {
        let url = app.url("/rpc/accounts/sign_ins");
        async move {
            let res = client()
                .post(url)
                .header("accept", "application/json")
                .header("cookie", session)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let seen = list(desktop.clone()).await;
    let sessions = seen["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{seen}");
    let this = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(this["browser"], "Firefox");
    assert_eq!(this["system"], "Windows");
    assert_eq!(this["client"], "127.0.0.1");
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["browser"], "Chrome");
    assert_eq!(other["system"], "Android");
    let tokens = seen["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert!(
        tokens[0]["last_used_at"].is_i64(),
        "the bearer was used: {seen}"
    );
    assert!(!seen.to_string().contains(&bearer[3..20]));

    // Another customer cannot end Ada's sessions, even knowing a handle.
    assert_eq!(app.sign_up("mallory@example.com").await.status(), 201);
    let mallory = sign_in_as_browser(&app, "mallory@example.com", "test").await;
    let end = |session: String, handle: String| {
        let url = app.url("/rpc/accounts/end_session");
        async move {
            client()
                .post(url)
                .header("accept", "application/json")
                .header("cookie", session)
                .form(&[("handle", handle)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let phone_handle = other["handle"].as_str().unwrap().to_string();
    assert_eq!(end(mallory.clone(), phone_handle.clone()).await, 404);
    assert_eq!(me_with(&app, &phone).await, 200);

    // Ada signs the phone out from the desktop.
    assert_eq!(end(desktop.clone(), phone_handle.clone()).await, 200);
    assert_eq!(me_with(&app, &phone).await, 401);
    assert_eq!(me_with(&app, &desktop).await, 200);
    assert_eq!(
        end(desktop.clone(), phone_handle).await,
        404,
        "already ended"
    );
    assert_eq!(
        list(desktop.clone()).await["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // And revokes the API token through the API (Mallory cannot).
    let handle = tokens[0]["handle"].as_str().unwrap();
    let revoke = |session: &str| {
        client()
            .delete(app.url(&format!("/api/v1/tokens/{handle}")))
            .header("cookie", session)
            .header("origin", app.base.clone())
            .send()
    };
    assert_eq!(revoke(&mallory).await.unwrap().status(), 404);
    assert_eq!(
        get_as(&app, "/api/v1/me", Some(&bearer)).await.status(),
        200
    );
    assert_eq!(revoke(&desktop).await.unwrap().status(), 204);
    assert_eq!(
        get_as(&app, "/api/v1/me", Some(&bearer)).await.status(),
        401
    );
    let listed: Value = get_as(&app, "/api/v1/tokens", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["error"]["code"], "unauthenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_at_least_12_characters_and_not_a_common_one() {
    let app = spawn_app().await;
    for (password, message) in [
        ("eleven-char", "Use at least 12 characters."),
        (
            "Password2024!",
            "This password is on the lists attackers try first. Choose another, such as a few \
             unrelated words.",
        ),
        (
            "1qaz2wsx3edc",
            "This password is on the lists attackers try first. Choose another, such as a few \
             unrelated words.",
        ),
    ] {
        let mut body = sign_up_body("ada@example.com");
        body["password"] = json!(password);
        let res = app.post_json("/api/v1/accounts", &body).await;
        let body = error_body(res, 422, "validation_failed").await;
        assert_eq!(body["error"]["fields"]["password"], message, "{password}");
    }
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status(), 200);
    let bearer = app.bearer_for("ada@example.com", PASSWORD).await;
    let res = app
        .call::<app::accounts::ChangePassword>(&[
            ("current_password", PASSWORD),
            ("new_password", "iloveyou1234"),
        ])
        .await;
    assert_eq!(reply_refusal(res).await.as_deref(), Some("Validation"));
    assert_eq!(
        get_as(&app, "/api/v1/me", Some(&bearer)).await.status(),
        200
    );
    // A password change ends the API tokens too.
    let res = app
        .call::<app::accounts::ChangePassword>(&[
            ("current_password", PASSWORD),
            ("new_password", "five unrelated words here"),
        ])
        .await;
    assert_eq!(reply_refusal(res).await, None);
    assert_eq!(
        get_as(&app, "/api/v1/me", Some(&bearer)).await.status(),
        401
    );
}

/// A JSON request with a session cookie, a bearer token, or neither.
async fn account_call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    session: Option<&str>,
    bearer: Option<&str>,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = client().request(method, app.url(path));
    if let Some(s) = session {
        req = req.header("cookie", s);
    }
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap()
}

/// The account page's profile, password and signed-in browsers, through the API: the same
/// rules, the caller's own only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_changes_the_profile_and_password_and_ends_the_callers_sessions() {
    use reqwest::Method;
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let phone =
        sign_in_as_browser(&app, "ada@example.com", "Mozilla/5.0 (iPhone) Safari/604.1").await;
    let desktop = sign_in_as_browser(
        &app,
        "ada@example.com",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    )
    .await;
    let bearer = app.bearer_for("ada@example.com", PASSWORD).await;

    // Profile: as the account page changes it; a bad industry is named.
    let profile = json!({"name": "Ada King", "company": "", "industry": "retail"});
    let me = account_call(
        &app,
        Method::PUT,
        "/api/v1/me",
        None,
        Some(&bearer),
        Some(&profile),
    )
    .await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["name"], "Ada King");
    assert_eq!(me["customer"]["industry"], "retail");
    assert_eq!(me["customer"]["name"], "Ada King");
    let bad = json!({"name": "Ada", "company": "", "industry": "farming"});
    let res = account_call(
        &app,
        Method::PUT,
        "/api/v1/me",
        None,
        Some(&bearer),
        Some(&bad),
    )
    .await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["industry"].is_string(), "{body}");
    let res = account_call(&app, Method::PUT, "/api/v1/me", None, None, Some(&profile)).await;
    error_body(res, 401, "unauthenticated").await;

    // Sessions: both browsers, the one asking marked current; none current to a token.
    let res = account_call(
        &app,
        Method::GET,
        "/api/v1/sessions",
        Some(&desktop),
        None,
        None,
    )
    .await;
    let sessions: Vec<Value> = res.json().await.unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    let current = sessions.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["browser"], "Firefox");
    let phone_handle = sessions.iter().find(|s| s["current"] == false).unwrap()["handle"]
        .as_str()
        .unwrap()
        .to_string();
    let res = account_call(
        &app,
        Method::GET,
        "/api/v1/sessions",
        None,
        Some(&bearer),
        None,
    )
    .await;
    let listed: Vec<Value> = res.json().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|s| s["current"] == false), "{listed:?}");
    let res = account_call(&app, Method::GET, "/api/v1/sessions", None, None, None).await;
    error_body(res, 401, "unauthenticated").await;

    // Another user cannot end Ada's browser, even knowing its handle; Ada can.
    assert_eq!(app.sign_up("mallory@example.com").await.status(), 201);
    let mallory = app.bearer_for("mallory@example.com", PASSWORD).await;
    let end = format!("/api/v1/sessions/{phone_handle}");
    let res = account_call(&app, Method::DELETE, &end, None, Some(&mallory), None).await;
    error_body(res, 404, "not_found").await;
    assert_eq!(me_with(&app, &phone).await, 200);
    let res = account_call(&app, Method::DELETE, &end, None, None, None).await;
    error_body(res, 401, "unauthenticated").await;
    let res = account_call(&app, Method::DELETE, &end, None, Some(&bearer), None).await;
    assert_eq!(res.status(), 204);
    assert_eq!(me_with(&app, &phone).await, 401);
    let res = account_call(&app, Method::DELETE, &end, None, Some(&bearer), None).await;
    error_body(res, 404, "not_found").await;

    // Password: the current one is checked; a change keeps the browser it came from and ends
    // every other session and every token.
    let path = "/api/v1/me/password";
    let wrong =
        json!({"current_password": "not-my-password", "new_password": "five unrelated words here"});
    let res = account_call(&app, Method::PUT, path, Some(&desktop), None, Some(&wrong)).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(
        body["error"]["fields"]["current_password"].is_string(),
        "{body}"
    );
    let common = json!({"current_password": PASSWORD, "new_password": "iloveyou1234"});
    let res = account_call(&app, Method::PUT, path, Some(&desktop), None, Some(&common)).await;
    let body = error_body(res, 422, "validation_failed").await;
    assert!(
        body["error"]["fields"]["new_password"].is_string(),
        "{body}"
    );
    let change = json!({"current_password": PASSWORD, "new_password": "five unrelated words here"});
    let res = account_call(&app, Method::PUT, path, None, None, Some(&change)).await;
    error_body(res, 401, "unauthenticated").await;
    let res = account_call(&app, Method::PUT, path, Some(&desktop), None, Some(&change)).await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        me_with(&app, &desktop).await,
        200,
        "the browser it came from stays"
    );
    assert_eq!(
        get_as(&app, "/api/v1/me", Some(&bearer)).await.status(),
        401
    );
    assert_eq!(app.token("ada@example.com", PASSWORD).await.status(), 401);
    assert_eq!(
        app.token("ada@example.com", "five unrelated words here")
            .await
            .status(),
        201
    );
}
