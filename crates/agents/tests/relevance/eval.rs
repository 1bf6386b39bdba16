//! Runs the labelled set against the simulated marketplace and scores each sentence.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use chrono::Utc;
use deals_agents::Agents;
use deals_agents::agents::SearchOutput;
use deals_core::Condition;
use deals_markets::config::MarketsConfig;
use deals_markets::sim::{SimConfig, SimServer, SimWorld, StoreOffer};
use deals_markets::{Market, Registry};
use serde::Deserialize;
use uuid::Uuid;

/// Share of a price bound kept clear when deciding which labelled products the stores offer
/// within it, so a price moving during the run cannot flip the expectation.
const MARGIN: f64 = 0.02;

/// One labelled sentence.
#[derive(Debug, Deserialize)]
pub struct Entry {
    /// What the shopper writes.
    pub text: String,
    /// Which phrasing class it tests.
    pub class: String,
    /// `Brand Model` of every catalogue product that satisfies it.
    pub products: Vec<String>,
    /// The price bounds and the condition and store the sentence states, in dollars.
    #[serde(default)]
    pub max_price: Option<f64>,
    #[serde(default)]
    pub min_price: Option<f64>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub market: Option<String>,
}

impl Entry {
    /// Whether a listing keeps the sentence's bounds, with `margin` of the bounds kept clear.
    fn keeps(&self, market: &str, condition: Condition, price_cents: i64, margin: f64) -> bool {
        let price = price_cents as f64 / 100.0;
        self.max_price.is_none_or(|m| price <= m * (1.0 - margin))
            && self.min_price.is_none_or(|m| price >= m * (1.0 + margin))
            && self
                .condition
                .as_deref()
                .is_none_or(|c| c == condition.as_str())
            && self.market.as_deref().is_none_or(|m| m == market)
    }
}

/// How one sentence went.
#[derive(Debug)]
pub struct Outcome {
    pub text: String,
    pub class: String,
    /// Deals returned.
    pub deals: usize,
    /// Deals whose product is labelled and that keep the bounds.
    pub relevant: usize,
    /// Labelled products offered within the bounds.
    pub expected: usize,
    /// Of those, found.
    pub found: usize,
    /// Whether the first deal is relevant (`None` when nothing is expected).
    pub top1: Option<bool>,
    /// For a sentence with no product: empty with a reason.
    pub absent_ok: Option<bool>,
    /// What went wrong, for the printed table.
    pub problems: Vec<String>,
}

/// Sums over outcomes.
#[derive(Debug, Default)]
pub struct Tally {
    n: usize,
    deals: usize,
    relevant: usize,
    expected: usize,
    found: usize,
    top1: usize,
    top1_of: usize,
    pub absent: usize,
    pub absent_ok: usize,
}

impl Tally {
    pub fn of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Self {
        let mut t = Tally::default();
        for o in outcomes {
            t.n += 1;
            t.deals += o.deals;
            t.relevant += o.relevant;
            t.expected += o.expected;
            t.found += o.found;
            if let Some(hit) = o.top1 {
                t.top1_of += 1;
                t.top1 += usize::from(hit);
            }
            if let Some(ok) = o.absent_ok {
                t.absent += 1;
                t.absent_ok += usize::from(ok);
            }
        }
        t
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 { 1.0 } else { a as f64 / b as f64 }
    }

    pub fn precision(&self) -> f64 {
        Self::ratio(self.relevant, self.deals)
    }

    pub fn recall(&self) -> f64 {
        Self::ratio(self.found, self.expected)
    }

    pub fn top1(&self) -> f64 {
        Self::ratio(self.top1, self.top1_of)
    }

    pub fn row(&self) -> String {
        format!(
            "{:>4} {:>9.3} {:>7.3} {:>6.3} {:>3}/{:<3}",
            self.n,
            self.precision(),
            self.recall(),
            self.top1(),
            self.absent_ok,
            self.absent
        )
    }
}

fn product_name(world: &SimWorld, offer: &StoreOffer) -> String {
    world
        .product(offer.product)
        .map(|p| format!("{} {}", p.brand, p.model))
        .unwrap_or_default()
}

/// Runs every sentence through the rules and Deal Search on a fresh simulator.
pub async fn evaluate(set: &[Entry]) -> Vec<Outcome> {
    let world = Arc::new(SimWorld::new(SimConfig {
        chaos: false,
        ..SimConfig::default()
    }));
    let handle = SimServer::start(Arc::clone(&world), IpAddr::V4(Ipv4Addr::LOCALHOST))
        .await
        .unwrap();
    let registry = Registry::simulated(&handle, &MarketsConfig::default()).unwrap();
    let markets: Vec<Arc<dyn Market>> = registry
        .searchable()
        .iter()
        .filter_map(|n| registry.get(n))
        .collect();
    let agents = Agents::offline();
    let mut out = Vec::with_capacity(set.len());
    for entry in set {
        let criteria = deals_agents::rules::parse_goal(&entry.text).criteria;
        let run = agents
            .search_deals(Uuid::nil(), &criteria, &markets)
            .await
            .unwrap();
        out.push(score(&world, entry, &run.output));
    }
    handle.shutdown().await;
    out
}

fn score(world: &SimWorld, entry: &Entry, output: &SearchOutput) -> Outcome {
    let labelled: BTreeSet<&str> = entry.products.iter().map(String::as_str).collect();
    let now = Utc::now();
    let expected: BTreeSet<String> = world
        .all_offers()
        .filter(|o| {
            let q = world.quote(o, now);
            entry.keeps(o.store, o.condition, q.price_cents, MARGIN)
        })
        .map(|o| product_name(world, o))
        .filter(|name| labelled.contains(name.as_str()))
        .collect();
    let mut found = BTreeSet::new();
    let mut relevant = 0;
    let mut problems = Vec::new();
    let mut first = None;
    for deal in &output.deals {
        let o = &deal.offer;
        let name = world
            .offer(&o.market, &o.external_id)
            .map(|s| product_name(world, s))
            .unwrap_or_default();
        let ok = labelled.contains(name.as_str())
            && entry.keeps(&o.market, o.condition, o.price_minor, 0.0);
        first.get_or_insert(ok);
        if ok {
            relevant += 1;
            found.insert(name);
        } else if problems.len() < 3 {
            problems.push(format!("not relevant: {}", o.title));
        }
    }
    let missed: Vec<&String> = expected.difference(&found).collect();
    if !missed.is_empty() {
        problems.push(format!(
            "missed {} of {}: {:?}",
            missed.len(),
            expected.len(),
            missed
        ));
    }
    let absent_ok = labelled.is_empty().then(|| {
        let reason = output.summary.trim();
        if !output.deals.is_empty() || reason.is_empty() {
            problems.push(format!("absent thing: reason {reason:?}"));
        }
        output.deals.is_empty() && !reason.is_empty()
    });
    Outcome {
        text: entry.text.clone(),
        class: entry.class.clone(),
        deals: output.deals.len(),
        relevant,
        expected: expected.len(),
        found: expected.intersection(&found).count(),
        top1: (!expected.is_empty()).then(|| first.unwrap_or(false)),
        absent_ok,
        problems,
    }
}
