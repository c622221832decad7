-- Monthly revenue with a three-month moving average and month-over-month change.
WITH monthly AS (
    SELECT CAST(date_trunc('month', l_shipdate) AS DATE) AS month,
           sum(l_extendedprice * (1 - l_discount)) AS revenue
    FROM lineitem
    GROUP BY CAST(date_trunc('month', l_shipdate) AS DATE)
)
SELECT month, revenue,
       avg(revenue) OVER (ORDER BY month ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS avg3,
       revenue - lag(revenue, 1, 0) OVER (ORDER BY month) AS change
FROM monthly
ORDER BY month;
