-- Nations of each region as one list.
SELECT r_name, string_agg(n_name, ', ' ORDER BY n_name) AS nations, count(*) AS n
FROM region JOIN nation ON n_regionkey = r_regionkey
GROUP BY r_name
ORDER BY r_name;
