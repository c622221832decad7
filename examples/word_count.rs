//! Word count with the RDD API, no SQL: `cargo run --release --example word_count [FILE]`.

use ember::rdd::{RddConfig, RddContext};

fn main() -> ember::Result<()> {
    let sc = RddContext::new(RddConfig::default());
    let lines = match std::env::args().nth(1) {
        Some(path) => sc.text_file(path, 4)?,
        None => sc.parallelize(vec!["to be or".to_string(), "not to be".to_string()], 2),
    };
    let counts = lines
        .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b, 2)
        .sort_by(|(w, n)| (std::cmp::Reverse(*n), w.clone()), true, 2)?;
    println!("{}", counts.to_debug_string());
    for (word, n) in counts.take(10)? {
        println!("{word}\t{n}");
    }
    Ok(())
}
