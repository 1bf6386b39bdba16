//! Demo data for a first run: a demo account with two goals, and a small catalogue of real
//! products listed at the five stores with 90 days of deterministic price history.

use anyhow::Context;
use chrono::Duration;
use deals_core::{Availability, Condition, Email, GoalCriteria, Password, Priority, Role};
use deals_store::entity::product;
use deals_store::repo::goals::NewGoal;
use deals_store::repo::listings::NewListing;
use deals_store::repo::users::NewUser;
use deals_store::{Store, StoreError, now};
use uuid::Uuid;

/// E-mail of the demo account.
pub const DEMO_EMAIL: &str = "demo@agentic-deals.local";
/// Password of the demo account (documented in the README; change it or delete the account).
pub const DEMO_PASSWORD: &str = "demo-password";

/// brand, model, title, category, GTIN-13, list price (cents).
const CATALOG: &[(&str, &str, &str, &str, &str, i64)] = &[
    (
        "sony",
        "WH-1000XM5",
        "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
        "audio/headphones",
        "4548736132610",
        39_999,
    ),
    (
        "bose",
        "QC Ultra",
        "Bose QuietComfort Ultra Wireless Noise Cancelling Headphones",
        "audio/headphones",
        "0017817841795",
        42_900,
    ),
    (
        "apple",
        "AirPods Pro 2",
        "Apple AirPods Pro (2nd generation) with USB-C",
        "audio/headphones",
        "0195949052484",
        24_900,
    ),
    (
        "sennheiser",
        "Momentum 4",
        "Sennheiser Momentum 4 Wireless Headphones",
        "audio/headphones",
        "4044155254261",
        37_995,
    ),
    (
        "samsung",
        "QN65Q80C",
        "Samsung 65\" Q80C QLED 4K Smart TV",
        "tv/tvs",
        "8806094768882",
        129_999,
    ),
    (
        "lg",
        "OLED55C3PUA",
        "LG 55\" C3 OLED evo 4K Smart TV",
        "tv/tvs",
        "0195174049372",
        149_999,
    ),
    (
        "apple",
        "MacBook Air M3 13",
        "Apple MacBook Air 13\" M3 8GB 256GB",
        "computers/laptops",
        "0195949131103",
        109_900,
    ),
    (
        "dell",
        "XPS 13 9340",
        "Dell XPS 13 9340 Laptop Intel Core Ultra 7 16GB 512GB",
        "computers/laptops",
        "0884116459872",
        139_999,
    ),
    (
        "nintendo",
        "Switch OLED",
        "Nintendo Switch OLED Model with White Joy-Con",
        "gaming/consoles",
        "0045496883386",
        34_999,
    ),
    (
        "sony",
        "PS5 Slim",
        "Sony PlayStation 5 Slim Console 1TB",
        "gaming/consoles",
        "0711719577171",
        49_999,
    ),
    (
        "dyson",
        "V15 Detect",
        "Dyson V15 Detect Cordless Vacuum",
        "home/vacuums",
        "5025155049808",
        74_999,
    ),
    (
        "instant pot",
        "Duo 7-in-1 6qt",
        "Instant Pot Duo 7-in-1 Electric Pressure Cooker 6 Quart",
        "home/kitchen",
        "0853084004187",
        9_999,
    ),
];

const MARKETS: &[&str] = &["amazon", "walmart", "bestbuy", "target", "ebay"];

/// A small deterministic generator (SplitMix64), so the demo looks the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Loads the demo data unless the demo account exists already.
pub async fn load_demo(store: &Store) -> anyhow::Result<()> {
    let email = Email::parse(DEMO_EMAIL).context("demo e-mail")?;
    if store.find_user_by_email(&email).await?.is_some() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let mut rng = Rng(42);
    let mut listing_ids = Vec::new();
    let start = now() - Duration::days(90);
    for (i, (brand, model, title, category, gtin, list)) in CATALOG.iter().enumerate() {
        let product = store
            .find_or_create_product(product::Model {
                id: Uuid::now_v7(),
                title: (*title).into(),
                brand: Some((*brand).into()),
                model: Some((*model).into()),
                gtin: Some((*gtin).into()),
                mpn: None,
                category: Some((*category).into()),
                created_at: now(),
            })
            .await?;
        for (m, market) in MARKETS.iter().enumerate() {
            // Each store carries about three quarters of the catalogue.
            if (i + m) % 4 == 3 {
                continue;
            }
            let base = *list as f64 * (0.78 + 0.2 * rng.unit());
            let condition = if *market == "ebay" && i % 2 == 0 {
                Condition::Refurbished
            } else {
                Condition::New
            };
            let mut listing = NewListing {
                product_id: Some(product.id),
                owner_id: None,
                market: (*market).into(),
                external_id: format!("{}-{}", market, &gtin[gtin.len() - 8..]),
                url: format!("https://www.{market}.com/demo/{gtin}"),
                title: (*title).into(),
                brand: Some((*brand).into()),
                category: Some((*category).into()),
                price_minor: 0,
                original_price_minor: Some(*list),
                currency: "USD".into(),
                condition,
                seller_name: Some(if *market == "ebay" {
                    "top-rated-seller".into()
                } else {
                    (*market).into()
                }),
                seller_rating: Some(4.0 + (rng.unit() * 10.0).round() / 10.0),
                availability: Availability::InStock,
                shipping_minor: if *market == "ebay" { Some(599) } else { None },
                image_url: None,
                seen_at: start,
                flags: vec![],
            };
            // A weekly observation for 90 days: a random walk around the base price with a sale.
            let mut price = base;
            let mut last = None;
            for day in (0..=90).step_by(7) {
                price =
                    (price * (0.96 + 0.08 * rng.unit())).clamp(*list as f64 * 0.55, *list as f64);
                if day == 84 && (i + m) % 3 == 0 {
                    price *= 0.85;
                }
                listing.price_minor = ((price / 100.0).round() as i64) * 100 - 1;
                listing.seen_at = start + Duration::days(day);
                last = Some(store.upsert_listing(listing.clone()).await?.listing.id);
            }
            listing_ids.extend(last);
        }
    }
    // Every demo deal is scored, so the first page a newcomer sees is ranked and explained.
    for id in listing_ids {
        crate::analysis::analyze_listing(store, id).await?;
    }

    // The account comes last: it marks the demo as loaded, and everything before it is an
    // idempotent upsert, so an interrupted load completes on the next start.
    let password = Password::parse(DEMO_PASSWORD).context("demo password")?;
    let password_hash = crate::auth::password::hash(password).await?;
    let new_user = NewUser {
        email,
        name: Some("Demo".into()),
        password_hash,
        role: Role::User,
    };
    let user = match store.create_user(new_user).await {
        Ok(user) => user,
        Err(StoreError::Conflict(_)) => {
            tracing::info!("demo data loaded by another process");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };

    let headphones = GoalCriteria::parse(
        serde_json::from_value(serde_json::json!({
            "keywords": ["noise cancelling", "headphones"],
            "brands": ["sony", "bose"],
            "conditions": ["new"],
            "max_price": "300"
        }))
        .context("demo criteria")?,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_goal(NewGoal {
            user_id: user.id,
            title: "Sony or Bose noise-cancelling headphones under $300".into(),
            query: Some("Sony or Bose noise cancelling headphones under $300, new".into()),
            criteria: headphones,
            priority: Priority::High,
            deadline: None,
            max_matches: 50,
            notify_threshold: 0.7,
            target_price_minor: Some(27_900),
        })
        .await?;
    let tv = GoalCriteria::parse(
        serde_json::from_value(serde_json::json!({"keywords": ["oled", "tv"], "categories": ["tv/tvs"], "max_price": "1400"}))
            .context("demo criteria")?,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    store
        .create_goal(NewGoal {
            user_id: user.id,
            title: "OLED TV under $1,400".into(),
            query: Some("55 inch OLED TV under $1400".into()),
            criteria: tv,
            priority: Priority::Medium,
            deadline: None,
            max_matches: 50,
            notify_threshold: 0.7,
            target_price_minor: None,
        })
        .await?;
    tracing::info!(
        email = DEMO_EMAIL,
        "demo data loaded (the demo password is in the README)"
    );
    Ok(())
}
