-- The three best customers of each nation by account balance (QUALIFY).
SELECT n_name, c_name, c_acctbal,
       row_number() OVER (PARTITION BY n_name ORDER BY c_acctbal DESC, c_custkey) AS pos
FROM customer JOIN nation ON c_nationkey = n_nationkey
QUALIFY pos <= 3
ORDER BY n_name, pos;
