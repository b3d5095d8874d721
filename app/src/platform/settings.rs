//! Runtime configuration, all from environment variables with defaults (listed in README.md).

use std::net::SocketAddr;
use std::time::Duration;

/// Days after delivery a return may be requested, unless `RETURN_WINDOW_DAYS` says otherwise.
pub const DEFAULT_RETURN_WINDOW_DAYS: u32 = 30;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `PARCELPORT_ADDR` (falls back to `LEPTOS_SITE_ADDR`, which cargo-leptos sets).
    pub listen_addr: SocketAddr,
    /// `DATABASE_URL`: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// `SESSION_TTL_HOURS`: how long a sign-in lasts.
    pub session_ttl: Duration,
    /// `API_TOKEN_TTL_DAYS`: how long a bearer token from `POST /api/v1/tokens` lasts.
    pub api_token_ttl: Duration,
    /// `SESSION_IDLE_STAFF_MINUTES`: a care agent's or manager's sign-in ends after this long
    /// without a request (ASVS 3.3.2), before its absolute lifetime.
    pub session_idle_staff: Duration,
    /// `SESSION_IDLE_CUSTOMER_MINUTES`: the same for customers.
    pub session_idle_customer: Duration,
    /// `CARRIER_TOKEN_TTL_DAYS`: how long a carrier's token from `create-carrier-token` lasts.
    pub carrier_token_ttl: Duration,
    /// `COOKIE_SECURE`: mark cookies `Secure` (set it behind HTTPS).
    pub cookie_secure: bool,
    /// `PUBLIC_ORIGINS`: extra origins (comma separated) allowed to make state-changing requests,
    /// besides the request's own host.
    pub public_origins: Vec<String>,
    /// `TRUST_PROXY`: take the client address from the right-most `X-Forwarded-For` hop (only
    /// behind a proxy, which adds it).
    pub trust_proxy: bool,
    /// `SIGN_IN_RATE_LIMIT`: attempts per window per client address and per email.
    pub sign_in_limit: u32,
    /// `SIGN_UP_RATE_LIMIT`: sign-ups per window per client address.
    pub sign_up_limit: u32,
    /// `TRACK_LOOKUP_LIMIT`: public tracking look-ups (page, API, track box, stream) per window
    /// per client address, so numbers cannot be harvested by trying them.
    pub track_lookup_limit: u32,
    /// `RATE_LIMIT_WINDOW_SECS`: the window of these limits.
    pub rate_limit_window: Duration,
    /// `UPLOADS_PER_DAY`: photos and attachments one customer may upload per day (UTC).
    pub uploads_per_day: u32,
    /// `UPLOAD_MB_PER_DAY`: megabytes one customer may upload per day (UTC), kept in bytes.
    pub upload_bytes_per_day: u64,
    /// `COMPLAINTS_PER_DAY`: complaints one customer may file per day (UTC).
    pub complaints_per_day: u32,
    /// `STREAMS_PER_CLIENT`: live tracking streams one client address may hold open at once
    /// (per server instance).
    pub streams_per_client: u32,
    /// `DEMO_DATA`: create demo customers and staff on first start.
    pub demo_data: bool,
    /// `SIMULATOR_SPEED`: with demo data, demo parcels travel this many times faster than real
    /// parcels would (a two-day route takes under an hour at 60); 0 turns the simulator off.
    pub simulator_speed: u32,
    /// `SMTP_URL`: the mail relay, e.g. `smtp://127.0.0.1:2525`; unset, email is held until a
    /// server with it starts.
    pub smtp_url: Option<String>,
    /// `MAIL_FROM`: the sender address of notification email.
    pub mail_from: String,
    /// `MAP_TILE_URL`: the tile template for maps.
    pub map_tile_url: String,
    /// `PUBLIC_URL`: where customers reach the portal; printed in label QR codes and emails.
    pub public_url: String,
    /// `NOTIFY_POLL_MS`: how often the sender looks for messages due.
    pub notify_poll: Duration,
    /// `NOTIFY_RETRY_BASE_MS`: the first pause after a failed send; it doubles per try.
    pub notify_retry_base: Duration,
    /// `WEBHOOK_ALLOW_PRIVATE`: accept webhook endpoints on loopback and private networks
    /// (development and tests only).
    pub webhook_allow_private: bool,
    /// `DELAY_SWEEP_SECS`: how often parcels near their promised window are checked for delays
    /// (zero: no sweep; every scan is still checked).
    pub delay_sweep: Duration,
    /// `UPLOAD_DIR`: where return photos and complaint attachments are kept (outside the
    /// database; served only to their owner and staff).
    pub upload_dir: std::path::PathBuf,
    /// `RETURN_WINDOW_DAYS`: days after delivery a return may be requested.
    pub return_window_days: u32,
    /// `TIER_RECOMPUTE_AT`: when (UTC, `HH:MM`) the daily tier recomputation runs, once a day
    /// across all instances; `off` never (managers can still recompute on demand).
    pub tier_recompute_at: Option<u32>,
    /// `REPORT_TIME_ZONE`: the IANA zone whose days the KPI reports count.
    pub report_time_zone: String,
    /// `SHUTDOWN_GRACE_SECS`: after SIGTERM or Ctrl-C, how long open requests and the
    /// background workers' rounds under way have to finish before the process exits anyway.
    pub shutdown_grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://data/parcelport.db".into(),
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            api_token_ttl: Duration::from_secs(90 * 24 * 3600),
            session_idle_staff: Duration::from_secs(30 * 60),
            session_idle_customer: Duration::from_secs(12 * 3600),
            carrier_token_ttl: Duration::from_secs(365 * 24 * 3600),
            cookie_secure: false,
            public_origins: Vec::new(),
            trust_proxy: false,
            sign_in_limit: 10,
            sign_up_limit: 20,
            track_lookup_limit: 300,
            rate_limit_window: Duration::from_secs(15 * 60),
            uploads_per_day: 100,
            upload_bytes_per_day: 200 * MB,
            complaints_per_day: 20,
            streams_per_client: 10,
            demo_data: false,
            simulator_speed: 60,
            smtp_url: None,
            mail_from: "Parcelport <no-reply@parcelport.test>".into(),
            map_tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            public_url: "http://127.0.0.1:3000".into(),
            notify_poll: Duration::from_millis(1000),
            notify_retry_base: Duration::from_secs(30),
            webhook_allow_private: false,
            delay_sweep: Duration::from_secs(60),
            upload_dir: "data/uploads".into(),
            return_window_days: DEFAULT_RETURN_WINDOW_DAYS,
            tier_recompute_at: Some(2 * 60),
            report_time_zone: "Asia/Shanghai".into(),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// A megabyte, as `UPLOAD_MB_PER_DAY` counts them.
const MB: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct SettingsError {
    pub name: &'static str,
    pub reason: String,
}

impl Settings {
    /// The tile template, or `None` when `MAP_TILE_URL` is `none` (offline: no tiles).
    pub fn map_tiles(&self) -> Option<String> {
        let url = self.map_tile_url.trim();
        (!url.eq_ignore_ascii_case("none")).then(|| url.to_string())
    }

    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads through `lookup` so tests can supply variables without touching the process env.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let d = Settings::default();
        let get = |k: &'static str| lookup(k).filter(|v| !v.trim().is_empty());
        fn parse<T: std::str::FromStr>(
            name: &'static str,
            v: Option<String>,
            default: T,
        ) -> Result<T, SettingsError>
        where
            T::Err: std::fmt::Display,
        {
            match v {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|e: T::Err| SettingsError {
                    name,
                    reason: format!("{v:?}: {e}"),
                }),
            }
        }
        let listen_addr = parse(
            "PARCELPORT_ADDR",
            get("PARCELPORT_ADDR").or_else(|| get("LEPTOS_SITE_ADDR")),
            d.listen_addr,
        )?;
        let database_url = get("DATABASE_URL").unwrap_or(d.database_url);
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(SettingsError {
                name: "DATABASE_URL",
                reason: "must start with sqlite: or postgres://".into(),
            });
        }
        Ok(Self {
            listen_addr,
            database_url,
            session_ttl: Duration::from_secs(
                parse::<u64>("SESSION_TTL_HOURS", get("SESSION_TTL_HOURS"), 168)? * 3600,
            ),
            api_token_ttl: Duration::from_secs(
                parse::<u64>("API_TOKEN_TTL_DAYS", get("API_TOKEN_TTL_DAYS"), 90)? * 24 * 3600,
            ),
            session_idle_staff: Duration::from_secs(
                parse::<u64>(
                    "SESSION_IDLE_STAFF_MINUTES",
                    get("SESSION_IDLE_STAFF_MINUTES"),
                    30,
                )? * 60,
            ),
            session_idle_customer: Duration::from_secs(
                parse::<u64>(
                    "SESSION_IDLE_CUSTOMER_MINUTES",
                    get("SESSION_IDLE_CUSTOMER_MINUTES"),
                    720,
                )? * 60,
            ),
            carrier_token_ttl: Duration::from_secs(
                parse::<u64>("CARRIER_TOKEN_TTL_DAYS", get("CARRIER_TOKEN_TTL_DAYS"), 365)?
                    * 24
                    * 3600,
            ),
            cookie_secure: parse("COOKIE_SECURE", get("COOKIE_SECURE"), d.cookie_secure)?,
            public_origins: get("PUBLIC_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            trust_proxy: parse("TRUST_PROXY", get("TRUST_PROXY"), d.trust_proxy)?,
            sign_in_limit: parse(
                "SIGN_IN_RATE_LIMIT",
                get("SIGN_IN_RATE_LIMIT"),
                d.sign_in_limit,
            )?,
            sign_up_limit: parse(
                "SIGN_UP_RATE_LIMIT",
                get("SIGN_UP_RATE_LIMIT"),
                d.sign_up_limit,
            )?,
            track_lookup_limit: parse(
                "TRACK_LOOKUP_LIMIT",
                get("TRACK_LOOKUP_LIMIT"),
                d.track_lookup_limit,
            )?,
            rate_limit_window: Duration::from_secs(parse(
                "RATE_LIMIT_WINDOW_SECS",
                get("RATE_LIMIT_WINDOW_SECS"),
                d.rate_limit_window.as_secs(),
            )?),
            uploads_per_day: parse("UPLOADS_PER_DAY", get("UPLOADS_PER_DAY"), d.uploads_per_day)?,
            upload_bytes_per_day: parse::<u64>(
                "UPLOAD_MB_PER_DAY",
                get("UPLOAD_MB_PER_DAY"),
                d.upload_bytes_per_day / MB,
            )?
            .saturating_mul(MB),
            complaints_per_day: parse(
                "COMPLAINTS_PER_DAY",
                get("COMPLAINTS_PER_DAY"),
                d.complaints_per_day,
            )?,
            streams_per_client: parse(
                "STREAMS_PER_CLIENT",
                get("STREAMS_PER_CLIENT"),
                d.streams_per_client,
            )?,
            demo_data: parse("DEMO_DATA", get("DEMO_DATA"), d.demo_data)?,
            simulator_speed: parse("SIMULATOR_SPEED", get("SIMULATOR_SPEED"), d.simulator_speed)?,
            smtp_url: get("SMTP_URL"),
            mail_from: get("MAIL_FROM").unwrap_or(d.mail_from),
            map_tile_url: get("MAP_TILE_URL").unwrap_or(d.map_tile_url),
            public_url: get("PUBLIC_URL")
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .unwrap_or(d.public_url),
            notify_poll: Duration::from_millis(parse(
                "NOTIFY_POLL_MS",
                get("NOTIFY_POLL_MS"),
                1000,
            )?),
            notify_retry_base: Duration::from_millis(parse(
                "NOTIFY_RETRY_BASE_MS",
                get("NOTIFY_RETRY_BASE_MS"),
                30_000,
            )?),
            webhook_allow_private: parse(
                "WEBHOOK_ALLOW_PRIVATE",
                get("WEBHOOK_ALLOW_PRIVATE"),
                d.webhook_allow_private,
            )?,
            delay_sweep: Duration::from_secs(parse(
                "DELAY_SWEEP_SECS",
                get("DELAY_SWEEP_SECS"),
                60,
            )?),
            upload_dir: get("UPLOAD_DIR")
                .filter(|d| !d.trim().is_empty())
                .map(Into::into)
                .unwrap_or(d.upload_dir),
            return_window_days: parse(
                "RETURN_WINDOW_DAYS",
                get("RETURN_WINDOW_DAYS"),
                d.return_window_days,
            )?,
            tier_recompute_at: match get("TIER_RECOMPUTE_AT") {
                None => d.tier_recompute_at,
                Some(v) => minute_of_day(&v).map_err(|reason| SettingsError {
                    name: "TIER_RECOMPUTE_AT",
                    reason,
                })?,
            },
            report_time_zone: match get("REPORT_TIME_ZONE") {
                None => d.report_time_zone,
                Some(v) => match jiff::tz::TimeZone::get(v.trim()) {
                    Ok(_) => v.trim().to_string(),
                    Err(e) => {
                        return Err(SettingsError {
                            name: "REPORT_TIME_ZONE",
                            reason: format!("{v:?}: {e}"),
                        })
                    }
                },
            },
            shutdown_grace: Duration::from_secs(parse(
                "SHUTDOWN_GRACE_SECS",
                get("SHUTDOWN_GRACE_SECS"),
                d.shutdown_grace.as_secs(),
            )?),
        })
    }

    /// The reporting time zone (checked when the settings were read).
    pub fn report_tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.report_time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// `HH:MM` as minutes after midnight, or `None` for `off`.
fn minute_of_day(v: &str) -> Result<Option<u32>, String> {
    let v = v.trim();
    if v.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let parsed = v.split_once(':').and_then(|(h, m)| {
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && m.to_string().len() <= 2).then_some(h * 60 + m)
    });
    parsed
        .map(Some)
        .ok_or_else(|| format!("{v:?}: expected HH:MM (UTC) or off"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.listen_addr.port(), 3000);
        assert!(s.database_url.starts_with("sqlite://data/"));
        assert_eq!(s.session_ttl, Duration::from_secs(168 * 3600));
        assert_eq!(s.session_idle_staff, Duration::from_secs(30 * 60));
        assert_eq!(s.session_idle_customer, Duration::from_secs(12 * 3600));
        assert_eq!(s.carrier_token_ttl, Duration::from_secs(365 * 24 * 3600));
        assert_eq!(s.tier_recompute_at, Some(120));
        assert_eq!(s.shutdown_grace, Duration::from_secs(20));
        // A first production start has no demo accounts: `scripts/run.sh` asks for them.
        assert!(!s.demo_data);
    }

    #[test]
    fn the_daily_recompute_time_is_a_utc_time_or_off() {
        assert_eq!(minute_of_day("02:30"), Ok(Some(150)));
        assert_eq!(minute_of_day("23:59"), Ok(Some(1439)));
        assert_eq!(minute_of_day("OFF"), Ok(None));
        assert!(minute_of_day("24:00").is_err());
        assert!(minute_of_day("2").is_err());
        let err = Settings::from_lookup(|k| (k == "TIER_RECOMPUTE_AT").then(|| "noon".into()))
            .unwrap_err();
        assert_eq!(err.name, "TIER_RECOMPUTE_AT");
    }

    #[test]
    fn variables_override_and_bad_values_name_the_variable() {
        let s = Settings::from_lookup(|k| match k {
            "LEPTOS_SITE_ADDR" => Some("0.0.0.0:8080".into()),
            "PUBLIC_ORIGINS" => Some("https://a.example/, https://b.example".into()),
            "SIGN_IN_RATE_LIMIT" => Some("3".into()),
            "SHUTDOWN_GRACE_SECS" => Some("5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen_addr.port(), 8080);
        assert_eq!(s.shutdown_grace, Duration::from_secs(5));
        assert_eq!(
            s.public_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(s.sign_in_limit, 3);

        let err =
            Settings::from_lookup(|k| (k == "COOKIE_SECURE").then(|| "maybe".into())).unwrap_err();
        assert_eq!(err.name, "COOKIE_SECURE");
        let err = Settings::from_lookup(|k| (k == "DATABASE_URL").then(|| "mysql://x".into()))
            .unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
    }

    #[test]
    fn quotas_have_defaults_and_read_megabytes_as_bytes() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.uploads_per_day, 100);
        assert_eq!(s.upload_bytes_per_day, 200 * 1024 * 1024);
        assert_eq!(s.complaints_per_day, 20);
        assert_eq!(s.streams_per_client, 10);

        let s = Settings::from_lookup(|k| match k {
            "UPLOADS_PER_DAY" => Some("7".into()),
            "UPLOAD_MB_PER_DAY" => Some(" 3 ".into()),
            "COMPLAINTS_PER_DAY" => Some("2".into()),
            "STREAMS_PER_CLIENT" => Some("4".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.uploads_per_day, 7);
        assert_eq!(s.upload_bytes_per_day, 3 * 1024 * 1024);
        assert_eq!(s.complaints_per_day, 2);
        assert_eq!(s.streams_per_client, 4);

        for name in [
            "UPLOADS_PER_DAY",
            "UPLOAD_MB_PER_DAY",
            "COMPLAINTS_PER_DAY",
            "STREAMS_PER_CLIENT",
        ] {
            let err = Settings::from_lookup(|k| (k == name).then(|| "-1".into())).unwrap_err();
            assert_eq!(err.name, name);
        }
    }
}
