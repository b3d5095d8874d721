//! The customer's notification settings: channels per message kind, the language of email,
//! and webhook endpoints with their delivery log.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    add_webhook, my_preferences, my_webhooks, remove_webhook, save_preferences, KindChannels,
    NotificationPreferences, Webhook, WebhookDelivery,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::error::AppError;
use crate::i18n::{fill, use_i18n, Locale};
use crate::ui::{error_for, format_date, invalid, FormError, Input, Loaded};

#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().settings_title.to_string()) />
        <h1>{t!(i18n, settings_title)}</h1>
        <p class="lead">{t!(i18n, settings_lead)}</p>
        <RequireRole roles=&[Role::Customer] children=|_| view! {
            <Preferences />
            <Webhooks />
        } />
    }
}

#[component]
fn Preferences() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| my_preferences());
    view! {
        <section class="card" data-testid="preferences">
            <Loaded resource=loaded let:p>
                <PreferencesForm initial=p />
            </Loaded>
        </section>
    }
}

#[component]
fn PreferencesForm(initial: NotificationPreferences) -> impl IntoView {
    let i18n = use_i18n();
    let rows: Vec<(KindChannels, [RwSignal<bool>; 3])> = initial
        .kinds
        .into_iter()
        .map(|k| {
            let signals = [
                RwSignal::new(k.email),
                RwSignal::new(k.webhook),
                RwSignal::new(k.in_app),
            ];
            (k, signals)
        })
        .collect();
    let locale = RwSignal::new(initial.locale);
    let errors = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let collect = {
        let rows = rows.clone();
        move || NotificationPreferences {
            locale: locale.get_untracked(),
            kinds: rows
                .iter()
                .map(|(k, [email, webhook, in_app])| KindChannels {
                    kind: k.kind,
                    email: email.get_untracked(),
                    webhook: webhook.get_untracked(),
                    in_app: in_app.get_untracked(),
                })
                .collect(),
        }
    };
    let save = Action::new(move |p: &NotificationPreferences| save_preferences(p.clone()));
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result.and_then(|r| r) {
                Ok(_) => {
                    errors.set(None);
                    saved.set(true);
                }
                Err(e) => {
                    saved.set(false);
                    errors.set(Some(e));
                }
            }
        }
    });
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.fields().is_none())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    let locale_error = error_for(errors, "locale".into());
    view! {
        <FormError message=form_error />
        <div class="table-wrap">
            <table class="table channel-table">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, settings_kind)}</th>
                        <th scope="col">{t!(i18n, settings_email)}</th>
                        <th scope="col">{t!(i18n, settings_webhook)}</th>
                        <th scope="col">{t!(i18n, settings_in_app)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|(k, signals)| {
                        let kind = k.kind;
                        view! {
                            <tr data-testid=format!("prefs-{}", kind.as_str())>
                                <th scope="row">{move || kind.label(i18n.get())}</th>
                                {signals.into_iter().enumerate().map(|(i, s)| {
                                    let label = move || {
                                        let t = i18n.get();
                                        let channel = [t.settings_email, t.settings_webhook, t.settings_in_app][i];
                                        format!("{} · {channel}", kind.label(t))
                                    };
                                    view! {
                                        <td>
                                            <input type="checkbox" class="check" aria-label=label
                                                checked=move || s.get()
                                                on:change=move |ev| { s.set(event_target_checked(&ev)); saved.set(false); } />
                                        </td>
                                    }
                                }).collect_view()}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <div class="field" class:has-error=move || locale_error.get().is_some()>
            <label for="f-email-locale">{t!(i18n, settings_language)}</label>
            <select id="f-email-locale" on:change=move |ev| locale.set(event_target_value(&ev))
                aria-describedby="f-email-locale-error" aria-invalid=invalid(locale_error)>
                {Locale::ALL.into_iter().map(|l| view! {
                    <option value=l.tag() selected=move || locale.get() == l.tag()>{l.native_name()}</option>
                }).collect_view()}
            </select>
            <p class="field-error" id="f-email-locale-error" aria-live="polite">{move || locale_error.get()}</p>
        </div>
        <Show when=move || saved.get()>
            <p class="banner banner-ok" role="status" data-testid="prefs-saved">{t!(i18n, settings_saved)}</p>
        </Show>
        <div class="actions">
            <button type="button" class="button button-primary" data-testid="prefs-save"
                disabled=move || save.pending().get()
                on:click=move |_| { save.dispatch(collect()); }>
                {t!(i18n, settings_save)}
            </button>
        </div>
    }
}

#[component]
fn Webhooks() -> impl IntoView {
    let i18n = use_i18n();
    let url = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let secret = RwSignal::new(None::<String>);
    let add = Action::new(|url: &String| add_webhook(url.clone()));
    let remove = Action::new(|id: &i64| remove_webhook(*id));
    let list = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| my_webhooks(),
    );
    Effect::new(move |_| {
        if let Some(result) = add.value().get() {
            match result.and_then(|r| r) {
                Ok(created) => {
                    errors.set(None);
                    url.set(String::new());
                    secret.set(Some(created.secret));
                }
                Err(e) => errors.set(Some(e)),
            }
        }
    });
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.fields().is_none())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    view! {
        <section class="card" data-testid="webhooks">
            <h2>{t!(i18n, webhooks_title)}</h2>
            <p class="muted small">{t!(i18n, webhooks_lead)}</p>
            <form on:submit=move |ev| { ev.prevent_default(); add.dispatch(url.get_untracked()); } novalidate>
                <FormError message=form_error />
                <Input id="f-webhook-url" kind="url" inputmode="url" label=Signal::derive(move || i18n.get().webhook_url)
                    value=url error=error_for(errors, "url".into()) required=true maxlength=500usize />
                <div class="actions">
                    <button type="submit" class="button button-secondary" data-testid="webhook-add"
                        disabled=move || add.pending().get()>{t!(i18n, webhook_add)}</button>
                </div>
            </form>
            {move || secret.get().map(|s| view! {
                <div class="banner banner-ok" role="status">
                    <p>{t!(i18n, webhook_secret_once)}</p>
                    <code class="secret" data-testid="webhook-secret">{s}</code>
                </div>
            })}
            <Loaded resource=list let:hooks>
                {if hooks.is_empty() {
                    view! { <p class="muted" data-testid="webhooks-none">{t!(i18n, webhooks_none)}</p> }.into_any()
                } else {
                    hooks.into_iter()
                        .map(|(hook, deliveries)| view! { <WebhookCard hook=hook deliveries=deliveries remove=remove /> })
                        .collect_view()
                        .into_any()
                }}
            </Loaded>
        </section>
    }
}

#[component]
fn WebhookCard(
    hook: Webhook,
    deliveries: Vec<WebhookDelivery>,
    remove: Action<i64, Result<(), AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = hook.id;
    view! {
        <article class="webhook" data-testid="webhook">
            <div class="page-head">
                <p class="break"><strong>{hook.url.clone()}</strong></p>
                <button type="button" class="button button-secondary" on:click=move |_| { remove.dispatch(id); }>
                    {t!(i18n, webhook_delete)}
                </button>
            </div>
            <h3 class="small">{t!(i18n, webhook_deliveries)}</h3>
            {if deliveries.is_empty() {
                view! { <p class="muted small">{t!(i18n, webhook_no_deliveries)}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain delivery-log">
                        {deliveries.into_iter().map(|d| {
                            let status = d.status.clone();
                            let tries = d.attempts.len();
                            let last_code = d.attempts.last().and_then(|a| a.status_code);
                            let kind = d.kind;
                            view! {
                                <li data-testid="webhook-delivery">
                                    <span class=format!("badge delivery-{}", d.status)>{move || {
                                        let t = i18n.get();
                                        match status.as_str() {
                                            "sent" => t.delivery_sent,
                                            "failed" => t.delivery_failed,
                                            "skipped" => t.delivery_skipped,
                                            _ => t.delivery_pending,
                                        }
                                    }}</span>
                                    " " {move || kind.label(i18n.get())}
                                    " " {d.tracking_number.clone()}
                                    <span class="muted small">
                                        " · " {format_date(d.created_at)}
                                        " · " {move || fill(i18n.get().delivery_attempts, &[("n", &tries.to_string())])}
                                        {last_code.map(|c| format!(" · HTTP {c}"))}
                                        " · " <code>{d.event_id.clone()}</code>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </article>
    }
}
