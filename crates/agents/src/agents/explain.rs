//! The one-line account of a search, shown on the goal: how many deals fit, or why nothing
//! did — `14 tvs found, none under $250.00; cheapest $256.00 at walmart`, `no store lists
//! "electric toothbrush"`, `23 listings found, none fit: accessory: controller for ps5 (9)`.

use deals_core::money::format_minor;
use deals_core::{GoalCriteria, taxonomy};
use deals_markets::Offer;

/// What a search saw: each offer with the hard constraint that excluded it, if any.
pub struct Seen<'a> {
    /// The offer.
    pub offer: &'a Offer,
    /// The exclusion under the goal's full criteria.
    pub excluded_by: Option<&'a str>,
    /// Whether it fits the goal once its price bounds are lifted.
    pub fits_without_price: bool,
}

/// The summary of a search: deals kept out of offers seen, or why none was kept.
pub fn summary(criteria: &GoalCriteria, query: &str, kept: usize, seen: &[Seen<'_>]) -> String {
    let listings = {
        let mut ids: Vec<(&str, &str)> = (seen.iter())
            .map(|s| (s.offer.market.as_str(), s.offer.external_id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    if kept > 0 {
        return format!("{kept} deals fit, out of {listings} listings found");
    }
    if seen.is_empty() {
        return format!("nothing found: no store lists \"{query}\"");
    }
    let priced: Vec<&Offer> = (seen.iter())
        .filter(|s| s.fits_without_price)
        .map(|s| s.offer)
        .collect();
    if let Some(cheapest) = priced.iter().min_by_key(|o| o.price_minor) {
        let what = criteria
            .categories
            .first()
            .map(|c| taxonomy::leaf(c).to_owned())
            .unwrap_or_else(|| "listings".to_owned());
        let money = |m: i64| format!("${}", format_minor(m));
        let bound = match (criteria.min_price, criteria.max_price) {
            (Some(lo), Some(hi)) => format!("between {} and {}", money(lo), money(hi)),
            (None, Some(hi)) => format!("under {}", money(hi)),
            (Some(lo), None) => format!("over {}", money(lo)),
            (None, None) => "at the asked price".to_owned(),
        };
        return format!(
            "{} {what} found, none {bound}; cheapest {} at {}",
            priced.len(),
            money(cheapest.price_minor),
            cheapest.market
        );
    }
    let mut reasons: Vec<(&str, usize)> = Vec::new();
    for why in seen.iter().filter_map(|s| s.excluded_by) {
        let key = why.split(':').next().unwrap_or(why);
        match reasons.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => reasons.push((key, 1)),
        }
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    match reasons.first() {
        Some((why, n)) => {
            let example = (seen.iter())
                .filter_map(|s| s.excluded_by)
                .find(|w| w.starts_with(why))
                .unwrap_or(why);
            format!("{listings} listings found, none fit: {example} ({n})")
        }
        None => format!("{listings} listings found, none shares enough with the goal"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deals_core::{Availability, Condition};
    use deals_markets::SourceKind;

    fn offer(id: &str, market: &str, price: i64) -> Offer {
        Offer {
            market: market.into(),
            source: SourceKind::Simulated,
            external_id: id.into(),
            url: String::new(),
            title: "TCL 55-Inch S4 4K LED Smart Google TV".into(),
            brand: None,
            model: None,
            gtin: None,
            mpn: None,
            category: None,
            price_minor: price,
            original_price_minor: None,
            currency: "USD".into(),
            condition: Condition::New,
            seller_name: None,
            seller_rating: None,
            seller_review_count: None,
            availability: Availability::InStock,
            shipping_minor: None,
            image_url: None,
            flags: vec![],
        }
    }

    #[test]
    fn nothing_under_the_price_names_the_cheapest() {
        let criteria = GoalCriteria {
            categories: vec!["tv/tvs".into()],
            max_price: Some(25_000),
            ..GoalCriteria::default()
        };
        let (a, b) = (offer("1", "walmart", 25_600), offer("2", "amazon", 31_000));
        let seen = [&a, &b].map(|o| Seen {
            offer: o,
            excluded_by: Some("price over max"),
            fits_without_price: true,
        });
        assert_eq!(
            summary(&criteria, "tv", 0, &seen),
            "2 tvs found, none under $250.00; cheapest $256.00 at walmart"
        );
    }

    #[test]
    fn the_commonest_exclusion_is_named_and_an_empty_store_said() {
        let criteria = GoalCriteria::default();
        let a = offer("1", "amazon", 6_999);
        let seen = [Seen {
            offer: &a,
            excluded_by: Some("accessory: controller for ps5"),
            fits_without_price: false,
        }];
        assert_eq!(
            summary(&criteria, "ps5", 0, &seen),
            "1 listings found, none fit: accessory: controller for ps5 (1)"
        );
        assert_eq!(
            summary(&criteria, "electric toothbrush", 0, &[]),
            "nothing found: no store lists \"electric toothbrush\""
        );
    }
}
