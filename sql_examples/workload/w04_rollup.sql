-- Quantity by return flag and line status with subtotals and a grand total.
SELECT l_returnflag, l_linestatus, grouping(l_returnflag, l_linestatus) AS g,
       sum(l_quantity) AS qty, count(*) AS n
FROM lineitem
GROUP BY ROLLUP (l_returnflag, l_linestatus)
ORDER BY g, l_returnflag, l_linestatus;
