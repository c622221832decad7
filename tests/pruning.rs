//! Parquet row-group pruning: a filter on a column whose values are ordered across
//! row groups reads only the row groups that can hold matches, and the answer is the
//! same as without pruning.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use ember::SessionContext;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

/// 10 row groups of 100 rows; `id` runs 0..1000 in order, `tag` cycles.
fn write_table(dir: &std::path::Path) -> String {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("tag", DataType::Utf8, true),
    ]));
    let path = dir.join("ordered.parquet");
    let file = std::fs::File::create(&path).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(100))
        .build();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
    let ids: Vec<i64> = (0..1000).collect();
    let tags: Vec<Option<String>> = ids
        .iter()
        .map(|i| (i % 7 != 0).then(|| format!("t{}", i % 3)))
        .collect();
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(tags)),
        ],
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    path.to_string_lossy().into_owned()
}

fn scanned_rows(ctx: &SessionContext, sql: &str) -> (u64, usize) {
    let df = ctx.sql(sql).unwrap();
    let ops = df.analyze_rows().unwrap();
    let scan = ops
        .iter()
        .find(|o| o.operator.starts_with("Scan"))
        .unwrap_or_else(|| panic!("no scan in {ops:#?}"));
    (scan.actual, df.count().unwrap())
}

#[test]
fn filters_skip_row_groups_that_cannot_match() {
    let dir = std::env::temp_dir().join(format!("ember_pruning_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = write_table(&dir);
    let ctx = SessionContext::new();
    ctx.register_parquet("t", &path).unwrap();

    // 250 <= id < 420 lies in row groups 2, 3 and 4.
    let (scanned, rows) = scanned_rows(&ctx, "SELECT id FROM t WHERE id >= 250 AND id < 420");
    assert_eq!((scanned, rows), (300, 170));
    // An IN list touching two row groups; an OR of two ranges.
    let (scanned, rows) = scanned_rows(&ctx, "SELECT id FROM t WHERE id IN (5, 950)");
    assert_eq!((scanned, rows), (200, 2));
    let (scanned, rows) = scanned_rows(&ctx, "SELECT * FROM t WHERE id < 10 OR id > 989");
    assert_eq!((scanned, rows), (200, 20));
    // Nothing can match: no row group is read, and the result is empty.
    let (scanned, rows) = scanned_rows(&ctx, "SELECT count(*) FROM t WHERE id > 5000");
    assert_eq!((scanned, rows), (0, 1));
    assert_eq!(
        ctx.sql("SELECT count(*) AS n FROM t WHERE id > 5000")
            .unwrap()
            .to_table_string()
            .unwrap()
            .matches(" 0 ")
            .count(),
        1
    );
    // A predicate the statistics cannot decide reads everything.
    let (scanned, rows) = scanned_rows(&ctx, "SELECT id FROM t WHERE tag = 't1'");
    assert_eq!(scanned, 1000);
    assert_eq!(rows, (0..1000).filter(|i| i % 7 != 0 && i % 3 == 1).count());
    std::fs::remove_dir_all(&dir).ok();
}
