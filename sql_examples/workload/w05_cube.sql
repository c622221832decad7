-- Order counts by priority and status, every combination of subtotals.
SELECT o_orderpriority, o_orderstatus, count(*) AS n, sum(o_totalprice) AS total
FROM orders
GROUP BY CUBE (o_orderpriority, o_orderstatus)
ORDER BY o_orderpriority NULLS LAST, o_orderstatus NULLS LAST;
