//! The eight TPC-H tables, generated in memory with `tpchgen-arrow`.
//!
//! In: a scale factor and a partition count. Out: one [`MemTable`] per table, one
//! partition per generator part, with the column names and types of the Parquet files
//! `tpchgen-cli` writes (strings as `Utf8`). Parts are generated in parallel on rayon's
//! pool. `nation` and `region` are fixed tables and always have one partition.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use rayon::prelude::*;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow,
    SupplierArrow,
};

use super::memory::MemTable;
use crate::error::{EmberError, Result};

/// The TPC-H table names, in the order [`tpch_tables`] returns them.
pub const TPCH_TABLE_NAMES: [&str; 8] = [
    "nation", "region", "part", "supplier", "partsupp", "customer", "orders", "lineitem",
];

/// Memory the generated tables take per unit of scale factor, at peak (measured: about
/// 2.4 GB per scale factor above a fixed 0.3 GB, Arrow buffers and generator slack).
const BYTES_PER_SCALE_FACTOR: f64 = 2.5e9;

/// Share of the available memory the generated tables may take; queries need the rest.
const MEMORY_SHARE: f64 = 0.8;

/// Checks that `sf` is a positive number and that the tables it makes fit in memory:
/// their estimated size may take at most 80% of the memory available now.
pub fn check_scale_factor(sf: f64) -> Result<()> {
    check_scale_factor_within(sf, available_memory())
}

/// As [`check_scale_factor`], with `available` bytes of memory (`None`: unknown, so
/// only the sign is checked).
fn check_scale_factor_within(sf: f64, available: Option<u64>) -> Result<()> {
    if !(sf.is_finite() && sf > 0.0) {
        return Err(EmberError::config(format!(
            "invalid TPC-H scale factor {sf}: expected a number greater than 0"
        )));
    }
    let Some(available) = available else {
        return Ok(());
    };
    let budget = available as f64 * MEMORY_SHARE;
    let need = sf * BYTES_PER_SCALE_FACTOR;
    if need <= budget {
        return Ok(());
    }
    let largest = budget / BYTES_PER_SCALE_FACTOR;
    let largest = if largest >= 10.0 {
        format!("{}", largest.floor())
    } else {
        format!("{:.2}", (largest * 100.0).floor() / 100.0)
    };
    Err(EmberError::config(format!(
        "TPC-H scale factor {sf} needs about {} of memory to generate in memory, but {} \
         is available (the tables may take 80% of it): the largest scale factor that fits \
         is about {largest}; query Parquet files for larger data",
        human_bytes(need),
        human_bytes(available as f64)
    )))
}

/// The memory available to new allocations, from `/proc/meminfo` (Linux).
fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// Bytes as "12.3 GB".
fn human_bytes(bytes: f64) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", units[unit])
}

/// Generates the eight TPC-H tables at scale factor `sf`, each split into `partitions`
/// parts (at least one), and returns them by name. A scale factor whose tables would
/// not fit in memory is an error ([`check_scale_factor`]).
pub fn tpch_tables(sf: f64, partitions: usize) -> Result<Vec<(String, MemTable)>> {
    check_scale_factor(sf)?;
    let parts = partitions.clamp(1, i32::MAX as usize);
    let tasks: Vec<(usize, usize)> = TPCH_TABLE_NAMES
        .iter()
        .enumerate()
        .flat_map(|(t, name)| {
            let n = if is_fixed(name) { 1 } else { parts };
            (1..=n).map(move |p| (t, p))
        })
        .collect();
    let generated: Vec<Result<Vec<RecordBatch>>> = tasks
        .par_iter()
        .map(|&(t, p)| {
            let n = if is_fixed(TPCH_TABLE_NAMES[t]) {
                1
            } else {
                parts
            };
            generate(TPCH_TABLE_NAMES[t], sf, p as i32, n as i32)
        })
        .collect();

    let mut per_table: Vec<Vec<Vec<RecordBatch>>> = vec![Vec::new(); TPCH_TABLE_NAMES.len()];
    for (&(t, _), batches) in tasks.iter().zip(generated) {
        per_table[t].push(batches?);
    }
    TPCH_TABLE_NAMES
        .iter()
        .zip(per_table)
        .map(|(name, partitions)| {
            let table = MemTable::try_new(schema_of(name), partitions)?;
            Ok((name.to_string(), table))
        })
        .collect()
}

/// Writes the eight TPC-H tables at scale factor `sf` as `<dir>/<table>.parquet`,
/// generating each table in slices of about a million rows (two at a time, on the
/// rayon pool) and appending them to the file, so memory stays bounded at any scale.
pub fn write_tpch_parquet(dir: &std::path::Path, sf: f64) -> Result<()> {
    if !(sf.is_finite() && sf > 0.0) {
        return Err(EmberError::execution(format!(
            "TPC-H scale factor must be a positive number, got {sf}"
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| EmberError::io(dir, e))?;
    for name in TPCH_TABLE_NAMES {
        // lineitem has about 6M rows per unit of scale; the others fewer.
        let parts = if is_fixed(name) {
            1
        } else {
            ((sf * 8.0).ceil() as i32).max(1)
        };
        let path = dir.join(format!("{name}.parquet"));
        let mut writer = super::ParquetSink::create(&path, schema_of(name))?;
        let all: Vec<i32> = (1..=parts).collect();
        for pair in all.chunks(2) {
            let slices: Vec<Result<Vec<RecordBatch>>> = pair
                .par_iter()
                .map(|&p| generate(name, sf, p, parts))
                .collect();
            for batches in slices {
                for batch in batches? {
                    writer.write(&batch)?;
                }
            }
        }
        writer.close()?;
    }
    Ok(())
}

fn is_fixed(name: &str) -> bool {
    matches!(name, "nation" | "region")
}

/// The schema `tpchgen-arrow` gives a table.
fn schema_of(name: &str) -> SchemaRef {
    match name {
        "nation" => NationArrow::schema_ref(),
        "region" => RegionArrow::schema_ref(),
        "part" => PartArrow::schema_ref(),
        "supplier" => SupplierArrow::schema_ref(),
        "partsupp" => PartSuppArrow::schema_ref(),
        "customer" => CustomerArrow::schema_ref(),
        "orders" => OrderArrow::schema_ref(),
        _ => LineItemArrow::schema_ref(),
    }
}

/// Generates part `part` (1-based) of `parts` of one table.
fn generate(name: &str, sf: f64, part: i32, parts: i32) -> Result<Vec<RecordBatch>> {
    let batches: std::result::Result<Vec<RecordBatch>, ArrowError> = match name {
        "nation" => NationArrow::new(NationGenerator::new(sf, part, parts)).collect(),
        "region" => RegionArrow::new(RegionGenerator::new(sf, part, parts)).collect(),
        "part" => PartArrow::new(PartGenerator::new(sf, part, parts)).collect(),
        "supplier" => SupplierArrow::new(SupplierGenerator::new(sf, part, parts)).collect(),
        "partsupp" => PartSuppArrow::new(PartSuppGenerator::new(sf, part, parts)).collect(),
        "customer" => CustomerArrow::new(CustomerGenerator::new(sf, part, parts)).collect(),
        "orders" => OrderArrow::new(OrderGenerator::new(sf, part, parts)).collect(),
        _ => LineItemArrow::new(LineItemGenerator::new(sf, part, parts)).collect(),
    };
    Ok(batches?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::DataSource;
    use arrow::datatypes::DataType;

    #[test]
    fn scale_factor_must_be_positive_and_fit_in_memory() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = check_scale_factor_within(bad, None)
                .unwrap_err()
                .to_string();
            assert!(e.contains("expected a number greater than 0"), "{e}");
        }
        assert!(check_scale_factor_within(1000.0, None).is_ok());
        // 16 GB available: 12.8 GB for the tables, about scale factor 5.
        let gb16 = Some(16_000_000_000);
        assert!(check_scale_factor_within(5.0, gb16).is_ok());
        let e = check_scale_factor_within(1000.0, gb16)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "TPC-H scale factor 1000 needs about 2.5 TB of memory to generate in memory, \
             but 16.0 GB is available (the tables may take 80% of it): the largest scale \
             factor that fits is about 5.12; query Parquet files for larger data"
        );
    }

    #[test]
    fn row_counts_at_sf_001() {
        let tables = tpch_tables(0.01, 3).unwrap();
        let counts: Vec<(String, Option<usize>, usize)> = tables
            .iter()
            .map(|(n, t)| (n.clone(), t.statistics().row_count, t.num_partitions()))
            .collect();
        let expect = [
            ("nation", 25, 1),
            ("region", 5, 1),
            ("part", 2000, 3),
            ("supplier", 100, 3),
            ("partsupp", 8000, 3),
            ("customer", 1500, 3),
            ("orders", 15000, 3),
            ("lineitem", 60175, 3),
        ];
        for ((name, rows, parts), (en, er, ep)) in counts.iter().zip(expect) {
            assert_eq!((name.as_str(), *rows, *parts), (en, Some(er), ep));
        }
        let (_, lineitem) = &tables[7];
        let s = lineitem.schema();
        assert_eq!(s.field(0).name(), "l_orderkey");
        assert_eq!(s.field(0).data_type(), &DataType::Int64);
        assert_eq!(s.field(5).data_type(), &DataType::Decimal128(15, 2));
        assert_eq!(s.field(10).data_type(), &DataType::Date32);
        assert_eq!(s.field(15).data_type(), &DataType::Utf8);
        // Each part holds a share of the rows, and the scan returns Utf8 strings.
        let rows: usize = lineitem.partitions()[1].iter().map(|b| b.num_rows()).sum();
        assert!(rows > 15000 && rows < 25000, "{rows}");
        let batch = lineitem
            .scan(0, &[15], 1000)
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(batch.column(0).data_type(), &DataType::Utf8);
    }

    #[test]
    fn rejects_bad_scale_factors() {
        assert!(tpch_tables(0.0, 1).is_err());
        assert!(tpch_tables(f64::NAN, 1).is_err());
    }
}
