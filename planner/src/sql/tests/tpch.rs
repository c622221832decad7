//! Every TPC-H query plans (subqueries included) and coerces.

use super::TestCatalog;

pub(crate) const QUERIES: [(&str, &str); 22] = [
    (
        "q01",
        include_str!("../../../../tests/data/tpch/queries/q01.sql"),
    ),
    (
        "q02",
        include_str!("../../../../tests/data/tpch/queries/q02.sql"),
    ),
    (
        "q03",
        include_str!("../../../../tests/data/tpch/queries/q03.sql"),
    ),
    (
        "q04",
        include_str!("../../../../tests/data/tpch/queries/q04.sql"),
    ),
    (
        "q05",
        include_str!("../../../../tests/data/tpch/queries/q05.sql"),
    ),
    (
        "q06",
        include_str!("../../../../tests/data/tpch/queries/q06.sql"),
    ),
    (
        "q07",
        include_str!("../../../../tests/data/tpch/queries/q07.sql"),
    ),
    (
        "q08",
        include_str!("../../../../tests/data/tpch/queries/q08.sql"),
    ),
    (
        "q09",
        include_str!("../../../../tests/data/tpch/queries/q09.sql"),
    ),
    (
        "q10",
        include_str!("../../../../tests/data/tpch/queries/q10.sql"),
    ),
    (
        "q11",
        include_str!("../../../../tests/data/tpch/queries/q11.sql"),
    ),
    (
        "q12",
        include_str!("../../../../tests/data/tpch/queries/q12.sql"),
    ),
    (
        "q13",
        include_str!("../../../../tests/data/tpch/queries/q13.sql"),
    ),
    (
        "q14",
        include_str!("../../../../tests/data/tpch/queries/q14.sql"),
    ),
    (
        "q15",
        include_str!("../../../../tests/data/tpch/queries/q15.sql"),
    ),
    (
        "q16",
        include_str!("../../../../tests/data/tpch/queries/q16.sql"),
    ),
    (
        "q17",
        include_str!("../../../../tests/data/tpch/queries/q17.sql"),
    ),
    (
        "q18",
        include_str!("../../../../tests/data/tpch/queries/q18.sql"),
    ),
    (
        "q19",
        include_str!("../../../../tests/data/tpch/queries/q19.sql"),
    ),
    (
        "q20",
        include_str!("../../../../tests/data/tpch/queries/q20.sql"),
    ),
    (
        "q21",
        include_str!("../../../../tests/data/tpch/queries/q21.sql"),
    ),
    (
        "q22",
        include_str!("../../../../tests/data/tpch/queries/q22.sql"),
    ),
];

#[test]
fn all_queries_plan_and_coerce_keeping_names() {
    let catalog = TestCatalog::new();
    for (name, sql) in QUERIES {
        let plan = catalog
            .plan(sql)
            .unwrap_or_else(|e| panic!("{name} failed to plan: {e}"));
        let names: Vec<String> = plan
            .schema()
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        let coerced = crate::analyzer::coerce_plan(std::sync::Arc::new(plan))
            .unwrap_or_else(|e| panic!("{name} failed to coerce: {e}"));
        let after: Vec<String> = coerced
            .schema()
            .fields
            .iter()
            .map(|f| f.name.clone())
            .collect();
        assert_eq!(names, after, "{name}: coercion renamed columns");
    }
}

#[test]
fn correlated_names_resolve_to_outer_columns() {
    // Q17: p_partkey is not in the subquery's FROM, so it is the outer query's column.
    let text = TestCatalog::new()
        .plan(QUERIES[16].1)
        .unwrap()
        .display_indent();
    assert!(
        text.contains("Filter: lineitem.l_partkey = outer(part.p_partkey)"),
        "{text}"
    );
    assert!(text.contains("Subquery:"), "{text}");
}

#[test]
fn q01_output_names_and_shape() {
    let plan = TestCatalog::new().plan(QUERIES[0].1).unwrap();
    let names: Vec<String> = plan
        .schema()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "l_returnflag",
            "l_linestatus",
            "sum_qty",
            "sum_base_price",
            "sum_disc_price",
            "sum_charge",
            "avg_qty",
            "avg_price",
            "avg_disc",
            "count_order"
        ]
    );
    let text = plan.display_indent();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(
        lines[0].starts_with("Sort: lineitem.l_returnflag ASC NULLS LAST"),
        "{text}"
    );
    assert!(lines[1].starts_with("Projection: lineitem.l_returnflag, lineitem.l_linestatus, sum(lineitem.l_quantity) AS sum_qty"), "{text}");
    assert!(
        lines[2].starts_with("Aggregate: groupBy=[lineitem.l_returnflag, lineitem.l_linestatus]"),
        "{text}"
    );
    assert_eq!(
        lines[3],
        "Filter: lineitem.l_shipdate <= (DATE '1998-12-01' - INTERVAL '0 months 90 days 0 nanoseconds')"
    );
    assert_eq!(lines[4], "Scan: lineitem");
}

#[test]
fn q07_groups_by_derived_table_columns() {
    let plan = TestCatalog::new().plan(QUERIES[6].1).unwrap();
    let text = plan.display_indent();
    assert!(text.contains("SubqueryAlias: shipping"), "{text}");
    assert!(
        text.contains("date_part('year', lineitem.l_shipdate) AS l_year"),
        "{text}"
    );
    assert!(
        text.contains(
            "Aggregate: groupBy=[shipping.supp_nation, shipping.cust_nation, shipping.l_year]"
        ),
        "{text}"
    );
}
