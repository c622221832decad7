-- Text functions over customers: phone prefixes, name pieces and padded balances.
SELECT substring(c_phone, 1, 2) AS prefix,
       count(*) AS n,
       min(upper(c_name)) AS first_name,
       max(length(c_address)) AS longest_address,
       min(lpad(cast(c_custkey AS VARCHAR), 8, '0')) AS first_key,
       sum(CASE WHEN starts_with(c_mktsegment, 'AUTO') THEN 1 ELSE 0 END) AS auto,
       min(split_part(c_name, '#', 2)) AS min_suffix,
       max(replace(c_mktsegment, 'HOLD', 'H')) AS seg
FROM customer
GROUP BY substring(c_phone, 1, 2)
ORDER BY prefix;
