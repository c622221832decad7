-- Spread of prices per ship mode: deviation, variance, median, 90th percentile.
SELECT l_shipmode,
       round(stddev_samp(l_extendedprice), 4) AS sd,
       round(var_pop(l_quantity), 4) AS var_q,
       median(l_quantity) AS med_q,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY l_discount) AS p90_discount,
       count(*) FILTER (WHERE l_returnflag = 'R') AS returned,
       bool_or(l_quantity > 49) AS any_large
FROM lineitem
GROUP BY l_shipmode
ORDER BY l_shipmode;
