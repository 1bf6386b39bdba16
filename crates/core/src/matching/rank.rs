//! The order of a goal's deals: what can be bought first, then the best match, then the best
//! deal, then the cheapest. Out-of-stock and ended listings go last, whatever their scores, so
//! a half-matching accessory with a good price never sits above a full match.

use std::cmp::Ordering;

/// What the order of one deal depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankFacts {
    /// Goal match score, 0–1 ([`super::GoalMatch::score`]).
    pub match_score: f64,
    /// Deal score, 0–1, when analysed.
    pub deal_score: Option<f64>,
    /// Whether it can be bought now (in stock, low stock, preorder or unknown; not out of stock
    /// or ended).
    pub available: bool,
    /// Current price in minor units.
    pub price_minor: i64,
}

/// Match scores closer than this are equal for ranking: the deal score decides between them.
pub const MATCH_TIE: f64 = 0.05;

/// Best first: available before unavailable, then match score (ties within [`MATCH_TIE`]),
/// then deal score (analysed before not), then price.
pub fn compare_deals(a: &RankFacts, b: &RankFacts) -> Ordering {
    b.available
        .cmp(&a.available)
        .then_with(|| {
            if (a.match_score - b.match_score).abs() < MATCH_TIE {
                Ordering::Equal
            } else {
                b.match_score.total_cmp(&a.match_score)
            }
        })
        .then_with(|| match (a.deal_score, b.deal_score) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then(a.price_minor.cmp(&b.price_minor))
}

/// Reorders deals already in [`compare_deals`] order so one product cannot fill the first page:
/// the best listing of each product first (in order), then the other stores' listings of
/// products already shown, then what cannot be bought. `product` is the listing's product (the
/// same item at several stores), `None` when unknown; `available` as in [`RankFacts`].
pub fn one_product_first<T, K: Eq + std::hash::Hash>(
    sorted: Vec<T>,
    product: impl Fn(&T) -> Option<K>,
    available: impl Fn(&T) -> bool,
) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    let (mut firsts, mut repeats, mut gone) = (Vec::new(), Vec::new(), Vec::new());
    for item in sorted {
        if !available(&item) {
            gone.push(item);
        } else if product(&item).is_some_and(|k| !seen.insert(k)) {
            repeats.push(item);
        } else {
            firsts.push(item);
        }
    }
    firsts.extend(repeats);
    firsts.extend(gone);
    firsts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(match_score: f64, deal_score: f64, available: bool, price: i64) -> RankFacts {
        RankFacts {
            match_score,
            deal_score: Some(deal_score),
            available,
            price_minor: price,
        }
    }

    #[test]
    fn full_matches_rank_above_a_half_match_with_a_better_deal_and_stock_outs_go_last() {
        let full = deal(1.0, 0.6, true, 30_000);
        let accessory_like = deal(0.55, 0.95, true, 5_000);
        let gone = deal(1.0, 0.99, false, 10_000);
        let close = deal(0.97, 0.9, true, 31_000);
        let mut v = [gone, accessory_like, full, close];
        v.sort_by(compare_deals);
        assert_eq!(v, [close, full, accessory_like, gone]);
    }

    #[test]
    fn each_product_shows_once_before_any_other_store_repeats_it() {
        // (name, product, available), already in rank order.
        let sorted = vec![
            ("xm5 amazon", Some(1), true),
            ("xm5 bestbuy", Some(1), true),
            ("xm4 walmart", Some(2), true),
            ("xm5 target (gone)", Some(1), false),
            ("unknown product", None, true),
        ];
        let out = one_product_first(sorted, |d| d.1, |d| d.2);
        let names: Vec<&str> = out.iter().map(|d| d.0).collect();
        assert_eq!(
            names,
            [
                "xm5 amazon",
                "xm4 walmart",
                "unknown product",
                "xm5 bestbuy",
                "xm5 target (gone)"
            ]
        );
    }
}
