//! What the past's shippers did after delivery: ratings, complaints and returns.

use super::journeys::{Fate, Scan};
use super::{History, Lcg, DAY_MS, EVENTS, HOUR_MS, PASTS};
use crate::demo::ignore_taken;
use app::accounts::service::Party;
use app::complaints::{service as complaints, ComplaintCategory, NewComplaint};
use app::error::{AppError, OrInternal};
use app::orders::store::delivered_between;
use app::orders::Shipment;
use app::ratings::{service as ratings, Csat, Nps, RatingInput, RatingTag};
use app::returns::{
    service as returns, RefundInput, ReturnDecision, ReturnMethod, ReturnReason, ReturnRequest,
    DEFAULT_WINDOW_DAYS,
};

impl History<'_> {
    /// A complaint about one shipment, answered and resolved by the demo agent (mostly
    /// within the SLA) and confirmed by the customer.
    pub(super) async fn complain(
        &self,
        customer_id: i64,
        tracking_number: &str,
        category: ComplaintCategory,
        filed_at: i64,
        rng: &mut Lcg,
    ) -> Result<(), AppError> {
        let (description, resolution) = complaint_words(category);
        let input = NewComplaint {
            tracking_number: Some(tracking_number.into()),
            category,
            description: description.into(),
        };
        let filed = match complaints::create_at(self.db, customer_id, &input, filed_at).await {
            Ok(c) => c,
            Err(AppError::Conflict(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let staff = Party::Staff(self.agent.clone());
        let answered = filed_at
            + if rng.chance(10) {
                rng.range(25 * HOUR_MS, 40 * HOUR_MS)
            } else {
                rng.range(HOUR_MS, 20 * HOUR_MS)
            };
        let reply = "Thank you for telling us. We are looking into it with the depot.";
        ignore_taken(complaints::message(self.db, &staff, filed.id, reply, answered).await)?;
        let late = rng.chance(15);
        let resolved = (filed_at
            + if late {
                rng.range(75 * HOUR_MS, 140 * HOUR_MS)
            } else {
                rng.range(6 * HOUR_MS, 64 * HOUR_MS)
            })
        .max(answered + HOUR_MS);
        ignore_taken(complaints::resolve(self.db, &staff, filed.id, resolution, resolved).await)?;
        let satisfaction = if rng.chance(80) {
            let score = if late {
                rng.range(2, 3)
            } else {
                rng.range(3, 5)
            };
            Some(Csat::parse(score).or_internal("a demo CSAT score")?)
        } else {
            None
        };
        let confirmed = resolved + rng.range(2 * HOUR_MS, 70 * HOUR_MS);
        let customer = Party::Customer(customer_id);
        ignore_taken(
            complaints::confirm(self.db, &customer, filed.id, satisfaction, confirmed).await,
        )?;
        Ok(())
    }

    /// A return of the first parcel, dropped off, decided by the demo agent and, when
    /// approved, carried back and refunded (or closed without a refund).
    pub(super) async fn give_back(
        &self,
        customer_id: i64,
        s: &Shipment,
        damaged: bool,
        delivered: i64,
        rng: &mut Lcg,
    ) -> Result<(), AppError> {
        let who = returns::Requester::Shipper(customer_id);
        let options =
            returns::options(self.db, &who, &s.tracking_number, DEFAULT_WINDOW_DAYS).await?;
        let Some(point) = options.drop_off_points.first().cloned() else {
            return Ok(());
        };
        let (reason, note) = if damaged {
            (ReturnReason::Damaged, "Arrived broken.")
        } else {
            [
                (ReturnReason::WrongItem, "Not the model we ordered."),
                (ReturnReason::NotAsDescribed, "The colour is not as shown."),
                (
                    ReturnReason::NoLongerNeeded,
                    "Our customer cancelled the order.",
                ),
            ][rng.below(3)]
        };
        let request = ReturnRequest {
            items: vec![0],
            reason,
            note: Some(note.into()),
            method: ReturnMethod::DropOff,
            pickup_slot_id: None,
            drop_off_point: Some(point),
        };
        let requested = delivered + rng.range(20 * HOUR_MS, 96 * HOUR_MS);
        let window = DEFAULT_WINDOW_DAYS;
        let r = match returns::create_at(
            self.db,
            &who,
            &s.tracking_number,
            &request,
            window,
            requested,
        )
        .await
        {
            Ok(r) => r,
            Err(AppError::Conflict(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let decided = requested + rng.range(3 * HOUR_MS, 30 * HOUR_MS);
        let approve = rng.chance(80);
        let decision = ReturnDecision {
            approve,
            note: (!approve)
                .then(|| "Used items cannot be returned under the seller's terms.".into()),
        };
        let r = returns::decide_at(self.db, &self.agent, r.id, &decision, decided).await?;
        let Some(back) = r.return_tracking_number.clone() else {
            return Ok(());
        };
        // The way back: from the recipient's city to the shipper's.
        let (from, to) = (s.recipient.city.as_str(), s.sender.city.as_str());
        let picked = decided + rng.range(20 * HOUR_MS, 44 * HOUR_MS);
        let arrived = picked + rng.range(30 * HOUR_MS, 60 * HOUR_MS);
        let scans: [Scan; 4] = [
            ("picked_up", picked, from, None),
            ("in_transit", picked + 2 * HOUR_MS, from, None),
            ("out_for_delivery", arrived - 3 * HOUR_MS, to, None),
            ("delivered", arrived, to, None),
        ];
        self.scan(&back, &scans).await?;
        let refund = RefundInput {
            refund: rng.chance(85),
            note: None,
        };
        let at = arrived + rng.range(4 * HOUR_MS, 30 * HOUR_MS);
        ignore_taken(returns::refund_at(self.db, &self.agent, r.id, &refund, at).await)?;
        Ok(())
    }

    /// After the first assessment: a soured customer answers its latest rough deliveries
    /// (at the times it would have), badly, and complains about the first, which puts it
    /// at risk.
    pub(crate) async fn sour(&self, customer_id: i64) -> Result<(), AppError> {
        let (from, to) = (self.now - 40 * DAY_MS, self.now - 10 * DAY_MS);
        let delivered = delivered_between(&self.db.pool, customer_id, from, to).await?;
        // The first two not yet rated, late ones first, each group latest first.
        let mut rows = Vec::with_capacity(2);
        for shipment in delivered {
            if ratings::find(self.db, shipment.id).await?.is_none() {
                rows.push(shipment);
                if rows.len() == 2 {
                    break;
                }
            }
        }
        let answers = [
            (
                2,
                3,
                "Late again, the third time this month: our fair opened without its stands.",
            ),
            (
                1,
                2,
                "Late and the box crushed. We are talking to other carriers.",
            ),
        ];
        let mut rng = Lcg::new(EVENTS, PASTS.len());
        for (i, (row, (csat, nps, comment))) in rows.iter().zip(answers).enumerate() {
            let tracking_number = &row.tracking_number;
            let at = row.delivered_at + 5 * HOUR_MS;
            let input = RatingInput {
                csat: Csat::parse(csat).or_internal("a demo CSAT score")?,
                nps: Some(Nps::parse(nps).or_internal("a demo NPS score")?),
                tags: vec![RatingTag::Late],
                comment: Some(comment.into()),
            };
            let access = ratings::owner_access(self.db, customer_id, tracking_number).await?;
            ignore_taken(ratings::save(self.db, &access, &input, at).await)?;
            if i == 0 {
                let category = ComplaintCategory::Delay;
                self.complain(
                    customer_id,
                    tracking_number,
                    category,
                    at + HOUR_MS,
                    &mut rng,
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A rating as a parcel's fate would have it: CSAT, NPS (sometimes skipped), tags, words.
pub(super) fn answer(
    fate: Fate,
    late: bool,
    rng: &mut Lcg,
) -> (i64, Option<i64>, Vec<RatingTag>, Option<&'static str>) {
    const GOOD: &[&str] = &[
        "Spot on, as always.",
        "准时送达，快递员很有礼貌。",
        "Well packed, and the tracking was clear all the way.",
        "Fast and friendly.",
    ];
    const LATE: &[&str] = &[
        "A day later than promised.",
        "晚了两天。",
        "Arrived after the promised window; nobody told us why.",
    ];
    const BROKEN: &[&str] = &["The box arrived dented.", "外箱破损，里面的东西也坏了。"];
    const MISSED: &[&str] = &["Nobody called before the first attempt; the second was fine."];
    let (csat, nps, mut tags, words) = match fate {
        Fate::Damaged => (
            rng.range(1, 2),
            rng.range(0, 4),
            vec![RatingTag::Damaged],
            BROKEN,
        ),
        _ if late => (
            rng.range(2, 3),
            rng.range(3, 7),
            vec![RatingTag::Late],
            LATE,
        ),
        Fate::Failed => (
            rng.range(3, 4),
            rng.range(5, 8),
            vec![RatingTag::OnTime],
            MISSED,
        ),
        _ => {
            let csat = match rng.below(100) {
                0..=61 => 5,
                62..=89 => 4,
                90..=96 => 3,
                _ => 2,
            };
            let nps = if csat >= 4 {
                rng.range(8, 10)
            } else {
                rng.range(4, 7)
            };
            (csat, nps, vec![RatingTag::OnTime], GOOD)
        }
    };
    if csat == 5 {
        let praise = [
            RatingTag::CourteousCourier,
            RatingTag::GoodPackaging,
            RatingTag::EasyTracking,
        ];
        tags.push(praise[rng.below(praise.len())]);
    }
    let nps = (!rng.chance(20)).then_some(nps);
    let comment = if rng.chance(50) {
        Some(words[rng.below(words.len())])
    } else {
        None
    };
    (csat, nps, tags, comment)
}

/// A complaint's description and the agent's resolution.
fn complaint_words(category: ComplaintCategory) -> (&'static str, &'static str) {
    match category {
        ComplaintCategory::Delay => (
            "The parcel came after the promised day and our customer had to wait.",
            "We refunded the shipping fee and reviewed the route with the hub.",
        ),
        ComplaintCategory::Damage => (
            "The outer box was crushed and one item inside is broken.",
            "Claim approved: the declared value is refunded and the depot was briefed.",
        ),
        ComplaintCategory::Loss => (
            "One of the boxes never arrived.",
            "The box was found at the hub and delivered; the fee is refunded.",
        ),
        ComplaintCategory::WrongDelivery => (
            "The parcel was left at the wrong door.",
            "The courier collected it and delivered it to the right address the same day.",
        ),
        ComplaintCategory::CourierConduct => (
            "The courier did not call before the first attempt and left no note.",
            "We spoke to the courier's team lead; calls before delivery are now checked.",
        ),
        ComplaintCategory::Billing => (
            "We were charged the express rate for a standard booking.",
            "The difference is refunded to your account.",
        ),
        ComplaintCategory::Other => (
            "发票抬头写错了，请重新开具。",
            "已重新开具发票并发送到您的邮箱。",
        ),
    }
}
