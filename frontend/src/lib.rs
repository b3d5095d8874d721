//! The wasm entry point: hydrate the server-rendered page.

// The future that hydrates the app's (deeply nested) view type.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    // Pages are lazy routes (their own wasm chunks): hydration waits for the page's chunk.
    wasm_bindgen_futures::spawn_local(async move {
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // A marker for the end-to-end tests (and anyone debugging): the page is interactive now.
        let _ = body.set_attribute("data-hydrated", "true");
        let _ = body.set_attribute("data-ready", "hydrated");
    });
}
