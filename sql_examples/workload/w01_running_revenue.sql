-- Running revenue per customer, with rank and the gap to the previous order.
SELECT o_custkey, o_orderkey, o_orderdate, o_totalprice,
       sum(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS running,
       rank() OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC) AS price_rank,
       o_orderdate - lag(o_orderdate) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS days_since
FROM orders
WHERE o_custkey < 200
ORDER BY o_custkey, o_orderdate, o_orderkey;
