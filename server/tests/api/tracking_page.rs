//! The tracking page without any wasm: the proof, the recipient's grant and the delivery change
//! work as plain forms, and the language buttons are a form that only leads back to this site.

use serde_json::Value;

use crate::helpers::*;
use crate::shipments::{book, booking};
use crate::tracking::{booked, html, location};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracking_page_works_as_plain_forms_without_any_wasm() {
    let app = spawn_app().await;
    let tn = booked(&app).await;
    let page = format!("/track/{tn}");
    let recipient = client();

    // Served whole, with the small script and no app wasm.
    let first = html(&recipient, &app, &page).await;
    assert!(first.contains("data-testid=\"track-status\""), "{first}");
    assert!(first.contains("track.js"));
    assert!(
        !first.contains(".wasm") && !first.contains("modulepreload"),
        "no wasm, JS glue or preload of it"
    );
    assert!(!first.contains("李雷"), "nobody named before the proof");
    assert!(first.contains(&format!("action=\"/track/{tn}/proof\"")));

    // A wrong proof comes back to the page, which says why next to the field.
    let res = recipient
        .post(app.url(&format!("{page}/proof")))
        .form(&[("proof", "999999")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("{page}?error=proof_wrong&field=proof")
    );
    assert!(set_cookie_headers(res.headers()).is_empty());
    let refused = html(&recipient, &app, &location(&res)).await;
    assert!(
        refused.contains("That does not match the recipient&#x27;s postcode or phone number.")
            || refused.contains("That does not match the recipient's postcode or phone number.")
    );
    assert!(!refused.contains("李雷"));

    // The right one: a grant for this parcel's page only, which scripts cannot read.
    let res = recipient
        .post(app.url(&format!("{page}/proof")))
        .form(&[("proof", "100080")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), page);
    let cookie = set_cookie_headers(res.headers()).join("\n");
    assert!(cookie.starts_with("pp_recipient="), "{cookie}");
    assert!(cookie.contains(&format!("Path={page};")) && cookie.contains("HttpOnly"));
    let opened = html(&recipient, &app, &page).await;
    assert!(opened.contains("李雷") && opened.contains("9 Xinhua Road"));
    // No delivery windows in this test's Beijing: said so, not offered.
    assert!(opened.contains("data-testid=\"cannot-change\""));
    assert!(
        !html(&client(), &app, &page).await.contains("李雷"),
        "another device still sees the public page"
    );
    let cache = |res: reqwest::Response| res.headers()["cache-control"].clone();
    let verified = recipient.get(app.url(&page)).send().await.unwrap();
    assert_eq!(cache(verified), "no-store", "kept by no cache");
    let public = client().get(app.url(&page)).send().await.unwrap();
    assert_eq!(cache(public), "no-cache");

    // The grant is worth nothing for another parcel.
    let other = {
        let shipper = app.bearer_for("shipper@example.com", PASSWORD).await;
        let res = book(&app, &shipper, "k2", &booking("PO-2")).await;
        res.json::<Value>().await.unwrap()["tracking_number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let grant = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("pp_recipient=")
        .to_string();
    let res = client()
        .post(app.url(&format!("/track/{other}/delivery")))
        .header("Cookie", format!("pp_recipient={grant}"))
        .form(&[("to", "pickup_point"), ("pickup_point", "Anywhere")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        format!("/track/{other}"),
        "sent back to prove it"
    );

    // A grant altered in any way is no grant.
    let (expires, signature) = grant.split_once('.').unwrap();
    let later = expires.parse::<i64>().unwrap() + 3_600_000;
    for forged in [
        format!("{later}.{signature}"),
        format!("{expires}.{}", "0".repeat(64)),
    ] {
        let res = client()
            .get(app.url(&page))
            .header("Cookie", format!("pp_recipient={forged}"))
            .send()
            .await
            .unwrap();
        assert!(!res.text().await.unwrap().contains("李雷"), "{forged}");
    }
    // Another site cannot post the forms with the visitor's grant.
    let res = recipient
        .post(app.url(&format!("{page}/delivery")))
        .header("Origin", "https://evil.example")
        .form(&[("to", "pickup_point"), ("pickup_point", "Anywhere")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Nothing chosen: refused next to the choice, nothing changed.
    let res = recipient
        .post(app.url(&format!("{page}/delivery")))
        .form(&[("to", "window")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res),
        format!("{page}?error=nothing_chosen&field=slot_id")
    );
    // An unknown number is a 404, never a redirect built from it.
    let res = recipient
        .post(app.url("/track/not-a-number/proof"))
        .form(&[("proof", "100080")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_buttons_work_as_a_form_and_only_lead_back_to_this_site() {
    let app = spawn_app().await;
    let browser = client();
    let res = browser
        .post(app.url("/locale"))
        .form(&[("locale", "zh-CN"), ("back", "/track?q=RR473124829FR")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/track?q=RR473124829FR");
    assert!(set_cookie_headers(res.headers())
        .join("\n")
        .starts_with("pp_lang=zh-CN;"));
    assert!(html(&browser, &app, "/").await.contains("我的包裹在哪里？"));
    for away in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil",
    ] {
        let res = browser
            .post(app.url("/locale"))
            .form(&[("locale", "en"), ("back", away)])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&res), "/", "{away:?}");
    }
}
