//! One SELECT block: FROM, WHERE, GROUP BY and aggregates, HAVING, the select list,
//! DISTINCT and the query's ORDER BY (which may use input columns and aggregates).
//!
//! In: a sqlparser `Select`, its query's ORDER BY items and the CTEs in scope.
//! Out: a plan builder whose output columns are named as the user wrote them.

use sqlparser::ast::{self, GroupByExpr, OrderByExpr, SelectItem};

use crate::error::{Location, PlanError, Result};
use crate::expr::{Column, Expr, SortExpr};
use crate::logical::LogicalPlanBuilder;
use crate::logical::builder::field_column;
use crate::schema::PlanSchema;
use crate::sql::errors::{loc, unsupported};
use crate::sql::expr::ExprScope;
use crate::sql::from::Ctes;
use crate::sql::grouping::{GroupingSets, aggregate_sets, check_grouping_args};
use crate::sql::order_by::{SortOrder, sort_order};
use crate::sql::statement::SqlPlanner;
use crate::transformed::Transformed;

/// One planned select-list column.
struct Item {
    /// The expression over the FROM/WHERE output.
    expr: Expr,
    /// The output name when it is not the column's own: the alias, else the text.
    name: Option<String>,
    /// The alias, when one was written.
    alias: Option<String>,
}

/// What an ORDER BY item sorts by.
enum SortTarget {
    /// Output column `i` (an ordinal or an alias).
    Output(usize),
    /// An expression over the input (may contain aggregates).
    Input(Expr),
}

/// One ORDER BY item, planned.
pub(crate) struct SortItem {
    target: SortTarget,
    asc: bool,
    nulls_first: bool,
}

impl SqlPlanner<'_> {
    /// Plans `select` followed by `order_by` (the enclosing query's ORDER BY).
    pub(crate) fn plan_select(
        &self,
        select: &ast::Select,
        order_by: &[OrderByExpr],
        ctes: &Ctes,
    ) -> Result<LogicalPlanBuilder> {
        // Subqueries in this SELECT's expressions see its CTEs.
        self.cte_scopes.borrow_mut().push(ctes.clone());
        self.named_windows
            .borrow_mut()
            .push(select.named_window.clone());
        let out = self.plan_select_in_scope(select, order_by, ctes);
        self.named_windows.borrow_mut().pop();
        self.cte_scopes.borrow_mut().pop();
        out
    }

    fn plan_select_in_scope(
        &self,
        select: &ast::Select,
        order_by: &[OrderByExpr],
        ctes: &Ctes,
    ) -> Result<LogicalPlanBuilder> {
        check_clauses(select)?;
        let rel = self.plan_from(&select.from, ctes)?;
        let using = rel.using.clone();
        let star = rel.star_exprs();
        let mut plan = rel.plan;
        if let Some(w) = &select.selection {
            let schema = plan.schema();
            let pred = self.sql_to_expr(
                w,
                &ExprScope {
                    schema: &schema,
                    using: &using,
                    star: Some(&star),
                    aliases: &[],
                },
            )?;
            no_aggregates(&pred, "WHERE", loc(w))?;
            no_windows(&pred, "WHERE", loc(w))?;
            plan = plan.filter(pred).map_err(|e| e.with_location(loc(w)))?;
        }
        let input = plan.schema();
        let scope = ExprScope {
            schema: &input,
            using: &using,
            star: Some(&star),
            aliases: &[],
        };
        let items = self.select_items(&select.projection, &scope)?;
        let grouping = self.group_by(&select.group_by, &items, &scope)?;
        let group_by = grouping.exprs.clone();
        // HAVING and ORDER BY may also name select aliases (input columns win).
        let aliases: Vec<(String, Expr)> = items
            .iter()
            .filter_map(|i| Some((i.alias.clone()?, i.expr.clone())))
            .collect();
        let alias_scope = ExprScope {
            aliases: &aliases,
            ..scope
        };
        let having = match &select.having {
            Some(h) => {
                let e = self.sql_to_expr(h, &alias_scope)?;
                no_windows(&e, "HAVING", loc(h))?;
                Some((e, loc(h)))
            }
            None => None,
        };
        let qualify = match &select.qualify {
            Some(q) => Some((self.sql_to_expr(q, &alias_scope)?, loc(q))),
            None => None,
        };
        let sorts = order_by
            .iter()
            .map(|o| self.sort_item(o, &items, &alias_scope))
            .collect::<Result<Vec<_>>>()?;

        let sort_inputs = sorts.iter().filter_map(|s| match &s.target {
            SortTarget::Input(e) => Some(e),
            SortTarget::Output(_) => None,
        });
        let is_aggregate = !group_by.is_empty()
            || !grouping.is_plain()
            || having.is_some()
            || items.iter().any(|i| i.expr.contains_aggregate())
            || qualify.iter().any(|(q, _)| q.contains_aggregate())
            || sort_inputs.clone().any(|e| e.contains_aggregate());

        let (base, items, sorts, qualify) = if is_aggregate {
            let mut calls: Vec<Expr> = Vec::new();
            let mut groupings: Vec<Expr> = Vec::new();
            let all = items
                .iter()
                .map(|i| &i.expr)
                .chain(having.iter().map(|(h, _)| h))
                .chain(qualify.iter().map(|(q, _)| q))
                .chain(sort_inputs);
            for e in all {
                e.visit(&mut |x| {
                    if matches!(x, Expr::Aggregate { .. }) && !calls.contains(x) {
                        calls.push(x.clone());
                    }
                    if matches!(x, Expr::Grouping(_)) && !groupings.contains(x) {
                        groupings.push(x.clone());
                    }
                });
            }
            for g in &groupings {
                check_grouping_args(g, &group_by, select.select_token.0.span.start.into())?;
            }
            let aggregates = calls
                .iter()
                .map(|c| c.clone().alias(c.to_string()))
                .collect();
            let at: Location = select.select_token.0.span.start.into();
            let mut agg = if grouping.is_plain() {
                plan.aggregate(group_by.clone(), aggregates)
            } else {
                aggregate_sets(plan, &grouping, &aggregates, &groupings)
            }
            .map_err(|e| e.with_location(at))?;
            let agg_schema = agg.schema();
            let rewrite = |e: Expr| self.rewrite_for_aggregate(e, &group_by, &agg_schema);
            if let Some((h, at)) = having {
                let h = rewrite(h)?;
                agg = agg.filter(h).map_err(|e| e.with_location(at))?;
            }
            let items = items
                .into_iter()
                .map(|i| {
                    Ok(Item {
                        expr: rewrite(i.expr)?,
                        ..i
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let sorts = sorts
                .into_iter()
                .map(|s| {
                    Ok(SortItem {
                        target: match s.target {
                            SortTarget::Input(e) => SortTarget::Input(rewrite(e)?),
                            t => t,
                        },
                        ..s
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let qualify = match qualify {
                Some((q, at)) => Some((rewrite(q)?, at)),
                None => None,
            };
            (agg, items, sorts, qualify)
        } else {
            (plan, items, sorts, qualify)
        };
        let at = loc(&select.select_token.0);
        let (base, items, sorts) = self.with_windows(base, items, sorts, qualify, at)?;

        let distinct = matches!(select.distinct, Some(ast::Distinct::Distinct));
        finish(base, items, sorts, distinct, loc(&select.select_token.0))
    }

    /// Computes the window calls of the select list, ORDER BY and QUALIFY (in Window
    /// nodes over `base`), reads them back as columns, and applies QUALIFY.
    fn with_windows(
        &self,
        base: LogicalPlanBuilder,
        items: Vec<Item>,
        sorts: Vec<SortItem>,
        qualify: Option<(Expr, Location)>,
        at: Location,
    ) -> Result<(LogicalPlanBuilder, Vec<Item>, Vec<SortItem>)> {
        let mut exprs: Vec<Expr> = items.iter().map(|i| i.expr.clone()).collect();
        for s in &sorts {
            if let SortTarget::Input(e) = &s.target {
                exprs.push(e.clone());
            }
        }
        let q_at = qualify.as_ref().map(|(_, l)| *l).unwrap_or(at);
        if let Some((q, _)) = &qualify {
            exprs.push(q.clone());
        }
        let (plan, exprs) = self.plan_windows(base, exprs, at)?;
        let mut exprs = exprs.into_iter();
        let items = items
            .into_iter()
            .map(|i| Item {
                expr: exprs.next().unwrap_or_else(|| i.expr.clone()),
                ..i
            })
            .collect();
        let sorts = sorts
            .into_iter()
            .map(|s| SortItem {
                target: match s.target {
                    SortTarget::Input(e) => SortTarget::Input(exprs.next().unwrap_or(e)),
                    t => t,
                },
                ..s
            })
            .collect();
        let plan = match (qualify, exprs.next()) {
            (Some(_), Some(q)) => plan.filter(q).map_err(|e| e.with_location(q_at))?,
            _ => plan,
        };
        Ok((plan, items, sorts))
    }

    /// The select list, wildcards expanded.
    fn select_items(&self, projection: &[SelectItem], scope: &ExprScope) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for p in projection {
            match p {
                SelectItem::UnnamedExpr(e) => {
                    let expr = self.sql_to_expr(e, scope)?;
                    let name = match &expr {
                        Expr::Column(_) => None,
                        _ => Some(e.to_string()),
                    };
                    items.push(Item {
                        expr,
                        name,
                        alias: None,
                    });
                }
                SelectItem::ExprWithAlias { expr, alias } => items.push(Item {
                    expr: self.sql_to_expr(expr, scope)?,
                    name: Some(alias.value.clone()),
                    alias: Some(alias.value.clone()),
                }),
                SelectItem::Wildcard(opts) => {
                    check_wildcard(opts, p)?;
                    let star = match scope.star {
                        Some(s) => s.to_vec(),
                        None => scope.schema.fields.iter().map(field_column).collect(),
                    };
                    items.extend(star.into_iter().map(|expr| Item {
                        expr,
                        name: None,
                        alias: None,
                    }));
                }
                SelectItem::QualifiedWildcard(kind, opts) => {
                    check_wildcard(opts, p)?;
                    let ast::SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                        return Err(unsupported(format!("'{p}'"), p));
                    };
                    let q = crate::sql::statement::object_name(name)?;
                    let before = items.len();
                    items.extend(
                        scope
                            .schema
                            .fields
                            .iter()
                            .filter(|f| {
                                f.qualifier
                                    .as_deref()
                                    .is_some_and(|fq| fq.eq_ignore_ascii_case(&q))
                            })
                            .map(|f| Item {
                                expr: field_column(f),
                                name: None,
                                alias: None,
                            }),
                    );
                    if items.len() == before {
                        let quals: Vec<String> = scope
                            .schema
                            .fields
                            .iter()
                            .filter_map(|f| f.qualifier.clone())
                            .collect();
                        return Err(PlanError::not_found(
                            "table",
                            &q,
                            quals.iter().map(String::as_str),
                            loc(name),
                        ));
                    }
                }
                SelectItem::ExprWithAliases { .. } => {
                    return Err(unsupported(format!("multiple aliases in '{p}'"), p));
                }
            }
        }
        Ok(items)
    }

    /// GROUP BY expressions over the input and their grouping sets; `GROUP BY 2` is
    /// the second select item.
    fn group_by(&self, g: &GroupByExpr, items: &[Item], scope: &ExprScope) -> Result<GroupingSets> {
        self.grouping_sets(g, |e| {
            let at = loc(e);
            let expr = if let Some(i) = ordinal(e, items.len(), "GROUP BY")? {
                items[i].expr.clone()
            } else if let Some(i) = self.alias_only(e, items, scope) {
                items[i].expr.clone()
            } else {
                self.sql_to_expr(e, scope)?
            };
            no_aggregates(&expr, "GROUP BY", at)?;
            no_windows(&expr, "GROUP BY", at)?;
            Ok(expr)
        })
    }

    /// An identifier that is not an input column but is a select alias.
    fn alias_only(&self, e: &ast::Expr, items: &[Item], scope: &ExprScope) -> Option<usize> {
        let ast::Expr::Identifier(id) = e else {
            return None;
        };
        if scope
            .schema
            .resolve(None, &id.value, Location::default())
            .is_ok()
        {
            return None;
        }
        items.iter().position(|i| {
            i.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&id.value))
        })
    }

    fn sort_item(&self, o: &OrderByExpr, items: &[Item], scope: &ExprScope) -> Result<SortItem> {
        if o.with_fill.is_some() {
            return Err(unsupported("ORDER BY ... WITH FILL", &o.expr));
        }
        let SortOrder { asc, nulls_first } = sort_order(o)?;
        let target = if let Some(i) = ordinal(&o.expr, items.len(), "ORDER BY")? {
            SortTarget::Output(i)
        } else if let ast::Expr::Identifier(id) = &o.expr
            && let Some(i) = items.iter().position(|i| {
                i.alias
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(&id.value))
            })
        {
            SortTarget::Output(i)
        } else {
            SortTarget::Input(self.sql_to_expr(&o.expr, scope)?)
        };
        Ok(SortItem {
            target,
            asc,
            nulls_first,
        })
    }

    /// `e` over the Aggregate's output: group expressions and aggregate calls become
    /// its columns; any other input column is an error.
    fn rewrite_for_aggregate(
        &self,
        e: Expr,
        group_by: &[Expr],
        agg_schema: &PlanSchema,
    ) -> Result<Expr> {
        let out = e
            .transform_down(&mut |x| {
                if let Some(i) = group_by.iter().position(|g| *g == x) {
                    return Ok(Transformed::yes(field_column(agg_schema.field(i))).jump());
                }
                if matches!(x, Expr::Aggregate { .. }) {
                    return Ok(Transformed::yes(Expr::Column(Column::new(x.to_string()))).jump());
                }
                if matches!(x, Expr::Grouping(_)) {
                    // A column under grouping sets; 0 under a plain GROUP BY.
                    let name = x.to_string();
                    return Ok(Transformed::yes(if agg_schema.find(None, &name).is_some() {
                        Expr::Column(Column::new(name))
                    } else {
                        Expr::Literal(crate::scalar::ScalarValue::Int64(Some(0)))
                    })
                    .jump());
                }
                Ok(Transformed::no(x))
            })?
            .data;
        for c in out.columns() {
            if agg_schema.find(c.relation.as_deref(), &c.name).is_none() {
                return Err(PlanError::plan_at(
                    format!(
                        "column '{c}' must appear in the GROUP BY clause or be used in an aggregate function"
                    ),
                    self.column_location(&c),
                ));
            }
        }
        Ok(out)
    }
}

/// Projection, DISTINCT, Sort, and a last projection dropping sort-only columns.
fn finish(
    base: LogicalPlanBuilder,
    items: Vec<Item>,
    sorts: Vec<SortItem>,
    distinct: bool,
    at: Location,
) -> Result<LogicalPlanBuilder> {
    let mut exprs: Vec<Expr> = items
        .into_iter()
        .map(|i| match i.name {
            // An aggregate's output column already carries the name.
            Some(n) if matches!(&i.expr, Expr::Column(c) if c.relation.is_none() && c.name == n) => {
                i.expr
            }
            Some(n) => i.expr.alias(n),
            None => i.expr,
        })
        .collect();
    let visible = exprs.len();
    let mut keys = Vec::new();
    for s in sorts {
        let index = match s.target {
            SortTarget::Output(i) => i,
            SortTarget::Input(e) => match exprs[..visible].iter().position(|p| *p.unalias() == e) {
                Some(i) => i,
                None => {
                    if distinct {
                        return Err(PlanError::plan_at(
                            format!(
                                "for SELECT DISTINCT, ORDER BY expression '{e}' must appear in the select list"
                            ),
                            at,
                        ));
                    }
                    let name = format!("__sort_{}", exprs.len() - visible);
                    exprs.push(e.alias(name));
                    exprs.len() - 1
                }
            },
        };
        keys.push((index, s.asc, s.nulls_first));
    }
    let hidden = exprs.len() > visible;
    let mut plan = base.project(exprs).map_err(|e| e.with_location(at))?;
    if distinct {
        plan = plan.distinct()?;
    }
    if !keys.is_empty() {
        let schema = plan.schema();
        let keys = keys
            .into_iter()
            .map(|(i, asc, nulls_first)| SortExpr {
                expr: field_column(schema.field(i)),
                asc,
                nulls_first,
            })
            .collect();
        plan = plan.sort(keys)?;
    }
    if hidden {
        let schema = plan.schema();
        let exprs = schema.fields[..visible].iter().map(field_column).collect();
        plan = plan.project(exprs)?;
    }
    Ok(plan)
}

/// `n` for an integer literal `n` in 1..=count (0-based), an error out of range.
pub(crate) fn ordinal(e: &ast::Expr, count: usize, clause: &str) -> Result<Option<usize>> {
    let ast::Expr::Value(v) = e else {
        return Ok(None);
    };
    let ast::Value::Number(text, _) = &v.value else {
        return Ok(None);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=count).contains(&n) => Ok(Some(n - 1)),
        _ => Err(PlanError::plan_at(
            format!("{clause} position {text} is not in the select list (1 to {count})"),
            loc(e),
        )),
    }
}

fn no_aggregates(e: &Expr, clause: &str, at: Location) -> Result<()> {
    if e.contains_aggregate() {
        return Err(PlanError::plan_at(
            format!("aggregate calls are not allowed in {clause}"),
            at,
        ));
    }
    Ok(())
}

fn no_windows(e: &Expr, clause: &str, at: Location) -> Result<()> {
    if e.contains_window() {
        return Err(PlanError::plan_at(
            format!("window functions are not allowed in {clause}"),
            at,
        ));
    }
    Ok(())
}

fn check_wildcard(o: &ast::WildcardAdditionalOptions, item: &SelectItem) -> Result<()> {
    if o.opt_ilike.is_some()
        || o.opt_exclude.is_some()
        || o.opt_except.is_some()
        || o.opt_replace.is_some()
        || o.opt_rename.is_some()
        || o.opt_alias.is_some()
    {
        return Err(unsupported(format!("wildcard options in '{item}'"), item));
    }
    Ok(())
}

/// Rejects every SELECT clause Ember does not implement, naming it.
fn check_clauses(s: &ast::Select) -> Result<()> {
    let at = || -> Location { s.select_token.0.span.start.into() };
    let reject = |what: &str| Err(PlanError::unsupported_at(what.to_string(), at()));
    if !s.optimizer_hints.is_empty() {
        return reject("optimizer hints");
    }
    if s.select_modifiers.is_some() {
        return reject("SELECT modifiers");
    }
    if s.top.is_some() {
        return reject("TOP");
    }
    if let Some(ast::Distinct::On(_)) = &s.distinct {
        return reject("DISTINCT ON");
    }
    if s.exclude.is_some() {
        return reject("EXCLUDE");
    }
    if s.into.is_some() {
        return reject("SELECT INTO");
    }
    if !s.lateral_views.is_empty() {
        return reject("LATERAL VIEW");
    }
    if let Some(p) = &s.prewhere {
        return Err(unsupported("PREWHERE", p));
    }
    if !s.connect_by.is_empty() {
        return reject("CONNECT BY");
    }
    if let Some(e) = s.cluster_by.first() {
        return Err(unsupported("CLUSTER BY", e));
    }
    if let Some(e) = s.distribute_by.first() {
        return Err(unsupported("DISTRIBUTE BY", e));
    }
    if let Some(e) = s.sort_by.first() {
        return Err(unsupported("SORT BY", &e.expr));
    }
    if s.value_table_mode.is_some() {
        return reject("SELECT AS VALUE/STRUCT");
    }
    if s.flavor != ast::SelectFlavor::Standard {
        return reject("FROM-first SELECT");
    }
    Ok(())
}
