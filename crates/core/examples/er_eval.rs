//! Precision, recall and F1 of the same-product matcher on the public pairs of
//! `../shared/data/er/` (see its README). Tune on `train`, report on `valid`:
//!
//! ```text
//! cargo run -p deals-core --example er_eval -- train        # both benchmarks' train splits
//! cargo run -p deals-core --example er_eval -- valid fp     # and list the false positives
//! ```

#[path = "../tests/matching/er_data.rs"]
mod er_data;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.first().map_or("valid", String::as_str);
    let show = args.get(1).map(String::as_str);
    for bench in ["Walmart-Amazon", "Abt-Buy"] {
        let Some(pairs) = er_data::load(&format!("{bench}.{split}")) else {
            eprintln!(
                "{bench}.{split}: not found under {}",
                er_data::data_dir().display()
            );
            continue;
        };
        let s = er_data::score(&pairs, |p, got| {
            let kind = if p.same { "fn" } else { "fp" };
            if show == Some(kind) {
                println!(
                    "{kind} {got:?}\n  {}\n  {}",
                    er_data::describe(&p.left),
                    er_data::describe(&p.right)
                );
            }
        });
        println!(
            "{bench}.{split}: pairs {} precision {:.3} recall {:.3} F1 {:.3} (tp {} fp {} fn {})",
            pairs.len(),
            s.precision(),
            s.recall(),
            s.f1(),
            s.tp,
            s.fp,
            s.fn_
        );
    }
}
