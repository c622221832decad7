//! [`LogicalPlanBuilder`]: builds logical plans node by node, computing each node's
//! schema and checking its expressions. SQL and the DataFrame API both use it.

use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::catalog::TableSource;
use crate::error::{PlanError, Result};
use crate::expr::{Column, Expr, SortExpr};
use crate::logical::plan::{JoinKind, LogicalPlan};
use crate::schema::{PlanField, PlanSchema, is_deduplicated, unique_names};
use crate::transformed::Transformed;
use crate::types::{self, SqlType};

/// Builds a [`LogicalPlan`] bottom-up.
#[derive(Debug, Clone)]
pub struct LogicalPlanBuilder {
    plan: Arc<LogicalPlan>,
}

impl LogicalPlanBuilder {
    /// Starts from an existing plan.
    pub fn from(plan: LogicalPlan) -> Self {
        LogicalPlanBuilder {
            plan: Arc::new(plan),
        }
    }

    /// Starts from a shared plan.
    pub fn from_arc(plan: Arc<LogicalPlan>) -> Self {
        LogicalPlanBuilder { plan }
    }

    /// Scans a table; columns are qualified by `name`.
    pub fn scan(name: &str, source: Arc<dyn TableSource>) -> Result<Self> {
        let schema = PlanSchema::from_arrow(Some(name), &source.schema()).deduplicated();
        Ok(Self::from(LogicalPlan::Scan {
            table: name.to_string(),
            source,
            projection: None,
            filters: vec![],
            schema: Arc::new(schema),
        }))
    }

    /// No columns; one row when `produce_one_row` (for `SELECT` without `FROM`).
    pub fn empty(produce_one_row: bool) -> Self {
        Self::from(LogicalPlan::Empty {
            produce_one_row,
            schema: Arc::new(PlanSchema::default()),
        })
    }

    /// Literal rows; columns are named `column1`, `column2`, ...
    pub fn values(rows: Vec<Vec<Expr>>) -> Result<Self> {
        let width = rows.first().map(|r| r.len()).unwrap_or(0);
        if rows.iter().any(|r| r.len() != width) {
            return Err(PlanError::plan(
                "VALUES rows must all have the same number of columns",
            ));
        }
        let empty = PlanSchema::default();
        let mut fields = Vec::with_capacity(width);
        for c in 0..width {
            let mut t = DataType::Null;
            let mut nullable = false;
            for row in &rows {
                let rt = row[c].data_type(&empty)?;
                t = types::common_type(&t, &rt).ok_or_else(|| {
                    PlanError::type_mismatch(format!(
                        "VALUES column {} mixes {} and {}",
                        c + 1,
                        SqlType(&t),
                        SqlType(&rt)
                    ))
                })?;
                nullable |= row[c].nullable(&empty)?;
            }
            fields.push(PlanField::new(
                None,
                &format!("column{}", c + 1),
                t,
                nullable,
            ));
        }
        Ok(Self::from(LogicalPlan::Values {
            rows,
            schema: Arc::new(PlanSchema::new(fields)),
        }))
    }

    /// Keeps rows where `predicate` is true.
    pub fn filter(self, predicate: Expr) -> Result<Self> {
        let schema = self.plan.schema();
        let t = predicate.data_type(&schema)?;
        if !matches!(t, DataType::Boolean | DataType::Null) {
            return Err(PlanError::type_mismatch(format!(
                "filter predicate '{predicate}' must be BOOLEAN, got {}",
                SqlType(&t)
            )));
        }
        Ok(Self::from(LogicalPlan::Filter {
            input: self.plan,
            predicate,
        }))
    }

    /// One output column per expression. Columns that would share a name are renamed
    /// (see [`crate::schema::unique_names`]) by aliasing their expressions.
    pub fn project(self, exprs: Vec<Expr>) -> Result<Self> {
        let input_schema = self.plan.schema();
        let mut fields = exprs
            .iter()
            .map(|e| expr_field(e, &input_schema))
            .collect::<Result<Vec<_>>>()?;
        let exprs = rename_repeated(exprs, &mut fields, &input_schema)?;
        Ok(Self::from(LogicalPlan::Projection {
            input: self.plan,
            exprs,
            schema: Arc::new(PlanSchema::new(fields)),
        }))
    }

    /// Groups by `group_by` and computes `aggregates` (each an aggregate call, possibly
    /// aliased). A grouping expression written twice is grouped by once.
    pub fn aggregate(self, group_by: Vec<Expr>, aggregates: Vec<Expr>) -> Result<Self> {
        let input_schema = self.plan.schema();
        let mut unique_group_by: Vec<Expr> = Vec::with_capacity(group_by.len());
        for g in group_by {
            if !unique_group_by.contains(&g) {
                unique_group_by.push(g);
            }
        }
        let group_by = unique_group_by;
        let mut fields = Vec::new();
        for e in &group_by {
            fields.push(expr_field(e, &input_schema)?);
        }
        for e in &aggregates {
            if !matches!(e.unalias(), Expr::Aggregate { .. }) {
                return Err(PlanError::plan(format!("'{e}' is not an aggregate call")));
            }
            let mut f = expr_field(e, &input_schema)?;
            f.qualifier = None;
            fields.push(f);
        }
        if let Some(f) = repeated_field(&fields) {
            return Err(PlanError::internal(format!(
                "aggregate output column '{}' appears twice",
                f.qualified_name()
            )));
        }
        Ok(Self::from(LogicalPlan::Aggregate {
            input: self.plan,
            group_by,
            aggregates,
            schema: Arc::new(PlanSchema::new(fields)),
        }))
    }

    /// Emits every input row once per projection (see [`LogicalPlan::Expand`]). The
    /// projections must have the same number of expressions and the same column types;
    /// names come from the first, and a column is nullable when it is in any.
    pub fn expand(self, projections: Vec<Vec<Expr>>) -> Result<Self> {
        let input_schema = self.plan.schema();
        let Some(first) = projections.first() else {
            return Err(PlanError::internal("Expand needs at least one projection"));
        };
        let mut fields = first
            .iter()
            .map(|e| expr_field(e, &input_schema))
            .collect::<Result<Vec<_>>>()?;
        for p in &projections[1..] {
            if p.len() != fields.len() {
                return Err(PlanError::internal(format!(
                    "Expand projections have {} and {} columns",
                    fields.len(),
                    p.len()
                )));
            }
            for (e, f) in p.iter().zip(fields.iter_mut()) {
                let t = e.data_type(&input_schema)?;
                if t != f.data_type {
                    return Err(PlanError::internal(format!(
                        "Expand column '{}' has types {} and {}",
                        f.name,
                        SqlType(&f.data_type),
                        SqlType(&t)
                    )));
                }
                f.nullable |= e.nullable(&input_schema)?;
            }
        }
        if let Some(f) = repeated_field(&fields) {
            return Err(PlanError::internal(format!(
                "Expand output column '{}' appears twice",
                f.qualified_name()
            )));
        }
        Ok(Self::from(LogicalPlan::Expand {
            input: self.plan,
            projections,
            schema: Arc::new(PlanSchema::new(fields)),
        }))
    }

    /// Appends one column per window call (each an [`Expr::Window`], possibly aliased;
    /// all with the same PARTITION BY and ORDER BY).
    pub fn window(self, exprs: Vec<Expr>) -> Result<Self> {
        let input_schema = self.plan.schema();
        let mut fields = input_schema.fields.clone();
        let mut first: Option<&crate::expr::WindowCall> = None;
        for e in &exprs {
            let Expr::Window(w) = e.unalias() else {
                return Err(PlanError::plan(format!("'{e}' is not a window call")));
            };
            if let Some(f) = first
                && !f.same_window(w)
            {
                return Err(PlanError::internal(
                    "window calls of one Window node must share PARTITION BY and ORDER BY",
                ));
            }
            first = Some(w);
            let mut f = expr_field(e, &input_schema)?;
            f.qualifier = None;
            fields.push(f);
        }
        if let Some(f) = repeated_field(&fields) {
            return Err(PlanError::internal(format!(
                "window output column '{}' appears twice",
                f.qualified_name()
            )));
        }
        Ok(Self::from(LogicalPlan::Window {
            input: self.plan,
            exprs,
            schema: Arc::new(PlanSchema::new(fields)),
        }))
    }

    /// Joins with `right` on equal key pairs plus an optional extra condition.
    pub fn join_on(
        self,
        right: Arc<LogicalPlan>,
        kind: JoinKind,
        on: Vec<(Expr, Expr)>,
        filter: Option<Expr>,
    ) -> Result<Self> {
        let ls = self.plan.schema();
        let rs = right.schema();
        let mut on_checked = Vec::with_capacity(on.len());
        for (l, r) in on {
            let lt = l.data_type(&ls)?;
            let rt = r.data_type(&rs)?;
            types::common_type(&lt, &rt).ok_or_else(|| {
                let (lt, rt) = (SqlType(&lt), SqlType(&rt));
                PlanError::type_mismatch(format!("cannot join {l} ({lt}) with {r} ({rt})"))
            })?;
            on_checked.push((l, r));
        }
        let schema = join_schema(&ls, &rs, kind);
        if let Some(f) = repeated_field(&ls.join(&rs).fields) {
            return Err(PlanError::plan(format!(
                "both sides of a join have a column '{}'; give one side another alias",
                f.qualified_name()
            )));
        }
        if let Some(f) = &filter {
            let all = ls.join(&rs);
            let t = f.data_type(&all)?;
            if !matches!(t, DataType::Boolean | DataType::Null) {
                return Err(PlanError::type_mismatch(format!(
                    "join condition '{f}' must be BOOLEAN, got {}",
                    SqlType(&t)
                )));
            }
        }
        let kind = if kind == JoinKind::Cross && (!on_checked.is_empty() || filter.is_some()) {
            JoinKind::Inner
        } else {
            kind
        };
        Ok(Self::from(LogicalPlan::Join {
            left: self.plan,
            right,
            kind,
            on: on_checked,
            filter,
            schema: Arc::new(schema),
        }))
    }

    /// Joins on columns with the same names on both sides (`USING (a, b)`).
    pub fn join_using(
        self,
        right: Arc<LogicalPlan>,
        kind: JoinKind,
        columns: &[String],
    ) -> Result<Self> {
        let ls = self.plan.schema();
        let rs = right.schema();
        let mut on = Vec::new();
        for c in columns {
            let li = ls.resolve(None, c, Default::default())?;
            let ri = rs.resolve(None, c, Default::default())?;
            on.push((field_column(ls.field(li)), field_column(rs.field(ri))));
        }
        self.join_on(right, kind, on, None)
    }

    /// Every pair of rows.
    pub fn cross_join(self, right: Arc<LogicalPlan>) -> Result<Self> {
        self.join_on(right, JoinKind::Cross, vec![], None)
    }

    /// Orders rows.
    pub fn sort(self, keys: Vec<SortExpr>) -> Result<Self> {
        let schema = self.plan.schema();
        for k in &keys {
            k.expr.data_type(&schema)?;
        }
        Ok(Self::from(LogicalPlan::Sort {
            input: self.plan,
            keys,
        }))
    }

    /// Skips `skip` rows, then returns at most `fetch`.
    pub fn limit(self, skip: usize, fetch: Option<usize>) -> Result<Self> {
        Ok(Self::from(LogicalPlan::Limit {
            input: self.plan,
            skip,
            fetch,
        }))
    }

    /// Removes duplicate rows.
    pub fn distinct(self) -> Result<Self> {
        Ok(Self::from(LogicalPlan::Distinct { input: self.plan }))
    }

    /// UNION ALL with `other`; column types are unified, casting where needed.
    pub fn union(self, other: Arc<LogicalPlan>) -> Result<Self> {
        let ls = self.plan.schema();
        let rs = other.schema();
        if ls.len() != rs.len() {
            return Err(PlanError::plan(format!(
                "UNION inputs have {} and {} columns",
                ls.len(),
                rs.len()
            )));
        }
        let mut fields = Vec::new();
        let mut types_out = Vec::new();
        for (l, r) in ls.fields.iter().zip(&rs.fields) {
            let t = types::common_type(&l.data_type, &r.data_type).ok_or_else(|| {
                PlanError::type_mismatch(format!(
                    "UNION column '{}' has types {} and {}",
                    l.name,
                    SqlType(&l.data_type),
                    SqlType(&r.data_type)
                ))
            })?;
            fields.push(PlanField::new(
                None,
                &l.name,
                t.clone(),
                l.nullable || r.nullable,
            ));
            types_out.push(t);
        }
        let mut inputs = match self.plan.as_ref() {
            LogicalPlan::Union { inputs, .. } => inputs.clone(),
            _ => vec![self.plan.clone()],
        };
        inputs.push(other);
        let inputs = inputs
            .into_iter()
            .map(|p| cast_to_types(p, &types_out))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::from(LogicalPlan::Union {
            inputs,
            schema: Arc::new(PlanSchema::new(fields).deduplicated()),
        }))
    }

    /// Renames the relation: every column gets qualifier `alias`.
    pub fn alias(self, alias: &str) -> Result<Self> {
        let schema = self.plan.schema().with_qualifier(alias).deduplicated();
        Ok(Self::from(LogicalPlan::SubqueryAlias {
            input: self.plan,
            alias: alias.to_string(),
            schema: Arc::new(schema),
        }))
    }

    /// The plan built so far.
    pub fn build(self) -> LogicalPlan {
        Arc::unwrap_or_clone(self.plan)
    }

    /// The plan built so far, shared.
    pub fn build_arc(self) -> Arc<LogicalPlan> {
        self.plan
    }

    /// The current output schema.
    pub fn schema(&self) -> Arc<PlanSchema> {
        self.plan.schema()
    }
}

/// A column expression that refers to `field` exactly.
pub fn field_column(field: &PlanField) -> Expr {
    Expr::Column(Column {
        relation: field.qualifier.clone(),
        name: field.name.clone(),
    })
}

/// `e` with every column reference a user wrote (`a`, `t.a`) turned into the reference
/// to the one field it names in `schema`, matched by the names users see: a name that
/// fits several fields is an error. For APIs that take expressions from users (the
/// DataFrame API); SQL resolves names as it plans.
pub fn resolve_user_columns(e: Expr, schema: &PlanSchema) -> Result<Expr> {
    Ok(e.transform_up(&mut |x| match x {
        Expr::Column(c) => {
            let i = schema.resolve(c.relation.as_deref(), &c.name, Default::default())?;
            Ok(Transformed::yes(field_column(schema.field(i))))
        }
        other => Ok(Transformed::no(other)),
    })?
    .data)
}

/// The output field of a projected expression: a bare column keeps its qualifier, and
/// so does a column under the alias that [`LogicalPlanBuilder::project`] gives it to
/// make its name unique.
pub fn expr_field(e: &Expr, input: &PlanSchema) -> Result<PlanField> {
    let data_type = e.data_type(input)?;
    let nullable = e.nullable(input)?;
    Ok(match e {
        Expr::Column(c) => {
            let f = input.field(input.index_of(c.relation.as_deref(), &c.name)?);
            PlanField {
                qualifier: f.qualifier.clone(),
                name: f.name.clone(),
                data_type,
                nullable,
            }
        }
        Expr::Alias { expr, name } if is_deduplicated(name) => {
            let qualifier = match expr.as_ref() {
                Expr::Column(c) => input
                    .field(input.index_of(c.relation.as_deref(), &c.name)?)
                    .qualifier
                    .clone(),
                _ => None,
            };
            PlanField {
                qualifier,
                name: name.clone(),
                data_type,
                nullable,
            }
        }
        _ => PlanField::new(None, &e.output_name(), data_type, nullable),
    })
}

/// The first field whose `(qualifier, name)` key another field shares.
fn repeated_field(fields: &[PlanField]) -> Option<&PlanField> {
    let renames = unique_names(fields);
    fields
        .iter()
        .zip(renames)
        .find(|(_, r)| r.is_some())
        .map(|(f, _)| f)
}

/// Aliases the expressions of a projection whose output names repeat, so each output
/// column has a name of its own; `fields` follows.
fn rename_repeated(
    mut exprs: Vec<Expr>,
    fields: &mut [PlanField],
    input: &PlanSchema,
) -> Result<Vec<Expr>> {
    for (i, name) in unique_names(fields).into_iter().enumerate() {
        if let Some(name) = name {
            exprs[i] = exprs[i].clone().alias(name);
            fields[i] = expr_field(&exprs[i], input)?;
        }
    }
    Ok(exprs)
}

/// The output schema of a join.
pub fn join_schema(left: &PlanSchema, right: &PlanSchema, kind: JoinKind) -> PlanSchema {
    let nullable = |s: &PlanSchema, yes: bool| PlanSchema {
        fields: s
            .fields
            .iter()
            .map(|f| PlanField {
                nullable: f.nullable || yes,
                ..f.clone()
            })
            .collect(),
    };
    match kind {
        JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::LeftAntiNullAware => left.clone(),
        JoinKind::LeftMark | JoinKind::LeftMarkNullAware => {
            let mark = PlanField::new(
                None,
                crate::logical::plan::MARK_COLUMN,
                DataType::Boolean,
                kind == JoinKind::LeftMarkNullAware,
            );
            left.join(&PlanSchema::new(vec![mark]))
        }
        JoinKind::Left => left.join(&nullable(right, true)),
        JoinKind::Right => nullable(left, true).join(right),
        JoinKind::Full => nullable(left, true).join(&nullable(right, true)),
        JoinKind::Inner | JoinKind::Cross => left.join(right),
    }
}

/// Projects `plan` so its columns have `types`, casting where they differ.
fn cast_to_types(plan: Arc<LogicalPlan>, types_out: &[DataType]) -> Result<Arc<LogicalPlan>> {
    let schema = plan.schema();
    if schema
        .fields
        .iter()
        .zip(types_out)
        .all(|(f, t)| &f.data_type == t)
    {
        return Ok(plan);
    }
    let exprs = schema
        .fields
        .iter()
        .zip(types_out)
        .map(|(f, t)| {
            let c = field_column(f);
            if &f.data_type == t {
                c
            } else {
                c.cast(t.clone()).alias(&f.name)
            }
        })
        .collect();
    Ok(LogicalPlanBuilder::from_arc(plan)
        .project(exprs)?
        .build_arc())
}
