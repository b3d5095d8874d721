use std::sync::atomic::{AtomicU32, Ordering};

use app::platform::{Db, Settings};
use leptos::server_fn::ServerFn;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use sqlx::Connection;

pub struct TestApp {
    pub base: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: Db,
}

pub const PASSWORD: &str = "a-long-enough-password";

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "pp_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A fresh, empty database on the backend this run tests.
async fn fresh_database_url() -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if admin.starts_with("postgres") => {
            let name = unique_name();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
            format!("{base}/{name}")
        }
        _ => {
            let dir = std::env::temp_dir().join("parcelport-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!(
                "sqlite://{}",
                dir.join(format!("{}.db", unique_name())).display()
            )
        }
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        // A stuck request fails its test instead of stalling the whole run.
        .timeout(std::time::Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_running(configure).await.0
}

/// A server as `spawn_app_with` starts it, with its handle, for a test that stops it.
pub async fn spawn_running(configure: impl FnOnce(&mut Settings)) -> (TestApp, server::Running) {
    // The server's warnings and errors (a database error behind a 500, say) are shown with a
    // failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
    let mut settings = Settings {
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        database_url: fresh_database_url().await,
        upload_dir: std::env::temp_dir()
            .join("parcelport-tests")
            .join(format!("{}-uploads", unique_name())),
        demo_data: false,
        // Tests recompute tiers when they mean to.
        tier_recompute_at: None,
        ..Settings::default()
    };
    configure(&mut settings);
    let database_url = settings.database_url.clone();
    let running = server::spawn(settings).await.expect("server starts");
    let app = TestApp {
        base: format!("http://{}", running.addr),
        database_url,
        client: client(),
        db: running.state.db.clone(),
    };
    (app, running)
}

pub fn sign_up_body(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "name": "Ada Lovelace",
        "company": "Analytical Engines Ltd",
        "industry": "manufacturing"
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_up(&self, email: &str) -> reqwest::Response {
        self.post_json("/api/v1/accounts", &sign_up_body(email))
            .await
    }

    /// Calls a server function the way the browser does: a form-encoded POST.
    pub async fn call<F: ServerFn>(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(F::PATH))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.call::<app::accounts::SignIn>(&[("email", email), ("password", password)])
            .await
    }

    pub async fn token(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/tokens",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn bearer_for(&self, email: &str, password: &str) -> String {
        let res = self.token(email, password).await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn me(&self) -> reqwest::Response {
        self.client
            .get(self.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
    }

    pub async fn create_staff(&self, email: &str, role: app::accounts::Role) {
        app::accounts::service::create_staff(&self.db, email, "Staff Member", PASSWORD, role)
            .await
            .expect("staff created");
    }
}

/// The `pp_session=...` pair a sign-in set, ready to send back as a `Cookie` header.
pub fn session_pair(headers: &HeaderMap) -> String {
    set_cookie_headers(headers)
        .into_iter()
        .find(|c| c.starts_with("pp_session="))
        .and_then(|c| c.split(';').next().map(str::to_string))
        .expect("a session cookie was set")
}

/// A GET from a fresh client (no cookies), with a bearer token when given.
pub async fn get_as(app: &TestApp, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let mut req = client().get(app.url(path));
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

pub fn set_cookie_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// Asserts the one error shape every API error has, and returns the body.
pub async fn error_body(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status, "status");
    let body: Value = res.json().await.expect("error body is JSON");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["error"]["fields"].is_object(), "{body}");
    body
}

/// The refusal inside a form server function's reply (`{"Err": ...}` in an HTTP 200), by the
/// error's variant name; `None` when the reply is `Ok`.
pub async fn reply_refusal(res: reqwest::Response) -> Option<String> {
    assert_eq!(res.status(), 200, "form replies travel as HTTP 200");
    let body: Value = res.json().await.expect("JSON reply");
    match &body["Err"] {
        Value::Null => {
            assert!(body.get("Ok").is_some(), "{body}");
            None
        }
        Value::String(variant) => Some(variant.clone()),
        Value::Object(map) => map.keys().next().cloned(),
        other => panic!("unexpected reply {other}"),
    }
}

/// How long the carrier tokens tests make are valid.
pub const CARRIER_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
