//! The KPI dashboard (`/staff/kpis`) and its drill-down (`/staff/kpis/{kpi}`). The state is the
//! URL (a plain GET form), so a view can be bookmarked, works before the wasm arrives, and the
//! trend charts are SVG drawn on the server.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use super::kpis::{
    DrillItem, DrillPage, IndustryKpis, Kpi, KpiId, KpiQuery, KpiReport, KpiUnit, TrendPoint,
    Verdict,
};
use super::pages::{field_message, industry_field, tier_field};
use super::{kpi_items, kpi_report};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::domain::Industry;
use crate::domain::ServiceLevel;
use crate::error::AppError;
use crate::i18n::{fill, use_i18n, Texts};
use crate::ui::{
    format_date, format_time, invalid, percent_encode, Field, FormError, Loaded, QueryForm,
};

pub(crate) fn kpi_query(params: &ParamsMap) -> KpiQuery {
    let get = |k: &str| params.get(k).filter(|v| !v.trim().is_empty());
    KpiQuery {
        period: get("period"),
        from: get("from"),
        to: get("to"),
        tier: get("tier"),
        industry: get("industry"),
        service: get("service"),
        area: get("area"),
        bucket: get("bucket"),
        customer: get("customer"),
    }
}

/// `period=30d&tier=vip...`: the query as the URL carries it.
pub(crate) fn query_string(q: &KpiQuery) -> String {
    [
        ("period", &q.period),
        ("from", &q.from),
        ("to", &q.to),
        ("tier", &q.tier),
        ("industry", &q.industry),
        ("service", &q.service),
        ("area", &q.area),
        ("bucket", &q.bucket),
        ("customer", &q.customer),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| format!("{k}={}", percent_encode(v))))
    .collect::<Vec<_>>()
    .join("&")
}

/// A value in its unit, or "no data".
pub(crate) fn format_value(t: &Texts, unit: KpiUnit, value: Option<f64>) -> String {
    match value {
        None => t.kpi_no_data.to_string(),
        Some(v) => match unit {
            KpiUnit::Percent => format!("{v:.1}%"),
            KpiUnit::Hours => fill(t.kpi_hours, &[("n", &format!("{v:.1}"))]),
            KpiUnit::Stars => format!("{v:.2} ★"),
            KpiUnit::Score => format!("{v:+.0}"),
        },
    }
}

/// The error of a refused report, with each bad field named: `ui::Loaded`'s `refused` for the
/// reports and lists whose query is the URL.
pub(crate) fn refusal(e: AppError) -> AnyView {
    refusal_beside(e, &[])
}

/// [`refusal`] under a form whose `shown` fields show their own errors: once the page is
/// hydrated (`ui::QueryForm` gives the fields their errors from the browser) only the others
/// are named here, those that come from a link rather than the form.
pub(crate) fn refusal_beside(e: AppError, shown: &'static [&'static str]) -> AnyView {
    let i18n = use_i18n();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let message = Signal::derive({
        let e = e.clone();
        move || Some(e.message(i18n.locale.get()))
    });
    let listed = move || {
        let items: Vec<_> = e
            .field_messages(i18n.locale.get())
            .into_iter()
            .filter(|(field, _)| !(hydrated.get() && shown.contains(&field.as_str())))
            .collect();
        (!items.is_empty()).then(|| {
            let items = items
                .into_iter()
                .map(|(field, message)| view! { <li><strong>{field}</strong> ": " {message}</li> })
                .collect_view();
            view! { <ul class="field-errors">{items}</ul> }
        })
    };
    view! {
        <div class="card" data-testid="kpi-refusal">
            <FormError message=message />
            {listed}
        </div>
    }
    .into_any()
}

/// The fields of the filter form, each showing its own error (`kpi_service::parse_query`'s
/// names). The query's others, `customer` and `bucket`, come from links.
const FORM_FIELDS: &[&str] = &[
    "period", "from", "to", "tier", "industry", "service", "area",
];

/// A refused report under the filter form.
fn report_refusal(e: AppError) -> AnyView {
    refusal_beside(e, FORM_FIELDS)
}

#[component]
pub fn KpisPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().kpis_title.to_string()) />
        <div class="page-head">
            <h1>{t!(i18n, kpis_title)}</h1>
            <div class="actions">
                <a class="button button-secondary" href="/staff/segments">{t!(i18n, segments_title)}</a>
                <a class="button button-secondary" href="/staff/retention">{t!(i18n, retention_title)}</a>
            </div>
        </div>
        <RequireRole roles=&[Role::Agent, Role::Manager] children=|_| view! { <KpiBoard /> } />
    }
}

/// The period and filters: a GET form, so it works as plain HTML. Each field shows what the
/// server `refused` of it.
#[component]
fn KpiForm(query: Memo<KpiQuery>, refused: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let q = query.get_untracked();
    let selected = |v: &Option<String>, option: &str| v.as_deref() == Some(option);
    let period = q.period.clone().unwrap_or_else(|| "30d".into());
    let error = move |field: &'static str| field_message(refused, field);
    let (period_error, service_error) = (error("period"), error("service"));
    view! {
        <form method="get" action="/staff/kpis" class="card filters kpi-filters" data-testid="kpi-filters">
            <div class="field" class:has-error=move || period_error.get().is_some()>
                <label for="f-period">{t!(i18n, kpi_period)}</label>
                <select id="f-period" name="period" aria-describedby="f-period-error" aria-invalid=invalid(period_error)>
                    {["7d", "30d", "90d", "365d"].into_iter().map(|p| {
                        let label = move || match p {
                            "7d" => i18n.get().kpi_last_7,
                            "30d" => i18n.get().kpi_last_30,
                            "90d" => i18n.get().kpi_last_90,
                            _ => i18n.get().kpi_last_365,
                        };
                        view! { <option value=p selected=period == p>{label}</option> }
                    }).collect_view()}
                </select>
                <p class="field-error" id="f-period-error" aria-live="polite">{move || period_error.get()}</p>
            </div>
            <Field name="from" kind="date" value=q.from.clone().unwrap_or_default()
                label=Signal::derive(move || i18n.get().kpi_from) error=error("from") />
            <Field name="to" kind="date" value=q.to.clone().unwrap_or_default()
                label=Signal::derive(move || i18n.get().kpi_to) error=error("to") />
            {tier_field(q.tier.clone(), error("tier"))}
            {industry_field(q.industry.clone(), error("industry"))}
            <div class="field" class:has-error=move || service_error.get().is_some()>
                <label for="f-service">{t!(i18n, kpi_service)}</label>
                <select id="f-service" name="service" aria-describedby="f-service-error" aria-invalid=invalid(service_error)>
                    <option value="">{t!(i18n, kpi_all)}</option>
                    {ServiceLevel::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=selected(&q.service, s.as_str())>{move || s.label(i18n.get())}</option>
                    }).collect_view()}
                </select>
                <p class="field-error" id="f-service-error" aria-live="polite">{move || service_error.get()}</p>
            </div>
            <Field name="area" value=q.area.clone().unwrap_or_default() maxlength=80
                label=Signal::derive(move || i18n.get().kpi_area)
                placeholder=Signal::derive(move || i18n.get().kpi_area_hint) error=error("area") />
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="kpi-apply">{t!(i18n, kpi_apply)}</button>
                <a class="button button-secondary" href="/staff/kpis">{t!(i18n, kpi_reset)}</a>
            </div>
        </form>
    }
}

#[component]
fn KpiBoard() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(kpi_query));
    let report = Resource::new(move || query.get(), kpi_report);
    let board = move |r: KpiReport| {
        let qs = query_string(&query.get_untracked());
        let period = r.period.clone();
        let previous = r.previous.clone();
        let heading = move || {
            fill(
                i18n.get().kpi_period_heading,
                &[
                    ("from", &period.from),
                    ("to", &period.to),
                    ("prev_from", &previous.from),
                    ("prev_to", &previous.to),
                ],
            )
        };
        view! {
            <p class="lead" data-testid="kpi-period">{heading} " · " {r.time_zone.clone()}</p>
            <div class="kpi-grid">
                {r.kpis.into_iter().map(|k| view! { <KpiCard k=k qs=qs.clone() /> }).collect_view()}
            </div>
            <IndustryTable rows=r.by_industry />
        }
    };
    view! {
        <QueryForm resource=report let:refused>
            <KpiForm query=query refused=refused />
        </QueryForm>
        <Loaded resource=report refused=report_refusal children=board />
        <super::pages::TierSizes />
    }
}

/// Every KPI beside each industry: a row per KPI, a column per industry.
#[component]
fn IndustryTable(rows: Vec<IndustryKpis>) -> impl IntoView {
    let i18n = use_i18n();
    let industries: Vec<Industry> = rows.iter().map(|r| r.industry).collect();
    view! {
        <section class="card" data-testid="kpi-by-industry">
            <h2>{t!(i18n, kpi_by_industry)}</h2>
            <div class="table-wrap">
                <table class="table">
                    <thead><tr>
                        <th scope="col">{t!(i18n, kpi_measure)}</th>
                        {industries.into_iter().map(|i| view! {
                            <th scope="col" class="num">{move || i.label(i18n.get())}</th>
                        }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {KpiId::ALL.into_iter().enumerate().map(|(n, kpi)| {
                            let values: Vec<Option<f64>> =
                                rows.iter().map(|r| r.values.get(n).and_then(|v| v.value)).collect();
                            view! {
                                <tr>
                                    <th scope="row">{move || kpi.label(i18n.get())}</th>
                                    {values.into_iter().map(|v| view! {
                                        <td class="num">{move || format_value(i18n.get(), kpi.unit(), v)}</td>
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

fn verdict_view(t: &Texts, k: &Kpi) -> (String, &'static str) {
    let change = match (k.change, k.unit) {
        (None, _) => String::new(),
        (Some(c), KpiUnit::Percent) => fill(t.kpi_points, &[("n", &format!("{c:+.1}"))]),
        (Some(c), KpiUnit::Hours) => fill(t.kpi_hours, &[("n", &format!("{c:+.1}"))]),
        (Some(c), KpiUnit::Stars) => format!("{c:+.2} ★"),
        (Some(c), KpiUnit::Score) => format!("{c:+.0}"),
    };
    let (word, class) = match k.verdict {
        Verdict::Better => (t.kpi_better, "better"),
        Verdict::Worse => (t.kpi_worse, "worse"),
        Verdict::Same => (t.kpi_same, "same"),
        Verdict::Unknown => (t.kpi_no_comparison, "unknown"),
    };
    let arrow = match k.verdict {
        Verdict::Better => "▲ ",
        Verdict::Worse => "▼ ",
        _ => "",
    };
    (format!("{arrow}{change} {word}").trim().to_string(), class)
}

#[component]
fn KpiCard(k: Kpi, qs: String) -> impl IntoView {
    let i18n = use_i18n();
    let id = k.kpi;
    let drill = format!("/staff/kpis/{}?{qs}", id.as_str());
    let unit = k.unit;
    let k2 = k.clone();
    let counts = move || {
        let t = i18n.get();
        if unit == KpiUnit::Hours {
            fill(
                t.kpi_resolved_counts,
                &[
                    ("n", &k2.current.denominator.to_string()),
                    ("median", &format_value(t, unit, k2.median)),
                    ("p90", &format_value(t, unit, k2.p90)),
                ],
            )
        } else {
            format!("{} / {}", k2.current.numerator, k2.current.denominator)
        }
    };
    let k3 = k.clone();
    let verdict = move || verdict_view(i18n.get(), &k3);
    let class = verdict_view(i18n.locale.get_untracked().texts(), &k).1;
    let previous = k.previous.value;
    let current = k.current.value;
    let trend = k.trend.clone();
    view! {
        <article class="card kpi-card" data-testid=format!("kpi-{}", id.as_str())>
            <h2 class="kpi-name">{move || id.label(i18n.get())}</h2>
            <p class="kpi-value" data-testid="kpi-value">{move || format_value(i18n.get(), unit, current)}</p>
            <p class=format!("kpi-delta {class}") data-testid="kpi-delta">{move || verdict().0}</p>
            <p class="kpi-counts muted">
                {counts} " · " {t!(i18n, kpi_previous)} " " {move || format_value(i18n.get(), unit, previous)}
            </p>
            {move || trend_chart(&trend, unit, id.label(i18n.get()))}
            <a class="kpi-drill" href=drill data-testid="kpi-drill">{move || id.drill_label(i18n.get())} " →"</a>
        </article>
    }
}

/// A line per bucket over the period, drawn on the server. Buckets without data break the
/// line instead of dropping to zero.
pub(crate) fn trend_chart(points: &[TrendPoint], unit: KpiUnit, label: &str) -> impl IntoView {
    const W: f64 = 300.0;
    const H: f64 = 64.0;
    const PAD: f64 = 6.0;
    let values: Vec<Option<f64>> = points.iter().map(|p| p.value.value).collect();
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let (mut lo, mut hi) = known
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    if known.is_empty() {
        (lo, hi) = (0.0, 1.0);
    }
    if (hi - lo).abs() < 1e-9 {
        (lo, hi) = (lo - 1.0, hi + 1.0);
    }
    if unit == KpiUnit::Percent {
        (lo, hi) = (lo.max(0.0), hi.min(100.0).max(lo + 1.0));
    }
    let n = values.len().max(2) as f64 - 1.0;
    let x = |i: usize| PAD + i as f64 * (W - 2.0 * PAD) / n;
    let y = |v: f64| H - PAD - (v - lo) / (hi - lo) * (H - 2.0 * PAD);
    let mut d = String::new();
    let mut pen_down = false;
    let mut dots = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                d += &format!(
                    "{}{:.1} {:.1} ",
                    if pen_down { "L" } else { "M" },
                    x(i),
                    y(*v)
                );
                pen_down = true;
                dots.push((x(i), y(*v)));
            }
            None => pen_down = false,
        }
    }
    let first = points.first().map(|p| p.from.clone()).unwrap_or_default();
    let last = points.last().map(|p| p.from.clone()).unwrap_or_default();
    let summary = format!("{label}: {first} – {last}");
    let title = summary.clone();
    view! {
        <figure class="trend">
            <svg viewBox=format!("0 0 {W} {H}") preserveAspectRatio="none" role="img" aria-label=summary.clone()>
                <title>{title}</title>
                <line x1="0" y1=H - PAD x2=W y2=H - PAD class="trend-axis" />
                <path d=d class="trend-line" />
                {dots.into_iter().map(|(cx, cy)| view! { <circle cx=format!("{cx:.1}") cy=format!("{cy:.1}") r="2" class="trend-dot" /> }).collect_view()}
            </svg>
            <figcaption class="trend-dates muted"><span>{first}</span><span>{last}</span></figcaption>
        </figure>
    }
}

#[component]
pub fn KpiItemsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().kpis_title.to_string()) />
        <RequireRole roles=&[Role::Agent, Role::Manager] children=|_| view! { <KpiItems /> } />
    }
}

fn item_detail(t: &Texts, kpi: KpiId, item: &DrillItem) -> String {
    match kpi {
        KpiId::OnTime => fill(t.drill_promised, &[("date", &item.detail)]),
        KpiId::ResolutionTime | KpiId::ResolutionWithinSla => {
            crate::complaints::ComplaintCategory::parse(&item.detail)
                .map(|c| c.label(t).to_string())
                .unwrap_or_else(|| item.detail.clone())
        }
        KpiId::Csat | KpiId::CsatMean => format!("{} ★", item.detail),
        KpiId::Nps => format!("NPS {}", item.detail),
        _ => crate::domain::ShipmentStatus::parse(&item.detail)
            .map(|s| s.label(t).to_string())
            .unwrap_or_else(|| item.detail.clone()),
    }
}

#[component]
fn KpiItems() -> impl IntoView {
    let i18n = use_i18n();
    let path = use_params_map();
    let params = use_query_map();
    let kpi_name = Memo::new(move |_| path.with(|p| p.get("kpi").unwrap_or_default()));
    let query = Memo::new(move |_| params.with(kpi_query));
    let page = Memo::new(move |_| {
        params.with(|p| {
            p.get("page")
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(1)
        })
    });
    let items = Resource::new(
        move || (kpi_name.get(), query.get(), page.get()),
        |(kpi, q, page)| kpi_items(kpi, q, page),
    );
    let list = move |p: DrillPage| {
        let qs = query_string(&query.get_untracked());
        let kpi = p.kpi;
        let pages = (p.total + p.per_page - 1) / p.per_page;
        let at = |n: i64| format!("/staff/kpis/{}?{qs}&page={n}", kpi.as_str());
        let prev = (p.page > 1).then(|| at(p.page - 1));
        let next = (p.page < pages).then(|| at(p.page + 1));
        let csv = format!(
            "/api/v1/kpis/{}/items?{qs}&page={}&format=csv",
            kpi.as_str(),
            p.page
        );
        let back = format!("/staff/kpis?{qs}");
        let period = p.period.clone();
        let total = p.total;
        view! {
            <div class="page-head">
                <h1 data-testid="drill-title">{move || kpi.drill_label(i18n.get())}</h1>
                <div class="actions">
                    <a class="button button-secondary" href=back>{t!(i18n, drill_back)}</a>
                    <a class="button button-secondary" href=csv download data-testid="drill-csv">{t!(i18n, drill_csv)}</a>
                </div>
            </div>
            <p class="lead">
                {move || kpi.label(i18n.get())} " · " {period.from.clone()} " – " {period.to.clone()} " · "
                {move || fill(i18n.get().drill_total, &[("n", &total.to_string())])}
            </p>
            {if p.items.is_empty() {
                view! { <p class="card muted">{t!(i18n, drill_none)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap card">
                        <table class="table" data-testid="drill-table">
                            <thead><tr>
                                <th scope="col">{t!(i18n, drill_when)}</th>
                                <th scope="col">{t!(i18n, drill_item)}</th>
                                <th scope="col">{t!(i18n, col_customer)}</th>
                                <th scope="col">{t!(i18n, drill_detail)}</th>
                            </tr></thead>
                            <tbody>
                                {p.items.into_iter().map(|item| {
                                    let link = match (item.kind.as_str(), &item.tracking_number) {
                                        ("complaint", _) => format!("/complaints/{}", item.id),
                                        (_, Some(tn)) => format!("/track/{tn}"),
                                        _ => String::new(),
                                    };
                                    let name = item.tracking_number.clone().unwrap_or_else(|| format!("#{}", item.id));
                                    let customer = format!("/staff/customers/{}", item.customer_id);
                                    let tier = item.tier;
                                    let item2 = item.clone();
                                    view! {
                                        <tr data-testid="drill-row">
                                            <td>{format_date(item.at)} " " {format_time(item.at)}</td>
                                            <td><a href=link class="mono">{name}</a></td>
                                            <td>
                                                <a href=customer data-testid="drill-customer">{item.customer_name.clone()}</a>
                                                " " <span class=format!("badge tier-{}", tier.as_str())>{move || tier.label(i18n.get())}</span>
                                            </td>
                                            <td>{move || item_detail(i18n.get(), kpi, &item2)}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav class="pager" aria-label=move || i18n.get().shipments_pages>
                {prev.map(|h| view! { <a class="button button-secondary" href=h>{t!(i18n, drill_prev)}</a> })}
                {next.map(|h| view! { <a class="button button-secondary" href=h data-testid="drill-next">{t!(i18n, drill_next)}</a> })}
            </nav>
        }
    };
    view! {
        <Loaded resource=items refused=refusal children=list />
    }
}
