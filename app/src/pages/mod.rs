pub mod dashboard;
pub mod errors;
pub mod home;
pub mod track;

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
            let _ = window.location().replace(&href);
        }
    }
}
