//! Store moods: rare scheduled windows in which a store is slow, rate-limits (429) or is down
//! (503), plus a runtime override.
//!
//! Windows are drawn per store and real hour since the epoch (moods do not follow `speed`):
//! with 8 % chance an hour holds one window of 2–8 minutes — half of them slow (0.8–3 s), 30 %
//! rate-limited (`Retry-After` 30–120 s), 20 % unavailable.

use chrono::{DateTime, Utc};

use super::hash::{fnv, hash, hash_at, unit};
use super::{SimWorld, StoreMood, store_index};

/// Chance that a store-hour holds a window.
const WINDOW_CHANCE: f64 = 0.08;

impl SimWorld {
    /// How `store` answers at `at`: the override if one is set, else the scheduled window (when
    /// [`super::SimConfig::chaos`] is on), else [`StoreMood::Normal`].
    pub fn mood(&self, store: &str, at: DateTime<Utc>) -> StoreMood {
        if let Some(forced) = self.mood_override(store) {
            return forced;
        }
        if self.config.chaos {
            self.scheduled_mood(store, at)
        } else {
            StoreMood::Normal
        }
    }

    /// The scheduled window at `at`, ignoring the override and the chaos flag.
    pub fn scheduled_mood(&self, store: &str, at: DateTime<Utc>) -> StoreMood {
        let secs = (at - self.config.epoch).num_seconds();
        let hour = secs.div_euclid(3_600);
        for h in [hour - 1, hour] {
            let key = hash(
                self.config.seed,
                &[fnv("mood"), fnv(store), h.cast_unsigned()],
            );
            if unit(key) >= WINDOW_CHANCE {
                continue;
            }
            let start = h * 3_600 + (hash_at(key, "start", 0) % 3_300) as i64;
            let length = 120 + (hash_at(key, "length", 0) % 361) as i64;
            if (start..start + length).contains(&secs) {
                let size = hash_at(key, "size", 0);
                return match unit(hash_at(key, "kind", 0)) {
                    x if x < 0.5 => StoreMood::Slow {
                        delay_ms: 800 + size % 2_201,
                    },
                    x if x < 0.8 => StoreMood::RateLimited {
                        retry_after_s: 30 + size % 91,
                    },
                    _ => StoreMood::Unavailable,
                };
            }
        }
        StoreMood::Normal
    }

    /// Forces `store`'s mood (`Some`) or returns it to its schedule (`None`); false for an
    /// unknown store.
    pub fn set_mood_override(&self, store: &str, mood: Option<StoreMood>) -> bool {
        let Some(s) = store_index(store) else {
            return false;
        };
        let mut overrides = self.overrides.write().unwrap_or_else(|e| e.into_inner());
        overrides[s] = mood;
        true
    }

    /// The forced mood of `store`, if any.
    pub fn mood_override(&self, store: &str) -> Option<StoreMood> {
        let s = store_index(store)?;
        let overrides = self.overrides.read().unwrap_or_else(|e| e.into_inner());
        overrides[s]
    }
}
