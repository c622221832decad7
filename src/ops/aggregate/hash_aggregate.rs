//! HashAggregate: groups rows by key and folds aggregate calls per group.
//!
//! In: batches (raw rows for Partial and Single; group columns then state columns
//! for Final). Out, from [`HashAggregator::finish`]: group columns then, per
//! aggregate, its state columns (Partial) or its final value (Final, Single), in
//! batches of at most [`crate::ops::BATCH_SIZE`] rows. Without GROUP BY there is
//! exactly one output row, even for empty input.
//!
//! Its state is reserved in an [`OperatorMemory`] after every batch. When the
//! reservation cannot grow, a grouped aggregation without DISTINCT writes its groups'
//! partial states to spill files ([`SpilledState`]) and starts again empty; at the end
//! [`HashAggregator::into_stream`] merges the spilled parts one at a time.

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef};
use ember_planner::physical::{AggregateExpr, AggregateMode, PhysExpr};

use crate::error::{EmberError, Result};
use crate::expr::evaluate;
use crate::memory::{OperatorMemory, SpillFile};
use crate::ops::aggregate::accumulators::Accumulator;
use crate::ops::aggregate::distinct::DistinctFilter;
use crate::ops::aggregate::group_keys::GroupKeys;
use crate::ops::aggregate::spill::SpilledState;
use crate::ops::{batch_with_schema, split_batch};

/// A hash aggregation over the batches of one partition.
pub struct HashAggregator {
    mode: AggregateMode,
    group_by: Vec<PhysExpr>,
    aggregates: Vec<AggregateExpr>,
    output_schema: SchemaRef,
    keys: GroupKeys,
    accumulators: Vec<Accumulator>,
    distinct: Vec<Option<DistinctFilter>>,
    ids: Vec<u32>,
    key_types: Vec<DataType>,
    /// Output states rather than final values (Partial, or the merge of a spilled
    /// Partial aggregation).
    emit_states: bool,
    memory: OperatorMemory,
    spilled: Option<SpilledState>,
}

/// Output batches of an aggregation, computed as they are read when it spilled.
pub type AggregateStream = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// Bytes of state per group and state column: a value and its "has a value" flag.
const STATE_BYTES_PER_GROUP: usize = 17;

impl HashAggregator {
    /// An aggregator producing `output_schema` (group columns first).
    pub fn new(
        mode: AggregateMode,
        group_by: Vec<PhysExpr>,
        aggregates: Vec<AggregateExpr>,
        output_schema: SchemaRef,
    ) -> Result<Self> {
        let key_types = output_schema
            .fields()
            .iter()
            .take(group_by.len())
            .map(|f| f.data_type().clone())
            .collect::<Vec<_>>();
        if key_types.len() != group_by.len() {
            return Err(EmberError::internal(
                "aggregate output schema has fewer fields than group columns",
            ));
        }
        let keys = GroupKeys::new(&key_types)?;
        let emit_states = mode == AggregateMode::Partial;
        let accumulators = aggregates
            .iter()
            .map(Accumulator::new)
            .collect::<Result<Vec<_>>>()?;
        let mut distinct = Vec::with_capacity(aggregates.len());
        for agg in &aggregates {
            if agg.distinct && mode != AggregateMode::Single {
                return Err(EmberError::Unsupported(format!(
                    "{agg} in a {mode:?} aggregate (DISTINCT aggregates run in one step)"
                )));
            }
            distinct.push(agg.distinct.then(DistinctFilter::new));
        }
        Ok(HashAggregator {
            mode,
            group_by,
            aggregates,
            output_schema,
            keys,
            accumulators,
            distinct,
            ids: Vec::new(),
            key_types,
            emit_states,
            memory: OperatorMemory::unbounded("HashAggregate"),
            spilled: None,
        })
    }

    /// Reserves its state in `memory` (spilling when that is a spilling handle and
    /// [`HashAggregator::can_spill`] allows).
    pub fn with_memory(mut self, memory: OperatorMemory) -> Self {
        self.memory = memory;
        self
    }

    /// Whether an aggregation can spill its state: it has groups (a global aggregate
    /// holds one) and no DISTINCT aggregate (whose sets of seen values do not merge).
    pub fn can_spill(group_by: &[PhysExpr], aggregates: &[AggregateExpr]) -> bool {
        !group_by.is_empty() && !aggregates.iter().any(|a| a.distinct)
    }

    /// Bytes its state holds, estimated from the key index's allocation, the state
    /// columns per group and the values DISTINCT calls have seen.
    fn memory_estimate(&self) -> u64 {
        let groups = self.keys.num_groups();
        let per_group: usize = self
            .accumulators
            .iter()
            .map(|a| a.num_state_columns() * STATE_BYTES_PER_GROUP)
            .sum();
        let seen: usize = self
            .distinct
            .iter()
            .flatten()
            .map(|d| d.memory_size())
            .sum();
        (self.keys.memory_size() + groups * per_group + self.ids.capacity() * 4 + seen) as u64
    }

    /// Reserves the state's memory; spills it when the reservation cannot grow.
    fn account(&mut self) -> Result<()> {
        let Err(refused) = self.memory.try_resize(self.memory_estimate()) else {
            return Ok(());
        };
        if !self.memory.can_spill() || !Self::can_spill(&self.group_by, &self.aggregates) {
            return Err(refused);
        }
        let (columns, groups) = self.take_state()?;
        let spilled = self
            .spilled
            .get_or_insert_with(|| SpilledState::new(self.group_by.len()));
        spilled.write(columns, groups, &self.memory)?;
        self.memory.free();
        Ok(())
    }

    /// The groups' keys and states (as a Partial aggregate outputs them), leaving
    /// the aggregator empty.
    fn take_state(&mut self) -> Result<(Vec<ArrayRef>, usize)> {
        let keys = std::mem::replace(&mut self.keys, GroupKeys::new(&self.key_types)?);
        let fresh = self
            .aggregates
            .iter()
            .map(Accumulator::new)
            .collect::<Result<Vec<_>>>()?;
        let accumulators = std::mem::replace(&mut self.accumulators, fresh);
        let groups = keys.num_groups();
        let mut columns = keys.into_columns()?;
        for mut acc in accumulators {
            acc.resize(groups);
            columns.extend(acc.state()?);
        }
        Ok((columns, groups))
    }

    /// An aggregator that merges spilled states into this one's output; it must fit.
    fn merger(&self) -> Result<HashAggregator> {
        let mut merger = HashAggregator::new(
            AggregateMode::Final,
            self.group_by.clone(),
            self.aggregates.clone(),
            self.output_schema.clone(),
        )?;
        merger.emit_states = self.emit_states;
        merger.memory = self
            .memory
            .unspillable_sibling(format!("{} merging spilled groups", self.memory.consumer()));
        Ok(merger)
    }

    /// Merges one spilled part into its output batches.
    fn merge_part(&self, part: SpillFile) -> Result<Vec<RecordBatch>> {
        let mut merger = self.merger()?;
        for batch in part.read()? {
            merger.update(&batch?)?;
        }
        merger.finish()
    }

    /// Folds one input batch into the groups.
    pub fn update(&mut self, batch: &RecordBatch) -> Result<()> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let group_columns: Vec<ArrayRef> = match self.mode {
            AggregateMode::Final => batch
                .columns()
                .get(..self.group_by.len())
                .ok_or_else(|| EmberError::internal("final aggregate input lacks group columns"))?
                .to_vec(),
            _ => self
                .group_by
                .iter()
                .map(|e| evaluate(e, batch))
                .collect::<Result<Vec<_>>>()?,
        };
        let mut ids = std::mem::take(&mut self.ids);
        self.keys.intern(&group_columns, rows, &mut ids)?;
        let groups = self.keys.num_groups();
        for acc in &mut self.accumulators {
            acc.resize(groups);
        }
        if self.mode == AggregateMode::Final {
            let mut next = self.group_by.len();
            for acc in &mut self.accumulators {
                let width = acc.num_state_columns();
                let states = batch.columns().get(next..next + width).ok_or_else(|| {
                    EmberError::internal("final aggregate input lacks state columns")
                })?;
                acc.merge(&ids, states)?;
                next += width;
            }
        } else {
            let parts = self
                .aggregates
                .iter()
                .zip(self.accumulators.iter_mut())
                .zip(self.distinct.iter_mut());
            for ((agg, acc), distinct) in parts {
                let arg = agg.arg.as_ref().map(|e| evaluate(e, batch)).transpose()?;
                match (distinct, arg) {
                    (Some(filter), Some(values)) => {
                        let (kept_ids, kept) = filter.filter(&ids, &values)?;
                        acc.update(&kept_ids, Some(&kept))?;
                    }
                    (_, arg) => acc.update(&ids, arg.as_ref())?,
                }
            }
        }
        self.ids = ids;
        self.account()
    }

    /// The output as a stream: at once when nothing spilled, else part by part, each
    /// spilled part merged when it is reached.
    pub fn into_stream(mut self) -> Result<AggregateStream> {
        let Some(mut spilled) = self.spilled.take() else {
            return Ok(Box::new(self.finish()?.into_iter().map(Ok)));
        };
        let (columns, groups) = self.take_state()?;
        spilled.write(columns, groups, &self.memory)?;
        self.memory.free();
        let parts = spilled.finish(&self.memory)?.into_iter();
        let merged = parts.flat_map(move |part| match self.merge_part(part) {
            Ok(batches) => batches.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        });
        Ok(Box::new(merged))
    }

    /// The groups and their aggregates, in batches of at most 8192 rows.
    pub fn finish(self) -> Result<Vec<RecordBatch>> {
        if self.spilled.is_some() {
            return self.into_stream()?.collect();
        }
        let groups = self.keys.num_groups();
        let mut accumulators = self.accumulators;
        for acc in &mut accumulators {
            acc.resize(groups);
        }
        let mut columns = self.keys.into_columns()?;
        for acc in &accumulators {
            if self.emit_states {
                columns.extend(acc.state()?);
            } else {
                columns.push(acc.evaluate()?);
            }
        }
        if columns.len() != self.output_schema.fields().len() {
            return Err(EmberError::internal(format!(
                "aggregate produced {} columns for a schema of {}",
                columns.len(),
                self.output_schema.fields().len()
            )));
        }
        let batch = batch_with_schema(&self.output_schema, columns, groups)?;
        Ok(split_batch(batch))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Decimal128Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use ember_planner::expr::AggFunc;
    use ember_planner::physical::plan::state_fields;

    use super::*;
    use crate::ops::sorted_rows;

    fn input_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Utf8, true),
            Field::new("v", DataType::Int64, true),
            Field::new("d", DataType::Decimal128(15, 2), true),
        ]))
    }

    fn input(k: Vec<Option<&str>>, v: Vec<Option<i64>>, d: Vec<Option<i128>>) -> RecordBatch {
        let d = Decimal128Array::from(d)
            .with_precision_and_scale(15, 2)
            .unwrap();
        RecordBatch::try_new(
            input_schema(),
            vec![
                Arc::new(StringArray::from(k)),
                Arc::new(Int64Array::from(v)),
                Arc::new(d),
            ],
        )
        .unwrap()
    }

    fn agg(func: AggFunc, arg: Option<usize>, distinct: bool) -> AggregateExpr {
        let input_type = arg.map(|i| input_schema().field(i).data_type().clone());
        AggregateExpr {
            func,
            arg: arg.map(|i| PhysExpr::column(i, "x")),
            distinct,
            params: vec![],
            return_type: func.return_type(input_type.as_ref()).unwrap(),
            input_type,
            name: format!("{}_{arg:?}", func.name()),
        }
    }

    fn aggregates() -> Vec<AggregateExpr> {
        vec![
            agg(AggFunc::Count, None, false),
            agg(AggFunc::Count, Some(1), false),
            agg(AggFunc::Sum, Some(1), false),
            agg(AggFunc::Avg, Some(1), false),
            agg(AggFunc::Min, Some(1), false),
            agg(AggFunc::Max, Some(2), false),
            agg(AggFunc::Sum, Some(2), false),
            agg(AggFunc::Avg, Some(2), false),
            agg(AggFunc::Min, Some(0), false),
        ]
    }

    fn final_schema(group: bool, aggs: &[AggregateExpr]) -> SchemaRef {
        let mut fields = Vec::new();
        if group {
            fields.push(Field::new("k", DataType::Utf8, true));
        }
        for a in aggs {
            fields.push(Field::new(&a.name, a.return_type.clone(), true));
        }
        Arc::new(Schema::new(fields))
    }

    fn partial_schema(group: bool, aggs: &[AggregateExpr]) -> SchemaRef {
        let mut fields = Vec::new();
        if group {
            fields.push(Field::new("k", DataType::Utf8, true));
        }
        for a in aggs {
            fields.extend(state_fields(a));
        }
        Arc::new(Schema::new(fields))
    }

    fn batches() -> Vec<RecordBatch> {
        vec![
            input(
                vec![Some("a"), Some("b"), None, Some("a")],
                vec![Some(1), None, Some(3), Some(4)],
                vec![Some(100), Some(250), None, Some(200)],
            ),
            input(
                vec![Some("b"), Some("a"), None],
                vec![Some(10), None, Some(5)],
                vec![Some(1), Some(200), Some(7)],
            ),
        ]
    }

    fn run(
        mode: AggregateMode,
        group: bool,
        aggs: Vec<AggregateExpr>,
        schema: SchemaRef,
        input: &[RecordBatch],
    ) -> Vec<RecordBatch> {
        let group_by = if group {
            vec![PhysExpr::column(0, "k")]
        } else {
            vec![]
        };
        let mut agg = HashAggregator::new(mode, group_by, aggs, schema).unwrap();
        for b in input {
            agg.update(b).unwrap();
        }
        agg.finish().unwrap()
    }

    #[test]
    fn single_computes_every_function() {
        let aggs = aggregates();
        let out = run(
            AggregateMode::Single,
            true,
            aggs.clone(),
            final_schema(true, &aggs),
            &batches(),
        );
        assert_eq!(
            sorted_rows(&out),
            vec![
                "NULL|2|2|8|4.0|3|0.07|0.07|0.070000|NULL",
                "a|3|2|5|2.5|1|2.00|5.00|1.666667|a",
                "b|2|1|10|10.0|10|2.50|2.51|1.255000|b",
            ]
        );
    }

    #[test]
    fn partial_then_final_equals_single() {
        let aggs = aggregates();
        let single = run(
            AggregateMode::Single,
            true,
            aggs.clone(),
            final_schema(true, &aggs),
            &batches(),
        );
        let mut partials = Vec::new();
        for b in batches() {
            partials.extend(run(
                AggregateMode::Partial,
                true,
                aggs.clone(),
                partial_schema(true, &aggs),
                &[b],
            ));
        }
        let fin = run(
            AggregateMode::Final,
            true,
            aggs.clone(),
            final_schema(true, &aggs),
            &partials,
        );
        assert_eq!(sorted_rows(&fin), sorted_rows(&single));
    }

    #[test]
    fn no_group_by_on_empty_input_gives_one_row() {
        let aggs = aggregates();
        let single = run(
            AggregateMode::Single,
            false,
            aggs.clone(),
            final_schema(false, &aggs),
            &[],
        );
        assert_eq!(
            sorted_rows(&single),
            vec!["0|0|NULL|NULL|NULL|NULL|NULL|NULL|NULL"]
        );
        let partial = run(
            AggregateMode::Partial,
            false,
            aggs.clone(),
            partial_schema(false, &aggs),
            &[],
        );
        assert_eq!(partial.iter().map(|b| b.num_rows()).sum::<usize>(), 1);
        let fin = run(
            AggregateMode::Final,
            false,
            aggs.clone(),
            final_schema(false, &aggs),
            &partial,
        );
        assert_eq!(sorted_rows(&fin), sorted_rows(&single));
        let fin_empty = run(
            AggregateMode::Final,
            false,
            aggs.clone(),
            final_schema(false, &aggs),
            &[],
        );
        assert_eq!(sorted_rows(&fin_empty), sorted_rows(&single));
    }

    #[test]
    fn grouped_empty_input_gives_no_rows() {
        let aggs = aggregates();
        let out = run(
            AggregateMode::Single,
            true,
            aggs.clone(),
            final_schema(true, &aggs),
            &[],
        );
        assert!(out.is_empty());
    }

    #[test]
    fn count_distinct_per_group() {
        let aggs = vec![
            agg(AggFunc::Count, Some(2), true),
            agg(AggFunc::Sum, Some(1), true),
        ];
        let input = vec![
            input(
                vec![Some("a"), Some("a"), Some("b"), Some("a")],
                vec![Some(1), Some(1), Some(1), None],
                vec![Some(5), Some(5), Some(5), Some(6)],
            ),
            input(
                vec![Some("a"), Some("b")],
                vec![Some(2), Some(1)],
                vec![Some(5), None],
            ),
        ];
        let out = run(
            AggregateMode::Single,
            true,
            aggs.clone(),
            final_schema(true, &aggs),
            &input,
        );
        assert_eq!(sorted_rows(&out), vec!["a|2|3", "b|1|1"]);
    }

    #[test]
    fn distinct_outside_single_mode_is_refused() {
        let aggs = vec![agg(AggFunc::Count, Some(1), true)];
        let schema = partial_schema(false, &aggs);
        assert!(HashAggregator::new(AggregateMode::Partial, vec![], aggs, schema).is_err());
    }

    #[test]
    fn integer_key_fast_path_and_many_groups_split_output() {
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, true)]));
        let keys: Vec<i64> = (0..20_000).map(|i| i % 10_000).collect();
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(keys))]).unwrap();
        let aggs = vec![AggregateExpr {
            func: AggFunc::Count,
            arg: None,
            distinct: false,
            params: vec![],
            input_type: None,
            return_type: DataType::Int64,
            name: "n".into(),
        }];
        let out_schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let mut agg = HashAggregator::new(
            AggregateMode::Single,
            vec![PhysExpr::column(0, "k")],
            aggs,
            out_schema,
        )
        .unwrap();
        agg.update(&batch).unwrap();
        let out = agg.finish().unwrap();
        assert!(out.iter().all(|b| b.num_rows() <= crate::ops::BATCH_SIZE));
        assert_eq!(out.iter().map(|b| b.num_rows()).sum::<usize>(), 10_000);
        let rows = sorted_rows(&out);
        assert!(rows.iter().all(|r| r.ends_with("|2")));
    }

    /// Many groups (string keys, every aggregate of [`aggregates`]) in batches.
    fn many_groups() -> Vec<RecordBatch> {
        (0..12)
            .map(|b| {
                let keys: Vec<String> = (0..2000)
                    .map(|r| format!("key{}", (r * 7 + b * 13) % 5000))
                    .collect();
                let keys: Vec<Option<&str>> = keys.iter().map(|k| Some(k.as_str())).collect();
                let values: Vec<Option<i64>> =
                    (0..2000).map(|r| (r % 11 != 0).then_some(r + b)).collect();
                let decimals: Vec<Option<i128>> =
                    (0..2000).map(|r| Some((r * 3 + b) as i128)).collect();
                input(keys, values, decimals)
            })
            .collect()
    }

    fn run_limited(
        mode: AggregateMode,
        schema: SchemaRef,
        limit: u64,
    ) -> (Vec<RecordBatch>, Arc<crate::memory::MemoryCounters>) {
        use crate::memory::{MemoryCounters, MemoryPool, QueryMemory};
        let memory = QueryMemory::new(MemoryPool::new(limit), &std::env::temp_dir(), u64::MAX);
        let counters = Arc::new(MemoryCounters::default());
        let handle = memory.operator("HashAggregate (partition 0)", true, Some(counters.clone()));
        let mut agg =
            HashAggregator::new(mode, vec![PhysExpr::column(0, "k")], aggregates(), schema)
                .unwrap()
                .with_memory(handle);
        for b in many_groups() {
            agg.update(&b).unwrap();
        }
        let out = agg
            .into_stream()
            .unwrap()
            .collect::<Result<Vec<_>>>()
            .unwrap();
        assert_eq!(memory.pool().snapshot().reserved, 0);
        (out, counters)
    }

    #[test]
    fn a_tiny_limit_spills_groups_and_merges_to_the_same_answer() {
        let aggs = aggregates();
        for (mode, schema) in [
            (AggregateMode::Single, final_schema(true, &aggs)),
            (AggregateMode::Partial, partial_schema(true, &aggs)),
        ] {
            let (unlimited, counters) = run_limited(mode, schema.clone(), u64::MAX);
            assert_eq!(counters.spill_files(), 0);
            let (spilled, counters) = run_limited(mode, schema, 256 << 10);
            assert!(counters.spill_files() > 0, "{mode:?}");
            assert!(counters.spilled_bytes() > 0);
            assert_eq!(unlimited.iter().map(|b| b.num_rows()).sum::<usize>(), 5000);
            assert_eq!(sorted_rows(&spilled), sorted_rows(&unlimited), "{mode:?}");
        }
    }

    #[test]
    fn distinct_aggregates_do_not_spill_but_fail_with_a_typed_error() {
        use crate::memory::{MemoryPool, QueryMemory};
        let aggs = vec![agg(AggFunc::Count, Some(1), true)];
        assert!(!HashAggregator::can_spill(
            &[PhysExpr::column(0, "k")],
            &aggs
        ));
        let memory = QueryMemory::new(MemoryPool::new(4096), &std::env::temp_dir(), u64::MAX);
        let handle = memory.operator("HashAggregate (partition 0)", false, None);
        let mut agg = HashAggregator::new(
            AggregateMode::Single,
            vec![PhysExpr::column(0, "k")],
            aggs.clone(),
            final_schema(true, &aggs),
        )
        .unwrap()
        .with_memory(handle);
        let error = many_groups()
            .iter()
            .try_for_each(|b| agg.update(b))
            .unwrap_err();
        assert!(
            matches!(error, EmberError::ResourcesExhausted(_)),
            "{error}"
        );
    }
}
