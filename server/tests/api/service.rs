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

/// The parameters of an operation, by name.
fn parameter<'a>(doc: &'a Value, path: &str, method: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
}

/// The constraints the server checks are in the document, with the values of the constants the
/// checks use, so they cannot silently disappear or drift: every tracking number in a path
/// carries the S10 pattern and every id the minimum 1; the other limits by example.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_states_what_the_server_checks() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let (mut numbers, mut ids) = (0, 0);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().into_iter().flatten();
            for p in params.filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                let what = format!("{method} {path} {name}");
                if name == "tracking_number" {
                    let pattern = &p["schema"]["pattern"];
                    assert_eq!(pattern, app::domain::TrackingNumber::PATTERN, "{what}");
                    numbers += 1;
                } else if name == "id" || name.ends_with("_id") {
                    assert_eq!(p["schema"]["minimum"], 1, "{what}");
                    assert_eq!(p["schema"]["format"], "int64", "{what}");
                    ids += 1;
                }
            }
        }
    }
    assert!(numbers >= 12 && ids >= 27, "{numbers} numbers, {ids} ids");

    // Request bodies name the domain's types, whose limits are their parsers' constants.
    let schemas = &doc["components"]["schemas"];
    let sign_up = &schemas["SignUpRequest"]["properties"];
    assert_eq!(sign_up["name"]["$ref"], "#/components/schemas/PersonName");
    assert_eq!(
        schemas["PersonName"]["maxLength"],
        app::domain::PersonName::MAX_CHARS
    );
    assert_eq!(
        schemas["Password"]["minLength"],
        app::domain::Password::MIN_CHARS
    );
    assert_eq!(schemas["Csat"]["maximum"], app::ratings::Csat::MAX);
    let parcels = &schemas["QuoteRequest"]["properties"]["parcels"];
    assert_eq!(parcels["minItems"], 1);
    assert_eq!(parcels["maxItems"], app::orders::quote::MAX_PARCELS);

    // Query parameters: page sizes, days and signatures as the server bounds them.
    let limit = &parameter(&doc, "/api/v1/shipments", "get", "limit")["schema"];
    assert_eq!(limit["minimum"], 1);
    assert_eq!(limit["maximum"], app::orders::shipments::MAX_PAGE);
    let items = "/api/v1/kpis/{kpi}/items";
    let per_page = &parameter(&doc, items, "get", "per_page")["schema"];
    assert_eq!(per_page["maximum"], app::crm::kpi_service::MAX_PER_PAGE);
    for path in ["/api/v1/slots", "/api/v1/slot-templates/{id}/slots"] {
        let days = &parameter(&doc, path, "get", "days")["schema"];
        assert_eq!(days["minimum"], 1, "{path}");
        assert_eq!(
            days["maximum"],
            app::slots::service::MAX_DAYS_AHEAD,
            "{path}"
        );
    }
    let sig = &parameter(&doc, "/api/v1/returns/{id}", "get", "sig")["schema"];
    assert_eq!(sig["pattern"], app::platform::links::SIGNATURE_PATTERN);
    let tier = &parameter(&doc, "/api/v1/customers", "get", "tier")["schema"];
    assert_eq!(tier["enum"][0], "", "an empty filter is documented as none");
    let key = &parameter(&doc, "/api/v1/shipments", "post", "Idempotency-Key")["schema"];
    assert_eq!(
        key["maxLength"],
        app::orders::shipments::MAX_IDEMPOTENCY_KEY_BYTES
    );

    // The drill-down answers JSON or, with `format=csv`, CSV: both are documented.
    let content = &doc["paths"][items]["get"]["responses"]["200"]["content"];
    assert!(content["application/json"].is_object(), "{content}");
    assert!(content["text/csv"].is_object(), "{content}");
}

/// A body is a JSON object, as the document says: an array of the fields in order is refused
/// (serde alone would read it), not taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_array_is_not_a_body() {
    let app = spawn_app().await;
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let fields = serde_json::json!(["ada@example.com", PASSWORD]);
    let res = app.post_json("/api/v1/tokens", &fields).await;
    error_body(res, 422, "invalid_body").await;
    let object = serde_json::json!({"email": "ada@example.com", "password": PASSWORD});
    assert_eq!(app.post_json("/api/v1/tokens", &object).await.status(), 201);
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

/// With the database out of reach, a page is a 503 page saying to come back shortly (with
/// `Retry-After`, so neither the reader nor a cache takes it for the page), the readiness check
/// is not ready, and a carrier's batch or an import's rows fail whole as unavailable, to be sent
/// again, instead of each event or row being refused for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_scans_and_imports_are_unavailable_while_the_database_is_out_of_reach() {
    use crate::shipments::{book, booking, customer};
    let app = spawn_app().await;
    let shipper = customer(&app, "shipper@example.com").await;
    let res = book(&app, &shipper, "k1", &booking("PO-1")).await;
    assert_eq!(res.status(), 201);
    let tn = res.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    let scans: app::tracking::CarrierBatch = serde_json::from_value(serde_json::json!({
        "events": [{"event_id": "e1", "tracking_number": tn, "status": "picked_up",
                    "time": jiff::Timestamp::now().to_string(), "place": "Shanghai hub"}]
    }))
    .unwrap();
    let row: app::orders::BookingRequest = serde_json::from_value(booking("PO-2")).unwrap();
    app.db.pool.close().await;

    for (path, bearer) in [
        (format!("/track/{tn}"), None),
        ("/shipments".to_string(), Some(shipper.as_str())),
    ] {
        let res = get_as(&app, &path, bearer).await;
        assert_eq!(res.status(), 503, "{path}");
        assert_eq!(
            res.headers()["retry-after"].to_str().unwrap(),
            "5",
            "{path}"
        );
        let page = res.text().await.unwrap();
        assert!(
            page.contains(r#"data-testid="unavailable""#),
            "{path}: {page}"
        );
    }
    let res = get_as(&app, "/readyz", None).await;
    assert_eq!(res.status(), 503);

    let locale = app::i18n::Locale::En;
    let scanned = app::tracking::carrier::record(&app.db, 1, &scans, locale).await;
    assert!(matches!(scanned, Err(app::error::AppError::Unavailable)));
    let imported =
        app::orders::import::book_rows(&app.db, 1, "import:k", &[(2, row)], locale).await;
    assert!(matches!(imported, Err(app::error::AppError::Unavailable)));
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
