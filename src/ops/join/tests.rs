//! Join tests: every kind, with and without the extra filter, single and
//! multi-column keys, NULL keys, and the nested loop join.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::ScalarValue;
use ember_planner::expr::BinaryOp;
use ember_planner::logical::JoinKind;
use ember_planner::physical::PhysExpr;

use super::*;
use crate::ops::sorted_rows;

fn left_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("lk", DataType::Int64, true),
        Field::new("ls", DataType::Utf8, true),
    ]))
}

fn right_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("rk", DataType::Int64, true),
        Field::new("rs", DataType::Utf8, true),
    ]))
}

fn output_schema(kind: JoinKind) -> SchemaRef {
    let mut fields: Vec<Field> = left_schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    if kind.is_mark() {
        fields.push(Field::new("__mark", DataType::Boolean, true));
    } else if !kind.left_only() {
        fields.extend(
            right_schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true)),
        );
    }
    Arc::new(Schema::new(fields))
}

fn left() -> Vec<RecordBatch> {
    let b = |k: Vec<Option<i64>>, s: Vec<Option<&str>>| {
        RecordBatch::try_new(
            left_schema(),
            vec![
                Arc::new(Int64Array::from(k)),
                Arc::new(StringArray::from(s)),
            ],
        )
        .unwrap()
    };
    vec![
        b(
            vec![Some(1), Some(2), None],
            vec![Some("x"), Some("y"), Some("z")],
        ),
        b(vec![Some(3), Some(1)], vec![Some("w"), Some("v")]),
    ]
}

fn right() -> Vec<RecordBatch> {
    let b = |k: Vec<Option<i64>>, s: Vec<Option<&str>>| {
        RecordBatch::try_new(
            right_schema(),
            vec![
                Arc::new(Int64Array::from(k)),
                Arc::new(StringArray::from(s)),
            ],
        )
        .unwrap()
    };
    vec![
        b(
            vec![Some(1), Some(1), None],
            vec![Some("a"), Some("x"), Some("n")],
        ),
        b(vec![Some(4), Some(2)], vec![Some("d"), Some("b")]),
    ]
}

fn hash_join(kind: JoinKind, keys: usize, filter: Option<PhysExpr>) -> Vec<String> {
    let build_keys: Vec<PhysExpr> = (0..keys).map(|i| PhysExpr::column(i, "r")).collect();
    let probe_keys: Vec<PhysExpr> = (0..keys).map(|i| PhysExpr::column(i, "l")).collect();
    let table = Arc::new(JoinHashTable::build(right(), &build_keys, right_schema()).unwrap());
    let groups = Arc::new(MarkGroups::build(table.batch(), &build_keys).unwrap());
    let mut probe = HashJoinProbe::new(table, kind, probe_keys, filter, output_schema(kind))
        .with_mark_groups(groups);
    let mut out = Vec::new();
    for b in left() {
        out.extend(probe.probe(&b).unwrap());
    }
    out.extend(probe.finish().unwrap());
    sorted_rows(&out)
}

/// `ls <> rs`: over left columns then right columns.
fn strings_differ() -> PhysExpr {
    PhysExpr::Binary {
        left: Box::new(PhysExpr::column(1, "ls")),
        op: BinaryOp::NotEq,
        right: Box::new(PhysExpr::column(3, "rs")),
        data_type: DataType::Boolean,
    }
}

#[test]
fn inner() {
    assert_eq!(
        hash_join(JoinKind::Inner, 1, None),
        vec!["1|v|1|a", "1|v|1|x", "1|x|1|a", "1|x|1|x", "2|y|2|b"]
    );
    assert_eq!(
        hash_join(JoinKind::Inner, 1, Some(strings_differ())),
        vec!["1|v|1|a", "1|v|1|x", "1|x|1|a", "2|y|2|b"]
    );
}

#[test]
fn left_outer() {
    assert_eq!(
        hash_join(JoinKind::Left, 1, None),
        vec![
            "1|v|1|a",
            "1|v|1|x",
            "1|x|1|a",
            "1|x|1|x",
            "2|y|2|b",
            "3|w|NULL|NULL",
            "NULL|z|NULL|NULL"
        ]
    );
    // A filter that rejects every candidate of a row gives that row NULLs.
    let only_a = PhysExpr::Binary {
        left: Box::new(PhysExpr::column(3, "rs")),
        op: BinaryOp::Eq,
        right: Box::new(PhysExpr::Literal(ScalarValue::Utf8(Some("a".into())))),
        data_type: DataType::Boolean,
    };
    assert_eq!(
        hash_join(JoinKind::Left, 1, Some(only_a)),
        vec![
            "1|v|1|a",
            "1|x|1|a",
            "2|y|NULL|NULL",
            "3|w|NULL|NULL",
            "NULL|z|NULL|NULL"
        ]
    );
}

#[test]
fn right_and_full_outer() {
    assert_eq!(
        hash_join(JoinKind::Right, 1, None),
        vec![
            "1|v|1|a",
            "1|v|1|x",
            "1|x|1|a",
            "1|x|1|x",
            "2|y|2|b",
            "NULL|NULL|4|d",
            "NULL|NULL|NULL|n"
        ]
    );
    assert_eq!(
        hash_join(JoinKind::Full, 1, Some(strings_differ())),
        vec![
            "1|v|1|a",
            "1|v|1|x",
            "1|x|1|a",
            "2|y|2|b",
            "3|w|NULL|NULL",
            "NULL|NULL|4|d",
            "NULL|NULL|NULL|n",
            "NULL|z|NULL|NULL"
        ]
    );
}

#[test]
fn semi_and_anti() {
    assert_eq!(
        hash_join(JoinKind::LeftSemi, 1, None),
        vec!["1|v", "1|x", "2|y"]
    );
    assert_eq!(
        hash_join(JoinKind::LeftAnti, 1, None),
        vec!["3|w", "NULL|z"]
    );
    let never = PhysExpr::Literal(ScalarValue::Boolean(Some(false)));
    assert!(hash_join(JoinKind::LeftSemi, 1, Some(never.clone())).is_empty());
    assert_eq!(hash_join(JoinKind::LeftAnti, 1, Some(never)).len(), 5);
}

#[test]
fn mark_joins_keep_every_left_row_with_its_mark() {
    assert_eq!(
        hash_join(JoinKind::LeftMark, 1, None),
        vec![
            "1|v|true",
            "1|x|true",
            "2|y|true",
            "3|w|false",
            "NULL|z|false"
        ]
    );
    let never = PhysExpr::Literal(ScalarValue::Boolean(Some(false)));
    assert_eq!(
        hash_join(JoinKind::LeftMark, 1, Some(never)),
        vec![
            "1|v|false",
            "1|x|false",
            "2|y|false",
            "3|w|false",
            "NULL|z|false"
        ]
    );
}

#[test]
fn null_aware_mark_is_null_where_a_null_could_have_matched() {
    // The build side holds a NULL key: every miss is unknown, and so is a NULL probe key.
    assert_eq!(
        hash_join(JoinKind::LeftMarkNullAware, 1, None),
        vec![
            "1|v|true",
            "1|x|true",
            "2|y|true",
            "3|w|NULL",
            "NULL|z|NULL"
        ]
    );
    assert_eq!(
        hash_join(JoinKind::LeftMarkNullAware, 1, Some(strings_differ())),
        vec![
            "1|v|true",
            "1|x|true",
            "2|y|true",
            "3|w|NULL",
            "NULL|z|NULL"
        ]
    );
    // Rows the filter rejects do not count, NULL or not.
    let never = PhysExpr::Literal(ScalarValue::Boolean(Some(false)));
    assert_eq!(
        hash_join(JoinKind::LeftMarkNullAware, 1, Some(never)),
        vec![
            "1|v|false",
            "1|x|false",
            "2|y|false",
            "3|w|false",
            "NULL|z|false"
        ]
    );
    // The second key is an ordinary one: it picks the rows that count (none for most).
    assert_eq!(
        hash_join(JoinKind::LeftMarkNullAware, 2, None),
        vec![
            "1|v|false",
            "1|x|true",
            "2|y|false",
            "3|w|false",
            "NULL|z|false"
        ]
    );
}

#[test]
fn multi_column_keys() {
    assert_eq!(hash_join(JoinKind::Inner, 2, None), vec!["1|x|1|x"]);
    assert_eq!(
        hash_join(JoinKind::LeftAnti, 2, None),
        vec!["1|v", "2|y", "3|w", "NULL|z"]
    );
}

#[test]
fn nested_loop_kinds() {
    let run = |kind: JoinKind, filter: Option<PhysExpr>| -> Vec<String> {
        let join = NestedLoopJoin::new(right(), right_schema(), kind, filter, output_schema(kind))
            .unwrap();
        let mut out = Vec::new();
        for b in left() {
            out.extend(join.probe(&b).unwrap());
        }
        sorted_rows(&out)
    };
    assert_eq!(run(JoinKind::Cross, None).len(), 25);
    let greater = PhysExpr::Binary {
        left: Box::new(PhysExpr::column(0, "lk")),
        op: BinaryOp::Gt,
        right: Box::new(PhysExpr::column(2, "rk")),
        data_type: DataType::Boolean,
    };
    assert_eq!(
        run(JoinKind::Inner, Some(greater.clone())),
        vec!["2|y|1|a", "2|y|1|x", "3|w|1|a", "3|w|1|x", "3|w|2|b"]
    );
    assert_eq!(
        run(JoinKind::Left, Some(greater.clone())),
        vec![
            "1|v|NULL|NULL",
            "1|x|NULL|NULL",
            "2|y|1|a",
            "2|y|1|x",
            "3|w|1|a",
            "3|w|1|x",
            "3|w|2|b",
            "NULL|z|NULL|NULL"
        ]
    );
    assert_eq!(
        run(JoinKind::LeftSemi, Some(greater.clone())),
        vec!["2|y", "3|w"]
    );
    assert_eq!(
        run(JoinKind::LeftMark, Some(greater.clone())),
        vec![
            "1|v|false",
            "1|x|false",
            "2|y|true",
            "3|w|true",
            "NULL|z|false"
        ]
    );
    assert_eq!(
        run(JoinKind::LeftAnti, Some(greater)),
        vec!["1|v", "1|x", "NULL|z"]
    );
    // Without a condition the mark says whether the right side has rows.
    assert!(
        run(JoinKind::LeftMark, None)
            .iter()
            .all(|r| r.ends_with("|true"))
    );
    let empty = NestedLoopJoin::new(
        vec![],
        right_schema(),
        JoinKind::LeftMark,
        None,
        output_schema(JoinKind::LeftMark),
    )
    .unwrap();
    let out: Vec<RecordBatch> = left()
        .iter()
        .flat_map(|b| empty.probe(b).unwrap())
        .collect();
    let marks = sorted_rows(&out);
    assert_eq!(marks.len(), 5);
    assert!(marks.iter().all(|r| r.ends_with("|false")), "{marks:?}");
    assert!(
        NestedLoopJoin::new(
            vec![],
            right_schema(),
            JoinKind::Full,
            None,
            output_schema(JoinKind::Full)
        )
        .is_err()
    );
}

#[test]
fn empty_build_side() {
    let table = Arc::new(
        JoinHashTable::build(vec![], &[PhysExpr::column(0, "rk")], right_schema()).unwrap(),
    );
    let mut probe = HashJoinProbe::new(
        table,
        JoinKind::Left,
        vec![PhysExpr::column(0, "lk")],
        None,
        output_schema(JoinKind::Left),
    );
    let out = probe.probe(&left()[0]).unwrap();
    assert_eq!(
        sorted_rows(&out),
        vec!["1|x|NULL|NULL", "2|y|NULL|NULL", "NULL|z|NULL|NULL"]
    );
}

#[test]
fn operators_can_cross_threads() {
    fn shared<T: Send + Sync>() {}
    fn sent<T: Send>() {}
    shared::<JoinHashTable>();
    sent::<HashJoinProbe>();
    shared::<NestedLoopJoin>();
    sent::<crate::ops::aggregate::HashAggregator>();
    sent::<crate::ops::topk::TopK>();
}

/// Grace joins: the same rows as in memory, however the build side is split.
mod grace {
    use std::path::PathBuf;

    use crate::error::EmberError;
    use crate::memory::{MemoryCounters, MemoryPool, QueryMemory};
    use crate::ops::join::grace::collect_build;

    use super::*;

    fn keyed(schema: SchemaRef, keys: Vec<Option<i64>>, strings: Vec<String>) -> RecordBatch {
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(keys)),
                Arc::new(StringArray::from(strings)),
            ],
        )
        .unwrap()
    }

    /// `rows` rows in batches of 1000: keys from `key(i)`, strings `"{i % 3}"` so that
    /// `ls <> rs` keeps some pairs and drops others.
    fn side(
        schema: SchemaRef,
        rows: usize,
        key: impl Fn(usize) -> Option<i64>,
    ) -> Vec<RecordBatch> {
        (0..rows)
            .step_by(1000)
            .map(|start| {
                let range = start..(start + 1000).min(rows);
                keyed(
                    schema.clone(),
                    range.clone().map(&key).collect(),
                    range.map(|i| format!("{}", i % 3)).collect(),
                )
            })
            .collect()
    }

    /// Build rows: 4000 keys, two rows each, every 97th key NULL.
    fn build_rows() -> Vec<RecordBatch> {
        side(right_schema(), 8000, |i| {
            (i % 97 != 0).then_some((i % 4000) as i64)
        })
    }

    /// Probe rows: keys that match, keys that do not (4000 and up), and NULLs.
    fn probe_rows() -> Vec<RecordBatch> {
        side(left_schema(), 6000, |i| {
            (i % 101 != 0).then_some(((i * 7) % 4500) as i64)
        })
    }

    /// A join of `kind` on `lk = rk`.
    fn spec(kind: JoinKind, filter: Option<PhysExpr>) -> Result<Arc<JoinSpec>, EmberError> {
        JoinSpec::new(
            kind,
            vec![PhysExpr::column(0, "rk")],
            vec![PhysExpr::column(0, "lk")],
            filter,
            right_schema(),
            output_schema(kind),
        )
    }

    struct Outcome {
        rows: Vec<String>,
        spill_files: u64,
    }

    /// Joins `probe` with `build` under a pool of `limit` bytes.
    fn join(
        kind: JoinKind,
        filter: Option<PhysExpr>,
        build: Vec<RecordBatch>,
        probe: Vec<RecordBatch>,
        limit: u64,
        name: &str,
    ) -> Result<Outcome, EmberError> {
        let parent: PathBuf =
            std::env::temp_dir().join(format!("ember-grace-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&parent).unwrap();
        let memory = QueryMemory::new(MemoryPool::new(limit), &parent, u64::MAX);
        let counters = Arc::new(MemoryCounters::default());
        let spec = spec(kind, filter)?;
        let mut handle = memory.operator(
            "HashJoin build side (partition 0)",
            true,
            Some(counters.clone()),
        );
        let out = match collect_build(&spec, &mut handle, build.into_iter().map(Ok))? {
            BuildSide::InMemory { batches, bytes } => {
                let table = Arc::new(spec.build_table(batches)?);
                handle.shrink(bytes);
                let stream = ProbeStream::new(spec.probe(table), probe.into_iter().map(Ok), None);
                stream.collect::<Result<Vec<_>, _>>()
            }
            BuildSide::Spilled(parts) => GraceJoin::new(
                spec.clone(),
                handle,
                parts,
                left_schema(),
                probe.into_iter().map(Ok),
            )?
            .collect::<Result<Vec<_>, _>>(),
        };
        // Every spill file is gone once the join is.
        let left_over = std::fs::read_dir(&parent)
            .unwrap()
            .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
            .count();
        drop(memory);
        std::fs::remove_dir_all(&parent).unwrap();
        assert_eq!(left_over, 0);
        Ok(Outcome {
            rows: sorted_rows(&out?),
            spill_files: counters.spill_files(),
        })
    }

    const KINDS: [JoinKind; 7] = [
        JoinKind::Inner,
        JoinKind::Left,
        JoinKind::Right,
        JoinKind::Full,
        JoinKind::LeftSemi,
        JoinKind::LeftAnti,
        JoinKind::LeftMark,
    ];

    #[test]
    fn every_kind_gives_the_rows_it_gives_in_memory() {
        for kind in KINDS {
            for filter in [None, Some(strings_differ())] {
                let name = format!("{kind}");
                let whole = join(
                    kind,
                    filter.clone(),
                    build_rows(),
                    probe_rows(),
                    u64::MAX,
                    &name,
                )
                .unwrap();
                assert_eq!(whole.spill_files, 0);
                assert!(!whole.rows.is_empty());
                let parts = join(
                    kind,
                    filter.clone(),
                    build_rows(),
                    probe_rows(),
                    200_000,
                    &name,
                )
                .unwrap();
                assert!(parts.spill_files > 0, "{kind} did not spill");
                assert_eq!(parts.rows.len(), whole.rows.len(), "{kind} {filter:?}");
                assert!(parts.rows == whole.rows, "{kind} {filter:?}: rows differ");
            }
        }
    }

    #[test]
    fn not_in_runs_in_parts_without_a_filter() {
        let spec = |kind, filter| spec(kind, filter).unwrap();
        assert!(spec(JoinKind::LeftAntiNullAware, None).runs_in_parts());
        assert!(!spec(JoinKind::LeftAntiNullAware, Some(strings_differ())).runs_in_parts());
        assert!(!spec(JoinKind::LeftMarkNullAware, None).runs_in_parts());
        // Build keys without NULLs: the probe rows whose key is not among them, and
        // not NULL, come out.
        let no_nulls = || side(right_schema(), 8000, |i| Some((i % 4000) as i64));
        // With a NULL among the build keys nothing comes out; with the build side empty
        // every probe row does, NULL keys too.
        for (build, name) in [
            (no_nulls(), "not-in"),
            (build_rows(), "not-in-null"),
            (Vec::new(), "not-in-empty"),
        ] {
            let kind = JoinKind::LeftAntiNullAware;
            let whole = join(kind, None, build.clone(), probe_rows(), u64::MAX, name).unwrap();
            assert_eq!(whole.spill_files, 0);
            let parts = join(kind, None, build.clone(), probe_rows(), 200_000, name).unwrap();
            assert!(parts.rows == whole.rows, "{name}: rows differ");
            match name {
                "not-in" => {
                    assert!(parts.spill_files > 0, "{name} did not spill");
                    assert!(!whole.rows.is_empty() && whole.rows.len() < 6000);
                }
                "not-in-null" => {
                    assert!(parts.spill_files > 0, "{name} did not spill");
                    assert!(whole.rows.is_empty());
                }
                _ => assert_eq!(whole.rows.len(), 6000),
            }
        }
        // With a filter it needs every build row at once.
        let error = join(
            JoinKind::LeftAntiNullAware,
            Some(strings_differ()),
            no_nulls(),
            probe_rows(),
            200_000,
            "not-in-filter",
        )
        .err()
        .expect("refused");
        assert!(
            matches!(error, EmberError::ResourcesExhausted(_)),
            "{error}"
        );
    }

    #[test]
    fn parts_too_large_are_split_again() {
        // 64000 distinct keys: a first-level part (about 4000 rows, some 150KB with its
        // index) does not fit in 60KB; a second-level one (about 250 rows) does.
        let build = side(right_schema(), 64000, |i| Some(i as i64));
        let probe = side(left_schema(), 20000, |i| Some((i * 3) as i64));
        let whole = join(
            JoinKind::Full,
            None,
            build.clone(),
            probe.clone(),
            u64::MAX,
            "split",
        )
        .unwrap();
        let parts = join(JoinKind::Full, None, build, probe, 60_000, "split").unwrap();
        // One level writes 16 build and 16 probe files; more means parts were split.
        assert!(parts.spill_files > 64, "{}", parts.spill_files);
        assert!(parts.rows == whole.rows, "rows differ");
    }

    #[test]
    fn a_skewed_key_is_split_from_the_rest() {
        // Key 7 holds 3000 rows (about 130KB to build): it fits alone in 180KB, but not
        // with the rest of its first-level part (about 2300 rows more); the other parts
        // fit as they are.
        let build = side(right_schema(), 40000, |i| {
            Some(if i % 4 == 0 && i < 12000 { 7 } else { i as i64 })
        });
        let probe = side(left_schema(), 5000, |i| Some((i % 50) as i64));
        let whole = join(
            JoinKind::Inner,
            None,
            build.clone(),
            probe.clone(),
            u64::MAX,
            "skew",
        )
        .unwrap();
        let parts = join(JoinKind::Inner, None, build, probe, 180_000, "skew").unwrap();
        assert!(parts.spill_files > 32, "{}", parts.spill_files);
        assert!(parts.rows == whole.rows, "rows differ");
    }

    #[test]
    fn one_key_too_large_for_memory_is_a_typed_error() {
        // 10000 rows of key 7 and 200 of other keys.
        let build = side(right_schema(), 10200, |i| {
            Some(if i < 10000 { 7 } else { i as i64 })
        });
        let probe = side(left_schema(), 100, |_| Some(7));
        let error = join(JoinKind::Inner, None, build, probe, 100_000, "one-key")
            .err()
            .expect("a key larger than memory");
        assert!(
            matches!(error, EmberError::ResourcesExhausted(_)),
            "{error}"
        );
        let text = error.to_string();
        assert!(text.contains("HashJoin build side (partition 0)"), "{text}");
        assert!(text.contains("one join key"), "{text}");
    }
}
