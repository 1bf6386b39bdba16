//! The fake-discount check (the EU prior-price rule): a claimed original price only counts when
//! our own observations show the item was sold at that price in the 30 days before the current
//! price; otherwise a reduction is measured against the lowest price of those 30 days.

use serde::{Deserialize, Serialize};

use super::text::dollars;
use crate::history::PricePoint;

/// The reference price a discount is measured against, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceCheck {
    /// The original ("was") price the listing claims.
    pub claimed_minor: Option<i64>,
    /// The price the discount should be measured against (`None` without a claim).
    pub reference_minor: Option<i64>,
    /// `false` when our history contradicts the claim (a fake discount).
    pub supported: bool,
    /// One human line with the amounts.
    pub explanation: String,
}

/// Checks a claimed original price against `prior_30_days`, our own observations of the item in
/// the 30 days before the current price (the caller selects that window).
///
/// - No claim: no reference, nothing to contradict (`supported` is true).
/// - No prior observations: the claim is taken as given (`supported` is true) and the
///   explanation says it could not be verified.
/// - The highest prior price is at least the claim: supported, the claim is the reference.
/// - Otherwise unsupported: the reference becomes the lowest prior price.
pub fn check_reference_price(
    claimed_original_minor: Option<i64>,
    prior_30_days: &[PricePoint],
) -> ReferenceCheck {
    let Some(claimed) = claimed_original_minor else {
        return ReferenceCheck {
            claimed_minor: None,
            reference_minor: None,
            supported: true,
            explanation: "no claimed original price".to_owned(),
        };
    };
    let prices = prior_30_days.iter().map(|p| p.price_minor);
    let (Some(highest), Some(lowest)) = (prices.clone().max(), prices.min()) else {
        return ReferenceCheck {
            claimed_minor: Some(claimed),
            reference_minor: Some(claimed),
            supported: true,
            explanation: format!(
                "no price history to verify the claimed original price of {}; taken as given",
                dollars(claimed)
            ),
        };
    };
    if highest >= claimed {
        ReferenceCheck {
            claimed_minor: Some(claimed),
            reference_minor: Some(claimed),
            supported: true,
            explanation: format!(
                "claimed original price of {} is supported: sold at {} in the prior 30 days",
                dollars(claimed),
                dollars(highest)
            ),
        }
    } else {
        ReferenceCheck {
            claimed_minor: Some(claimed),
            reference_minor: Some(lowest),
            supported: false,
            explanation: format!(
                "claimed original price of {} is unsupported: the highest price in the prior \
                 30 days was {}, so the discount is measured against the lowest price of those \
                 30 days, {}",
                dollars(claimed),
                dollars(highest),
                dollars(lowest)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn prior(prices: &[i64]) -> Vec<PricePoint> {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        prices
            .iter()
            .zip(0..)
            .map(|(&p, day)| PricePoint::new(start + TimeDelta::days(day), p))
            .collect()
    }

    #[test]
    fn supported_when_sold_at_or_above_the_claim() {
        for history in [&[30_000, 39_999, 35_000][..], &[40_000, 30_000]] {
            let check = check_reference_price(Some(39_999), &prior(history));
            assert!(check.supported, "{history:?}");
            assert_eq!(check.reference_minor, Some(39_999));
        }
        assert_eq!(
            check_reference_price(Some(39_999), &prior(&[39_999])).explanation,
            "claimed original price of $399.99 is supported: sold at $399.99 in the prior 30 days"
        );
    }

    #[test]
    fn unsupported_claim_falls_back_to_the_lowest_prior_price() {
        let check = check_reference_price(Some(49_999), &prior(&[29_999, 27_999, 31_999]));
        assert!(!check.supported);
        assert_eq!(check.claimed_minor, Some(49_999));
        assert_eq!(check.reference_minor, Some(27_999));
        assert_eq!(
            check.explanation,
            "claimed original price of $499.99 is unsupported: the highest price in the prior \
             30 days was $319.99, so the discount is measured against the lowest price of those \
             30 days, $279.99"
        );
        // One cent above everything seen is already unsupported.
        assert!(!check_reference_price(Some(32_000), &prior(&[31_999])).supported);
    }

    #[test]
    fn without_history_the_claim_is_taken_as_given() {
        let check = check_reference_price(Some(49_999), &[]);
        assert!(check.supported);
        assert_eq!(check.reference_minor, Some(49_999));
        assert!(
            check
                .explanation
                .contains("no price history to verify the claimed original price"),
            "{}",
            check.explanation
        );
    }

    #[test]
    fn without_a_claim_there_is_no_reference() {
        let check = check_reference_price(None, &prior(&[10_000]));
        assert_eq!(check.claimed_minor, None);
        assert_eq!(check.reference_minor, None);
        assert!(check.supported);
    }
}
