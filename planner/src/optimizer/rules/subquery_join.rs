//! The join an EXISTS or IN subquery becomes: a semi or anti join where the predicate
//! is a top-level AND term, a mark join anywhere else.
//!
//! In: the left plan, the subquery and, for IN, the tested value. Out: the joined plan
//! (and for a mark join the mark column). The subquery is decorrelated inside first; its
//! correlated equalities `inner = outer` become join keys, its other correlated
//! predicates the join filter (outer columns turned back into columns of the left side);
//! `x IN (sub)` adds the key `x = sub's column`.
//!
//! ```text
//! Filter: o.a = 1 OR EXISTS (<sub>)           Projection: o.a, o.k
//!   Subquery:                            ⇒      Filter: o.a = 1 OR __mark_1
//!     Filter: l.k = outer(o.k)                    Projection: o.a, o.k, __mark AS __mark_1
//!       Scan: l                                     LeftMark Join: on=[o.k = l.k]
//!   Scan: o                                           Scan: o
//!                                                     Scan: l
//! ```
//! A mark join for IN where `x` or the subquery's column may be NULL is null-aware, with
//! the IN key first, so that its mark is NULL where SQL's IN is unknown.

use std::sync::Arc;

use crate::error::{PlanError, Result};
use crate::expr::{Column, Expr};
use crate::logical::builder::field_column;
use crate::logical::{JoinKind, LogicalPlan, LogicalPlanBuilder, MARK_COLUMN};
use crate::optimizer::rules::decorrelate_tree::decorrelate_tree;
use crate::optimizer::rules::subquery_lift::lift_deep_references;
use crate::optimizer::rules::subquery_util::{
    AliasGen, alias_apart, check_outer_resolves, clashes, correlation_key, drop_top_sorts,
    map_right_columns, outer_to_column, plan_has_outer, pull_up_correlation,
};

/// A predicate subquery made ready to join to its left side.
pub(crate) struct PredicateJoin {
    /// The subquery without its correlated predicates.
    right: Arc<LogicalPlan>,
    /// Correlated equalities as (left expr, right expr).
    keys: Vec<(Expr, Expr)>,
    /// The other correlated predicates, over both sides.
    filters: Vec<Expr>,
    /// For IN: (tested value, the subquery's column).
    in_key: Option<(Expr, Expr)>,
    /// For IN: whether either side of `in_key` may be NULL.
    in_nullable: bool,
}

impl PredicateJoin {
    /// Decorrelates `subquery` and splits its correlation into keys and filter against
    /// `left` (for `x IN (sub)`, `in_expr` is `x`).
    pub(crate) fn new(
        left: &Arc<LogicalPlan>,
        subquery: Arc<LogicalPlan>,
        in_expr: Option<Expr>,
        aliases: &mut AliasGen,
    ) -> Result<Self> {
        let subquery = lift_deep_references(left, subquery, aliases)?;
        let mut sub = drop_top_sorts(decorrelate_tree(subquery, aliases)?.data)?;
        if in_expr.is_none() {
            // What EXISTS's subquery selects does not matter.
            while let LogicalPlan::Projection { input, .. } = sub.as_ref() {
                sub = input.clone();
            }
        }
        let (right, preds) = pull_up_correlation(&sub)?;
        if plan_has_outer(&right) {
            return Err(PlanError::unsupported(format!(
                "correlated subquery whose outer references are not in its WHERE: {}",
                right.describe()
            )));
        }
        let ls = left.schema();
        check_outer_resolves(&preds, &ls)?;
        let before = right.schema();
        let (right, right_cols) = if clashes(&ls, &before) {
            alias_apart(&ls, right, aliases)?
        } else {
            let cols = before.fields.iter().map(field_column).collect();
            (right, cols)
        };
        let mut keys = Vec::new();
        let mut filters = Vec::new();
        for p in preds {
            let p = map_right_columns(p, &before, &right_cols);
            match correlation_key(&p) {
                Some((outer, inner)) => {
                    let key = (outer_to_column(outer), inner);
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                None => filters.push(outer_to_column(p)),
            }
        }
        let mut in_key = None;
        let mut in_nullable = false;
        if let Some(x) = in_expr {
            if x.contains_outer_column() || x.contains_subquery() {
                return Err(PlanError::unsupported(format!(
                    "IN whose tested value '{x}' is an outer reference or a subquery"
                )));
            }
            let Some(column) = right_cols.first().cloned() else {
                return Err(PlanError::plan("the subquery of IN returns no columns"));
            };
            in_nullable = x.nullable(&ls)? || right.schema().field(0).nullable;
            in_key = Some((x, column));
        }
        Ok(PredicateJoin {
            right,
            keys,
            filters,
            in_key,
            in_nullable,
        })
    }

    /// True when the subquery reads the left side's columns.
    fn correlated(&self) -> bool {
        !self.keys.is_empty() || !self.filters.is_empty()
    }

    /// True for `x NOT IN (sub)` that a semi or anti join cannot answer: correlated,
    /// with NULLs possible on either side (a mark join can).
    pub(crate) fn not_in_needs_mark(&self) -> bool {
        self.in_key.is_some() && self.in_nullable && self.correlated()
    }

    /// `left` semi-joined (anti-joined when `negated`) with the subquery. `x NOT IN`
    /// with NULLs possible is a LeftAntiNullAware join (uncorrelated only: see
    /// [`PredicateJoin::not_in_needs_mark`]), else a plain anti join gives the same.
    pub(crate) fn semi_or_anti(
        self,
        left: Arc<LogicalPlan>,
        negated: bool,
    ) -> Result<Arc<LogicalPlan>> {
        let mut kind = if negated {
            JoinKind::LeftAnti
        } else {
            JoinKind::LeftSemi
        };
        if negated && self.in_nullable {
            if self.correlated() {
                return Err(PlanError::internal(
                    "correlated NOT IN over NULLs needs a mark join",
                ));
            }
            kind = JoinKind::LeftAntiNullAware;
        }
        let mut keys = self.keys;
        if let Some(key) = self.in_key
            && !keys.contains(&key)
        {
            keys.push(key);
        }
        Ok(LogicalPlanBuilder::from_arc(left)
            .join_on(self.right, kind, keys, Expr::conjunction(self.filters))?
            .build_arc())
    }

    /// `left` mark-joined with the subquery, the mark renamed to a fresh `__mark_N`;
    /// returns the plan (left's columns, then the mark) and the mark column.
    pub(crate) fn mark(
        self,
        left: Arc<LogicalPlan>,
        aliases: &mut AliasGen,
    ) -> Result<(Arc<LogicalPlan>, Expr)> {
        let (kind, keys) = match self.in_key {
            // The IN key goes first, and the correlation keys all stay: they pick the
            // rows that count, NULL-free, while the IN key is three-valued.
            Some(key) if self.in_nullable => {
                let mut keys = vec![key];
                keys.extend(self.keys);
                (JoinKind::LeftMarkNullAware, keys)
            }
            Some(key) => {
                let mut keys = self.keys;
                if !keys.contains(&key) {
                    keys.push(key);
                }
                (JoinKind::LeftMark, keys)
            }
            None => (JoinKind::LeftMark, self.keys),
        };
        let left_schema = left.schema();
        let joined = LogicalPlanBuilder::from_arc(left).join_on(
            self.right,
            kind,
            keys,
            Expr::conjunction(self.filters),
        )?;
        let name = aliases.fresh_mark();
        let mut exprs: Vec<Expr> = left_schema.fields.iter().map(field_column).collect();
        exprs.push(Expr::Column(Column::new(MARK_COLUMN)).alias(&name));
        let plan = joined.project(exprs)?.build_arc();
        Ok((plan, Expr::Column(Column::new(name))))
    }
}
