//! Writes the HTML report of one analyzed query run (stage graph, task timeline,
//! operator tree) to a file:
//!
//! `cargo run --example html_report -- [--tpch SF] [--query q09 | --sql TEXT] [--out FILE]`
//!
//! `--query` names a TPC-H query in `tests/data/tpch/queries/`; the defaults are
//! scale factor 0.01, Q9 and `report.html`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut scale = 0.01;
    let mut query = "q09".to_string();
    let mut sql = None;
    let mut out = PathBuf::from("report.html");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--tpch" => scale = value.parse()?,
            "--query" => query = value,
            "--sql" => sql = Some(value),
            "--out" => out = PathBuf::from(value),
            other => {
                return Err(format!("unknown flag {other} (--tpch, --query, --sql, --out)").into());
            }
        }
    }
    let sql = match sql {
        Some(sql) => sql,
        None => {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/tpch/queries")
                .join(format!("{query}.sql"));
            std::fs::read_to_string(&path)?
        }
    };
    let ctx = ember::SessionContext::new();
    ctx.register_tpch(scale)?;
    let html = ctx.html_report(&sql)?;
    std::fs::write(&out, html)?;
    println!("{}", out.display());
    Ok(())
}
