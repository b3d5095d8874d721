//! Quotes and booking drafts: parse what was typed, resolve geography, price from the card.

use super::pricing::{quote_all, ParcelSpec, QuoteInput, RateCard};
use super::{
    BookingDraft, BookingRequest, DraftStage, ParcelDraft, ParcelInput, QuoteForm, QuoteRequest,
    QuoteResponse, MAX_CONTENTS_CHARS, NEW_RECIPIENT,
};
use crate::addresses::service::{parse as parse_address, ParsedAddress};
use crate::domain::{Dimensions, Side, Weight};
use crate::error::{AppError, FieldError, FieldErrors, OrInternal};
use crate::platform::gazetteer::{distance_m, Gazetteer};
use crate::platform::now_ms;

pub const MAX_PARCELS: usize = 50;
/// Declared value is capped: above it a shipment needs a valuables service we do not offer.
pub const MAX_DECLARED_VALUE: i64 = 5_000_000;

fn parse_parcel(p: &ParcelInput, i: usize, errors: &mut FieldErrors) -> Option<ParcelSpec> {
    let name = |f: &str| format!("parcels[{i}].{f}");
    let weight = Weight::from_grams(p.weight_g)
        .map_err(|e| errors.insert(name("weight_g"), e))
        .ok();
    let dimensions = Dimensions::new(p.length_cm, p.width_cm, p.height_cm)
        .map_err(|(side, e)| {
            let field = match side {
                Side::Length => "length_cm",
                Side::Width => "width_cm",
                Side::Height => "height_cm",
            };
            errors.insert(name(field), e)
        })
        .ok();
    if p.declared_value < 0 {
        errors.insert(name("declared_value"), FieldError::MustBePositive);
    } else if p.declared_value > MAX_DECLARED_VALUE {
        errors.insert(
            name("declared_value"),
            FieldError::TooLarge {
                max: MAX_DECLARED_VALUE as usize,
            },
        );
    }
    let contents = p.contents.trim();
    if contents.is_empty() {
        errors.insert(name("contents"), FieldError::Required);
    } else if contents.chars().count() > MAX_CONTENTS_CHARS {
        errors.insert(
            name("contents"),
            FieldError::TooLong {
                max: MAX_CONTENTS_CHARS,
            },
        );
    }
    Some(ParcelSpec {
        weight: weight?,
        dimensions: dimensions?,
        declared_value: p.declared_value,
    })
}

/// A shipment request whose every part is valid.
pub struct ParsedShipment {
    pub sender: ParsedAddress,
    pub recipient: ParsedAddress,
    pub parcels: Vec<ParcelSpec>,
}

/// Checks sender, recipient and parcels together so the form shows every problem at once.
pub fn parse_shipment(req: &QuoteRequest) -> Result<ParsedShipment, AppError> {
    let mut errors = FieldErrors::new();
    let mut absorb = |r: Result<ParsedAddress, AppError>| match r {
        Ok(a) => Some(a),
        Err(AppError::Validation(f)) => {
            errors.extend(f);
            None
        }
        Err(_) => None,
    };
    let sender = absorb(parse_address(&req.sender, "sender."));
    let recipient = absorb(parse_address(&req.recipient, "recipient."));
    if req.parcels.is_empty() {
        errors.insert("parcels".into(), FieldError::Required);
    } else if req.parcels.len() > MAX_PARCELS {
        errors.insert("parcels".into(), FieldError::TooLarge { max: MAX_PARCELS });
    }
    let parcels: Vec<Option<ParcelSpec>> = req
        .parcels
        .iter()
        .take(MAX_PARCELS)
        .enumerate()
        .map(|(i, p)| parse_parcel(p, i, &mut errors))
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    match (
        sender,
        recipient,
        parcels.into_iter().collect::<Option<Vec<_>>>(),
    ) {
        (Some(sender), Some(recipient), Some(parcels)) => Ok(ParsedShipment {
            sender,
            recipient,
            parcels,
        }),
        _ => Err(AppError::internal(
            "shipment checks passed with a part missing",
        )),
    }
}

/// Every service level's price for this customer's shipment: the rate card with the discount
/// of the customer's current tier.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn quote_for(
    db: &crate::platform::Db,
    customer_id: i64,
    req: &QuoteRequest,
) -> Result<QuoteResponse, AppError> {
    let tier = crate::accounts::store::tier(&db.pool, customer_id).await?;
    quote(req, tier.as_str())
}

/// Every service level's price and promised window for this shipment. `tier` is the customer's
/// segment, which sets the discount.
pub fn quote(req: &QuoteRequest, tier: &str) -> Result<QuoteResponse, AppError> {
    Ok(price(&parse_shipment(req)?, req.insure, tier))
}

/// Prices a checked shipment at every service level.
pub fn price(shipment: &ParsedShipment, insure: bool, tier: &str) -> QuoteResponse {
    let distance = distance_m(shipment.sender.city, shipment.recipient.city);
    let remote = Gazetteer::bundled().is_remote(shipment.recipient.city);
    let input = QuoteInput {
        distance_m: distance,
        remote_destination: remote,
        parcels: &shipment.parcels,
        insure,
        tier,
        today: now_ms().div_euclid(86_400_000),
    };
    QuoteResponse {
        distance_km: (distance as f64 / 100.0).round() / 10.0,
        remote_destination: remote,
        options: quote_all(RateCard::bundled(), &input),
    }
}

/// Parses a decimal as typed ("2.5", "2,5", "3") into an integer of `decimals` places
/// (kilograms to grams with 3, yuan to fen with 2). No floats: 0.1 + 0.2 stays 0.3.
pub fn parse_scaled(input: &str, decimals: u32) -> Result<i64, FieldError> {
    let s = input.trim().replace(',', ".");
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    let (whole, fraction) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |d: &str| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit());
    if !(digits(whole) || whole.is_empty() && digits(fraction))
        || !(fraction.is_empty() || digits(fraction))
    {
        return Err(FieldError::NotANumber);
    }
    if fraction.len() > decimals as usize || whole.len() > 12 {
        return Err(FieldError::NotANumber);
    }
    let scale = 10_i64.pow(decimals);
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| FieldError::NotANumber)?
    };
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction
            .parse::<i64>()
            .map_err(|_| FieldError::NotANumber)?
            * 10_i64.pow(decimals - fraction.len() as u32)
    };
    Ok(whole * scale + fraction)
}

/// The quote page's one-parcel form, priced like the booking flow's draft.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn quote_saved(
    db: &crate::platform::Db,
    customer_id: i64,
    form: &QuoteForm,
) -> Result<QuoteResponse, AppError> {
    let draft = BookingDraft {
        sender_id: form.sender_id.clone(),
        recipient_id: form.recipient_id.clone(),
        parcels: vec![ParcelDraft {
            weight_kg: form.weight_kg.clone(),
            length_cm: form.length_cm.clone(),
            width_cm: form.width_cm.clone(),
            height_cm: form.height_cm.clone(),
            declared_value: form.declared_value.clone(),
            contents: form.contents.clone(),
        }],
        insure: form.insure.is_some(),
        ..BookingDraft::default()
    };
    check_draft(db, customer_id, &draft, DraftStage::Parcels)
        .await?
        .or_internal("a checked draft at the parcels stage")
}

/// Turns the booking flow's draft into a booking: saved addresses must be the caller's own,
/// numbers are parsed without floats, and every problem is named at once.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub(crate) async fn draft_request(
    db: &crate::platform::Db,
    customer_id: i64,
    draft: &BookingDraft,
    stage: DraftStage,
) -> Result<QuoteRequest, AppError> {
    use crate::addresses::service::get as get_address;
    let mut errors = FieldErrors::new();
    let mut saved = async |field: &str, id: &str| match id.trim().parse::<i64>() {
        Ok(id) => match get_address(db, customer_id, id).await {
            Ok(a) => Ok(Some(a.to_input())),
            Err(AppError::NotFound) => {
                errors.insert(field.into(), FieldError::Required);
                Ok(None)
            }
            Err(e) => Err(e),
        },
        Err(_) => {
            errors.insert(field.into(), FieldError::Required);
            Ok(None)
        }
    };
    let sender = saved("sender_id", &draft.sender_id).await?;
    let recipient = if draft.recipient_id == NEW_RECIPIENT {
        match parse_address(&draft.recipient, "recipient.") {
            Ok(_) => Some(draft.recipient.clone()),
            Err(AppError::Validation(f)) => {
                errors.extend(f);
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        saved("recipient_id", &draft.recipient_id).await?
    };
    let mut parcels = Vec::new();
    if stage == DraftStage::Parcels {
        if draft.parcels.is_empty() {
            errors.insert("parcels".into(), FieldError::Required);
        }
        for (i, p) in draft.parcels.iter().enumerate() {
            let mut number =
                |field: &str, input: &str, decimals: u32, optional: bool| match parse_scaled(
                    input, decimals,
                ) {
                    Ok(v) => v,
                    Err(FieldError::Required) if optional => 0,
                    Err(e) => {
                        errors.insert(format!("parcels[{i}].{field}"), e);
                        0
                    }
                };
            parcels.push(ParcelInput {
                weight_g: number("weight_g", &p.weight_kg, 3, false),
                length_cm: number("length_cm", &p.length_cm, 0, false),
                width_cm: number("width_cm", &p.width_cm, 0, false),
                height_cm: number("height_cm", &p.height_cm, 0, false),
                declared_value: number("declared_value", &p.declared_value, 2, true),
                contents: p.contents.clone(),
            });
        }
    }
    let req = QuoteRequest {
        sender: sender.unwrap_or_default(),
        recipient: recipient.unwrap_or_default(),
        parcels,
        insure: draft.insure,
    };
    if stage == DraftStage::Parcels {
        // The parcels' own rules (weight limits, contents), reported with the parse errors.
        if let Err(AppError::Validation(f)) = parse_shipment(&req) {
            for (k, v) in f.into_iter().filter(|(k, _)| k.starts_with("parcels")) {
                errors.entry(k).or_insert(v);
            }
        }
    }
    if errors.is_empty() {
        Ok(req)
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Checks the draft up to `stage`; from `Parcels` on, prices every service.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn check_draft(
    db: &crate::platform::Db,
    customer_id: i64,
    draft: &BookingDraft,
    stage: DraftStage,
) -> Result<Option<QuoteResponse>, AppError> {
    let req = draft_request(db, customer_id, draft, stage).await?;
    match stage {
        DraftStage::Addresses => Ok(None),
        DraftStage::Parcels => quote_for(db, customer_id, &req).await.map(Some),
    }
}

/// The booking a complete draft makes.
#[tracing::instrument(level = "debug", skip_all, fields(customer_id = customer_id))]
pub async fn resolve_draft(
    db: &crate::platform::Db,
    customer_id: i64,
    draft: &BookingDraft,
) -> Result<BookingRequest, AppError> {
    let req = draft_request(db, customer_id, draft, DraftStage::Parcels).await;
    let Some(service) = draft.service else {
        let mut fields = match req {
            Err(AppError::Validation(f)) => f,
            _ => FieldErrors::new(),
        };
        fields.insert("service".into(), FieldError::Required);
        return Err(AppError::Validation(fields));
    };
    let req = req?;
    Ok(BookingRequest {
        sender: req.sender,
        recipient: req.recipient,
        parcels: req.parcels,
        service,
        insure: draft.insure,
        reference: Some(draft.reference.clone()).filter(|r| !r.trim().is_empty()),
        delivery_slot_id: draft.delivery_slot_id,
        pickup_slot_id: draft.pickup_slot_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_scale_without_floats() {
        assert_eq!(parse_scaled("2.5", 3), Ok(2_500));
        assert_eq!(parse_scaled("2,5", 3), Ok(2_500));
        assert_eq!(parse_scaled(" 3 ", 3), Ok(3_000));
        assert_eq!(parse_scaled(".25", 2), Ok(25));
        assert_eq!(parse_scaled("0.001", 3), Ok(1));
        assert_eq!(parse_scaled("12", 0), Ok(12));
        assert_eq!(parse_scaled("", 3), Err(FieldError::Required));
        for bad in ["abc", "1.2.3", ".", "-1", "1e3", "0.0001", "1.5"] {
            let decimals = if bad == "1.5" { 0 } else { 3 };
            assert_eq!(
                parse_scaled(bad, decimals),
                Err(FieldError::NotANumber),
                "{bad}"
            );
        }
    }
}
