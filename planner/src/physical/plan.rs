//! The physical plan enum: data only. Each variant documents its shape in one line.
//!
//! Partitions: a plan produces its output in partitions. Scans decide their own
//! count; `Exchange` repartitions (a stage boundary at run time); every other
//! operator keeps its input's partitions (for joins, both inputs must have the same
//! count unless the build side is broadcast).

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::catalog::TableSource;
use crate::expr::AggFunc;
use crate::logical::JoinKind;
use crate::physical::expr::{AggregateExpr, PhysExpr, PhysSortKey, WindowExpr};
use crate::scalar::ScalarValue;

/// How an exchange distributes rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Partitioning {
    /// Rows with equal key values go to the same one of `n` partitions.
    Hash(Vec<PhysExpr>, usize),
    /// Everything into one partition.
    Single,
}

/// Which step of a two-step aggregation a node performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateMode {
    /// Per input partition: group columns, then each aggregate's state columns
    /// (see [`state_fields`]).
    Partial,
    /// Over partial states, after a hash exchange on the group columns: group
    /// columns, then each aggregate's final value. Its group_by are the first
    /// columns of the input and the states follow in order.
    Final,
    /// All in one step, over input where each group lives in one partition.
    Single,
}

/// How a hash join gets its build side (always the right input) to the probe side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinDistribution {
    /// The right input is collected once and shared with every left partition.
    Broadcast,
    /// Both inputs are hash-partitioned on the keys, same partition count.
    Partitioned,
    /// Semi and anti joins whose left input is the small one: the left input is
    /// collected and indexed, every right partition streams through it marking the
    /// left rows it matches, and the output is the marked (semi) or unmarked (anti)
    /// left rows.
    BroadcastLeft,
}

/// A physical operator tree.
#[derive(Debug, Clone)]
pub enum PhysicalPlan {
    /// Scan(source, projection) → the projected columns, in partitions the source chooses.
    Scan {
        /// Table name, for display.
        table: String,
        /// The table.
        source: Arc<dyn TableSource>,
        /// Source column indices to read.
        projection: Vec<usize>,
        /// Predicates over the projected columns the source may use to skip data
        /// (a Filter above still applies them).
        filters: Vec<PhysExpr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Values(rows) → the literal rows, one partition.
    Values {
        /// Rows (may have zero columns).
        rows: Vec<Vec<ScalarValue>>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Filter(input, predicate) → rows where predicate is true.
    Filter {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// Predicate.
        predicate: PhysExpr,
    },
    /// Projection(input, exprs) → one column per expression.
    Projection {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// Expressions.
        exprs: Vec<PhysExpr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Expand(input, projections) → every input row once per projection, evaluated by it.
    Expand {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// One list of expressions per copy of each row (same length and types).
        projections: Vec<Vec<PhysExpr>>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// HashAggregate(input, mode, group_by, aggregates) → groups then aggregates (or states).
    HashAggregate {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// Step.
        mode: AggregateMode,
        /// Group expressions over the input.
        group_by: Vec<PhysExpr>,
        /// Aggregates.
        aggregates: Vec<AggregateExpr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// HashJoin(left probe, right build, on, filter) → left columns then right columns
    /// (left only for semi/anti; left then the mark for mark joins).
    HashJoin {
        /// Probe side.
        left: Arc<PhysicalPlan>,
        /// Build side.
        right: Arc<PhysicalPlan>,
        /// Kind (not Cross).
        kind: JoinKind,
        /// Key pairs (left over left columns, right over right columns; same types).
        on: Vec<(PhysExpr, PhysExpr)>,
        /// Extra condition over left columns followed by right columns.
        filter: Option<PhysExpr>,
        /// Broadcast or partitioned.
        distribution: JoinDistribution,
        /// Output schema.
        schema: SchemaRef,
    },
    /// NestedLoopJoin(left, right broadcast, filter) → as HashJoin, for joins without keys.
    NestedLoopJoin {
        /// Streamed side.
        left: Arc<PhysicalPlan>,
        /// Broadcast side.
        right: Arc<PhysicalPlan>,
        /// Inner, Left, LeftSemi, LeftAnti, LeftMark or Cross.
        kind: JoinKind,
        /// Condition over left columns followed by right columns.
        filter: Option<PhysExpr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Sort(input, keys, fetch) → each partition sorted; with fetch, only its first rows (top-k).
    Sort {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// Keys.
        keys: Vec<PhysSortKey>,
        /// Keep only this many rows per partition.
        fetch: Option<usize>,
    },
    /// Limit(input, skip, fetch) → per partition, rows skip..skip+fetch.
    Limit {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// Rows to skip.
        skip: usize,
        /// Rows to keep after skipping.
        fetch: Option<usize>,
    },
    /// Union(inputs) → the partitions of every input, one after another.
    Union {
        /// Inputs with equal schemas.
        inputs: Vec<Arc<PhysicalPlan>>,
    },
    /// Window(input, partition_by, order_by, exprs) → input's columns then one column per
    /// window call; each partition's rows arrive sorted by partition_by then order_by,
    /// and every PARTITION BY group lives in one partition.
    Window {
        /// Input (exchanged on partition_by, then sorted).
        input: Arc<PhysicalPlan>,
        /// PARTITION BY keys over the input.
        partition_by: Vec<PhysExpr>,
        /// ORDER BY keys over the input.
        order_by: Vec<PhysSortKey>,
        /// The calls.
        exprs: Vec<WindowExpr>,
        /// Output schema.
        schema: SchemaRef,
    },
    /// RecursiveQuery(static, recursive) → the static term's rows, then rounds of the
    /// recursive term over the previous round's new rows until a round adds none; one
    /// partition.
    RecursiveQuery {
        /// The work table's name.
        name: String,
        /// Run once.
        static_term: Arc<PhysicalPlan>,
        /// Run each round, reading the work table.
        recursive_term: Arc<PhysicalPlan>,
        /// Drop rows seen before (UNION) rather than keep all (UNION ALL).
        distinct: bool,
        /// Output schema.
        schema: SchemaRef,
    },
    /// WorkTable(name) → the rows of the enclosing recursive query's last round.
    WorkTable {
        /// The recursive CTE's name.
        name: String,
        /// Output schema.
        schema: SchemaRef,
    },
    /// Exchange(input, partitioning) → the same rows, repartitioned (a shuffle).
    Exchange {
        /// Input.
        input: Arc<PhysicalPlan>,
        /// Target partitioning.
        partitioning: Partitioning,
    },
}

impl PhysicalPlan {
    /// The output schema.
    pub fn schema(&self) -> SchemaRef {
        match self {
            PhysicalPlan::Scan { schema, .. }
            | PhysicalPlan::Values { schema, .. }
            | PhysicalPlan::Projection { schema, .. }
            | PhysicalPlan::Expand { schema, .. }
            | PhysicalPlan::HashAggregate { schema, .. }
            | PhysicalPlan::HashJoin { schema, .. }
            | PhysicalPlan::NestedLoopJoin { schema, .. }
            | PhysicalPlan::Window { schema, .. }
            | PhysicalPlan::RecursiveQuery { schema, .. }
            | PhysicalPlan::WorkTable { schema, .. } => schema.clone(),
            PhysicalPlan::Filter { input, .. }
            | PhysicalPlan::Sort { input, .. }
            | PhysicalPlan::Limit { input, .. }
            | PhysicalPlan::Exchange { input, .. } => input.schema(),
            PhysicalPlan::Union { inputs } => inputs
                .first()
                .map(|i| i.schema())
                .unwrap_or_else(|| Arc::new(Schema::empty())),
        }
    }

    /// The direct inputs.
    pub fn inputs(&self) -> Vec<&Arc<PhysicalPlan>> {
        match self {
            PhysicalPlan::Scan { .. }
            | PhysicalPlan::Values { .. }
            | PhysicalPlan::WorkTable { .. } => vec![],
            PhysicalPlan::RecursiveQuery {
                static_term,
                recursive_term,
                ..
            } => vec![static_term, recursive_term],
            PhysicalPlan::Window { input, .. }
            | PhysicalPlan::Filter { input, .. }
            | PhysicalPlan::Projection { input, .. }
            | PhysicalPlan::Expand { input, .. }
            | PhysicalPlan::HashAggregate { input, .. }
            | PhysicalPlan::Sort { input, .. }
            | PhysicalPlan::Limit { input, .. }
            | PhysicalPlan::Exchange { input, .. } => vec![input],
            PhysicalPlan::HashJoin { left, right, .. }
            | PhysicalPlan::NestedLoopJoin { left, right, .. } => {
                vec![left, right]
            }
            PhysicalPlan::Union { inputs } => inputs.iter().collect(),
        }
    }

    /// One line describing this node for EXPLAIN.
    pub fn describe(&self) -> String {
        let list = |v: &[PhysExpr]| {
            v.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            PhysicalPlan::Scan {
                table,
                source,
                schema,
                filters,
                ..
            } => {
                let cols: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                let mut s = format!(
                    "Scan: {table} ({}) projection=[{}]",
                    source.describe(),
                    cols.join(", ")
                );
                if !filters.is_empty() {
                    s += &format!(" filters=[{}]", list(filters));
                }
                s
            }
            PhysicalPlan::Values { rows, .. } => format!("Values: {} rows", rows.len()),
            PhysicalPlan::Filter { predicate, .. } => format!("Filter: {predicate}"),
            PhysicalPlan::Projection { exprs, schema, .. } => {
                let items: Vec<String> = exprs
                    .iter()
                    .zip(schema.fields())
                    .map(|(e, f)| match e {
                        PhysExpr::Column { name, .. } if name == f.name() => e.to_string(),
                        _ => format!("{e} AS {}", f.name()),
                    })
                    .collect();
                format!("Projection: {}", items.join(", "))
            }
            PhysicalPlan::Expand { projections, .. } => {
                let sets: Vec<String> = projections
                    .iter()
                    .map(|p| format!("[{}]", list(p)))
                    .collect();
                format!("Expand: {} sets: {}", projections.len(), sets.join(", "))
            }
            PhysicalPlan::HashAggregate {
                mode,
                group_by,
                aggregates,
                ..
            } => {
                let aggs: Vec<String> = aggregates.iter().map(|a| a.to_string()).collect();
                format!(
                    "HashAggregate({mode:?}): groupBy=[{}], aggr=[{}]",
                    list(group_by),
                    aggs.join(", ")
                )
            }
            PhysicalPlan::HashJoin {
                kind,
                on,
                filter,
                distribution,
                ..
            } => {
                let mut keys: Vec<String> = on.iter().map(|(l, r)| format!("{l} = {r}")).collect();
                let mut s = format!("HashJoin({kind}, {distribution:?}): ");
                if *kind == JoinKind::LeftMarkNullAware && !keys.is_empty() {
                    s += &format!("in=[{}] ", keys.remove(0));
                }
                s += &format!("on=[{}]", keys.join(", "));
                if let Some(f) = filter {
                    s += &format!(" filter={f}");
                }
                s
            }
            PhysicalPlan::NestedLoopJoin { kind, filter, .. } => match filter {
                Some(f) => format!("NestedLoopJoin({kind}): filter={f}"),
                None => format!("NestedLoopJoin({kind})"),
            },
            PhysicalPlan::Sort { keys, fetch, .. } => {
                let k: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                match fetch {
                    Some(n) => format!("TopK: fetch={n}, [{}]", k.join(", ")),
                    None => format!("Sort: [{}]", k.join(", ")),
                }
            }
            PhysicalPlan::Limit { skip, fetch, .. } => match fetch {
                Some(n) => format!("Limit: skip={skip}, fetch={n}"),
                None => format!("Limit: skip={skip}, fetch=all"),
            },
            PhysicalPlan::Union { inputs } => format!("Union: {} inputs", inputs.len()),
            PhysicalPlan::Window {
                partition_by,
                order_by,
                exprs,
                ..
            } => {
                let o: Vec<String> = order_by.iter().map(|k| k.to_string()).collect();
                let e: Vec<String> = exprs.iter().map(|k| k.to_string()).collect();
                format!(
                    "Window: partitionBy=[{}], orderBy=[{}], [{}]",
                    list(partition_by),
                    o.join(", "),
                    e.join(", ")
                )
            }
            PhysicalPlan::RecursiveQuery { name, distinct, .. } => format!(
                "RecursiveQuery: {name} ({})",
                if *distinct { "UNION" } else { "UNION ALL" }
            ),
            PhysicalPlan::WorkTable { name, .. } => format!("WorkTable: {name}"),
            PhysicalPlan::Exchange { partitioning, .. } => match partitioning {
                Partitioning::Hash(keys, n) => format!("Exchange: hash([{}], {n})", list(keys)),
                Partitioning::Single => "Exchange: single".to_string(),
            },
        }
    }

    /// Indented EXPLAIN text of the whole tree.
    pub fn display_indent(&self) -> String {
        self.display_indent_annotated(&[])
    }

    /// Indented EXPLAIN text with `notes[i]` appended to the line of the i-th node in
    /// [`preorder`](Self::preorder) (nodes past the end of `notes` get none).
    pub fn display_indent_annotated(&self, notes: &[String]) -> String {
        let mut out = String::new();
        let mut index = 0;
        self.write_indent(&mut out, 0, notes, &mut index);
        out
    }

    fn write_indent(&self, out: &mut String, depth: usize, notes: &[String], index: &mut usize) {
        out.push_str(&"  ".repeat(depth));
        out.push_str(&self.describe());
        if let Some(note) = notes.get(*index).filter(|n| !n.is_empty()) {
            out.push_str("  ");
            out.push_str(note);
        }
        out.push('\n');
        *index += 1;
        for i in self.inputs() {
            i.write_indent(out, depth + 1, notes, index);
        }
    }

    /// Every node of the tree, parents before children, inputs left to right.
    pub fn preorder(&self) -> Vec<&PhysicalPlan> {
        let mut out = vec![self];
        for c in self.inputs() {
            out.extend(c.preorder());
        }
        out
    }
}

impl fmt::Display for PhysicalPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_indent())
    }
}

/// The state columns a partial aggregate emits for `agg`, in order:
/// count → `[count: Int64]`; sum → `[sum: result type]`; avg → `[sum, count: Int64]`
/// where sum is `Decimal128(38, s)` for a decimal input and `Float64` otherwise;
/// min/max → `[value: input type]`; single_value → `[value: input type]` (only ever
/// planned in Single mode, so its state is not exchanged).
pub fn state_fields(agg: &AggregateExpr) -> Vec<Field> {
    let name = &agg.name;
    match agg.func {
        AggFunc::Count => vec![Field::new(format!("{name}[count]"), DataType::Int64, false)],
        AggFunc::Sum => vec![Field::new(
            format!("{name}[sum]"),
            agg.return_type.clone(),
            true,
        )],
        AggFunc::Avg => {
            let sum_type = match &agg.input_type {
                Some(DataType::Decimal128(_, s)) => DataType::Decimal128(38, *s),
                _ => DataType::Float64,
            };
            vec![
                Field::new(format!("{name}[sum]"), sum_type, true),
                Field::new(format!("{name}[count]"), DataType::Int64, false),
            ]
        }
        AggFunc::StddevSamp | AggFunc::StddevPop | AggFunc::VarSamp | AggFunc::VarPop => vec![
            Field::new(format!("{name}[count]"), DataType::Float64, false),
            Field::new(format!("{name}[mean]"), DataType::Float64, false),
            Field::new(format!("{name}[m2]"), DataType::Float64, false),
        ],
        AggFunc::BoolAnd | AggFunc::BoolOr => vec![Field::new(
            format!("{name}[{}]", agg.func.name()),
            DataType::Boolean,
            true,
        )],
        AggFunc::ApproxCountDistinct => vec![Field::new(
            format!("{name}[registers]"),
            DataType::Binary,
            false,
        )],
        AggFunc::StringAgg | AggFunc::Median | AggFunc::PercentileCont => vec![Field::new(
            format!("{name}[{}]", agg.func.name()),
            agg.return_type.clone(),
            true,
        )],
        AggFunc::Min | AggFunc::Max | AggFunc::SingleValue => vec![Field::new(
            format!("{name}[{}]", agg.func.name()),
            agg.input_type.clone().unwrap_or(DataType::Null),
            true,
        )],
    }
}
