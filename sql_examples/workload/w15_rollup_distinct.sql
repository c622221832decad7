-- Distinct customers and average quantity per region and nation, with subtotals (ROLLUP with a DISTINCT aggregate, which cannot be pre-aggregated).
SELECT r_name, n_name, count(DISTINCT o_custkey) AS customers, avg(l_quantity) AS avg_qty
FROM lineitem
JOIN orders ON l_orderkey = o_orderkey
JOIN customer ON o_custkey = c_custkey
JOIN nation ON c_nationkey = n_nationkey
JOIN region ON n_regionkey = r_regionkey
WHERE o_orderdate >= DATE '1997-01-01'
GROUP BY ROLLUP (r_name, n_name)
ORDER BY r_name NULLS LAST, n_name NULLS LAST;
