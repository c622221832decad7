-- Registering CSV files and querying them with joins:
--   cargo run --release -- -f sql_examples/csv_files.sql
CREATE EXTERNAL TABLE emp STORED AS CSV LOCATION 'tests/data/employees.csv' OPTIONS ('header' 'true');
CREATE EXTERNAL TABLE dept STORED AS CSV LOCATION 'tests/data/depts.csv' OPTIONS ('header' 'true', 'delimiter' ';');
SELECT d.title, count(*) AS people, avg(e.salary) AS avg_salary
FROM emp e JOIN dept d ON e.dept = d.dept
GROUP BY d.title
ORDER BY d.title;
