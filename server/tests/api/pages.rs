//! Server-rendered pages: language negotiation, status codes, role-dependent content.

use crate::helpers::*;

async fn page(app: &TestApp, path: &str, lang: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(l) = lang {
        req = req.header("Accept-Language", l);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_landing_page_follows_accept_language_and_the_cookie() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/", Some("zh-CN,zh;q=0.9,en;q=0.5")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<html lang=\"zh-CN\""),
        "{}",
        &html[..300.min(html.len())]
    );
    assert!(html.contains("我的包裹在哪里？"));
    assert!(html.contains("name=\"q\""), "the track box is there");

    let (_, html) = page(&app, "/", Some("en-GB")).await;
    assert!(html.contains("Where is my parcel?"));

    let res = app
        .client
        .get(app.url("/"))
        .header("Accept-Language", "en")
        .header("Cookie", "pp_lang=zh-CN")
        .send()
        .await
        .unwrap();
    assert!(
        res.text().await.unwrap().contains("我的包裹在哪里？"),
        "the remembered choice wins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_with_a_page() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/no/such/page", None).await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_signed_in_customer() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let (_, anonymous) = page(&app, "/dashboard", None).await;
    assert!(anonymous.contains("Please sign in to continue."));
    app.sign_in("ada@example.com", PASSWORD).await;
    let (status, html) = page(&app, "/dashboard", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("Welcome, Ada Lovelace"), "{html}");
    assert!(html.contains("Analytical Engines Ltd"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_pages_are_forbidden_to_customers() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    app.sign_in("ada@example.com", PASSWORD).await;
    let (status, html) = page(&app, "/staff/customers", None).await;
    assert!(html.contains("Not allowed"), "{html}");
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_track_page_validates_numbers() {
    let app = spawn_app().await;
    let (status, html) = page(&app, "/track?q=RR473124829FR+RR473124828FR", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("No parcel with this number is known to us yet"));
    assert!(html.contains("This is not a valid tracking number."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shipment_pages_show_the_owner_its_shipments_and_nobody_else() {
    let app = spawn_app().await;
    let owner = crate::shipments::customer(&app, "ada@example.com").await;
    let other = crate::shipments::customer(&app, "eve@example.com").await;
    let shipment: serde_json::Value =
        crate::shipments::book(&app, &owner, "k", &crate::shipments::booking("PO-PAGE"))
            .await
            .json()
            .await
            .unwrap();
    let tn = shipment["tracking_number"].as_str().unwrap();
    let as_user = |token: &str, path: &str| {
        let req = client().get(app.url(path)).bearer_auth(token);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };
    let (status, html) = as_user(&owner, "/shipments?q=PO-PAGE").await;
    assert_eq!(status, 200);
    assert!(html.contains(tn), "the list shows it");
    let (status, html) = as_user(&owner, &format!("/shipments/{tn}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Print label") && html.contains("PO-PAGE"));
    for path in ["/ship", "/shipments/import"] {
        let (status, _) = as_user(&owner, path).await;
        assert_eq!(status, 200, "{path}");
    }
    let (status, html) = as_user(&other, &format!("/shipments/{tn}")).await;
    assert_eq!(status, 404);
    assert!(!html.contains("PO-PAGE"));
    let (_, html) = as_user(&other, "/shipments").await;
    assert!(!html.contains(tn));
}

/// A page whose data is missing is the not-found page with its 404, not a banner on a page
/// that looks fine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_data_is_missing_is_the_not_found_page() {
    let app = spawn_app().await;
    app.create_staff("agent@parcelport.example", app::accounts::Role::Agent)
        .await;
    let agent = app.bearer_for("agent@parcelport.example", PASSWORD).await;
    let res = get_as(&app, "/complaints/999999", Some(&agent)).await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"data-testid="not-found""#), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracking_pages_render_server_side_under_concurrency() {
    let app = spawn_app().await;
    let token = crate::shipments::customer(&app, "shipper@example.com").await;
    let res = crate::shipments::book(&app, &token, "k1", &crate::shipments::booking("PO-1")).await;
    let tn = res.json::<serde_json::Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_string();
    // Many renders at once on a multi-threaded runtime: the map is the browser's alone, so
    // nothing thread-bound is made or dropped on whichever thread a render lands on.
    let renders: Vec<_> = (0..24)
        .map(|_| {
            let url = app.url(&format!("/track/{tn}"));
            tokio::spawn(async move { client().get(url).send().await.unwrap() })
        })
        .collect();
    for r in renders {
        let res = r.await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains(&tn));

        assert!(
            html.contains("Estimated delivery"),
            "the ETA is server-rendered"
        );
    }
}
