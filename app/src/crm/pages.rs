//! The care team's pages: the staff dashboard, customers (search and the 360 view), segments
//! and the retention queue; and the account manager card a vip or key customer sees.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::kpi_pages::format_value;
use super::kpis::{KpiUnit, ReportPeriod};
use super::tiering::{Scores, TierRule, TierRules};
use super::{
    list_customers, load_customer_360, load_segments, my_account_manager, retention_queue,
    staff_overview, AddCustomerNote, AssignAccountManager, Customer360, CustomerNote,
    CustomerQuery, CustomerSummary, CustomerUser, KpiComparison, RecomputeTiers, RecordOutreach,
    RetentionItem, RetentionOutcome, SegmentsOverview, StaffRef, TierChange, Touchpoint,
    TouchpointKind,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::domain::{Industry, Tier};
use crate::error::AppError;
use crate::i18n::{fill, use_i18n, Texts};
use crate::ui::{format_date, format_time, invalid, Field, FormError, Loaded, QueryForm};

/// A tier as a badge; staff only ever see it.
fn tier_badge(tier: Tier) -> impl IntoView {
    let i18n = use_i18n();
    view! { <span class=format!("badge tier-{}", tier.as_str()) data-testid="tier-badge">{move || tier.label(i18n.get())}</span> }
}

/// A filter's tier choice, "All" first, with the server's `error` for it underneath.
pub(crate) fn tier_field(chosen: Option<String>, error: Signal<Option<String>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for="f-tier">{t!(i18n, kpi_tier)}</label>
            <select id="f-tier" name="tier" aria-describedby="f-tier-error" aria-invalid=invalid(error)>
                <option value="">{t!(i18n, kpi_all)}</option>
                {Tier::ALL.into_iter().map(|tier| view! {
                    <option value=tier.as_str() selected=chosen.as_deref() == Some(tier.as_str())>{move || tier.label(i18n.get())}</option>
                }).collect_view()}
            </select>
            <p class="field-error" id="f-tier-error" aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A filter's industry choice, "All" first, with the server's `error` for it underneath.
pub(crate) fn industry_field(
    chosen: Option<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for="f-industry">{t!(i18n, field_industry)}</label>
            <select id="f-industry" name="industry" aria-describedby="f-industry-error" aria-invalid=invalid(error)>
                <option value="">{t!(i18n, kpi_all)}</option>
                {Industry::ALL.into_iter().map(|ind| view! {
                    <option value=ind.as_str() selected=chosen.as_deref() == Some(ind.as_str())>{move || ind.label(i18n.get())}</option>
                }).collect_view()}
            </select>
            <p class="field-error" id="f-industry-error" aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// The refusal in the last answer of a form's action. These server functions answer
/// `Result<T, AppError>`, not the `Reply` that `ui::field_error` reads.
fn refusal<T, S>(value: S) -> Signal<Option<AppError>>
where
    S: With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// The localised error for `field` in `refused`, to show next to that field.
pub(crate) fn field_message(
    refused: Signal<Option<AppError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    let i18n = use_i18n();
    Signal::derive(move || {
        let locale = i18n.locale.get();
        refused.with(|e| {
            e.as_ref()
                .and_then(|e| e.field_error(field))
                .map(|f| f.message(locale))
        })
    })
}

/// The banner's message: a refusal that the form's `fields` do not show. Each of those shows
/// its own error, so a refusal of those fields only would just say "some fields need your
/// attention" above them.
fn banner_message(
    refused: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> Signal<Option<String>> {
    let i18n = use_i18n();
    Signal::derive(move || {
        let locale = i18n.locale.get();
        refused.with(|e| {
            e.as_ref()
                .filter(|e| !shown_by_fields(e, fields))
                .map(|e| e.message(locale))
        })
    })
}

/// Whether `e` refuses only fields among `fields` (which show their own errors).
fn shown_by_fields(e: &AppError, fields: &[&str]) -> bool {
    match e {
        AppError::Validation(f) => !f.is_empty() && f.keys().all(|k| fields.contains(&k.as_str())),
        _ => false,
    }
}

fn money(minor: i64) -> String {
    format!("¥{}.{:02}", minor / 100, (minor % 100).abs())
}

/// The rule that decided a tier, in a sentence with the thresholds it used.
fn rule_sentence(t: &Texts, rule: TierRule, tier: Tier, rules: &TierRules) -> String {
    let r = &rules.at_risk;
    match rule {
        TierRule::NewRecentFirstShipment => fill(
            t.rule_new_recent,
            &[("days", &rules.new_customer.max_age_days.to_string())],
        ),
        TierRule::NewFewShipments => fill(
            t.rule_new_few,
            &[("n", &rules.new_customer.min_shipments.to_string())],
        ),
        TierRule::AtRiskSpendDrop => fill(
            t.rule_at_risk_spend,
            &[
                ("days", &r.trend_days.to_string()),
                ("pct", &r.spend_drop_pct.to_string()),
            ],
        ),
        TierRule::AtRiskGap => fill(
            t.rule_at_risk_gap,
            &[
                ("factor", &r.gap_factor.to_string()),
                ("days", &r.min_gap_days.to_string()),
            ],
        ),
        TierRule::AtRiskDetractor => fill(
            t.rule_at_risk_detractor,
            &[("days", &r.detractor_days.to_string())],
        ),
        TierRule::Scores => rules
            .tiers
            .iter()
            .find(|x| x.tier == tier)
            .map(|x| {
                fill(
                    t.rule_scores,
                    &[
                        ("tier", tier.label(t)),
                        ("r", &x.min_recency.to_string()),
                        ("f", &x.min_frequency.to_string()),
                        ("m", &x.min_monetary.to_string()),
                    ],
                )
            })
            .unwrap_or_default(),
        TierRule::Regular => t.rule_regular.to_string(),
    }
}

/// The rule's name, short (queues and history).
fn rule_label(t: &Texts, rule: TierRule) -> &'static str {
    match rule {
        TierRule::NewRecentFirstShipment | TierRule::NewFewShipments => t.tier_new,
        TierRule::AtRiskSpendDrop => t.rule_short_spend,
        TierRule::AtRiskGap => t.rule_short_gap,
        TierRule::AtRiskDetractor => t.rule_short_detractor,
        TierRule::Scores => t.rule_short_scores,
        TierRule::Regular => t.tier_regular,
    }
}

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
                        <th scope="col">{t!(i18n, kpi_tier)}</th>
                        <th scope="col">{t!(i18n, col_industry)}</th>
                        <th scope="col">{t!(i18n, cust_account_manager)}</th>
                        <th scope="col" class="num">{t!(i18n, col_users)}</th>
                        <th scope="col">{t!(i18n, col_joined)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            let industry = r.customer.industry;
                            let href = format!("/staff/customers/{}", r.customer.id);
                            view! {
                                <tr data-testid="customer-row">
                                    <td>
                                        <a href=href data-testid="customer-link">{r.customer.name}</a>
                                        {r.customer.company.map(|c| view! { <br /><span class="muted">{c}</span> })}
                                    </td>
                                    <td>{tier_badge(r.tier)}</td>
                                    <td>{move || industry.label(i18n.get())}</td>
                                    <td>{r.account_manager.unwrap_or_default()}</td>
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
        <div class="actions dashboard-actions">
            <a class="button button-primary" href="/staff/kpis" data-testid="dashboard-kpis">{t!(i18n, kpis_title)}</a>
            <a class="button button-secondary" href="/staff/retention">{t!(i18n, retention_title)}</a>
            <a class="button button-secondary" href="/staff/segments">{t!(i18n, segments_title)}</a>
        </div>
        <crate::complaints::pages::QueueSummary />
        <Loaded resource=overview let:o>
            {(o.emails_waiting_for_smtp > 0).then(|| {
                let n = o.emails_waiting_for_smtp.to_string();
                view! {
                    <p class="banner banner-error" role="status" data-testid="emails-waiting-for-smtp">
                        {move || fill(i18n.get().dashboard_emails_waiting_for_smtp, &[("n", &n)])}
                    </p>
                }
            })}
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
        </Loaded>
    }
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().customers_title.to_string()) />
        <h1>{t!(i18n, customers_title)}</h1>
        <RequireRole roles=&[Role::Agent, Role::Manager] children=move |_| {
            let params = use_query_map();
            let query = Memo::new(move |_| params.with(|p| {
                let get = |k: &str| p.get(k).filter(|v| !v.trim().is_empty());
                CustomerQuery { q: get("q"), tier: get("tier"), industry: get("industry"), at_risk: get("at_risk") }
            }));
            let customers = Resource::new(move || query.get(), list_customers);
            view! {
                <QueryForm resource=customers let:refused>
                    <CustomerSearch query=query refused=refused />
                </QueryForm>
                <Loaded resource=customers refused=search_refusal let:rows>
                    <section class="card">{customer_rows(rows)}</section>
                </Loaded>
            }
        } />
    }
}

/// A refused search: its fields (`search_customers`' names: `q`, `tier`, `industry`,
/// `at_risk`) each show their own error.
fn search_refusal(e: AppError) -> AnyView {
    super::kpi_pages::refusal_beside(e, &["q", "tier", "industry", "at_risk"])
}

/// The search and filters: a GET form, so it works as plain HTML. Each field shows what the
/// server `refused` of it.
#[component]
fn CustomerSearch(query: Memo<CustomerQuery>, refused: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let q = query.get_untracked();
    let at_risk_error = field_message(refused, "at_risk");
    view! {
        <form method="get" action="/staff/customers" class="card filters" data-testid="customer-search">
            <Field name="q" kind="search" value=q.q.clone().unwrap_or_default() maxlength=100
                label=Signal::derive(move || i18n.get().cust_search)
                placeholder=Signal::derive(move || i18n.get().cust_search_hint)
                error=field_message(refused, "q") />
            {tier_field(q.tier.clone(), field_message(refused, "tier"))}
            {industry_field(q.industry.clone(), field_message(refused, "industry"))}
            <label class="check">
                <input type="checkbox" name="at_risk" value="true" checked=q.at_risk.as_deref() == Some("true")
                    aria-describedby="f-at-risk-error" aria-invalid=invalid(at_risk_error) />
                {t!(i18n, cust_at_risk_only)}
            </label>
            <p class="field-error" id="f-at-risk-error" aria-live="polite">{move || at_risk_error.get()}</p>
            <div class="actions">
                <button type="submit" class="button button-primary">{t!(i18n, cust_search_button)}</button>
            </div>
        </form>
    }
}

/// The tiers' sizes and the last 30 days' moves, on the KPI dashboard: a part of its page, so
/// a failure to load them is a line in their place.
#[component]
pub fn TierSizes() -> impl IntoView {
    let segments = Resource::new(|| (), |_| load_segments());
    view! {
        <Loaded resource=segments inline=true let:s fallback=|| ()>
            <TierSizesCard s=s />
        </Loaded>
    }
}

/// The tiers' sizes and moves of an overview (the KPI dashboard's, the segments page's).
#[component]
fn TierSizesCard(s: SegmentsOverview) -> impl IntoView {
    let i18n = use_i18n();
    let total: i64 = s.sizes.iter().map(|x| x.customers).sum::<i64>().max(1);
    let days = s.move_days;
    view! {
        <section class="card" data-testid="tier-sizes">
            <h2>{t!(i18n, segments_sizes)}</h2>
            <ul class="tier-bars">
                {s.sizes.into_iter().map(|x| {
                    let pct = x.customers * 100 / total;
                    let href = format!("/staff/customers?tier={}", x.tier.as_str());
                    view! {
                        <li>
                            <a href=href>{tier_badge(x.tier)}</a>
                            <span class="tier-bar" style=format!("--share: {pct}%")></span>
                            <span class="num">{x.customers}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <h3>{move || fill(i18n.get().segments_moves, &[("days", &days.to_string())])}</h3>
            {if s.moves.is_empty() {
                view! { <p class="muted">{t!(i18n, segments_no_moves)}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain">
                        {s.moves.into_iter().map(|m| view! {
                            <li>{tier_badge(m.from)} " → " {tier_badge(m.to)} " " <strong>{m.customers}</strong></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn SegmentsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().segments_title.to_string()) />
        <h1>{t!(i18n, segments_title)}</h1>
        <RequireRole roles=&[Role::Agent, Role::Manager] children=move |user| {
            let recompute = ServerAction::<RecomputeTiers>::new();
            let segments = Resource::new(move || recompute.version().get(), |_| load_segments());
            let manager = user.role == Role::Manager;
            view! {
                <p class="lead">{t!(i18n, segments_lead)}</p>
                {manager.then(|| view! {
                    <ActionForm action=recompute attr:class="card" attr:data-testid="recompute-form">
                        <button type="submit" class="button button-primary" data-testid="recompute">{t!(i18n, segments_recompute)}</button>
                        <p class="muted" aria-live="polite" data-testid="recompute-result">
                            {move || recompute.value().get().map(|r| match r {
                                Ok(s) => fill(i18n.get().segments_recomputed, &[
                                    ("n", &s.customers.to_string()),
                                    ("changed", &s.changed.to_string()),
                                    ("retention", &s.retention_opened.to_string()),
                                ]),
                                Err(e) => e.message(i18n.locale.get()),
                            })}
                        </p>
                    </ActionForm>
                })}
                // The sizes come with the rules: one error page when they cannot load, and
                // fresh sizes after a recomputation.
                <Loaded resource=segments let:s>
                    <TierSizesCard s=s.clone() />
                    <section class="card" data-testid="tier-rules">
                        <h2>{t!(i18n, segments_rules)}</h2>
                        <p class="muted">
                            {t!(i18n, segments_last_run)} " "
                            {s.last_recomputed_at.map(|at| format!("{} {}", format_date(at), format_time(at))).unwrap_or_else(|| "—".into())}
                        </p>
                        <RulesTable rules=s.rules />
                    </section>
                </Loaded>
            }
        } />
    }
}

/// The rules in words a manager can check: score bands, then each tier's condition in order.
#[component]
fn RulesTable(rules: TierRules) -> impl IntoView {
    let i18n = use_i18n();
    let r = rules.clone();
    let bands = move || {
        let t = i18n.get();
        let days = |v: &[i64; 4]| {
            v.iter()
                .rev()
                .map(|d| format!("≤{d}"))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let mins = |v: &[i64; 4], f: &dyn Fn(i64) -> String| {
            v.iter()
                .map(|d| format!("≥{}", f(*d)))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        vec![
            (
                t.score_recency,
                fill(
                    t.rules_recency_bands,
                    &[("bands", &days(&r.recency_max_days))],
                ),
            ),
            (
                t.score_frequency,
                fill(
                    t.rules_frequency_bands,
                    &[(
                        "bands",
                        &mins(&r.frequency_min_shipments, &|n| n.to_string()),
                    )],
                ),
            ),
            (
                t.score_monetary,
                fill(
                    t.rules_monetary_bands,
                    &[("bands", &mins(&r.monetary_min_paid, &money))],
                ),
            ),
        ]
    };
    let conditions = move || {
        let t = i18n.get();
        let mut out = vec![
            (
                Tier::New,
                rule_sentence(t, TierRule::NewRecentFirstShipment, Tier::New, &rules),
            ),
            (
                Tier::New,
                rule_sentence(t, TierRule::NewFewShipments, Tier::New, &rules),
            ),
            (
                Tier::AtRisk,
                fill(
                    t.rules_at_risk_value,
                    &[("m", &rules.at_risk.min_monetary_score.to_string())],
                ),
            ),
            (
                Tier::AtRisk,
                rule_sentence(t, TierRule::AtRiskSpendDrop, Tier::AtRisk, &rules),
            ),
            (
                Tier::AtRisk,
                rule_sentence(t, TierRule::AtRiskGap, Tier::AtRisk, &rules),
            ),
            (
                Tier::AtRisk,
                rule_sentence(t, TierRule::AtRiskDetractor, Tier::AtRisk, &rules),
            ),
        ];
        for x in &rules.tiers {
            out.push((x.tier, rule_sentence(t, TierRule::Scores, x.tier, &rules)));
        }
        out.push((Tier::Regular, t.rule_regular.to_string()));
        out
    };
    view! {
        <h3>{t!(i18n, rules_scores)}</h3>
        <ul class="plain">
            {move || bands().into_iter().map(|(name, text)| view! { <li><strong>{name}</strong> ": " {text}</li> }).collect_view()}
        </ul>
        <h3>{t!(i18n, rules_order)}</h3>
        <ol>
            {move || conditions().into_iter().map(|(tier, text)| view! { <li>{tier_badge(tier)} " " {text}</li> }).collect_view()}
        </ol>
    }
}

/// Key scores of an assessment as a compact list.
fn scores_view(s: &Scores) -> impl IntoView {
    let i18n = use_i18n();
    let s = s.clone();
    move || {
        let t = i18n.get();
        let opt = |v: Option<f64>, suffix: &str| {
            v.map(|v| format!("{v}{suffix}"))
                .unwrap_or_else(|| "—".into())
        };
        let rows: Vec<(&'static str, String)> = vec![
            (
                t.score_recency,
                format!(
                    "{}/5 · {}",
                    s.recency,
                    s.days_since_last_shipment
                        .map(|d| fill(t.score_days_ago, &[("n", &d.to_string())]))
                        .unwrap_or_else(|| "—".into())
                ),
            ),
            (
                t.score_frequency,
                format!(
                    "{}/5 · {}",
                    s.frequency,
                    fill(t.score_shipments, &[("n", &s.shipments.to_string())])
                ),
            ),
            (
                t.score_monetary,
                format!("{}/5 · {}", s.monetary, money(s.paid)),
            ),
            (
                t.score_trend,
                format!(
                    "{} → {} ({})",
                    money(s.paid_before),
                    money(s.paid_recent),
                    s.spend_trend_pct
                        .map(|p| format!("{p:+}%"))
                        .unwrap_or_else(|| "—".into())
                ),
            ),
            (t.score_usual_gap, opt(s.usual_gap_days, "")),
            (t.kpi_complaint_rate, opt(s.complaint_rate_pct, "%")),
            (t.score_return_rate, opt(s.return_rate_pct, "%")),
            (t.kpi_csat_mean, opt(s.mean_csat, " ★")),
            (
                t.score_latest_nps,
                s.latest_nps
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "—".into()),
            ),
        ];
        view! {
            <dl class="scores" data-testid="scores">
                {rows.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
            </dl>
        }
    }
}

#[component]
pub fn RetentionPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().retention_title.to_string()) />
        <h1>{t!(i18n, retention_title)}</h1>
        <RequireRole roles=&[Role::Agent, Role::Manager] children=move |_| {
            let outreach = ServerAction::<RecordOutreach>::new();
            let items = Resource::new(move || outreach.version().get(), |_| retention_queue());
            // The item whose form was sent last: every card shares the action, and a refused
            // field is that card's. The input is there only while the call runs, so it is kept.
            let sent = RwSignal::new(None::<i64>);
            Effect::new(move |_| {
                if let Some(id) = outreach.input().with(|input| input.as_ref().map(|o| o.id)) {
                    sent.set(Some(id));
                }
            });
            view! {
                <p class="lead">{t!(i18n, retention_lead)}</p>
                <Loaded resource=items let:list>
                    {if list.is_empty() {
                        view! { <p class="card muted" data-testid="retention-empty">{t!(i18n, retention_none)}</p> }.into_any()
                    } else {
                        list.into_iter().map(|item| view! { <RetentionCard item=item outreach=outreach sent=sent /> }).collect_view().into_any()
                    }}
                </Loaded>
            }
        } />
    }
}

/// The fields of the outreach form that show their own errors (`record_outreach`'s names).
const OUTREACH_FIELDS: &[&str] = &["outcome", "note"];

/// An item of the retention queue with its outreach form. `sent` is the item whose form was
/// sent last (none known after a plain HTML post): only that card's fields show the refusal.
#[component]
fn RetentionCard(
    item: RetentionItem,
    outreach: ServerAction<RecordOutreach>,
    sent: RwSignal<Option<i64>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = item.id;
    let rule = item.rule;
    let href = format!("/staff/customers/{}", item.customer_id);
    let refused = refusal(outreach.value());
    // The banner stays on every card, as before: an item refused because it was closed
    // meanwhile is gone from the reloaded queue, and what happened must still show.
    let error = banner_message(refused, OUTREACH_FIELDS);
    let refused_here = Signal::derive(move || {
        if sent.get().is_none_or(|s| s == id) {
            refused.get()
        } else {
            None
        }
    });
    let outcome_error = field_message(refused_here, "outcome");
    let note_error = field_message(refused_here, "note");
    view! {
        <article class="card retention-item" data-testid="retention-item">
            <h2><a href=href>{item.customer_name.clone()}</a> {item.company.clone().map(|c| view! { <span class="muted">" · " {c}</span> })}</h2>
            <p>{tier_badge(item.from_tier)} " → " {tier_badge(item.tier)} " · " <strong>{move || rule_label(i18n.get(), rule)}</strong></p>
            <p class="muted">
                {t!(i18n, retention_opened)} " " {format_date(item.created_at)}
                {item.assignee_name.clone().map(|n| view! { " · " {move || i18n.get().cust_account_manager} ": " {n} })}
            </p>
            {scores_view(&item.scores)}
            <ActionForm action=outreach attr:class="outreach-form">
                <input type="hidden" name="id" value=id.to_string() />
                <div class="field" class:has-error=move || outcome_error.get().is_some()>
                    <label for=format!("outcome-{id}")>{t!(i18n, retention_outcome)}</label>
                    <select id=format!("outcome-{id}") name="outcome" data-testid="outreach-outcome"
                        aria-describedby=format!("outcome-{id}-error") aria-invalid=invalid(outcome_error)>
                        {RetentionOutcome::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{move || o.label(i18n.get())}</option> }).collect_view()}
                    </select>
                    <p class="field-error" id=format!("outcome-{id}-error") aria-live="polite">{move || outcome_error.get()}</p>
                </div>
                <div class="field" class:has-error=move || note_error.get().is_some()>
                    <label for=format!("note-{id}")>{t!(i18n, retention_note)}</label>
                    <textarea id=format!("note-{id}") name="note" rows="3" maxlength="2000" required data-testid="outreach-note"
                        aria-describedby=format!("note-{id}-error") aria-invalid=invalid(note_error)></textarea>
                    <p class="field-error" id=format!("note-{id}-error") aria-live="polite">{move || note_error.get()}</p>
                </div>
                <FormError message=error />
                <button type="submit" class="button button-primary" data-testid="outreach-submit">{t!(i18n, retention_record)}</button>
            </ActionForm>
        </article>
    }
}

fn touchpoint_title(t: &Texts, tp: &Touchpoint) -> String {
    let kind = match tp.kind {
        TouchpointKind::Shipment => t.tl_shipment,
        TouchpointKind::Exception => t.tl_exception,
        TouchpointKind::Notification => t.tl_notification,
        TouchpointKind::Rating => t.tl_rating,
        TouchpointKind::Return => t.tl_return,
        TouchpointKind::Complaint => t.tl_complaint,
        TouchpointKind::Note => t.tl_note,
        TouchpointKind::Retention => t.tl_retention,
        TouchpointKind::TierChange => t.tl_tier_change,
    };
    let status = |code: &str| {
        crate::domain::ShipmentStatus::parse(code)
            .map(|s| s.label(t).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let tier = |code: &str| {
        Tier::parse(code)
            .map(|x| x.label(t).to_string())
            .unwrap_or_default()
    };
    let what = match tp.kind {
        TouchpointKind::Shipment | TouchpointKind::Exception => {
            format!("{} · {}", tp.title, status(&tp.detail))
        }
        TouchpointKind::Complaint => format!(
            "{} · {}",
            crate::complaints::ComplaintCategory::parse(&tp.title)
                .map(|c| c.label(t))
                .unwrap_or_default(),
            crate::complaints::ComplaintStatus::parse(&tp.detail)
                .map(|c| c.label(t))
                .unwrap_or_default()
        ),
        TouchpointKind::Rating => format!(
            "{} · {}",
            tp.title,
            fill(t.tl_rating_detail, &[("scores", &tp.detail)])
        ),
        TouchpointKind::TierChange => format!("{} → {}", tier(&tp.title), tier(&tp.detail)),
        TouchpointKind::Retention => format!(
            "{} · {}",
            TierRule::parse(&tp.title)
                .map(|r| rule_label(t, r))
                .unwrap_or_default(),
            RetentionOutcome::parse(&tp.detail)
                .map(|o| o.label(t))
                .unwrap_or(t.retention_open)
        ),
        _ => format!("{} · {}", tp.title, tp.detail),
    };
    format!("{kind}: {what}")
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().customers_title.to_string()) />
        <RequireRole roles=&[Role::Agent, Role::Manager] children=move |user| {
            let params = use_params_map();
            let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)));
            let note = ServerAction::<AddCustomerNote>::new();
            let assign = ServerAction::<AssignAccountManager>::new();
            let data = Resource::new(
                move || (id.get(), note.version().get(), assign.version().get()),
                |(id, _, _)| load_customer_360(id),
            );
            let manager = user.role == Role::Manager;
            view! {
                <Loaded resource=data let:c>
                    <Customer360View c=c manager=manager note=note assign=assign />
                </Loaded>
            }
        } />
    }
}

#[component]
fn Customer360View(
    c: Customer360,
    manager: bool,
    note: ServerAction<AddCustomerNote>,
    assign: ServerAction<AssignAccountManager>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = c.customer.id;
    let industry = c.customer.industry;
    let rules = c.rules.clone();
    let tier = c.tier;
    let assessment = c.assessment.clone();
    let reason = match assessment.as_ref() {
        Some(a) => {
            let (rule, t2, rules) = (a.rule, a.tier, rules.clone());
            view! { <p data-testid="tier-reason"><strong>{t!(i18n, cust_why)}</strong> " " {move || rule_sentence(i18n.get(), rule, t2, &rules)}</p> }.into_any()
        }
        None => {
            view! { <p class="muted" data-testid="tier-reason">{t!(i18n, cust_not_assessed)}</p> }
                .into_any()
        }
    };
    view! {
        <div class="page-head">
            <h1 data-testid="customer-name">{c.customer.name.clone()}</h1>
            {tier_badge(tier)}
        </div>
        <p class="lead">
            {c.customer.company.clone().unwrap_or_default()} " · " {move || industry.label(i18n.get())} " · "
            {t!(i18n, col_joined)} " " {format_date(c.customer.created_at)}
        </p>
        <div class="grid-2">
            <section class="card" data-testid="customer-tier">
                <h2>{t!(i18n, cust_tier_heading)}</h2>
                {reason}
                {assessment.map(|a| scores_view(&a.scores))}
            </section>
            <CustomerPeople users=c.users account_manager=c.account_manager staff=c.staff
                manager=manager assign=assign id=id />
        </div>
        <CustomerKpis period=c.kpi_period kpis=c.kpis />
        <div class="grid-2">
            <CustomerTierHistory history=c.history rules=rules />
            <CustomerNotes id=id note=note notes=c.notes />
        </div>
        <CustomerTimeline timeline=c.timeline />
    }
}

/// The customer's users, the account manager and, for a manager, the form that names one.
#[component]
fn CustomerPeople(
    users: Vec<CustomerUser>,
    account_manager: Option<StaffRef>,
    staff: Vec<StaffRef>,
    manager: bool,
    assign: ServerAction<AssignAccountManager>,
    id: i64,
) -> impl IntoView {
    let i18n = use_i18n();
    let refused = refusal(assign.value());
    // `user_id`: the field `assign_account_manager` names (not a number, not a staff member).
    let assign_error = banner_message(refused, &["user_id"]);
    let manager_error = field_message(refused, "user_id");
    let current_manager = account_manager.as_ref().map(|m| m.id);
    view! {
        <section class="card">
            <h2>{t!(i18n, cust_people)}</h2>
            <ul class="plain">
                {users.iter().map(|u| view! { <li>{u.name.clone()} " · " <a href=format!("mailto:{}", u.email)>{u.email.clone()}</a></li> }).collect_view()}
            </ul>
            <h3>{t!(i18n, cust_account_manager)}</h3>
            <p data-testid="account-manager">
                {account_manager.clone().map(|m| format!("{} · {}", m.name, m.email)).unwrap_or_else(|| "—".into())}
            </p>
            {manager.then(|| view! {
                <ActionForm action=assign attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <label for="f-manager" class="visually-hidden">{t!(i18n, cust_account_manager)}</label>
                    <select id="f-manager" name="user_id"
                        aria-describedby="f-manager-error" aria-invalid=invalid(manager_error)>
                        <option value="">"—"</option>
                        {staff.iter().map(|s| view! { <option value=s.id.to_string() selected=current_manager == Some(s.id)>{s.name.clone()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button button-secondary">{t!(i18n, cust_assign)}</button>
                    <p class="field-error" id="f-manager-error" aria-live="polite">{move || manager_error.get()}</p>
                    <FormError message=assign_error />
                </ActionForm>
            })}
        </section>
    }
}

/// The customer's KPIs over the period, beside the whole base's.
#[component]
fn CustomerKpis(period: ReportPeriod, kpis: Vec<KpiComparison>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="customer-kpis">
            <h2>{move || fill(i18n.get().cust_kpis, &[("from", &period.from), ("to", &period.to)])}</h2>
            <div class="table-wrap">
                <table class="table">
                    <thead><tr>
                        <th scope="col">"KPI"</th>
                        <th scope="col" class="num">{t!(i18n, cust_this_customer)}</th>
                        <th scope="col" class="num">{t!(i18n, cust_all_customers)}</th>
                    </tr></thead>
                    <tbody>
                        {kpis.iter().map(|k| {
                            let (kpi, own, base) = (k.kpi, k.customer, k.base);
                            let unit: KpiUnit = kpi.unit();
                            view! {
                                <tr>
                                    <td>{move || kpi.label(i18n.get())}</td>
                                    <td class="num">{move || format_value(i18n.get(), unit, own.value)} <span class="muted">{format!(" ({}/{})", own.numerator, own.denominator)}</span></td>
                                    <td class="num">{move || format_value(i18n.get(), unit, base.value)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The customer's moves between tiers, each with the rule that made it.
#[component]
fn CustomerTierHistory(history: Vec<TierChange>, rules: TierRules) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="tier-history">
            <h2>{t!(i18n, cust_history)}</h2>
            {if history.is_empty() {
                view! { <p class="muted">{t!(i18n, segments_no_moves)}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain">
                        {history.iter().map(|h| {
                            let (rule, to, rules) = (h.rule, h.to, rules.clone());
                            view! {
                                <li>
                                    {format_date(h.at)} " " {tier_badge(h.from)} " → " {tier_badge(h.to)}
                                    <br /><span class="muted">{move || rule_sentence(i18n.get(), rule, to, &rules)}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// The agents' notes on the customer's file, and the form that adds one.
#[component]
fn CustomerNotes(
    id: i64,
    note: ServerAction<AddCustomerNote>,
    notes: Vec<CustomerNote>,
) -> impl IntoView {
    let i18n = use_i18n();
    let refused = refusal(note.value());
    // `body`: the field `add_note` names (empty, too long).
    let form_error = banner_message(refused, &["body"]);
    let body_error = field_message(refused, "body");
    view! {
        <section class="card" data-testid="customer-notes">
            <h2>{t!(i18n, cust_notes)}</h2>
            <ActionForm action=note>
                <input type="hidden" name="id" value=id.to_string() />
                <div class="field" class:has-error=move || body_error.get().is_some()>
                    <label for="f-note">{t!(i18n, cust_note_label)}</label>
                    <textarea id="f-note" name="body" rows="3" maxlength="4000" required data-testid="note-body"
                        aria-describedby="f-note-error" aria-invalid=invalid(body_error)></textarea>
                    <p class="field-error" id="f-note-error" aria-live="polite">{move || body_error.get()}</p>
                </div>
                <FormError message=form_error />
                <button type="submit" class="button button-primary" data-testid="note-submit">{t!(i18n, cust_note_add)}</button>
            </ActionForm>
            <ul class="plain notes">
                {notes.iter().map(|n| view! {
                    <li data-testid="note"><p class="pre">{n.body.clone()}</p><p class="muted">{n.author.clone()} " · " {format_date(n.at)} " " {format_time(n.at)}</p></li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Everything that happened with the customer, newest first.
#[component]
fn CustomerTimeline(timeline: Vec<Touchpoint>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" data-testid="timeline">
            <h2>{t!(i18n, cust_timeline)}</h2>
            <ol class="timeline-list">
                {timeline.into_iter().map(|tp| {
                    let link = tp.link.clone();
                    let kind = format!("tl-{:?}", tp.kind).to_lowercase();
                    view! {
                        <li class=kind>
                            <span class="muted">{format_date(tp.at)} " " {format_time(tp.at)}</span> " "
                            {match link {
                                Some(href) => view! { <a href=href>{move || touchpoint_title(i18n.get(), &tp)}</a> }.into_any(),
                                None => view! { <span>{move || touchpoint_title(i18n.get(), &tp)}</span> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// A vip or key customer's named account manager, on its dashboard (nothing otherwise).
#[component]
pub fn AccountManagerCard() -> impl IntoView {
    let i18n = use_i18n();
    let contact = Resource::new(|| (), |_| my_account_manager());
    view! {
        <Loaded resource=contact inline=true let:manager fallback=|| ()>
            {manager.map(|m| view! {
                <section class="card" data-testid="my-account-manager">
                    <h2>{t!(i18n, my_account_manager)}</h2>
                    <p><strong>{m.name.clone()}</strong></p>
                    <p><a href=format!("mailto:{}", m.email)>{m.email.clone()}</a></p>
                    <p class="muted">{t!(i18n, my_account_manager_lead)}</p>
                </section>
            })}
        </Loaded>
    }
}
