//! Cardinality estimation: how many rows a plan produces, from table row counts and
//! per-column statistics, with textbook selectivities where statistics are silent.

use std::collections::HashMap;
use std::marker::PhantomData;

use crate::expr::{BinaryOp, Expr};
use crate::logical::{JoinKind, LogicalPlan};
use crate::scalar::ScalarValue;

/// Rows assumed for a table without statistics.
const UNKNOWN_ROWS: f64 = 1000.0;
/// Selectivity of `col = constant` without a distinct count.
const EQ_SELECTIVITY: f64 = 0.1;
/// Selectivity of a range predicate without min/max.
const RANGE_SELECTIVITY: f64 = 0.33;

/// Estimated output rows of `plan` (one walk over its nodes).
pub fn estimate_rows(plan: &LogicalPlan) -> f64 {
    let inputs: Vec<f64> = plan
        .inputs()
        .into_iter()
        .map(|i| estimate_rows(i))
        .collect();
    rows_from_inputs(plan, &inputs)
}

/// The estimated output rows of every node of one plan, computed bottom-up in one
/// walk, so that planners and EXPLAIN look estimates up instead of recomputing them.
/// Nodes are known by address, which is stable while the plan is borrowed.
pub struct Estimates<'a> {
    rows: HashMap<*const LogicalPlan, f64>,
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

    fn visit(&mut self, plan: &'a LogicalPlan) -> f64 {
        let inputs: Vec<f64> = plan.inputs().into_iter().map(|i| self.visit(i)).collect();
        let rows = rows_from_inputs(plan, &inputs);
        self.rows.insert(plan, rows);
        rows
    }

    /// The estimates by node address, for a planner that holds them while it walks the
    /// same plan.
    pub(crate) fn into_map(self) -> HashMap<*const LogicalPlan, f64> {
        self.rows
    }

    /// The estimate of `node`, a node of the estimated plan; a node built later (not
    /// part of that plan) is estimated on its own.
    pub fn rows(&self, node: &LogicalPlan) -> f64 {
        match self.rows.get(&(node as *const LogicalPlan)) {
            Some(r) => *r,
            None => estimate_rows(node),
        }
    }
}

/// Estimated output rows of `plan` given its inputs' estimates, in the order of
/// [`LogicalPlan::inputs`].
pub fn rows_from_inputs(plan: &LogicalPlan, inputs: &[f64]) -> f64 {
    let input = |i: usize| inputs.get(i).copied().unwrap_or(UNKNOWN_ROWS);
    match plan {
        // A scan's `filters` are hints for skipping data; the Filter above the scan
        // applies them, and its estimate accounts for their selectivity.
        LogicalPlan::Scan { source, .. } => {
            let stats = source.statistics();
            stats
                .row_count
                .map(|r| r as f64)
                .unwrap_or(UNKNOWN_ROWS)
                .max(1.0)
        }
        LogicalPlan::Filter {
            input: child,
            predicate,
        } => {
            let sel = conjunction_selectivity(&predicate.clone().split_conjunction(), child);
            (input(0) * sel).max(1.0)
        }
        LogicalPlan::Projection { .. }
        | LogicalPlan::Window { .. }
        | LogicalPlan::Sort { .. }
        | LogicalPlan::SubqueryAlias { .. } => input(0),
        LogicalPlan::Aggregate { group_by, .. } => {
            if group_by.is_empty() {
                1.0
            } else {
                (input(0) * 0.1).max(1.0)
            }
        }
        LogicalPlan::Distinct { .. } => (input(0) * 0.5).max(1.0),
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
            ..
        } => {
            let (l, r) = (input(0), input(1));
            let joined = || {
                let rows = join_rows_with(left, l, right, r, on);
                match filter {
                    Some(f) => {
                        let sel = conjunction_selectivity(&f.clone().split_conjunction(), plan);
                        (rows * sel).max(1.0)
                    }
                    None => rows,
                }
            };
            match kind {
                JoinKind::Cross => l * r,
                JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::LeftAntiNullAware => l * 0.5,
                // Every left row comes out once, with its mark.
                JoinKind::LeftMark | JoinKind::LeftMarkNullAware => l,
                _ if on.is_empty() => l * r * RANGE_SELECTIVITY,
                JoinKind::Left => l.max(joined()),
                _ => joined(),
            }
        }
        LogicalPlan::Limit { fetch, .. } => {
            let rows = input(0);
            fetch.map(|f| rows.min(f as f64)).unwrap_or(rows)
        }
        LogicalPlan::Union { .. } => inputs.iter().sum(),
        LogicalPlan::Values { rows, .. } => rows.len() as f64,
        // A guess: recursion usually adds a few times the seed rows.
        LogicalPlan::RecursiveQuery { .. } => input(0) * 10.0,
        LogicalPlan::WorkTable { .. } => 100.0,
        LogicalPlan::Empty {
            produce_one_row, ..
        } => f64::from(u8::from(*produce_one_row)),
    }
}

/// Estimated fraction of `input`'s rows for which every one of `preds` is true.
/// Range bounds on the same column (`a >= x AND a < y`) are combined into one
/// interval rather than treated as independent; other conjuncts multiply.
pub fn conjunction_selectivity(preds: &[Expr], input: &LogicalPlan) -> f64 {
    // column name -> (lower bound, upper bound), as numbers.
    let mut ranges: Vec<(String, Option<f64>, Option<f64>)> = Vec::new();
    let mut sel = 1.0;
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
            None => sel *= selectivity(p, input),
        }
    }
    for (name, lo, hi) in ranges {
        let Some((min, max)) = column_min_max(input, &name) else {
            continue;
        };
        let (Some(min), Some(max)) = (as_f64(&min), as_f64(&max)) else {
            sel *= RANGE_SELECTIVITY;
            continue;
        };
        if max <= min {
            continue;
        }
        let lo = lo.unwrap_or(min).max(min);
        let hi = hi.unwrap_or(max).min(max);
        sel *= ((hi - lo) / (max - min)).clamp(0.005, 1.0);
    }
    sel
}

/// Estimated fraction of `input`'s rows for which `pred` is true.
pub fn selectivity(pred: &Expr, input: &LogicalPlan) -> f64 {
    match pred {
        Expr::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => selectivity(left, input) * selectivity(right, input),
        Expr::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            let (a, b) = (selectivity(left, input), selectivity(right, input));
            (a + b - a * b).min(1.0)
        }
        Expr::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } => match (left.as_ref(), right.as_ref()) {
            (Expr::Column(_), Expr::Column(_)) => EQ_SELECTIVITY,
            (Expr::Column(c), _) | (_, Expr::Column(c)) => match column_ndv(input, &c.name) {
                Some(n) if n > 0 => 1.0 / n as f64,
                _ => EQ_SELECTIVITY,
            },
            _ => EQ_SELECTIVITY,
        },
        Expr::Binary {
            op: BinaryOp::NotEq,
            ..
        } => 1.0 - EQ_SELECTIVITY,
        Expr::Binary { op, left, right } if op.is_comparison() => {
            range_selectivity(left, *op, right, input).unwrap_or(RANGE_SELECTIVITY)
        }
        Expr::Between {
            negated: false,
            expr,
            low,
            high,
        } => {
            let lo = range_selectivity(expr, BinaryOp::GtEq, low, input).unwrap_or(0.5);
            let hi = range_selectivity(expr, BinaryOp::LtEq, high, input).unwrap_or(0.5);
            (lo + hi - 1.0).clamp(0.01, 1.0)
        }
        Expr::InList {
            list,
            negated: false,
            expr,
        } => {
            let each = match expr.as_ref() {
                Expr::Column(c) => column_ndv(input, &c.name)
                    .map(|n| 1.0 / n.max(1) as f64)
                    .unwrap_or(EQ_SELECTIVITY),
                _ => EQ_SELECTIVITY,
            };
            (each * list.len() as f64).min(1.0)
        }
        Expr::Like { negated: false, .. } => 0.1,
        Expr::Not(e) => 1.0 - selectivity(e, input),
        Expr::IsNull(_) => 0.05,
        Expr::IsNotNull(_) => 0.95,
        Expr::Literal(ScalarValue::Boolean(Some(true))) => 1.0,
        Expr::Literal(_) => 0.0,
        _ => 0.5,
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
/// produces `rows` rows (bare columns only; other keys count every row distinct).
fn key_ndv(plan: &LogicalPlan, rows: f64, key: &Expr) -> f64 {
    match key.unalias() {
        Expr::Column(c) => column_ndv(plan, &c.name)
            .map(|n| (n as f64).min(rows))
            .unwrap_or(rows),
        Expr::Cast { expr, .. } => key_ndv(plan, rows, expr),
        _ => rows,
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
    let divisor = on
        .iter()
        .map(|(lk, rk)| {
            let mut nl = key_ndv(left, l, lk);
            let mut nr = key_ndv(right, r, rk);
            if let Some(k) = unique_key_ndv(right, rk) {
                nl = nl.min(k);
            }
            if let Some(k) = unique_key_ndv(left, lk) {
                nr = nr.min(k);
            }
            nl.max(nr)
        })
        .fold(1.0_f64, f64::max);
    (l * r / divisor).max(1.0)
}

fn column_min_max(plan: &LogicalPlan, name: &str) -> Option<(ScalarValue, ScalarValue)> {
    let (s, _) = column_stats(plan, name)?;
    Some((s.min?, s.max?))
}
