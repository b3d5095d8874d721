use leptos::prelude::*;
use leptos_meta::Title;

use crate::accounts::Role;
use crate::crm::{list_customers, staff_overview, CustomerSummary};
use crate::i18n::use_i18n;
use crate::ui::{format_date, RequireRole};

fn customer_rows(rows: Vec<CustomerSummary>) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return view! { <p class="muted">{t!(i18n, dashboard_no_customers)}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, col_customer)}</th>
                        <th scope="col">{t!(i18n, col_industry)}</th>
                        <th scope="col" class="num">{t!(i18n, col_users)}</th>
                        <th scope="col">{t!(i18n, col_joined)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let industry = r.customer.industry;
                            view! {
                                <tr data-testid="customer-row">
                                    <td>{r.customer.name}</td>
                                    <td>{move || industry.label(i18n.get())}</td>
                                    <td class="num">{r.users}</td>
                                    <td>{format_date(r.customer.created_at)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The care team's landing: how many customers, how many are new, the newest ones.
#[component]
pub fn StaffDashboard() -> impl IntoView {
    let i18n = use_i18n();
    let overview = Resource::new(|| (), |_| staff_overview());
    view! {
        <p class="lead">{t!(i18n, dashboard_staff_lead)}</p>
        <crate::complaints::pages::QueueSummary />
        <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
            <ErrorBoundary fallback=|_| view! { <crate::pages::errors::ServerError /> }>
                {move || Suspend::new(async move {
                    overview.await.map(|o| view! {
                        <div class="stats">
                            <div class="stat card">
                                <p class="stat-value" data-testid="stat-customers">{o.customers}</p>
                                <p class="stat-label">{t!(i18n, dashboard_customer_count)}</p>
                            </div>
                            <div class="stat card">
                                <p class="stat-value">{o.new_customers_7d}</p>
                                <p class="stat-label">{t!(i18n, dashboard_new_this_week)}</p>
                            </div>
                            <div class="stat card">
                                <p class="stat-value">{o.staff_users}</p>
                                <p class="stat-label">{t!(i18n, dashboard_staff_count)}</p>
                            </div>
                        </div>
                        <section class="card">
                            <h2>{t!(i18n, dashboard_latest_customers)}</h2>
                            {customer_rows(o.latest)}
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().customers_title.to_string()) />
        <h1>{t!(i18n, customers_title)}</h1>
        <RequireRole roles=&[Role::Agent, Role::Manager] children=move |_| {
            let customers = Resource::new(|| (), |_| list_customers());
            view! {
                <Suspense fallback=move || view! { <p class="muted">{t!(i18n, loading)}</p> }>
                    <ErrorBoundary fallback=|_| view! { <crate::pages::errors::ServerError /> }>
                        {move || Suspend::new(async move { customers.await.map(customer_rows) })}
                    </ErrorBoundary>
                </Suspense>
            }
        } />
    }
}
