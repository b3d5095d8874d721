//! Parcelport's pages, server functions and shared types. Built with `ssr` into the server and
//! with `hydrate` into the browser's wasm; never both.
//!
//! # Layers
//! Each module uses only the ones before it in this list, never one after it:
//!
//! 1. `i18n`, `error`, `domain`: the shared vocabulary (statuses, service levels, tiers and
//!    their SLA, dates, money) and the values parsed at the edge.
//! 2. `platform` (server only): the database, settings, the request, signed links, tokens,
//!    uploads; then `kpi_rollup`, the counters the KPIs read.
//! 3. `accounts`: identity, roles and the guards every endpoint names (`callers::Customer`,
//!    `Staff`, `Manager`, `SignedIn`, `Caller`: extractors over `require_*`).
//! 4. The capabilities' cores (their `mod.rs` types and server functions, their services), in
//!    this order: `addresses`, `notifications`, `slots`, `orders`, `ratings`, `returns`,
//!    `tracking`, `complaints`, `crm`. Notifications name no producer: each producer words its
//!    own messages and `messages` joins them. The one link they make themselves is the rating
//!    invitation's (`notifications::rating_link`), which `ratings` checks.
//! 5. `ui`: the components pages share, the error pages among them.
//! 6. The capabilities' pages (`pages.rs`, `*_page.rs`), in the same order as their cores: a
//!    page may use any core and the pages of the capabilities before its own.
//! 7. The router: `pages/`, `layout`, `chunks`, `messages` and this file.
//!
//! `layer_order.rs` reads every `crate::` path in the sources and fails on one against this
//! order.
//!
//! # Tables
//! Each table has one owner, the module that writes and reads it (`table_owners.rs` lists them:
//! `orders` owns `shipments` and `tracking_events`, `accounts` owns `customers` and `users`).
//! Another module asks the owner's store (`orders::store`, `accounts::store`, ...), inside its
//! own transaction when it writes. A query may `JOIN` a table owned lower in the order for a
//! display column (a customer's name beside a complaint). The read models, `kpi_rollup` and
//! `crm`, read every table and write only their own. `table_owners.rs` reads every SQL
//! statement in the sources and fails on one against these rules.

// Deeply nested view types (forms inside Suspense) exceed the default query depth in builds
// without `erase_components`.
#![recursion_limit = "256"]

#[macro_use]
pub mod i18n;
pub mod accounts;
pub mod addresses;
// The lazy routes sit beside the router, the one place that knows every page.
mod chunks;
pub mod complaints;
pub mod crm;
pub mod domain;
pub mod error;
#[cfg(feature = "ssr")]
pub mod kpi_rollup;
#[cfg(test)]
mod layer_order;
mod layout;
pub mod messages;
pub mod notifications;
pub mod orders;
mod pages;
#[cfg(feature = "ssr")]
pub mod platform;
pub mod ratings;
pub mod returns;
pub mod slots;
#[cfg(test)]
mod table_owners;
pub mod tracking;
pub mod ui;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::Lazy;
use leptos_router::{path, SsrMode};

use crate::accounts::{Auth, ChangePassword, SignOut, SignUp, UpdateProfile};
use crate::i18n::{initial_locale, I18n};

/// What a page loads besides its HTML and CSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageScripts {
    /// The app's wasm, which hydrates the page.
    App,
    /// Nothing: the page is read and its forms are posted as plain HTML.
    None,
    /// Leaflet and `track.js` (the map, the live stream, forms without a reload).
    Tracking,
}

/// The pages most visitors open first (a recipient from a label's QR code or a message,
/// someone about to sign in) ship no app wasm: the server renders them whole and their forms
/// work as plain HTML, so they are usable on a slow phone as soon as the HTML arrives. The
/// browser build never renders them (`served_page!`).
pub fn page_scripts(path: &str) -> PageScripts {
    // `/sign-in/` is `/sign-in` to the router: the same page, the same scripts.
    let path = match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    match path {
        "/" | "/track" | "/sign-in" => PageScripts::None,
        _ => match path.strip_prefix("/track/") {
            Some(tn) if !tn.is_empty() && !tn.contains('/') => PageScripts::Tracking,
            _ => PageScripts::App,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_pages_ship_no_wasm_with_or_without_a_trailing_slash() {
        for path in ["/", "/track", "/track/", "/sign-in", "/sign-in/"] {
            assert_eq!(page_scripts(path), PageScripts::None, "{path}");
        }
        for path in ["/track/RR473124829FR", "/track/RR473124829FR/"] {
            assert_eq!(page_scripts(path), PageScripts::Tracking, "{path}");
        }
        for path in [
            "/ship",
            "/track/RR473124829FR/proof",
            "/staff/kpis",
            "/sign-up",
        ] {
            assert_eq!(page_scripts(path), PageScripts::App, "{path}");
        }
    }
}

/// A page served without the app's wasm (see [`page_scripts`]); in the browser build, where
/// it never hydrates, a client-side navigation to it loads it from the server instead.
macro_rules! served_page {
    ($page:path) => {{
        #[cfg(feature = "ssr")]
        let page = $page;
        #[cfg(not(feature = "ssr"))]
        let page = pages::LoadFromServer;
        page
    }};
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let locale = initial_locale();
    // The server may decide for a request (a staff page refused to a customer loads no wasm).
    let scripts = use_context::<http::request::Parts>()
        .map(|p| {
            p.extensions
                .get::<PageScripts>()
                .copied()
                .unwrap_or_else(|| page_scripts(p.uri.path()))
        })
        .unwrap_or_else(|| page_scripts(""));
    let asset = |file: &str| asset_url(&options, file);
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="theme-color" content="#0b5cad" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="manifest" href="/manifest.webmanifest" />
                <link rel="apple-touch-icon" href="/icons/icon-192.png" />
                <HashedStylesheet options=options.clone() />
                // Without scripts, every day's delivery windows show (the day tabs need one).
                <noscript><style>".slot-picker .windows[hidden]{display:grid}.slot-picker .day-strip{display:none}"</style></noscript>
                // The service worker, on every page (a few hundred bytes, deferred).
                <script defer src=asset("pwa.js")></script>
                {match scripts {
                    PageScripts::App => view! {
                        <AutoReload options=options.clone() />
                        <HydrationScripts options=options.clone() />
                    }.into_any(),
                    PageScripts::None => ().into_any(),
                    // Deferred: they never hold up the first paint, and run in order.
                    PageScripts::Tracking => view! {
                        <link rel="stylesheet" href=asset("vendor/leaflet/leaflet.css") />
                        <script defer src=asset("vendor/leaflet/leaflet.js")></script>
                        <script defer src=asset("track.js")></script>
                    }.into_any(),
                }}
                <MetaTags />
            </head>
            // Pages without scripts are ready as they arrive; the others say so when they are.
            <body data-ready=(scripts == PageScripts::None).then_some("static")>
                <App />
            </body>
        </html>
    }
}

/// A file of the site with its content's hash in the query, so the cache keeps it for a year
/// and a new version has a new address.
#[cfg(feature = "ssr")]
fn asset_url(options: &LeptosOptions, file: &str) -> String {
    platform::assets::versioned(&options.site_root, file)
}

#[cfg(not(feature = "ssr"))]
fn asset_url(_: &LeptosOptions, file: &str) -> String {
    format!("/{file}")
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = I18n {
        locale: RwSignal::new(initial_locale()),
    };
    provide_context(i18n);

    let sign_up = ServerAction::<SignUp>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let update_profile = ServerAction::<UpdateProfile>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let user = Resource::new(
        move || {
            (
                sign_up.version().get(),
                sign_out.version().get(),
                update_profile.version().get(),
            )
        },
        |_| accounts::current_user(),
    );
    provide_context(Auth {
        user,
        sign_up,
        sign_out,
        update_profile,
        change_password,
    });

    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Parcelport".to_string() } else { format!("{page} · Parcelport") }
        } />
        <Router>
            <layout::Shell>
                // Signed-in pages wait for the user before sending headers, so a 403 is a 403.
                <Routes fallback=|| view! { <ui::errors::NotFound /> }>
                    <Route path=path!("") view=served_page!(pages::home::HomePage) ssr=SsrMode::Async />
                    <Route path=path!("/track") view=served_page!(tracking::track_page::TrackPage) ssr=SsrMode::Async />
                    <Route path=path!("/track/:tracking_number") view=served_page!(tracking::pages::TrackShipmentPage) ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=served_page!(accounts::pages::SignInPage) ssr=SsrMode::Async />
                    <Route path=path!("/sign-up") view={Lazy::<chunks::SignUp>::new()} />
                    <Route path=path!("/account") view={Lazy::<chunks::Account>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/addresses") view={Lazy::<chunks::AddressBook>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/quote") view={Lazy::<chunks::Quote>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/ship") view={Lazy::<chunks::Booking>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/shipments") view={Lazy::<chunks::Shipments>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/shipments/import") view={Lazy::<chunks::Import>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/shipments/:tracking_number") view={Lazy::<chunks::Shipment>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view={Lazy::<chunks::Dashboard>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/settings/notifications") view={Lazy::<chunks::NotificationSettings>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/customers") view={Lazy::<chunks::StaffCustomers>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/customers/:id") view={Lazy::<chunks::StaffCustomer>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/kpis") view={Lazy::<chunks::StaffKpis>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/kpis/:kpi") view={Lazy::<chunks::StaffKpiItems>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/segments") view={Lazy::<chunks::StaffSegments>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/retention") view={Lazy::<chunks::StaffRetention>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/slots") view={Lazy::<chunks::StaffSlotTemplates>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/staff/queue") view={Lazy::<chunks::StaffQueue>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/rate/:tracking_number") view={Lazy::<chunks::Rate>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/returns") view={Lazy::<chunks::Returns>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/returns/new") view={Lazy::<chunks::NewReturn>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/returns/:id") view={Lazy::<chunks::Return>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/complaints") view={Lazy::<chunks::Complaints>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/complaints/new") view={Lazy::<chunks::NewComplaint>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/complaints/:id") view={Lazy::<chunks::Complaint>::new()} ssr=SsrMode::Async />
                </Routes>
            </layout::Shell>
        </Router>
    }
}
