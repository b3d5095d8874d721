//! Localisation: every UI string lives in the one table in `texts`, English and Simplified
//! Chinese side by side, so a key cannot exist in one language only (the macro requires both).
//!
//! The locale comes from the `pp_lang` cookie, else the request's `Accept-Language`; the server
//! writes it into `<html lang>`, and the browser hydrates from that attribute so both sides agree.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

mod texts;

pub use texts::{Texts, EN, ZH_CN};

pub const LOCALE_COOKIE: &str = "pp_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Locale {
    #[default]
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];
    /// The tags `from_tag` reads, as the API document states them: `en` or `zh`, alone or with
    /// a subtag, in any case.
    pub const TAG_PATTERN: &str = "^([Ee][Nn]|[Zz][Hh])(-.*)?$";

    /// The BCP 47 tag used in `<html lang>` and the cookie.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The language's own name, shown in the switch whatever the current locale.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::ZhCn => "简体中文",
        }
    }

    /// What the language switch shows: short, so it fits a 360 px header beside the account.
    pub fn short_name(self) -> &'static str {
        match self {
            Locale::En => "EN",
            Locale::ZhCn => "中文",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "en" || tag.starts_with("en-") {
            Some(Locale::En)
        } else if tag == "zh" || tag.starts_with("zh-") {
            // Traditional-script tags still get Simplified Chinese: closer than English.
            Some(Locale::ZhCn)
        } else {
            None
        }
    }

    /// Picks the best supported locale from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(locale) = Locale::from_tag(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, locale));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Locale::En => &EN,
            Locale::ZhCn => &ZH_CN,
        }
    }
}

/// The localised name of a country offered in forms, or its code.
pub fn country_name<'a>(t: &Texts, code: &'a str) -> &'a str {
    match code {
        "CN" => t.country_cn,
        "HK" => t.country_hk,
        "SG" => t.country_sg,
        "JP" => t.country_jp,
        "KR" => t.country_kr,
        "US" => t.country_us,
        "CA" => t.country_ca,
        "GB" => t.country_gb,
        "DE" => t.country_de,
        "FR" => t.country_fr,
        "NL" => t.country_nl,
        "AU" => t.country_au,
        _ => code,
    }
}

/// Replaces `{name}` placeholders; the templates in `texts` are the only inputs.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The locale of the page, shared by every component through context.
#[derive(Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    pub fn get(&self) -> &'static Texts {
        self.locale.get().texts()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// Reactive text: `t!(i18n, key)` re-renders when the language is switched.
#[macro_export]
macro_rules! t {
    ($i18n:expr, $key:ident) => {{
        let i18n = $i18n;
        move || i18n.get().$key
    }};
}

/// The locale the page starts in, read on the server from the request and in the browser from
/// `<html lang>` (which the server wrote), so hydration sees the same text.
pub fn initial_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|parts| locale_from_headers(&parts.headers))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.document_element())
                .and_then(|e| e.get_attribute("lang"))
                .and_then(|tag| Locale::from_tag(&tag))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            Locale::default()
        }
    }
}

/// Cookie first (an explicit choice), then the browser's preference.
pub fn locale_from_headers(headers: &http::HeaderMap) -> Locale {
    let from_cookie = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LOCALE_COOKIE)
        .and_then(|(_, v)| Locale::from_tag(v));
    from_cookie
        .or_else(|| {
            headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::from_accept_language)
        })
        .unwrap_or_default()
}

/// The cookie remembering a language for a year, written by the page's script or by the
/// server (the language form without scripts).
pub fn locale_cookie(locale: Locale) -> String {
    format!(
        "{LOCALE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        locale.tag()
    )
}

/// Remembers the choice for a year; read by the server on the next request.
pub fn remember_locale(locale: Locale) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(doc) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        {
            let _ = doc.set_cookie(&locale_cookie(locale));
            if let Some(root) = doc.document_element() {
                let _ = root.set_attribute("lang", locale.tag());
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = locale;
}

#[cfg(test)]
mod tests {
    use super::texts::all_pairs;
    use super::*;

    #[test]
    fn accept_language_prefers_highest_quality_supported_tag() {
        assert_eq!(
            Locale::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Locale::ZhCn)
        );
        assert_eq!(
            Locale::from_accept_language("fr-FR,en;q=0.5,zh;q=0.4"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("en;q=0.3, zh-TW;q=0.7"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::from_accept_language("fr, de"), None);
        assert_eq!(Locale::from_accept_language("zh;q=0, en"), Some(Locale::En));
    }

    #[test]
    fn cookie_choice_beats_browser_preference() {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::ACCEPT_LANGUAGE, "en-GB".parse().unwrap());
        headers.insert(http::header::COOKIE, "a=1; pp_lang=zh-CN".parse().unwrap());
        assert_eq!(locale_from_headers(&headers), Locale::ZhCn);
        headers.remove(http::header::COOKIE);
        assert_eq!(locale_from_headers(&headers), Locale::En);
    }

    #[test]
    fn every_string_is_translated_and_placeholders_match() {
        for (key, en, zh) in all_pairs() {
            assert!(
                !en.trim().is_empty() && !zh.trim().is_empty(),
                "{key} is empty"
            );
            let holes = |s: &str| {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(holes(en), holes(zh), "placeholders differ in {key}");
            // Formats without words look the same in both languages.
            if !["app_name", "ship_window", "trk_route"].contains(&key) {
                assert!(
                    zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{key} has no Chinese text"
                );
            }
        }
    }

    #[test]
    fn fill_replaces_named_placeholders() {
        assert_eq!(
            fill(EN.dashboard_welcome, &[("name", "Ada")]),
            "Welcome, Ada"
        );
    }
}
