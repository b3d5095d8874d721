use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::use_auth;
use crate::accounts::{ApiTokenInfo, Role, SessionInfo, User};
use crate::domain::{Industry, Password};
use crate::error::AppError;
use crate::i18n::fill;
use crate::i18n::use_i18n;
use crate::ui::{
    errors::Forbidden, field_error, form_error, format_time, Field, FormError, Loaded,
};

/// Shown by `RequireRole` and, for a page whose data needs a signed-in reader, by
/// `ui::Loaded`; named here too, beside the guard.
pub use crate::ui::errors::SignInPrompt;

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    // Made here, inside the routes: the page ships no wasm, its form posts as plain HTML, and a
    // refusal comes back in the URL, where only an action made inside the routes reads it.
    let action = ServerAction::<super::SignIn>::new();
    // A refusal comes back in the query (`back_to_form_on_refusal`).
    #[cfg(feature = "ssr")]
    let refused = leptos_router::hooks::use_query_map()
        .with_untracked(|q| AppError::from_query(|k| q.get(k)));
    #[cfg(not(feature = "ssr"))]
    let refused: Option<AppError> = None;
    #[cfg(feature = "ssr")]
    let typed_email = super::typed_email().unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let typed_email = String::new();
    let value = Signal::derive(move || {
        action
            .value()
            .get()
            .or_else(|| refused.clone().map(|e| Ok(Err(e))))
    });
    let next = leptos_router::hooks::use_query_map()
        .with_untracked(|q| q.get("next"))
        .filter(|n| super::after_sign_in(Some(n)) == n.as_str());
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().sign_in_title.to_string()) />
        <section class="card narrow">
            <h1>{t!(i18n, sign_in_title)}</h1>
            <ActionForm action=action attr:novalidate="true">
                {next.map(|n| view! { <input type="hidden" name="next" value=n /> })}
                <FormError message=form_error(value) />
                <Field name="email" kind="email" autocomplete="username" required=true
                    label=Signal::derive(move || i18n.get().field_email)
                    value=typed_email
                    error=field_error(value, "email") />
                <Field name="password" kind="password" autocomplete="current-password" required=true
                    label=Signal::derive(move || i18n.get().field_password)
                    error=field_error(value, "password") />
                <button type="submit" class="button button-primary button-block" data-testid="sign-in-submit"
                    disabled=move || action.pending().get()>
                    {t!(i18n, sign_in_button)}
                </button>
            </ActionForm>
            <p class="muted">
                {t!(i18n, sign_in_no_account)} " " <a href="/sign-up">{t!(i18n, nav_sign_up)}</a>
            </p>
        </section>
    }
}

#[component]
fn IndustrySelect(
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] selected: Option<Industry>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for="f-industry">{t!(i18n, field_industry)}</label>
            <select id="f-industry" name="industry" aria-describedby="f-industry-error"
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }>
                {Industry::ALL
                    .into_iter()
                    .map(|ind| {
                        view! {
                            <option value=ind.as_str() selected=selected == Some(ind)>
                                {move || ind.label(i18n.get())}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <p class="field-error" id="f-industry-error" aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = use_auth().sign_up;
    let value = action.value();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().sign_up_title.to_string()) />
        <section class="card narrow">
            <h1>{t!(i18n, sign_up_title)}</h1>
            <p class="muted">{t!(i18n, sign_up_lead)}</p>
            <ActionForm action=action attr:novalidate="true">
                <FormError message=form_error(value) />
                <Field name="name" autocomplete="name" required=true maxlength=100
                    label=Signal::derive(move || i18n.get().field_name)
                    error=field_error(value, "name") />
                <Field name="company" autocomplete="organization" maxlength=120
                    label=Signal::derive(move || i18n.get().field_company)
                    error=field_error(value, "company") />
                <IndustrySelect error=field_error(value, "industry") />
                <Field name="email" kind="email" autocomplete="email" required=true
                    label=Signal::derive(move || i18n.get().field_email)
                    error=field_error(value, "email") />
                <Field name="password" kind="password" autocomplete="new-password" required=true
                    minlength=Password::MIN_CHARS
                    label=Signal::derive(move || i18n.get().field_password)
                    hint=Signal::derive(move || i18n.get().field_password_hint)
                    error=field_error(value, "password") />
                <button type="submit" class="button button-primary button-block" data-testid="sign-up-submit"
                    disabled=move || action.pending().get()>
                    {t!(i18n, sign_up_button)}
                </button>
            </ActionForm>
            <p class="muted">
                {t!(i18n, sign_up_have_account)} " " <a href="/sign-in">{t!(i18n, nav_sign_in)}</a>
            </p>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().account_title.to_string()) />
        <h1>{t!(i18n, account_title)}</h1>
        <RequireRole roles=&[Role::Customer, Role::Agent, Role::Manager]
            children=|user: User| view! { <ProfileForm user=user /> <PasswordForm /> <SignedInList /> } />
    }
}

#[component]
fn ProfileForm(user: User) -> impl IntoView {
    let i18n = use_i18n();
    let action = use_auth().update_profile;
    let value = action.value();
    let saved = move || matches!(value.get(), Some(Ok(Ok(_))));
    let customer = user.customer.clone();
    view! {
        <section class="card">
            <h2>{t!(i18n, account_profile)}</h2>
            <p class="muted">{user.email.clone()}</p>
            <ActionForm action=action attr:novalidate="true">
                <FormError message=form_error(value) />
                <Field name="name" autocomplete="name" required=true maxlength=100 value=user.name.clone()
                    label=Signal::derive(move || i18n.get().field_name)
                    error=field_error(value, "name") />
                {match customer {
                    Some(c) => view! {
                        <Field name="company" autocomplete="organization" maxlength=120
                            value=c.company.clone().unwrap_or_default()
                            label=Signal::derive(move || i18n.get().field_company)
                            error=field_error(value, "company") />
                        <IndustrySelect selected=c.industry error=field_error(value, "industry") />
                    }.into_any(),
                    // Staff have no customer account; the fields are still sent, empty.
                    None => view! {
                        <input type="hidden" name="company" value="" />
                        <input type="hidden" name="industry" value="" />
                    }.into_any(),
                }}
                <Show when=saved>
                    <p class="banner banner-ok" role="status">{t!(i18n, account_saved)}</p>
                </Show>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>
                    {t!(i18n, account_save)}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let i18n = use_i18n();
    let action = use_auth().change_password;
    let value = action.value();
    let done = move || matches!(value.get(), Some(Ok(Ok(_))));
    view! {
        <section class="card">
            <h2>{t!(i18n, account_password)}</h2>
            <ActionForm action=action attr:novalidate="true">
                <FormError message=form_error(value) />
                <Field name="current_password" kind="password" autocomplete="current-password" required=true
                    label=Signal::derive(move || i18n.get().field_current_password)
                    error=field_error(value, "current_password") />
                <Field name="new_password" kind="password" autocomplete="new-password" required=true
                    minlength=Password::MIN_CHARS
                    label=Signal::derive(move || i18n.get().field_new_password)
                    hint=Signal::derive(move || i18n.get().field_password_hint)
                    error=field_error(value, "new_password") />
                <Show when=done>
                    <p class="banner banner-ok" role="status">{t!(i18n, account_password_changed)}</p>
                </Show>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>
                    {t!(i18n, account_password_button)}
                </button>
            </ActionForm>
        </section>
    }
}

/// Where the user is signed in and which API tokens act for them, each with a way to end it.
#[component]
fn SignedInList() -> impl IntoView {
    let i18n = use_i18n();
    let end = Action::new(|handle: &String| super::end_session(handle.clone()));
    let revoke = Action::new(|handle: &String| super::revoke_token(handle.clone()));
    let changed = use_auth().change_password;
    let list = Resource::new(
        move || {
            (
                end.version().get(),
                revoke.version().get(),
                changed.version().get(),
            )
        },
        |_| super::my_sign_ins(),
    );
    let refused = Signal::derive(move || {
        [end.value().get(), revoke.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .map(|e| e.message(i18n.locale.get()))
    });
    view! {
        <section class="card" data-testid="signed-in">
            <h2>{t!(i18n, account_sessions)}</h2>
            <p class="muted small">{t!(i18n, account_sessions_lead)}</p>
            <FormError message=refused />
            <Loaded resource=list let:signed_in>
                <SessionList sessions=signed_in.sessions end=end />
                <h3 class="small">{t!(i18n, account_tokens)}</h3>
                <TokenList tokens=signed_in.tokens revoke=revoke />
            </Loaded>
        </section>
    }
}

/// The browsers the user is signed in on, each but this one with a way to sign it out.
#[component]
fn SessionList(
    sessions: Vec<SessionInfo>,
    end: Action<String, Result<(), AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="plain device-list">
            {sessions.into_iter().map(|s| {
                let handle = s.handle.clone();
                let device = {
                    let (browser, system) = (s.browser.clone(), s.system.clone());
                    move || {
                        let t = i18n.get();
                        fill(t.account_device, &[
                            ("browser", browser.as_deref().unwrap_or(t.account_unknown_browser)),
                            ("system", system.as_deref().unwrap_or(t.account_unknown_system)),
                        ])
                    }
                };
                view! {
                    <li class="device" data-testid="session">
                        <div>
                            <strong>{device}</strong>
                            {s.current.then(|| view! {
                                " " <span class="badge" data-testid="session-current">{t!(i18n, account_this_device)}</span>
                            })}
                            <p class="muted small">
                                {s.client.clone()} " · "
                                {move || fill(i18n.get().account_last_active, &[("time", &format_time(s.last_seen_at))])}
                                " · "
                                {move || fill(i18n.get().account_signed_in_at, &[("time", &format_time(s.created_at))])}
                            </p>
                        </div>
                        {(!s.current).then(|| view! {
                            <button type="button" class="button button-secondary" data-testid="session-end"
                                disabled=move || end.pending().get()
                                on:click=move |_| { end.dispatch(handle.clone()); }>
                                {t!(i18n, account_sign_out_device)}
                            </button>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The API tokens that act for the user, each with a way to revoke it.
#[component]
fn TokenList(
    tokens: Vec<ApiTokenInfo>,
    revoke: Action<String, Result<(), AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        {if tokens.is_empty() {
            view! { <p class="muted small" data-testid="tokens-none">{t!(i18n, account_tokens_none)}</p> }.into_any()
        } else {
            view! {
                <ul class="plain device-list">
                    {tokens.into_iter().map(|token| {
                        let handle = token.handle.clone();
                        let used = token.last_used_at;
                        view! {
                            <li class="device" data-testid="api-token">
                                <div>
                                    <strong><code>{format!("pp_… {}", &token.handle[..6])}</code></strong>
                                    <p class="muted small">
                                        {move || fill(i18n.get().account_token_made, &[("time", &format_time(token.created_at))])}
                                        " · "
                                        {move || fill(i18n.get().account_token_expires, &[("time", &format_time(token.expires_at))])}
                                        " · "
                                        {move || match used {
                                            Some(at) => fill(i18n.get().account_last_active, &[("time", &format_time(at))]),
                                            None => i18n.get().account_token_unused.to_string(),
                                        }}
                                    </p>
                                </div>
                                <button type="button" class="button button-secondary" data-testid="token-revoke"
                                    disabled=move || revoke.pending().get()
                                    on:click=move |_| { revoke.dispatch(handle.clone()); }>
                                    {t!(i18n, account_token_revoke)}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// Renders `children` with the signed-in user when they hold one of `roles`; otherwise asks the
/// visitor to sign in, or tells a user without the role that the page is not theirs. The
/// server functions behind each page check again: this is only the page's courtesy.
#[component]
pub fn RequireRole<F, V>(roles: &'static [Role], children: F) -> impl IntoView
where
    F: Fn(User) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let auth = use_auth();
    // An error loading the user is the page `ui::Loaded` gives it (unavailable, offline, ...).
    let page = move |user: Option<User>| match user {
        Some(user) if roles.contains(&user.role) => children(user).into_any(),
        Some(_) => view! { <Forbidden /> }.into_any(),
        None => view! { <SignInPrompt /> }.into_any(),
    };
    view! { <Loaded resource=auth.user children=page /> }
}
