//! The window picker (booking flow, shipment page, tracking page) and the managers' page for
//! slot templates and single windows.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    list_templates, save_template, template_slots, update_slot, Slot, SlotList, SlotTemplate,
    SlotUpdate, TemplateForm,
};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::error::AppError;
use crate::i18n::{fill, use_i18n, Texts};
use crate::ui::{error_for, invalid, FormError, Input, Loaded, TextArea};

/// `YYYY-MM-DD` -> ISO weekday (1 = Monday), without a date library in the wasm.
fn weekday(day: &str) -> Option<i64> {
    let days = crate::ui::parse_date(day)?;
    // 1970-01-01 was a Thursday.
    Some((days + 3).rem_euclid(7) + 1)
}

fn weekday_name(t: &Texts, day: &str) -> &'static str {
    match weekday(day) {
        Some(1) => t.wd_1,
        Some(2) => t.wd_2,
        Some(3) => t.wd_3,
        Some(4) => t.wd_4,
        Some(5) => t.wd_5,
        Some(6) => t.wd_6,
        _ => t.wd_7,
    }
}

/// "Thu 2026-11-26 09:00–11:00"
pub fn window_text(t: &Texts, s: &Slot) -> String {
    fill(
        t.ship_window,
        &[
            ("day", &format!("{} {}", weekday_name(t, &s.day), s.day)),
            ("from", &s.local_start),
            ("to", &s.local_end),
        ],
    )
}

/// Days as a strip, then the chosen day's windows with what is left; full, closed and
/// past-cut-off windows show why they cannot be chosen.
///
/// Each day's windows are a radio group: `described_by` names the element that shows the
/// choice's error (the caller's), and `error` sets the groups' `aria-invalid`.
#[component]
pub fn SlotPicker(
    list: SlotList,
    selected: RwSignal<Option<i64>>,
    /// Prefix of element ids and the radio group's name.
    #[prop(into)]
    name: String,
    /// Id of the element showing the choice's error, for `aria-describedby`.
    #[prop(optional, into)]
    described_by: Option<String>,
    /// The choice's error, for `aria-invalid`.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    if list.slots.is_empty() {
        return view! { <p class="muted" data-testid="no-slots">{t!(i18n, slot_none_in_area)}</p> }
            .into_any();
    }
    let mut days: Vec<String> = Vec::new();
    for s in &list.slots {
        if !days.contains(&s.day) {
            days.push(s.day.clone());
        }
    }
    let first_open = list
        .slots
        .iter()
        .find(|s| s.bookable)
        .map(|s| s.day.clone());
    let initial = selected
        .get_untracked()
        .and_then(|id| list.slots.iter().find(|s| s.id == id))
        .map(|s| s.day.clone())
        .or(first_open)
        .unwrap_or_else(|| days[0].clone());
    let day = RwSignal::new(initial);
    let slots = StoredValue::new(list.slots.clone());
    let tz = list
        .slots
        .first()
        .map(|s| s.time_zone.clone())
        .unwrap_or_default();
    let area = list.area_name.clone().unwrap_or_default();
    let testid = format!("{name}-picker");
    let days_in_order = days.clone();
    view! {
        <div class="slot-picker" data-testid=testid>
            <p class="muted small">
                {move || fill(i18n.get().slot_area, &[("area", &area)])} " · "
                {move || fill(i18n.get().slot_times_local, &[("tz", &tz)])}
            </p>
            <div class="day-strip" role="tablist">
                {days.into_iter().map(|d| {
                    let open = slots.with_value(|s| s.iter().filter(|s| s.day == d && s.bookable).count());
                    let d2 = d.clone();
                    let d3 = d.clone();
                    let label = d.clone();
                    view! {
                        <button type="button" role="tab" class="day" data-testid="slot-day" data-day=d.clone()
                            aria-selected=move || (day.get() == d2).to_string()
                            class:full=open == 0
                            on:click=move |_| day.set(d3.clone())>
                            <span class="wd">{move || weekday_name(i18n.get(), &label)}</span>
                            <span class="date">{d[5..].to_string()}</span>
                            <span class="small">{move || if open == 0 {
                                i18n.get().slot_day_none.to_string()
                            } else {
                                fill(i18n.get().slot_day_free, &[("n", &open.to_string())])
                            }}</span>
                        </button>
                    }
                }).collect_view()}
            </div>
            // Every day's windows are in the page, the other days hidden: a page without
            // scripts shows them all (see the shell's noscript style) and its form still works.
            {days_in_order.into_iter().map(|d| {
                let shown = d.clone();
                let name = name.clone();
                let described_by = described_by.clone();
                view! {
                    // A radio group rather than the fieldset's plain group: it may carry
                    // `aria-invalid`.
                    <fieldset class="windows" data-day=d.clone() hidden=move || day.get() != shown
                        role="radiogroup" aria-describedby=described_by
                        aria-invalid=error.map(invalid)>
                        <legend class="visually-hidden">{d.clone()}</legend>
                        {slots.get_value().into_iter().filter(|s| s.day == d).map(|s| {
                            let id = format!("{name}-{}", s.id);
                            let input_id = id.clone();
                            let slot_id = s.id;
                            let why = s.unavailable;
                            let remaining = s.remaining;
                            let cutoff = s.local_cutoff.clone();
                            view! {
                                <label class="slot-choice" for=id.clone() data-testid="slot"
                                    data-slot-id=s.id.to_string() class:disabled=!s.bookable>
                                    <input type="radio" name=name.clone() id=input_id value=s.id.to_string()
                                        disabled=!s.bookable
                                        checked=move || selected.get() == Some(slot_id)
                                        on:change=move |_| selected.set(Some(slot_id)) />
                                    <span class="option-body">
                                        <span class="option-head">
                                            <strong>{format!("{}–{}", s.local_start, s.local_end)}</strong>
                                            <span class="slot-left">{move || match why {
                                                Some(w) => w.label(i18n.get()).to_string(),
                                                None => fill(i18n.get().slot_left, &[("n", &remaining.to_string())]),
                                            }}</span>
                                        </span>
                                        {why.is_none().then(|| view! {
                                            <span class="muted small">{move || fill(i18n.get().slot_change_until, &[("time", &cutoff)])}</span>
                                        })}
                                    </span>
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

const WEEKDAYS: [u8; 7] = [1, 2, 3, 4, 5, 6, 7];

fn form_of(t: &SlotTemplate) -> TemplateForm {
    let x = &t.template;
    TemplateForm {
        id: t.id.to_string(),
        area: x.area.clone(),
        name: x.name.clone(),
        country: x.country.clone(),
        time_zone: x.time_zone.clone(),
        cities: x.cities.join(", "),
        postcode_prefixes: x.postcode_prefixes.join(", "),
        weekdays: x.weekdays.iter().map(|d| d.to_string()).collect(),
        windows: x
            .windows
            .iter()
            .map(|w| format!("{}-{}", w.start, w.end))
            .collect::<Vec<_>>()
            .join(", "),
        capacity: x.capacity.to_string(),
        cutoff_days_before: x.cutoff_days_before.to_string(),
        cutoff_time: x.cutoff_time.clone(),
        days_ahead: x.days_ahead.to_string(),
        holidays: x.holidays.join(", "),
        pickup_points: x.pickup_points.join("\n"),
    }
}

fn new_form() -> TemplateForm {
    TemplateForm {
        country: "CN".into(),
        time_zone: "Asia/Shanghai".into(),
        weekdays: ["1", "2", "3", "4", "5"].map(String::from).to_vec(),
        windows: "09:00-11:00, 11:00-13:00, 14:00-18:00".into(),
        capacity: "10".into(),
        cutoff_days_before: "1".into(),
        cutoff_time: "18:00".into(),
        days_ahead: "14".into(),
        ..TemplateForm::default()
    }
}

/// Managers: every service area's template, a form to add or change one, and the windows of
/// one area with their bookings, where a day's capacity can be changed or a window closed.
#[component]
pub fn SlotTemplatesPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().slots_title.to_string()) />
        <h1>{t!(i18n, slots_title)}</h1>
        <p class="muted">{t!(i18n, slots_intro)}</p>
        <RequireRole roles=&[Role::Manager] children=|_| view! { <TemplatesEditor /> } />
    }
}

#[component]
fn TemplatesEditor() -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u32);
    let templates = Resource::new(move || reload.get(), |_| list_templates());
    let editing = RwSignal::new(None::<TemplateForm>);
    let viewing = RwSignal::new(None::<i64>);
    view! {
        <Loaded resource=templates let:list>
            <ul class="result-list">
                {list.into_iter().map(|t| {
                    let x = t.template.clone();
                    let form = form_of(&t);
                    let id = t.id;
                    let summary = move || fill(i18n.get().slots_summary, &[
                        ("windows", &x.windows.len().to_string()),
                        ("capacity", &x.capacity.to_string()),
                        ("days", &x.cutoff_days_before.to_string()),
                        ("time", &x.cutoff_time),
                        ("ahead", &x.days_ahead.to_string()),
                    ]);
                    view! {
                        <li class="card result" data-testid="slot-template">
                            <p><strong>{t.template.name.clone()}</strong> " " <span class="mono muted">{t.template.area.clone()}</span></p>
                            <p class="muted small">{summary}</p>
                            <p class="actions">
                                <button type="button" class="button button-secondary" on:click=move |_| editing.set(Some(form.clone()))>{t!(i18n, slots_edit)}</button>
                                <button type="button" class="button button-secondary" on:click=move |_| viewing.set(Some(id))>{t!(i18n, slots_view)}</button>
                            </p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Loaded>
        <p><button type="button" class="button button-primary" data-testid="new-template" on:click=move |_| editing.set(Some(new_form()))>{t!(i18n, slots_new)}</button></p>
        {move || editing.get().map(|form| view! { <TemplateEditor form=form editing=editing reload=reload /> })}
        {move || viewing.get().map(|id| view! { <TemplateWindows template_id=id /> })}
    }
}

#[component]
fn TemplateEditor(
    form: TemplateForm,
    editing: RwSignal<Option<TemplateForm>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let i18n = use_i18n();
    let s = |v: &String| RwSignal::new(v.clone());
    let (area, name, country, tz) = (
        s(&form.area),
        s(&form.name),
        s(&form.country),
        s(&form.time_zone),
    );
    let (cities, prefixes, windows) = (
        s(&form.cities),
        s(&form.postcode_prefixes),
        s(&form.windows),
    );
    let (capacity, cutoff_days, cutoff_time) = (
        s(&form.capacity),
        s(&form.cutoff_days_before),
        s(&form.cutoff_time),
    );
    let (days_ahead, holidays, points) = (
        s(&form.days_ahead),
        s(&form.holidays),
        s(&form.pickup_points),
    );
    let weekdays = RwSignal::new(form.weekdays.clone());
    let id = form.id.clone();
    let errors = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let save = Action::new(move |f: &TemplateForm| save_template(f.clone()));
    Effect::new(move |_| {
        if let Some(r) = save.value().get() {
            match r.and_then(|x| x) {
                Ok(_) => {
                    errors.set(None);
                    saved.set(true);
                    reload.update(|n| *n += 1);
                }
                Err(e) => {
                    saved.set(false);
                    errors.set(Some(e));
                }
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(TemplateForm {
            id: id.clone(),
            area: area.get_untracked(),
            name: name.get_untracked(),
            country: country.get_untracked(),
            time_zone: tz.get_untracked(),
            cities: cities.get_untracked(),
            postcode_prefixes: prefixes.get_untracked(),
            weekdays: weekdays.get_untracked(),
            windows: windows.get_untracked(),
            capacity: capacity.get_untracked(),
            cutoff_days_before: cutoff_days.get_untracked(),
            cutoff_time: cutoff_time.get_untracked(),
            days_ahead: days_ahead.get_untracked(),
            holidays: holidays.get_untracked(),
            pickup_points: points.get_untracked(),
        });
    };
    let err = move |f: &str| error_for(errors, f.to_string());
    let weekdays_error = err("weekdays");
    let general = Signal::derive(move || {
        errors.with(|e| {
            e.as_ref()
                .filter(|e| e.fields().is_none())
                .map(|e| e.message(i18n.locale.get()))
        })
    });
    view! {
        <form class="card form" on:submit=submit data-testid="template-form">
            <FormError message=general />
            <div class="grid-2 tight">
                <Input id="t-area" value=area label=Signal::derive(move || i18n.get().slots_f_area) error=err("area") required=true />
                <Input id="t-name" value=name label=Signal::derive(move || i18n.get().slots_f_name) error=err("name") required=true />
                <Input id="t-country" value=country label=Signal::derive(move || i18n.get().slots_f_country) error=err("country") required=true />
                <Input id="t-tz" value=tz label=Signal::derive(move || i18n.get().slots_f_tz) error=err("time_zone") required=true />
                <Input id="t-cities" value=cities label=Signal::derive(move || i18n.get().slots_f_cities) error=err("cities") />
                <Input id="t-prefixes" value=prefixes label=Signal::derive(move || i18n.get().slots_f_prefixes) error=err("postcode_prefixes") />
            </div>
            <fieldset class="weekdays" aria-describedby="t-weekdays-error">
                <legend>{t!(i18n, slots_f_weekdays)}</legend>
                {WEEKDAYS.into_iter().map(|d| {
                    let v = d.to_string();
                    let v2 = v.clone();
                    let label = move || match d {
                        1 => i18n.get().wd_1, 2 => i18n.get().wd_2, 3 => i18n.get().wd_3,
                        4 => i18n.get().wd_4, 5 => i18n.get().wd_5, 6 => i18n.get().wd_6,
                        _ => i18n.get().wd_7,
                    };
                    view! {
                        <label class="check inline">
                            <input type="checkbox" prop:checked=move || weekdays.with(|w| w.contains(&v))
                                aria-invalid=invalid(weekdays_error)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    weekdays.update(|w| {
                                        w.retain(|x| x != &v2);
                                        if on { w.push(v2.clone()); }
                                    });
                                } />
                            {label}
                        </label>
                    }
                }).collect_view()}
                <p class="field-error" id="t-weekdays-error" aria-live="polite">{move || err("weekdays").get()}</p>
            </fieldset>
            <Input id="t-windows" value=windows label=Signal::derive(move || i18n.get().slots_f_windows) error=err("windows") required=true />
            <div class="grid-2 tight">
                <Input id="t-capacity" value=capacity kind="number" label=Signal::derive(move || i18n.get().slots_f_capacity) error=err("capacity") required=true />
                <Input id="t-days-ahead" value=days_ahead kind="number" label=Signal::derive(move || i18n.get().slots_f_days_ahead) error=err("days_ahead") required=true />
                <Input id="t-cutoff-days" value=cutoff_days kind="number" label=Signal::derive(move || i18n.get().slots_f_cutoff_days) error=err("cutoff_days_before") required=true />
                <Input id="t-cutoff-time" value=cutoff_time label=Signal::derive(move || i18n.get().slots_f_cutoff_time) error=err("cutoff_time") required=true />
            </div>
            <Input id="t-holidays" value=holidays label=Signal::derive(move || i18n.get().slots_f_holidays) error=err("holidays") />
            <TextArea id="t-points" value=points label=Signal::derive(move || i18n.get().slots_f_points) error=err("pickup_points") />
            <Show when=move || saved.get()>
                <p class="banner banner-ok" role="status">{t!(i18n, slots_saved)}</p>
            </Show>
            <p class="actions">
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>{t!(i18n, slots_save)}</button>
                <button type="button" class="button button-secondary" on:click=move |_| editing.set(None)>{t!(i18n, slots_done)}</button>
            </p>
        </form>
    }
}

#[component]
fn TemplateWindows(template_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let reload = RwSignal::new(0u32);
    // A refusal of the request is the list's error as much as a failed call.
    let slots = Resource::new(
        move || reload.get(),
        move |_| async move {
            template_slots(template_id, String::new(), 14)
                .await
                .and_then(|reply| reply)
        },
    );
    let errors = RwSignal::new(None::<AppError>);
    let change = Action::new(move |(id, u): &(i64, SlotUpdate)| update_slot(*id, u.clone()));
    Effect::new(move |_| {
        if let Some(r) = change.value().get() {
            match r.and_then(|x| x) {
                Ok(_) => {
                    errors.set(None);
                    reload.update(|n| *n += 1);
                }
                Err(e) => errors.set(Some(e)),
            }
        }
    });
    let problem =
        Signal::derive(move || errors.with(|e| e.as_ref().map(|e| e.message(i18n.locale.get()))));
    let capacity_error = error_for(errors, "capacity".into());
    // The window whose capacity was last sent: a refused capacity is that row's input's error.
    let capacity_of = RwSignal::new(None::<i64>);
    let capacity_refused =
        move |id: i64| capacity_of.get() == Some(id) && capacity_error.with(Option::is_some);
    view! {
        <section class="card">
            <h2>{t!(i18n, slots_view)}</h2>
            <FormError message=Signal::derive(move || capacity_error.get().or(problem.get()))
                id="slot-capacity-error" />
            <Loaded resource=slots inline=true let:list>
                <div class="table-wrap">
                <table class="table windows-table" data-testid="template-windows">
                    <tbody>
                        {
                        let all = list.slots.clone();
                        let mut seen_day = String::new();
                        list.slots.into_iter().map(|s| {
                            // A day's heading row, with one button for all its windows.
                            let heading = (s.day != seen_day).then(|| {
                                seen_day = s.day.clone();
                                let day_slots: Vec<(i64, bool)> = all.iter().filter(|x| x.day == s.day).map(|x| (x.id, x.closed)).collect();
                                let all_closed = day_slots.iter().all(|(_, c)| *c);
                                let day = s.day.clone();
                                view! {
                                    <tr class="day-row">
                                        <th colspan="2">{move || format!("{} {}", weekday_name(i18n.get(), &day), day)}</th>
                                        <td>
                                            <button type="button" class="button button-secondary" data-testid="close-day"
                                                on:click=move |_| {
                                                    for (id, _) in &day_slots {
                                                        change.dispatch((*id, SlotUpdate { capacity: None, closed: Some(!all_closed) }));
                                                    }
                                                }>
                                                {move || if all_closed { i18n.get().slots_reopen_day } else { i18n.get().slots_close_day }}
                                            </button>
                                        </td>
                                    </tr>
                                }
                            });
                            let cap = RwSignal::new(s.capacity.to_string());
                            let id = s.id;
                            let closed = s.closed;
                            let (booked, capacity) = (s.capacity - s.remaining, s.capacity);
                            let when = s.clone();
                            let row = view! {
                                <tr data-testid="template-window">
                                    <td>{move || window_text(i18n.get(), &when)}</td>
                                    <td>{move || fill(i18n.get().slots_booked, &[("booked", &booked.to_string()), ("capacity", &capacity.to_string())])}
                                        {s.unavailable.map(|w| view! { " · " <span class="muted">{move || w.label(i18n.get())}</span> })}</td>
                                    <td class="inline-form">
                                        <input type="number" min="0" class="capacity-input" aria-label=t!(i18n, slots_f_capacity)
                                            aria-describedby=move || capacity_refused(id).then_some("slot-capacity-error")
                                            aria-invalid=move || if capacity_refused(id) { "true" } else { "false" }
                                            prop:value=move || cap.get() on:input=move |ev| cap.set(event_target_value(&ev)) />
                                        <button type="button" class="button button-secondary" on:click=move |_| {
                                            if let Ok(c) = cap.get_untracked().trim().parse::<i64>() {
                                                capacity_of.set(Some(id));
                                                change.dispatch((id, SlotUpdate { capacity: Some(c), closed: None }));
                                            }
                                        }>{t!(i18n, slots_set_capacity)}</button>
                                        <button type="button" class="button button-secondary" on:click=move |_| {
                                            change.dispatch((id, SlotUpdate { capacity: None, closed: Some(!closed) }));
                                        }>{move || if closed { i18n.get().slots_reopen } else { i18n.get().slots_close }}</button>
                                    </td>
                                </tr>
                            };
                            view! { {heading} {row} }
                        }).collect_view()
                        }
                    </tbody>
                </table>
                </div>
            </Loaded>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_come_from_the_date() {
        assert_eq!(weekday("2026-11-25"), Some(3));
        assert_eq!(weekday("2026-11-30"), Some(1));
        assert_eq!(weekday("2026-12-06"), Some(7));
        assert_eq!(weekday("1970-01-01"), Some(4));
        assert_eq!(weekday("2026-02-30"), None);
    }
}
