//! Demo data for a first run: a demo account with two goals, and products of the simulated
//! marketplace as its five stores list them, with the simulator's own prices over 90 days (so
//! the first searches update these listings instead of adding copies).

use anyhow::Context;
use chrono::Duration;
use deals_core::{Currency, Email, GoalCriteria, Password, Priority, Role};
use deals_markets::sim::{CatalogProduct, SimWorld};
use deals_store::repo::goals::NewGoal;
use deals_store::repo::listings::{NewListing, NewProduct};
use deals_store::repo::users::NewUser;
use deals_store::{Store, StoreError, now};

/// E-mail of the demo account.
pub const DEMO_EMAIL: &str = "demo@agentic-deals.local";
/// Password of the demo account (documented in the README; change it or delete the account).
pub const DEMO_PASSWORD: &str = "demo-password";

/// Categories the demo catalogue draws from, with how many products of each.
const DEMO_CATEGORIES: &[(&str, usize)] = &[
    ("audio/headphones", 14),
    ("tv/tvs", 8),
    ("computers/laptops", 3),
    ("gaming/consoles", 3),
    ("home/vacuums", 2),
    ("home/kitchen", 2),
];

/// Days of price history the demo starts with.
const HISTORY_DAYS: i64 = 90;

/// The store's public site, for the demo listings' links until the simulator is searched
/// (its answers then replace them with the simulator's own pages).
fn store_site(store: &str) -> &'static str {
    match store {
        "amazon" => "https://www.amazon.com",
        "walmart" => "https://www.walmart.com",
        "bestbuy" => "https://www.bestbuy.com",
        "target" => "https://www.target.com",
        _ => "https://www.ebay.com",
    }
}

/// The demo products: the first products of each demo category in the simulator's catalogue.
fn demo_products(world: &SimWorld) -> Vec<&'static CatalogProduct> {
    DEMO_CATEGORIES
        .iter()
        .flat_map(|(category, n)| {
            world
                .catalog()
                .iter()
                .filter(move |p| p.category == *category)
                .take(*n)
        })
        .collect()
}

/// Tokens the demo account starts with.
pub const DEMO_TOKENS: deals_core::TokenAmount = deals_core::TokenAmount::whole(100);

/// Loads the demo data unless the demo account exists already.
pub async fn load_demo(store: &Store, world: &SimWorld) -> anyhow::Result<()> {
    let email = Email::parse(DEMO_EMAIL).context("demo e-mail")?;
    if store.find_user_by_email(&email).await?.is_some() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let mut listing_ids = Vec::new();
    let at = now();
    for p in demo_products(world) {
        let product = store
            .find_or_create_product(NewProduct {
                title: p.name.clone(),
                brand: Some(p.brand.to_lowercase()),
                model: Some(p.model.clone()),
                gtin: Some(p.gtin13.clone()),
                mpn: p.mpn.clone(),
                category: Some(p.category.clone()),
            })
            .await?;
        for offer in world.offers_of(p.id) {
            let quote = world.quote(offer, at);
            let mut listing = NewListing {
                product_id: Some(product.id),
                owner_id: None,
                market: offer.store.into(),
                external_id: offer.external_id.clone(),
                url: format!("{}{}", store_site(offer.store), offer.url_path),
                title: offer.title.clone(),
                brand: offer.brand.as_deref().map(str::to_lowercase),
                category: Some(offer.category.to_lowercase()),
                price_minor: 0,
                original_price_minor: quote.was_cents,
                currency: Currency::USD,
                condition: offer.condition,
                seller_name: Some(offer.seller_name.clone()),
                seller_rating: offer.seller_rating,
                availability: quote.availability,
                shipping_minor: Some(offer.shipping_cents),
                image_url: None,
                seen_at: at,
                flags: vec![],
            };
            // The simulator's own prices, weekly over the last 90 days, then today's quote: the
            // same prices its stores answer with once searched.
            let mut last = None;
            let history = world.history(offer, at - Duration::days(HISTORY_DAYS), at);
            let weekly = history.into_iter().step_by(7);
            for (when, price) in weekly.chain([(at, quote.price_cents)]) {
                listing.price_minor = price;
                listing.seen_at = when;
                last = Some(store.upsert_listing(listing.clone()).await?.listing.id);
            }
            listing_ids.extend(last);
        }
    }
    // Every demo deal is scored, so the first page a newcomer sees is ranked and explained.
    for id in listing_ids {
        crate::deals::analysis::analyze_listing(store, id).await?;
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
    store
        .post_entry(deals_store::repo::tokens::NewEntry {
            user_id: user.id,
            kind: deals_core::EntryKind::SignupBonus,
            amount: DEMO_TOKENS.minor(),
            reason: "demo account".into(),
            reference: None,
            goal_id: None,
            key: format!("signup:{}", user.id),
        })
        .await?;

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
