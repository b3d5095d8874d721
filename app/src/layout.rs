//! The page frame: header with navigation per role, language switch and account menu; footer.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::accounts::use_auth;
use crate::accounts::{Role, User};
use crate::i18n::{remember_locale, use_i18n, Locale};

#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <a class="skip-link" href="#main">{t!(i18n, skip_to_content)}</a>
        <Header />
        <main id="main" class="container">{children()}</main>
        <Footer />
    }
}

#[component]
fn Header() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let user = move || auth.user.get().and_then(|r| r.ok()).flatten();
    view! {
        <header class="site-header">
            <div class="container header-row">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"▣"</span>
                    {t!(i18n, app_name)}
                </a>
                <div class="header-tools">
                    <LanguageSwitch />
                    <Transition fallback=|| ()>
                        {move || match user() {
                            Some(u) => view! { <AccountMenu user=u /> }.into_any(),
                            None => view! {
                                <a class="button button-small" href="/sign-in" data-testid="nav-sign-in">
                                    {t!(i18n, nav_sign_in)}
                                </a>
                            }.into_any(),
                        }}
                    </Transition>
                </div>
            </div>
            <nav class="site-nav" aria-label=t!(i18n, nav_menu)>
                <div class="container nav-row">
                    <Transition fallback=|| ()>
                        {move || nav_links(user().map(|u| u.role))}
                    </Transition>
                </div>
            </nav>
        </header>
    }
}

fn nav_links(role: Option<Role>) -> impl IntoView {
    let i18n = use_i18n();
    let link = move |href: &'static str, text: fn(&'static crate::i18n::Texts) -> &'static str| {
        view! { <A href=href>{move || text(i18n.get())}</A> }
    };
    match role {
        None => view! {
            {link("/", |t| t.nav_home)}
            {link("/track", |t| t.nav_track)}
            {link("/sign-up", |t| t.nav_sign_up)}
        }
        .into_any(),
        Some(Role::Customer) => view! {
            {link("/dashboard", |t| t.nav_dashboard)}
            {link("/ship", |t| t.nav_book)}
            {link("/shipments", |t| t.nav_shipments)}
            {link("/quote", |t| t.nav_quote)}
            {link("/addresses", |t| t.nav_addresses)}
            {link("/returns", |t| t.returns_title)}
            {link("/complaints", |t| t.complaints_title)}
            {link("/track", |t| t.nav_track)}
            {link("/account", |t| t.nav_account)}
        }
        .into_any(),
        Some(Role::Agent | Role::Manager) => view! {
            {link("/dashboard", |t| t.nav_dashboard)}
            {link("/staff/queue", |t| t.queue_title)}
            {link("/staff/customers", |t| t.nav_customers)}
            {link("/staff/kpis", |t| t.nav_kpis)}
            {link("/staff/retention", |t| t.nav_retention)}
            {(role == Some(Role::Manager)).then(|| link("/staff/slots", |t| t.nav_slots))}
            {link("/track", |t| t.nav_track)}
            {link("/account", |t| t.nav_account)}
        }
        .into_any(),
    }
}

/// A form, so it works on pages without scripts (the server remembers the choice and sends
/// the browser back); a hydrated page switches in place instead.
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
    let url = leptos_router::hooks::use_url();
    let back = move || {
        url.with(|u| match u.search() {
            "" => u.path().to_string(),
            search => format!("{}?{search}", u.path()),
        })
    };
    view! {
        <form class="lang-switch" method="post" action="/locale" role="group" aria-label=t!(i18n, language)>
            <input type="hidden" name="back" value=back />
            {Locale::ALL
                .into_iter()
                .map(|locale| {
                    view! {
                        <button
                            type="submit"
                            name="locale"
                            value=locale.tag()
                            lang=locale.tag()
                            title=locale.native_name()
                            aria-label=locale.native_name()
                            data-testid=format!("lang-{}", locale.tag())
                            aria-pressed=move || (i18n.locale.get() == locale).to_string()
                            on:click=move |ev| {
                                ev.prevent_default();
                                i18n.locale.set(locale);
                                remember_locale(locale);
                            }
                        >
                            {locale.short_name()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
    }
}

#[component]
fn AccountMenu(user: User) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let role = user.role;
    view! {
        <details class="account-menu">
            <summary data-testid="account-menu">{user.name.clone()}</summary>
            <div class="menu-panel">
                <p class="muted small">
                    {t!(i18n, signed_in_as)} " " <strong>{user.email.clone()}</strong>
                </p>
                <p class="badge">{move || role.label(i18n.get())}</p>
                <a href="/account">{t!(i18n, nav_account)}</a>
                <ActionForm action=auth.sign_out>
                    <button type="submit" class="button button-secondary" data-testid="sign-out">
                        {t!(i18n, nav_sign_out)}
                    </button>
                </ActionForm>
            </div>
        </details>
    }
}

#[component]
fn Footer() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <footer class="site-footer">
            <div class="container footer-row">
                <p>{t!(i18n, footer_rights)}</p>
                <p class="footer-links">
                    <a href="/api/v1/openapi.json" rel="external">{t!(i18n, footer_api)}</a>
                    <a href="/readyz" rel="external">{t!(i18n, footer_status)}</a>
                </p>
            </div>
        </footer>
    }
}
