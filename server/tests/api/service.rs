use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_the_process_is_alive_and_readyz_reports_the_database() {
    let app = spawn_app().await;
    let res = client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));

    let res = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.db.kind.as_str());
    assert_eq!(body["database_ok"], true);
    assert_eq!(body["migrations"], "applied");
    assert!(body["database_roundtrip_ms"].as_f64().unwrap() >= 0.0);
}

/// The methods a document's path item may hold, as its keys spell them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A path of the document with a value for each parameter: a well-formed tracking number, `1`
/// for the rest. Nothing is booked, so each route answers for itself (401, 404, 415...).
fn filled(path: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{tracking_number}" => "CP123456785CN",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `$ref` in a JSON document.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(target)) => out.push(target),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

async fn openapi_document(app: &TestApp) -> Value {
    let res = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The document and the routes the server mounts are the same list, both ways: every operation
/// documented answers as itself (never the API's fallback, never 405), every route the API
/// router mounts is documented, and a method the document does not list is not mounted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_and_the_mounted_routes_match_both_ways() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .map(|method| (method.to_ascii_uppercase(), path.clone()))
        })
        .collect();

    // Every route the API router mounts (one list, the same the router is built from) is in the
    // document, and the document holds nothing else.
    let mounted: BTreeSet<(String, String)> = server::api::api_routes().into_iter().collect();
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "mounted, not documented: {undocumented:?}"
    );
    let unmounted: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        unmounted.is_empty(),
        "documented, not mounted: {unmounted:?}"
    );
    for route in [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/api/v1/openapi.json"),
        ("POST", "/api/v1/slots/for-booking"),
        ("GET", "/api/v1/shipments/{tracking_number}/return-options"),
        ("POST", "/api/v1/track/{tracking_number}/delivery"),
    ] {
        let route = (route.0.to_string(), route.1.to_string());
        assert!(documented.contains(&route), "{route:?} missing");
    }

    // Every documented operation is served by its own route; every other method of a documented
    // path is refused by the router (405), so nothing undocumented hides behind a known path.
    for path in paths.keys() {
        let url = app.url(&filled(path));
        for method in ["GET", "PUT", "POST", "DELETE", "PATCH"] {
            let res = client()
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    &url,
                )
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            if documented.contains(&(method.to_string(), path.clone())) {
                assert_ne!(status, 405, "{method} {path}: {body}");
                assert_ne!(
                    body["error"]["code"], "no_such_route",
                    "{method} {path} answered by the fallback"
                );
            } else {
                assert_eq!(status, 405, "{method} {path} is mounted but not documented");
            }
        }
    }
}

/// Every `$ref` points into the document, the error shape is a component, and every operation
/// lists the standard errors it can give, in that shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_whole_and_lists_every_answer() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(targets.len() > 100, "{}", targets.len());
    for target in targets {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{target} points out of the document"));
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
    // `GET /api/v1/track/{tracking_number}` answers either view, and says so.
    let track = &doc["paths"]["/api/v1/track/{tracking_number}"]["get"]["responses"]["200"];
    let schema = track["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap();
    let view = doc.pointer(&schema[1..]).unwrap().to_string();
    for shape in ["RecipientView", "PublicShipment"] {
        assert!(
            view.contains(&format!("#/components/schemas/{shape}")),
            "{view}"
        );
    }

    let error_shape = serde_json::json!({"$ref": "#/components/schemas/ErrorBody"});
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let responses = op["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let json_body = op["requestBody"]["content"]
                .as_object()
                .is_some_and(|c| c.contains_key("application/json"));
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let query = op["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
            let what = format!("{method} {path}");
            // Path parameters are exactly the path's placeholders; the rest is in the query.
            let mut in_path: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| format!("{{{}}}", p["name"].as_str().unwrap()))
                .collect();
            in_path.sort();
            let mut placeholders: Vec<String> = path
                .split('/')
                .filter(|s| s.starts_with('{'))
                .map(str::to_string)
                .collect();
            placeholders.sort();
            assert_eq!(in_path, placeholders, "{what}");
            if json_body {
                for status in ["400", "413", "415", "422"] {
                    assert!(has(status), "{what}: no {status}");
                }
            } else {
                assert!(!has("415"), "{what} reads no JSON: no 415");
            }
            if query {
                assert!(has("422"), "{what}: no 422");
            }
            if secured {
                assert!(has("401"), "{what}: no 401");
            }
            if path.contains('{') {
                assert!(has("404"), "{what}: no 404");
            }
            if !path.ends_with("/stream") {
                assert!(has("503"), "{what}: no 503");
            }
            for (status, response) in responses {
                let schema = &response["content"]["application/json"]["schema"];
                // `/readyz` says why it is not ready in its own shape.
                if status.starts_with('4') || (status == "503" && path != "/readyz") {
                    assert_eq!(schema, &error_shape, "{what} {status}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_routes_answer_json_404() {
    let app = spawn_app().await;
    let res = client()
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    error_body(res, 404, "no_such_route").await;
    // A route's own 404 is told apart from it.
    let res = client()
        .get(app.url("/api/v1/track/CP123456785CN"))
        .send()
        .await
        .unwrap();
    error_body(res, 404, "not_found").await;
}

/// What cannot be read never gets a plain-text answer: a path parameter that names nothing is
/// a 404, a photo upload that is not multipart a 422, both in the error shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_paths_and_uploads_answer_in_the_error_shape() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let token = app.bearer_for("ada@example.com", PASSWORD).await;
    for path in [
        "/api/v1/addresses/not-a-number",
        "/api/v1/addresses/99999999999999999999999",
    ] {
        let res = client()
            .delete(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        error_body(res, 404, "not_found").await;
    }
    let res = client()
        .post(app.url("/api/v1/complaints/1/attachments"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("not a form")
        .send()
        .await
        .unwrap();
    let body = error_body(res, 422, "validation_failed").await;
    assert!(body["error"]["fields"]["attachment"].is_string(), "{body}");
}

/// A database out of reach is a 503 to retry, in the error shape, not a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_503_when_the_database_is_out_of_reach() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let token = app.bearer_for("ada@example.com", PASSWORD).await;
    app.db.pool.close().await;
    let res = get_as(&app, "/api/v1/me", Some(&token)).await;
    assert_eq!(res.headers()["retry-after"].to_str().unwrap(), "5");
    error_body(res, 503, "unavailable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_data_is_made_once_through_the_sign_up_path() {
    let app = spawn_app_with(|s| s.demo_data = true).await;
    for (email, role) in [
        ("shipper@acme.example", "customer"),
        ("orders@lotus-shop.example", "customer"),
        ("li.lei@example.com", "customer"),
        ("agent@parcelport.example", "agent"),
        ("manager@parcelport.example", "manager"),
    ] {
        let token = app.bearer_for(email, server::demo::DEMO_PASSWORD).await;
        let me: Value = get_as(&app, "/api/v1/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["role"], role, "{email}");
    }
    // Demo shipments were booked through the booking service: numbered, priced, listed.
    let token = app
        .bearer_for("shipper@acme.example", server::demo::DEMO_PASSWORD)
        .await;
    let page: Value = get_as(&app, "/api/v1/shipments?limit=100", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let list = page["shipments"].as_array().unwrap();
    assert!(list.len() >= 10, "{}", list.len());
    for s in list {
        assert!(app::domain::TrackingNumber::parse(s["tracking_number"].as_str().unwrap()).is_ok());
        assert!(s["total"].as_i64().unwrap() > 0);
    }
    let addresses: Value = get_as(&app, "/api/v1/addresses", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(addresses.as_array().unwrap().len(), 3);
    let count_users = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
    };
    let users = count_users().await;
    server::demo::seed_if_empty(&app.db).await.unwrap();
    assert_eq!(count_users().await, users, "a second seeding makes nobody");
    // A year of history through the services gives every tier members.
    let tiers: Vec<String> = sqlx::query_scalar("SELECT DISTINCT tier FROM customers")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for tier in ["vip", "key", "regular", "at_risk", "new"] {
        assert!(tiers.iter().any(|t| t == tier), "no {tier} in {tiers:?}");
    }
}
