//! TPC-H benchmark: times every query over Parquet files and writes
//! `engine,query,median_s,min_s,max_s,ok,error` rows.
//!
//! ```text
//! cargo bench --bench tpch -- --data DIR --queries DIR --threads N --iterations K \
//!     --output OUT.csv [--verify ANSWERS_DIR] [--generate SF]
//! ```
//! DIR holds `<table>.parquet` for the eight tables; `--generate SF` writes them first.
//! Each query runs once to warm up, then K times. `--verify` compares each result with
//! `ANSWERS_DIR/qNN.csv` (numbers within 1e-6 relative). `--cache` runs `CACHE TABLE` on
//! every table first, so the timed runs read cached partitions instead of Parquet; the
//! Parquet row groups read during the timed runs are reported on stderr.
//! `--set KEY=VALUE` applies a session setting first (e.g.
//! `ember.optimizer.cost_based=false`). `--q-error` also runs each query once more
//! with operator metrics and reports, over every filter and join, the q-error
//! max(estimate/actual, actual/estimate) of its output rows: one line per operator
//! and the distribution on stderr.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ember::format::{OutputFormat, write_batches};
use ember::{SessionConfig, SessionContext};

// The integration tests' CSV parsing and result comparison, so that `--verify` judges
// answers exactly as `tests/tpch.rs` does.
#[path = "../tests/common/mod.rs"]
mod common;

const TABLES: &[&str] = &[
    "customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier",
];

struct Args {
    data: PathBuf,
    queries: PathBuf,
    threads: usize,
    iterations: usize,
    output: PathBuf,
    verify: Option<PathBuf>,
    generate: Option<f64>,
    only: Option<Vec<String>>,
    cache: bool,
    settings: Vec<(String, String)>,
    q_error: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut a = Args {
        data: PathBuf::new(),
        queries: PathBuf::new(),
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        iterations: 3,
        output: PathBuf::from("tpch.csv"),
        verify: None,
        generate: None,
        only: None,
        cache: false,
        settings: Vec::new(),
        q_error: false,
    };
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--data" => a.data = PathBuf::from(value()?),
            "--queries" => a.queries = PathBuf::from(value()?),
            "--threads" => a.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--iterations" => {
                a.iterations = value()?.parse().map_err(|e| format!("--iterations: {e}"))?
            }
            "--output" => a.output = PathBuf::from(value()?),
            "--verify" => a.verify = Some(PathBuf::from(value()?)),
            "--generate" => {
                a.generate = Some(value()?.parse().map_err(|e| format!("--generate: {e}"))?)
            }
            "--cache" => a.cache = true,
            "--q-error" => a.q_error = true,
            "--set" => {
                let kv = value()?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--set {kv}: expected KEY=VALUE"))?;
                a.settings
                    .push((k.trim().to_string(), v.trim().to_string()));
            }
            "--query" => a.only = Some(value()?.split(',').map(|s| s.trim().to_string()).collect()),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    if a.data.as_os_str().is_empty() || a.queries.as_os_str().is_empty() {
        return Err(
            "usage: --data DIR --queries DIR [--threads N] [--iterations K] [--output OUT.csv] \
                    [--verify ANSWERS_DIR] [--generate SF] [--query q01,q02] [--cache] \
                    [--set KEY=VALUE] [--q-error]"
                .into(),
        );
    }
    Ok(a)
}

fn generate(dir: &Path, sf: f64) -> Result<(), String> {
    eprintln!("writing TPC-H SF {sf} to {}", dir.display());
    ember::sources::tpch::write_tpch_parquet(dir, sf).map_err(|e| e.to_string())
}

fn csv_of(ctx: &SessionContext, sql: &str) -> Result<String, String> {
    let df = ctx.sql(sql).map_err(|e| e.to_string())?;
    let batches = df.collect().map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    write_batches(&mut out, &df.schema(), &batches, OutputFormat::Csv)
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Some(sf) = args.generate
        && let Err(e) = generate(&args.data, sf)
    {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let ctx = SessionContext::with_config(SessionConfig {
        threads: args.threads,
        ..SessionConfig::default()
    });
    for (k, v) in &args.settings {
        if let Err(e) = ctx.set(k, v) {
            eprintln!("error: --set {k}={v}: {e}");
            std::process::exit(2);
        }
    }
    for t in TABLES {
        let path = args.data.join(format!("{t}.parquet"));
        if let Err(e) = ctx.register_parquet(t, &path.to_string_lossy()) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
    if args.cache {
        for t in TABLES {
            if let Err(e) = ctx.cache_table(t) {
                eprintln!("error: caching {t}: {e}");
                std::process::exit(1);
            }
        }
    }
    let row_groups_before = ember::sources::parquet::row_groups_read();
    let mut queries: Vec<PathBuf> = match std::fs::read_dir(&args.queries) {
        Ok(d) => d
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect(),
        Err(e) => {
            eprintln!("error: {}: {e}", args.queries.display());
            std::process::exit(1);
        }
    };
    queries.sort();
    let mut out = String::from("engine,query,median_s,min_s,max_s,ok,error\n");
    let mut failures = 0;
    let mut q_errors: Vec<f64> = Vec::new();
    for path in queries {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if args.only.as_ref().is_some_and(|o| !o.contains(&name)) {
            continue;
        }
        let sql = std::fs::read_to_string(&path).unwrap_or_default();
        let mut times = Vec::new();
        let mut error = String::new();
        match csv_of(&ctx, &sql) {
            Err(e) => error = e,
            Ok(result) => {
                if let Some(dir) = &args.verify {
                    let expected = std::fs::read_to_string(dir.join(format!("{name}.csv")))
                        .unwrap_or_default();
                    if let Err(e) = common::compare_csv(&expected, &result) {
                        error = format!("wrong result: {e}");
                    }
                }
                for _ in 0..args.iterations.max(1) {
                    let start = Instant::now();
                    if let Err(e) = csv_of(&ctx, &sql) {
                        error = e;
                        break;
                    }
                    times.push(start.elapsed().as_secs_f64());
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let ok = error.is_empty() && !times.is_empty();
        failures += usize::from(!ok);
        let (median, min, max) = if times.is_empty() {
            (f64::NAN, f64::NAN, f64::NAN)
        } else {
            (times[times.len() / 2], times[0], times[times.len() - 1])
        };
        if args.q_error {
            match ctx.sql(&sql).and_then(|df| df.analyze_rows()) {
                Ok(rows) => {
                    for r in rows
                        .iter()
                        .filter(|r| r.operator.starts_with("Filter") || r.operator.contains("Join"))
                    {
                        if let Some(q) = r.q_error() {
                            q_errors.push(q);
                            let op: String = r.operator.chars().take(60).collect();
                            eprintln!(
                                "q-error {name} {q:.2} est={:.0} actual={} {op}",
                                r.estimated.unwrap_or(f64::NAN),
                                r.actual
                            );
                        }
                    }
                }
                Err(e) => eprintln!("q-error {name}: {e}"),
            }
        }
        eprintln!(
            "{name}: {median:.3}s {}",
            if ok { "ok".to_string() } else { error.clone() }
        );
        out.push_str(&format!(
            "ember,{name},{median:.4},{min:.4},{max:.4},{ok},\"{}\"\n",
            error.replace('"', "'").replace('\n', " ")
        ));
    }
    eprintln!(
        "parquet row groups read while running queries: {}",
        ember::sources::parquet::row_groups_read() - row_groups_before
    );
    if !q_errors.is_empty() {
        q_errors.sort_by(f64::total_cmp);
        let at = |p: f64| q_errors[((q_errors.len() - 1) as f64 * p).round() as usize];
        eprintln!(
            "q-error over {} filter and join outputs: min {:.2} p25 {:.2} median {:.2} \
             p75 {:.2} p90 {:.2} max {:.2}",
            q_errors.len(),
            at(0.0),
            at(0.25),
            at(0.5),
            at(0.75),
            at(0.9),
            at(1.0)
        );
    }
    if let Err(e) = std::fs::write(&args.output, out) {
        eprintln!("error: {}: {e}", args.output.display());
        std::process::exit(1);
    }
    std::process::exit(i32::from(failures > 0));
}
