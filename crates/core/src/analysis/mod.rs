//! Deal intelligence: the seed's deal score, statistics over scores and prices, the
//! fake-discount (prior-price) check, price-glitch detection, the rules base score and the
//! buy-or-wait recommendation. Pure functions over minor-unit prices; no I/O.

pub mod advice;
pub mod base;
pub mod glitch;
pub mod reference;
pub mod score;
pub mod stats;
mod text;

pub use advice::{Advice, Recommendation, buy_or_wait};
pub use base::{BaseInput, rules_base_score};
pub use glitch::{GlitchCheck, price_glitch};
pub use reference::{ReferenceCheck, check_reference_price};
pub use score::{
    FORMULA_VERSION, Modifier, Modifiers, Score, ScoreInput, competitiveness_modifier,
    discount_modifier, price_trend_modifier, reliability_modifier, score, source_reliability,
};
pub use stats::{
    AnomalyCheck, PriceStats, anomaly, mean, moving_average, price_stats, sample_stddev, trend,
};
