-- Orders of 1996 in quartiles of price per priority, by quarter.
SELECT o_orderpriority, extract(quarter FROM o_orderdate) AS q, bucket, count(*) AS n,
       min(o_totalprice) AS lo, max(o_totalprice) AS hi
FROM (
    SELECT o_orderpriority, o_orderdate, o_totalprice,
           ntile(4) OVER (PARTITION BY o_orderpriority ORDER BY o_totalprice, o_orderkey) AS bucket
    FROM orders
    WHERE o_orderdate >= DATE '1996-01-01' AND o_orderdate < DATE '1997-01-01'
) x
GROUP BY o_orderpriority, extract(quarter FROM o_orderdate), bucket
ORDER BY o_orderpriority, q, bucket;
