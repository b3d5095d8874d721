pub mod dashboard;
pub mod home;

/// Stands in, in the browser build, for a page the server serves without the app's wasm: a
/// client-side navigation to it loads the page from the server.
#[cfg(not(feature = "ssr"))]
#[leptos::component]
pub fn LoadFromServer() -> impl leptos::IntoView {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::GetUntracked;
        let url = leptos_router::hooks::use_url().get_untracked();
        let href = match url.search() {
            "" => url.path().to_string(),
            search => format!("{}?{search}", url.path()),
        };
        if let Some(window) = web_sys::window() {
            let location = window.location();
            let here = format!(
                "{}{}",
                location.pathname().unwrap_or_default(),
                location.search().unwrap_or_default()
            );
            // Already loaded from the server (a path the server gave the app's scripts): a
            // reload would only repeat itself.
            if here != href {
                let _ = location.replace(&href);
            }
        }
    }
}
