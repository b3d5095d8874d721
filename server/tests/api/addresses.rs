use app::accounts::Role;
use serde_json::{json, Value};

use crate::helpers::*;

fn shanghai() -> Value {
    json!({
        "name": "王芳", "company": "莲花网店", "phone": "+86 138 0013 8000",
        "line1": "88 Century Avenue", "line2": "Floor 12",
        "city": "shanghai", "postcode": "200120", "country": "CN"
    })
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut req = client().request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    req.send().await.unwrap()
}

async fn customer_token(app: &TestApp, email: &str) -> String {
    assert_eq!(app.sign_up(email).await.status(), 201);
    app.bearer_for(email, PASSWORD).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_keeps_an_address_book() {
    let app = spawn_app().await;
    let token = customer_token(&app, "ada@example.com").await;

    let res = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/addresses",
        &token,
        Some(&shanghai()),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(
        created["city"], "Shanghai",
        "resolved through the gazetteer"
    );
    assert_eq!(created["phone"], "+8613800138000");
    assert!((created["lat"].as_f64().unwrap() - 31.22).abs() < 0.1);
    let id = created["id"].as_i64().unwrap();

    let mut changed = shanghai();
    changed["city"] = json!("Beijing");
    changed["postcode"] = json!("100080");
    let res = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/addresses/{id}"),
        &token,
        Some(&changed),
    )
    .await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["city"], "Beijing");

    let list: Vec<Value> = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/addresses",
        &token,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["postcode"], "100080");

    let res = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/addresses/{id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(res.status(), 204);
    let list: Vec<Value> = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/addresses",
        &token,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(list.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_addresses_name_every_field() {
    let app = spawn_app().await;
    let token = customer_token(&app, "ada@example.com").await;
    let body = json!({"name": "", "phone": "call me", "line1": "x", "city": "Atlantis",
                      "postcode": "12", "country": "CN"});
    let res = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/addresses",
        &token,
        Some(&body),
    )
    .await;
    let err = error_body(res, 422, "validation_failed").await;
    let fields = err["error"]["fields"].as_object().unwrap();
    for f in ["name", "phone", "city", "postcode"] {
        assert!(fields.contains_key(f), "{f}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_customers_address_is_not_found() {
    let app = spawn_app().await;
    let ada = customer_token(&app, "ada@example.com").await;
    let bob = customer_token(&app, "bob@example.com").await;
    let created: Value = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/addresses",
        &ada,
        Some(&shanghai()),
    )
    .await
    .json()
    .await
    .unwrap();
    let path = format!("/api/v1/addresses/{}", created["id"]);

    let res = send(&app, reqwest::Method::PUT, &path, &bob, Some(&shanghai())).await;
    error_body(res, 404, "not_found").await;
    let res = send(&app, reqwest::Method::DELETE, &path, &bob, None).await;
    error_body(res, 404, "not_found").await;
    let bobs: Vec<Value> = send(&app, reqwest::Method::GET, "/api/v1/addresses", &bob, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(bobs.is_empty());
    let adas: Vec<Value> = send(&app, reqwest::Method::GET, "/api/v1/addresses", &ada, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(adas.len(), 1, "Ada's address survived Bob's attempts");

    app.create_staff("agent@carrier.example", Role::Agent).await;
    let agent = app.bearer_for("agent@carrier.example", PASSWORD).await;
    let res = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/addresses",
        &agent,
        None,
    )
    .await;
    error_body(res, 403, "forbidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_page_saves_through_its_server_function() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.sign_in("ada@example.com", PASSWORD).await;
    let res = app
        .call::<app::addresses::SaveAddress>(&[
            ("id", ""),
            ("address[name]", "Li Lei"),
            ("address[company]", ""),
            ("address[phone]", "13800138000"),
            ("address[line1]", "1 Zhongguancun Street"),
            ("address[line2]", ""),
            ("address[city]", "Beijing"),
            ("address[postcode]", "100080"),
            ("address[country]", "CN"),
        ])
        .await;
    assert_eq!(reply_refusal(res).await, None);
    let res = app.client.get(app.url("/addresses")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("1 Zhongguancun Street"), "{html}");
}
