-- Quantity, price range and order count for every combination of ship mode, order priority and return flag (CUBE over a join).
SELECT l_shipmode, o_orderpriority, l_returnflag,
       sum(l_quantity) AS qty, min(l_extendedprice) AS lo, max(l_extendedprice) AS hi, count(*) AS n
FROM lineitem
JOIN orders ON l_orderkey = o_orderkey
WHERE l_shipdate >= DATE '1995-01-01'
GROUP BY CUBE (l_shipmode, o_orderpriority, l_returnflag)
ORDER BY l_shipmode NULLS LAST, o_orderpriority NULLS LAST, l_returnflag NULLS LAST;
