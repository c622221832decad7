//! Partition pruning: decides from a partition's column statistics (min, max, null
//! count, rows) that no row of it can satisfy a scan's filters, so the partition —
//! a Parquet row group — is never read.
//!
//! In: the scan's filter expressions (columns are positions in the scan's output),
//! the projection mapping those positions to source columns, and one partition's
//! statistics. Out: `false` only when some filter is certainly not true for any row;
//! anything not understood counts as "may match".

use std::cmp::Ordering;

use ember_planner::ScalarValue;
use ember_planner::catalog::{ColumnStatistics, Statistics};
use ember_planner::expr::BinaryOp;
use ember_planner::physical::PhysExpr;

/// Can some row of a partition with `stats` satisfy every one of `filters`?
pub fn may_match(filters: &[PhysExpr], projection: &[usize], stats: &Statistics) -> bool {
    let cx = Cx { projection, stats };
    filters.iter().all(|f| cx.may_be_true(f))
}

struct Cx<'a> {
    projection: &'a [usize],
    stats: &'a Statistics,
}

/// Orders two constants of comparable types exactly; `None` when they are not
/// comparable here. Strings are never compared: footers may hold truncated string
/// bounds, which would prune wrongly.
fn compare(a: &ScalarValue, b: &ScalarValue) -> Option<Ordering> {
    use ScalarValue as S;
    let int = |v: &ScalarValue| match v {
        S::Int32(Some(x)) => Some(*x as i128),
        S::Int64(Some(x)) => Some(*x as i128),
        _ => None,
    };
    match (a, b) {
        (S::Decimal128(Some(x), _, sx), S::Decimal128(Some(y), _, sy)) => {
            decimal_cmp(*x, *sx, *y, *sy)
        }
        (S::Decimal128(Some(x), _, sx), other) => decimal_cmp(*x, *sx, int(other)?, 0),
        (other, S::Decimal128(Some(y), _, sy)) => decimal_cmp(int(other)?, 0, *y, *sy),
        (S::Date32(Some(x)), S::Date32(Some(y))) => Some(x.cmp(y)),
        (S::Float64(Some(x)), S::Float64(Some(y))) => x.partial_cmp(y),
        _ => Some(int(a)?.cmp(&int(b)?)),
    }
}

/// Compares x·10^-sx with y·10^-sy exactly (`None` if rescaling overflows).
fn decimal_cmp(x: i128, sx: i8, y: i128, sy: i8) -> Option<Ordering> {
    let s = sx.max(sy);
    let up = |v: i128, from: i8| v.checked_mul(10i128.checked_pow((s - from) as u32)?);
    Some(up(x, sx)?.cmp(&up(y, sy)?))
}

impl Cx<'_> {
    /// The statistics of the source column behind a bare column reference (or an
    /// order-preserving cast of one).
    fn column(&self, e: &PhysExpr) -> Option<&ColumnStatistics> {
        match e {
            PhysExpr::Column { index, .. } => {
                let source = *self.projection.get(*index)?;
                self.stats.columns.get(source)
            }
            PhysExpr::Cast { expr, .. } => match expr.as_ref() {
                PhysExpr::Column { .. } => self.column(expr),
                _ => None,
            },
            _ => None,
        }
    }

    fn literal<'e>(&self, e: &'e PhysExpr) -> Option<&'e ScalarValue> {
        match e {
            PhysExpr::Literal(v) if !v.is_null() => Some(v),
            PhysExpr::Cast { expr, .. } => self.literal(expr),
            _ => None,
        }
    }

    /// True when every row of the partition is NULL in this column.
    fn all_null(&self, c: &ColumnStatistics) -> bool {
        matches!((c.null_count, self.stats.row_count), (Some(n), Some(r)) if n == r && r > 0)
    }

    fn may_be_true(&self, e: &PhysExpr) -> bool {
        match e {
            PhysExpr::Binary {
                left,
                op: BinaryOp::And,
                right,
                ..
            } => self.may_be_true(left) && self.may_be_true(right),
            PhysExpr::Binary {
                left,
                op: BinaryOp::Or,
                right,
                ..
            } => self.may_be_true(left) || self.may_be_true(right),
            PhysExpr::Binary {
                left, op, right, ..
            } if op.is_comparison() => {
                if let (Some(c), Some(v)) = (self.column(left), self.literal(right)) {
                    self.compare_may_hold(c, *op, v)
                } else if let (Some(v), Some(c)) = (self.literal(left), self.column(right)) {
                    self.compare_may_hold(c, op.swap(), v)
                } else {
                    true
                }
            }
            PhysExpr::InList {
                expr,
                list,
                negated: false,
            } => match self.column(expr) {
                Some(c) => list.iter().any(|item| match self.literal(item) {
                    Some(v) => self.compare_may_hold(c, BinaryOp::Eq, v),
                    None => true,
                }),
                None => true,
            },
            PhysExpr::IsNull(inner) => match self.column(inner) {
                Some(c) => c.null_count != Some(0),
                None => true,
            },
            PhysExpr::IsNotNull(inner) => match self.column(inner) {
                Some(c) => !self.all_null(c),
                None => true,
            },
            _ => true,
        }
    }

    /// Can `column op v` hold for some row, given the column's bounds?
    fn compare_may_hold(&self, c: &ColumnStatistics, op: BinaryOp, v: &ScalarValue) -> bool {
        if self.all_null(c) {
            // A comparison with NULL is never true.
            return false;
        }
        let (Some(min), Some(max)) = (&c.min, &c.max) else {
            return true;
        };
        let (Some(lo), Some(hi)) = (compare(min, v), compare(max, v)) else {
            return true;
        };
        use Ordering::*;
        match op {
            BinaryOp::Eq => lo != Greater && hi != Less,
            BinaryOp::NotEq => !(lo == Equal && hi == Equal),
            BinaryOp::Lt => lo == Less,
            BinaryOp::LtEq => lo != Greater,
            BinaryOp::Gt => hi == Greater,
            BinaryOp::GtEq => hi != Less,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(min: i64, max: i64, nulls: usize, rows: usize) -> Statistics {
        Statistics {
            row_count: Some(rows),
            total_bytes: None,
            source: Default::default(),
            columns: vec![ColumnStatistics {
                null_count: Some(nulls),
                min: Some(ScalarValue::Int64(Some(min))),
                max: Some(ScalarValue::Int64(Some(max))),
                distinct_count: None,
            }],
        }
    }

    fn cmp(op: BinaryOp, v: i64) -> PhysExpr {
        PhysExpr::Binary {
            left: Box::new(PhysExpr::column(0, "x")),
            op,
            right: Box::new(PhysExpr::Literal(ScalarValue::Int64(Some(v)))),
            data_type: arrow::datatypes::DataType::Boolean,
        }
    }

    #[test]
    fn comparisons_outside_the_bounds_prune() {
        let s = stats(10, 20, 0, 100);
        let p = [0];
        assert!(!may_match(&[cmp(BinaryOp::Lt, 10)], &p, &s));
        assert!(may_match(&[cmp(BinaryOp::LtEq, 10)], &p, &s));
        assert!(!may_match(&[cmp(BinaryOp::Gt, 20)], &p, &s));
        assert!(may_match(&[cmp(BinaryOp::GtEq, 20)], &p, &s));
        assert!(!may_match(&[cmp(BinaryOp::Eq, 21)], &p, &s));
        assert!(may_match(&[cmp(BinaryOp::Eq, 15)], &p, &s));
        assert!(!may_match(&[cmp(BinaryOp::Eq, 5)], &p, &s));
        // AND prunes if either side does; OR only if both do.
        let and = PhysExpr::Binary {
            left: Box::new(cmp(BinaryOp::GtEq, 12)),
            op: BinaryOp::And,
            right: Box::new(cmp(BinaryOp::Lt, 5)),
            data_type: arrow::datatypes::DataType::Boolean,
        };
        assert!(!may_match(&[and], &p, &s));
        let or = PhysExpr::Binary {
            left: Box::new(cmp(BinaryOp::GtEq, 12)),
            op: BinaryOp::Or,
            right: Box::new(cmp(BinaryOp::Lt, 5)),
            data_type: arrow::datatypes::DataType::Boolean,
        };
        assert!(may_match(&[or], &p, &s));
    }

    #[test]
    fn null_counts_decide_is_null_and_all_null_partitions() {
        let p = [0];
        let none_null = stats(1, 2, 0, 10);
        let all_null = Statistics {
            row_count: Some(10),
            total_bytes: None,
            source: Default::default(),
            columns: vec![ColumnStatistics {
                null_count: Some(10),
                ..Default::default()
            }],
        };
        let is_null = PhysExpr::IsNull(Box::new(PhysExpr::column(0, "x")));
        let not_null = PhysExpr::IsNotNull(Box::new(PhysExpr::column(0, "x")));
        assert!(!may_match(std::slice::from_ref(&is_null), &p, &none_null));
        assert!(may_match(&[is_null], &p, &all_null));
        assert!(!may_match(&[not_null], &p, &all_null));
        assert!(!may_match(&[cmp(BinaryOp::Eq, 1)], &p, &all_null));
    }

    #[test]
    fn decimals_compare_exactly_across_scales() {
        let s = Statistics {
            row_count: Some(5),
            total_bytes: None,
            source: Default::default(),
            columns: vec![ColumnStatistics {
                null_count: Some(0),
                min: Some(ScalarValue::Decimal128(Some(500), 15, 2)),
                max: Some(ScalarValue::Decimal128(Some(700), 15, 2)),
                distinct_count: None,
            }],
        };
        let lt = |v: i128, scale: i8| PhysExpr::Binary {
            left: Box::new(PhysExpr::column(0, "d")),
            op: BinaryOp::Lt,
            right: Box::new(PhysExpr::Literal(ScalarValue::Decimal128(
                Some(v),
                15,
                scale,
            ))),
            data_type: arrow::datatypes::DataType::Boolean,
        };
        // d < 5.000 prunes (min is 5.00); d < 5.001 does not.
        assert!(!may_match(&[lt(5000, 3)], &[0], &s));
        assert!(may_match(&[lt(5001, 3)], &[0], &s));
    }
}
