//! The physical planner: turns an optimized logical plan into a physical plan —
//! two-step aggregation around a hash exchange, hash joins (broadcast when the build
//! side is small, else partitioned on the keys) with the smaller input as the build
//! side, top-k for ORDER BY ... LIMIT, and exchanges wherever rows must meet.
//! NOT IN's null-aware anti join and the null-aware mark join are always broadcast; an aggregate holding
//! `single_value` runs once, in Single mode, after gathering every row in one partition.
//! Subquery expressions must have been decorrelated ([`crate::optimizer::decorrelate`]).
//!
//! Logical expressions become [`PhysExpr`]s with columns resolved to indices and
//! casts made explicit where operand types differ.

use std::cell::RefCell;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{PlanError, Result};
use crate::expr::{AggFunc, Expr};
use crate::functions;
use crate::logical::builder::field_column;
use crate::logical::{JoinKind, LogicalPlan};
use crate::optimizer::cost::estimate_rows;
use crate::physical::expr::{AggregateExpr, PhysExpr, PhysSortKey};
use crate::physical::plan::{
    AggregateMode, JoinDistribution, Partitioning, PhysicalPlan, state_fields,
};
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types::{self, SqlType};

/// Settings the physical planner needs.
#[derive(Debug, Clone)]
pub struct PhysicalPlannerConfig {
    /// Partitions after a hash exchange.
    pub target_partitions: usize,
    /// A join whose build side is estimated at or below this many rows is broadcast.
    pub broadcast_threshold_rows: usize,
    /// Choose the smaller input as the build side from estimates.
    pub cost_based: bool,
}

impl Default for PhysicalPlannerConfig {
    fn default() -> Self {
        PhysicalPlannerConfig {
            target_partitions: 4,
            broadcast_threshold_rows: 1_000_000,
            cost_based: true,
        }
    }
}

/// Logical to physical.
pub struct PhysicalPlanner {
    pub(crate) config: PhysicalPlannerConfig,
    /// Estimated output rows of the nodes planned so far, for EXPLAIN.
    estimates: RefCell<Vec<(Arc<PhysicalPlan>, f64)>>,
}

impl PhysicalPlanner {
    /// A planner with the given settings.
    pub fn new(config: PhysicalPlannerConfig) -> Self {
        PhysicalPlanner {
            config,
            estimates: RefCell::new(Vec::new()),
        }
    }

    /// Plans `plan`, and returns with it the estimated output rows of each node in
    /// pre-order ([`PhysicalPlan::preorder`]); `None` where no estimate was made (the
    /// partial step of an aggregate). An exchange carries its input's estimate.
    pub fn plan_with_estimates(
        &self,
        plan: &LogicalPlan,
    ) -> Result<(Arc<PhysicalPlan>, Vec<Option<f64>>)> {
        self.estimates.borrow_mut().clear();
        let out = self.plan(plan)?;
        let noted = std::mem::take(&mut *self.estimates.borrow_mut());
        let nodes = out.preorder();
        let mut rows: Vec<Option<f64>> = nodes
            .iter()
            .map(|n| {
                noted
                    .iter()
                    .find(|(p, _)| std::ptr::eq(p.as_ref(), *n))
                    .map(|(_, r)| *r)
            })
            .collect();
        // Exchanges move rows without changing their number: the input follows in
        // pre-order. Walk backwards so chains of exchanges resolve too.
        for i in (0..nodes.len()).rev() {
            if rows[i].is_none() && matches!(nodes[i], PhysicalPlan::Exchange { .. }) {
                rows[i] = rows.get(i + 1).copied().flatten();
            }
        }
        Ok((out, rows))
    }

    /// Remembers `node`'s estimated output rows.
    fn note(&self, node: Arc<PhysicalPlan>, rows: f64) -> Arc<PhysicalPlan> {
        let mut noted = self.estimates.borrow_mut();
        if !noted.iter().any(|(p, _)| Arc::ptr_eq(p, &node)) {
            noted.push((node.clone(), rows));
        }
        node
    }

    /// Plans `plan`.
    pub fn plan(&self, plan: &LogicalPlan) -> Result<Arc<PhysicalPlan>> {
        let rows = estimate_rows(plan);
        let out = self.plan_node(plan, rows)?;
        Ok(self.note(out, rows))
    }

    fn plan_node(&self, plan: &LogicalPlan, rows: f64) -> Result<Arc<PhysicalPlan>> {
        let out = match plan {
            LogicalPlan::Scan {
                table,
                source,
                projection,
                filters,
                schema,
            } => {
                let projection = projection
                    .clone()
                    .unwrap_or_else(|| (0..source.schema().fields().len()).collect());
                let filters = filters
                    .iter()
                    .filter_map(|f| create_physical_expr(f, schema).ok())
                    .collect();
                PhysicalPlan::Scan {
                    table: table.clone(),
                    source: source.clone(),
                    projection,
                    filters,
                    schema: arrow_schema(schema),
                }
            }
            LogicalPlan::Filter { input, predicate } => PhysicalPlan::Filter {
                predicate: create_physical_expr(predicate, &input.schema())?,
                input: self.plan(input)?,
            },
            LogicalPlan::Projection {
                input,
                exprs,
                schema,
            } => {
                let in_schema = input.schema();
                PhysicalPlan::Projection {
                    exprs: exprs
                        .iter()
                        .map(|e| create_physical_expr(e, &in_schema))
                        .collect::<Result<_>>()?,
                    input: self.plan(input)?,
                    schema: arrow_schema(schema),
                }
            }
            LogicalPlan::SubqueryAlias { input, .. } => return self.plan(input),
            LogicalPlan::Window {
                input,
                exprs,
                schema,
            } => return self.plan_window(input, exprs, schema),
            LogicalPlan::RecursiveQuery {
                name,
                static_term,
                recursive_term,
                distinct,
                schema,
            } => PhysicalPlan::RecursiveQuery {
                name: name.clone(),
                static_term: self.plan(static_term)?,
                recursive_term: self.plan(recursive_term)?,
                distinct: *distinct,
                schema: arrow_schema(schema),
            },
            LogicalPlan::WorkTable { name, schema } => PhysicalPlan::WorkTable {
                name: name.clone(),
                schema: arrow_schema(schema),
            },
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
                schema,
            } => {
                return self.plan_aggregate(input, group_by, aggregates, schema);
            }
            LogicalPlan::Distinct { input } => {
                let s = input.schema();
                let group_by: Vec<Expr> = s.fields.iter().map(field_column).collect();
                return self.plan_aggregate(input, &group_by, &[], &s);
            }
            LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
                schema,
            } => {
                return self.plan_join(left, right, *kind, on, filter.as_ref(), schema, rows);
            }
            LogicalPlan::Sort { input, keys } => {
                return self.plan_sort(input, keys, None);
            }
            LogicalPlan::Limit { input, skip, fetch } => {
                if let (
                    LogicalPlan::Sort {
                        input: sort_input,
                        keys,
                    },
                    Some(f),
                ) = (input.as_ref(), fetch)
                {
                    let sorted = self.plan_sort(sort_input, keys, Some(skip + f))?;
                    return Ok(Arc::new(PhysicalPlan::Limit {
                        input: sorted,
                        skip: *skip,
                        fetch: *fetch,
                    }));
                }
                let child = self.plan(input)?;
                let local = match fetch {
                    Some(f) => Arc::new(PhysicalPlan::Limit {
                        input: child,
                        skip: 0,
                        fetch: Some(skip + f),
                    }),
                    None => child,
                };
                let single = Arc::new(PhysicalPlan::Exchange {
                    input: local,
                    partitioning: Partitioning::Single,
                });
                PhysicalPlan::Limit {
                    input: single,
                    skip: *skip,
                    fetch: *fetch,
                }
            }
            LogicalPlan::Union { inputs, schema } => {
                // Every input produces the union's schema (its names, and nullable
                // wherever any input is), so batches from all inputs agree.
                let out = arrow_schema(schema);
                let inputs = inputs
                    .iter()
                    .map(|i| {
                        let p = self.plan(i)?;
                        if p.schema().fields() == out.fields() {
                            return Ok(p);
                        }
                        let exprs = out
                            .fields()
                            .iter()
                            .enumerate()
                            .map(|(k, f)| PhysExpr::column(k, f.name().clone()))
                            .collect();
                        Ok(Arc::new(PhysicalPlan::Projection {
                            input: p,
                            exprs,
                            schema: out.clone(),
                        }))
                    })
                    .collect::<Result<_>>()?;
                PhysicalPlan::Union { inputs }
            }
            LogicalPlan::Values { rows, schema } => {
                let empty = PlanSchema::default();
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let mut vals = Vec::with_capacity(row.len());
                    for (i, e) in row.iter().enumerate() {
                        let v =
                            constant_value(&create_physical_expr(e, &empty)?).ok_or_else(|| {
                                PlanError::unsupported(format!(
                                    "non-constant expression in VALUES: {e}"
                                ))
                            })?;
                        vals.push(cast_scalar(v, &schema.field(i).data_type));
                    }
                    out.push(vals);
                }
                PhysicalPlan::Values {
                    rows: out,
                    schema: arrow_schema(schema),
                }
            }
            LogicalPlan::Empty {
                produce_one_row,
                schema,
            } => PhysicalPlan::Values {
                rows: if *produce_one_row {
                    vec![vec![]]
                } else {
                    vec![]
                },
                schema: arrow_schema(schema),
            },
        };
        Ok(Arc::new(out))
    }

    fn plan_sort(
        &self,
        input: &LogicalPlan,
        keys: &[crate::expr::SortExpr],
        fetch: Option<usize>,
    ) -> Result<Arc<PhysicalPlan>> {
        let s = input.schema();
        let keys: Vec<PhysSortKey> = keys
            .iter()
            .map(|k| {
                Ok(PhysSortKey {
                    expr: create_physical_expr(&k.expr, &s)?,
                    asc: k.asc,
                    nulls_first: k.nulls_first,
                })
            })
            .collect::<Result<_>>()?;
        let child = self.plan(input)?;
        let local = Arc::new(PhysicalPlan::Sort {
            input: child,
            keys: keys.clone(),
            fetch,
        });
        let single = Arc::new(PhysicalPlan::Exchange {
            input: local,
            partitioning: Partitioning::Single,
        });
        Ok(Arc::new(PhysicalPlan::Sort {
            input: single,
            keys,
            fetch,
        }))
    }

    fn plan_aggregate(
        &self,
        input: &LogicalPlan,
        group_by: &[Expr],
        aggregates: &[Expr],
        schema: &PlanSchema,
    ) -> Result<Arc<PhysicalPlan>> {
        let in_schema = input.schema();
        let child = self.plan(input)?;
        let groups: Vec<PhysExpr> = group_by
            .iter()
            .map(|g| create_physical_expr(g, &in_schema))
            .collect::<Result<_>>()?;
        let aggs: Vec<AggregateExpr> = aggregates
            .iter()
            .zip(schema.fields.iter().skip(group_by.len()))
            .map(|(a, f)| create_aggregate_expr(a, &in_schema, &f.name))
            .collect::<Result<_>>()?;
        let out_schema = arrow_schema(schema);
        let n = self.config.target_partitions.max(1);
        let single_value = aggs.iter().any(|a| a.func == AggFunc::SingleValue);
        // Aggregates without a partial state run in one step, like DISTINCT ones.
        let one_step = aggs.iter().any(|a| a.distinct || a.func.needs_all_rows());
        if single_value {
            // single_value must see every row in one place to know there is only one.
            let exchanged = Arc::new(PhysicalPlan::Exchange {
                input: child,
                partitioning: Partitioning::Single,
            });
            return Ok(Arc::new(PhysicalPlan::HashAggregate {
                input: exchanged,
                mode: AggregateMode::Single,
                group_by: groups,
                aggregates: aggs,
                schema: out_schema,
            }));
        }
        if one_step {
            // Every row of a group must meet in one task.
            let partitioning = if groups.is_empty() {
                Partitioning::Single
            } else {
                Partitioning::Hash(groups.clone(), n)
            };
            let exchanged = Arc::new(PhysicalPlan::Exchange {
                input: child,
                partitioning,
            });
            return Ok(Arc::new(PhysicalPlan::HashAggregate {
                input: exchanged,
                mode: AggregateMode::Single,
                group_by: groups,
                aggregates: aggs,
                schema: out_schema,
            }));
        }
        let mut partial_fields: Vec<Field> = out_schema.fields()[..groups.len()]
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for a in &aggs {
            partial_fields.extend(state_fields(a));
        }
        let partial = Arc::new(PhysicalPlan::HashAggregate {
            input: child,
            mode: AggregateMode::Partial,
            group_by: groups.clone(),
            aggregates: aggs.clone(),
            schema: Arc::new(Schema::new(partial_fields)),
        });
        let final_groups: Vec<PhysExpr> = out_schema.fields()[..groups.len()]
            .iter()
            .enumerate()
            .map(|(i, f)| PhysExpr::column(i, f.name().clone()))
            .collect();
        let partitioning = if groups.is_empty() {
            Partitioning::Single
        } else {
            Partitioning::Hash(final_groups.clone(), n)
        };
        let exchanged = Arc::new(PhysicalPlan::Exchange {
            input: partial,
            partitioning,
        });
        Ok(Arc::new(PhysicalPlan::HashAggregate {
            input: exchanged,
            mode: AggregateMode::Final,
            group_by: final_groups,
            aggregates: aggs,
            schema: out_schema,
        }))
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_join(
        &self,
        left: &Arc<LogicalPlan>,
        right: &Arc<LogicalPlan>,
        kind: JoinKind,
        on: &[(Expr, Expr)],
        filter: Option<&Expr>,
        schema: &PlanSchema,
        rows: f64,
    ) -> Result<Arc<PhysicalPlan>> {
        let ls = left.schema();
        let rs = right.schema();
        // The build side is the right input; for inner joins put the smaller one there.
        let swap = self.config.cost_based
            && kind == JoinKind::Inner
            && !on.is_empty()
            && estimate_rows(left) < estimate_rows(right);
        if swap {
            let swapped_on: Vec<(Expr, Expr)> =
                on.iter().map(|(l, r)| (r.clone(), l.clone())).collect();
            let swapped_schema = rs.join(&ls);
            let joined = self.plan_join(
                right,
                left,
                kind,
                &swapped_on,
                filter,
                &swapped_schema,
                rows,
            )?;
            // Put the columns back in left-then-right order.
            let nr = rs.len();
            let nl = ls.len();
            let exprs: Vec<PhysExpr> = (0..nl)
                .map(|i| PhysExpr::column(nr + i, ls.field(i).name.clone()))
                .chain((0..nr).map(|i| PhysExpr::column(i, rs.field(i).name.clone())))
                .collect();
            return Ok(Arc::new(PhysicalPlan::Projection {
                input: joined,
                exprs,
                schema: arrow_schema(schema),
            }));
        }
        if on.is_empty() && matches!(kind, JoinKind::Right | JoinKind::Full) {
            return self.plan_outer_nested_loop(left, right, kind, filter, schema, rows);
        }
        let both = ls.join(&rs);
        let phys_filter = filter.map(|f| create_physical_expr(f, &both)).transpose()?;
        let l_plan = self.plan(left)?;
        let r_plan = self.plan(right)?;
        let out_schema = arrow_schema(schema);
        if on.is_empty() {
            let join = Arc::new(PhysicalPlan::NestedLoopJoin {
                left: l_plan,
                right: r_plan,
                kind,
                filter: phys_filter,
                schema: out_schema,
            });
            return Ok(self.note(join, rows));
        }
        let mut keys = Vec::with_capacity(on.len());
        for (l, r) in on {
            let lt = l.data_type(&ls)?;
            let rt = r.data_type(&rs)?;
            let t = types::common_type(&lt, &rt).ok_or_else(|| {
                let (lt, rt) = (SqlType(&lt), SqlType(&rt));
                PlanError::type_mismatch(format!("cannot join {l} ({lt}) with {r} ({rt})"))
            })?;
            keys.push((
                cast_to(create_physical_expr(l, &ls)?, &lt, &t),
                cast_to(create_physical_expr(r, &rs)?, &rt, &t),
            ));
        }
        let small = estimate_rows(right) <= self.config.broadcast_threshold_rows as f64;
        let broadcastable = matches!(
            kind,
            JoinKind::Inner
                | JoinKind::Left
                | JoinKind::LeftSemi
                | JoinKind::LeftAnti
                | JoinKind::LeftMark
        );
        // NOT IN must see the whole build side (any NULL there excludes every row); so
        // must a null-aware mark join (a NULL `y` anywhere in a probe row's group).
        let must_broadcast = matches!(
            kind,
            JoinKind::LeftAntiNullAware | JoinKind::LeftMarkNullAware
        );
        // A semi or anti join against a much larger right input indexes the left one
        // instead (only without a join filter, which would need both rows at once).
        let left_rows = estimate_rows(left);
        let build_left = self.config.cost_based
            && matches!(kind, JoinKind::LeftSemi | JoinKind::LeftAnti)
            && filter.is_none()
            && left_rows <= self.config.broadcast_threshold_rows as f64
            && left_rows * 4.0 < estimate_rows(right);
        let (l_plan, r_plan, distribution) = if build_left {
            (l_plan, r_plan, JoinDistribution::BroadcastLeft)
        } else if must_broadcast || (small && broadcastable) {
            (l_plan, r_plan, JoinDistribution::Broadcast)
        } else {
            let n = self.config.target_partitions.max(1);
            let lk = keys.iter().map(|(l, _)| l.clone()).collect();
            let rk = keys.iter().map(|(_, r)| r.clone()).collect();
            (
                Arc::new(PhysicalPlan::Exchange {
                    input: l_plan,
                    partitioning: Partitioning::Hash(lk, n),
                }),
                Arc::new(PhysicalPlan::Exchange {
                    input: r_plan,
                    partitioning: Partitioning::Hash(rk, n),
                }),
                JoinDistribution::Partitioned,
            )
        };
        let join = Arc::new(PhysicalPlan::HashJoin {
            left: l_plan,
            right: r_plan,
            kind,
            on: keys,
            filter: phys_filter,
            distribution,
            schema: out_schema,
        });
        Ok(self.note(join, rows))
    }

    /// A RIGHT or FULL join without equality keys, from the nested loop joins that
    /// exist: RIGHT is a LEFT join with the sides swapped, FULL is the LEFT join plus
    /// the right rows no left row matches (an anti join), padded with NULLs.
    fn plan_outer_nested_loop(
        &self,
        left: &Arc<LogicalPlan>,
        right: &Arc<LogicalPlan>,
        kind: JoinKind,
        filter: Option<&Expr>,
        schema: &PlanSchema,
        rows: f64,
    ) -> Result<Arc<PhysicalPlan>> {
        let ls = left.schema();
        let rs = right.schema();
        let (nl, nr) = (ls.len(), rs.len());
        let out_schema = arrow_schema(schema);
        let columns = |types: &PlanSchema, offset: usize| -> Vec<PhysExpr> {
            types
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| PhysExpr::column(offset + i, f.name.clone()))
                .collect()
        };
        let typed_null = |t: &DataType| PhysExpr::Cast {
            expr: Box::new(PhysExpr::Literal(ScalarValue::null_of(t))),
            data_type: t.clone(),
        };
        if kind == JoinKind::Right {
            let swapped = crate::logical::builder::join_schema(&rs, &ls, JoinKind::Left);
            let joined =
                self.plan_join(right, left, JoinKind::Left, &[], filter, &swapped, rows)?;
            let mut exprs = columns(&ls, nr);
            exprs.extend(columns(&rs, 0));
            return Ok(Arc::new(PhysicalPlan::Projection {
                input: joined,
                exprs,
                schema: out_schema,
            }));
        }
        let left_schema = crate::logical::builder::join_schema(&ls, &rs, JoinKind::Left);
        let left_join =
            self.plan_join(left, right, JoinKind::Left, &[], filter, &left_schema, rows)?;
        let left_join = Arc::new(PhysicalPlan::Projection {
            input: left_join,
            exprs: (0..nl + nr)
                .map(|i| PhysExpr::column(i, schema.field(i).name.clone()))
                .collect(),
            schema: out_schema.clone(),
        });
        let unmatched = self.plan_join(right, left, JoinKind::LeftAnti, &[], filter, &rs, rows)?;
        let mut exprs: Vec<PhysExpr> = ls.fields.iter().map(|f| typed_null(&f.data_type)).collect();
        exprs.extend(columns(&rs, 0));
        let padded = Arc::new(PhysicalPlan::Projection {
            input: unmatched,
            exprs,
            schema: out_schema,
        });
        Ok(Arc::new(PhysicalPlan::Union {
            inputs: vec![left_join, padded],
        }))
    }
}

/// The Arrow schema of a plan schema.
pub fn arrow_schema(schema: &PlanSchema) -> SchemaRef {
    Arc::new(schema.to_arrow())
}

pub(crate) fn cast_to(e: PhysExpr, from: &DataType, to: &DataType) -> PhysExpr {
    if from == to {
        return e;
    }
    if let PhysExpr::Literal(v) = &e {
        let c = cast_scalar(v.clone(), to);
        if &c.data_type() == to {
            return PhysExpr::Literal(c);
        }
    }
    PhysExpr::Cast {
        expr: Box::new(e),
        data_type: to.clone(),
    }
}

/// Casts a literal at plan time where the conversion is exact and simple; otherwise
/// returns it unchanged (the runtime cast then applies).
pub fn cast_scalar(v: ScalarValue, to: &DataType) -> ScalarValue {
    use ScalarValue as S;
    if &v.data_type() == to {
        return v;
    }
    if v.is_null() {
        return S::null_of(to);
    }
    match (&v, to) {
        (S::Int64(Some(x)), DataType::Int32) if i32::try_from(*x).is_ok() => {
            S::Int32(Some(*x as i32))
        }
        (S::Int32(Some(x)), DataType::Int64) => S::Int64(Some(*x as i64)),
        (S::Int64(Some(x)), DataType::Float64) => S::Float64(Some(*x as f64)),
        (S::Int32(Some(x)), DataType::Float64) => S::Float64(Some(*x as f64)),
        (S::Int64(Some(x)), DataType::Decimal128(p, s)) if *s >= 0 => {
            match (*x as i128).checked_mul(10i128.pow(*s as u32)) {
                Some(u) => S::Decimal128(Some(u), *p, *s),
                None => v,
            }
        }
        (S::Int32(Some(x)), DataType::Decimal128(p, s)) if *s >= 0 => {
            S::Decimal128(Some(*x as i128 * 10i128.pow(*s as u32)), *p, *s)
        }
        (S::Decimal128(Some(x), _, s1), DataType::Decimal128(p, s2)) if *s2 >= *s1 => {
            match x.checked_mul(10i128.pow((*s2 - *s1) as u32)) {
                Some(u) => S::Decimal128(Some(u), *p, *s2),
                None => v,
            }
        }
        (S::Decimal128(Some(x), _, s), DataType::Float64) => {
            S::Float64(Some(*x as f64 / 10f64.powi(*s as i32)))
        }
        (S::Utf8(Some(t)), DataType::Date32) => match crate::scalar::parse_date32(t) {
            Some(d) => S::Date32(Some(d)),
            None => v,
        },
        _ => v,
    }
}

/// The value of a constant expression, if it is one.
fn constant_value(e: &PhysExpr) -> Option<ScalarValue> {
    match e {
        PhysExpr::Literal(v) => Some(v.clone()),
        PhysExpr::Cast { expr, data_type } => {
            let v = cast_scalar(constant_value(expr)?, data_type);
            (&v.data_type() == data_type).then_some(v)
        }
        PhysExpr::Negative(inner) => match constant_value(inner)? {
            ScalarValue::Int64(Some(x)) => Some(ScalarValue::Int64(Some(x.checked_neg()?))),
            ScalarValue::Int32(Some(x)) => Some(ScalarValue::Int32(Some(x.checked_neg()?))),
            ScalarValue::Float64(Some(x)) => Some(ScalarValue::Float64(Some(-x))),
            ScalarValue::Decimal128(Some(x), p, s) => Some(ScalarValue::Decimal128(Some(-x), p, s)),
            _ => None,
        },
        _ => None,
    }
}

fn create_aggregate_expr(e: &Expr, schema: &PlanSchema, name: &str) -> Result<AggregateExpr> {
    let Expr::Aggregate {
        func,
        args,
        distinct,
    } = e.unalias()
    else {
        return Err(PlanError::internal(format!("'{e}' is not an aggregate")));
    };
    let (arg, input_type) = match args.first() {
        None => (None, None),
        Some(a) => (
            Some(create_physical_expr(a, schema)?),
            Some(a.data_type(schema)?),
        ),
    };
    let params = args
        .iter()
        .skip(1)
        .map(|p| match p.unalias() {
            Expr::Literal(v) => Ok(v.clone()),
            other => Err(PlanError::plan(format!(
                "{}() needs a constant here, got {other}",
                func.name()
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    let return_type = func.return_type(input_type.as_ref())?;
    Ok(AggregateExpr {
        func: *func,
        arg,
        distinct: *distinct,
        params,
        input_type,
        return_type,
        name: name.to_string(),
    })
}

/// Converts a logical expression over `schema` into a physical one.
pub fn create_physical_expr(e: &Expr, schema: &PlanSchema) -> Result<PhysExpr> {
    let p = |x: &Expr| create_physical_expr(x, schema);
    let ty = |x: &Expr| x.data_type(schema);
    Ok(match e {
        Expr::Column(c) => {
            let i = schema.index_of(c.relation.as_deref(), &c.name)?;
            PhysExpr::column(i, schema.field(i).name.clone())
        }
        Expr::Literal(v) => PhysExpr::Literal(v.clone()),
        Expr::Alias { expr, .. } => p(expr)?,
        Expr::Binary { left, op, right } => {
            let (lt, rt) = (ty(left)?, ty(right)?);
            let (cl, cr) = types::coerce_binary_operands(&lt, *op, &rt)?;
            let data_type = types::binary_result_type(&cl, *op, &cr)?;
            PhysExpr::Binary {
                left: Box::new(cast_to(p(left)?, &lt, &cl)),
                op: *op,
                right: Box::new(cast_to(p(right)?, &rt, &cr)),
                data_type,
            }
        }
        Expr::Not(x) => PhysExpr::Not(Box::new(p(x)?)),
        Expr::Negative(x) => PhysExpr::Negative(Box::new(p(x)?)),
        Expr::IsNull(x) => PhysExpr::IsNull(Box::new(p(x)?)),
        Expr::IsNotNull(x) => PhysExpr::IsNotNull(Box::new(p(x)?)),
        Expr::Cast { expr, data_type } => {
            let from = ty(expr)?;
            cast_to(p(expr)?, &from, data_type)
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let inner = expr
                .as_ref()
                .clone()
                .gt_eq(low.as_ref().clone())
                .and(expr.as_ref().clone().lt_eq(high.as_ref().clone()));
            let b = p(&inner)?;
            if *negated {
                PhysExpr::Not(Box::new(b))
            } else {
                b
            }
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let mut t = ty(expr)?;
            for item in list {
                let it = ty(item)?;
                t = types::common_type(&t, &it).ok_or_else(|| {
                    let (t, it) = (SqlType(&t), SqlType(&it));
                    PlanError::type_mismatch(format!("IN list mixes {t} and {it} in '{e}'"))
                })?;
            }
            let et = ty(expr)?;
            PhysExpr::InList {
                expr: Box::new(cast_to(p(expr)?, &et, &t)),
                list: list
                    .iter()
                    .map(|i| Ok(cast_to(p(i)?, &ty(i)?, &t)))
                    .collect::<Result<_>>()?,
                negated: *negated,
            }
        }
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => {
            for (x, what) in [(expr, "LIKE operand"), (pattern, "LIKE pattern")] {
                let t = ty(x)?;
                if !types::is_string(&t) && t != DataType::Null {
                    return Err(PlanError::type_mismatch(format!(
                        "{what} must be a string, got {} in '{e}'",
                        SqlType(&t)
                    )));
                }
            }
            PhysExpr::Like {
                expr: Box::new(p(expr)?),
                pattern: Box::new(p(pattern)?),
                negated: *negated,
                case_insensitive: *case_insensitive,
            }
        }
        Expr::Case {
            operand,
            when_then,
            else_expr,
        } => {
            let data_type = e.data_type(schema)?;
            let mut pairs = Vec::with_capacity(when_then.len());
            for (w, t) in when_then {
                let cond = match operand {
                    Some(o) => o.as_ref().clone().eq(w.clone()),
                    None => w.clone(),
                };
                pairs.push((p(&cond)?, cast_to(p(t)?, &ty(t)?, &data_type)));
            }
            let else_expr = match else_expr {
                Some(x) => Some(Box::new(cast_to(p(x)?, &ty(x)?, &data_type))),
                None => None,
            };
            PhysExpr::Case {
                when_then: pairs,
                else_expr,
                data_type,
            }
        }
        Expr::Function { name, args } => {
            let arg_types = args.iter().map(ty).collect::<Result<Vec<_>>>()?;
            let data_type = functions::return_type(name, &arg_types)?;
            let mut pargs: Vec<PhysExpr> = args.iter().map(p).collect::<Result<_>>()?;
            if name == "coalesce" {
                pargs = pargs
                    .into_iter()
                    .zip(&arg_types)
                    .map(|(a, t)| cast_to(a, t, &data_type))
                    .collect();
            }
            PhysExpr::Function {
                name: name.clone(),
                args: pargs,
                data_type,
            }
        }
        Expr::Aggregate { .. } => {
            return Err(PlanError::plan(format!(
                "aggregate '{e}' is not allowed here"
            )));
        }
        Expr::ScalarSubquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. } => {
            return Err(PlanError::unsupported(format!(
                "subquery expression '{e}' left after decorrelation (run optimizer::decorrelate first)"
            )));
        }
        Expr::OuterColumn { column, .. } => {
            return Err(PlanError::unsupported(format!(
                "outer column reference '{column}' left after decorrelation"
            )));
        }
        Expr::Window(_) => {
            return Err(PlanError::plan(format!(
                "window call '{e}' is not allowed here"
            )));
        }
        Expr::Grouping(_) => {
            return Err(PlanError::plan(format!(
                "'{e}' is only allowed with GROUP BY"
            )));
        }
    })
}
