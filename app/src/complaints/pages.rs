//! Complaint pages: the customer's list, the form (the shipment filled in from a low rating or
//! a shipment page), one complaint's thread with the customer's confirm / reopen and the
//! follow-up question, and the agents' queues.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::{
    act_on_complaint, attach_to_complaint, file_complaint, get_complaint, load_agent_queues,
    my_complaints, AgentQueues, Complaint, ComplaintAction, ComplaintCategory, ComplaintStatus,
    ComplaintSummary, NewComplaint,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::use_auth;
use crate::accounts::Role;
use crate::error::{AppError, Reply};
use crate::i18n::{fill, use_i18n};
use crate::ratings::Csat;
use crate::ui::{error_for, format_time, invalid, FormError, Input, Loaded, TextArea};

const ATTACH_INPUT: &str = "complaint-attachments";
/// The attachments' hint and error, which the file input's `aria-describedby` names.
const ATTACH_HINT: &str = "complaint-attachments-hint";
const ATTACH_ERROR: &str = "complaint-attachments-error";

#[component]
pub fn ComplaintsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().complaints_title.to_string()) />
        <h1>{t!(i18n, complaints_title)}</h1>
        <RequireRole roles=&[Role::Customer] children=move |_| {
            let list = Resource::new(|| (), |_| my_complaints());
            view! {
                <p><a class="button button-primary" href="/complaints/new" data-testid="complaint-new">{t!(i18n, complaint_new_title)}</a></p>
                <Loaded resource=list let:rows>
                    <ComplaintList rows=rows />
                </Loaded>
            }
        } />
    }
}

#[component]
fn ComplaintList(rows: Vec<ComplaintSummary>, #[prop(optional)] queue: bool) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="complaints-empty">{t!(i18n, complaints_none)}</p> }.into_any();
    }
    view! {
        <ul class="cards" data-testid="complaints-list">
            {rows.into_iter().map(|c| {
                let tier = c.tier.clone();
                view! {
                <li class="card row-card" class:overdue=c.overdue>
                    <a href=format!("/complaints/{}", c.id) data-testid="complaint-link">
                        <strong>{move || fill(i18n.get().complaint_number, &[("id", &c.id.to_string())])}</strong>
                    </a>
                    <span class="badge">{move || c.status.label(i18n.get())}</span>
                    <span class="muted">
                        {move || c.category.label(i18n.get())}
                        {c.tracking_number.clone().map(|t| format!(" · {t}"))}
                    </span>
                    {queue.then(|| view! {
                        <span class="muted">
                            {c.customer_name.clone()} " · " {move || tier.as_deref().map(|t| super::tier_label(i18n.get(), t))} " · "
                            {move || c.priority.label(i18n.get())}
                            {c.assignee.clone().map(|a| format!(" · {a}"))}
                        </span>
                        <span class:due-overdue=c.overdue data-testid="complaint-due">
                            {move || if c.overdue { i18n.get().queue_overdue } else { i18n.get().queue_due }}
                            " " {format_time(c.due_at)}
                        </span>
                    })}
                </li>
            }}).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn NewComplaintPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().complaint_new_title.to_string()) />
        <h1>{t!(i18n, complaint_new_title)}</h1>
        <p class="lead">{t!(i18n, complaint_new_lead)}</p>
        <RequireRole roles=&[Role::Customer] children=|_| view! { <ComplaintForm /> } />
    }
}

#[component]
fn ComplaintForm() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let navigate = use_navigate();
    let tn = RwSignal::new(query.with_untracked(|q| q.get("tn").unwrap_or_default()));
    let category = RwSignal::new(
        query
            .with_untracked(|q| q.get("category"))
            .and_then(|c| ComplaintCategory::parse(&c))
            .unwrap_or(ComplaintCategory::Delay),
    );
    let description = RwSignal::new(String::new());
    let errors = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewComplaint {
            tracking_number: Some(tn.get_untracked()),
            category: category.get_untracked(),
            description: description.get_untracked(),
        };
        let navigate = navigate.clone();
        busy.set(true);
        errors.set(None);
        leptos::task::spawn_local(async move {
            let files = match crate::ui::chosen_images(ATTACH_INPUT, "attachment").await {
                Ok(f) => f,
                Err(e) => {
                    errors.set(Some(e));
                    busy.set(false);
                    return;
                }
            };
            match file_complaint(input).await {
                Ok(Ok(c)) => {
                    for f in files {
                        let _ = attach_to_complaint(c.id, f).await;
                    }
                    navigate(&format!("/complaints/{}", c.id), Default::default());
                }
                Ok(Err(e)) | Err(e) => errors.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.fields().is_none())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    let tn_error = error_for(errors, "tracking_number".into());
    let description_error = error_for(errors, "description".into());
    let attach_error = error_for(errors, "attachment".into());
    view! {
        <form class="card" on:submit=submit novalidate data-testid="complaint-form">
            <FormError message=form_error />
            <Input id="complaint-tn" autocomplete="off" value=tn error=tn_error
                label=Signal::derive(move || i18n.get().complaint_shipment) />
            <div class="field">
                <label for="complaint-category">{t!(i18n, complaint_category)}</label>
                <select id="complaint-category" on:change=move |ev| {
                    if let Some(c) = ComplaintCategory::parse(&event_target_value(&ev)) { category.set(c) }
                }>
                    {ComplaintCategory::ALL.into_iter().map(|c| view! {
                        <option value=c.as_str() selected=move || category.get() == c>{move || c.label(i18n.get())}</option>
                    }).collect_view()}
                </select>
            </div>
            <TextArea id="complaint-description" rows=5 maxlength=4000 value=description
                error=description_error label=Signal::derive(move || i18n.get().complaint_description) />
            <div class="field" class:has-error=move || attach_error.get().is_some()>
                <label for=ATTACH_INPUT>{t!(i18n, complaint_attachments)}</label>
                <input id=ATTACH_INPUT type="file" multiple accept="image/jpeg,image/png,image/webp"
                    aria-describedby=format!("{ATTACH_HINT} {ATTACH_ERROR}") aria-invalid=invalid(attach_error) />
                <p class="hint" id=ATTACH_HINT>{t!(i18n, return_photos_hint)}</p>
                <p class="field-error" id=ATTACH_ERROR aria-live="polite">{move || attach_error.get()}</p>
            </div>
            <button type="submit" class="button button-primary" data-testid="complaint-submit" disabled=move || busy.get()>
                {t!(i18n, complaint_submit)}
            </button>
        </form>
    }
}

#[component]
pub fn ComplaintPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| p.get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0))
    });
    view! {
        <Title text=crate::ui::page_title(move || fill(i18n.get().complaint_number, &[("id", &id.get().to_string())])) />
        <RequireRole roles=&[Role::Customer, Role::Agent, Role::Manager] children=move |_| {
            let loaded = Resource::new(move || id.get(), get_complaint);
            view! {
                <Loaded resource=loaded let:c>
                    <ComplaintDetail initial=c />
                </Loaded>
            }
        } />
    }
}

#[component]
fn ComplaintDetail(initial: Complaint) -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let current = RwSignal::new(initial);
    let text = RwSignal::new(String::new());
    let satisfaction = RwSignal::new(None::<u8>);
    let errors = RwSignal::new(None::<AppError>);
    let is_staff = Signal::derive(move || {
        auth.user
            .get()
            .and_then(|u| u.ok())
            .flatten()
            .is_some_and(|u| u.role.is_staff())
    });
    let act = Action::new(move |a: &ComplaintAction| {
        let (id, a) = (current.get_untracked().id, a.clone());
        async move { act_on_complaint(id, a).await }
    });
    Effect::new(move |_| {
        if let Some(result) = act.value().get() {
            match result.and_then(|r| r) {
                Ok(c) => {
                    errors.set(None);
                    text.set(String::new());
                    current.set(c)
                }
                Err(e) => errors.set(Some(e)),
            }
        }
    });
    let form_error = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.fields().is_none() || e.field_error("status").is_some())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    let text_error = Signal::derive(move || {
        let locale = i18n.locale.get();
        errors.with(|e| {
            e.as_ref()
                .and_then(|e| {
                    ["body", "note", "reason"]
                        .iter()
                        .find_map(|f| e.field_error(f))
                })
                .map(|f| f.message(locale))
        })
    });
    view! {
        <h1>{move || fill(i18n.get().complaint_number, &[("id", &current.with(|c| c.id).to_string())])}</h1>
        <ComplaintFacts current=current is_staff=is_staff />
        <ComplaintAttachments current=current errors=errors />
        <ComplaintThread current=current />
        <ComplaintActions current=current is_staff=is_staff act=act text=text satisfaction=satisfaction
            form_error=form_error text_error=text_error />
    }
}

/// The complaint's status, priority and facts (the customer's name and tier for staff).
#[component]
fn ComplaintFacts(current: RwSignal<Complaint>, is_staff: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let status = move || current.with(|c| c.status);
    view! {
        <section class="card" data-testid="complaint-detail">
            <p>
                <span class="badge" data-testid="complaint-status">{move || status().label(i18n.get())}</span>
                " "
                <span class="badge" class:badge-high=move || current.with(|c| c.priority == super::Priority::High)>
                    {move || current.with(|c| c.priority.label(i18n.get()))}
                </span>
                <Show when=move || current.with(|c| c.overdue)>
                    " " <span class="badge badge-warning">{t!(i18n, queue_overdue)}</span>
                </Show>
            </p>
            <dl class="facts">
                <Show when=move || is_staff.get()>
                    <dt>{t!(i18n, complaint_customer)}</dt>
                    <dd data-testid="complaint-customer">{move || current.with(|c| {
                        let tier = c.tier.as_deref().map(|t| format!(" · {}", super::tier_label(i18n.get(), t)));
                        format!("{}{}", c.customer_name, tier.unwrap_or_default())
                    })}</dd>
                </Show>
                <dt>{t!(i18n, complaint_category)}</dt>
                <dd>{move || current.with(|c| c.category.label(i18n.get()))}</dd>
                {move || current.with(|c| c.tracking_number.clone()).map(|t| view! {
                    <dt>{t!(i18n, complaint_shipment)}</dt><dd><a href=format!("/track/{t}")>{t.clone()}</a></dd>
                })}
                <dt>{t!(i18n, complaint_first_due)}</dt>
                <dd>{move || current.with(|c| match c.first_response_at {
                    Some(at) => fill(i18n.get().complaint_answered_at, &[("time", &format_time(at))]),
                    None => format_time(c.first_response_due),
                })}</dd>
                <dt>{t!(i18n, complaint_resolution_due)}</dt>
                <dd>{move || current.with(|c| format_time(c.resolution_due))}</dd>
                {move || current.with(|c| c.assignee.clone()).map(|a| view! { <dt>{t!(i18n, complaint_assignee)}</dt><dd>{a}</dd> })}
                {move || current.with(|c| c.follow_up).map(|f| view! { <dt>{t!(i18n, complaint_follow_up)}</dt><dd data-testid="complaint-follow-up">{"★".repeat(f.get() as usize)}</dd> })}
            </dl>
        </section>
    }
}

/// The complaint's pictures, and a picker to add one while it is open.
#[component]
fn ComplaintAttachments(
    current: RwSignal<Complaint>,
    errors: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let add_attachment = move |_| {
        let id = current.with_untracked(|c| c.id);
        crate::ui::upload_chosen(ATTACH_INPUT, "attachment", current, errors, move |f| {
            attach_to_complaint(id, f)
        });
    };
    let attach_error = error_for(errors, "attachment".into());
    view! {
        <section class="card">
            <h2>{t!(i18n, complaint_attachments)}</h2>
            <div class="photos" data-testid="complaint-attachments">
                {move || {
                    let (id, files) = current.with(|c| (c.id, c.attachments.clone()));
                    files.into_iter().map(|a| view! {
                        <a href=format!("/api/v1/complaints/{id}/attachments/{a}") rel="external" target="_blank">
                            <img src=format!("/api/v1/complaints/{id}/attachments/{a}") alt=move || i18n.get().complaint_attachment_alt loading="lazy" width="96" height="96" />
                        </a>
                    }).collect_view()
                }}
            </div>
            <Show when=move || current.with(|c| c.status != ComplaintStatus::Closed && c.attachments.len() < crate::returns::MAX_PHOTOS)>
                <div class="field" class:has-error=move || attach_error.get().is_some()>
                    <label for=ATTACH_INPUT>{t!(i18n, complaint_add_attachment)}</label>
                    <input id=ATTACH_INPUT type="file" accept="image/jpeg,image/png,image/webp" on:change=add_attachment
                        aria-describedby=ATTACH_ERROR aria-invalid=invalid(attach_error) />
                    <p class="field-error" id=ATTACH_ERROR aria-live="polite">{move || attach_error.get()}</p>
                </div>
            </Show>
        </section>
    }
}

/// The messages between the customer and the agents, oldest first.
#[component]
fn ComplaintThread(current: RwSignal<Complaint>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card">
            <h2>{t!(i18n, complaint_thread)}</h2>
            <ol class="thread" data-testid="complaint-thread">
                {move || current.with(|c| c.messages.clone()).into_iter().map(|m| {
                    let who = m.author.clone();
                    let name = m.author_name.clone();
                    let class = format!("msg msg-{who}");
                    view! {
                        <li class=class>
                            <p class="muted">
                                {move || match who.as_str() {
                                    "agent" => name.clone().unwrap_or_else(|| i18n.get().complaint_agent.to_string()),
                                    "customer" => i18n.get().complaint_you.to_string(),
                                    _ => i18n.get().complaint_system.to_string(),
                                }}
                                " · " {format_time(m.at)}
                                {m.status.map(|s| view! { " · " <span class="badge">{move || s.label(i18n.get())}</span> })}
                            </p>
                            {(!m.body.is_empty()).then(|| view! { <p class="pre">{m.body.clone()}</p> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
}

/// What the reader can do next: confirm (with the follow-up question) or reopen as the
/// customer, reply, assign or resolve as staff.
#[component]
fn ComplaintActions(
    current: RwSignal<Complaint>,
    is_staff: Signal<bool>,
    act: Action<ComplaintAction, Result<Reply<Complaint>, AppError>>,
    text: RwSignal<String>,
    satisfaction: RwSignal<Option<u8>>,
    form_error: Signal<Option<String>>,
    text_error: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let stars = move || {
        satisfaction
            .get_untracked()
            .and_then(|s| Csat::parse(i64::from(s)).ok())
    };
    let status = move || current.with(|c| c.status);
    view! {
        <section class="card" data-testid="complaint-actions">
            <FormError message=form_error />
            // The customer's answer to a resolution comes first: confirm (with the follow-up
            // question), or say below why it is not resolved and reopen.
            <Show when=move || !is_staff.get() && (status() == ComplaintStatus::Resolved || (status() == ComplaintStatus::Closed && current.with(|c| c.follow_up.is_none())))>
                <fieldset class="field" data-testid="complaint-follow-up-question">
                    <legend>{t!(i18n, complaint_follow_up_question)}</legend>
                    <div class="stars" role="radiogroup">
                        {(1u8..=5).map(|n| view! {
                            <button type="button" class="star" role="radio"
                                aria-checked=move || if satisfaction.get() == Some(n) { "true" } else { "false" }
                                class:on=move || satisfaction.get().is_some_and(|s| s >= n)
                                aria-label=move || fill(i18n.get().rate_stars, &[("n", &n.to_string())])
                                data-testid=format!("follow-up-{n}")
                                on:click=move |_| satisfaction.set(Some(n))>"★"</button>
                        }).collect_view()}
                    </div>
                </fieldset>
                <div class="actions">
                    <button class="button button-primary" data-testid="complaint-confirm" disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(ComplaintAction::Confirm(stars())); }>
                        {move || if status() == ComplaintStatus::Closed { i18n.get().complaint_answer } else { i18n.get().complaint_confirm }}
                    </button>
                </div>
            </Show>
            <Show when=move || status() != ComplaintStatus::Closed>
                <TextArea id="complaint-text" maxlength=4000 value=text error=text_error
                    label=Signal::derive(move || if status() == ComplaintStatus::Resolved && !is_staff.get() { i18n.get().complaint_reopen_reason } else { i18n.get().complaint_message }) />
            </Show>
            <div class="actions">
                <Show when=move || status() != ComplaintStatus::Closed && (is_staff.get() || status() != ComplaintStatus::Resolved)>
                    <button class="button button-secondary" data-testid="complaint-reply" disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(ComplaintAction::Reply(text.get_untracked())); }>
                        {t!(i18n, complaint_send)}
                    </button>
                </Show>
                <Show when=move || is_staff.get() && status().with_agents()>
                    <button class="button button-secondary" data-testid="complaint-assign" disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(ComplaintAction::Assign); }>
                        {t!(i18n, complaint_assign)}
                    </button>
                    <button class="button button-primary" data-testid="complaint-resolve" disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(ComplaintAction::Resolve(text.get_untracked())); }>
                        {t!(i18n, complaint_resolve)}
                    </button>
                </Show>
                <Show when=move || !is_staff.get() && status() == ComplaintStatus::Resolved>
                    <button class="button button-secondary" data-testid="complaint-reopen" disabled=move || act.pending().get()
                        on:click=move |_| { act.dispatch(ComplaintAction::Reopen(text.get_untracked())); }>
                        {t!(i18n, complaint_reopen)}
                    </button>
                </Show>
            </div>
        </section>
    }
}

/// The agents' queues: complaints to work and returns to decide or refund, overdue first.
#[component]
pub fn QueuePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().queue_title.to_string()) />
        <h1>{t!(i18n, queue_title)}</h1>
        <RequireRole roles=&[Role::Agent, Role::Manager] children=move |_| {
            let queues = Resource::new(|| (), |_| load_agent_queues());
            view! {
                <Loaded resource=queues let:q>
                    <section data-testid="queue-returns">
                        <h2>{t!(i18n, queue_returns)}</h2>
                        <crate::returns::pages::ReturnList rows=q.returns queue_now=q.now />
                    </section>
                    <section data-testid="queue-complaints">
                        <h2>{t!(i18n, queue_complaints)}</h2>
                        <ComplaintList rows=q.complaints queue=true />
                    </section>
                </Loaded>
            }
        } />
    }
}

/// The queues at a glance on the staff dashboard: what waits, and how much of it is overdue. A
/// part of the dashboard, so a failure to load them is a line in their place.
#[component]
pub fn QueueSummary() -> impl IntoView {
    let i18n = use_i18n();
    let queues = Resource::new(|| (), |_| load_agent_queues());
    let summary = move |q: AgentQueues| {
        let overdue = q.complaints.iter().filter(|c| c.overdue).count()
            + q.returns.iter().filter(|r| r.due_at < q.now).count();
        let alert = overdue > 0;
        view! {
            <div class="stats" data-testid="queue-summary">
                <a class="stat card" href="/staff/queue">
                    <p class="stat-value">{q.returns.len()}</p>
                    <p class="stat-label">{t!(i18n, queue_returns)}</p>
                </a>
                <a class="stat card" href="/staff/queue">
                    <p class="stat-value">{q.complaints.len()}</p>
                    <p class="stat-label">{t!(i18n, queue_complaints)}</p>
                </a>
                <a class="stat card" class:stat-alert=alert href="/staff/queue">
                    <p class="stat-value" data-testid="queue-overdue">{overdue}</p>
                    <p class="stat-label">{t!(i18n, queue_overdue_count)}</p>
                </a>
            </div>
        }
    };
    view! { <Loaded resource=queues inline=true children=summary /> }
}
