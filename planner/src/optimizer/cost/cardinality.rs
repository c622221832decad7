//! Cardinality estimation: how many rows a plan produces, from table row counts and
//! per-column statistics, with textbook selectivities where statistics are silent.
//! Each estimate says where it came from ([`EstimateSource`]): the weakest of the
//! node's own step and its inputs' estimates.

use std::collections::HashMap;
use std::marker::PhantomData;

use crate::expr::{BinaryOp, Expr};
use crate::logical::{JoinKind, LogicalPlan};
use crate::optimizer::cost::estimate::{Estimate, EstimateSource};
use crate::scalar::ScalarValue;

/// Rows assumed for a table without statistics.
const UNKNOWN_ROWS: f64 = 1000.0;
/// Selectivity of `col = constant` without a distinct count.
const EQ_SELECTIVITY: f64 = 0.1;
/// Selectivity of a range predicate without min/max.
const RANGE_SELECTIVITY: f64 = 0.33;

const GUESS: EstimateSource = EstimateSource::Guess;
const STATS: EstimateSource = EstimateSource::Statistics;
const EXACT: EstimateSource = EstimateSource::Exact;

/// Estimated output rows of `plan` (one walk over its nodes).
pub fn estimate_rows(plan: &LogicalPlan) -> f64 {
    estimate_plan(plan).rows
}

/// Estimated output rows of `plan` and where they came from (one walk over its nodes).
pub fn estimate_plan(plan: &LogicalPlan) -> Estimate {
    let inputs: Vec<Estimate> = plan
        .inputs()
        .into_iter()
        .map(|i| estimate_plan(i))
        .collect();
    estimate_from_inputs(plan, &inputs)
}

/// The estimated output rows of every node of one plan, computed bottom-up in one
/// walk, so that planners and EXPLAIN look estimates up instead of recomputing them.
/// Nodes are known by address, which is stable while the plan is borrowed.
pub struct Estimates<'a> {
    rows: HashMap<*const LogicalPlan, Estimate>,
    plan: PhantomData<&'a LogicalPlan>,
}

impl<'a> Estimates<'a> {
    /// Estimates every node of `plan`.
    pub fn of(plan: &'a LogicalPlan) -> Self {
        let mut out = Estimates {
            rows: HashMap::new(),
            plan: PhantomData,
        };
        out.visit(plan);
        out
    }

    fn visit(&mut self, plan: &'a LogicalPlan) -> Estimate {
        let inputs: Vec<Estimate> = plan.inputs().into_iter().map(|i| self.visit(i)).collect();
        let estimate = estimate_from_inputs(plan, &inputs);
        self.rows.insert(plan, estimate);
        estimate
    }

    /// The estimates by node address, for a planner that holds them while it walks the
    /// same plan.
    pub(crate) fn into_map(self) -> HashMap<*const LogicalPlan, Estimate> {
        self.rows
    }

    /// The estimated rows of `node`, a node of the estimated plan; a node built later
    /// (not part of that plan) is estimated on its own.
    pub fn rows(&self, node: &LogicalPlan) -> f64 {
        self.estimate(node).rows
    }

    /// The estimate of `node` with its source, as [`Estimates::rows`].
    pub fn estimate(&self, node: &LogicalPlan) -> Estimate {
        match self.rows.get(&(node as *const LogicalPlan)) {
            Some(e) => *e,
            None => estimate_plan(node),
        }
    }
}

/// Estimated output rows of `plan` given its inputs' estimated rows, in the order of
/// [`LogicalPlan::inputs`].
pub fn rows_from_inputs(plan: &LogicalPlan, inputs: &[f64]) -> f64 {
    let inputs: Vec<Estimate> = inputs.iter().map(|&r| Estimate::exact(r)).collect();
    estimate_from_inputs(plan, &inputs).rows
}

/// The estimate of `plan` given its inputs' estimates, in the order of
/// [`LogicalPlan::inputs`]: its rows, and the weakest of its own step's source and
/// its inputs'.
pub fn estimate_from_inputs(plan: &LogicalPlan, inputs: &[Estimate]) -> Estimate {
    let input = |i: usize| {
        inputs
            .get(i)
            .copied()
            .unwrap_or(Estimate::guess(UNKNOWN_ROWS))
    };
    match plan {
        // A scan's `filters` are hints for skipping data; the Filter above the scan
        // applies them, and its estimate accounts for their selectivity.
        LogicalPlan::Scan { source, .. } => {
            let stats = source.statistics();
            match stats.row_count {
                Some(r) => Estimate::new((r as f64).max(1.0), stats.source),
                None => Estimate::guess(UNKNOWN_ROWS),
            }
        }
        LogicalPlan::Filter {
            input: child,
            predicate,
        } => {
            let (sel, source) =
                conjunction_selectivity_with_source(&predicate.clone().split_conjunction(), child);
            let rows = input(0);
            Estimate::new((rows.rows * sel).max(1.0), rows.source.weakest(source))
        }
        LogicalPlan::Projection { .. }
        | LogicalPlan::Window { .. }
        | LogicalPlan::Sort { .. }
        | LogicalPlan::SubqueryAlias { .. } => input(0),
        LogicalPlan::Aggregate { group_by, .. } => {
            if group_by.is_empty() {
                Estimate::exact(1.0)
            } else {
                Estimate::guess((input(0).rows * 0.1).max(1.0))
            }
        }
        LogicalPlan::Distinct { .. } => Estimate::guess((input(0).rows * 0.5).max(1.0)),
        // Every input row once per grouping set.
        LogicalPlan::Expand { projections, .. } => {
            let rows = input(0);
            Estimate::new(rows.rows * projections.len() as f64, rows.source)
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
            ..
        } => {
            let (l, r) = (input(0), input(1));
            let both = l.source.weakest(r.source);
            let joined = || {
                let rows = join_estimate(left, l, right, r, on);
                match filter {
                    Some(f) => {
                        let (sel, source) = conjunction_selectivity_with_source(
                            &f.clone().split_conjunction(),
                            plan,
                        );
                        Estimate::new((rows.rows * sel).max(1.0), rows.source.weakest(source))
                    }
                    None => rows,
                }
            };
            match kind {
                JoinKind::Cross => Estimate::new(l.rows * r.rows, both),
                JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::LeftAntiNullAware => {
                    Estimate::guess(l.rows * 0.5)
                }
                // Every left row comes out once, with its mark.
                JoinKind::LeftMark | JoinKind::LeftMarkNullAware => l,
                _ if on.is_empty() => Estimate::guess(l.rows * r.rows * RANGE_SELECTIVITY),
                JoinKind::Left => {
                    let j = joined();
                    Estimate::new(l.rows.max(j.rows), j.source.weakest(l.source))
                }
                _ => joined(),
            }
        }
        // Exact over an exact input; otherwise as sure as the input (the input may
        // have fewer rows than the fetch).
        LogicalPlan::Limit { fetch, .. } => {
            let rows = input(0);
            match fetch {
                Some(f) => Estimate::new(rows.rows.min(*f as f64), rows.source),
                None => rows,
            }
        }
        LogicalPlan::Union { .. } => Estimate::new(
            inputs.iter().map(|e| e.rows).sum(),
            inputs.iter().fold(EXACT, |s, e| s.weakest(e.source)),
        ),
        LogicalPlan::Values { rows, .. } => Estimate::exact(rows.len() as f64),
        // A guess: recursion usually adds a few times the seed rows.
        LogicalPlan::RecursiveQuery { .. } => Estimate::guess(input(0).rows * 10.0),
        LogicalPlan::WorkTable { .. } => Estimate::guess(100.0),
        LogicalPlan::Empty {
            produce_one_row, ..
        } => Estimate::exact(f64::from(u8::from(*produce_one_row))),
    }
}

/// Estimated fraction of `input`'s rows for which every one of `preds` is true.
/// Range bounds on the same column (`a >= x AND a < y`) are combined into one
/// interval rather than treated as independent; other conjuncts multiply.
pub fn conjunction_selectivity(preds: &[Expr], input: &LogicalPlan) -> f64 {
    conjunction_selectivity_with_source(preds, input).0
}

/// As [`conjunction_selectivity`], with where the fraction came from: statistics
/// when every conjunct was read off column statistics, a guess when any used a
/// fixed selectivity.
pub fn conjunction_selectivity_with_source(
    preds: &[Expr],
    input: &LogicalPlan,
) -> (f64, EstimateSource) {
    // column name -> (lower bound, upper bound), as numbers.
    let mut ranges: Vec<(String, Option<f64>, Option<f64>)> = Vec::new();
    let mut sel = 1.0;
    let mut source = EXACT;
    for p in preds {
        let bound = match p {
            Expr::Binary { op, left, right } if op.is_comparison() => {
                match (left.unalias(), right.unalias()) {
                    (Expr::Column(c), Expr::Literal(v)) => Some((c, *op, v)),
                    (Expr::Literal(v), Expr::Column(c)) => Some((c, op.swap(), v)),
                    _ => None,
                }
            }
            _ => None,
        };
        let bound = bound.and_then(|(c, op, v)| {
            let known = column_min_max(input, &c.name).is_some();
            match op {
                BinaryOp::Lt | BinaryOp::LtEq if known => Some((c, None, Some(as_f64(v)?))),
                BinaryOp::Gt | BinaryOp::GtEq if known => Some((c, Some(as_f64(v)?), None)),
                _ => None,
            }
            .map(|(c, lo, hi)| (c.name.to_lowercase(), lo, hi))
        });
        match bound {
            Some((name, lo, hi)) => match ranges.iter_mut().find(|r| r.0 == name) {
                Some(r) => {
                    r.1 = match (r.1, lo) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    r.2 = match (r.2, hi) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                }
                None => ranges.push((name, lo, hi)),
            },
            None => {
                let (s, from) = selectivity_with_source(p, input);
                sel *= s;
                source = source.weakest(from);
            }
        }
    }
    for (name, lo, hi) in ranges {
        let Some((min, max)) = column_min_max(input, &name) else {
            continue;
        };
        let (Some(min), Some(max)) = (as_f64(&min), as_f64(&max)) else {
            sel *= RANGE_SELECTIVITY;
            source = GUESS;
            continue;
        };
        source = source.weakest(STATS);
        if max <= min {
            continue;
        }
        let lo = lo.unwrap_or(min).max(min);
        let hi = hi.unwrap_or(max).min(max);
        sel *= ((hi - lo) / (max - min)).clamp(0.005, 1.0);
    }
    (sel, source)
}

/// Estimated fraction of `input`'s rows for which `pred` is true.
pub fn selectivity(pred: &Expr, input: &LogicalPlan) -> f64 {
    selectivity_with_source(pred, input).0
}

/// As [`selectivity`], with where the fraction came from.
pub fn selectivity_with_source(pred: &Expr, input: &LogicalPlan) -> (f64, EstimateSource) {
    let ndv_or_guess = |c: &crate::expr::Column| match column_ndv(input, &c.name) {
        Some(n) if n > 0 => (1.0 / n as f64, STATS),
        _ => (EQ_SELECTIVITY, GUESS),
    };
    match pred {
        Expr::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            let (a, sa) = selectivity_with_source(left, input);
            let (b, sb) = selectivity_with_source(right, input);
            (a * b, sa.weakest(sb))
        }
        Expr::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            let (a, sa) = selectivity_with_source(left, input);
            let (b, sb) = selectivity_with_source(right, input);
            ((a + b - a * b).min(1.0), sa.weakest(sb))
        }
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } => match (left.as_ref(), right.as_ref()) {
            (Expr::Column(_), Expr::Column(_)) => (EQ_SELECTIVITY, GUESS),
            (Expr::Column(c), _) | (_, Expr::Column(c)) => ndv_or_guess(c),
            _ => (EQ_SELECTIVITY, GUESS),
        },
        Expr::Binary {
            op: BinaryOp::NotEq,
            ..
        } => (1.0 - EQ_SELECTIVITY, GUESS),
        Expr::Binary { op, left, right } if op.is_comparison() => {
            match range_selectivity(left, *op, right, input) {
                Some(s) => (s, STATS),
                None => (RANGE_SELECTIVITY, GUESS),
            }
        }
        Expr::Between {
            negated: false,
            expr,
            low,
            high,
        } => {
            let lo = range_selectivity(expr, BinaryOp::GtEq, low, input);
            let hi = range_selectivity(expr, BinaryOp::LtEq, high, input);
            let source = if lo.is_some() && hi.is_some() {
                STATS
            } else {
                GUESS
            };
            let (lo, hi) = (lo.unwrap_or(0.5), hi.unwrap_or(0.5));
            ((lo + hi - 1.0).clamp(0.01, 1.0), source)
        }
        Expr::InList {
            list,
            negated: false,
            expr,
        } => {
            let (each, source) = match expr.as_ref() {
                Expr::Column(c) => match column_ndv(input, &c.name) {
                    Some(n) => (1.0 / n.max(1) as f64, STATS),
                    None => (EQ_SELECTIVITY, GUESS),
                },
                _ => (EQ_SELECTIVITY, GUESS),
            };
            ((each * list.len() as f64).min(1.0), source)
        }
        Expr::Like { negated: false, .. } => (0.1, GUESS),
        Expr::Not(e) => {
            let (s, source) = selectivity_with_source(e, input);
            (1.0 - s, source)
        }
        Expr::IsNull(_) => (0.05, GUESS),
        Expr::IsNotNull(_) => (0.95, GUESS),
        Expr::Literal(ScalarValue::Boolean(Some(true))) => (1.0, EXACT),
        Expr::Literal(_) => (0.0, EXACT),
        _ => (0.5, GUESS),
    }
}

/// For `col op constant` with known min/max, the fraction of the range that qualifies.
fn range_selectivity(left: &Expr, op: BinaryOp, right: &Expr, input: &LogicalPlan) -> Option<f64> {
    let (c, v, op) = match (left.unalias(), right.unalias()) {
        (Expr::Column(c), Expr::Literal(v)) => (c, v, op),
        (Expr::Literal(v), Expr::Column(c)) => (c, v, op.swap()),
        _ => return None,
    };
    let (min, max) = column_min_max(input, &c.name)?;
    let (min, max, v) = (as_f64(&min)?, as_f64(&max)?, as_f64(v)?);
    if max <= min {
        return None;
    }
    let below = ((v - min) / (max - min)).clamp(0.0, 1.0);
    Some(
        match op {
            BinaryOp::Lt | BinaryOp::LtEq => below,
            _ => 1.0 - below,
        }
        .max(0.005),
    )
}

fn as_f64(v: &ScalarValue) -> Option<f64> {
    match v {
        ScalarValue::Int32(Some(x)) => Some(*x as f64),
        ScalarValue::Int64(Some(x)) => Some(*x as f64),
        ScalarValue::Float64(Some(x)) => Some(*x),
        ScalarValue::Decimal128(Some(x), _, s) => Some(*x as f64 / 10f64.powi(*s as i32)),
        ScalarValue::Date32(Some(x)) => Some(*x as f64),
        _ => None,
    }
}

/// Estimated distinct values of a column: the statistics' count, else for integer and
/// date columns the width of the min..max range, capped by the table's rows.
fn column_ndv(plan: &LogicalPlan, name: &str) -> Option<usize> {
    let (stats, rows) = column_stats(plan, name)?;
    if let Some(d) = stats.distinct_count {
        return Some(d);
    }
    let (min, max) = (stats.min?, stats.max?);
    let width = match (&min, &max) {
        (ScalarValue::Int32(Some(a)), ScalarValue::Int32(Some(b))) => (*b as f64 - *a as f64) + 1.0,
        (ScalarValue::Int64(Some(a)), ScalarValue::Int64(Some(b))) => (*b as f64 - *a as f64) + 1.0,
        (ScalarValue::Date32(Some(a)), ScalarValue::Date32(Some(b))) => {
            (*b as f64 - *a as f64) + 1.0
        }
        _ => return None,
    };
    let width = width.max(1.0);
    Some(match rows {
        Some(r) => width.min(r as f64) as usize,
        None => width as usize,
    })
}

/// The statistics of a column and the row count of its table, found by walking down to
/// the scan that produces the column.
fn column_stats(
    plan: &LogicalPlan,
    name: &str,
) -> Option<(crate::catalog::ColumnStatistics, Option<usize>)> {
    match plan {
        LogicalPlan::Scan { source, .. } => {
            let schema = source.schema();
            let idx = schema
                .fields()
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(name))?;
            let stats = source.statistics();
            Some((stats.columns.get(idx).cloned()?, stats.row_count))
        }
        other => other
            .inputs()
            .into_iter()
            .find_map(|i| column_stats(i, name)),
    }
}

/// Estimated distinct values of a key expression in the output of `plan`, which
/// produces `rows` rows (bare columns only; other keys count every row distinct), and
/// whether statistics said so or the row count stood in for them.
fn key_ndv(plan: &LogicalPlan, rows: f64, key: &Expr) -> (f64, EstimateSource) {
    match key.unalias() {
        Expr::Column(c) => match column_ndv(plan, &c.name) {
            Some(n) => ((n as f64).min(rows), STATS),
            None => (rows, GUESS),
        },
        Expr::Cast { expr, .. } => key_ndv(plan, rows, expr),
        _ => (rows, GUESS),
    }
}

/// Distinct values of a bare key column in its table before any filter, when the
/// column is a key of that table (as many distinct values as rows).
fn unique_key_ndv(plan: &LogicalPlan, key: &Expr) -> Option<f64> {
    let Expr::Column(c) = key.unalias() else {
        return None;
    };
    let (_, rows) = column_stats(plan, &c.name)?;
    let ndv = column_ndv(plan, &c.name)? as f64;
    (ndv >= rows? as f64 * 0.99).then_some(ndv)
}

/// Rows of an equi-join of `left` (`l` rows) and `right` (`r` rows): |L| × |R| /
/// max(ndv(left key), ndv(right key)), for the most selective key. When one side's key
/// is a key of its table, the other side's values are assumed to be contained in it (a
/// foreign key), so the other side has no more distinct values than that table has rows.
pub fn join_rows_with(
    left: &LogicalPlan,
    l: f64,
    right: &LogicalPlan,
    r: f64,
    on: &[(Expr, Expr)],
) -> f64 {
    join_estimate(left, Estimate::exact(l), right, Estimate::exact(r), on).rows
}

/// As [`join_rows_with`], from the inputs' estimates: the result is as sure as the
/// weaker input and the distinct counts of the key that decided it.
pub fn join_estimate(
    left: &LogicalPlan,
    l: Estimate,
    right: &LogicalPlan,
    r: Estimate,
    on: &[(Expr, Expr)],
) -> Estimate {
    let mut divisor = (1.0_f64, GUESS);
    for (lk, rk) in on {
        let mut nl = key_ndv(left, l.rows, lk);
        let mut nr = key_ndv(right, r.rows, rk);
        if let Some(k) = unique_key_ndv(right, rk).filter(|&k| k < nl.0) {
            nl = (k, STATS);
        }
        if let Some(k) = unique_key_ndv(left, lk).filter(|&k| k < nr.0) {
            nr = (k, STATS);
        }
        let key = if nl.0 >= nr.0 { nl } else { nr };
        if key.0 > divisor.0 || (divisor.1 == GUESS && key.0 >= divisor.0) {
            divisor = key;
        }
    }
    let source = l.source.weakest(r.source).weakest(divisor.1);
    Estimate::new((l.rows * r.rows / divisor.0).max(1.0), source)
}

fn column_min_max(plan: &LogicalPlan, name: &str) -> Option<(ScalarValue, ScalarValue)> {
    let (s, _) = column_stats(plan, name)?;
    Some((s.min?, s.max?))
}

#[cfg(test)]
mod tests {
    use std::any::Any;
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

    use super::*;
    use crate::catalog::{ColumnStatistics, Statistics, TableSource};
    use crate::expr::{col, lit};
    use crate::logical::LogicalPlanBuilder;

    /// A table of `rows` rows whose column `k` runs from 1 to `rows`, counted as
    /// `source` says.
    #[derive(Debug)]
    struct Counted {
        rows: usize,
        source: EstimateSource,
    }

    impl TableSource for Counted {
        fn schema(&self) -> SchemaRef {
            Arc::new(Schema::new(vec![
                Field::new("k", DataType::Int64, false),
                Field::new("s", DataType::Utf8, true),
            ]))
        }
        fn statistics(&self) -> Statistics {
            Statistics {
                row_count: Some(self.rows),
                total_bytes: None,
                columns: vec![
                    ColumnStatistics {
                        null_count: Some(0),
                        min: Some(ScalarValue::Int64(Some(1))),
                        max: Some(ScalarValue::Int64(Some(self.rows as i64))),
                        distinct_count: None,
                    },
                    ColumnStatistics::default(),
                ],
                source: self.source,
            }
        }
        fn describe(&self) -> String {
            "counted".to_string()
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    fn table(name: &str, rows: usize, source: EstimateSource) -> LogicalPlanBuilder {
        LogicalPlanBuilder::scan(name, Arc::new(Counted { rows, source })).expect("a scan")
    }

    fn root(b: crate::error::Result<LogicalPlanBuilder>) -> Estimate {
        estimate_plan(&b.expect("the plan builds").build())
    }

    #[test]
    fn scans_keep_the_source_of_their_row_counts() {
        let exact = root(Ok(table("t", 100, EstimateSource::Exact)));
        assert_eq!(exact, Estimate::exact(100.0));
        let stats = root(Ok(table("t", 100, EstimateSource::Statistics)));
        assert_eq!(stats.source, EstimateSource::Statistics);
        let unknown = estimate_plan(&crate::optimizer::rules::test_util::t().build());
        assert_eq!(unknown.source, EstimateSource::Guess);
    }

    #[test]
    fn a_filter_is_as_sure_as_its_selectivity_and_its_input() {
        let t = || table("t", 100, EstimateSource::Exact);
        // A range on a column with min/max: statistics.
        let range = root(t().filter(col("k").lt_eq(lit(25_i64))));
        assert_eq!(range.source, EstimateSource::Statistics);
        assert!((range.rows - 24.0).abs() < 1.0, "{range:?}");
        // A LIKE has a fixed selectivity: a guess, even over an exact count.
        let like = root(t().filter(col("s").like(lit("a%"))));
        assert_eq!(like, Estimate::guess(10.0));
        // Both: the weaker.
        let both = root(t().filter(col("k").lt_eq(lit(25_i64)).and(col("s").like(lit("a%")))));
        assert_eq!(both.source, EstimateSource::Guess);
    }

    #[test]
    fn pass_through_nodes_keep_their_input_source_and_exact_steps_stay_exact() {
        let t = || table("t", 100, EstimateSource::Exact);
        let sorted = root(t().sort(vec![col("k").sort_asc()]));
        assert_eq!(sorted, Estimate::exact(100.0));
        let limited = root(t().limit(0, Some(10)));
        assert_eq!(limited, Estimate::exact(10.0));
        let counted = root(t().aggregate(vec![], vec![]));
        assert_eq!(counted, Estimate::exact(1.0));
        let grouped = root(t().aggregate(vec![col("s")], vec![]));
        assert_eq!(grouped.source, EstimateSource::Guess);
    }

    #[test]
    fn an_equi_join_on_keys_with_statistics_is_statistics() {
        let left = table("l", 100, EstimateSource::Exact);
        let right = table("r", 1000, EstimateSource::Statistics).build_arc();
        let joined =
            root(left.join_on(right, JoinKind::Inner, vec![(col("l.k"), col("r.k"))], None));
        assert_eq!(joined.source, EstimateSource::Statistics);
    }
}
