//! The public product-matching pairs of `../shared/data/er/` (Walmart–Amazon and Abt–Buy, see
//! its README), read into [`ProductKey`]s and scored with [`same_product`]. Shared by the
//! floor test and the `er_eval` example; the data is never copied into the repository.

use std::path::PathBuf;

use deals_core::matching::{ProductFeatures, ProductKey, SameProduct};

/// One record: `(field, value)` pairs in the published order.
pub struct Record(Vec<(String, String)>);

impl Record {
    fn parse(raw: &str) -> Self {
        let mut fields = Vec::new();
        for part in raw.split("COL ").filter(|p| !p.trim().is_empty()) {
            if let Some((name, value)) = part.split_once(" VAL") {
                fields.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Self(fields)
    }

    fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The record as a store listing: title (or name), brand and model number when given.
    pub fn key(&self) -> ProductKey<'_> {
        ProductKey {
            title: self.get("title").or(self.get("name")).unwrap_or_default(),
            brand: self.get("brand"),
            model: self.get("modelno"),
            gtin: None,
            mpn: None,
        }
    }
}

/// A labelled pair.
pub struct Pair {
    pub left: Record,
    pub right: Record,
    pub same: bool,
}

/// Where the data lives: `DEALS_TEST_ER_DATA`, else `../shared/data/er` next to the repository.
pub fn data_dir() -> PathBuf {
    std::env::var_os("DEALS_TEST_ER_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/er"),
        PathBuf::from,
    )
}

/// The pairs of `Walmart-Amazon.valid` and the like; `None` when the file is absent.
pub fn load(split: &str) -> Option<Vec<Pair>> {
    let text = std::fs::read_to_string(data_dir().join(format!("{split}.txt"))).ok()?;
    let pairs = text
        .lines()
        .filter_map(|line| {
            let mut cols = line.split('\t');
            let (l, r, label) = (cols.next()?, cols.next()?, cols.next()?);
            Some(Pair {
                left: Record::parse(l),
                right: Record::parse(r),
                same: label.trim() == "1",
            })
        })
        .collect();
    Some(pairs)
}

/// Confusion counts of the matcher on some pairs.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scores {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl Scores {
    pub fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }

    pub fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Scores every pair; `wrong` receives the misclassified ones.
pub fn score(pairs: &[Pair], mut wrong: impl FnMut(&Pair, SameProduct)) -> Scores {
    let mut s = Scores::default();
    for p in pairs {
        let got =
            ProductFeatures::new(&p.left.key()).same_as(&ProductFeatures::new(&p.right.key()));
        match (got != SameProduct::No, p.same) {
            (true, true) => s.tp += 1,
            (true, false) => s.fp += 1,
            (false, true) => s.fn_ += 1,
            (false, false) => s.tn += 1,
        }
        if (got != SameProduct::No) != p.same {
            wrong(p, got);
        }
    }
    s
}

/// The title, brand and model of a record, for error listings.
pub fn describe(r: &Record) -> String {
    let k = r.key();
    format!(
        "{} | {} | {}",
        k.title,
        k.brand.unwrap_or("-"),
        k.model.unwrap_or("-")
    )
}
