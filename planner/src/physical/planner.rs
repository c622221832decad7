//! The physical planner: turns an optimized logical plan into a physical plan, one
//! function per node kind — scans, filters, projections, top-k for ORDER BY ... LIMIT,
//! limits, unions, VALUES here; aggregates (`aggregate.rs`), joins (`join.rs`, with
//! the build side and distribution from `join_selection.rs`) and windows
//! (`window.rs`) beside it — with exchanges wherever rows must meet. Each node of
//! the logical plan is estimated once, before planning starts, and the physical
//! nodes keep their estimates for EXPLAIN. Subquery expressions must have been
//! decorrelated ([`crate::optimizer::decorrelate`]); expressions are planned by
//! [`crate::physical::expr_planner`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::cast::cast_scalar;
use crate::error::{PlanError, Result};
use crate::expr::Expr;
use crate::logical::LogicalPlan;
use crate::logical::builder::field_column;
use crate::optimizer::cost::{Estimate, Estimates, estimate_plan};
use crate::physical::expr::{PhysExpr, PhysSortKey};
use crate::physical::expr_planner::{arrow_schema, constant_value, create_physical_expr};
use crate::physical::plan::{Partitioning, PhysicalPlan};
use crate::schema::PlanSchema;

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
    /// Estimated output rows of every node of the logical plan being planned, computed
    /// once when planning starts (by node address; cleared when planning ends).
    logical_rows: RefCell<HashMap<*const LogicalPlan, Estimate>>,
    /// Estimated output rows of the physical nodes planned so far, for EXPLAIN (the
    /// node is kept alive so that its address stays its own).
    noted: RefCell<HashMap<*const PhysicalPlan, (Arc<PhysicalPlan>, Estimate)>>,
}

impl PhysicalPlanner {
    /// A planner with the given settings.
    pub fn new(config: PhysicalPlannerConfig) -> Self {
        PhysicalPlanner {
            config,
            logical_rows: RefCell::new(HashMap::new()),
            noted: RefCell::new(HashMap::new()),
        }
    }

    /// Plans `plan`, and returns with it the estimated output rows of each node in
    /// pre-order ([`PhysicalPlan::preorder`]), with where each estimate came from;
    /// `None` where no estimate was made (the partial step of an aggregate). An
    /// exchange, and a sort added under a merge, carry their input's estimate.
    pub fn plan_with_estimates(
        &self,
        plan: &LogicalPlan,
    ) -> Result<(Arc<PhysicalPlan>, Vec<Option<Estimate>>)> {
        self.noted.borrow_mut().clear();
        let out = self.plan(plan)?;
        let noted = std::mem::take(&mut *self.noted.borrow_mut());
        let nodes = out.preorder();
        let mut rows: Vec<Option<Estimate>> = nodes
            .iter()
            .map(|n| noted.get(&(*n as *const PhysicalPlan)).map(|(_, r)| *r))
            .collect();
        // Exchanges and full sorts (the per-partition sort under a merge) keep their
        // rows' number: the input follows in pre-order. Walk backwards so chains of
        // them resolve too.
        for i in (0..nodes.len()).rev() {
            let keeps_rows = matches!(
                nodes[i],
                PhysicalPlan::Exchange { .. } | PhysicalPlan::Sort { fetch: None, .. }
            );
            if rows[i].is_none() && keeps_rows {
                rows[i] = rows.get(i + 1).copied().flatten();
            }
        }
        Ok((out, rows))
    }

    /// Remembers `node`'s estimated output rows (the first estimate given for a node).
    pub(crate) fn note(&self, node: Arc<PhysicalPlan>, rows: Estimate) -> Arc<PhysicalPlan> {
        self.noted
            .borrow_mut()
            .entry(Arc::as_ptr(&node))
            .or_insert_with(|| (node.clone(), rows));
        node
    }

    /// The estimated output rows of `node`, a node of the plan being planned.
    pub(crate) fn rows(&self, node: &LogicalPlan) -> f64 {
        self.estimate(node).rows
    }

    /// The estimate of `node`, a node of the plan being planned, with its source.
    pub(crate) fn estimate(&self, node: &LogicalPlan) -> Estimate {
        match self
            .logical_rows
            .borrow()
            .get(&(node as *const LogicalPlan))
        {
            Some(r) => *r,
            None => estimate_plan(node),
        }
    }

    /// Plans `plan`, estimating each of its nodes once.
    pub fn plan(&self, plan: &LogicalPlan) -> Result<Arc<PhysicalPlan>> {
        *self.logical_rows.borrow_mut() = Estimates::of(plan).into_map();
        let out = self.plan_input(plan);
        self.logical_rows.borrow_mut().clear();
        out
    }

    /// Plans `plan`, a node of the plan being planned.
    pub(crate) fn plan_input(&self, plan: &LogicalPlan) -> Result<Arc<PhysicalPlan>> {
        let rows = self.estimate(plan);
        let out = self.plan_node(plan, rows)?;
        Ok(self.note(out, rows))
    }

    /// Plans one node: each kind has its own function.
    fn plan_node(&self, plan: &LogicalPlan, rows: Estimate) -> Result<Arc<PhysicalPlan>> {
        match plan {
            LogicalPlan::Scan { .. } => self.plan_scan(plan),
            LogicalPlan::Filter { input, predicate } => Ok(Arc::new(PhysicalPlan::Filter {
                predicate: create_physical_expr(predicate, &input.schema())?,
                input: self.plan_input(input)?,
            })),
            LogicalPlan::Projection {
                input,
                exprs,
                schema,
            } => self.plan_projection(input, exprs, schema),
            LogicalPlan::SubqueryAlias { input, .. } => self.plan_input(input),
            LogicalPlan::Expand {
                input,
                projections,
                schema,
            } => self.plan_expand(input, projections, schema),
            LogicalPlan::Window {
                input,
                exprs,
                schema,
            } => self.plan_window(input, exprs, schema),
            LogicalPlan::RecursiveQuery {
                name,
                static_term,
                recursive_term,
                distinct,
                schema,
            } => Ok(Arc::new(PhysicalPlan::RecursiveQuery {
                name: name.clone(),
                static_term: self.plan_input(static_term)?,
                recursive_term: self.plan_input(recursive_term)?,
                distinct: *distinct,
                schema: arrow_schema(schema),
            })),
            LogicalPlan::WorkTable { name, schema } => Ok(Arc::new(PhysicalPlan::WorkTable {
                name: name.clone(),
                schema: arrow_schema(schema),
            })),
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
                schema,
            } => self.plan_aggregate(input, group_by, aggregates, schema),
            LogicalPlan::Distinct { input } => {
                let s = input.schema();
                let group_by: Vec<Expr> = s.fields.iter().map(field_column).collect();
                self.plan_aggregate(input, &group_by, &[], &s)
            }
            LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
                schema,
            } => self.plan_join(left, right, *kind, on, filter.as_ref(), schema, rows),
            LogicalPlan::Sort { input, keys } => self.plan_sort(input, keys, None),
            LogicalPlan::Limit { input, skip, fetch } => self.plan_limit(input, *skip, *fetch),
            LogicalPlan::Union { inputs, schema } => self.plan_union(inputs, schema),
            LogicalPlan::Values { rows, schema } => plan_values(rows, schema),
            LogicalPlan::Empty {
                produce_one_row,
                schema,
            } => Ok(Arc::new(PhysicalPlan::Values {
                rows: if *produce_one_row {
                    vec![vec![]]
                } else {
                    vec![]
                },
                schema: arrow_schema(schema),
            })),
        }
    }

    /// A scan reads the projected columns; its pushed-down filters become physical
    /// expressions where they can (they are hints: the Filter above applies them).
    fn plan_scan(&self, plan: &LogicalPlan) -> Result<Arc<PhysicalPlan>> {
        let LogicalPlan::Scan {
            table,
            source,
            projection,
            filters,
            schema,
        } = plan
        else {
            return Err(PlanError::internal(
                "plan_scan called on a node that is not a scan",
            ));
        };
        let projection = projection
            .clone()
            .unwrap_or_else(|| (0..source.schema().fields().len()).collect());
        let filters = filters
            .iter()
            .filter_map(|f| create_physical_expr(f, schema).ok())
            .collect();
        Ok(Arc::new(PhysicalPlan::Scan {
            table: table.clone(),
            source: source.clone(),
            projection,
            filters,
            schema: arrow_schema(schema),
        }))
    }

    fn plan_projection(
        &self,
        input: &LogicalPlan,
        exprs: &[Expr],
        schema: &PlanSchema,
    ) -> Result<Arc<PhysicalPlan>> {
        let in_schema = input.schema();
        Ok(Arc::new(PhysicalPlan::Projection {
            exprs: exprs
                .iter()
                .map(|e| create_physical_expr(e, &in_schema))
                .collect::<Result<_>>()?,
            input: self.plan_input(input)?,
            schema: arrow_schema(schema),
        }))
    }

    /// Each row once per projection; the copies stay in the input's partition.
    fn plan_expand(
        &self,
        input: &LogicalPlan,
        projections: &[Vec<Expr>],
        schema: &PlanSchema,
    ) -> Result<Arc<PhysicalPlan>> {
        let in_schema = input.schema();
        Ok(Arc::new(PhysicalPlan::Expand {
            projections: projections
                .iter()
                .map(|p| {
                    p.iter()
                        .map(|e| create_physical_expr(e, &in_schema))
                        .collect::<Result<Vec<_>>>()
                })
                .collect::<Result<_>>()?,
            input: self.plan_input(input)?,
            schema: arrow_schema(schema),
        }))
    }

    /// LIMIT over ORDER BY is a top-k sort; otherwise each partition stops at
    /// `skip + fetch` rows and one partition applies the limit.
    fn plan_limit(
        &self,
        input: &LogicalPlan,
        skip: usize,
        fetch: Option<usize>,
    ) -> Result<Arc<PhysicalPlan>> {
        if let (
            LogicalPlan::Sort {
                input: sort_input,
                keys,
            },
            Some(f),
        ) = (input, fetch)
        {
            let sorted = self.plan_sort(sort_input, keys, Some(skip + f))?;
            return Ok(Arc::new(PhysicalPlan::Limit {
                input: sorted,
                skip,
                fetch,
            }));
        }
        let child = self.plan_input(input)?;
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
        Ok(Arc::new(PhysicalPlan::Limit {
            input: single,
            skip,
            fetch,
        }))
    }

    /// Every input produces the union's schema (its names, and nullable wherever any
    /// input is), so batches from all inputs agree.
    fn plan_union(
        &self,
        inputs: &[Arc<LogicalPlan>],
        schema: &PlanSchema,
    ) -> Result<Arc<PhysicalPlan>> {
        let out = arrow_schema(schema);
        let inputs = inputs
            .iter()
            .map(|i| {
                let p = self.plan_input(i)?;
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
        Ok(Arc::new(PhysicalPlan::Union { inputs }))
    }

    /// Each partition sorts (keeping `fetch` rows when given), then one partition
    /// merges.
    pub(crate) fn plan_sort(
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
        let child = self.plan_input(input)?;
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
}

/// VALUES rows, each cell a constant of its column's type.
fn plan_values(rows: &[Vec<Expr>], schema: &PlanSchema) -> Result<Arc<PhysicalPlan>> {
    let empty = PlanSchema::default();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut vals = Vec::with_capacity(row.len());
        for (i, e) in row.iter().enumerate() {
            let cell = create_physical_expr(e, &empty)?;
            // A constant whose cast cannot be done now (`CAST('x' AS INTEGER)`) is kept
            // as it is and cast (or refused, naming the value) as the batch is built.
            let v = constant_value(&cell)
                .or_else(|| match &cell {
                    PhysExpr::Cast { expr, .. } => constant_value(expr),
                    _ => None,
                })
                .ok_or_else(|| {
                    PlanError::unsupported(format!("non-constant expression in VALUES: {e}"))
                })?;
            // A cell that does not convert now is converted (or fails) as the batch
            // is built.
            let t = &schema.field(i).data_type;
            vals.push(cast_scalar(&v, t).unwrap_or(v));
        }
        out.push(vals);
    }
    Ok(Arc::new(PhysicalPlan::Values {
        rows: out,
        schema: arrow_schema(schema),
    }))
}
