//! Small helpers shared by the rules: which side of a join an expression reads,
//! and rewriting column references.

use crate::expr::{Column, Expr};
use crate::schema::PlanSchema;
use crate::transformed::Transformed;

/// True when every column `expr` reads resolves in `schema`.
pub fn resolves_in(expr: &Expr, schema: &PlanSchema) -> bool {
    // Asked for every predicate against every candidate input while ordering joins:
    // walks the references in place rather than collecting copies of them.
    let mut all = true;
    expr.visit(&mut |e| {
        if all && let Expr::Column(c) = e {
            all = schema.find(c.relation.as_deref(), &c.name).is_some();
        }
    });
    all
}

/// Replaces each column reference `f` maps to `Some(new)`.
pub fn replace_columns(expr: Expr, f: &impl Fn(&Column) -> Option<Expr>) -> Expr {
    // The closure never fails, so neither does the walk.
    expr.clone()
        .transform_up(&mut |e| {
            Ok(match &e {
                Expr::Column(c) => match f(c) {
                    Some(new) => Transformed::yes(new),
                    None => Transformed::no(e),
                },
                _ => Transformed::no(e),
            })
        })
        .map_or(expr, |t| t.data)
}
