//! Latency of the agents on the offline rules provider, through the whole runner (metering,
//! chain, rules, run record), and of the bare rules.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use async_trait::async_trait;
use deals_markets::{
    Market, MarketError, Offer, SearchQuery, SourceHealth, SourceKind, SourceStatus,
};

use criterion::{Criterion, criterion_group, criterion_main};
use deals_agents::Agents;
use deals_agents::agents::price::HistoryStats;
use deals_agents::agents::{
    Agent, EventKind, GoalAnalysisAgent, NotificationAgent, NotifyInput, PriceAnalysisAgent,
    PriceEvent, PriceInput,
};
use deals_core::{Availability, Condition, Currency, Preferences, Trend};
use uuid::Uuid;

const GOAL: &str = "Sony or Bose noise cancelling headphones under $300, new";

fn price_input() -> PriceInput {
    PriceInput {
        title: "Sony WH-1000XM5".into(),
        market: "bestbuy".into(),
        price_minor: 21_900,
        currency: Currency::USD,
        condition: Condition::New,
        seller_rating: Some(4.7),
        in_stock: true,
        reference_price_minor: Some(39_999),
        market_average_minor: Some(29_000),
        stores_compared: 4,
        history: HistoryStats {
            lowest_90_days_minor: Some(22_900),
            median_90_days_minor: Some(30_000),
            trend: Trend::Falling,
            points: 90,
        },
    }
}

fn notify_input() -> NotifyInput {
    NotifyInput {
        event: PriceEvent {
            kind: EventKind::LowestInDays,
            listing_title: "Sony WH-1000XM5".into(),
            store: "bestbuy".into(),
            price_minor: 21_900,
            currency: Currency::USD,
            target_price_minor: Some(25_000),
            previous_price_minor: Some(27_900),
            median_90_days_minor: Some(30_000),
            lowest_in_days: Some(90),
            stores_compared: Some(4),
            cheapest: true,
        },
        preferences: Preferences::default(),
    }
}

/// A store answering from memory with 20 offers, half of them headphones.
struct Shelf {
    name: &'static str,
    offers: Vec<Offer>,
}

#[async_trait]
impl Market for Shelf {
    fn name(&self) -> &str {
        self.name
    }
    fn kind(&self) -> SourceKind {
        SourceKind::Simulated
    }
    async fn search(&self, query: &SearchQuery) -> Result<Vec<Offer>, MarketError> {
        Ok(self
            .offers
            .iter()
            .filter(|o| query.accepts(o))
            .cloned()
            .collect())
    }
    async fn product(&self, id: &str) -> Result<Offer, MarketError> {
        Err(MarketError::NotFound(id.into()))
    }
    fn health(&self) -> SourceHealth {
        SourceHealth {
            name: self.name.into(),
            kind: SourceKind::Simulated,
            enabled: true,
            status: SourceStatus::Ok,
            last_success: None,
            last_error: None,
        }
    }
}

fn shelf(name: &'static str) -> Arc<dyn Market> {
    let titles = [
        (
            "Sony WH-1000XM5 Wireless Noise Cancelling Headphones",
            "Sony",
        ),
        (
            "Bose QuietComfort Ultra Noise Cancelling Headphones",
            "Bose",
        ),
        ("JBL Flip 6 Portable Speaker", "JBL"),
        ("Apple AirPods Pro 2 Noise Cancelling Earbuds", "Apple"),
    ];
    let offers = (0..20)
        .map(|i| {
            let (title, brand) = titles[i % titles.len()];
            Offer {
                market: name.into(),
                source: SourceKind::Simulated,
                external_id: format!("{name}-{i}"),
                url: format!("https://example.invalid/{name}/{i}"),
                title: title.into(),
                brand: Some(brand.into()),
                model: None,
                gtin: None,
                mpn: None,
                category: Some("Audio > Headphones".into()),
                price_minor: 15_000 + 1_000 * i as i64,
                original_price_minor: None,
                currency: "USD".into(),
                condition: Condition::New,
                seller_name: None,
                seller_rating: Some(4.5),
                seller_review_count: None,
                availability: Availability::InStock,
                shipping_minor: None,
                image_url: None,
                flags: Vec::new(),
            }
        })
        .collect();
    Arc::new(Shelf { name, offers })
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let agents = Agents::offline();
    let user = Uuid::nil();
    let price = price_input();
    let notify = notify_input();

    c.bench_function("goal_analysis/rules", |b| {
        b.iter(|| GoalAnalysisAgent::rules(black_box(GOAL)))
    });
    c.bench_function("goal_analysis/rules_typo_context_spec", |b| {
        b.iter(|| {
            GoalAnalysisAgent::rules(black_box(
                "a labtop for my daughter's school work with at least 16gb ram under $700",
            ))
        })
    });
    c.bench_function("goal_analysis/agent", |b| {
        b.to_async(&rt)
            .iter(|| async { agents.analyze_goal(user, black_box(GOAL)).await.unwrap() })
    });
    c.bench_function("price_analysis/rules", |b| {
        b.iter(|| PriceAnalysisAgent::rules(black_box(&price)))
    });
    c.bench_function("price_analysis/agent", |b| {
        b.to_async(&rt)
            .iter(|| async { agents.analyze_price(user, black_box(&price)).await.unwrap() })
    });
    c.bench_function("notification/rules", |b| {
        b.iter(|| NotificationAgent::rules(black_box(&notify)))
    });
    c.bench_function("notification/agent", |b| {
        b.to_async(&rt).iter(|| async {
            agents
                .decide_notification(user, black_box(&notify))
                .await
                .unwrap()
        })
    });
    let criteria = GoalAnalysisAgent::rules(GOAL).criteria;
    let markets: Vec<Arc<dyn Market>> = ["amazon", "walmart", "bestbuy", "target", "ebay"]
        .into_iter()
        .map(shelf)
        .collect();
    c.bench_function("deal_search/agent_5_stores_100_offers", |b| {
        b.to_async(&rt).iter(|| async {
            agents
                .search_deals(user, black_box(&criteria), &markets)
                .await
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
