//! Type coercion: rewrites every expression of a plan so that operands of binary
//! operators, IN lists, BETWEEN, CASE branches, `coalesce` arguments and join keys have
//! the types [`crate::types`] asks for, by inserting casts. Casts of literals are folded
//! (string literals compared with dates become date literals, integer literals meeting
//! decimals become decimal literals), and so is `DATE literal ± INTERVAL literal`.
//!
//! In: a logical plan as built. Out: the same plan with casts; every node keeps its
//! output column names (a projection whose expression changed is aliased to its old name).

use std::sync::Arc;

use arrow::datatypes::DataType;

use crate::analyzer::fold::{date_interval, integer_arithmetic};
use crate::cast::cast_scalar;
use crate::error::{PlanError, Result};
use crate::expr::{BinaryOp, Expr};
use crate::logical::{LogicalPlan, LogicalPlanBuilder, Transformed};
use crate::schema::PlanSchema;
use crate::types::{self, SqlType};

/// Coerces every expression in `plan`, bottom-up.
pub fn coerce_plan(plan: Arc<LogicalPlan>) -> Result<Arc<LogicalPlan>> {
    Ok(plan.transform_up(&mut coerce_node)?.data)
}

fn coerce_node(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    node.map_expressions(&mut |e, schema| {
        let new = coerce_expr(e.clone(), schema)?;
        let changed = new != e;
        Ok(Transformed::new(new, changed))
    })?
    .and_then(unify_columns)
}

/// What coercing expressions one at a time cannot do: the two keys of each join
/// equality get one type, and each VALUES cell its column's type.
fn unify_columns(node: Arc<LogicalPlan>) -> Result<Transformed<Arc<LogicalPlan>>> {
    match node.as_ref() {
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
            ..
        } => {
            let (ls, rs) = (left.schema(), right.schema());
            let mut new_on = Vec::with_capacity(on.len());
            for (l, r) in on {
                let (lt, rt) = (l.data_type(&ls)?, r.data_type(&rs)?);
                let t = types::common_type(&lt, &rt).ok_or_else(|| {
                    let (lt, rt) = (SqlType(&lt), SqlType(&rt));
                    PlanError::type_mismatch(format!("cannot join {l} ({lt}) with {r} ({rt})"))
                })?;
                new_on.push((cast_to(l.clone(), &lt, &t), cast_to(r.clone(), &rt, &t)));
            }
            if new_on == *on {
                return Ok(Transformed::no(node));
            }
            let joined = LogicalPlanBuilder::from_arc(left.clone()).join_on(
                right.clone(),
                *kind,
                new_on,
                filter.clone(),
            )?;
            Ok(Transformed::yes(joined.build_arc()))
        }
        LogicalPlan::Values { rows, schema } => {
            let none = PlanSchema::default();
            let mut new_rows = Vec::with_capacity(rows.len());
            for row in rows {
                let mut new_row = Vec::with_capacity(row.len());
                for (cell, field) in row.iter().zip(&schema.fields) {
                    let t = cell.data_type(&none)?;
                    new_row.push(cast_to(cell.clone(), &t, &field.data_type));
                }
                new_rows.push(new_row);
            }
            if new_rows == *rows {
                return Ok(Transformed::no(node));
            }
            Ok(Transformed::yes(Arc::new(LogicalPlan::Values {
                rows: new_rows,
                schema: schema.clone(),
            })))
        }
        _ => Ok(Transformed::no(node)),
    }
}

/// Coerces one expression over `schema`, children first.
pub fn coerce_expr(e: Expr, schema: &PlanSchema) -> Result<Expr> {
    // Whether the whole expression changed is what callers ask, and they compare.
    Ok(
        e.transform_up(&mut |x| coerce_one(x, schema).map(Transformed::yes))?
            .data,
    )
}

/// Coerces the operands of one node whose children are already coerced.
fn coerce_one(e: Expr, schema: &PlanSchema) -> Result<Expr> {
    Ok(match e {
        // A subquery's plan is coerced on its own (its outer columns carry their types).
        Expr::ScalarSubquery(p) => Expr::ScalarSubquery(coerce_plan(p)?),
        Expr::InSubquery {
            expr,
            subquery,
            negated,
        } => Expr::InSubquery {
            expr,
            subquery: coerce_plan(subquery)?,
            negated,
        },
        Expr::Exists { subquery, negated } => Expr::Exists {
            subquery: coerce_plan(subquery)?,
            negated,
        },
        Expr::Binary { left, op, right } => {
            if let (Expr::Literal(a), Expr::Literal(b)) = (left.as_ref(), right.as_ref())
                && let Some(v) = integer_arithmetic(a, op, b)
            {
                return Ok(Expr::Literal(v));
            }
            let (lt, rt) = (left.data_type(schema)?, right.data_type(schema)?);
            let (tl, tr) = match literal_fits(op, &left, &lt, &right, &rt) {
                Some(t) => (t.clone(), t.clone()),
                None => types::coerce_binary_operands(&lt, op, &rt)?,
            };
            let l = cast_to(*left, &lt, &tl);
            let r = cast_to(*right, &rt, &tr);
            if let (Expr::Literal(a), Expr::Literal(b)) = (&l, &r)
                && let Some(v) = date_interval(a, op, b)
            {
                return Ok(Expr::Literal(v));
            }
            Expr::Binary {
                left: Box::new(l),
                op,
                right: Box::new(r),
            }
        }
        Expr::Between {
            expr,
            negated,
            low,
            high,
        } => {
            let parts = [*expr, *low, *high];
            let mut parts = unify(parts.to_vec(), schema, "BETWEEN")?.into_iter();
            let (Some(expr), Some(low), Some(high)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(PlanError::internal("BETWEEN lost an operand"));
            };
            Expr::Between {
                expr: Box::new(expr),
                negated,
                low: Box::new(low),
                high: Box::new(high),
            }
        }
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let mut all = vec![*expr];
            all.extend(list);
            let mut all = unify(all, schema, "IN")?;
            let expr = all.remove(0);
            Expr::InList {
                expr: Box::new(expr),
                list: all,
                negated,
            }
        }
        Expr::Case {
            operand,
            when_then,
            else_expr,
        } => {
            let (whens, thens): (Vec<Expr>, Vec<Expr>) = when_then.into_iter().unzip();
            let (operand, whens) = match operand {
                Some(o) => {
                    let mut all = vec![*o];
                    all.extend(whens);
                    let mut all = unify(all, schema, "CASE")?;
                    let o = all.remove(0);
                    (Some(Box::new(o)), all)
                }
                None => (None, whens),
            };
            let n = thens.len();
            let mut results = thens;
            results.extend(else_expr.map(|e| *e));
            let mut results = unify(results, schema, "CASE")?;
            let else_expr = (results.len() > n).then(|| Box::new(results.remove(n)));
            Expr::Case {
                operand,
                when_then: whens.into_iter().zip(results).collect(),
                else_expr,
            }
        }
        Expr::Function { name, args }
            if matches!(name.as_str(), "coalesce" | "ifnull" | "greatest" | "least") =>
        {
            let what = format!("{name}()");
            Expr::Function {
                args: unify(args, schema, &what)?,
                name,
            }
        }
        Expr::Cast { expr, data_type } => match expr.as_ref() {
            Expr::Literal(v) => match cast_scalar(v, &data_type) {
                Some(v) => Expr::Literal(v),
                None => Expr::Cast { expr, data_type },
            },
            _ => Expr::Cast { expr, data_type },
        },
        other => other,
    })
}

/// For a comparison of an expression with a literal that converts exactly to the
/// expression's type, that type: the literal is cast instead of the column, which keeps
/// the column usable for pruning (`l_quantity < 24` compares with `24.00`).
fn literal_fits<'t>(
    op: BinaryOp,
    left: &Expr,
    lt: &'t DataType,
    right: &Expr,
    rt: &'t DataType,
) -> Option<&'t DataType> {
    if !op.is_comparison() {
        return None;
    }
    match (left, right) {
        (Expr::Literal(_), Expr::Literal(_)) => None,
        (_, Expr::Literal(v)) if *lt != DataType::Null => cast_scalar(v, lt).map(|_| lt),
        (Expr::Literal(v), _) if *rt != DataType::Null => cast_scalar(v, rt).map(|_| rt),
        _ => None,
    }
}

/// Casts every expression to their common type; literals that convert exactly to the
/// common type of the other expressions are converted instead of widening everything.
fn unify(exprs: Vec<Expr>, schema: &PlanSchema, what: &str) -> Result<Vec<Expr>> {
    let types_in = exprs
        .iter()
        .map(|e| e.data_type(schema))
        .collect::<Result<Vec<_>>>()?;
    let common_of = |only_non_literals: bool| -> Result<DataType> {
        let mut common = DataType::Null;
        for (e, t) in exprs.iter().zip(&types_in) {
            if only_non_literals && matches!(e, Expr::Literal(_)) {
                continue;
            }
            common = types::common_type(&common, t).ok_or_else(|| {
                let (common, t) = (SqlType(&common), SqlType(t));
                PlanError::type_mismatch(format!("{what} mixes types {common} and {t}"))
            })?;
        }
        Ok(common)
    };
    let narrow = common_of(true)?;
    let literals_fit = narrow != DataType::Null
        && exprs.iter().all(|e| match e {
            Expr::Literal(v) => cast_scalar(v, &narrow).is_some(),
            _ => true,
        });
    let common = if literals_fit {
        narrow
    } else {
        common_of(false)?
    };
    Ok(exprs
        .into_iter()
        .zip(&types_in)
        .map(|(e, t)| cast_to(e, t, &common))
        .collect())
}

/// `e` (of type `from`) as type `to`: unchanged, a folded literal, or a cast.
fn cast_to(e: Expr, from: &DataType, to: &DataType) -> Expr {
    if from == to || *to == DataType::Null {
        return e;
    }
    if let Expr::Literal(v) = &e
        && let Some(folded) = cast_scalar(v, to)
    {
        return Expr::Literal(folded);
    }
    e.cast(to.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::TestCatalog;

    fn coerced(sql: &str) -> String {
        let plan = TestCatalog::new().plan(sql).unwrap();
        coerce_plan(Arc::new(plan)).unwrap().display_indent()
    }

    #[test]
    fn integer_literal_meets_decimal_column() {
        assert_eq!(
            coerced("select l_orderkey from lineitem where l_quantity < 24"),
            "Projection: lineitem.l_orderkey\n  Filter: lineitem.l_quantity < 24.00\n    Scan: lineitem\n"
        );
        // `10 + 10` folds first, so the column still keeps its type (TPC-H Q19).
        assert_eq!(
            coerced("select 1 from lineitem where l_quantity <= 10 + 10"),
            "Projection: 1 AS 1\n  Filter: lineitem.l_quantity <= 20.00\n    Scan: lineitem\n"
        );
    }

    #[test]
    fn string_literal_meets_date_column_and_date_arithmetic_folds() {
        assert_eq!(
            coerced(
                "select l_orderkey from lineitem where l_shipdate >= '1994-01-01' and l_shipdate < date '1994-01-01' + interval '1' year"
            ),
            "Projection: lineitem.l_orderkey\n  Filter: (lineitem.l_shipdate >= DATE '1994-01-01') AND (lineitem.l_shipdate < DATE '1995-01-01')\n    Scan: lineitem\n"
        );
    }

    #[test]
    fn between_in_case_and_names_are_kept() {
        let text = coerced(
            "select l_discount + 1 as d, case when l_tax > 0 then l_tax else 0 end from lineitem \
             where l_discount between 0.05 and 0.07 and l_linenumber in (1, 2)",
        );
        assert!(
            text.contains("CASE WHEN lineitem.l_tax > 0.00 THEN lineitem.l_tax ELSE 0.00 END AS CASE WHEN l_tax > 0 THEN l_tax ELSE 0 END"),
            "{text}"
        );
        // The decimal column stays; the integer literal becomes DECIMAL(19,0) (printed as 1).
        assert!(text.contains("lineitem.l_discount + 1 AS d"), "{text}");
        assert!(!text.contains("CAST(lineitem.l_discount"), "{text}");
        assert!(
            text.contains("lineitem.l_discount BETWEEN 0.05 AND 0.07"),
            "{text}"
        );
        assert!(text.contains("lineitem.l_linenumber IN (1, 2)"), "{text}");
        let plan = coerce_plan(Arc::new(
            TestCatalog::new()
                .plan("select l_linenumber + 1, l_quantity * 2 as q from lineitem")
                .unwrap(),
        ))
        .unwrap();
        let names: Vec<String> = plan
            .schema()
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(names, ["l_linenumber + 1", "q"]);
    }

    #[test]
    fn literals_take_the_column_type() {
        let plan = coerce_plan(Arc::new(
            TestCatalog::new()
                .plan("select 1 from lineitem where l_linenumber in (1, 2) and l_quantity > 1.5")
                .unwrap(),
        ))
        .unwrap();
        let LogicalPlan::Projection { input, .. } = plan.as_ref() else {
            panic!("{plan}")
        };
        let LogicalPlan::Filter { predicate, .. } = input.as_ref() else {
            panic!("{plan}")
        };
        let [inlist, gt] = predicate.clone().split_conjunction().try_into().unwrap();
        let Expr::InList { list, .. } = inlist else {
            panic!("{inlist}")
        };
        assert_eq!(list[0], Expr::Literal(crate::ScalarValue::Int32(Some(1))));
        let Expr::Binary { right, .. } = gt else {
            panic!("{gt}")
        };
        assert_eq!(
            *right,
            Expr::Literal(crate::ScalarValue::Decimal128(Some(150), 15, 2))
        );
    }

    #[test]
    fn values_cells_take_the_column_type() {
        let plan = TestCatalog::new()
            .plan("values (1, 'a'), (2.5, null)")
            .unwrap();
        let plan = coerce_plan(Arc::new(plan)).unwrap();
        let LogicalPlan::Values { rows, .. } = plan.as_ref() else {
            panic!("{plan}")
        };
        assert_eq!(
            rows[0][0],
            Expr::Literal(crate::ScalarValue::Decimal128(Some(10), 20, 1))
        );
        assert_eq!(rows[1][1], Expr::Literal(crate::ScalarValue::Utf8(None)));
    }

    #[test]
    fn join_keys_get_a_common_type() {
        let text = coerced("select 1 from orders join partsupp on o_shippriority = ps_partkey");
        assert!(
            text.contains("on=[CAST(orders.o_shippriority AS BIGINT) = partsupp.ps_partkey]"),
            "{text}"
        );
    }

    #[test]
    fn tpch_queries_coerce() {
        for q in [
            include_str!("../../../tests/data/tpch/queries/q01.sql"),
            include_str!("../../../tests/data/tpch/queries/q06.sql"),
            include_str!("../../../tests/data/tpch/queries/q14.sql"),
            include_str!("../../../tests/data/tpch/queries/q19.sql"),
        ] {
            let plan = TestCatalog::new().plan(q).unwrap();
            let before = plan.schema();
            let after = coerce_plan(Arc::new(plan)).unwrap();
            assert_eq!(
                before.fields.iter().map(|f| &f.name).collect::<Vec<_>>(),
                after
                    .schema()
                    .fields
                    .iter()
                    .map(|f| &f.name)
                    .collect::<Vec<_>>()
            );
        }
    }
}
