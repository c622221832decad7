-- Days of January 1995 with the orders placed on each (recursive calendar, left join).
WITH RECURSIVE days(d) AS (
    SELECT DATE '1995-01-01'
    UNION ALL
    SELECT d + 1 FROM days WHERE d < DATE '1995-01-31'
)
SELECT d, extract(dow FROM d) AS dow, count(o_orderkey) AS orders
FROM days LEFT JOIN orders ON o_orderdate = d
GROUP BY d
ORDER BY d;
