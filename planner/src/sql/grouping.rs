//! GROUP BY with ROLLUP, CUBE and GROUPING SETS, and `GROUPING(..)`.
//!
//! In: the GROUP BY clause of a SELECT block. Out: the distinct grouping expressions
//! and the grouping sets (each a list of their positions); a plain GROUP BY is one set
//! holding all of them. Several sets are planned as a UNION ALL of one aggregate per
//! set, each padding the expressions it does not group by with NULLs and adding one
//! constant column per `GROUPING(..)` call.

use sqlparser::ast::{self, GroupByExpr, GroupByWithModifier};

use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::logical::LogicalPlanBuilder;
use crate::logical::builder::{expr_field, field_column};
use crate::scalar::ScalarValue;
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

/// One aggregate per grouping set, padded to every grouping column, under a UNION ALL:
/// grouping columns, then `aggregates`' columns, then one column per `GROUPING` call
/// (named by its text).
pub(crate) fn aggregate_sets(
    plan: LogicalPlanBuilder,
    sets: &GroupingSets,
    aggregates: &[Expr],
    groupings: &[Expr],
) -> Result<LogicalPlanBuilder> {
    let input = plan.schema();
    let fields = sets
        .exprs
        .iter()
        .map(|e| expr_field(e, &input))
        .collect::<Result<Vec<_>>>()?;
    let mut out: Option<LogicalPlanBuilder> = None;
    for set in &sets.sets {
        let group_by: Vec<Expr> = set.iter().map(|&i| sets.exprs[i].clone()).collect();
        let agg = plan.clone().aggregate(group_by, aggregates.to_vec())?;
        let agg_schema = agg.schema();
        let mut exprs = Vec::new();
        for (i, f) in fields.iter().enumerate() {
            exprs.push(match set.iter().position(|&j| j == i) {
                Some(k) => field_column(agg_schema.field(k)).alias(&f.name),
                None => Expr::Literal(ScalarValue::null_of(&f.data_type)).alias(&f.name),
            });
        }
        for k in 0..aggregates.len() {
            exprs.push(field_column(agg_schema.field(set.len() + k)));
        }
        for g in groupings {
            let Expr::Grouping(args) = g else { continue };
            exprs.push(
                Expr::Literal(ScalarValue::Int64(Some(grouping_value(
                    args,
                    &sets.exprs,
                    set,
                ))))
                .alias(g.to_string()),
            );
        }
        let branch = agg.project(exprs)?;
        out = Some(match out {
            None => branch,
            Some(u) => u.union(branch.build_arc())?,
        });
    }
    out.ok_or_else(|| PlanError::plan("GROUP BY without grouping sets"))
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
