//! Statements that change a table's rows: `INSERT`, `UPDATE` and `DELETE`.
//!
//! In: sqlparser's statements and the target table's columns from the catalog. Out:
//! [`Statement`]s holding plans the runtime runs to get the rows to store:
//! - INSERT: the source query and, per table column, the source column that fills it
//!   (`None`: NULL). Types are checked here by PostgreSQL's assignment rules
//!   ([`crate::types::assignable`]); each value is converted (and checked against NOT
//!   NULL) by the runtime, which can name the row that fails.
//! - UPDATE: every row of the table after the update, in the table's column order.
//! - DELETE: the rows that stay.

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use sqlparser::ast::{self, SetExpr, TableFactor};

use crate::catalog::{CatalogEntry, TableSource};
use crate::error::{Location, PlanError, Result};
use crate::expr::{Expr, lit};
use crate::logical::builder::field_column;
use crate::logical::set_ops::SetOperation;
use crate::logical::{LogicalPlan, LogicalPlanBuilder};
use crate::schema::PlanSchema;
use crate::sql::errors::{loc, unsupported};
use crate::sql::expr::ExprScope;
use crate::sql::statement::{SqlPlanner, Statement, object_name};
use crate::types::{assignable, common_type};

/// The last column of an UPDATE's rows: whether the statement changed the row.
pub const UPDATED_COLUMN: &str = "__ember_updated";

impl SqlPlanner<'_> {
    /// `INSERT [OVERWRITE] INTO t [(cols)] VALUES ... | query`.
    pub(crate) fn plan_insert(&self, i: &ast::Insert) -> Result<Statement> {
        let ast::TableObject::TableName(name) = &i.table else {
            return Err(PlanError::unsupported("INSERT INTO a table function"));
        };
        let refused: &[(&str, bool)] = &[
            (
                "OR REPLACE/IGNORE",
                i.or.is_some() || i.ignore || i.replace_into,
            ),
            ("a table alias", i.table_alias.is_some()),
            ("SET assignments", !i.assignments.is_empty()),
            (
                "PARTITION",
                i.partitioned.is_some() || !i.after_columns.is_empty(),
            ),
            ("OVERRIDING", i.overriding.is_some()),
            ("ON CONFLICT / ON DUPLICATE KEY", i.on.is_some()),
            ("RETURNING", i.returning.is_some() || i.output.is_some()),
            ("aliases", i.insert_alias.is_some()),
            (
                "SETTINGS or FORMAT",
                i.settings.is_some() || i.format_clause.is_some(),
            ),
            ("priority", i.priority.is_some()),
        ];
        if let Some((what, _)) = refused.iter().find(|(_, set)| *set) {
            return Err(unsupported(format!("INSERT ... {what}"), name));
        }
        let table = object_name(name)?;
        let schema = self.target_table(&table, loc(name))?.schema();
        let Some(query) = &i.source else {
            return Err(unsupported("INSERT ... DEFAULT VALUES", name));
        };
        // Which table columns the source fills, in the source's order.
        let targets: Vec<usize> = if i.columns.is_empty() {
            (0..schema.fields().len()).collect()
        } else {
            let mut out = Vec::with_capacity(i.columns.len());
            for c in &i.columns {
                let col = object_name(c)?;
                let idx = column_index(&schema, &col, &table, loc(c))?;
                if out.contains(&idx) {
                    return Err(PlanError::plan_at(
                        format!("column '{col}' specified more than once"),
                        loc(c),
                    ));
                }
                out.push(idx);
            }
            out
        };
        let source = match query.body.as_ref() {
            SetExpr::Values(v)
                if query.with.is_none()
                    && query.order_by.is_none()
                    && query.limit_clause.is_none() =>
            {
                self.plan_insert_values(v, &targets, &schema)?
            }
            _ => self.plan_top_query(query)?,
        };
        let source_schema = source.schema();
        let at = loc(query.as_ref());
        let source_columns: Vec<usize> = if i.by_name {
            // INSERT ... BY NAME: each source column goes to the table column of its name.
            return self.finish_insert_by_name(table, source, schema, at, i.overwrite);
        } else {
            (0..source_schema.len()).collect()
        };
        if source_columns.len() != targets.len() {
            let more = if source_columns.len() > targets.len() {
                "more expressions than target columns"
            } else {
                "more target columns than expressions"
            };
            return Err(PlanError::plan_at(
                format!(
                    "INSERT has {more} ({} values for {} columns)",
                    source_columns.len(),
                    targets.len()
                ),
                at,
            ));
        }
        let mut columns = vec![None; schema.fields().len()];
        for (s, &t) in source_columns.iter().zip(&targets) {
            check_assignable(&source_schema, *s, &schema, t, at)?;
            columns[t] = Some(*s);
        }
        Ok(Statement::Insert {
            table,
            source,
            columns,
            overwrite: i.overwrite,
        })
    }

    fn finish_insert_by_name(
        &self,
        table: String,
        source: LogicalPlan,
        schema: SchemaRef,
        at: Location,
        overwrite: bool,
    ) -> Result<Statement> {
        let source_schema = source.schema();
        let mut columns = vec![None; schema.fields().len()];
        for (s, f) in source_schema.fields.iter().enumerate() {
            let t = column_index(&schema, f.user_name(), &table, at)?;
            if columns[t].is_some() {
                return Err(PlanError::plan_at(
                    format!("column '{}' specified more than once", f.user_name()),
                    at,
                ));
            }
            check_assignable(&source_schema, s, &schema, t, at)?;
            columns[t] = Some(s);
        }
        Ok(Statement::Insert {
            table,
            source,
            columns,
            overwrite,
        })
    }

    /// The rows of `INSERT ... VALUES`. Each column keeps its values' common type; a
    /// column mixing types that have none (`1` and `'2'`) is carried as text, and the
    /// runtime converts each value to the table column's type.
    fn plan_insert_values(
        &self,
        v: &ast::Values,
        targets: &[usize],
        schema: &SchemaRef,
    ) -> Result<LogicalPlan> {
        if v.explicit_row {
            return Err(unsupported("VALUES ROW(...)", &v.rows[0].content[0]));
        }
        let empty = PlanSchema::default();
        let scope = ExprScope {
            schema: &empty,
            using: &[],
            star: None,
            aliases: &[],
        };
        let mut rows = Vec::with_capacity(v.rows.len());
        for (r, row) in v.rows.iter().enumerate() {
            if row.content.len() != targets.len() {
                let at = row.content.first().map(loc).unwrap_or_default();
                return Err(PlanError::plan_at(
                    format!(
                        "INSERT row {} has {} values for {} columns",
                        r + 1,
                        row.content.len(),
                        targets.len()
                    ),
                    at,
                ));
            }
            rows.push(
                row.content
                    .iter()
                    .map(|e| self.sql_to_expr(e, &scope))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        for (c, &t) in targets.iter().enumerate() {
            let mut common = Some(DataType::Null);
            for row in &rows {
                let rt = row[c].data_type(&empty)?;
                common = common.and_then(|ct| common_type(&ct, &rt));
            }
            if common.is_none() {
                let carry = if assignable(&DataType::Utf8, schema.field(t).data_type()) {
                    DataType::Utf8
                } else {
                    schema.field(t).data_type().clone()
                };
                for row in &mut rows {
                    let e = std::mem::replace(&mut row[c], Expr::Literal(crate::ScalarValue::Null));
                    row[c] = e.cast(carry.clone());
                }
            }
        }
        Ok(LogicalPlanBuilder::values(rows)?.build())
    }

    /// `UPDATE t [AS alias] SET col = expr, ... [WHERE p]`: every row of `t`, the
    /// matching ones with their new values.
    pub(crate) fn plan_update(&self, u: &ast::Update) -> Result<Statement> {
        if u.from.is_some()
            || u.returning.is_some()
            || u.output.is_some()
            || u.or.is_some()
            || !u.order_by.is_empty()
            || u.limit.is_some()
            || u.on_cluster.is_some()
            || u.settings.is_some()
        {
            return Err(unsupported(
                "UPDATE options (only UPDATE t SET ... [WHERE ...])",
                &u.table.relation,
            ));
        }
        let (table, alias, at) = single_table(&u.table)?;
        let scan = self.table_scan(&table, alias.as_deref(), at)?;
        let schema = scan.schema();
        let table_schema = self.target_table(&table, at)?.schema();
        let scope = ExprScope {
            schema: &schema,
            using: &[],
            star: None,
            aliases: &[],
        };
        let mut values: Vec<Option<Expr>> = vec![None; schema.len()];
        for a in &u.assignments {
            let names = match &a.target {
                ast::AssignmentTarget::ColumnName(n) => vec![n],
                ast::AssignmentTarget::Tuple(_) => {
                    return Err(unsupported("UPDATE SET (a, b) = ...", &a.value));
                }
            };
            let name = object_name(names[0])?;
            let idx = column_index(&table_schema, &name, &table, loc(names[0]))?;
            if values[idx].is_some() {
                return Err(PlanError::plan_at(
                    format!("multiple assignments to column '{name}'"),
                    loc(names[0]),
                ));
            }
            let value = self.sql_to_expr(&a.value, &scope)?;
            let vt = value.data_type(&schema)?;
            let ct = table_schema.field(idx).data_type();
            if !assignable(&vt, ct) {
                return Err(type_error(&table_schema, idx, &vt, loc(&a.value)));
            }
            values[idx] = Some(if vt == *ct {
                value
            } else {
                value.cast(ct.clone())
            });
        }
        let predicate = match &u.selection {
            Some(w) => Some(self.sql_to_expr(w, &scope)?),
            None => None,
        };
        // Each row of the table, then whether the statement updated it.
        let new_row = |keep_old: Option<&Expr>, updated: Expr| -> Vec<Expr> {
            let mut row: Vec<Expr> = schema
                .fields
                .iter()
                .zip(&values)
                .map(|(f, v)| {
                    let old = field_column(f);
                    let e = match (v, keep_old) {
                        (None, _) => old,
                        (Some(v), None) => v.clone(),
                        (Some(v), Some(p)) => Expr::Case {
                            operand: None,
                            when_then: vec![(p.clone(), v.clone())],
                            else_expr: Some(Box::new(old)),
                        },
                    };
                    e.alias(f.user_name())
                })
                .collect();
            row.push(updated.alias(UPDATED_COLUMN));
            row
        };
        let rows = match predicate {
            None => scan.project(new_row(None, lit(true)))?,
            Some(p) if !p.contains_subquery() => {
                let p = is_true(p);
                scan.project(new_row(Some(&p), p.clone()))?
            }
            Some(p) => {
                // Subqueries stay top-level WHERE terms: the rows that do not match,
                // then the matching rows with their new values.
                let all = scan.clone().build_arc();
                let matched = scan.filter(p)?;
                let unchanged = LogicalPlanBuilder::from_arc(all).set_operation(
                    matched.clone().build_arc(),
                    SetOperation::Except,
                    true,
                )?;
                let mut keep: Vec<Expr> =
                    unchanged.schema().fields.iter().map(field_column).collect();
                keep.push(lit(false).alias(UPDATED_COLUMN));
                unchanged
                    .project(keep)?
                    .union(matched.project(new_row(None, lit(true)))?.build_arc())?
            }
        };
        Ok(Statement::Update {
            table,
            rows: rows.build(),
        })
    }

    /// `DELETE FROM t [AS alias] [WHERE p]`: the rows that stay (`None`: none).
    pub(crate) fn plan_delete(&self, d: &ast::Delete) -> Result<Statement> {
        let from = match &d.from {
            ast::FromTable::WithFromKeyword(f) | ast::FromTable::WithoutKeyword(f) => f,
        };
        let [target] = from.as_slice() else {
            return Err(PlanError::unsupported("DELETE from several tables"));
        };
        if !d.tables.is_empty()
            || d.using.is_some()
            || d.returning.is_some()
            || d.output.is_some()
            || !d.order_by.is_empty()
            || d.limit.is_some()
            || d.on_cluster.is_some()
            || d.settings.is_some()
        {
            return Err(unsupported(
                "DELETE options (only DELETE FROM t [WHERE ...])",
                &target.relation,
            ));
        }
        let (table, alias, at) = single_table(target)?;
        self.target_table(&table, at)?;
        let Some(w) = &d.selection else {
            return Ok(Statement::Delete { table, keep: None });
        };
        let scan = self.table_scan(&table, alias.as_deref(), at)?;
        let schema = scan.schema();
        let scope = ExprScope {
            schema: &schema,
            using: &[],
            star: None,
            aliases: &[],
        };
        let p = self.sql_to_expr(w, &scope)?;
        let keep = if p.contains_subquery() {
            // Subqueries stay top-level WHERE terms: every row but the matching ones.
            let matched = scan.clone().filter(p)?.build_arc();
            scan.set_operation(matched, SetOperation::Except, true)?
        } else {
            scan.filter(Expr::Not(Box::new(is_true(p))))?
        };
        Ok(Statement::Delete {
            table,
            keep: Some(keep.build()),
        })
    }

    /// The base table `name`, for statements that write to it.
    pub(crate) fn target_table(&self, name: &str, at: Location) -> Result<Arc<dyn TableSource>> {
        match self.catalog.table(name) {
            Some(CatalogEntry::Table(t)) => Ok(t),
            Some(CatalogEntry::View(_)) => Err(PlanError::plan_at(
                format!("'{name}' is a view; only tables can be written to"),
                at,
            )),
            None => {
                let names = self.catalog.table_names();
                Err(PlanError::not_found(
                    "table",
                    name,
                    names.iter().map(String::as_str),
                    at,
                ))
            }
        }
    }

    fn table_scan(
        &self,
        name: &str,
        alias: Option<&str>,
        at: Location,
    ) -> Result<LogicalPlanBuilder> {
        let source = self.target_table(name, at)?;
        let scan = LogicalPlanBuilder::scan(name, source)?;
        match alias {
            Some(a) => scan.alias(a),
            None => Ok(scan),
        }
    }
}

/// `p IS TRUE`: false for NULL.
fn is_true(p: Expr) -> Expr {
    Expr::Function {
        name: "coalesce".into(),
        args: vec![p, Expr::Literal(crate::ScalarValue::Boolean(Some(false)))],
    }
}

/// The one table of UPDATE or DELETE, with its alias.
fn single_table(t: &ast::TableWithJoins) -> Result<(String, Option<String>, Location)> {
    if !t.joins.is_empty() {
        return Err(unsupported("joins in UPDATE or DELETE", &t.relation));
    }
    match &t.relation {
        TableFactor::Table {
            name,
            alias,
            args: None,
            with_hints,
            version: None,
            partitions,
            ..
        } if with_hints.is_empty() && partitions.is_empty() => {
            let alias = match alias {
                Some(a) if a.columns.is_empty() => Some(a.name.value.clone()),
                Some(a) => return Err(unsupported("column aliases here", a)),
                None => None,
            };
            Ok((object_name(name)?, alias, loc(name)))
        }
        other => Err(unsupported(format!("'{other}' as the target"), other)),
    }
}

/// The position of column `name` (any case) in a table's columns.
fn column_index(schema: &SchemaRef, name: &str, table: &str, at: Location) -> Result<usize> {
    schema
        .fields()
        .iter()
        .position(|f| f.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let _ = table;
            PlanError::not_found(
                "column",
                name,
                schema.fields().iter().map(|f| f.name().as_str()),
                at,
            )
        })
}

fn check_assignable(
    source: &PlanSchema,
    s: usize,
    table: &SchemaRef,
    t: usize,
    at: Location,
) -> Result<()> {
    let from = &source.field(s).data_type;
    if assignable(from, table.field(t).data_type()) {
        Ok(())
    } else {
        Err(type_error(table, t, from, at))
    }
}

fn type_error(table: &SchemaRef, t: usize, from: &DataType, at: Location) -> PlanError {
    let f = table.field(t);
    PlanError::type_mismatch(format!(
        "column '{}' is of type {} but the value is of type {}",
        f.name(),
        crate::types::sql_name(f.data_type()),
        crate::types::sql_name(from)
    ))
    .with_location(at)
}
