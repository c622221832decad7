-- Analytical SQL over TPC-H (run with --tpch 0.1): window functions, ROLLUP,
-- INTERSECT and a recursive CTE.

-- Each customer's three largest orders, with a running total and the gap to the next one.
SELECT o_custkey, o_orderkey, o_totalprice,
       rank() OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC) AS r,
       sum(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running,
       o_totalprice - lead(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC) AS gap
FROM orders
WHERE o_custkey < 20
QUALIFY r <= 3
ORDER BY o_custkey, r;

-- Revenue by return flag and line status, with subtotals and a grand total.
SELECT l_returnflag, l_linestatus, sum(l_extendedprice) AS revenue,
       GROUPING(l_returnflag, l_linestatus) AS level
FROM lineitem
GROUP BY ROLLUP (l_returnflag, l_linestatus)
ORDER BY level, l_returnflag, l_linestatus;

-- Nations with both suppliers and customers in the machinery segment.
SELECT s_nationkey FROM supplier
INTERSECT
SELECT c_nationkey FROM customer WHERE c_mktsegment = 'MACHINERY'
ORDER BY 1 LIMIT 5;

-- Order dates of the first week of 1995, one row per day.
WITH RECURSIVE days(d) AS (
    SELECT DATE '1995-01-01'
    UNION ALL
    SELECT d + INTERVAL '1' DAY FROM days WHERE d < DATE '1995-01-07'
)
SELECT d, (SELECT count(*) FROM orders WHERE o_orderdate = d) AS orders FROM days ORDER BY d;
