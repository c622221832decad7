//! Walking an expression tree: its children, rebuilding with new children, the
//! bottom-up and top-down rewrites returning [`Transformed`], visiting, and the
//! questions answered by a visit (columns read, subqueries, aggregates, windows).
//!
//! In: an [`Expr`]. Out: a rewritten `Expr`, or what was found in it.

use std::sync::Arc;

use crate::error::Result;
use crate::expr::{BinaryOp, Column, Expr, SortExpr, WindowCall};
use crate::logical::LogicalPlan;
use crate::transformed::{Recursion, Transformed};

impl Expr {
    /// The direct children.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::ScalarSubquery(_)
            | Expr::Exists { .. }
            | Expr::OuterColumn { .. } => vec![],
            Expr::InSubquery { expr, .. } => vec![expr],
            Expr::Binary { left, right, .. } => vec![left, right],
            Expr::Not(e) | Expr::Negative(e) | Expr::IsNull(e) | Expr::IsNotNull(e) => vec![e],
            Expr::Cast { expr, .. } | Expr::Alias { expr, .. } => vec![expr],
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => {
                let mut v: Vec<&Expr> = operand.iter().map(|b| b.as_ref()).collect();
                for (w, t) in when_then {
                    v.push(w);
                    v.push(t);
                }
                v.extend(else_expr.iter().map(|b| b.as_ref()));
                v
            }
            Expr::InList { expr, list, .. } => {
                std::iter::once(expr.as_ref()).chain(list.iter()).collect()
            }
            Expr::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            Expr::Like { expr, pattern, .. } => vec![expr, pattern],
            Expr::Function { args, .. } | Expr::Aggregate { args, .. } | Expr::Grouping(args) => {
                args.iter().collect()
            }
            Expr::Window(w) => w
                .args
                .iter()
                .chain(&w.partition_by)
                .chain(w.order_by.iter().map(|o| &o.expr))
                .collect(),
        }
    }

    /// Rebuilds this node with each child replaced by `f(child)`.
    pub fn map_children(self, mut f: impl FnMut(Expr) -> Result<Expr>) -> Result<Expr> {
        let mut b = |e: Box<Expr>| -> Result<Box<Expr>> { Ok(Box::new(f(*e)?)) };
        Ok(match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::ScalarSubquery(_)
            | Expr::Exists { .. }
            | Expr::OuterColumn { .. } => self,
            Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => Expr::InSubquery {
                expr: b(expr)?,
                subquery,
                negated,
            },
            Expr::Binary { left, op, right } => Expr::Binary {
                left: b(left)?,
                op,
                right: b(right)?,
            },
            Expr::Not(e) => Expr::Not(b(e)?),
            Expr::Negative(e) => Expr::Negative(b(e)?),
            Expr::IsNull(e) => Expr::IsNull(b(e)?),
            Expr::IsNotNull(e) => Expr::IsNotNull(b(e)?),
            Expr::Cast { expr, data_type } => Expr::Cast {
                expr: b(expr)?,
                data_type,
            },
            Expr::Alias { expr, name } => Expr::Alias {
                expr: b(expr)?,
                name,
            },
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => Expr::Case {
                operand: operand.map(&mut b).transpose()?,
                when_then: when_then
                    .into_iter()
                    .map(|(w, t)| Ok((*b(Box::new(w))?, *b(Box::new(t))?)))
                    .collect::<Result<_>>()?,
                else_expr: else_expr.map(&mut b).transpose()?,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: b(expr)?,
                list: list
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
                negated,
            },
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => Expr::Between {
                expr: b(expr)?,
                negated,
                low: b(low)?,
                high: b(high)?,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                escape,
            } => Expr::Like {
                expr: b(expr)?,
                pattern: b(pattern)?,
                negated,
                case_insensitive,
                escape,
            },
            Expr::Function { name, args } => Expr::Function {
                name,
                args: args
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
            },
            Expr::Aggregate {
                func,
                args,
                distinct,
            } => Expr::Aggregate {
                func,
                args: args
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
                distinct,
            },
            Expr::Grouping(args) => Expr::Grouping(
                args.into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?,
            ),
            Expr::Window(w) => {
                let WindowCall {
                    func,
                    args,
                    partition_by,
                    order_by,
                    frame,
                } = *w;
                let args = args
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?;
                let partition_by = partition_by
                    .into_iter()
                    .map(|e| b(Box::new(e)).map(|x| *x))
                    .collect::<Result<_>>()?;
                let order_by = order_by
                    .into_iter()
                    .map(|o| {
                        Ok(SortExpr {
                            expr: *b(Box::new(o.expr))?,
                            ..o
                        })
                    })
                    .collect::<Result<_>>()?;
                Expr::Window(Box::new(WindowCall {
                    func,
                    args,
                    partition_by,
                    order_by,
                    frame,
                }))
            }
        })
    }

    /// Rewrites bottom-up: children first, then `f` on the rebuilt node.
    pub fn transform_up(
        self,
        f: &mut impl FnMut(Expr) -> Result<Transformed<Expr>>,
    ) -> Result<Transformed<Expr>> {
        let children = self.map_children_transformed(|c| c.transform_up(f))?;
        Ok(children.and_then(f)?.continued())
    }

    /// Rewrites top-down: `f` on this node, then on the children of its result, unless
    /// `f` answers [`Transformed::jump`] (the children are then left alone).
    pub fn transform_down(
        self,
        f: &mut impl FnMut(Expr) -> Result<Transformed<Expr>>,
    ) -> Result<Transformed<Expr>> {
        let t = f(self)?;
        if t.recursion == Recursion::Jump {
            return Ok(t.continued());
        }
        t.and_then(|node| node.map_children_transformed(|c| c.transform_down(f)))
    }

    /// [`Expr::map_children`] with `f` telling whether it changed each child; the
    /// result is changed when any child was.
    fn map_children_transformed(
        self,
        mut f: impl FnMut(Expr) -> Result<Transformed<Expr>>,
    ) -> Result<Transformed<Expr>> {
        let mut changed = false;
        let node = self.map_children(|c| {
            let t = f(c)?;
            changed |= t.transformed;
            Ok(t.data)
        })?;
        Ok(Transformed::new(node, changed))
    }

    /// The operands of a chain of one operator: `[a, b, c]` for `(a AND b) AND c` or
    /// `a AND (b AND c)`, left to right. Walks with a stack of its own rather than by
    /// recursion, so a chain of any depth can be flattened.
    pub fn chain_operands(&self, op: BinaryOp) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(e) = pending.pop() {
            match e {
                Expr::Binary { left, op: o, right } if *o == op => {
                    pending.push(right);
                    pending.push(left);
                }
                other => out.push(other),
            }
        }
        out
    }

    /// Calls `f` on every node, parents before children.
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        for c in self.children() {
            c.visit(f);
        }
    }

    /// Every column this expression reads.
    pub fn columns(&self) -> Vec<Column> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column(c) = e
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        });
        out
    }

    /// True when a subquery expression appears anywhere inside (not looking into the
    /// subqueries' own plans).
    pub fn contains_subquery(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| {
            found |= matches!(
                e,
                Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. }
            )
        });
        found
    }

    /// True when an outer column reference appears anywhere inside (not looking into
    /// subqueries' plans).
    pub fn contains_outer_column(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::OuterColumn { .. }));
        found
    }

    /// The plans of the subquery expressions inside, outermost first.
    pub fn subqueries(&self) -> Vec<Arc<LogicalPlan>> {
        let mut out = Vec::new();
        self.visit(&mut |e| match e {
            Expr::ScalarSubquery(p)
            | Expr::InSubquery { subquery: p, .. }
            | Expr::Exists { subquery: p, .. } => out.push(p.clone()),
            _ => {}
        });
        out
    }

    /// True when an aggregate call appears anywhere inside.
    pub fn contains_aggregate(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Aggregate { .. }));
        found
    }

    /// True when a window call appears anywhere inside.
    pub fn contains_window(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Window(_)));
        found
    }
}
