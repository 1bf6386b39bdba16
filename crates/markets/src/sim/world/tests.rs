//! Behaviour of the simulated world: listings, prices, events, moods and search.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use deals_core::{Availability, Condition};

use super::*;

fn world() -> SimWorld {
    SimWorld::new(SimConfig::default())
}

fn at(world: &SimWorld, minutes: i64) -> DateTime<Utc> {
    world.config().epoch + Duration::minutes(minutes)
}

#[test]
fn each_store_has_its_own_id_style_and_paths() {
    let w = world();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    for store in STORES {
        for o in w.offers(store) {
            let id = o.external_id.as_str();
            match store {
                "amazon" => {
                    assert!(id.len() == 10 && id.starts_with("B0"), "{id}");
                    assert!(
                        id.bytes()
                            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
                    );
                    assert_eq!(o.url_path, format!("/dp/{id}"));
                }
                "walmart" => {
                    assert!(digits(id) && (9..=10).contains(&id.len()), "{id}");
                    assert!(o.url_path.starts_with("/ip/") && o.url_path.ends_with(id));
                }
                "bestbuy" => {
                    assert!(digits(id) && id.len() == 7, "{id}");
                    assert!(
                        o.url_path.starts_with("/site/")
                            && o.url_path.ends_with(&format!("/{id}.p"))
                    );
                }
                "target" => {
                    assert!(digits(id) && id.len() == 8, "{id}");
                    assert!(o.url_path.ends_with(&format!("/-/A-{id}")));
                }
                _ => {
                    let item = id.strip_prefix("v1|").and_then(|r| r.strip_suffix("|0"));
                    let item = item.unwrap();
                    assert!(digits(item) && item.len() == 12, "{id}");
                    assert_eq!(o.url_path, format!("/itm/{item}"));
                }
            }
            assert!(
                o.image_url.starts_with(&format!("/images/{store}/"))
                    && o.image_url.ends_with(".jpg")
            );
            assert!(
                !o.url_path.contains(' ') && !o.url_path.contains("--"),
                "{}",
                o.url_path
            );
        }
    }
}

#[test]
fn each_store_lists_55_to_80_percent_and_some_products_are_at_one_store_only() {
    let w = world();
    let total = w.catalog().len() as f64;
    let mut stores_of: HashMap<u32, HashSet<&str>> = HashMap::new();
    for store in STORES {
        let products: HashSet<u32> = w.offers(store).iter().map(|o| o.product).collect();
        let share = products.len() as f64 / total;
        assert!((0.55..=0.80).contains(&share), "{store}: {share}");
        for p in products {
            stores_of.entry(p).or_default().insert(store);
        }
    }
    assert_eq!(
        stores_of.len(),
        w.catalog().len(),
        "every product is listed somewhere"
    );
    assert!(stores_of.values().any(|s| s.len() == 1));
}

#[test]
fn the_same_product_has_a_different_title_at_every_store() {
    let w = world();
    let mut compared = 0;
    for p in w.catalog() {
        let offers: Vec<&StoreOffer> = w
            .offers_of(p.id)
            .into_iter()
            .filter(|o| o.condition == Condition::New)
            .collect();
        let mut by_store: HashMap<&str, &str> = HashMap::new();
        for o in &offers {
            by_store.entry(o.store).or_insert(o.title.as_str());
        }
        let titles: HashSet<&str> = by_store.values().copied().collect();
        assert_eq!(titles.len(), by_store.len(), "{}: {by_store:?}", p.name);
        compared += usize::from(by_store.len() > 1);
    }
    assert!(compared > 300);
}

#[test]
fn stores_show_what_they_really_show() {
    let w = world();
    for o in w.offers("bestbuy") {
        let p = w.product(o.product).unwrap();
        let gtin = o.gtin.as_deref().unwrap();
        assert!(deals_core::matching::valid_gtin(gtin));
        assert_eq!(gtin.len(), if p.gtin13.starts_with('0') { 12 } else { 13 });
        assert_eq!(o.model.as_deref(), Some(p.model.as_str()));
        assert_eq!(o.seller_name, "Best Buy");
    }
    assert!(
        w.offers("amazon")
            .iter()
            .all(|o| o.gtin.is_none() && o.brand.is_some() && o.model.is_some())
    );
    assert!(
        w.offers("target")
            .iter()
            .all(|o| o.gtin.is_none() && o.seller_name == "Target")
    );
    let walmart_gtins = w
        .offers("walmart")
        .iter()
        .filter(|o| o.gtin.is_some())
        .count();
    assert!(walmart_gtins > 0 && walmart_gtins < w.offers("walmart").len());
    let ebay = w.offers("ebay");
    assert!(ebay.iter().any(|o| o.brand.is_none()) && ebay.iter().any(|o| o.mpn.is_some()));
    for condition in [Condition::Used, Condition::Refurbished, Condition::OpenBox] {
        assert!(ebay.iter().any(|o| o.condition == condition), "{condition}");
    }
    assert!(
        w.offers("amazon")
            .iter()
            .any(|o| o.condition == Condition::Refurbished && o.title.ends_with("(Renewed)"))
    );
    assert!(
        w.offers("bestbuy")
            .iter()
            .any(|o| o.condition == Condition::OpenBox)
    );
    assert!(
        w.offers("amazon")
            .iter()
            .any(|o| o.seller_name == "Amazon.com")
    );
    for o in w.all_offers() {
        if let Some(r) = o.seller_rating {
            assert!(
                (3.2..=5.0).contains(&r) || o.store == "ebay" && (4.4..=5.0).contains(&r),
                "{r}"
            );
        }
        assert!(o.shipping_cents >= 0);
        if o.store == "ebay" {
            assert!(o.title.len() <= 80, "{}", o.title);
        }
    }
}

#[test]
fn a_store_category_ends_in_the_category_leaf_or_a_synonym() {
    let w = world();
    let synonyms = |leaf: &str| -> &'static [&'static str] {
        match leaf {
            "tvs" => &["tvs", "televisions"],
            "smartphones" => &["smartphones", "cell phones"],
            "storage" => &["storage"],
            "air-quality" => &["air quality", "air purifiers", "humidifiers"],
            "smartwatches" => &["smartwatches", "smart watches"],
            "vacuums" => &["vacuums", "vacuum cleaners"],
            "laptops" => &["laptops"],
            "tablets" => &["tablets"],
            "cameras" => &["cameras"],
            "kitchen" => &["kitchen"],
            "headphones" => &["headphones"],
            "speakers" => &["speakers"],
            "soundbars" => &["soundbars"],
            "monitors" => &["monitors"],
            "networking" => &["networking"],
            "consoles" => &["consoles"],
            _ => &["accessories"],
        }
    };
    for o in w.all_offers() {
        let p = w.product(o.product).unwrap();
        let last = o
            .category
            .rsplit(['>', '›', '/'])
            .next()
            .unwrap()
            .trim()
            .to_lowercase();
        assert!(
            synonyms(p.leaf()).iter().any(|s| last.contains(s)),
            "{} → {}",
            p.category,
            o.category
        );
    }
}

#[test]
fn one_seed_gives_one_world_and_another_seed_another() {
    let a = SimWorld::new(SimConfig::default());
    let b = SimWorld::new(SimConfig::default());
    let c = SimWorld::new(SimConfig {
        seed: 7,
        ..SimConfig::default()
    });
    for store in STORES {
        assert_eq!(a.offers(store), b.offers(store));
        assert_ne!(a.offers(store), c.offers(store));
    }
    let t = at(&a, 12_345);
    let quotes = |w: &SimWorld| {
        w.offers("amazon")
            .iter()
            .map(|o| w.quote(o, t))
            .collect::<Vec<_>>()
    };
    assert_eq!(quotes(&a), quotes(&b));
}

#[test]
fn prices_stay_within_sane_bounds_of_the_list_price() {
    let w = world();
    for (i, o) in w.all_offers().enumerate().step_by(3) {
        let list = w.product(o.product).unwrap().list_price_cents as f64;
        for day in [0, 17, 45, 89] {
            let q = w.quote(o, at(&w, day * 1_440 + i as i64));
            let price = q.price_cents as f64;
            assert!(
                q.price_cents > 0 && price <= list * 1.1 && price >= list * 0.03,
                "{o:?} {q:?}"
            );
            if let Some(was) = q.was_cents {
                assert!(was > q.price_cents, "{q:?}");
            }
            let cents = q.price_cents % 100;
            assert!([0, 95, 99].contains(&cents), "{cents}");
        }
    }
}

#[test]
fn every_kind_of_event_happens_within_ninety_days_and_glitches_are_short() {
    let w = world();
    let (from, to) = (at(&w, -90 * 1_440), at(&w, 0));
    let mut seen: HashMap<SimEvent, usize> = HashMap::new();
    for store in STORES {
        for (o, span) in w.events_between(store, from, to) {
            *seen.entry(span.event).or_default() += 1;
            if span.event == SimEvent::Glitch {
                let minutes = (span.end - span.start).num_minutes();
                assert!((9..=31).contains(&minutes), "{minutes}");
                let mid = span.start + (span.end - span.start) / 2;
                let q = w.quote(o, mid);
                assert_eq!(q.event, Some(SimEvent::Glitch));
                let before = w.quote(o, span.start - Duration::minutes(10));
                let regular = match before.event {
                    Some(SimEvent::Sale) => before.was_cents.unwrap(),
                    _ => before.price_cents,
                };
                assert!(
                    q.price_cents * 100 <= regular * 45,
                    "{} vs {regular}",
                    q.price_cents
                );
            }
            if span.event == SimEvent::StockOut {
                let q = w.quote(o, span.start + Duration::seconds(1));
                assert_eq!(q.availability, Availability::OutOfStock);
            }
        }
    }
    for event in [
        SimEvent::Sale,
        SimEvent::Glitch,
        SimEvent::FakeDiscount,
        SimEvent::StockOut,
        SimEvent::BackInStock,
    ] {
        assert!(
            seen.get(&event).copied().unwrap_or(0) > 0,
            "{event:?}: {seen:?}"
        );
    }
}

#[test]
fn sales_show_the_regular_price_as_was_and_fake_discounts_inflate_it() {
    let w = world();
    let (from, to) = (at(&w, -30 * 1_440), at(&w, 0));
    let (mut sales, mut fakes) = (0, 0);
    for (o, span) in w.events_between("amazon", from, to) {
        let mid = span.start + (span.end - span.start) / 2;
        let q = w.quote(o, mid);
        match (span.event, q.event) {
            (SimEvent::Sale, Some(SimEvent::Sale)) => {
                let was = q.was_cents.unwrap();
                assert!(
                    q.price_cents as f64 <= was as f64 * 0.86
                        && q.price_cents as f64 >= was as f64 * 0.64
                );
                sales += 1;
            }
            (SimEvent::FakeDiscount, Some(SimEvent::FakeDiscount)) => {
                assert!(q.was_cents.unwrap() as f64 >= q.price_cents as f64 * 1.2);
                fakes += 1;
            }
            _ => {}
        }
    }
    assert!(sales > 0 && fakes > 0);
}

#[test]
fn at_speed_one_several_offers_change_price_in_every_minute() {
    let w = world();
    for window in 0..12 {
        let t = at(&w, window * 97) + Duration::seconds(window * 13);
        let later = t + Duration::seconds(60);
        let changed = w
            .all_offers()
            .filter(|o| w.quote(o, t).price_cents != w.quote(o, later).price_cents)
            .count();
        assert!(changed >= 3, "window {window}: {changed}");
    }
}

#[test]
fn speed_makes_prices_move_faster() {
    let slow = world();
    let fast = SimWorld::new(SimConfig {
        speed: 60.0,
        ..SimConfig::default()
    });
    let changes = |w: &SimWorld| {
        let (t, later) = (at(w, 10), at(w, 11));
        w.all_offers()
            .filter(|o| w.quote(o, t).price_cents != w.quote(o, later).price_cents)
            .count()
    };
    assert!(changes(&fast) > 5 * changes(&slow));
}

#[test]
fn history_covers_ninety_days_daily_and_agrees_with_quote() {
    let w = world();
    let o = &w.offers("bestbuy")[3];
    let (from, to) = (at(&w, -90 * 1_440), at(&w, 0));
    let daily = w.history(o, from, to);
    assert_eq!(daily.len(), 91);
    assert_eq!(daily[0].0, from);
    for (t, price) in &daily {
        assert_eq!(w.quote(o, *t).price_cents, *price);
    }
    let detailed = w.history(o, at(&w, -2 * 1_440), to);
    assert!(detailed.len() > 10);
    for pair in detailed.windows(2) {
        let ((t0, p0), (t1, p1)) = (pair[0], pair[1]);
        assert_ne!(p0, p1);
        assert_eq!(w.quote(o, t1).price_cents, p1);
        assert_eq!(w.quote(o, t1 - Duration::milliseconds(1)).price_cents, p0);
        assert_eq!(w.quote(o, t0 + (t1 - t0) / 2).price_cents, p0);
    }
}

#[test]
fn scheduled_moods_exist_with_chaos_and_never_without() {
    let chaotic = world();
    let calm = SimWorld::new(SimConfig {
        chaos: false,
        ..SimConfig::default()
    });
    let mut kinds = HashSet::new();
    for minute in 0..(7 * 1_440) {
        for store in STORES {
            let t = at(&chaotic, minute);
            let mood = chaotic.mood(store, t);
            kinds.insert(std::mem::discriminant(&mood));
            assert_eq!(calm.mood(store, t), StoreMood::Normal);
        }
    }
    assert_eq!(
        kinds.len(),
        4,
        "normal, slow, rate-limited and unavailable all occur"
    );
    let abnormal = (0..1_440)
        .filter(|m| chaotic.mood("amazon", at(&chaotic, *m)) != StoreMood::Normal)
        .count();
    assert!(
        abnormal < 1_440 / 10,
        "moods are rare: {abnormal} minutes of a day"
    );
}

#[test]
fn a_mood_override_wins_until_cleared() {
    let w = SimWorld::new(SimConfig {
        chaos: false,
        ..SimConfig::default()
    });
    let t = at(&w, 5);
    assert!(w.set_mood_override("walmart", Some(StoreMood::Unavailable)));
    assert_eq!(w.mood("walmart", t), StoreMood::Unavailable);
    assert_eq!(w.mood("target", t), StoreMood::Normal);
    assert!(w.set_mood_override("walmart", None));
    assert_eq!(w.mood("walmart", t), StoreMood::Normal);
    assert!(!w.set_mood_override("newegg", Some(StoreMood::Unavailable)));
}

#[test]
fn noise_cancelling_headphones_come_first_at_every_store() {
    let w = world();
    for store in STORES {
        let hits = w.search(store, "noise cancelling headphones");
        assert!(hits.len() >= 10, "{store}: {}", hits.len());
        for o in hits.iter().take(10) {
            let p = w.product(o.product).unwrap();
            assert_eq!(p.category, "audio/headphones", "{store}: {}", o.title);
        }
    }
}

#[test]
fn a_model_search_finds_that_model_first() {
    let w = world();
    for store in STORES {
        let xm5 = w
            .catalog()
            .iter()
            .find(|p| p.model == "WH-1000XM5")
            .unwrap();
        if w.offers(store).iter().all(|o| o.product != xm5.id) {
            continue;
        }
        for query in ["sony wh-1000xm5", "Sony WH1000XM5"] {
            let hits = w.search(store, query);
            assert_eq!(
                hits.first().map(|o| o.product),
                Some(xm5.id),
                "{store} {query}"
            );
            assert!(
                hits.iter()
                    .all(|o| w.product(o.product).unwrap().model != "WH-1000XM4")
            );
        }
    }
    assert!(w.search("amazon", "zzzz nothing").is_empty());
    assert_eq!(w.search("amazon", "").len(), w.offers("amazon").len());
}
