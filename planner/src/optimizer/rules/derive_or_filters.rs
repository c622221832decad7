//! derive_or_filters: an OR whose every branch restricts the same table implies the
//! OR of those restrictions, a predicate on that table alone; it is added beside the
//! original so that push-down can filter the table before any join.
//!
//! ```text
//! Filter: (n1.name = 'FRANCE' AND n2.name = 'GERMANY')
//!      OR (n1.name = 'GERMANY' AND n2.name = 'FRANCE')
//! ⇒ Filter: <the same OR>
//!       AND (n1.name = 'FRANCE' OR n1.name = 'GERMANY')
//!       AND (n2.name = 'GERMANY' OR n2.name = 'FRANCE')
//! ```
//! The original OR stays: the derived predicates are implied by it, not equivalent.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::Expr;
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;
use crate::optimizer::rules::factor_or_conjuncts::split_disjunction;

/// See the module documentation.
pub struct DeriveOrFilters;

impl OptimizerRule for DeriveOrFilters {
    fn name(&self) -> &'static str {
        "derive_or_filters"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut |node| {
            let LogicalPlan::Filter { input, predicate } = node.as_ref() else {
                return Ok(Transformed::no(node));
            };
            let mut conjuncts = predicate.clone().split_conjunction();
            let mut derived = Vec::new();
            for c in &conjuncts {
                for d in derive(c) {
                    if !conjuncts.contains(&d) && !derived.contains(&d) {
                        derived.push(d);
                    }
                }
            }
            if derived.is_empty() {
                return Ok(Transformed::no(node));
            }
            conjuncts.extend(derived);
            Ok(Transformed::yes(Arc::new(LogicalPlan::Filter {
                input: input.clone(),
                predicate: Expr::conjunction(conjuncts).unwrap_or(Expr::Literal(true.into())),
            })))
        })
    }
}

/// The single table every column of `e` belongs to, if there is one.
fn only_relation(e: &Expr) -> Option<String> {
    let cols = e.columns();
    let first = cols.first()?.relation.clone()?;
    cols.iter()
        .all(|c| c.relation.as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// The per-table predicates implied by `expr` when it is an OR.
fn derive(expr: &Expr) -> Vec<Expr> {
    let mut branches = Vec::new();
    split_disjunction(expr.clone(), &mut branches);
    if branches.len() < 2 {
        return vec![];
    }
    let branch_conjuncts: Vec<Vec<Expr>> = branches
        .into_iter()
        .map(|b| b.split_conjunction())
        .collect();
    // Tables restricted in the first branch, in order of appearance.
    let mut tables: Vec<String> = Vec::new();
    for c in &branch_conjuncts[0] {
        if let Some(t) = only_relation(c)
            && !tables.contains(&t)
        {
            tables.push(t);
        }
    }
    let mut out = Vec::new();
    for t in tables {
        let per_branch: Option<Vec<Expr>> = branch_conjuncts
            .iter()
            .map(|b| {
                let mine: Vec<Expr> = b
                    .iter()
                    .filter(|c| only_relation(c).as_deref() == Some(t.as_str()))
                    .cloned()
                    .collect();
                Expr::conjunction(mine)
            })
            .collect();
        // A branch with nothing on the table leaves it unrestricted.
        let Some(per_branch) = per_branch else {
            continue;
        };
        // Every branch only restricts this table: the OR itself is the derived
        // predicate, and push-down moves it already.
        if per_branch.len() == branch_conjuncts.len()
            && branch_conjuncts.iter().all(|b| {
                b.iter()
                    .all(|c| only_relation(c).as_deref() == Some(t.as_str()))
            })
        {
            continue;
        }
        if let Some(or) = Expr::disjunction(per_branch) {
            out.push(or);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Column, lit};

    fn qcol(t: &str, c: &str) -> Expr {
        Expr::Column(Column {
            relation: Some(t.into()),
            name: c.into(),
        })
    }

    #[test]
    fn derives_one_predicate_per_table() {
        let e = qcol("n1", "name")
            .eq(lit("FRANCE"))
            .and(qcol("n2", "name").eq(lit("GERMANY")))
            .or(qcol("n1", "name")
                .eq(lit("GERMANY"))
                .and(qcol("n2", "name").eq(lit("FRANCE"))));
        let d: Vec<String> = derive(&e).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            d,
            vec![
                "(n1.name = 'FRANCE') OR (n1.name = 'GERMANY')",
                "(n2.name = 'GERMANY') OR (n2.name = 'FRANCE')"
            ]
        );
    }

    #[test]
    fn a_branch_without_the_table_derives_nothing_for_it() {
        let e = qcol("a", "x")
            .eq(lit(1))
            .and(qcol("b", "y").eq(lit(2)))
            .or(qcol("b", "y").eq(lit(3)));
        let d: Vec<String> = derive(&e).iter().map(|e| e.to_string()).collect();
        assert_eq!(d, vec!["(b.y = 2) OR (b.y = 3)"]);
    }

    #[test]
    fn an_or_over_one_table_is_left_to_push_down() {
        let e = qcol("a", "x").eq(lit(1)).or(qcol("a", "x").eq(lit(2)));
        assert!(derive(&e).is_empty());
    }
}
