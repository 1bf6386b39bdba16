//! Same-product matching on a fixture of real-looking listings, plus GTIN tables.

use crate::fixture;
use deals_core::matching::{
    ProductFeatures, ProductKey, SameProduct, normalize_gtin, same_product, valid_gtin,
};

#[test]
fn every_fixture_pair_is_decided_as_expected() {
    let (listings, misses) = fixture::fixture();
    assert!(listings.len() >= 30);
    let features: Vec<ProductFeatures> = listings
        .iter()
        .map(|l| ProductFeatures::new(&l.key()))
        .collect();
    let mut wrong = Vec::new();
    let mut same_pairs = 0;
    for i in 0..listings.len() {
        for j in i + 1..listings.len() {
            let (a, b) = (&listings[i], &listings[j]);
            let miss = misses
                .iter()
                .any(|(x, y)| (x == &a.id && y == &b.id) || (x == &b.id && y == &a.id));
            let expected = a.product == b.product && !miss;
            let got = features[i].same_as(&features[j]);
            assert_eq!(
                got,
                features[j].same_as(&features[i]),
                "{} / {}: not symmetric",
                a.id,
                b.id
            );
            assert_eq!(got, same_product(&a.key(), &b.key()));
            same_pairs += usize::from(expected);
            if (got != SameProduct::No) != expected {
                wrong.push(format!(
                    "{} / {}: got {got:?}, expected same = {expected}",
                    a.id, b.id
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong pairs:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(
        same_pairs >= 25,
        "the fixture should have many same-product pairs"
    );
}

fn by_id<'a>(listings: &'a [fixture::Listing], id: &str) -> ProductKey<'a> {
    listings.iter().find(|l| l.id == id).expect("listing").key()
}

#[test]
fn each_rule_is_used_where_it_applies() {
    let (l, _) = fixture::fixture();
    let cases = [
        ("amz-ip15-128-blk", "wmt-ip15-128-blk", SameProduct::Gtin),
        ("amz-airpods-pro2", "tgt-airpods-pro2", SameProduct::Gtin),
        ("bby-xm5-blk", "wmt-xm5-blk", SameProduct::BrandMpn),
        ("bby-ip15-128-blk", "tgt-ip15-128-blk", SameProduct::Title),
        ("amz-xm5-blk", "ebay-xm5-blk", SameProduct::Title),
        ("wmt-qn90c-65", "bby-qn90c-65", SameProduct::Title),
        // Different valid GTINs: different variants, whatever the titles say.
        ("amz-ip15-128-blk", "amz-ip15-256-blk", SameProduct::No),
        // Same brand, unrelated MPNs.
        ("bby-qn90c-65", "bby-qn90c-55", SameProduct::No),
    ];
    for (a, b, expected) in cases {
        assert_eq!(
            same_product(&by_id(&l, a), &by_id(&l, b)),
            expected,
            "{a} / {b}"
        );
    }
}

#[test]
fn near_miss_variants_never_match() {
    let title = |t| ProductKey {
        title: t,
        ..ProductKey::default()
    };
    let pairs = [
        ("Apple iPhone 15 128GB Black", "Apple iPhone 15 256GB Black"),
        (
            "Apple iPhone 15 128GB Black",
            "Apple iPhone 15 128 GB White",
        ),
        (
            "Apple iPhone 15 128GB Black",
            "Apple iPhone 15 Plus 128GB Black",
        ),
        ("Apple iPhone 15 128GB Black", "Apple iPhone 14 128GB Black"),
        (
            "Apple iPhone 15 128GB Black",
            "Apple iPhone 15 128GB Black (Renewed)",
        ),
        (
            "Apple iPhone 15 128GB Black",
            "Apple iPhone 15 128GB Black Pre-Owned",
        ),
        (
            "Apple iPhone 15 128GB Black Unlocked",
            "Apple iPhone 15 128GB Black AT&T",
        ),
        (
            "Sony WH-1000XM4 Headphones Black",
            "Sony WH-1000XM5 Headphones Black",
        ),
        (
            "Sony WH-1000XM4/B Headphones",
            "Sony WH-1000XM4/S Headphones",
        ),
        (
            "Sony WH-1000XM4/B Headphones",
            "Sony WH1000XM4 Wireless Headphones Silver",
        ),
        (
            "Sony WH-1000XM4/Q Headphones",
            "Sony WH1000XM4 Wireless Headphones Silver",
        ),
        ("Sony 1000XM4 Headphones", "Sony 1000XM5 Headphones"),
        (
            "Samsung 55\" QN90C Neo QLED TV",
            "Samsung 65\" QN90C Neo QLED TV",
        ),
        (
            "Samsung 55-inch QN90C Neo QLED TV",
            "Samsung 65 in QN90C Neo QLED TV",
        ),
        (
            "Apple AirPods (2nd generation)",
            "Apple AirPods (3rd Generation)",
        ),
        (
            "Echo Show 8 Gen 2 Smart Display",
            "Echo Show 8 Gen 3 Smart Display",
        ),
        (
            "Duracell AA Batteries 2-Pack Alkaline",
            "Duracell AA Batteries Alkaline",
        ),
        (
            "Duracell AA Batteries 2-Pack Alkaline",
            "Duracell AA Batteries (Pack of 4) Alkaline",
        ),
        (
            "Dell XPS 13 Laptop 16GB RAM 512GB SSD",
            "Dell XPS 13 Laptop 16GB RAM 1TB SSD",
        ),
        (
            "Apple Watch Series 9 GPS 41mm Midnight",
            "Apple Watch Series 9 GPS 45mm Midnight",
        ),
        ("Xbox Series X 1TB Console", "Xbox Series S 1TB Console"),
        (
            "Sony Alpha a7 III Mirrorless Camera Body",
            "Sony Alpha a7 IV Mirrorless Camera Body",
        ),
        (
            "Apple iPhone 15 Clear Case with MagSafe",
            "Apple iPhone 15 Silicone Case with MagSafe",
        ),
        (
            "Apple iPhone 15 128GB Black",
            "Apple iPhone 15 Case with MagSafe",
        ),
        (
            "PlayStation 5 Console Slim",
            "PlayStation 5 Digital Edition Console Slim",
        ),
        (
            "Samsung Galaxy S24 256GB Black",
            "Samsung Galaxy S24+ 256GB Black",
        ),
        (
            "Samsung Galaxy S24 256GB Black",
            "Samsung Galaxy S23 256GB Black",
        ),
    ];
    for (a, b) in pairs {
        assert_eq!(
            same_product(&title(a), &title(b)),
            SameProduct::No,
            "{a} / {b}"
        );
    }
    let same = [
        (
            "Samsung 55\" QN90C Neo QLED TV",
            "SAMSUNG 55-Inch Class QN90C Neo QLED Smart TV",
        ),
        (
            "Sony WH-1000XM4/S Headphones",
            "SONY WH1000XM4 Wireless Headphones Silver",
        ),
        (
            "Sony WH-1000XM4/L Headphones",
            "SONY WH1000XM4 Wireless Headphones Blue",
        ),
        (
            "Apple Watch Series 9 GPS 41mm Midnight",
            "Apple Watch Series 9 (GPS) 41mm - Midnight",
        ),
        (
            "Xbox Series X 1TB Console",
            "Microsoft Xbox Series X 1TB Video Game Console",
        ),
    ];
    for (a, b) in same {
        assert_ne!(
            same_product(&title(a), &title(b)),
            SameProduct::No,
            "{a} / {b}"
        );
    }
}

#[test]
fn brands_and_models_from_the_store_are_used() {
    let key = |title, brand, model| ProductKey {
        title,
        brand,
        model,
        ..ProductKey::default()
    };
    let a = key("WH-1000XM5 Headphones Black", Some("Sony"), None);
    let b = key("WH-1000XM5 Headphones Black", Some("Bose"), None);
    assert_eq!(same_product(&a, &b), SameProduct::No, "different brands");
    let c = key(
        "Samsung Neo QLED TV 65in",
        Some("Samsung"),
        Some("QN65QN90C"),
    );
    let d = key(
        "Samsung Neo QLED TV 65in",
        Some("SAMSUMG"),
        Some("QN65QN85C"),
    );
    assert_eq!(same_product(&c, &d), SameProduct::No, "different models");
    let e = key(
        "Samsung Neo QLED TV 65in",
        Some("SAMSUMG"),
        Some("QN65QN90CAFXZA"),
    );
    assert_eq!(
        same_product(&c, &e),
        SameProduct::Title,
        "model with a region suffix"
    );
}

#[test]
fn gtin_check_digits_and_lengths() {
    let cases = [
        ("195949035203", Some("00195949035203")),
        ("0195949035203", Some("00195949035203")),
        ("00195949035203", Some("00195949035203")),
        ("1 95949 03520 3", Some("00195949035203")),
        ("0-12345-67890-5", Some("00012345678905")),
        ("4006381333931", Some("04006381333931")),
        ("96385074", Some("00000096385074")),
        ("195949035204", None),
        ("4006381333932", None),
        ("19594903520", None),
        ("000000000000", None),
        ("19594903520X", None),
        ("", None),
    ];
    for (code, expected) in cases {
        assert_eq!(normalize_gtin(code).as_deref(), expected, "{code}");
        assert_eq!(valid_gtin(code), expected.is_some(), "{code}");
    }
}

#[test]
fn upc_a_and_ean_13_of_one_item_are_one_product_and_a_bad_check_digit_is_ignored() {
    let upc = ProductKey {
        title: "Apple iPhone 15 128GB Black",
        gtin: Some("195949035203"),
        ..ProductKey::default()
    };
    let ean = ProductKey {
        title: "Totally different title",
        gtin: Some("0195949035203"),
        ..ProductKey::default()
    };
    assert_eq!(same_product(&upc, &ean), SameProduct::Gtin);
    let bad = ProductKey {
        title: "Apple iPhone 15 128GB Black",
        gtin: Some("195949035204"),
        ..ProductKey::default()
    };
    let other = ProductKey {
        title: "Apple iPhone 15 128GB Black",
        gtin: Some("195949035210"),
        ..ProductKey::default()
    };
    assert_eq!(
        same_product(&bad, &other),
        SameProduct::Title,
        "the bad code is ignored"
    );
}

#[test]
fn serialises_in_snake_case() {
    assert_eq!(
        serde_json::to_string(&SameProduct::BrandMpn).unwrap(),
        "\"brand_mpn\""
    );
}
