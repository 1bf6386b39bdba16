//! Numeric specs of a goal (`at least 16GB RAM`, `under 2 kg`, `120Hz or more`, `65 inch`)
//! and how a listing title states them.
//!
//! A [`Spec`] is a quantity, a direction and an amount in a unit. Both sides are compared in
//! the quantity's base unit (inches, gigabytes, hertz, grams, watts, quarts, mAh), so
//! `at least 1TB` is met by `2TB` and `120Hz or more` by `165Hz`. A title states a spec as a
//! number with a unit (`27-inch`, `165Hz`, `512GB SSD`); gigabytes followed by `RAM` or
//! `memory` are memory, other gigabytes storage.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::matching::text;

/// What a spec measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    /// Screen or product size, base unit inches.
    Size,
    /// Storage, base unit gigabytes.
    Storage,
    /// Memory (RAM), base unit gigabytes.
    Memory,
    /// Refresh rate, base unit hertz.
    RefreshRate,
    /// Weight, base unit grams.
    Weight,
    /// Power, base unit watts.
    Power,
    /// Capacity of a container, base unit quarts.
    Capacity,
    /// Battery capacity, base unit mAh.
    Battery,
}

impl Quantity {
    fn as_str(self) -> &'static str {
        match self {
            Quantity::Size => "size",
            Quantity::Storage => "storage",
            Quantity::Memory => "memory",
            Quantity::RefreshRate => "refresh_rate",
            Quantity::Weight => "weight",
            Quantity::Power => "power",
            Quantity::Capacity => "capacity",
            Quantity::Battery => "battery",
        }
    }
}

/// The direction of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecOp {
    /// At least the amount.
    Min,
    /// At most the amount.
    Max,
    /// About the amount (±0.5 inch for sizes, ±2 % otherwise).
    Eq,
}

/// Units, the quantity they measure (storage units also measure memory) and their factor to
/// the base unit.
const UNITS: &[(&str, Quantity, f64)] = &[
    ("in", Quantity::Size, 1.0),
    ("inch", Quantity::Size, 1.0),
    ("cm", Quantity::Size, 1.0 / 2.54),
    ("gb", Quantity::Storage, 1.0),
    ("tb", Quantity::Storage, 1000.0),
    ("mb", Quantity::Storage, 0.001),
    ("hz", Quantity::RefreshRate, 1.0),
    ("g", Quantity::Weight, 1.0),
    ("kg", Quantity::Weight, 1000.0),
    ("lb", Quantity::Weight, 453.6),
    ("lbs", Quantity::Weight, 453.6),
    ("w", Quantity::Power, 1.0),
    ("watt", Quantity::Power, 1.0),
    ("qt", Quantity::Capacity, 1.0),
    ("quart", Quantity::Capacity, 1.0),
    ("l", Quantity::Capacity, 1.057),
    ("liter", Quantity::Capacity, 1.057),
    ("mah", Quantity::Battery, 1.0),
];

/// The unit's quantity and factor; storage units also fit memory.
fn unit(name: &str, quantity: Option<Quantity>) -> Option<(Quantity, f64)> {
    let (_, q, f) = UNITS.iter().find(|(u, _, _)| *u == name)?;
    match quantity {
        Some(Quantity::Memory) if *q == Quantity::Storage => Some((Quantity::Memory, *f)),
        Some(want) if want != *q => None,
        _ => Some((*q, *f)),
    }
}

/// A spec as a client sends it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpecInput {
    /// `size`, `storage`, `memory`, `refresh_rate`, `weight`, `power`, `capacity`, `battery`.
    pub quantity: Quantity,
    /// `min`, `max` or `eq`.
    pub op: SpecOp,
    /// The amount, in `unit`.
    pub value: f64,
    /// A unit of the quantity: `in`, `cm`, `gb`, `tb`, `hz`, `g`, `kg`, `lb`, `w`, `qt`, `l`,
    /// `mah`.
    pub unit: String,
}

/// A validated spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "SpecInput")]
pub struct Spec {
    /// What it measures.
    pub quantity: Quantity,
    /// Its direction.
    pub op: SpecOp,
    /// The amount, in `unit`.
    pub value: f64,
    /// The lower-case unit.
    pub unit: String,
}

impl TryFrom<SpecInput> for Spec {
    type Error = String;
    fn try_from(input: SpecInput) -> Result<Self, String> {
        Spec::parse(&input)
    }
}

impl Spec {
    /// Checks the amount (finite, positive) and that the unit measures the quantity.
    pub fn parse(input: &SpecInput) -> Result<Self, String> {
        let unit_name = input.unit.trim().to_lowercase();
        if unit(&unit_name, Some(input.quantity)).is_none() {
            return Err(format!(
                "'{unit_name}' is not a unit of {}",
                input.quantity.as_str()
            ));
        }
        if !(input.value.is_finite() && input.value > 0.0) {
            return Err("value must be a positive number".into());
        }
        Ok(Self {
            quantity: input.quantity,
            op: input.op,
            value: input.value,
            unit: unit_name,
        })
    }

    /// The amount in the quantity's base unit.
    pub fn base_value(&self) -> f64 {
        unit(&self.unit, Some(self.quantity)).map_or(self.value, |(_, f)| self.value * f)
    }

    /// Whether a listing title meets the spec: `None` when the title states no amount of this
    /// quantity, else whether one of its amounts does.
    pub fn met_by(&self, title: &str) -> Option<bool> {
        let amounts = amounts(title, self.quantity);
        if amounts.is_empty() {
            return None;
        }
        let want = self.base_value();
        Some(amounts.iter().any(|&v| match self.op {
            SpecOp::Min => v >= want * 0.999,
            SpecOp::Max => v <= want * 1.001,
            SpecOp::Eq if self.quantity == Quantity::Size => (v - want).abs() <= 0.5,
            SpecOp::Eq => (v - want).abs() <= want * 0.02,
        }))
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            SpecOp::Min => "≥",
            SpecOp::Max => "≤",
            SpecOp::Eq => "=",
        };
        write!(
            f,
            "{} {op} {}{}",
            self.quantity.as_str().replace('_', " "),
            self.value,
            self.unit
        )
    }
}

/// The amounts of `quantity` a title states, in the base unit.
pub fn amounts(title: &str, quantity: Quantity) -> Vec<f64> {
    let toks = text::tokens(title);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, suffix) = t.split_at(split);
        let Ok(value) = number.parse::<f64>() else {
            continue;
        };
        let (name, next) = if suffix.is_empty() {
            (toks.get(i + 1).map_or("", String::as_str), i + 2)
        } else {
            (suffix, i + 1)
        };
        let Some((q, factor)) = unit(name, None) else {
            continue;
        };
        let memory = matches!(
            toks.get(next).map(String::as_str),
            Some("ram" | "memory" | "unified")
        );
        let q = if q == Quantity::Storage && memory {
            Quantity::Memory
        } else {
            q
        };
        if q == quantity {
            out.push(value * factor);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(quantity: Quantity, op: SpecOp, value: f64, unit: &str) -> Spec {
        Spec::parse(&SpecInput {
            quantity,
            op,
            value,
            unit: unit.into(),
        })
        .unwrap()
    }

    #[test]
    fn titles_state_amounts_with_units_and_ram_is_memory() {
        let laptop = "Dell XPS 16 9640 Laptop Intel Core Ultra 7 16GB RAM 1TB SSD 16.3-inch";
        assert_eq!(amounts(laptop, Quantity::Memory), [16.0]);
        assert_eq!(amounts(laptop, Quantity::Storage), [1000.0]);
        assert_eq!(amounts(laptop, Quantity::Size), [16.3]);
        assert_eq!(
            amounts(
                "Ninja DZ201 Foodi 8 Quart 2-Basket Air Fryer",
                Quantity::Capacity
            ),
            [8.0]
        );
    }

    #[test]
    fn directions_compare_in_the_base_unit() {
        let monitor = "ASUS TUF Gaming VG27AQ 27-inch QHD 165Hz Gaming Monitor";
        let hz = spec(Quantity::RefreshRate, SpecOp::Min, 120.0, "hz");
        assert_eq!(hz.met_by(monitor), Some(true));
        assert_eq!(
            spec(Quantity::Storage, SpecOp::Min, 1.0, "tb").met_by("WD 2TB NVMe SSD"),
            Some(true)
        );
        assert_eq!(
            spec(Quantity::Size, SpecOp::Eq, 65.0, "in").met_by("LG 55-Inch Class OLED"),
            Some(false)
        );
        assert_eq!(
            spec(Quantity::Weight, SpecOp::Max, 2.0, "kg").met_by(monitor),
            None
        );
        assert_eq!(hz.to_string(), "refresh rate ≥ 120hz");
    }

    #[test]
    fn a_unit_of_another_quantity_is_refused() {
        let bad = SpecInput {
            quantity: Quantity::Weight,
            op: SpecOp::Max,
            value: 2.0,
            unit: "hz".into(),
        };
        assert!(Spec::parse(&bad).is_err());
    }
}
