//! The goal index: it never misses a goal that `match_goal` scores above 0, and `matches`
//! agrees with a scan of every goal.

use crate::fixture;
use deals_core::GoalCriteria;
use deals_core::matching::{GoalIndex, ListingFacts, match_goal};
use proptest::prelude::*;
use serde_json::{Value, json};

fn goal(v: Value) -> GoalCriteria {
    GoalCriteria::from_json(v).unwrap()
}

/// Goals of every shape: keywords only, multi-word and synonym keywords, brands only,
/// categories only, exclusions, hard constraints, and constraint-only goals.
fn goals() -> Vec<GoalCriteria> {
    [
        json!({"keywords": ["noise cancelling", "headphones"], "brands": ["sony"], "max_price": "300"}),
        json!({"keywords": ["anc"]}),
        json!({"keywords": ["headphone"]}),
        json!({"keywords": ["sony wh-1000xm5"]}),
        json!({"keywords": ["wh1000xm4"], "conditions": ["open_box"]}),
        json!({"keywords": ["iphone 15", "128gb"], "exclude_keywords": ["renewed"]}),
        json!({"keywords": ["iphone"], "markets": ["ebay"], "min_seller_rating": 4.5}),
        json!({"keywords": ["smartphone"]}),
        json!({"keywords": ["television"]}),
        json!({"keywords": ["65 inch tv"], "brands": ["samsung"]}),
        json!({"keywords": ["4k tv"], "max_price": "1500"}),
        json!({"keywords": ["playstation 5"]}),
        json!({"keywords": ["ps5 digital edition"]}),
        json!({"keywords": ["macbook", "m2"], "min_price": "900"}),
        json!({"keywords": ["laptop"], "categories": ["laptops"]}),
        json!({"keywords": ["airpods pro", "2nd generation"]}),
        json!({"keywords": ["echo dot"], "exclude_keywords": ["4th gen"]}),
        json!({"keywords": ["airtag 4 pack"]}),
        json!({"keywords": ["galaxy s24+"]}),
        json!({"keywords": ["usb-c"]}),
        json!({"keywords": ["the"]}),
        json!({"keywords": ["!!!"]}),
        json!({"brands": ["apple"]}),
        json!({"brands": ["samsung", "lg"], "max_price": "1000"}),
        json!({"brands": ["Sony Electronics Inc."]}),
        json!({"brands": ["amazon"], "categories": ["smart speakers"]}),
        json!({"categories": ["headphones"]}),
        json!({"categories": ["video games"], "conditions": ["new"]}),
        json!({"categories": ["tv"]}),
        json!({"max_price": "100"}),
        json!({"markets": ["walmart"], "min_seller_rating": 4.0}),
        json!({"conditions": ["refurbished", "used"]}),
        json!({"keywords": ["espresso machine"], "brands": ["breville"]}),
    ]
    .into_iter()
    .map(goal)
    .collect()
}

fn index(goals: &[GoalCriteria]) -> GoalIndex<u32> {
    let mut index = GoalIndex::new();
    for (k, g) in (0u32..).zip(goals) {
        index.insert(k, g.clone());
    }
    index
}

/// Checks the index against a scan of every goal.
fn assert_agrees_with_a_scan(index: &GoalIndex<u32>, goals: &[GoalCriteria], l: &ListingFacts) {
    let candidates = index.candidates(l);
    let mut scan: Vec<(u32, f64)> = Vec::new();
    for (k, g) in (0u32..).zip(goals) {
        let m = match_goal(g, l);
        if m.score > 0.0 {
            assert!(
                candidates.contains(&k),
                "goal {k} missed for {:?}: {m:?}",
                l.title
            );
            scan.push((k, m.score));
        }
    }
    scan.sort_by(|(ka, a), (kb, b)| b.total_cmp(a).then(ka.cmp(kb)));
    let got: Vec<(u32, f64)> = index
        .matches(l)
        .into_iter()
        .map(|(k, m)| (k, m.score))
        .collect();
    assert_eq!(got, scan, "{}", l.title);
}

#[test]
fn candidates_never_miss_a_matching_goal_on_the_fixture() {
    let goals = goals();
    let index = index(&goals);
    let (listings, _) = fixture::fixture();
    let mut matched = 0;
    let mut pruned = 0;
    for l in &listings {
        let facts = l.facts();
        assert_agrees_with_a_scan(&index, &goals, &facts);
        matched += index.matches(&facts).len();
        pruned += goals.len() - index.candidates(&facts).len();
    }
    assert!(
        matched > 100,
        "the goals should match many listings ({matched})"
    );
    assert!(
        pruned > listings.len() * 10,
        "the index should prune ({pruned})"
    );
}

#[test]
fn matches_are_best_first_with_reasons() {
    let goals = goals();
    let index = index(&goals);
    let (listings, _) = fixture::fixture();
    let xm5 = listings
        .iter()
        .find(|l| l.id == "wmt-xm5-blk")
        .unwrap()
        .facts();
    let m = index.matches(&xm5);
    assert_eq!(m[0].0, 0, "the full headphones goal comes first");
    assert!(
        m[0].1
            .reasons
            .contains(&"keyword: noise cancelling".to_owned())
    );
    assert!(m.windows(2).all(|w| w[0].1.score >= w[1].1.score));
    assert!(m.iter().all(|(_, gm)| gm.excluded_by.is_none()));
}

#[test]
fn insert_replace_and_remove() {
    let mut index: GoalIndex<u64> = GoalIndex::new();
    assert!(index.is_empty());
    let l = ListingFacts {
        title: "Sony WH-1000XM5 Headphones",
        brand: Some("Sony"),
        category: None,
        market: "amazon",
        condition: deals_core::Condition::New,
        price_minor: 30_000,
        currency: "USD",
        seller_rating: None,
    };
    index.insert(7, goal(json!({"keywords": ["headphones"]})));
    index.insert(3, goal(json!({"max_price": "50"})));
    index.insert(9, goal(json!({"keywords": ["blender"]})));
    assert_eq!(index.len(), 3);
    assert_eq!(index.candidates(&l), [3, 7]);
    index.insert(7, goal(json!({"keywords": ["espresso"]})));
    assert_eq!(index.len(), 3);
    assert_eq!(index.candidates(&l), [3]);
    index.insert(9, goal(json!({"brands": ["sony"]})));
    assert_eq!(index.candidates(&l), [3, 9]);
    assert_eq!(index.matches(&l).len(), 1, "goal 3 fails its price");
    index.remove(3);
    index.remove(9);
    index.remove(42);
    assert_eq!(index.len(), 1);
    assert!(index.candidates(&l).is_empty());
    index.remove(7);
    assert!(index.is_empty());
}

const WORDS: &[&str] = &[
    "sony",
    "samsung",
    "apple",
    "bose",
    "headphones",
    "headphone",
    "noise cancelling",
    "anc",
    "wireless",
    "tv",
    "television",
    "4k",
    "55 inch",
    "65\"",
    "qn90c",
    "wh-1000xm5",
    "iphone",
    "128gb",
    "black",
    "silver",
    "renewed",
    "refurbished",
    "case",
    "pro",
    "2nd gen",
    "laptop",
    "notebook",
    "usb-c",
    "wi-fi",
    "the",
    "for",
    "earbuds",
    "earphones",
    "playstation 5",
    "ps5",
];
const BRANDS: &[&str] = &[
    "sony",
    "samsung",
    "samsumg",
    "apple",
    "bose",
    "lg",
    "western digital",
];
const CATEGORIES: &[&str] = &["headphones", "tvs", "cell phones", "laptops", "audio"];

fn phrase() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..3).prop_map(|w| w.join(" "))
}

prop_compose! {
    fn criteria()(
        keywords in prop::collection::vec(phrase(), 0..3),
        exclude in prop::collection::vec(phrase(), 0..2),
        brands in prop::collection::vec(prop::sample::select(BRANDS), 0..2),
        categories in prop::collection::vec(prop::sample::select(CATEGORIES), 0..2),
        max in prop::option::of(5_000i64..200_000),
    ) -> Option<GoalCriteria> {
        let mut v = json!({"keywords": keywords, "exclude_keywords": exclude,
            "brands": brands, "categories": categories});
        if let Some(max) = max {
            v["max_price"] = json!(max / 100);
        }
        GoalCriteria::from_json(v).ok()
    }
}

prop_compose! {
    fn title()(words in prop::collection::vec(prop::sample::select(WORDS), 1..8)) -> String {
        words.join(" ")
    }
}

proptest! {
    #[test]
    fn index_agrees_with_a_scan_on_random_goals(
        goals in prop::collection::vec(criteria(), 1..40),
        title in title(),
        brand in prop::option::of(prop::sample::select(BRANDS)),
        category in prop::option::of(prop::sample::select(CATEGORIES)),
    ) {
        let goals: Vec<GoalCriteria> = goals.into_iter().flatten().collect();
        let index = index(&goals);
        let l = ListingFacts {
            title: &title,
            brand,
            category,
            market: "ebay",
            condition: deals_core::Condition::Used,
            price_minor: 49_900,
            currency: "USD",
            seller_rating: None,
        };
        assert_agrees_with_a_scan(&index, &goals, &l);
    }
}
