-- Revenue per region and year from the built-in TPC-H data:
--   cargo run --release -- --tpch 0.1 -f sql_examples/revenue_by_region.sql
SELECT
    r_name,
    extract(year FROM o_orderdate) AS year,
    sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM lineitem, orders, customer, nation, region
WHERE l_orderkey = o_orderkey
  AND o_custkey = c_custkey
  AND c_nationkey = n_nationkey
  AND n_regionkey = r_regionkey
GROUP BY r_name, extract(year FROM o_orderdate)
ORDER BY r_name, year;
