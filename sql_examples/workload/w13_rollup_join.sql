-- Revenue by nation and order year, with a subtotal per nation and a grand total (ROLLUP over a four-table join).
SELECT n_name, extract(year FROM o_orderdate) AS o_year,
       sum(l_extendedprice * (1 - l_discount)) AS revenue, count(*) AS lines
FROM lineitem
JOIN orders ON l_orderkey = o_orderkey
JOIN customer ON o_custkey = c_custkey
JOIN nation ON c_nationkey = n_nationkey
GROUP BY ROLLUP (n_name, o_year)
ORDER BY n_name NULLS LAST, o_year NULLS LAST;
