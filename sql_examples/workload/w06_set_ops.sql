-- Parts supplied from both FRANCE and GERMANY, and parts supplied from FRANCE only.
WITH fr AS (
    SELECT ps_partkey FROM partsupp JOIN supplier ON ps_suppkey = s_suppkey
    JOIN nation ON s_nationkey = n_nationkey WHERE n_name = 'FRANCE'
), de AS (
    SELECT ps_partkey FROM partsupp JOIN supplier ON ps_suppkey = s_suppkey
    JOIN nation ON s_nationkey = n_nationkey WHERE n_name = 'GERMANY'
)
SELECT 'both' AS kind, count(*) AS parts FROM (SELECT ps_partkey FROM fr INTERSECT SELECT ps_partkey FROM de) b
UNION ALL
SELECT 'france only', count(*) FROM (SELECT ps_partkey FROM fr EXCEPT SELECT ps_partkey FROM de) f
UNION ALL
SELECT 'either', count(*) FROM (SELECT ps_partkey FROM fr UNION SELECT ps_partkey FROM de) e
ORDER BY kind;
