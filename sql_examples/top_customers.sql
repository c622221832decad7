-- The ten customers with the most order value, with their nation:
--   cargo run --release -- --tpch 0.1 -f sql_examples/top_customers.sql
SELECT c_name, n_name, count(*) AS orders, sum(o_totalprice) AS total
FROM customer
JOIN orders ON o_custkey = c_custkey
JOIN nation ON c_nationkey = n_nationkey
GROUP BY c_name, n_name
ORDER BY total DESC
LIMIT 10;
