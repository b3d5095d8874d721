use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::pages::RequireRole;
use crate::accounts::{Role, User};
use crate::i18n::{fill, use_i18n};
use crate::notifications::MessageText;
use crate::tracking::track_page::TrackBox;
use crate::ui::{format_date, FormError, Loaded};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().nav_dashboard.to_string()) />
        <RequireRole roles=&[Role::Customer, Role::Agent, Role::Manager] children=move |user: User| {
            let name = user.name.clone();
            let welcome = move || fill(i18n.get().dashboard_welcome, &[("name", &name)]);
            let body = if user.role.is_staff() {
                view! { <crate::crm::pages::StaffDashboard /> }.into_any()
            } else {
                view! { <CustomerDashboard user=user.clone() /> }.into_any()
            };
            view! {
                <h1 data-testid="dashboard-title">{welcome}</h1>
                {body}
            }
        } />
    }
}

#[component]
fn CustomerDashboard(user: User) -> impl IntoView {
    let i18n = use_i18n();
    let customer = user.customer.clone();
    view! {
        <p class="lead">{t!(i18n, dashboard_customer_lead)}</p>
        <div class="actions dashboard-actions">
            <a class="button button-primary" href="/ship" data-testid="dashboard-ship">{t!(i18n, book_title)}</a>
            <a class="button button-secondary" href="/shipments">{t!(i18n, shipments_title)}</a>
            <a class="button button-secondary" href="/shipments/import">{t!(i18n, nav_import)}</a>
            <a class="button button-secondary" href="/returns">{t!(i18n, returns_title)}</a>
            <a class="button button-secondary" href="/complaints">{t!(i18n, complaints_title)}</a>
        </div>
        <crate::crm::pages::AccountManagerCard />
        <NotificationsCard />
        <div class="grid-2">
            <section class="card">
                <h2>{t!(i18n, dashboard_track_parcel)}</h2>
                <TrackBox />
            </section>
            <section class="card">
                <h2>{t!(i18n, dashboard_account_card)}</h2>
                {customer.map(|c| {
                    let industry = c.industry;
                    view! {
                        <dl class="facts">
                            <dt>{t!(i18n, account_customer)}</dt>
                            <dd data-testid="customer-name">{c.name.clone()}</dd>
                            <dt>{t!(i18n, field_industry)}</dt>
                            <dd>{move || industry.label(i18n.get())}</dd>
                            <dt>{t!(i18n, account_member_since)}</dt>
                            <dd>{format_date(c.created_at)}</dd>
                        </dl>
                    }
                })}
                <a class="button button-secondary" href="/account">{t!(i18n, nav_account)}</a>
            </section>
        </div>
    }
}

/// The customer's latest messages, unread ones marked, with "mark all read".
#[component]
fn NotificationsCard() -> impl IntoView {
    let i18n = use_i18n();
    let read = Action::new(|_: &()| crate::notifications::mark_all_read());
    let list = Resource::new(
        move || read.version().get(),
        |_| crate::notifications::my_notifications(),
    );
    // The messages stay unread when marking them fails: say why.
    let read_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        read.value().with(|v| match v {
            Some(Err(e)) => Some(e.message(locale)),
            _ => None,
        })
    });
    view! {
        <section class="card" data-testid="notifications">
            <h2>{t!(i18n, note_title)}</h2>
            <Loaded resource=list inline=true let:l>
                {if l.notifications.is_empty() {
                    view! { <p class="muted">{t!(i18n, note_none)}</p> }.into_any()
                } else {
                    let unread = l.unread;
                    view! {
                        <p class="muted" data-testid="unread">{move || fill(i18n.get().note_unread, &[("n", &unread.to_string())])}</p>
                        <ul class="plain notification-list">
                            {l.notifications.into_iter().map(|n| {
                                let href = n.page().or_else(|| n.tracking_number.clone().map(|tn| format!("/shipments/{tn}")));
                                let when = format_date(n.created_at);
                                let unread = !n.read;
                                view! {
                                    <li class:unread=unread data-testid="notification">
                                        <a href=href>{move || n.text(i18n.get())}</a>
                                        <span class="muted small">" · " {when}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {(unread > 0).then(|| view! {
                            <button type="button" class="button button-secondary" data-testid="mark-read"
                                on:click=move |_| { read.dispatch(()); }>{t!(i18n, note_mark_read)}</button>
                        })}
                    }.into_any()
                }}
            </Loaded>
            <FormError message=read_error />
            <p><a class="small" href="/settings/notifications" data-testid="settings-link">{t!(i18n, settings_link)}</a></p>
        </section>
    }
}
