use leptos::prelude::*;
use leptos_meta::Title;

use super::{list_addresses, Address, DeleteAddress, SaveAddress, FORM_COUNTRIES};
use crate::accounts::pages::RequireRole;
use crate::accounts::Role;
use crate::i18n::{country_name, use_i18n};
use crate::ui::{field_error, form_error, Field, FormError, Loaded};

#[component]
pub fn AddressBookPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || i18n.get().addresses_title.to_string()) />
        <h1>{t!(i18n, addresses_title)}</h1>
        <p class="lead">{t!(i18n, addresses_lead)}</p>
        <RequireRole roles=&[Role::Customer] children=|_| view! { <AddressBook /> } />
    }
}

#[component]
fn AddressBook() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveAddress>::new();
    let delete = ServerAction::<DeleteAddress>::new();
    let addresses = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| list_addresses(),
    );
    // `None`: the form adds a new address; `Some`: it edits that one.
    let editing = RwSignal::new(None::<Address>);
    // Bumped after each successful save so the form starts empty again.
    let saves = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if let Some(Ok(Ok(_))) = save.value().get() {
            editing.set(None);
            saves.update(|n| *n += 1);
        }
    });
    view! {
        <div class="grid-2">
            <section class="card">
                <h2>
                    {move || if editing.with(Option::is_some) {
                        i18n.get().address_edit
                    } else {
                        i18n.get().address_add
                    }}
                </h2>
                // Keyed, so a save or another pick makes a new form (fresh inputs) rather than
                // patching the old one's attributes under what was typed.
                <For
                    each=move || [(saves.get(), editing.with(|e| e.as_ref().map(|a| a.id)))]
                    key=|k| *k
                    children=move |_| view! { <AddressForm action=save editing=editing /> }
                />
            </section>
            <section aria-live="polite">
                <Loaded resource=addresses let:list>
                    {if list.is_empty() {
                        view! {
                            <p class="muted" data-testid="address-empty">{t!(i18n, address_empty)}</p>
                        }.into_any()
                    } else {
                        list.into_iter()
                            .map(|a| view! { <AddressCard address=a editing=editing delete=delete /> })
                            .collect_view()
                            .into_any()
                    }}
                </Loaded>
            </section>
        </div>
    }
}

#[component]
fn AddressCard(
    address: Address,
    editing: RwSignal<Option<Address>>,
    delete: ServerAction<DeleteAddress>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = address.id.to_string();
    let country = address.country.clone();
    let for_edit = address.clone();
    view! {
        <article class="card address" data-testid="address-card">
            <p><strong>{address.name.clone()}</strong> {address.company.clone().map(|c| format!(" · {c}"))}</p>
            <p>{address.line1.clone()} {address.line2.clone().map(|l| format!(", {l}"))}</p>
            <p>
                {address.postcode.clone()} " " {address.city.clone()} " · "
                {move || country_name(i18n.get(), &country).to_string()}
            </p>
            <p class="muted">{address.phone.clone()}</p>
            <div class="actions">
                <button type="button" class="button button-secondary"
                    on:click=move |_| editing.set(Some(for_edit.clone()))>
                    {t!(i18n, address_edit_button)}
                </button>
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="button button-secondary">{t!(i18n, address_delete_button)}</button>
                </ActionForm>
            </div>
        </article>
    }
}

#[component]
fn AddressForm(
    action: ServerAction<SaveAddress>,
    editing: RwSignal<Option<Address>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = action.value();
    let current = editing.get_untracked();
    let initial = current.as_ref().map(Address::to_input).unwrap_or_default();
    let id = current
        .as_ref()
        .map(|a| a.id.to_string())
        .unwrap_or_default();
    let selected = if initial.country.is_empty() {
        "CN".to_string()
    } else {
        initial.country.clone()
    };
    let saved = move || matches!(value.get(), Some(Ok(Ok(_))));
    let country_error = field_error(value, "country");
    view! {
        <ActionForm action=action attr:novalidate="true">
            <FormError message=form_error(value) />
            <input type="hidden" name="id" value=id />
            <Field name="address[name]" autocomplete="name" required=true value=initial.name
                label=Signal::derive(move || i18n.get().field_contact_name) error=field_error(value, "name") />
            <Field name="address[company]" autocomplete="organization" value=initial.company
                label=Signal::derive(move || i18n.get().field_company) error=field_error(value, "company") />
            <Field name="address[phone]" kind="tel" autocomplete="tel" required=true value=initial.phone
                label=Signal::derive(move || i18n.get().field_phone) error=field_error(value, "phone") />
            <div class="field" class:has-error=move || country_error.get().is_some()>
                <label for="f-address-country">{t!(i18n, field_country)}</label>
                <select id="f-address-country" name="address[country]" autocomplete="country"
                    aria-describedby="f-address-country-error"
                    aria-invalid=move || if country_error.get().is_some() { "true" } else { "false" }>
                    {FORM_COUNTRIES.into_iter().map(|code| view! {
                        <option value=code selected=selected == code>
                            {move || country_name(i18n.get(), code)}
                        </option>
                    }).collect_view()}
                </select>
                <p class="field-error" id="f-address-country-error" aria-live="polite">
                    {move || country_error.get()}
                </p>
            </div>
            <Field name="address[line1]" autocomplete="address-line1" required=true value=initial.line1
                label=Signal::derive(move || i18n.get().field_line1) error=field_error(value, "line1") />
            <Field name="address[line2]" autocomplete="address-line2" value=initial.line2
                label=Signal::derive(move || i18n.get().field_line2) error=field_error(value, "line2") />
            <Field name="address[city]" autocomplete="address-level2" required=true value=initial.city
                label=Signal::derive(move || i18n.get().field_city) error=field_error(value, "city") />
            <Field name="address[postcode]" autocomplete="postal-code" value=initial.postcode
                label=Signal::derive(move || i18n.get().field_postcode) error=field_error(value, "postcode") />
            <Show when=saved>
                <p class="banner banner-ok" role="status">{t!(i18n, address_saved)}</p>
            </Show>
            <div class="actions">
                <button type="submit" class="button button-primary" data-testid="address-save"
                    disabled=move || action.pending().get()>
                    {t!(i18n, address_save)}
                </button>
                <Show when=move || editing.with(Option::is_some)>
                    <button type="button" class="button button-secondary" on:click=move |_| editing.set(None)>
                        {t!(i18n, address_cancel)}
                    </button>
                </Show>
            </div>
        </ActionForm>
    }
}
