//! Which store lists which catalogue product, and everything about the listing that does not
//! change with time: the store's id, title, category, seller, condition, shipping and paths.

use std::collections::HashSet;

use deals_core::Condition;

use super::StoreOffer;
use super::categories::store_category;
use super::hash::{between, hash, hash_at, pick, unit};
use super::titles::{TitleParts, title};
use crate::STORES;
use crate::sim::catalog::CatalogProduct;

/// Share of the catalogue each store lists, in [`STORES`] order.
const COVERAGE: [f64; 5] = [0.76, 0.68, 0.62, 0.58, 0.70];

const AMAZON_SELLERS: [&str; 10] = [
    "Beach Camera",
    "Adorama",
    "Electronic Express",
    "World Wide Stereo",
    "6ave Electronics",
    "BuyDig",
    "Focus Camera",
    "Crutchfield",
    "TechnoWorld US",
    "Dealzilla LLC",
];
const WALMART_SELLERS: [&str; 6] = [
    "Beach Camera",
    "Adorama",
    "Tech Galaxy Inc",
    "BuyDig",
    "Bluedeal Inc",
    "Electronic Express",
];
const EBAY_SELLERS: [&str; 12] = [
    "tech_liquidators",
    "audio.depot.usa",
    "gadgetflip22",
    "certified-refurb-hub",
    "deals4days_",
    "jbriggs_audio",
    "electronics-empire",
    "mikes_tech_finds",
    "cameracorner_ny",
    "the_gadget_attic",
    "rerun_electronics",
    "bluewave-outlet",
];

/// Builds every store's offers (unsorted), store by store in [`STORES`] order.
pub(crate) fn build_offers(seed: u64, catalog: &[CatalogProduct]) -> Vec<Vec<StoreOffer>> {
    let mut out: Vec<Vec<StoreOffer>> = vec![Vec::new(); STORES.len()];
    let mut taken: Vec<HashSet<String>> = vec![HashSet::new(); STORES.len()];
    for p in catalog {
        let key = hash(seed, &[u64::from(p.id)]);
        let mut stores: Vec<usize> = (0..STORES.len())
            .filter(|&s| unit(hash_at(key, STORES[s], 0)) < COVERAGE[s])
            .collect();
        if stores.is_empty() {
            stores.push((hash_at(key, "fallback", 0) % STORES.len() as u64) as usize);
        }
        let colour = colour(key, p);
        for s in stores {
            let store_key = hash_at(key, STORES[s], 1);
            for (n, condition) in conditions(s, store_key).into_iter().enumerate() {
                let offer_key = hash_at(store_key, "offer", n as i64);
                let (external_id, short_id) = unique_id(s, offer_key, &mut taken[s]);
                let parts = TitleParts {
                    p,
                    key: offer_key,
                    colour,
                    condition,
                };
                out[s].push(offer(s, &parts, external_id, &short_id));
            }
        }
    }
    out
}

/// The conditions a store lists a product in: one new offer, plus amazon renewed and bestbuy
/// open-box variants now and then; ebay one or two listings in any condition.
fn conditions(store: usize, key: u64) -> Vec<Condition> {
    let chance = |what: &str| unit(hash_at(key, what, 0));
    match STORES[store] {
        "amazon" if chance("renewed") < 0.15 => vec![Condition::New, Condition::Refurbished],
        "bestbuy" if chance("open-box") < 0.18 => vec![Condition::New, Condition::OpenBox],
        "ebay" => {
            let draw = |n: i64| match unit(hash_at(key, "ebay-condition", n)) {
                x if x < 0.45 => Condition::New,
                x if x < 0.70 => Condition::Used,
                x if x < 0.90 => Condition::Refurbished,
                _ => Condition::OpenBox,
            };
            let mut list = vec![draw(0)];
            if chance("ebay-second") < 0.25 {
                list.push(draw(1));
            }
            list
        }
        _ => vec![Condition::New],
    }
}

/// A fresh store id (and the short form used in image paths), unique within the store.
fn unique_id(store: usize, key: u64, taken: &mut HashSet<String>) -> (String, String) {
    let mut salt = 0;
    loop {
        let h = hash_at(key, "id", salt);
        let short = match STORES[store] {
            "amazon" => {
                const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
                let tail: String = (0..8)
                    .map(|i| char::from(pick(hash_at(h, "asin", i), ALNUM)))
                    .collect();
                format!("B0{tail}")
            }
            "walmart" => {
                let digits = 9 + (h % 2) as u32;
                let low = 10u64.pow(digits - 1);
                (low + hash_at(h, "wm", 0) % (9 * low)).to_string()
            }
            "bestbuy" => (6_000_000 + h % 650_000).to_string(),
            "target" => (10_000_000 + h % 84_000_000).to_string(),
            _ => (110_000_000_000 + h % 290_000_000_000).to_string(),
        };
        if taken.insert(short.clone()) {
            let external = if STORES[store] == "ebay" {
                format!("v1|{short}|0")
            } else {
                short.clone()
            };
            return (external, short);
        }
        salt += 1;
    }
}

/// The colour the product is sold in, when its category comes in colours.
fn colour(key: u64, p: &CatalogProduct) -> Option<&'static str> {
    let apple = p.brand == "Apple";
    let palette: &[&str] = match p.category.as_str() {
        "audio/headphones" if apple && p.model.contains("Max") => {
            &["Space Gray", "Silver", "Sky Blue", "Pink"]
        }
        "audio/headphones" if apple => &["White"],
        "audio/headphones" => &["Black", "Silver", "White", "Midnight Blue"],
        "audio/speakers" if apple => &["White", "Midnight"],
        "audio/speakers" => &["Black", "Blue", "Red", "White"],
        "computers/laptops" if apple => &["Space Gray", "Silver", "Midnight", "Starlight"],
        "computers/laptops" => &["Silver", "Black", "Platinum", "Gray"],
        "computers/tablets" if apple => &["Space Gray", "Silver", "Blue", "Purple"],
        "computers/tablets" => &["Graphite", "Silver", "Gray"],
        "phones/smartphones" if apple => &["Black", "White", "Blue", "Pink"],
        "phones/smartphones" => &["Black", "Blue", "Green", "Titanium Gray"],
        "wearables/smartwatches" if apple => &["Midnight", "Starlight", "Silver"],
        "wearables/smartwatches" => &["Black", "Silver", "Pink Gold"],
        "gaming/accessories" => &["Black", "White"],
        "home/kitchen" => &["Black", "Stainless Steel", "Empire Red", "White"],
        "home/air-quality" => &["White", "Black"],
        _ => return None,
    };
    Some(pick(hash_at(key, "colour", 0), palette))
}

/// A URL slug from a title: lowercase alphanumeric words joined by `-`, at most ten.
fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(10)
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// The GTIN as a store prints it: UPC-A (12 digits) when the GTIN-13 starts with 0.
fn shown_gtin(gtin13: &str) -> String {
    gtin13.strip_prefix('0').unwrap_or(gtin13).to_owned()
}

/// A rating rounded to `places` decimals.
fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Builds one offer.
fn offer(store: usize, t: &TitleParts<'_>, external_id: String, short_id: &str) -> StoreOffer {
    let p = t.p;
    let key = t.key;
    let chance = |what: &str| unit(hash_at(key, what, 0));
    let popularity = unit(hash(u64::from(p.id), &[0x5EED])).powi(2);
    let title = title(store, t);
    let cheap = p.list_price_cents < 3_500;
    let first_party_shipping = if cheap { 599 } else { 0 };
    let name = STORES[store];
    let (seller_name, seller_rating, review_count, shipping_cents) = match name {
        "amazon" if t.condition == Condition::New && chance("3p") >= 0.35 => (
            "Amazon.com".to_owned(),
            None,
            20 + (popularity * 60_000.0) as u32,
            first_party_shipping,
        ),
        "amazon" => (
            pick(hash_at(key, "seller", 0), &AMAZON_SELLERS).to_owned(),
            Some(round_to(between(hash_at(key, "rating", 0), 3.2, 5.0), 1)),
            (chance("reviews") * 900.0) as u32,
            if chance("ship") < 0.6 {
                0
            } else {
                499 + 100 * (hash_at(key, "ship", 1) % 10) as i64
            },
        ),
        "walmart" if chance("3p") < 0.7 => (
            "Walmart.com".to_owned(),
            None,
            (popularity * 4_000.0) as u32,
            if cheap { 699 } else { 0 },
        ),
        "walmart" => (
            pick(hash_at(key, "seller", 0), &WALMART_SELLERS).to_owned(),
            Some(round_to(between(hash_at(key, "rating", 0), 3.5, 5.0), 1)),
            (popularity * 4_000.0) as u32,
            if chance("ship") < 0.5 { 0 } else { 599 },
        ),
        "bestbuy" => (
            "Best Buy".to_owned(),
            None,
            5 + (popularity * 9_000.0) as u32,
            first_party_shipping,
        ),
        "target" => (
            "Target".to_owned(),
            None,
            (popularity * 1_500.0) as u32,
            first_party_shipping,
        ),
        _ => {
            let feedback_pct = between(hash_at(key, "feedback", 0), 88.0, 100.0);
            let feedback_count = 15 + (chance("feedback-count").powi(3) * 250_000.0) as u32;
            let shipping = if chance("ship") < 0.55 {
                0
            } else {
                499 + 100 * (hash_at(key, "ship", 1) % 20) as i64
            };
            (
                pick(hash_at(key, "seller", 0), &EBAY_SELLERS).to_owned(),
                Some(round_to(feedback_pct / 20.0, 2)),
                feedback_count,
                shipping,
            )
        }
    };
    let s = slug(&title);
    let url_path = match name {
        "amazon" => format!("/dp/{external_id}"),
        "walmart" => format!("/ip/{s}/{external_id}"),
        "bestbuy" => format!("/site/{s}/{external_id}.p"),
        "target" => format!("/p/{s}/-/A-{external_id}"),
        _ => format!("/itm/{short_id}"),
    };
    let shows = |what: &str, share: f64| chance(what) < share;
    StoreOffer {
        store: name,
        image_url: format!("/images/{name}/{short_id}.jpg"),
        external_id,
        product: p.id,
        title,
        brand: (name != "ebay" || shows("brand", 0.75)).then(|| p.brand.clone()),
        model: match name {
            "amazon" | "bestbuy" => Some(p.model.clone()),
            "walmart" => shows("model", 0.6).then(|| p.model.clone()),
            "ebay" => shows("model", 0.4).then(|| p.model.clone()),
            _ => None,
        },
        gtin: match name {
            "bestbuy" => Some(shown_gtin(&p.gtin13)),
            "walmart" => shows("gtin", 0.55).then(|| shown_gtin(&p.gtin13)),
            "ebay" => shows("gtin", 0.35).then(|| shown_gtin(&p.gtin13)),
            _ => None,
        },
        mpn: if name == "ebay" && shows("mpn", 0.6) {
            p.mpn.clone()
        } else {
            None
        },
        category: store_category(store, p),
        condition: t.condition,
        seller_name,
        seller_rating,
        review_count,
        shipping_cents,
        url_path,
    }
}
