//! Returns end to end over HTTP: the whole loop to a refund, the refusals, the recipient's
//! signed link, and what a return may choose.

use serde_json::{json, Value};

use crate::after_delivery::{
    agent, beijing_area, booked, deliver, get, ok_json, post, recipient_window, scan, upload,
    DAY_MS, PNG,
};
use crate::helpers::*;
use crate::shipments::customer;

fn steps(r: &Value) -> Vec<String> {
    r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_goes_the_whole_loop_to_refunded() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "r1").await;
    let request = |slot: i64| {
        json!({"items": [0], "reason": "damaged", "note": "The lamp arrived cracked.",
               "method": "pickup", "pickup_slot_id": slot})
    };
    let slot = recipient_window(&app, &shipper).await;
    let path = format!("/api/v1/shipments/{tn}/returns");

    // Not delivered yet.
    error_body(
        post(&app, &path, &shipper, &request(slot)).await,
        409,
        "not_delivered",
    )
    .await;
    deliver(&app, &carrier, &tn, 1).await;
    // Nothing chosen, no window, an unknown reason.
    let body = error_body(
        post(
            &app,
            &path,
            &shipper,
            &json!({"items": [], "reason": "damaged", "method": "pickup"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["items"].is_string(), "{body}");
    assert!(
        body["error"]["fields"]["pickup_slot_id"].is_string(),
        "{body}"
    );
    error_body(
        post(
            &app,
            &path,
            &shipper,
            &json!({"items": [0], "reason": "bored", "method": "pickup"}),
        )
        .await,
        422,
        "invalid_body",
    )
    .await;

    let r = ok_json(post(&app, &path, &shipper, &request(slot)).await, 201).await;
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["status"], "requested");
    assert_eq!(r["refundable"], 50000, "the lamp's declared value");
    assert_eq!(r["pickup_slot"]["id"], slot);
    // The same item cannot go back twice.
    error_body(
        post(&app, &path, &shipper, &request(slot)).await,
        409,
        "already_returned",
    )
    .await;

    // Photos: an image is kept, a renamed executable is refused by its bytes.
    let photos = format!("/api/v1/returns/{id}/photos");
    let r = ok_json(upload(&app, &photos, &shipper, "crack.png", PNG).await, 200).await;
    let photo_id = r["photos"][0].as_i64().unwrap();
    let body = error_body(
        upload(
            &app,
            &photos,
            &shipper,
            "photo.jpg",
            b"MZ\x90\0\x03\0\0\0 not an image",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(body["error"]["fields"]["photo"].is_string(), "{body}");
    let res = get(
        &app,
        &format!("/api/v1/returns/{id}/photos/{photo_id}"),
        &shipper,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // No label before approval; only agents decide; a rejection needs a reason.
    error_body(
        get(&app, &format!("/api/v1/returns/{id}/label.pdf"), &shipper).await,
        409,
        "transition_illegal",
    )
    .await;
    let decision = format!("/api/v1/returns/{id}/decision");
    error_body(
        post(&app, &decision, &shipper, &json!({"approve": true})).await,
        403,
        "forbidden",
    )
    .await;
    error_body(
        post(&app, &decision, &agent, &json!({"approve": false})).await,
        422,
        "validation_failed",
    )
    .await;
    let queue = ok_json(get(&app, "/api/v1/returns", &agent).await, 200).await;
    assert_eq!(queue[0]["id"], id, "waiting in the agents' queue");

    let r = ok_json(
        post(&app, &decision, &agent, &json!({"approve": true})).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "label_issued");
    assert_eq!(steps(&r), ["requested", "approved", "label_issued"]);
    let rtn = r["return_tracking_number"].as_str().unwrap().to_string();
    assert!(
        app::domain::TrackingNumber::parse(&rtn).is_ok(),
        "an S10 number: {rtn}"
    );
    assert_ne!(rtn, tn);
    let res = get(&app, &format!("/api/v1/returns/{id}/label.pdf"), &shipper).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    // The way back is a shipment of its own: from the recipient to the shipper, on the map.
    let track = ok_json(
        get(&app, &format!("/api/v1/track/{rtn}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(track["origin_city"], "Beijing");
    assert_eq!(track["destination_city"], "Shanghai");
    error_body(
        post(&app, &decision, &agent, &json!({"approve": true})).await,
        409,
        "transition_illegal",
    )
    .await;

    // Its scans move the return.
    scan(&app, &carrier, &rtn, "picked_up").await;
    let r = ok_json(
        get(&app, &format!("/api/v1/returns/{id}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "in_transit");
    scan(&app, &carrier, &rtn, "in_transit").await;
    scan(&app, &carrier, &rtn, "out_for_delivery").await;
    scan(&app, &carrier, &rtn, "delivered").await;
    let r = ok_json(
        get(&app, &format!("/api/v1/returns/{id}"), &shipper).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "received");

    let refund = format!("/api/v1/returns/{id}/refund");
    error_body(
        post(&app, &refund, &shipper, &json!({"refund": true})).await,
        403,
        "forbidden",
    )
    .await;
    let r = ok_json(
        post(&app, &refund, &agent, &json!({"refund": true})).await,
        200,
    )
    .await;
    assert_eq!(r["status"], "refunded");
    assert_eq!(r["refund_amount"], 50000);
    assert_eq!(
        steps(&r),
        [
            "requested",
            "approved",
            "label_issued",
            "in_transit",
            "received",
            "refunded"
        ]
    );
    // Every step was told to the shipper.
    let notes = ok_json(get(&app, "/api/v1/notifications", &shipper).await, 200).await;
    let return_steps: Vec<&str> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "return_update")
        .map(|n| n["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        return_steps,
        [
            "refunded",
            "received",
            "in_transit",
            "label_issued",
            "approved",
            "requested"
        ]
    );
    // Photos close with the return.
    error_body(
        upload(&app, &photos, &shipper, "late.png", PNG).await,
        409,
        "transition_illegal",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returns_are_refused_after_the_window_and_a_rejection_frees_the_items() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let late = booked(&app, &shipper, "late").await;
    deliver(&app, &carrier, &late, 31).await;
    let drop_off = json!({"items": [1], "reason": "no_longer_needed", "method": "drop_off",
                          "drop_off_point": "Haidian locker"});
    error_body(
        post(
            &app,
            &format!("/api/v1/shipments/{late}/returns"),
            &shipper,
            &drop_off,
        )
        .await,
        409,
        "return_window_closed",
    )
    .await;

    let tn = booked(&app, &shipper, "fresh").await;
    deliver(&app, &carrier, &tn, 29).await;
    let path = format!("/api/v1/shipments/{tn}/returns");
    let body = error_body(
        post(
            &app,
            &path,
            &shipper,
            &json!({"items": [1], "reason": "other", "method": "drop_off",
            "drop_off_point": "Somewhere else"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["error"]["fields"]["drop_off_point"].is_string(),
        "{body}"
    );
    let r = ok_json(post(&app, &path, &shipper, &drop_off).await, 201).await;
    let id = r["id"].as_i64().unwrap();
    let r = ok_json(
        post(
            &app,
            &format!("/api/v1/returns/{id}/decision"),
            &agent,
            &json!({"approve": false, "note": "Books cannot be returned once opened."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["decision_note"], "Books cannot be returned once opened.");
    // Rejected: the items may be asked for again.
    ok_json(post(&app, &path, &shipper, &drop_off).await, 201).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_returns_of_the_same_items_at_once_open_one() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "c1").await;
    deliver(&app, &carrier, &tn, 1).await;
    let body = json!({"items": [0, 1], "reason": "wrong_item", "method": "drop_off",
                      "drop_off_point": "Haidian locker"});
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let req = client()
                .post(app.url(&format!("/api/v1/shipments/{tn}/returns")))
                .bearer_auth(&shipper)
                .json(&body);
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409]);
    let mine = ok_json(get(&app, "/api/v1/returns", &shipper).await, 200).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_returns_by_the_tracking_pages_signed_link_without_an_account() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let agent = agent(&app).await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "rcpt").await;
    deliver(&app, &carrier, &tn, 2).await;
    // What the tracking page hands a recipient who proved the postcode.
    let link = app::returns::service::request_link(&app.db, &tn, app::platform::now_ms())
        .await
        .unwrap();
    let query = link
        .split_once('?')
        .unwrap()
        .1
        .replace(&format!("tn={tn}&"), "");
    let body = json!({"items": [0], "reason": "not_as_described", "method": "drop_off",
                      "drop_off_point": "Haidian locker"});
    let path = format!("/api/v1/shipments/{tn}/returns");
    let res = client()
        .post(app.url(&format!("{path}?{}", query.replace("sig=", "sig=1"))))
        .json(&body)
        .send()
        .await
        .unwrap();
    error_body(res, 422, "validation_failed").await;
    let res = client()
        .post(app.url(&format!("{path}?{query}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let r = ok_json(res, 201).await;
    assert_eq!(r["requested_by"], "recipient");
    let id = r["id"].as_i64().unwrap();
    // Its own signed link follows it, photos included; it opens no other return.
    let view = r["view_link"].as_str().unwrap().to_string();
    let view_query = view.split_once('?').unwrap().1.to_string();
    let r = ok_json(
        client()
            .get(app.url(&format!("/api/v1/returns/{id}?{view_query}")))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(r["status"], "requested");
    let part = reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("x.png");
    let res = client()
        .post(app.url(&format!("/api/v1/returns/{id}/photos?{view_query}")))
        .multipart(reqwest::multipart::Form::new().part("photo", part))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok_json(res, 200).await["photos"].as_array().unwrap().len(),
        1
    );
    let res = client()
        .get(app.url(&format!("/api/v1/returns/{}?{view_query}", id + 1)))
        .send()
        .await
        .unwrap();
    error_body(res, 422, "validation_failed").await;
    // The shipper sees it among its returns; the agent decides as for any other.
    let mine = ok_json(get(&app, "/api/v1/returns", &shipper).await, 200).await;
    assert_eq!(mine[0]["id"], id);
    let r = ok_json(
        post(
            &app,
            &format!("/api/v1/returns/{id}/decision"),
            &agent,
            &json!({"approve": true}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(r["status"], "label_issued");
    let res = client()
        .get(app.url(&format!("/api/v1/returns/{id}/label.pdf?{view_query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// What a return may choose, through the API as on the return page: the items, the window's
/// end, the pickup windows at the recipient's address and the drop-off points; for the shipper
/// signed in or the recipient's signed link, nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_options_offer_the_items_windows_and_drop_off_points() {
    let app = spawn_app().await;
    beijing_area(&app).await;
    let shipper = customer(&app, "shipper@example.com").await;
    let other = customer(&app, "other@example.com").await;
    let carrier =
        app::tracking::carrier::create_token(&app.db, "Courier", crate::helpers::CARRIER_TTL)
            .await
            .unwrap();
    let tn = booked(&app, &shipper, "opts").await;
    let path = format!("/api/v1/shipments/{tn}/return-options");

    // Before delivery: no window yet.
    let options = ok_json(get(&app, &path, &shipper).await, 200).await;
    assert!(options["delivered_at"].is_null(), "{options}");
    assert!(options["window_ends_at"].is_null(), "{options}");

    deliver(&app, &carrier, &tn, 1).await;
    let options = ok_json(get(&app, &path, &shipper).await, 200).await;
    let delivered = options["delivered_at"].as_i64().unwrap();
    assert_eq!(options["window_ends_at"], delivered + 30 * DAY_MS);
    assert_eq!(options["currency"], "CNY");
    let items = options["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["contents"], "lamp");
    assert_eq!(items[0]["declared_value"], 50000);
    assert_eq!(items[0]["in_return"], false);
    assert_eq!(options["drop_off_points"], json!(["Haidian locker"]));
    assert_eq!(options["slots"]["area"], "beijing");
    let slot = options["slots"]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["bookable"] == true)
        .expect("a pickup window")["id"]
        .clone();

    // A window from the options is taken by the request; the item is then in a return.
    let request = json!({"items": [0], "reason": "damaged", "method": "pickup",
                         "pickup_slot_id": slot});
    let returns = format!("/api/v1/shipments/{tn}/returns");
    ok_json(post(&app, &returns, &shipper, &request).await, 201).await;
    let options = ok_json(get(&app, &path, &shipper).await, 200).await;
    assert_eq!(options["items"][0]["in_return"], true);
    assert_eq!(options["items"][1]["in_return"], false);

    // The recipient's signed link opens them too; a forged one does not.
    let link = app::returns::service::request_link(&app.db, &tn, app::platform::now_ms())
        .await
        .unwrap();
    let query = link
        .split_once('?')
        .unwrap()
        .1
        .replace(&format!("tn={tn}&"), "");
    let res = get_as(&app, &format!("{path}?{query}"), None).await;
    assert_eq!(ok_json(res, 200).await["tracking_number"], tn.as_str());
    let forged = query.replace("sig=", "sig=1");
    let res = get_as(&app, &format!("{path}?{forged}"), None).await;
    error_body(res, 422, "validation_failed").await;

    // Another customer's shipment is not found; nobody signed in is refused.
    error_body(get(&app, &path, &other).await, 404, "not_found").await;
    error_body(get_as(&app, &path, None).await, 401, "unauthenticated").await;
}
