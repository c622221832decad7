//! Ember's optimized logical plan as a Spark Connect relation, node by node.
//!
//! Every node's output columns get fresh names (`l_orderkey_3`), unique in the whole
//! query, and the translation of a node returns its relation with the Spark name of
//! each of its fields. Expressions refer to those names (see [`super::expr`]), so
//! Ember's qualifiers, internal names after joins and aggregates, and repeated
//! names never reach Spark. The root renames the columns back to the names Ember
//! shows, cast to Ember's types where Spark may pick another width or scale.
//!
//! | Ember | Spark Connect |
//! | --- | --- |
//! | Scan of files | Read (DataSource: format, path, options) + Project naming columns |
//! | Scan of a cluster table | Read (NamedTable) + Project naming columns |
//! | Filter | Filter |
//! | Projection | Project with aliases |
//! | Aggregate | Aggregate (GROUPBY) + ToDF |
//! | Join | Join of the same kind; NOT IN's null-aware anti join as an anti join whose condition also matches NULL keys; mark joins in `mark_join` |
//! | Sort | Sort (global) |
//! | Limit | Offset and Limit |
//! | Union | SetOperation UNION ALL, by position |
//! | Expand (grouping sets) | one Project of the input per grouping set, unioned |
//! | Distinct | Deduplicate over all columns |
//! | Values | LocalRelation (Arrow IPC) + ToDF |
//! | SubqueryAlias | SubqueryAlias |
//! | Window | Project of the input columns and window expressions |
//! | Empty | Range of one row or none |
//!
//! In: an optimized [`LogicalPlan`]. Out: a [`Relation`]. May import
//! `ember_planner::{logical, expr, schema}`, `crate::sources` (to find files) and
//! `super::{builders, expr, literal, values}`.

use std::sync::Arc;

use ember_planner::LogicalPlan;
use ember_planner::expr::Expr;
use ember_planner::logical::plan::JoinKind;
use ember_planner::schema::PlanSchema;

use super::builders::{alias, call, cast, column, disjunction, relation};
use super::expr::Scope;
use super::literal::{cast_on_server, spark_type};
use super::untranslatable;
use crate::connect::proto::join::JoinType;
use crate::connect::proto::read::{DataSource, ReadType};
use crate::connect::proto::relation::RelType;
use crate::connect::proto::set_operation::SetOpType;
use crate::connect::proto::{
    Aggregate, Deduplicate, Expression, Filter, Join, Limit, Offset, Project, Range, Read,
    Relation, SetOperation, Sort, SubqueryAlias, ToDf, aggregate::GroupType,
};
use crate::error::{EmberError, Result};
use crate::sources::Table;
use crate::sources::cluster::ClusterTable;

/// A translated node: its relation and the Spark name of each of its fields.
pub(super) struct Translated {
    pub relation: Relation,
    pub names: Vec<String>,
}

/// The whole query as one relation whose columns carry Ember's output names.
pub(super) fn query_relation(plan: &LogicalPlan) -> Result<Relation> {
    let mut translator = Translator { next: 0 };
    let top = translator.node(plan)?;
    let schema = plan.schema();
    let mut exprs = Vec::with_capacity(schema.len());
    for (field, name) in schema.fields.iter().zip(&top.names) {
        let mut e = column(name);
        if cast_on_server(&field.data_type) {
            e = cast(e, &spark_type(&field.data_type)?);
        }
        exprs.push(alias(e, field.user_name()));
    }
    Ok(project(top.relation, exprs))
}

pub(super) struct Translator {
    next: usize,
}

pub(super) fn project(input: Relation, expressions: Vec<Expression>) -> Relation {
    relation(RelType::Project(Box::new(Project {
        input: Some(Box::new(input)),
        expressions,
    })))
}

pub(super) fn to_df(input: Relation, names: &[String]) -> Relation {
    relation(RelType::ToDf(Box::new(ToDf {
        input: Some(Box::new(input)),
        column_names: names.to_vec(),
    })))
}

/// A join of two relations of the given kind, on `condition` (none for a cross join).
pub(super) fn join_relation(
    left: Relation,
    right: Relation,
    join_type: JoinType,
    condition: Option<Expression>,
) -> Relation {
    relation(RelType::Join(Box::new(Join {
        left: Some(Box::new(left)),
        right: Some(Box::new(right)),
        join_condition: condition,
        join_type: join_type as i32,
        using_columns: Vec::new(),
        join_data_type: None,
    })))
}

/// UNION ALL of two relations, by position.
fn union_all(left: Relation, right: Relation) -> Relation {
    relation(RelType::SetOp(Box::new(SetOperation {
        left_input: Some(Box::new(left)),
        right_input: Some(Box::new(right)),
        set_op_type: SetOpType::Union as i32,
        is_all: Some(true),
        by_name: Some(false),
        allow_missing_columns: None,
    })))
}

/// A relation with exactly the named columns, in order (for nodes that match
/// columns by position).
fn exactly(t: Translated) -> Translated {
    let exprs = t.names.iter().map(|n| column(n)).collect();
    Translated {
        relation: project(t.relation, exprs),
        names: t.names,
    }
}

impl Translator {
    /// A name no other column of the query has, readable after the user's name.
    pub(super) fn fresh(&mut self, user: &str) -> String {
        self.next += 1;
        let mut base: String = ember_planner::schema::user_name(user)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(24)
            .collect();
        if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
            base.insert(0, 'c');
        }
        format!("{base}_{}", self.next)
    }

    fn fresh_names(&mut self, schema: &PlanSchema) -> Vec<String> {
        schema.fields.iter().map(|f| self.fresh(&f.name)).collect()
    }

    pub(super) fn node(&mut self, plan: &LogicalPlan) -> Result<Translated> {
        match plan {
            LogicalPlan::Scan {
                table,
                source,
                projection,
                schema,
                ..
            } => self.scan(table, source, projection.as_deref(), schema),
            LogicalPlan::Filter { input, predicate } => {
                let input_plan = input;
                let t = self.node(input_plan)?;
                let schema = input_plan.schema();
                let condition = Scope {
                    schema: &schema,
                    names: &t.names,
                }
                .expr(predicate)?;
                Ok(Translated {
                    relation: relation(RelType::Filter(Box::new(Filter {
                        input: Some(Box::new(t.relation)),
                        condition: Some(condition),
                    }))),
                    names: t.names,
                })
            }
            LogicalPlan::Projection {
                input,
                exprs,
                schema,
            } => self.projection(input, exprs, schema),
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
                schema,
            } => {
                let t = self.node(input)?;
                let input_schema = input.schema();
                let scope = Scope {
                    schema: &input_schema,
                    names: &t.names,
                };
                let grouping = group_by
                    .iter()
                    .map(|g| scope.expr(g))
                    .collect::<Result<Vec<_>>>()?;
                let names = self.fresh_names(schema);
                let aggregate = aggregates
                    .iter()
                    .zip(&names[group_by.len()..])
                    .map(|(a, n)| scope.named(a, n))
                    .collect::<Result<Vec<_>>>()?;
                let rel = relation(RelType::Aggregate(Box::new(Aggregate {
                    input: Some(Box::new(t.relation)),
                    group_type: GroupType::Groupby as i32,
                    grouping_expressions: grouping,
                    aggregate_expressions: aggregate,
                    pivot: None,
                    grouping_sets: Vec::new(),
                })));
                // Spark names grouping columns after their expressions; ToDF renames
                // every output column by position.
                Ok(Translated {
                    relation: to_df(rel, &names),
                    names,
                })
            }
            LogicalPlan::Expand {
                input,
                projections,
                schema,
            } => {
                // Spark Connect has no Expand: one projection of the input per copy,
                // unioned by position.
                let t = self.node(input)?;
                let input_schema = input.schema();
                let scope = Scope {
                    schema: &input_schema,
                    names: &t.names,
                };
                let names = self.fresh_names(schema);
                let mut expanded: Option<Relation> = None;
                for exprs in projections {
                    let projected = exprs
                        .iter()
                        .zip(&names)
                        .map(|(e, n)| scope.named(e, n))
                        .collect::<Result<Vec<_>>>()?;
                    let copy = project(t.relation.clone(), projected);
                    expanded = Some(match expanded {
                        None => copy,
                        Some(left) => union_all(left, copy),
                    });
                }
                Ok(Translated {
                    relation: expanded
                        .ok_or_else(|| EmberError::internal("an Expand without projections"))?,
                    names,
                })
            }
            LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
                schema: _,
            } => self.join(left, right, *kind, on, filter.as_ref()),
            LogicalPlan::Sort { input, keys } => {
                let t = self.node(input)?;
                let schema = input.schema();
                let scope = Scope {
                    schema: &schema,
                    names: &t.names,
                };
                let order = keys
                    .iter()
                    .map(|k| scope.sort_order(k))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Translated {
                    relation: relation(RelType::Sort(Box::new(Sort {
                        input: Some(Box::new(t.relation)),
                        order,
                        is_global: Some(true),
                    }))),
                    names: t.names,
                })
            }
            LogicalPlan::Limit { input, skip, fetch } => {
                let mut t = self.node(input)?;
                let count = |n: usize, what: &str| {
                    i32::try_from(n).map_err(|_| {
                        untranslatable(format!(
                            "{what} {n} (Spark Connect takes at most {})",
                            i32::MAX
                        ))
                    })
                };
                if *skip > 0 {
                    t.relation = relation(RelType::Offset(Box::new(Offset {
                        input: Some(Box::new(t.relation)),
                        offset: count(*skip, "OFFSET")?,
                    })));
                }
                if let Some(n) = fetch {
                    t.relation = relation(RelType::Limit(Box::new(Limit {
                        input: Some(Box::new(t.relation)),
                        limit: count(*n, "LIMIT")?,
                    })));
                }
                Ok(t)
            }
            LogicalPlan::Union { inputs, .. } => {
                let mut translated = inputs.iter().map(|i| self.node(i).map(exactly));
                let Some(first) = translated.next() else {
                    return Err(EmberError::internal("a union without inputs"));
                };
                let first = first?;
                let names = first.names;
                let mut rel = first.relation;
                for next in translated {
                    rel = union_all(rel, next?.relation);
                }
                Ok(Translated {
                    relation: rel,
                    names,
                })
            }
            LogicalPlan::Distinct { input } => {
                let t = exactly(self.node(input)?);
                Ok(Translated {
                    relation: relation(RelType::Deduplicate(Box::new(Deduplicate {
                        input: Some(Box::new(t.relation)),
                        column_names: Vec::new(),
                        all_columns_as_keys: Some(true),
                        within_watermark: None,
                    }))),
                    names: t.names,
                })
            }
            LogicalPlan::Values { rows, schema } => {
                let names = self.fresh_names(schema);
                let rel = super::values::values_relation(rows, schema)?;
                Ok(Translated {
                    relation: to_df(rel, &names),
                    names,
                })
            }
            LogicalPlan::SubqueryAlias { input, alias, .. } => {
                let t = self.node(input)?;
                Ok(Translated {
                    relation: relation(RelType::SubqueryAlias(Box::new(SubqueryAlias {
                        input: Some(Box::new(t.relation)),
                        alias: alias.clone(),
                        qualifier: Vec::new(),
                    }))),
                    names: t.names,
                })
            }
            LogicalPlan::Window {
                input,
                exprs,
                schema,
            } => {
                let t = self.node(input)?;
                let input_schema = input.schema();
                let scope = Scope {
                    schema: &input_schema,
                    names: &t.names,
                };
                let mut names = t.names.clone();
                let mut projected: Vec<Expression> = t.names.iter().map(|n| column(n)).collect();
                for (e, field) in exprs.iter().zip(&schema.fields[input_schema.len()..]) {
                    let name = self.fresh(&field.name);
                    projected.push(scope.named(e, &name)?);
                    names.push(name);
                }
                Ok(Translated {
                    relation: project(t.relation, projected),
                    names,
                })
            }
            LogicalPlan::Empty {
                produce_one_row, ..
            } => Ok(Translated {
                // Spark has no relation of no columns: one row of `id`, which no
                // Ember column names and the root's projection drops.
                relation: relation(RelType::Range(Range {
                    start: Some(0),
                    end: i64::from(*produce_one_row),
                    step: 1,
                    num_partitions: Some(1),
                })),
                names: Vec::new(),
            }),
            LogicalPlan::RecursiveQuery { name, .. } | LogicalPlan::WorkTable { name, .. } => {
                Err(untranslatable(format!(
                    "the recursive query {name} (Spark Connect has no recursive relation)"
                )))
            }
        }
    }

    fn scan(
        &mut self,
        table: &str,
        source: &Arc<dyn ember_planner::TableSource>,
        projection: Option<&[usize]>,
        schema: &PlanSchema,
    ) -> Result<Translated> {
        if let Some(cluster) = source.as_any().downcast_ref::<ClusterTable>() {
            let read = super::cluster::named_table_read(cluster.identifier());
            return self.named_columns(read, table, source, projection, schema);
        }
        let location = source
            .as_any()
            .downcast_ref::<Table>()
            .and_then(|t| t.source().file_location())
            .ok_or_else(|| {
                untranslatable(format!(
                    "table {table} ({}): its rows are not in files the cluster can read; \
                     register Parquet or CSV files (CREATE EXTERNAL TABLE) on storage the cluster shares",
                    source.describe()
                ))
            })?;
        let mut options: std::collections::HashMap<String, String> =
            location.options.into_iter().collect();
        let mut ddl = None;
        if location.format == "csv" || location.format == "json" {
            // Spark reads text formats with the columns Ember inferred, by position.
            let source_schema = source.schema();
            let columns = source_schema
                .fields()
                .iter()
                .map(|f| {
                    Ok(format!(
                        "{} {}",
                        super::builders::quote(f.name()),
                        spark_type(f.data_type())?
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            ddl = Some(columns.join(", "));
            if location.format == "csv" {
                options
                    .entry("header".into())
                    .or_insert_with(|| "true".into());
            }
        }
        let read = relation(RelType::Read(Read {
            is_streaming: false,
            read_type: Some(ReadType::DataSource(DataSource {
                format: Some(location.format.clone()),
                schema: ddl,
                options,
                paths: vec![location.path.clone()],
                predicates: Vec::new(),
                source_name: None,
            })),
        }));
        self.named_columns(read, table, source, projection, schema)
    }

    /// `read` with the scanned columns of `source` (all, or `projection`) under fresh
    /// names.
    fn named_columns(
        &mut self,
        read: Relation,
        table: &str,
        source: &Arc<dyn ember_planner::TableSource>,
        projection: Option<&[usize]>,
        schema: &PlanSchema,
    ) -> Result<Translated> {
        let source_schema = source.schema();
        let indices: Vec<usize> = match projection {
            Some(p) => p.to_vec(),
            None => (0..source_schema.fields().len()).collect(),
        };
        let names = self.fresh_names(schema);
        let mut exprs = Vec::with_capacity(indices.len());
        for (i, name) in indices.iter().zip(&names) {
            let field = source_schema.fields().get(*i).ok_or_else(|| {
                EmberError::internal(format!("column {i} of {table} is out of range"))
            })?;
            exprs.push(alias(column(field.name()), name));
        }
        Ok(Translated {
            relation: project(read, exprs),
            names,
        })
    }

    fn projection(
        &mut self,
        input: &LogicalPlan,
        exprs: &[Expr],
        schema: &PlanSchema,
    ) -> Result<Translated> {
        let t = self.node(input)?;
        let input_schema = input.schema();
        let scope = Scope {
            schema: &input_schema,
            names: &t.names,
        };
        let names = self.fresh_names(schema);
        let projected = exprs
            .iter()
            .zip(&names)
            .map(|(e, n)| scope.named(e, n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Translated {
            relation: project(t.relation, projected),
            names,
        })
    }

    fn join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        kind: JoinKind,
        on: &[(Expr, Expr)],
        filter: Option<&Expr>,
    ) -> Result<Translated> {
        let join_type = match kind {
            JoinKind::Inner => JoinType::Inner,
            JoinKind::Left => JoinType::LeftOuter,
            JoinKind::Right => JoinType::RightOuter,
            JoinKind::Full => JoinType::FullOuter,
            JoinKind::LeftSemi => JoinType::LeftSemi,
            JoinKind::LeftAnti | JoinKind::LeftAntiNullAware => JoinType::LeftAnti,
            JoinKind::Cross => JoinType::Cross,
            JoinKind::LeftMark | JoinKind::LeftMarkNullAware => {
                return self.mark_join(left, right, kind, on, filter);
            }
        };
        let l = self.node(left)?;
        let r = self.node(right)?;
        let both = left.schema().join(&right.schema());
        let names: Vec<String> = l.names.iter().chain(&r.names).cloned().collect();
        let scope = Scope {
            schema: &both,
            names: &names,
        };
        let mut condition = scope.join_condition(on, filter)?;
        if kind == JoinKind::LeftAntiNullAware {
            // SQL's NOT IN: a NULL key on either side makes the comparison unknown,
            // which excludes the left row as a match would.
            let mut nulls = Vec::new();
            for (lk, rk) in on {
                nulls.push(call("isnull", vec![scope.expr(lk)?]));
                nulls.push(call("isnull", vec![scope.expr(rk)?]));
            }
            condition = disjunction(condition.into_iter().chain(disjunction(nulls)).collect());
        }
        let rel = join_relation(l.relation, r.relation, join_type, condition);
        let names = if kind.left_only() { l.names } else { names };
        Ok(Translated {
            relation: rel,
            names,
        })
    }
}
