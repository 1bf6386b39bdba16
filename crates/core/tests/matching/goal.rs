//! Goal ↔ listing matching: hard constraints, stems, synonyms, multi-word keywords, scores.

use deals_core::matching::goal::{BRAND_WEIGHT, CATEGORY_WEIGHT, KEYWORD_WEIGHT, NEUTRAL_SCORE};
use deals_core::matching::{GoalMatch, ListingFacts, match_goal};
use deals_core::{Condition, GoalCriteria};
use serde_json::{Value, json};

fn goal(v: Value) -> GoalCriteria {
    GoalCriteria::from_json(v).unwrap()
}

fn listing(title: &str) -> ListingFacts<'_> {
    ListingFacts {
        title,
        brand: None,
        category: None,
        market: "amazon",
        condition: Condition::New,
        price_minor: 27_999,
        currency: "USD",
        seller_rating: Some(4.7),
    }
}

const XM5: &str = "Sony WH-1000XM5 Wireless Noise Canceling Headphones - Black";

fn headphones_goal() -> GoalCriteria {
    goal(json!({
        "keywords": ["noise cancelling", "headphones"],
        "brands": ["sony"],
        "categories": ["headphones"],
        "max_price": "300",
        "min_price": "100",
        "conditions": ["new", "open_box"],
        "markets": ["amazon", "bestbuy"],
        "min_seller_rating": 4.5
    }))
}

#[test]
fn a_full_match_scores_one_with_its_reasons() {
    let l = ListingFacts {
        category: Some("Audio > Headphones"),
        ..listing(XM5)
    };
    let m = match_goal(&headphones_goal(), &l);
    assert_eq!(m.excluded_by, None);
    assert!((m.score - 1.0).abs() < 1e-9, "{m:?}");
    for line in [
        "keyword: noise cancelling",
        "keyword: headphones",
        "brand: sony",
        "category: headphones",
        "price $279.99 ≤ max $300.00",
        "price $279.99 ≥ min $100.00",
        "condition: new",
        "market: amazon",
        "seller rating 4.7 ≥ 4.5",
    ] {
        assert!(
            m.reasons.iter().any(|r| r == line),
            "{line} in {:?}",
            m.reasons
        );
    }
    assert_eq!(
        m.reasons[0], "keyword: noise cancelling",
        "soft reasons come first"
    );
}

#[test]
fn each_hard_constraint_excludes_and_says_why() {
    let g = headphones_goal();
    let base = listing(XM5);
    let cases: Vec<(ListingFacts, &str)> = vec![
        (
            ListingFacts {
                price_minor: 34_999,
                ..base
            },
            "price $349.99 > max $300.00",
        ),
        (
            ListingFacts {
                price_minor: 9_999,
                ..base
            },
            "price $99.99 < min $100.00",
        ),
        (
            ListingFacts {
                currency: "EUR",
                ..base
            },
            "currency EUR is not the goal's USD",
        ),
        (
            ListingFacts {
                condition: Condition::Used,
                ..base
            },
            "condition used not accepted (new, open_box)",
        ),
        (
            ListingFacts {
                market: "Walmart",
                ..base
            },
            "market walmart not searched (amazon, bestbuy)",
        ),
        (
            ListingFacts {
                seller_rating: Some(3.9),
                ..base
            },
            "seller rating 3.9 < min 4.5",
        ),
    ];
    for (l, why) in cases {
        let m = match_goal(&g, &l);
        assert_eq!(m.score, 0.0, "{why}");
        assert_eq!(m.excluded_by.as_deref(), Some(why));
    }
    let ok = match_goal(
        &g,
        &ListingFacts {
            price_minor: 30_000,
            ..base
        },
    );
    assert!(ok.score > 0.0, "the maximum itself is accepted");
    let ok = match_goal(
        &g,
        &ListingFacts {
            market: " BestBuy ",
            ..base
        },
    );
    assert!(ok.score > 0.0, "markets compare case-insensitively");
}

#[test]
fn unknown_seller_rating_does_not_exclude_but_says_so() {
    let m = match_goal(
        &headphones_goal(),
        &ListingFacts {
            seller_rating: None,
            ..listing(XM5)
        },
    );
    assert!(m.score > 0.0);
    assert!(
        m.reasons
            .contains(&"seller rating unknown (min 4.5)".to_owned())
    );
}

#[test]
fn currency_only_matters_with_a_price_bound() {
    let g = goal(json!({"keywords": ["headphones"]}));
    let m = match_goal(
        &g,
        &ListingFacts {
            currency: "EUR",
            ..listing(XM5)
        },
    );
    assert!(m.score > 0.0);
}

#[test]
fn excluded_keywords_are_stem_and_synonym_aware() {
    let cases = [
        ("refurbished", "Apple iPhone 15 128GB Black (Renewed)"),
        ("refurbished", "Refurb iPhone 15"),
        ("cases", "iPhone 15 Case with MagSafe"),
        ("case", "iPhone 15 Cases 3-pack"),
        ("for parts", "iPhone 15 - parts only, not for resale"),
        ("noise cancelling", "Sony ANC Headphones"),
    ];
    for (excluded, title) in cases {
        let g = goal(json!({"keywords": ["iphone", "headphones"], "exclude_keywords": [excluded]}));
        let m = match_goal(&g, &listing(title));
        assert_eq!(m.score, 0.0, "{excluded} / {title}");
        assert_eq!(m.excluded_by, Some(format!("excluded keyword: {excluded}")));
    }
    let g = goal(json!({"keywords": ["iphone"], "exclude_keywords": ["case"]}));
    assert!(match_goal(&g, &listing("Apple iPhone 15 128GB")).score > 0.0);
}

#[test]
fn keywords_match_through_stems_synonyms_and_phrases() {
    let cases = [
        ("headphone", "Sony Wireless Headphones"),
        ("headphones", "Sony Wireless Headphone"),
        ("noise cancelling", XM5),
        ("noise cancelling", "Bose QuietComfort Ultra ANC Earbuds"),
        (
            "noise cancelling",
            "AirPods Pro with Active Noise Cancellation",
        ),
        ("anc", "Sony Noise-Cancelling Headphones"),
        ("noise", "Sony ANC headphones with noise-cancelling"),
        ("television", "TCL 55\" Class 4K Smart TV"),
        ("tv", "LG 65-Inch OLED Television"),
        ("laptop", "ASUS Zenbook 14 Notebook"),
        ("earbuds", "JBL Tune Earphones"),
        ("4k tv", "Hisense 55 UHD Smart TV"),
        ("sony wh-1000xm5", "SONY WH1000XM5 Headphones Black"),
        ("wh1000xm5", "Sony WH-1000XM5/B"),
        ("55 inch tv", "Samsung 55\" Class QN90C TV"),
        ("128gb", "iPhone 15 (128 GB) - Black"),
        ("gaming", "Logitech G Pro Game Mouse"),
        ("usb-c charger", "Anker USB C Charger 65W"),
        ("2nd generation", "AirPods Pro (2nd Gen)"),
    ];
    for (kw, title) in cases {
        let g = goal(json!({ "keywords": [kw] }));
        let m = match_goal(&g, &listing(title));
        assert!((m.score - 1.0).abs() < 1e-9, "{kw} / {title}: {m:?}");
        assert_eq!(m.reasons, [format!("keyword: {kw}")]);
    }
}

#[test]
fn multi_word_keywords_need_all_their_words() {
    let misses = [
        ("noise cancelling earbuds", XM5),
        ("sony wh-1000xm4", XM5),
        ("65 inch tv", "Samsung 55\" Class QN90C TV"),
        ("headset", "Sony Wireless Headphones"),
    ];
    for (kw, title) in misses {
        let g = goal(json!({ "keywords": [kw] }));
        let m = match_goal(&g, &listing(title));
        assert_eq!(m.score, 0.0, "{kw} / {title}");
        assert_eq!(m.excluded_by.as_deref(), Some("nothing in common"));
        assert_eq!(m.reasons, [format!("missing keyword: {kw}")]);
    }
}

#[test]
fn brands_match_the_listing_brand_or_a_title_word() {
    let g = goal(json!({"keywords": ["tv"], "brands": ["samsung", "lg"]}));
    let by_field = ListingFacts {
        brand: Some("SAMSUMG"),
        ..listing("65\" Neo QLED TV")
    };
    let by_title = listing("LG 65-Inch OLED evo C3 TV");
    let other = ListingFacts {
        brand: Some("TCL"),
        ..listing("TCL 65\" QLED TV")
    };
    let full = KEYWORD_WEIGHT + BRAND_WEIGHT;
    assert!((match_goal(&g, &by_field).score - 1.0).abs() < 1e-9);
    assert!(
        match_goal(&g, &by_field)
            .reasons
            .contains(&"brand: samsung".to_owned())
    );
    assert!(
        match_goal(&g, &by_title)
            .reasons
            .contains(&"brand: lg".to_owned())
    );
    // A stated brand outside the goal's excludes; an unstated one only costs the brand weight.
    let m = match_goal(&g, &other);
    assert_eq!(
        m.excluded_by.as_deref(),
        Some("brand tcl is not samsung or lg")
    );
    let unstated = listing("65\" QLED TV, 120 Hz");
    let m = match_goal(&g, &unstated);
    assert!((m.score - KEYWORD_WEIGHT / full).abs() < 1e-9, "{m:?}");
    assert!(m.reasons.contains(&"brand is not samsung or lg".to_owned()));
}

#[test]
fn score_is_the_weighted_mean_of_the_stated_soft_criteria() {
    let g = goal(json!({
        "keywords": ["noise cancelling", "earbuds"],
        "brands": ["sony"],
        "categories": ["headphones", "earbuds"]
    }));
    let total = KEYWORD_WEIGHT + BRAND_WEIGHT + CATEGORY_WEIGHT;
    let m = match_goal(&g, &listing(XM5));
    let expected = (KEYWORD_WEIGHT * 0.5 + BRAND_WEIGHT + CATEGORY_WEIGHT) / total;
    assert!((m.score - expected).abs() < 1e-9, "{m:?}");
    assert!(m.reasons.contains(&"missing keyword: earbuds".to_owned()));
    assert!(m.reasons.contains(&"category: headphones".to_owned()));
    // The brand only shows in the title (no stated brand), so it lowers the score.
    let bose = listing("Bose QuietComfort Earbuds II");
    let m = match_goal(&g, &bose);
    let expected = (KEYWORD_WEIGHT * 0.5 + CATEGORY_WEIGHT) / total;
    assert!((m.score - expected).abs() < 1e-9, "{m:?}");
}

#[test]
fn nothing_in_common_scores_zero() {
    let g = goal(
        json!({"keywords": ["espresso machine"], "brands": ["breville"], "categories": ["kitchen"]}),
    );
    let m: GoalMatch = match_goal(&g, &listing("Acme Garden Hose"));
    assert_eq!(
        (m.score, m.excluded_by.as_deref()),
        (0.0, Some("nothing in common"))
    );
    // A title naming another product type is excluded by it first.
    let m = match_goal(&g, &listing(XM5));
    assert_eq!(
        m.excluded_by.as_deref(),
        Some("filed under headphones by the store, not kitchen")
    );
}

#[test]
fn a_goal_with_only_constraints_scores_neutral() {
    let g = goal(json!({"max_price": "500", "markets": ["amazon"]}));
    let m = match_goal(&g, &listing(XM5));
    assert_eq!(m.score, NEUTRAL_SCORE);
    assert!(m.reasons.contains(&"market: amazon".to_owned()));
}

#[test]
fn serialises_for_the_api() {
    let m = match_goal(&goal(json!({"keywords": ["headphones"]})), &listing(XM5));
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(
        v,
        json!({"score": 1.0, "reasons": ["keyword: headphones"], "excluded_by": null, "full": true})
    );
}

#[test]
fn a_category_path_is_matched_by_its_leaf() {
    let c = goal(json!({ "categories": ["audio/headphones"] }));
    let store_named = ListingFacts {
        category: Some("Headphones"),
        ..listing("Bose QuietComfort Ultra")
    };
    let m = match_goal(&c, &store_named);
    assert_eq!(m.excluded_by, None);
    assert!(
        m.reasons.contains(&"category: audio/headphones".to_owned()),
        "{m:?}"
    );
    let speakers = ListingFacts {
        category: Some("Audio > Speakers"),
        ..listing("JBL Flip 6")
    };
    assert!(match_goal(&c, &speakers).score < m.score);
}

#[test]
fn a_listing_stating_another_brand_is_excluded_but_one_stating_none_is_not() {
    let c = goal(json!({"keywords": ["headphones"], "brands": ["sony", "bose"]}));
    let beats = ListingFacts {
        brand: Some("Beats"),
        ..listing("Beats Studio Pro Wireless Noise-Canceling Headphones")
    };
    let m = match_goal(&c, &beats);
    assert_eq!(
        m.excluded_by.as_deref(),
        Some("brand beats is not sony or bose")
    );
    assert_eq!(m.score, 0.0);
    let unstated = listing("Wireless Noise-Canceling Headphones, 30 h battery");
    let m = match_goal(&c, &unstated);
    assert_eq!(m.excluded_by, None);
    assert!(
        m.reasons.contains(&"brand is not sony or bose".to_owned()),
        "{m:?}"
    );
    let sony = ListingFacts {
        brand: Some("SONY"),
        ..listing(XM5)
    };
    assert_eq!(match_goal(&c, &sony).excluded_by, None);
}
