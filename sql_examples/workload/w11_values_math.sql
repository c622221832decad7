-- A hand-written discount table joined to line items, with math functions.
SELECT t.band, count(*) AS n,
       round(avg(l_extendedprice), 2) AS avg_price,
       max(abs(l_discount - t.center)) AS max_dev,
       round(sqrt(sum(l_quantity)), 3) AS sqrt_qty,
       greatest(min(l_tax), 0.01) AS min_tax
FROM lineitem
JOIN (VALUES ('low', 0.00, 0.03, 0.015), ('mid', 0.04, 0.07, 0.055), ('high', 0.08, 0.10, 0.09))
     AS t(band, lo, hi, center)
  ON l_discount BETWEEN t.lo AND t.hi
GROUP BY t.band
ORDER BY t.band;
