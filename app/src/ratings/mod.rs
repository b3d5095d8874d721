//! Ratings after delivery: CSAT 1-5 and NPS 0-10, their arithmetic (DESIGN.md's KPI table),
//! how long a rating stays editable, the signed link that lets a customer rate on a phone
//! without signing in, and the rating page.

pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError, Reply};
use crate::i18n::Texts;

/// How long after it is first given a rating may still be changed.
pub const EDIT_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// Customer satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Csat(u8);

/// Net Promoter answer: how likely, 0 to 10, the customer is to recommend the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Nps(u8);

impl Csat {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 5;

    pub fn parse(score: i64) -> Result<Self, FieldError> {
        u8::try_from(score)
            .ok()
            .filter(|s| (Self::MIN..=Self::MAX).contains(s))
            .map(Csat)
            .ok_or(FieldError::Invalid)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// 4 or 5 count as satisfied.
    pub fn satisfied(self) -> bool {
        self.0 >= 4
    }
}

impl Nps {
    pub const MAX: u8 = 10;

    pub fn parse(score: i64) -> Result<Self, FieldError> {
        u8::try_from(score)
            .ok()
            .filter(|s| *s <= Self::MAX)
            .map(Nps)
            .ok_or(FieldError::Invalid)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn promoter(self) -> bool {
        self.0 >= 9
    }

    pub fn detractor(self) -> bool {
        self.0 <= 6
    }
}

macro_rules! score_conversions {
    ($t:ident) => {
        impl TryFrom<i64> for $t {
            type Error = String;
            fn try_from(v: i64) -> Result<Self, Self::Error> {
                $t::parse(v).map_err(|e| e.code().to_string())
            }
        }
        impl From<$t> for i64 {
            fn from(v: $t) -> i64 {
                i64::from(v.0)
            }
        }
    };
}
score_conversions!(Csat);
score_conversions!(Nps);

// The scales as the API document states them, from the bounds `parse` checks.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Csat {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Integer)
            .description(Some(
                "Customer satisfaction, 1 (very dissatisfied) to 5 (very satisfied).",
            ))
            .minimum(Some(Self::MIN))
            .maximum(Some(Self::MAX))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Csat {}

#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Nps {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Integer)
            .description(Some(
                "Net Promoter answer: how likely, 0 to 10, the customer is to recommend the \
                 carrier.",
            ))
            .minimum(Some(0))
            .maximum(Some(Self::MAX))
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Nps {}

/// A low score invites a complaint with the shipment filled in.
pub fn offers_complaint(csat: Csat, nps: Option<Nps>) -> bool {
    csat.get() <= 2 || nps.is_some_and(Nps::detractor)
}

/// Whether a rating first given at `rated_at` may still be changed at `now`.
pub fn editable(rated_at: i64, now: i64) -> bool {
    now - rated_at <= EDIT_WINDOW_MS
}

/// CSAT over a period: the share of 4s and 5s (0.0-1.0) and the mean; `None` without ratings.
pub fn csat_summary(scores: &[Csat]) -> Option<(f64, f64)> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let satisfied = scores.iter().filter(|s| s.satisfied()).count() as f64;
    let sum: f64 = scores.iter().map(|s| f64::from(s.get())).sum();
    Some((satisfied / n, sum / n))
}

/// NPS over a period: % promoters (9-10) minus % detractors (0-6), from -100 to 100.
pub fn net_promoter_score(scores: &[Nps]) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let n = scores.len() as f64;
    let promoters = scores.iter().filter(|s| s.promoter()).count() as f64;
    let detractors = scores.iter().filter(|s| s.detractor()).count() as f64;
    Some((promoters - detractors) * 100.0 / n)
}

crate::domain::vocabulary! {
    /// What a customer may say about a delivery, beside the stars.
    #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
    pub enum RatingTag {
        OnTime,
        CourteousCourier,
        GoodPackaging,
        EasyTracking,
        Late,
        Damaged,
        Rude,
        WrongPlace,
    }
}

impl RatingTag {
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            RatingTag::OnTime => t.tag_on_time,
            RatingTag::CourteousCourier => t.tag_courteous_courier,
            RatingTag::GoodPackaging => t.tag_good_packaging,
            RatingTag::EasyTracking => t.tag_easy_tracking,
            RatingTag::Late => t.tag_late,
            RatingTag::Damaged => t.tag_damaged,
            RatingTag::Rude => t.tag_rude,
            RatingTag::WrongPlace => t.tag_wrong_place,
        }
    }
}

/// The longest comment kept.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// `PUT /api/v1/shipments/{tracking_number}/rating`. Scores outside their scales are refused
/// as they are read (422 naming the field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RatingInput {
    pub csat: Csat,
    /// The recommendation question may be skipped.
    #[serde(default)]
    pub nps: Option<Nps>,
    #[serde(default)]
    pub tags: Vec<RatingTag>,
    /// Several lines; empty for none.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 1000,
            pattern = r"^(?:[^\x00-\x08\x0b-\x1f\x7f-\x9f]|\r\n)*$"
        )
    )]
    pub comment: Option<String>,
}

/// A delivery's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Rating {
    pub csat: Csat,
    pub nps: Option<Nps>,
    pub tags: Vec<RatingTag>,
    pub comment: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// Until when it may be changed.
    pub editable_until: i64,
}

/// What the rating page and `GET .../rating` show: the shipment, its rating if given, and the
/// signed link to rate it without signing in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RatingView {
    pub tracking_number: String,
    pub origin_city: String,
    pub destination_city: String,
    /// When it was delivered (Unix milliseconds); ratings open then.
    pub delivered_at: Option<i64>,
    pub rating: Option<Rating>,
    /// False before delivery and after the edit window.
    pub can_rate: bool,
    /// A low score was given: the page offers a complaint with the shipment filled in.
    pub offers_complaint: bool,
    /// Path and query of the signed rating link (valid for 30 days).
    pub rate_link: String,
}

/// The signature of a rating link, as it arrives in its query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct LinkProof {
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub sig: Option<String>,
}

/// The rating page's data, authorised by the signed link (or the owner's session).
#[server(prefix = "/rpc", endpoint = "ratings/get", input = server_fn::codec::Json)]
pub async fn load_rating(
    tracking_number: String,
    proof: LinkProof,
) -> Result<RatingView, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let access =
        respond(service::authorize(&state.db, &parts.headers, &tracking_number, &proof).await)?;
    respond(service::view(&state.db, &access).await)
}

#[server(prefix = "/rpc", endpoint = "ratings/save", input = server_fn::codec::Json)]
pub async fn save_rating(
    tracking_number: String,
    proof: LinkProof,
    input: RatingInput,
) -> Result<Reply<RatingView>, AppError> {
    use crate::platform::request::*;
    let (state, parts) = respond(server_fn_context())?;
    let access =
        respond(service::authorize(&state.db, &parts.headers, &tracking_number, &proof).await)?;
    form_reply(service::save(&state.db, &access, &input, crate::platform::now_ms()).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_are_the_serde_names() {
        crate::domain::assert_serde_names(RatingTag::as_str, RatingTag::parse);
    }

    #[test]
    fn scores_outside_their_scales_are_refused() {
        for bad in [-1, 0, 6, 255, 1_000] {
            assert_eq!(Csat::parse(bad), Err(FieldError::Invalid), "{bad}");
        }
        for good in 1..=5 {
            assert_eq!(Csat::parse(good).unwrap().get() as i64, good);
        }
        for bad in [-1, 11, 256] {
            assert_eq!(Nps::parse(bad), Err(FieldError::Invalid), "{bad}");
        }
        assert_eq!(Nps::parse(0).unwrap().get(), 0);
        assert_eq!(Nps::parse(10).unwrap().get(), 10);
        // The same rules when they arrive as JSON.
        assert!(serde_json::from_str::<Csat>("6").is_err());
        assert_eq!(serde_json::from_str::<Nps>("7").unwrap().get(), 7);
    }

    /// The document's literals are the rules' constants.
    #[cfg(feature = "ssr")]
    #[test]
    fn the_document_states_the_scales_and_the_comment_limit() {
        use crate::domain::schema::{json_of, FREE_TEXT_PATTERN};
        let csat = json_of::<Csat>();
        assert_eq!(csat["minimum"], Csat::MIN);
        assert_eq!(csat["maximum"], Csat::MAX);
        assert_eq!(json_of::<Nps>()["maximum"], Nps::MAX);
        let comment = &json_of::<RatingInput>()["properties"]["comment"];
        assert_eq!(comment["maxLength"], MAX_COMMENT_CHARS);
        assert_eq!(comment["pattern"], FREE_TEXT_PATTERN);
    }

    #[test]
    fn csat_is_the_share_of_fours_and_fives_and_the_mean() {
        let s = |v: &[i64]| {
            v.iter()
                .map(|x| Csat::parse(*x).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(csat_summary(&s(&[5, 4, 3, 1])), Some((0.5, 3.25)));
        assert_eq!(csat_summary(&s(&[5, 5])), Some((1.0, 5.0)));
        assert_eq!(csat_summary(&[]), None);
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        let s = |v: &[i64]| {
            v.iter()
                .map(|x| Nps::parse(*x).unwrap())
                .collect::<Vec<_>>()
        };
        // 2 promoters, 1 passive (7-8), 1 detractor: (50% - 25%) = 25.
        assert_eq!(net_promoter_score(&s(&[10, 9, 8, 6])), Some(25.0));
        assert_eq!(net_promoter_score(&s(&[0, 6, 7, 8])), Some(-50.0));
        assert_eq!(net_promoter_score(&s(&[9, 10])), Some(100.0));
        assert_eq!(net_promoter_score(&s(&[7, 8])), Some(0.0));
        assert_eq!(net_promoter_score(&[]), None);
    }

    #[test]
    fn low_scores_offer_a_complaint() {
        let c = |v| Csat::parse(v).unwrap();
        let n = |v| Some(Nps::parse(v).unwrap());
        assert!(offers_complaint(c(2), None));
        assert!(offers_complaint(c(5), n(6)));
        assert!(!offers_complaint(c(3), n(7)));
        assert!(!offers_complaint(c(3), None));
    }

    #[test]
    fn a_rating_is_editable_for_seven_days() {
        let t = 1_795_000_000_000;
        assert!(editable(t, t));
        assert!(editable(t, t + EDIT_WINDOW_MS));
        assert!(!editable(t, t + EDIT_WINDOW_MS + 1));
    }
}
