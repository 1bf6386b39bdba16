//! Prices: a pure function of (seed, offer, time).
//!
//! Simulated time is `(at − epoch) × speed`. Each offer re-prices at the start of every
//! [`STEP_SECS`] step of simulated time, on its own phase. The regular price is the list price
//! × a per-offer base level (by store and condition) × a slow walk (smooth noise between
//! random levels three days apart, ±5 %) × a per-segment jitter (±1.5 %). A new segment — a
//! visible re-price — starts at a step with probability 8 %, so each offer changes about
//! hourly and a catalogue of a few hundred offers per store shows changes every minute.
//! Events are drawn per offer and simulated day, start and end on the offer's step
//! boundaries, and override the regular price (see [`SimEvent`]).

use chrono::{DateTime, Duration, Utc};
use deals_core::{Availability, Condition};

use super::hash::{between, fnv, hash, hash_at, pick, unit};
use super::{EventSpan, Quote, SimEvent, SimWorld, StoreOffer};

/// Length of a price step in simulated seconds (5 minutes).
pub const STEP_SECS: i64 = 300;
/// Chance that a step starts a new price segment.
const SEGMENT_CHANCE: f64 = 0.08;
/// A segment is never longer than this many steps.
const MAX_SEGMENT: i64 = 64;
const DAY: i64 = 86_400;
/// Steps per hour.
const HOUR_STEPS: i64 = 3_600 / STEP_SECS;
/// Days between the slow walk's random levels.
const WALK_DAYS: f64 = 3.0;
/// Ranges up to this long get every change point from [`SimWorld::history`].
const DETAILED_HISTORY: Duration = Duration::days(3);

/// How one kind of event is drawn: per offer and simulated day.
struct EventKind {
    event: SimEvent,
    chance_per_day: f64,
    min_steps: i64,
    max_steps: i64,
}

const SALE: EventKind = EventKind {
    event: SimEvent::Sale,
    chance_per_day: 0.025,
    min_steps: 4 * HOUR_STEPS,
    max_steps: 72 * HOUR_STEPS,
};
const GLITCH: EventKind = EventKind {
    event: SimEvent::Glitch,
    chance_per_day: 0.002,
    min_steps: 2,
    max_steps: 6,
};
const FAKE: EventKind = EventKind {
    event: SimEvent::FakeDiscount,
    chance_per_day: 0.02,
    min_steps: 24 * HOUR_STEPS,
    max_steps: 120 * HOUR_STEPS,
};
const STOCK_OUT: EventKind = EventKind {
    event: SimEvent::StockOut,
    chance_per_day: 0.012,
    min_steps: 2 * HOUR_STEPS,
    max_steps: 48 * HOUR_STEPS,
};
/// How long "back in stock" and "low stock" last around a stock-out.
const AROUND_STOCK_OUT: i64 = 3 * HOUR_STEPS;

/// An event occurrence in steps: `[start, end)` and the hash that sizes it.
#[derive(Clone, Copy)]
struct Occurrence {
    start: i64,
    end: i64,
    h: u64,
}

/// The per-offer constants prices are computed from.
struct Clock {
    key: u64,
    phase: i64,
    list: f64,
    base: f64,
    ending: i64,
}

fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

impl SimWorld {
    fn speed(&self) -> f64 {
        let s = self.config.speed;
        if s.is_finite() && s > 0.0 { s } else { 1.0 }
    }

    /// Simulated seconds since the epoch at `at`.
    fn sim_secs(&self, at: DateTime<Utc>) -> i64 {
        let ms = (at - self.config.epoch).num_milliseconds();
        (ms as f64 * self.speed() / 1000.0).floor() as i64
    }

    /// The first instant whose simulated time is at least `sim`.
    fn real_time(&self, sim: i64) -> DateTime<Utc> {
        let ms = (sim as f64 * 1000.0 / self.speed()).ceil() as i64;
        let mut t = self.config.epoch + Duration::milliseconds(ms);
        for _ in 0..4 {
            if self.sim_secs(t) >= sim {
                break;
            }
            t += Duration::milliseconds(1);
        }
        t
    }

    fn clock(&self, offer: &StoreOffer) -> Clock {
        let key = hash(
            self.config.seed,
            &[fnv(offer.store), fnv(&offer.external_id), 0xC10C],
        );
        let (lo, hi) = match (offer.store, offer.condition) {
            ("amazon", Condition::New) => (0.82, 0.97),
            ("walmart", Condition::New) => (0.84, 0.98),
            ("ebay", Condition::New) => (0.75, 0.92),
            (_, Condition::New) => (0.88, 1.0),
            (_, Condition::OpenBox) => (0.78, 0.90),
            (_, Condition::Refurbished) => (0.65, 0.82),
            (_, Condition::Used) => (0.55, 0.75),
        };
        let endings: &[i64] = match offer.store {
            "amazon" => &[99, 95, 99, 0],
            "walmart" => &[0],
            "ebay" => &[0, 99, 95],
            _ => &[99],
        };
        Clock {
            key,
            phase: (hash_at(key, "phase", 0) % STEP_SECS as u64) as i64,
            list: self
                .product(offer.product)
                .map_or(0.0, |p| p.list_price_cents as f64),
            base: between(hash_at(key, "base", 0), lo, hi),
            ending: pick(hash_at(key, "ending", 0), endings),
        }
    }

    /// The quote for `offer` at `at`: price, "was" price, stock and the event in effect.
    pub fn quote(&self, offer: &StoreOffer, at: DateTime<Utc>) -> Quote {
        let c = self.clock(offer);
        c.quote(c.step(self.sim_secs(at)))
    }

    /// The price of `offer` over `[from, to]`: for ranges of at most three days, the price at
    /// `from` and then at every instant it changes; for longer ranges (the 90-day backfill),
    /// the price once a day at `from`, `from + 1 day`, …. Every point equals
    /// `quote(offer, t).price_cents` at its time.
    pub fn history(
        &self,
        offer: &StoreOffer,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, i64)> {
        let c = self.clock(offer);
        if to < from {
            return Vec::new();
        }
        let (k0, k1) = (c.step(self.sim_secs(from)), c.step(self.sim_secs(to)));
        if to - from > DETAILED_HISTORY || k1 - k0 > 100_000 {
            return std::iter::successors(Some(from), |t| Some(*t + Duration::days(1)))
                .take_while(|t| *t <= to)
                .map(|t| (t, c.quote(c.step(self.sim_secs(t))).price_cents))
                .collect();
        }
        let mut last = c.quote(k0).price_cents;
        let mut points = vec![(from, last)];
        for k in k0 + 1..=k1 {
            let price = c.quote(k).price_cents;
            if price != last {
                points.push((self.real_time(k * STEP_SECS - c.phase), price));
                last = price;
            }
        }
        points
    }

    /// The events of `offer` that overlap `[from, to)`, by start time. A back-in-stock span
    /// follows every stock-out.
    pub fn events(
        &self,
        offer: &StoreOffer,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<EventSpan> {
        let c = self.clock(offer);
        let (k0, k1) = (c.step(self.sim_secs(from)), c.step(self.sim_secs(to)));
        let mut spans = Vec::new();
        for kind in [&SALE, &GLITCH, &FAKE, &STOCK_OUT] {
            for o in c.occurrences(kind, k0, k1) {
                spans.push((kind.event, o.start, o.end));
                if kind.event == SimEvent::StockOut {
                    spans.push((SimEvent::BackInStock, o.end, o.end + AROUND_STOCK_OUT));
                }
            }
        }
        let mut out: Vec<EventSpan> = spans
            .into_iter()
            .map(|(event, start, end)| EventSpan {
                event,
                start: self.real_time(start * STEP_SECS - c.phase),
                end: self.real_time(end * STEP_SECS - c.phase),
            })
            .filter(|s| s.end > from && s.start < to)
            .collect();
        out.sort_by_key(|s| (s.start, s.end));
        out
    }

    /// Every event of every offer of `store` overlapping `[from, to)`, by start time.
    pub fn events_between(
        &self,
        store: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(&StoreOffer, EventSpan)> {
        let mut out: Vec<(&StoreOffer, EventSpan)> = self
            .offers(store)
            .iter()
            .flat_map(|o| self.events(o, from, to).into_iter().map(move |s| (o, s)))
            .collect();
        out.sort_by(|a, b| (a.1.start, &a.0.external_id).cmp(&(b.1.start, &b.0.external_id)));
        out
    }
}

impl Clock {
    /// The step in effect at simulated second `sim`.
    fn step(&self, sim: i64) -> i64 {
        floor_div(sim + self.phase, STEP_SECS)
    }

    /// The first step of the segment `k` belongs to.
    fn segment_start(&self, k: i64) -> i64 {
        let mut s = k;
        while s.rem_euclid(MAX_SEGMENT) != 0
            && unit(hash_at(self.key, "segment", s)) >= SEGMENT_CHANCE
        {
            s -= 1;
        }
        s
    }

    /// Rounds to the offer's price ending (.99, .95 or whole dollars).
    fn round(&self, cents: f64) -> i64 {
        let dollars = ((cents - self.ending as f64) / 100.0).round() as i64;
        (dollars * 100 + self.ending).max(99)
    }

    /// The regular price (no event) at step `k`.
    fn regular(&self, k: i64) -> i64 {
        let s = self.segment_start(k);
        let x = (s * STEP_SECS) as f64 / (WALK_DAYS * DAY as f64);
        let i = x.floor();
        let f = x - i;
        let smooth = f * f * (3.0 - 2.0 * f);
        let level = |j: f64| between(hash_at(self.key, "walk", j as i64), -1.0, 1.0);
        let walk = 0.05 * (level(i) * (1.0 - smooth) + level(i + 1.0) * smooth);
        let jitter = between(hash_at(self.key, "jitter", s), -0.015, 0.015);
        self.round(self.list * self.base * (1.0 + walk + jitter))
    }

    /// The occurrence of `kind` drawn for simulated day `day`, if any.
    fn occurrence(&self, kind: &EventKind, day: i64) -> Option<Occurrence> {
        let tag = kind.event as i64;
        let h = hash(
            self.key,
            &[fnv("event"), tag.cast_unsigned(), day.cast_unsigned()],
        );
        if unit(h) >= kind.chance_per_day {
            return None;
        }
        let start_sim = day * DAY + (hash_at(h, "start", 0) % DAY as u64) as i64;
        let start = (start_sim + self.phase + STEP_SECS - 1).div_euclid(STEP_SECS);
        let span = (kind.max_steps - kind.min_steps + 1) as u64;
        let length = kind.min_steps + (hash_at(h, "length", 0) % span) as i64;
        Some(Occurrence {
            start,
            end: start + length,
            h,
        })
    }

    /// Occurrences of `kind` overlapping steps `[k0, k1]`.
    fn occurrences(&self, kind: &EventKind, k0: i64, k1: i64) -> Vec<Occurrence> {
        let day_of = |k: i64| floor_div(k * STEP_SECS - self.phase, DAY);
        let lookback = kind.max_steps * STEP_SECS / DAY + 1;
        (day_of(k0) - lookback..=day_of(k1))
            .filter_map(|d| self.occurrence(kind, d))
            .filter(|o| o.end > k0 && o.start <= k1)
            .collect()
    }

    /// The occurrence of `kind` in effect at step `k`.
    fn active(&self, kind: &EventKind, k: i64) -> Option<Occurrence> {
        self.occurrences(kind, k, k)
            .into_iter()
            .find(|o| o.start <= k && k < o.end)
    }

    fn quote(&self, k: i64) -> Quote {
        let regular = self.regular(k);
        let glitch = self.active(&GLITCH, k);
        let sale = self.active(&SALE, k);
        let fake = self.active(&FAKE, k);
        let stock_out = self.active(&STOCK_OUT, k).is_some();
        let around = self.occurrences(&STOCK_OUT, k - AROUND_STOCK_OUT, k + AROUND_STOCK_OUT);
        let back = !stock_out
            && around
                .iter()
                .any(|o| o.end <= k && k < o.end + AROUND_STOCK_OUT);
        let low = !stock_out
            && around
                .iter()
                .any(|o| o.start > k && o.start <= k + AROUND_STOCK_OUT);
        let off = |o: Occurrence, lo: f64, hi: f64| {
            self.round(regular as f64 * (1.0 - between(hash_at(o.h, "depth", 0), lo, hi)))
        };
        let (price_cents, was_cents, price_event) = match (glitch, sale, fake) {
            (Some(g), _, _) => (off(g, 0.60, 0.90), None, Some(SimEvent::Glitch)),
            (None, Some(s), _) => (off(s, 0.15, 0.35), Some(regular), Some(SimEvent::Sale)),
            (None, None, Some(f)) => {
                let inflated =
                    self.round(regular as f64 * between(hash_at(f.h, "inflate", 0), 1.25, 1.6));
                (regular, Some(inflated), Some(SimEvent::FakeDiscount))
            }
            (None, None, None) => (regular, None, None),
        };
        let event = match price_event {
            Some(SimEvent::Glitch) => price_event,
            _ if stock_out => Some(SimEvent::StockOut),
            Some(_) => price_event,
            None if back => Some(SimEvent::BackInStock),
            None => None,
        };
        let availability = if stock_out {
            Availability::OutOfStock
        } else if low {
            Availability::LowStock
        } else {
            Availability::InStock
        };
        Quote {
            price_cents,
            was_cents,
            availability,
            event,
        }
    }
}
