//! Plans of small queries, checked on their EXPLAIN text.

use super::TestCatalog;
use crate::sql::{FileFormat, Statement};

fn explain(sql: &str) -> String {
    match TestCatalog::new().plan(sql) {
        Ok(p) => p.display_indent(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

#[test]
fn filter_project_sort_limit() {
    assert_eq!(
        explain(
            "select n_name, n_regionkey + 1 as r from nation where n_nationkey < 5 order by r desc limit 3 offset 1"
        ),
        "Limit: skip=1, fetch=3\n\
         \x20 Sort: r DESC NULLS FIRST\n\
         \x20   Projection: nation.n_name, nation.n_regionkey + 1 AS r\n\
         \x20     Filter: nation.n_nationkey < 5\n\
         \x20       Scan: nation\n"
    );
}

#[test]
fn order_by_hidden_input_column_and_aggregate() {
    assert_eq!(
        explain("select n_name from nation order by n_regionkey"),
        "Projection: nation.n_name\n\
         \x20 Sort: __sort_0 ASC NULLS LAST\n\
         \x20   Projection: nation.n_name, nation.n_regionkey AS __sort_0\n\
         \x20     Scan: nation\n"
    );
    assert_eq!(
        explain("select n_regionkey from nation group by 1 order by count(*) desc"),
        "Projection: nation.n_regionkey\n\
         \x20 Sort: __sort_0 DESC NULLS FIRST\n\
         \x20   Projection: nation.n_regionkey, count(*) AS __sort_0\n\
         \x20     Aggregate: groupBy=[nation.n_regionkey], aggr=[count(*) AS count(*)]\n\
         \x20       Scan: nation\n"
    );
}

#[test]
fn unaliased_expressions_are_named_as_written() {
    let plan = TestCatalog::new()
        .plan("select sum(l_quantity), count(distinct l_orderkey), extract(year from l_shipdate) from lineitem group by extract(year from l_shipdate)")
        .unwrap();
    let names: Vec<String> = plan
        .schema()
        .fields
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "sum(l_quantity)",
            "count(DISTINCT l_orderkey)",
            "EXTRACT(YEAR FROM l_shipdate)"
        ]
    );
}

#[test]
fn joins_with_aliases_using_and_on() {
    assert_eq!(
        explain(
            "select o.o_orderkey, c_name from orders o join customer c on c.c_custkey = o.o_custkey and o.o_totalprice > 10"
        ),
        "Projection: o.o_orderkey, c.c_name\n\
         \x20 Inner Join: on=[o.o_custkey = c.c_custkey] filter=o.o_totalprice > 10\n\
         \x20   SubqueryAlias: o\n\
         \x20     Scan: orders\n\
         \x20   SubqueryAlias: c\n\
         \x20     Scan: customer\n"
    );
    let text = explain(
        "select n_nationkey, a.n_name from nation a left join (select n_nationkey, n_name as other from nation) b using (n_nationkey)",
    );
    assert!(
        text.starts_with(
            "Projection: a.n_nationkey, a.n_name\n  Left Join: on=[a.n_nationkey = b.n_nationkey]"
        ),
        "{text}"
    );
}

#[test]
fn ctes_views_union_values_and_files() {
    let text = explain("with t as (select n_name from nation) select * from t union select 'x'");
    assert!(text.starts_with("Distinct\n  Union: 2 inputs\n"), "{text}");
    assert!(text.contains("SubqueryAlias: t"), "{text}");
    let text = explain("select * from big_orders where o_orderkey = 1");
    assert!(
        text.contains("Filter: big_orders.o_orderkey = 1\n    SubqueryAlias: big_orders"),
        "{text}"
    );
    assert_eq!(
        explain("select column1 from (values (1, 'a'), (2, 'b')) v"),
        "Projection: v.column1\n  SubqueryAlias: v\n    Values: 2 rows\n"
    );
    assert_eq!(
        explain("select n_name from read_parquet('data/nation.parquet')"),
        "Projection: nation.n_name\n  Scan: nation\n"
    );
    assert_eq!(
        explain("select 1 + 2 as three"),
        "Projection: 1 + 2 AS three\n  Empty: one_row=true\n"
    );
}

#[test]
fn literals_and_casts() {
    let text = explain(
        "select cast(l_quantity as bigint), l_tax::double, 0.05, date '1994-01-01' + interval '1' year, \
         substring(l_comment from 2 for 3), l_comment like 'a%', case when l_tax > 0 then 1 else 0 end \
         from lineitem where l_shipmode in ('MAIL', 'SHIP') and l_discount between 0.05 - 0.01 and 0.07",
    );
    assert!(
        text.contains("CAST(lineitem.l_quantity AS BIGINT)"),
        "{text}"
    );
    assert!(text.contains("CAST(lineitem.l_tax AS DOUBLE)"), "{text}");
    assert!(text.contains("0.05 AS 0.05"), "{text}");
    assert!(
        text.contains("DATE '1994-01-01' + INTERVAL '12 months 0 days 0 nanoseconds'"),
        "{text}"
    );
    assert!(
        text.contains("substring(lineitem.l_comment, 2, 3)"),
        "{text}"
    );
    assert!(
        text.contains("lineitem.l_shipmode IN ('MAIL', 'SHIP')"),
        "{text}"
    );
}

#[test]
fn statements() {
    let c = TestCatalog::new();
    match c.statement("create external table t stored as csv location '/tmp/t.csv' options ('header' 'true', 'delimiter' ',');").unwrap() {
        Statement::CreateExternalTable { name, location, format, options, if_not_exists, or_replace } => {
            assert_eq!(name, "t");
            assert_eq!(location, "/tmp/t.csv");
            assert_eq!(format, FileFormat::Csv);
            assert_eq!(options, [("header".to_string(), "true".to_string()), ("delimiter".to_string(), ",".to_string())]);
            assert!(!if_not_exists && !or_replace);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        c.statement(
            "CREATE OR REPLACE EXTERNAL TABLE IF NOT EXISTS p STORED AS PARQUET LOCATION 'x/'"
        )
        .unwrap(),
        Statement::CreateExternalTable {
            format: FileFormat::Parquet,
            if_not_exists: true,
            or_replace: true,
            ..
        }
    ));
    assert!(
        matches!(c.statement("cache table lineitem").unwrap(), Statement::CacheTable { name } if name == "lineitem")
    );
    assert!(
        matches!(c.statement("UNCACHE TABLE lineitem;").unwrap(), Statement::UncacheTable { name } if name == "lineitem")
    );
    assert!(
        matches!(c.statement("create view v as select 1").unwrap(), Statement::CreateView { name, or_replace: false, .. } if name == "v")
    );
    assert!(
        matches!(c.statement("drop view if exists v").unwrap(), Statement::DropView { name, if_exists: true } if name == "v")
    );
    assert!(
        matches!(c.statement("drop table t").unwrap(), Statement::DropTable { name, if_exists: false } if name == "t")
    );
    assert!(
        matches!(c.statement("set ember.partitions = 8").unwrap(), Statement::Set { key, value } if key == "ember.partitions" && value == "8")
    );
    assert!(
        matches!(c.statement("set x = 'abc'").unwrap(), Statement::Set { key, value } if key == "x" && value == "abc")
    );
    assert!(matches!(
        c.statement("show tables").unwrap(),
        Statement::ShowTables
    ));
    assert!(
        matches!(c.statement("show columns from nation").unwrap(), Statement::ShowColumns { table } if table == "nation")
    );
    assert!(
        matches!(c.statement("describe nation").unwrap(), Statement::ShowColumns { table } if table == "nation")
    );
    match c.statement("describe select n_name, 1 as one from nation") {
        Ok(Statement::DescribeQuery { plan }) => {
            let names: Vec<String> = plan
                .schema()
                .fields
                .iter()
                .map(|f| f.name.clone())
                .collect();
            assert_eq!(names, ["n_name", "one"]);
        }
        other => panic!("DESCRIBE of a query describes its columns: {other:?}"),
    }
    assert!(matches!(
        c.statement("explain analyze select 1").unwrap(),
        Statement::Explain {
            analyze: true,
            verbose: false,
            ..
        }
    ));
    assert!(matches!(
        c.statement("explain verbose select 1").unwrap(),
        Statement::Explain {
            analyze: false,
            verbose: true,
            ..
        }
    ));
}

#[test]
fn having_and_order_by_may_use_select_aliases() {
    assert_eq!(
        explain(
            "select n_regionkey as r, count(*) as cnt from nation group by r having cnt > 1 order by cnt * 2"
        ),
        "Projection: r, cnt\n\
         \x20 Sort: __sort_0 ASC NULLS LAST\n\
         \x20   Projection: nation.n_regionkey AS r, count(*) AS cnt, count(*) * 2 AS __sort_0\n\
         \x20     Filter: count(*) > 1\n\
         \x20       Aggregate: groupBy=[nation.n_regionkey], aggr=[count(*) AS count(*)]\n\
         \x20         Scan: nation\n"
    );
}
