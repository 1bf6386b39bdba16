//! Matching benchmarks: one new listing against an index of 100 000 active goals (target
//! < 1 ms), and same-product throughput.
//!
//! The cost of matching a listing grows with the goals that share a term with it
//! (`candidates`) and, for `matches`, with the goals it matches (each gets its reasons as
//! text), so two listings are measured: a popular product and a narrower one. `scores` is the
//! same matching without the reason texts.
//!
//! The goals are generated deterministically (xorshift, fixed seed) from a vocabulary of
//! brands, categories, product families with model numbers and generic words: each goal has
//! one to three keywords (70 % a product family, 30 % a generic word such as `wireless`), a
//! brand in 40 % of goals, a category in 30 %, a price ceiling in 60 %, an excluded word in
//! 20 %, and 0.5 % are constraint-only goals (always candidates).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use deals_core::matching::{
    GoalIndex, ListingFacts, ProductFeatures, ProductKey, SameProduct, same_product,
};
use deals_core::{Condition, GoalCriteria};
use serde_json::json;

const GOALS: u32 = 100_000;

const BRANDS: &str = concat!(
    "sony,samsung,apple,bose,lg,tcl,hisense,vizio,dell,hp,lenovo,asus,acer,msi,microsoft,",
    "nintendo,logitech,razer,corsair,jbl,sennheiser,beats,anker,dyson,shark,ninja,keurig,",
    "breville,instant,kitchenaid,canon,nikon,fujifilm,gopro,dji,garmin,fitbit,google,",
    "amazon,roku,philips,panasonic,sharp,toshiba,western digital,seagate,sandisk,crucial,",
    "kingston,netgear,tp-link,eero,ring,arlo,wyze,lego,hasbro,dewalt,milwaukee,makita",
);

const CATEGORIES: &str = concat!(
    "headphones,earbuds,tvs,laptops,monitors,phones,tablets,smartwatches,speakers,",
    "cameras,drones,consoles,video games,keyboards,mice,routers,storage,vacuums,",
    "coffee makers,blenders,air fryers,power tools,toys,smart home,security cameras,",
    "printers,projectors,soundbars,chargers,networking",
);

const FAMILIES: &str = concat!(
    "wh-{}xm,wf-{}xm,qn{}c,oled c{},galaxy s{},iphone {},ipad air {},xps {},thinkpad x{},",
    "zenbook {},rog strix g{},pixel {},galaxy tab s{},echo dot {},fire tv stick {},",
    "switch {},ps{},xbox series {},mx master {},g pro x{},k{} keyboard,hero {},mavic {},",
    "fenix {},charge {},flip {},quietcomfort {},soundlink {},airpods pro {},",
    "apple watch series {},v{} vacuum,eos r{},z{} camera,x-t{},sl{} soundbar,archer ax{},",
    "deco x{},wd blue {}tb,ssd {}tb,m{} macbook",
);

const GENERIC: &str = concat!(
    "wireless,noise cancelling,bluetooth,4k,gaming,portable,smart,black,white,silver,",
    "128gb,256gb,1tb,65 inch,55 inch,oled,qled,usb-c,mechanical,ergonomic,waterproof,",
    "refurbished,open box,bundle,pro,mini,ultra,lightweight,fast charging,hdr,wifi 6,",
    "mesh,robot,cordless,stainless steel,espresso,air fryer,kids,outdoor,over-ear",
);

const EXCLUDED: &str = "refurbished,case,used,for parts,renewed,cover";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 1000 < percent * 10
    }
    /// One entry of a comma-separated list.
    fn pick(&mut self, list: &'static str) -> &'static str {
        let n = list.split(',').count();
        list.split(',').nth(self.below(n)).unwrap()
    }
}

fn keyword(rng: &mut Rng) -> String {
    if rng.chance(70) {
        let n = 1 + rng.below(12);
        rng.pick(FAMILIES).replace("{}", &n.to_string())
    } else {
        rng.pick(GENERIC).to_owned()
    }
}

fn goal(rng: &mut Rng) -> GoalCriteria {
    if rng.next().is_multiple_of(200) {
        return GoalCriteria::from_json(
            json!({"max_price": 100 + rng.below(2000), "markets": ["ebay"]}),
        )
        .unwrap();
    }
    let keywords: Vec<String> = (0..1 + rng.below(3)).map(|_| keyword(rng)).collect();
    let mut v = json!({ "keywords": keywords });
    if rng.chance(40) {
        v["brands"] = json!([rng.pick(BRANDS)]);
    }
    if rng.chance(30) {
        v["categories"] = json!([rng.pick(CATEGORIES)]);
    }
    if rng.chance(60) {
        v["max_price"] = json!(50 + rng.below(3000));
    }
    if rng.chance(20) {
        v["exclude_keywords"] = json!([rng.pick(EXCLUDED)]);
    }
    GoalCriteria::from_json(v).unwrap_or_default()
}

fn index() -> GoalIndex<u32> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut index = GoalIndex::new();
    for k in 0..GOALS {
        index.insert(k, goal(&mut rng));
    }
    index
}

/// A popular product: many goals mention headphones, noise cancelling, wireless, black or Sony.
const POPULAR: ListingFacts<'static> = ListingFacts {
    title: "Sony WH-1000XM5 Wireless Noise Canceling Headphones - Black",
    brand: Some("Sony"),
    category: Some("Electronics > Audio > Headphones"),
    market: "amazon",
    condition: Condition::New,
    price_minor: 32_800,
    currency: "USD",
    seller_rating: Some(4.7),
};

/// A narrower product: its words are in no generic keyword; only its brand and category
/// bring candidates.
const NICHE: ListingFacts<'static> = ListingFacts {
    title: "LEGO Star Wars Millennium Falcon 75257 Building Set",
    brand: Some("LEGO"),
    category: Some("Toys & Games > Building Toys"),
    market: "walmart",
    condition: Condition::New,
    price_minor: 15_999,
    currency: "USD",
    seller_rating: None,
};

fn goal_index(c: &mut Criterion) {
    let index = index();
    let mut g = c.benchmark_group("goal_index_100k");
    g.throughput(Throughput::Elements(1));
    for (name, listing) in [("popular", POPULAR), ("niche", NICHE)] {
        eprintln!(
            "{name}: {} goals, {} candidates, {} matches for {:?}",
            index.len(),
            index.candidates(&listing).len(),
            index.matches(&listing).len(),
            listing.title
        );
        g.bench_function(format!("{name}/matches"), |b| {
            b.iter(|| index.matches(black_box(&listing)))
        });
        g.bench_function(format!("{name}/scores"), |b| {
            b.iter(|| index.scores(black_box(&listing)))
        });
        g.bench_function(format!("{name}/candidates"), |b| {
            b.iter(|| index.candidates(black_box(&listing)))
        });
    }
    g.finish();
}

/// Listings of one search's kind, as five stores write them: the same products in several
/// styles (marketplace, retailer, seller), their variants and their accessories.
/// `(title, brand, model field or "")`.
const MIXED: &[(&str, &str, &str)] = &[
    (
        "Sony WH-1000XM5 Wireless Industry Leading Noise Canceling Headphones with Auto Noise Canceling Optimizer, Crystal Clear Hands-Free Calling, and Alexa Voice Control, Black",
        "Sony",
        "",
    ),
    (
        "Sony - WH-1000XM5 Wireless Noise-Canceling Over-the-Ear Headphones - Black",
        "Sony",
        "WH1000XM5/B",
    ),
    (
        "Sony WH1000XM5 Noise Canceling Wireless Headphones, Silver",
        "Sony",
        "WH1000XM5/S",
    ),
    (
        "SONY WH-1000XM5 BLACK BLUETOOTH HEADPHONES NEW SEALED",
        "Sony",
        "",
    ),
    (
        "Sony WH-1000XM4 Wireless Premium Noise Canceling Overhead Headphones with Mic, Black",
        "Sony",
        "WH1000XM4/B",
    ),
    (
        "Replacement Ear Pads for Sony WH-1000XM5 Headphones, Protein Leather Cushions",
        "Geekria",
        "",
    ),
    (
        "Hard Travel Case for Sony WH-1000XM5 Noise Cancelling Headphones",
        "Sony",
        "",
    ),
    (
        "Bose QuietComfort Ultra Wireless Noise Cancelling Headphones, Bluetooth, Black",
        "Bose",
        "880066-0100",
    ),
    (
        "Bose - QuietComfort Ultra Wireless Noise Cancelling Over-the-Ear Headphones - Black",
        "Bose",
        "880066-0100",
    ),
    (
        "Bose QuietComfort 45 Bluetooth Wireless Noise Cancelling Headphones - Triple Black",
        "Bose",
        "866724-0100",
    ),
    (
        "Apple AirPods Pro (2nd Generation) Wireless Ear Buds with USB-C Charging",
        "Apple",
        "MTJV3AM/A",
    ),
    (
        "Apple - AirPods Pro 2, Wireless Active Noise Cancelling Earbuds with USB-C - White",
        "Apple",
        "MTJV3AM/A",
    ),
    (
        "Apple AirPods 4 Wireless Earbuds, Bluetooth Headphones",
        "Apple",
        "MXP63LL/A",
    ),
    (
        "Silicone Case Cover for AirPods Pro 2nd Generation, Black",
        "Elago",
        "",
    ),
    (
        "Samsung 65\" Class QN90C Neo QLED 4K Smart TV (2023)",
        "Samsung",
        "QN65QN90CAFXZA",
    ),
    (
        "SAMSUNG 65-Inch Class Neo QLED 4K QN90C Series Mini LED Quantum HDR Smart TV",
        "Samsung",
        "",
    ),
    (
        "Samsung 55\" Class QN90C Neo QLED 4K Smart TV",
        "Samsung",
        "QN55QN90CAFXZA",
    ),
    (
        "Samsung 65\" Class QN85C Neo QLED 4K Smart TV (2023)",
        "Samsung",
        "QN65QN85CAFXZA",
    ),
    (
        "Nintendo Switch OLED Model with White Joy-Con",
        "Nintendo",
        "HEGSKAAAA",
    ),
    (
        "Nintendo Switch – OLED Model w/ White Joy-Con",
        "Nintendo",
        "",
    ),
    (
        "Nintendo Joy-Con (L)/(R) Controllers - Neon Red/Neon Blue",
        "Nintendo",
        "HACAJAEAA",
    ),
    ("Apple iPhone 15 128GB Black Unlocked", "Apple", ""),
    (
        "Apple iPhone 15, 256GB, Black - Unlocked (Renewed)",
        "Apple",
        "",
    ),
    (
        "Dell 27 Gaming Monitor S2721DGF 165Hz QHD",
        "Dell",
        "S2721DGF",
    ),
];

fn same_products(c: &mut Criterion) {
    let a = ProductKey {
        title: "Sony WH-1000XM5 Wireless Industry Leading Noise Canceling Headphones with Auto Noise Canceling Optimizer, Crystal Clear Hands-Free Calling, and Alexa Voice Control, Black",
        brand: Some("Sony"),
        ..ProductKey::default()
    };
    let b = ProductKey {
        title: "Sony - WH-1000XM5 Wireless Noise-Canceling Over-the-Ear Headphones - Black",
        brand: Some("Sony"),
        mpn: Some("WH1000XM5/B"),
        ..ProductKey::default()
    };
    let (fa, fb) = (ProductFeatures::new(&a), ProductFeatures::new(&b));
    let mixed: Vec<ProductFeatures> = MIXED
        .iter()
        .map(|(title, brand, model)| {
            ProductFeatures::new(&ProductKey {
                title,
                brand: Some(brand),
                model: (!model.is_empty()).then_some(*model),
                ..ProductKey::default()
            })
        })
        .collect();
    let mut g = c.benchmark_group("same_product");
    g.throughput(Throughput::Elements(1));
    g.bench_function("from_keys", |bench| {
        bench.iter(|| same_product(black_box(&a), black_box(&b)))
    });
    g.bench_function("from_features", |bench| {
        bench.iter(|| black_box(&fa).same_as(black_box(&fb)))
    });
    g.finish();
    // Every ordered pair of the mixed listings, per pair: what ingest does when it links the
    // results of one search (the one pair above repeats, so the branch predictor learns it).
    let pairs = (mixed.len() * (mixed.len() - 1)) as u64;
    let mut g = c.benchmark_group("same_product");
    g.throughput(Throughput::Elements(pairs));
    g.bench_function(format!("from_features_mixed_{pairs}_pairs"), |bench| {
        bench.iter(|| {
            let mut same = 0;
            for (i, x) in mixed.iter().enumerate() {
                for (j, y) in mixed.iter().enumerate() {
                    if i != j && black_box(x).same_as(black_box(y)) != SameProduct::No {
                        same += 1;
                    }
                }
            }
            same
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = goal_index, same_products
}
criterion_main!(benches);
