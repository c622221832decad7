//! factor_or_conjuncts: pulls the conjuncts common to every branch of an OR out in
//! front of it.
//!
//! ```text
//! Filter: (a = b AND x = 1) OR (a = b AND x = 2)
//! ⇒ Filter: a = b AND (x = 1 OR x = 2)
//! ```
//! TPC-H Q19 needs this: its join predicate sits inside each OR branch, and only once
//! it is a top-level conjunct can the filter push-down turn it into a hash-join key.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BinaryOp, Expr};
use crate::logical::{LogicalPlan, Transformed};
use crate::optimizer::rule::OptimizerRule;

/// See the module documentation.
pub struct FactorOrConjuncts;

impl OptimizerRule for FactorOrConjuncts {
    fn name(&self) -> &'static str {
        "factor_or_conjuncts"
    }

    fn rewrite(&self, plan: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
        plan.transform_up(&mut |node| {
            let LogicalPlan::Filter { input, predicate } = node.as_ref() else {
                return Ok(Transformed::no(node));
            };
            let new = factor(predicate.clone());
            if &new == predicate {
                Ok(Transformed::no(node))
            } else {
                Ok(Transformed::yes(Arc::new(LogicalPlan::Filter {
                    input: input.clone(),
                    predicate: new,
                })))
            }
        })
    }
}

/// Factors every OR inside `expr`.
pub fn factor(expr: Expr) -> Expr {
    let conjuncts = expr.split_conjunction();
    let mut out = Vec::new();
    for c in conjuncts {
        match c {
            Expr::Binary {
                op: BinaryOp::Or, ..
            } => out.extend(factor_or(c)),
            other => out.push(other),
        }
    }
    Expr::conjunction(out).unwrap_or(Expr::Literal(true.into()))
}

/// The branches of an OR, flattened.
pub(crate) fn split_disjunction(expr: Expr, out: &mut Vec<Expr>) {
    match expr {
        Expr::Binary {
            left,
            op: BinaryOp::Or,
            right,
        } => {
            split_disjunction(*left, out);
            split_disjunction(*right, out);
        }
        e => out.push(e),
    }
}

/// `(A AND B) OR (A AND C)` → `[A, B OR C]`.
fn factor_or(expr: Expr) -> Vec<Expr> {
    let mut branches = Vec::new();
    split_disjunction(expr.clone(), &mut branches);
    let branch_conjuncts: Vec<Vec<Expr>> = branches
        .into_iter()
        .map(|b| factor(b).split_conjunction())
        .collect();
    let Some(first) = branch_conjuncts.first() else {
        return vec![expr];
    };
    let common: Vec<Expr> = first
        .iter()
        .filter(|c| branch_conjuncts.iter().all(|b| b.contains(c)))
        .fold(Vec::new(), |mut acc, c| {
            if !acc.contains(c) {
                acc.push(c.clone());
            }
            acc
        });
    if common.is_empty() {
        return vec![expr];
    }
    let mut rest = Vec::new();
    for b in branch_conjuncts {
        let remaining: Vec<Expr> = b.into_iter().filter(|c| !common.contains(c)).collect();
        match Expr::conjunction(remaining) {
            Some(r) => rest.push(r),
            // One branch is exactly the common part, so the OR is implied by it.
            None => return common,
        }
    }
    let mut out = common;
    if let Some(or) = Expr::disjunction(rest) {
        out.push(or);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{col, lit};

    #[test]
    fn pulls_out_the_common_join_predicate() {
        let join = col("p_partkey").eq(col("l_partkey"));
        let e = join
            .clone()
            .and(col("p_brand").eq(lit("Brand#12")))
            .or(join.clone().and(col("p_brand").eq(lit("Brand#23"))));
        let f = factor(e);
        assert_eq!(
            f.to_string(),
            "(p_partkey = l_partkey) AND ((p_brand = 'Brand#12') OR (p_brand = 'Brand#23'))"
        );
    }

    #[test]
    fn leaves_unrelated_branches_alone() {
        let e = col("a").eq(lit(1)).or(col("b").eq(lit(2)));
        assert_eq!(factor(e.clone()), e);
    }
}
