use serde_json::{json, Value};

use crate::helpers::*;

fn request(recipient_city: &str, postcode: &str) -> Value {
    json!({
        "sender": {"name": "Alice Chen", "company": "Acme", "phone": "+86 21 5555 0000",
                   "line1": "1 Factory Road", "city": "Shanghai", "postcode": "200000", "country": "CN"},
        "recipient": {"name": "李雷", "phone": "13800138000", "line1": "9 Xinhua Road",
                      "city": recipient_city, "postcode": postcode, "country": "CN"},
        "parcels": [
            {"weight_g": 2000, "length_cm": 60, "width_cm": 40, "height_cm": 40,
             "declared_value": 50000, "contents": "lamp"}
        ],
        "insure": true
    })
}

async fn quote(app: &TestApp, body: &Value) -> reqwest::Response {
    assert_eq!(app.sign_up("ada@example.com").await.status(), 201);
    let token = app.bearer_for("ada@example.com", PASSWORD).await;
    client()
        .post(app.url("/api/v1/quotes"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_is_priced_from_the_rate_card() {
    let app = spawn_app().await;
    let res = quote(&app, &request("Beijing", "100080")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let km = body["distance_km"].as_f64().unwrap();
    assert!((1_000.0..1_100.0).contains(&km), "{km}");
    assert_eq!(body["remote_destination"], false);
    let options = body["options"].as_array().unwrap();
    assert_eq!(options.len(), 4);
    let services: Vec<&str> = options
        .iter()
        .map(|o| o["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        ["pickup_point", "standard", "scheduled", "express"]
    );
    for o in options {
        let lines = o["lines"].as_array().unwrap();
        let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
        assert_eq!(o["total"].as_i64().unwrap(), sum, "the breakdown adds up");
        assert_eq!(o["currency"], "CNY");
        assert_eq!(o["zone"], "national");
        assert!(o["earliest_delivery"].as_str().unwrap() <= o["latest_delivery"].as_str().unwrap());
        // 19.2 kg volumetric beats 2 kg actual; insurance 0.5% of 500.00 = 2.50.
        assert_eq!(lines[0]["chargeable_weight_g"], 19_200);
        assert_eq!(lines[0]["volumetric"], true);
        assert!(lines
            .iter()
            .any(|l| l["kind"] == "insurance" && l["amount"] == 250));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_destination_pays_the_surcharge() {
    let app = spawn_app().await;
    let body: Value = quote(&app, &request("Lhasa", "850000"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["remote_destination"], true);
    let lines = body["options"][0]["lines"].as_array().unwrap();
    assert!(
        lines.iter().any(|l| l["kind"] == "remote_area"),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quote_errors_name_the_exact_field() {
    let app = spawn_app().await;
    let mut body = request("Atlantis", "100080");
    body["parcels"][0]["weight_g"] = json!(0);
    body["parcels"][0]["height_cm"] = json!(500);
    body["parcels"][0]["contents"] = json!(" ");
    let err = error_body(quote(&app, &body).await, 422, "validation_failed").await;
    let fields = err["error"]["fields"].as_object().unwrap();
    for f in [
        "recipient.city",
        "parcels[0].weight_g",
        "parcels[0].height_cm",
        "parcels[0].contents",
    ] {
        assert!(fields.contains_key(f), "{f} missing: {err}");
    }
    let mut none = request("Beijing", "100080");
    none["parcels"] = json!([]);
    let err = error_body(
        quote(&spawn_app().await, &none).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(err["error"]["fields"]["parcels"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotes_need_a_customer() {
    let app = spawn_app().await;
    let res = client()
        .post(app.url("/api/v1/quotes"))
        .json(&request("Beijing", "100080"))
        .send()
        .await
        .unwrap();
    error_body(res, 401, "unauthenticated").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quote_page_prices_saved_addresses_and_parses_typed_numbers() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.sign_in("ada@example.com", PASSWORD).await;
    let req = request("Beijing", "100080");
    let mut ids = Vec::new();
    for who in ["sender", "recipient"] {
        let res = app.post_json("/api/v1/addresses", &req[who]).await;
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["id"].to_string());
    }
    let form = |weight: &'static str| {
        vec![
            ("form[sender_id]", ids[0].clone()),
            ("form[recipient_id]", ids[1].clone()),
            ("form[weight_kg]", weight.to_string()),
            ("form[length_cm]", "60".into()),
            ("form[width_cm]", "40".into()),
            ("form[height_cm]", "40".into()),
            ("form[declared_value]", "500".into()),
            ("form[contents]", "lamp".into()),
            ("form[insure]", "on".into()),
        ]
    };
    let call = |fields: Vec<(&'static str, String)>| {
        let fields: Vec<(&str, String)> = fields;
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call::<app::orders::QuoteFromAddressBook>(&pairs).await
        }
    };
    let res = call(form("2,0")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let options = body["Ok"]["options"].as_array().expect("a quote");
    assert_eq!(options.len(), 4);
    assert!(options[0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["kind"] == "insurance" && l["amount"] == 250));

    let refusal = reply_refusal(call(form("two")).await).await;
    assert_eq!(refusal.as_deref(), Some("Validation"));

    // An address id that is not the caller's is refused like a missing one.
    let mut stolen = form("2");
    stolen[1].1 = "999999".into();
    assert_eq!(
        reply_refusal(call(stolen).await).await.as_deref(),
        Some("Validation")
    );
}
