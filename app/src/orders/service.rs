//! Quotes (and, next, bookings): parse what was typed, resolve geography, price from the card.

use super::pricing::{quote_all, ParcelSpec, QuoteInput, RateCard};
use super::{ParcelInput, QuoteRequest, QuoteResponse};
use crate::addresses::service::{parse as parse_address, ParsedAddress};
use crate::domain::{Dimensions, Side, Weight};
use crate::error::{AppError, FieldError, FieldErrors};
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
    } else if contents.chars().count() > 200 {
        errors.insert(name("contents"), FieldError::TooLong { max: 200 });
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
        _ => Err(AppError::Internal),
    }
}

/// Every service level's price and promised window for this shipment. `tier` is the customer's
/// segment, which sets the discount.
pub fn quote(req: &QuoteRequest, tier: &str) -> Result<QuoteResponse, AppError> {
    let shipment = parse_shipment(req)?;
    let distance = distance_m(shipment.sender.city, shipment.recipient.city);
    let remote = Gazetteer::bundled().is_remote(shipment.recipient.city);
    let input = QuoteInput {
        distance_m: distance,
        remote_destination: remote,
        parcels: &shipment.parcels,
        insure: req.insure,
        tier,
        today: now_ms().div_euclid(86_400_000),
    };
    Ok(QuoteResponse {
        distance_km: (distance as f64 / 100.0).round() / 10.0,
        remote_destination: remote,
        options: quote_all(RateCard::bundled(), &input),
    })
}
