//! GROUP BY with ROLLUP, CUBE and GROUPING SETS, and `GROUPING(..)`.
//!
//! In: the GROUP BY clause of a SELECT block. Out: the distinct grouping expressions
//! and the grouping sets (each a list of their positions); a plain GROUP BY is one set
//! holding all of them. Several sets are planned as one pass over the input (see
//! [`aggregate_sets`]): an Expand emits each row once per set, the expressions a set
//! does not group by replaced by NULL, with the set's id; one aggregate groups by the
//! expressions and the id, and `GROUPING(..)` is read from the id.

use arrow::datatypes::DataType;
use sqlparser::ast::{self, GroupByExpr, GroupByWithModifier};

use crate::error::{PlanError, Result};
use crate::expr::{AggFunc, Expr};
use crate::logical::LogicalPlanBuilder;
use crate::logical::builder::{expr_field, field_column};
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::sql::errors::unsupported;
use crate::sql::statement::SqlPlanner;

/// Grouping expressions and the sets of them to group by.
pub(crate) struct GroupingSets {
    /// Every grouping expression once, in order of appearance.
    pub exprs: Vec<Expr>,
    /// Each set as positions in `exprs`.
    pub sets: Vec<Vec<usize>>,
}

impl GroupingSets {
    /// True for a plain GROUP BY (one set of every expression).
    pub fn is_plain(&self) -> bool {
        self.sets.len() == 1 && self.sets[0].len() == self.exprs.len()
    }
}

impl SqlPlanner<'_> {
    /// The grouping sets of `g`; `resolve` plans one GROUP BY expression.
    pub(crate) fn grouping_sets(
        &self,
        g: &GroupByExpr,
        mut resolve: impl FnMut(&ast::Expr) -> Result<Expr>,
    ) -> Result<GroupingSets> {
        let (items, modifiers) = match g {
            GroupByExpr::All(_) => return Err(unsupported("GROUP BY ALL", g)),
            GroupByExpr::Expressions(exprs, modifiers) => (exprs, modifiers),
        };
        let mut out = GroupingSets {
            exprs: Vec::new(),
            sets: vec![vec![]],
        };
        let mut position = |e: &ast::Expr, out: &mut GroupingSets| -> Result<usize> {
            let expr = resolve(e)?;
            Ok(match out.exprs.iter().position(|x| *x == expr) {
                Some(i) => i,
                None => {
                    out.exprs.push(expr);
                    out.exprs.len() - 1
                }
            })
        };
        for item in items {
            // Each item contributes a list of sets; the result is their cross product.
            let choices: Vec<Vec<usize>> = match item {
                ast::Expr::Rollup(parts) | ast::Expr::Cube(parts) => {
                    let mut groups = Vec::new();
                    for part in parts {
                        let mut g = Vec::new();
                        for e in part {
                            g.push(position(e, &mut out)?);
                        }
                        groups.push(g);
                    }
                    if matches!(item, ast::Expr::Rollup(_)) {
                        rollup(&groups)
                    } else {
                        cube(&groups)?
                    }
                }
                ast::Expr::GroupingSets(sets) => {
                    let mut v = Vec::new();
                    for set in sets {
                        let mut s = Vec::new();
                        for e in set {
                            s.push(position(e, &mut out)?);
                        }
                        v.push(s);
                    }
                    v
                }
                e => vec![vec![position(e, &mut out)?]],
            };
            let mut next = Vec::new();
            for s in &out.sets {
                for c in &choices {
                    let mut merged = s.clone();
                    for i in c {
                        if !merged.contains(i) {
                            merged.push(*i);
                        }
                    }
                    next.push(merged);
                }
            }
            out.sets = next;
        }
        match modifiers.first() {
            None => {}
            Some(GroupByWithModifier::Rollup) => {
                let groups: Vec<Vec<usize>> = (0..out.exprs.len()).map(|i| vec![i]).collect();
                out.sets = rollup(&groups);
            }
            Some(GroupByWithModifier::Cube) => {
                let groups: Vec<Vec<usize>> = (0..out.exprs.len()).map(|i| vec![i]).collect();
                out.sets = cube(&groups)?;
            }
            Some(m) => return Err(unsupported(format!("GROUP BY ... {m}"), g)),
        }
        Ok(out)
    }
}

/// `ROLLUP(g1, .., gn)`: (g1..gn), (g1..gn-1), .., ().
fn rollup(groups: &[Vec<usize>]) -> Vec<Vec<usize>> {
    (0..=groups.len())
        .rev()
        .map(|n| groups[..n].concat())
        .collect()
}

/// `CUBE(g1, .., gn)`: every subset.
fn cube(groups: &[Vec<usize>]) -> Result<Vec<Vec<usize>>> {
    if groups.len() > 12 {
        return Err(PlanError::plan(format!(
            "CUBE of {} groups makes too many grouping sets (at most 12 groups)",
            groups.len()
        )));
    }
    let n = groups.len();
    Ok((0..1u32 << n)
        .rev()
        .map(|mask| {
            (0..n)
                .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                .flat_map(|i| groups[i].clone())
                .collect()
        })
        .collect())
}

/// The value of `GROUPING(args)` in a set: bit k (from the left) is 1 when the k-th
/// argument is not grouped on.
pub(crate) fn grouping_value(args: &[Expr], exprs: &[Expr], set: &[usize]) -> i64 {
    let mut v = 0i64;
    for a in args {
        let grouped = exprs
            .iter()
            .position(|x| x == a)
            .is_some_and(|i| set.contains(&i));
        v = (v << 1) | i64::from(!grouped);
    }
    v
}

/// Names of the columns the grouping-set plan makes between its nodes.
const KEY: &str = "__grouping_key";
const GROUPING_ID: &str = "__grouping_id";
const VALUE: &str = "__grouping_value";
const PARTIAL: &str = "__grouping_partial";
const MERGED: &str = "__grouping_merged";

/// All grouping sets in one pass over the input: grouping columns, then `aggregates`'
/// columns, then one column per `GROUPING` call (named by its text).
///
/// ```text
/// Projection: keys, finals, GROUPING(..) from the grouping id
///   Aggregate: groupBy=[keys (NULL where a set does not group), grouping id]
///     Union                      (only with an empty set: one row per empty set,
///       Expand: one projection per set          so an empty input still gives
///         Aggregate: groupBy=[every key]         its grand total row)
///           input                (this pre-aggregation when every aggregate merges)
///       Values: NULL keys, the empty set's id, NULL values
/// ```
///
/// When every aggregate is sum, count, min, max or avg of a non-decimal (none with
/// DISTINCT, but for min and max), the input is first aggregated by every grouping
/// expression, and the sets re-aggregate those partial results: the expansion then
/// copies a few rows per group instead of every input row. Otherwise each input row
/// is expanded with each aggregate's argument, and the aggregates run once over the
/// expansion. The row the empty set adds has NULL for every value, which no aggregate
/// counts: `count(*)` counts a TRUE column instead.
pub(crate) fn aggregate_sets(
    plan: LogicalPlanBuilder,
    sets: &GroupingSets,
    aggregates: &[Expr],
    groupings: &[Expr],
) -> Result<LogicalPlanBuilder> {
    let input = plan.schema();
    let key_fields = sets
        .exprs
        .iter()
        .map(|e| expr_field(e, &input))
        .collect::<Result<Vec<_>>>()?;
    let mut calls = Vec::with_capacity(aggregates.len());
    for a in aggregates {
        let Expr::Aggregate {
            func,
            args,
            distinct,
        } = a.unalias()
        else {
            return Err(PlanError::internal(format!(
                "'{a}' is not an aggregate call"
            )));
        };
        let name = expr_field(a, &input)?.name;
        calls.push(Call {
            func: *func,
            args: args.clone(),
            distinct: *distinct,
            name,
            data_type: a.data_type(&input)?,
        });
    }
    let merge = calls.iter().all(|c| c.merges(&input));
    let (below, key_exprs, value_exprs, finals) = if merge {
        pre_aggregate(plan, sets, &calls)?
    } else {
        expand_arguments(plan, sets, &calls)?
    };

    // One projection per set: its keys (others NULL), its id, the values.
    let below_schema = below.schema();
    let key_types = key_exprs
        .iter()
        .map(|e| e.data_type(&below_schema))
        .collect::<Result<Vec<_>>>()?;
    let value_types = value_exprs
        .iter()
        .map(|e| e.data_type(&below_schema))
        .collect::<Result<Vec<_>>>()?;
    let projections: Vec<Vec<Expr>> = sets
        .sets
        .iter()
        .enumerate()
        .map(|(id, set)| {
            let mut p: Vec<Expr> = key_exprs
                .iter()
                .zip(&key_types)
                .enumerate()
                .map(|(i, (e, t))| {
                    let e = if set.contains(&i) {
                        e.clone()
                    } else {
                        typed_null(t)
                    };
                    e.alias(format!("{KEY}_{i}"))
                })
                .collect();
            p.push(grouping_id(id).alias(GROUPING_ID));
            p.extend(
                value_exprs
                    .iter()
                    .enumerate()
                    .map(|(j, e)| e.clone().alias(format!("{VALUE}_{j}"))),
            );
            p
        })
        .collect();
    let mut expanded = below.expand(projections)?;
    let ghosts: Vec<Vec<Expr>> = sets
        .sets
        .iter()
        .enumerate()
        .filter(|(_, set)| set.is_empty())
        .map(|(id, _)| {
            key_types
                .iter()
                .map(typed_null)
                .chain([grouping_id(id)])
                .chain(value_types.iter().map(typed_null))
                .collect()
        })
        .collect();
    if !ghosts.is_empty() {
        expanded = expanded.union(LogicalPlanBuilder::values(ghosts)?.build_arc())?;
    }

    let ex_schema = expanded.schema();
    let n = key_exprs.len();
    let group_by: Vec<Expr> = (0..=n).map(|i| field_column(ex_schema.field(i))).collect();
    let values: Vec<Expr> = (0..value_exprs.len())
        .map(|j| field_column(ex_schema.field(n + 1 + j)))
        .collect();
    let merged: Vec<Expr> = finals
        .iter()
        .flat_map(|f| f.aggregates(&values))
        .enumerate()
        .map(|(k, e)| e.alias(format!("{MERGED}_{k}")))
        .collect();
    let agg = expanded.aggregate(group_by, merged)?;
    let agg_schema = agg.schema();
    let id = field_column(agg_schema.field(n));
    let mut out: Vec<Expr> = key_fields
        .iter()
        .enumerate()
        .map(|(i, f)| field_column(agg_schema.field(i)).alias(&f.name))
        .collect();
    let mut next = n + 1;
    for (f, c) in finals.iter().zip(&calls) {
        let cols: Vec<Expr> = (next..next + f.width())
            .map(|k| field_column(agg_schema.field(k)))
            .collect();
        next += f.width();
        let mut e = f.finish(&cols);
        if e.data_type(&agg_schema)? != c.data_type {
            e = e.cast(c.data_type.clone());
        }
        out.push(e.alias(&c.name));
    }
    for g in groupings {
        let Expr::Grouping(args) = g else { continue };
        let when_then = sets
            .sets
            .iter()
            .enumerate()
            .map(|(i, set)| {
                let v = grouping_value(args, &sets.exprs, set);
                (grouping_id(i), Expr::Literal(ScalarValue::Int64(Some(v))))
            })
            .collect();
        out.push(
            Expr::Case {
                operand: Some(Box::new(id.clone())),
                when_then,
                else_expr: None,
            }
            .alias(g.to_string()),
        );
    }
    agg.project(out)
}

/// A NULL of type `t` (a cast NULL for the types literals do not have).
fn typed_null(t: &DataType) -> Expr {
    let null = ScalarValue::null_of(t);
    if null.data_type() == *t {
        Expr::Literal(null)
    } else {
        Expr::Literal(null).cast(t.clone())
    }
}

/// The grouping id of the `i`-th set: its position, so repeated sets stay apart.
fn grouping_id(i: usize) -> Expr {
    Expr::Literal(ScalarValue::Int64(Some(i as i64)))
}

/// One aggregate call of the select block.
struct Call {
    func: AggFunc,
    args: Vec<Expr>,
    distinct: bool,
    /// Its output column's name.
    name: String,
    /// Its result type.
    data_type: DataType,
}

impl Call {
    /// True when the call can be computed from partial results of finer groups.
    fn merges(&self, input: &PlanSchema) -> bool {
        match self.func {
            AggFunc::Min | AggFunc::Max => true,
            AggFunc::Sum | AggFunc::Count => !self.distinct,
            // A decimal average rounds its quotient in the accumulator; only the
            // floating-point one is rebuilt exactly from a sum and a count.
            AggFunc::Avg => {
                !self.distinct
                    && self.data_type == DataType::Float64
                    && self.args.len() == 1
                    && self.args[0]
                        .data_type(input)
                        .is_ok_and(|t| !matches!(t, DataType::Decimal128(..)))
            }
            _ => false,
        }
    }
}

/// How an aggregate's result comes out of the aggregate over the expansion.
enum Final {
    /// One aggregate of the given function over the given values (by position), its
    /// result as it is (cast to the call's type if needed).
    Direct {
        func: AggFunc,
        /// Position of the first argument among the values.
        value: usize,
        /// The arguments after the first (constants).
        rest: Vec<Expr>,
        distinct: bool,
    },
    /// The sum of partial counts; 0 where there was none.
    SumOfCounts { value: usize },
    /// The sum of partial sums divided by the sum of partial counts.
    Average { sum: usize, count: usize },
}

impl Final {
    /// The aggregate calls over `values` this result needs.
    fn aggregates(&self, values: &[Expr]) -> Vec<Expr> {
        let call = |func, args, distinct| Expr::Aggregate {
            func,
            args,
            distinct,
        };
        match self {
            Final::Direct {
                func,
                value,
                rest,
                distinct,
            } => {
                let mut args = vec![values[*value].clone()];
                args.extend(rest.iter().cloned());
                vec![call(*func, args, *distinct)]
            }
            Final::SumOfCounts { value } => {
                vec![call(AggFunc::Sum, vec![values[*value].clone()], false)]
            }
            Final::Average { sum, count } => vec![
                call(AggFunc::Sum, vec![values[*sum].clone()], false),
                call(AggFunc::Sum, vec![values[*count].clone()], false),
            ],
        }
    }

    /// How many aggregate columns [`Final::aggregates`] makes.
    fn width(&self) -> usize {
        match self {
            Final::Average { .. } => 2,
            _ => 1,
        }
    }

    /// The result over the aggregate columns `cols`.
    fn finish(&self, cols: &[Expr]) -> Expr {
        match self {
            Final::Direct { .. } => cols[0].clone(),
            Final::SumOfCounts { .. } => Expr::Case {
                operand: None,
                when_then: vec![(
                    cols[0].clone().is_null(),
                    Expr::Literal(ScalarValue::Int64(Some(0))),
                )],
                else_expr: Some(Box::new(cols[0].clone())),
            },
            Final::Average { .. } => Expr::Case {
                operand: None,
                when_then: vec![(
                    cols[1]
                        .clone()
                        .gt(Expr::Literal(ScalarValue::Int64(Some(0)))),
                    cols[0].clone().div(cols[1].clone().cast(DataType::Float64)),
                )],
                else_expr: None,
            },
        }
    }
}

/// Below the expansion, the input aggregated by every grouping expression with each
/// call's partial results: returns it, the key expressions and value expressions over
/// it, and each call's final step.
#[allow(clippy::type_complexity)]
fn pre_aggregate(
    plan: LogicalPlanBuilder,
    sets: &GroupingSets,
    calls: &[Call],
) -> Result<(LogicalPlanBuilder, Vec<Expr>, Vec<Expr>, Vec<Final>)> {
    let mut partials: Vec<Expr> = Vec::new();
    let mut finals = Vec::with_capacity(calls.len());
    let push = |e: Expr, partials: &mut Vec<Expr>| -> usize {
        match partials.iter().position(|p| *p == e) {
            Some(i) => i,
            None => {
                partials.push(e);
                partials.len() - 1
            }
        }
    };
    for c in calls {
        let call = |func, args| Expr::Aggregate {
            func,
            args,
            distinct: false,
        };
        finals.push(match c.func {
            AggFunc::Count => Final::SumOfCounts {
                value: push(call(AggFunc::Count, c.args.clone()), &mut partials),
            },
            AggFunc::Avg => {
                let x = c.args[0].clone();
                Final::Average {
                    sum: push(
                        call(AggFunc::Sum, vec![x.clone().cast(DataType::Float64)]),
                        &mut partials,
                    ),
                    count: push(call(AggFunc::Count, vec![x]), &mut partials),
                }
            }
            func => Final::Direct {
                func,
                value: push(call(func, c.args.clone()), &mut partials),
                rest: vec![],
                distinct: false,
            },
        });
    }
    let n = sets.exprs.len();
    let aliased: Vec<Expr> = partials
        .into_iter()
        .enumerate()
        .map(|(j, e)| e.alias(format!("{PARTIAL}_{j}")))
        .collect();
    let count = aliased.len();
    let below = plan.aggregate(sets.exprs.clone(), aliased)?;
    let schema = below.schema();
    let keys = (0..n).map(|i| field_column(schema.field(i))).collect();
    let values = (0..count)
        .map(|j| field_column(schema.field(n + j)))
        .collect();
    Ok((below, keys, values, finals))
}

/// The plain expansion: the input itself below, each grouping expression as a key
/// and each call's first argument (`TRUE` for `count(*)`) as a value.
#[allow(clippy::type_complexity)]
fn expand_arguments(
    plan: LogicalPlanBuilder,
    sets: &GroupingSets,
    calls: &[Call],
) -> Result<(LogicalPlanBuilder, Vec<Expr>, Vec<Expr>, Vec<Final>)> {
    let mut values: Vec<Expr> = Vec::new();
    let mut finals = Vec::with_capacity(calls.len());
    for c in calls {
        let (func, first, rest) = match c.args.split_first() {
            Some((first, rest)) => (c.func, first.clone(), rest.to_vec()),
            None => (
                c.func,
                Expr::Literal(ScalarValue::Boolean(Some(true))),
                vec![],
            ),
        };
        let value = match values.iter().position(|v| *v == first) {
            Some(i) => i,
            None => {
                values.push(first);
                values.len() - 1
            }
        };
        finals.push(Final::Direct {
            func,
            value,
            rest,
            distinct: c.distinct,
        });
    }
    Ok((plan, sets.exprs.clone(), values, finals))
}

/// Checks that every argument of `GROUPING(..)` is a grouping expression.
pub(crate) fn check_grouping_args(
    e: &Expr,
    exprs: &[Expr],
    at: crate::error::Location,
) -> Result<()> {
    let mut bad = None;
    e.visit(&mut |x| {
        if let Expr::Grouping(args) = x {
            for a in args {
                if !exprs.contains(a) && bad.is_none() {
                    bad = Some(a.clone());
                }
            }
        }
    });
    match bad {
        Some(a) => Err(PlanError::plan_at(
            format!("argument '{a}' of GROUPING must be a grouping expression"),
            at,
        )),
        None => Ok(()),
    }
}
