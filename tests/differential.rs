//! Differential test: random queries over random tables whose columns share names, run
//! on Ember and on SQLite, compared as multisets of rows with their column names.
//!
//! The queries join two or three tables (each may appear twice under other aliases)
//! with every join kind and ON, USING or NATURAL conditions, select `*`, repeated
//! column names or expressions, and wrap the result in derived tables, CTEs with column
//! lists, aggregates and set operations. Values are small integers with NULLs, and some
//! tables are empty. Each query runs under one optimizer setting, cycling through the
//! default, the optimizer off and each batch of rules switched off.
//!
//! `EMBER_DIFF_QUERIES=n` runs n queries instead of the default; `EMBER_DIFF_SEED=s`
//! starts from another seed. A mismatch prints the query, the setting and both answers.

use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember::SessionContext;
use rusqlite::Connection;
use rusqlite::types::ValueRef;

/// splitmix64: small, seedable, good enough to pick query shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The tables: names and columns chosen so that joins meet repeated names.
const TABLES: &[(&str, &[&str])] = &[
    ("t1", &["a", "b", "k"]),
    ("t2", &["k", "b", "c"]),
    ("t3", &["a", "k", "d"]),
];

fn make_tables(rng: &mut Rng, ember: &SessionContext, sqlite: &Connection) {
    for (name, cols) in TABLES {
        let rows = if rng.chance(10) { 0 } else { 1 + rng.below(6) };
        let mut columns: Vec<Vec<Option<i64>>> = vec![Vec::new(); cols.len()];
        for _ in 0..rows {
            for c in columns.iter_mut() {
                c.push(if rng.chance(20) {
                    None
                } else {
                    Some(rng.below(6) as i64 - 2)
                });
            }
        }
        let schema = Arc::new(Schema::new(
            cols.iter()
                .map(|c| Field::new(*c, DataType::Int64, true))
                .collect::<Vec<_>>(),
        ));
        let arrays: Vec<Arc<dyn Array>> = columns
            .iter()
            .map(|c| Arc::new(Int64Array::from(c.clone())) as Arc<dyn Array>)
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).expect("valid batch");
        ember
            .register_batches(name, schema, vec![vec![batch]])
            .expect("register table");
        sqlite
            .execute_batch(&format!(
                "DROP TABLE IF EXISTS {name}; CREATE TABLE {name} ({});",
                cols.iter()
                    .map(|c| format!("{c} INTEGER"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .expect("sqlite table");
        for r in 0..rows {
            let values: Vec<String> = columns
                .iter()
                .map(|c| match c[r] {
                    Some(v) => v.to_string(),
                    None => "NULL".to_string(),
                })
                .collect();
            sqlite
                .execute(
                    &format!("INSERT INTO {name} VALUES ({})", values.join(", ")),
                    [],
                )
                .expect("sqlite insert");
        }
    }
}

/// A FROM clause being built: its SQL, its qualified columns, the names `*` shows
/// (in order) and the names merged by USING with the columns each merge covers.
struct From {
    sql: String,
    columns: Vec<(String, String)>,
    star: Vec<String>,
    merged: Vec<(String, Vec<(String, String)>)>,
}

impl From {
    /// Names an unqualified reference can use without ambiguity: a merged name whose
    /// merge covers every column of that name, or a name only one column has.
    fn unqualified(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (n, covers) in &self.merged {
            if self
                .columns
                .iter()
                .filter(|(_, m)| m == n)
                .all(|c| covers.contains(c))
            {
                out.push(n.clone());
            }
        }
        for (_, n) in &self.columns {
            if self.merged.iter().any(|(m, _)| m == n) {
                continue;
            }
            let count = self.columns.iter().filter(|(_, m)| m == n).count();
            if count == 1 && !out.contains(n) {
                out.push(n.clone());
            }
        }
        out
    }

    fn column_ref(&self, rng: &mut Rng) -> String {
        let plain = self.unqualified();
        if !plain.is_empty() && rng.chance(25) {
            return rng.pick(&plain).clone();
        }
        let (q, n) = rng.pick(&self.columns);
        format!("{q}.{n}")
    }
}

fn base_table(rng: &mut Rng, alias: &str) -> From {
    let (name, cols) = rng.pick(TABLES);
    From {
        sql: format!("{name} AS {alias}"),
        columns: cols
            .iter()
            .map(|c| (alias.to_string(), c.to_string()))
            .collect(),
        star: cols.iter().map(|c| c.to_string()).collect(),
        merged: vec![],
    }
}

fn gen_from(rng: &mut Rng) -> From {
    let tables = 1 + rng.below(3);
    let mut from = base_table(rng, "x1");
    for i in 2..=tables {
        let right = base_table(rng, &format!("x{i}"));
        let kind = *rng.pick(&["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN"]);
        if kind == "CROSS JOIN" {
            // Not a comma: `a, b JOIN c ON a.x = c.y` may not see `a` in its ON clause.
            from = From {
                sql: format!("{} CROSS JOIN {}", from.sql, right.sql),
                star: [from.star, right.star].concat(),
                columns: [from.columns, right.columns].concat(),
                merged: from.merged,
            };
            continue;
        }
        // Names both sides can join on: merged or unique on the left, present on the right.
        let left_names = from.unqualified();
        let common: Vec<String> = right
            .star
            .iter()
            .filter(|n| left_names.contains(n))
            .cloned()
            .collect();
        let star_unique = |f: &From, n: &String| f.star.iter().filter(|m| *m == n).count() == 1;
        let natural_ok = !common.is_empty()
            && from
                .star
                .iter()
                .filter(|n| right.star.contains(n))
                .all(|n| common.contains(n) && star_unique(&from, n));
        let choice = rng.below(10);
        let (sql, using): (String, Option<Vec<String>>) = if choice < 3 && !common.is_empty() {
            let mut cols = vec![rng.pick(&common).clone()];
            if common.len() > 1 && rng.chance(30) {
                let other = rng.pick(&common).clone();
                if !cols.contains(&other) {
                    cols.push(other);
                }
            }
            (
                format!(
                    "{} {kind} {} USING ({})",
                    from.sql,
                    right.sql,
                    cols.join(", ")
                ),
                Some(cols),
            )
        } else if choice < 4 && natural_ok {
            let cols: Vec<String> = from
                .star
                .iter()
                .filter(|n| right.star.contains(n))
                .cloned()
                .collect();
            (
                format!("{} NATURAL {kind} {}", from.sql, right.sql),
                Some(cols),
            )
        } else {
            let (lq, ln) = rng.pick(&from.columns).clone();
            let (rq, rn) = rng.pick(&right.columns).clone();
            let op = *rng.pick(&["=", "=", "=", "<", "<>"]);
            let mut cond = format!("{lq}.{ln} {op} {rq}.{rn}");
            if rng.chance(30) {
                let (q2, n2) = rng.pick(&right.columns).clone();
                cond = format!("{cond} AND {q2}.{n2} > {}", rng.below(4) as i64 - 2);
            }
            (format!("{} {kind} {} ON {cond}", from.sql, right.sql), None)
        };
        from = match using {
            Some(cols) => {
                let mut star = cols.clone();
                star.extend(from.star.iter().filter(|n| !cols.contains(n)).cloned());
                star.extend(right.star.iter().filter(|n| !cols.contains(n)).cloned());
                let new: Vec<(String, Vec<(String, String)>)> = cols
                    .iter()
                    .map(|c| {
                        let mut covers: Vec<(String, String)> =
                            match from.merged.iter().find(|(m, _)| m == c) {
                                Some((_, cv)) => cv.clone(),
                                None => from
                                    .columns
                                    .iter()
                                    .filter(|(_, n)| n == c)
                                    .cloned()
                                    .collect(),
                            };
                        covers.extend(right.columns.iter().filter(|(_, n)| n == c).cloned());
                        (c.clone(), covers)
                    })
                    .collect();
                let mut merged: Vec<(String, Vec<(String, String)>)> = from
                    .merged
                    .into_iter()
                    .filter(|(m, _)| !cols.contains(m))
                    .collect();
                merged.extend(new);
                From {
                    sql,
                    star,
                    columns: [from.columns, right.columns].concat(),
                    merged,
                }
            }
            None => From {
                sql,
                star: [from.star, right.star].concat(),
                columns: [from.columns, right.columns].concat(),
                merged: from.merged,
            },
        };
    }
    from
}

fn predicate(rng: &mut Rng, from: &From) -> String {
    match rng.below(4) {
        0 => format!("{} IS NULL", from.column_ref(rng)),
        1 => format!("{} = {}", from.column_ref(rng), from.column_ref(rng)),
        2 => format!(
            "({} > {} OR {} IS NULL)",
            from.column_ref(rng),
            rng.below(4) as i64 - 2,
            from.column_ref(rng)
        ),
        _ => format!("{} >= {}", from.column_ref(rng), rng.below(4) as i64 - 2),
    }
}

/// One SELECT over joined tables.
fn gen_select(rng: &mut Rng) -> String {
    let from = gen_from(rng);
    let items = if rng.chance(40) {
        "*".to_string()
    } else {
        let n = 1 + rng.below(4);
        (0..n)
            .map(|i| {
                if rng.chance(25) {
                    format!(
                        "{} + {} AS e{i}",
                        from.column_ref(rng),
                        from.column_ref(rng)
                    )
                } else {
                    from.column_ref(rng)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sql = format!("SELECT {items} FROM {}", from.sql);
    if rng.chance(40) {
        sql = format!("{sql} WHERE {}", predicate(rng, &from));
    }
    sql
}

/// Wraps `inner` (of `arity` columns) in a query that reads it by position.
fn gen_query(rng: &mut Rng, sqlite: &Connection, depth: usize) -> Option<String> {
    let inner = if depth > 0 && rng.chance(40) {
        gen_query(rng, sqlite, depth - 1)?
    } else {
        gen_select(rng)
    };
    let arity = sqlite.prepare(&inner).ok()?.column_count();
    let cols: Vec<String> = (1..=arity).map(|i| format!("c{i}")).collect();
    let c = |rng: &mut Rng| rng.pick(&cols).clone();
    // SQLite orders a USING join's `*` differently from PostgreSQL, so over such a
    // join only shapes that do not read columns by position are compared.
    let order_free = order_free(&inner);
    let shape = if order_free {
        *rng.pick(&[0, 1, 5, 6])
    } else {
        rng.below(7)
    };
    Some(match shape {
        0 => inner,
        1 => format!("SELECT * FROM ({inner}) AS s"),
        2 => {
            let mut sql = format!(
                "WITH s({}) AS ({inner}) SELECT {}, {} + {} AS e FROM s",
                cols.join(", "),
                c(rng),
                c(rng),
                c(rng)
            );
            if rng.chance(50) {
                sql = format!("{sql} WHERE {} > {}", c(rng), rng.below(4) as i64 - 2);
            }
            sql
        }
        3 => {
            let g = c(rng);
            format!(
                "WITH s({}) AS ({inner}) SELECT {g}, count(*) AS n, sum({}) AS total, max({}) AS top FROM s GROUP BY {g}",
                cols.join(", "),
                c(rng),
                c(rng)
            )
        }
        4 => {
            let other = gen_select(rng);
            let other_arity = sqlite.prepare(&other).ok()?.column_count();
            if other_arity != arity || other.contains(" USING ") || other.contains(" NATURAL ") {
                format!("SELECT * FROM ({inner}) AS s UNION ALL SELECT * FROM ({inner}) AS s2")
            } else {
                let op = *rng.pick(&["UNION ALL", "UNION", "EXCEPT", "INTERSECT"]);
                format!("SELECT * FROM ({inner}) AS s {op} SELECT * FROM ({other}) AS s2")
            }
        }
        5 => {
            let right = gen_select(rng);
            format!("SELECT * FROM ({inner}) AS p CROSS JOIN ({right}) AS q")
        }
        _ => {
            // USING over a derived table whose `*` has one `k`.
            let names: Vec<String> = {
                let stmt = sqlite.prepare(&inner).ok()?;
                stmt.column_names()
                    .map(|n| sqlite_name(n).to_string())
                    .collect()
            };
            if names.iter().filter(|n| *n == "k").count() == 1 {
                let kind = *rng.pick(&["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"]);
                format!("SELECT * FROM ({inner}) AS p {kind} t2 AS y USING (k)")
            } else {
                format!("SELECT * FROM ({inner}) AS p")
            }
        }
    })
}

/// True for SQL with a USING or NATURAL join, whose `*` SQLite orders differently.
fn order_free(sql: &str) -> bool {
    sql.contains(" USING ") || sql.contains(" NATURAL ")
}

/// SQLite names the second of two columns `k` as `k:1`; the name the user gave is `k`.
fn sqlite_name(n: &str) -> &str {
    match n.rfind(':') {
        Some(i) if n[i + 1..].chars().all(|c| c.is_ascii_digit()) => &n[..i],
        _ => n,
    }
}

type Answer = (Vec<String>, Vec<Vec<String>>);

fn run_sqlite(conn: &Connection, sql: &str) -> Result<Answer, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let names: Vec<String> = stmt
        .column_names()
        .map(|n| sqlite_name(n).to_string())
        .collect();
    let width = names.len();
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            cells.push(match row.get_ref(i).map_err(|e| e.to_string())? {
                ValueRef::Null => "NULL".to_string(),
                ValueRef::Integer(v) => v.to_string(),
                ValueRef::Real(v) => v.to_string(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                ValueRef::Blob(_) => "<blob>".to_string(),
            });
        }
        out.push(cells);
    }
    out.sort();
    Ok((names, out))
}

fn run_ember(ctx: &SessionContext, sql: &str) -> Result<Answer, String> {
    let df = ctx.sql(sql).map_err(|e| e.to_string())?;
    let names: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = df.collect().map_err(|e| e.to_string())?;
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in &batches {
        let formatters = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for r in 0..b.num_rows() {
            out.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    out.sort();
    Ok((names, out))
}

/// The answer with its columns ordered by name and values, so two answers that differ
/// only in column order compare equal.
fn columns_in_canonical_order((names, rows): Answer) -> Answer {
    let mut keys: Vec<(String, Vec<String>, usize)> = (0..names.len())
        .map(|j| {
            let mut values: Vec<String> = rows.iter().map(|r| r[j].clone()).collect();
            values.sort();
            (names[j].clone(), values, j)
        })
        .collect();
    keys.sort();
    let order: Vec<usize> = keys.iter().map(|k| k.2).collect();
    let names = order.iter().map(|&j| names[j].clone()).collect();
    let mut rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| order.iter().map(|&j| r[j].clone()).collect())
        .collect();
    rows.sort();
    (names, rows)
}

/// Settings each query cycles through: the default, the optimizer off, and each batch
/// of rules off on its own.
const SETTINGS: &[&[(&str, &str)]] = &[
    &[],
    &[("ember.optimizer.enabled", "false")],
    &[("ember.optimizer.batch.simplify", "false")],
    &[("ember.optimizer.batch.push_down", "false")],
    &[("ember.optimizer.batch.outer_joins", "false")],
    &[("ember.optimizer.batch.join_order", "false")],
    &[("ember.optimizer.batch.sort_limit", "false")],
    &[("ember.optimizer.batch.prune", "false")],
];

#[test]
fn random_queries_match_sqlite() {
    let queries: usize = std::env::var("EMBER_DIFF_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let seed: u64 = std::env::var("EMBER_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261201);
    let mut rng = Rng(seed);
    let sqlite = Connection::open_in_memory().expect("sqlite");
    let sessions: Vec<SessionContext> = SETTINGS
        .iter()
        .map(|settings| {
            let ctx = SessionContext::new();
            for (k, v) in *settings {
                ctx.set(k, v).expect("setting");
            }
            ctx
        })
        .collect();
    let mut ran = 0;
    let mut both_failed = 0;
    let mut sqlite_refused = 0;
    let mut mismatches = Vec::new();
    let mut tables_for = 0;
    while ran < queries {
        if tables_for == 0 {
            // New data every 25 queries.
            let state = Rng(rng.next()).0;
            for ctx in &sessions {
                let mut r = Rng(state);
                make_tables(&mut r, ctx, &sqlite);
            }
            tables_for = 25;
        }
        tables_for -= 1;
        let Some(sql) = gen_query(&mut rng, &sqlite, 2) else {
            continue;
        };
        let setting = ran % SETTINGS.len();
        ran += 1;
        let mut expected = run_sqlite(&sqlite, &sql);
        let mut actual = run_ember(&sessions[setting], &sql);
        if order_free(&sql) {
            // SQLite leaves a USING column where the left input has it; PostgreSQL
            // (and Ember) put it first. Compare with columns in a canonical order.
            expected = expected.map(columns_in_canonical_order);
            actual = actual.map(columns_in_canonical_order);
        }
        match (expected, actual) {
            (Ok(e), Ok(a)) if e == a => {}
            (Err(_), Err(_)) => both_failed += 1,
            // SQLite refuses `*` over a USING join followed by a join with a table that
            // has a column of the merged name; PostgreSQL (and Ember) accept it.
            (Err(e), Ok(_)) if e.starts_with("ambiguous column name") && order_free(&sql) => {
                sqlite_refused += 1
            }
            (e, a) => mismatches.push(format!(
                "query: {sql}\nsettings: {:?}\nsqlite: {e:?}\nember:  {a:?}",
                SETTINGS[setting]
            )),
        }
    }
    eprintln!(
        "differential: {ran} queries, {} mismatches, {both_failed} refused by both, \
         {sqlite_refused} refused by SQLite alone (its USING limitation)",
        mismatches.len()
    );
    assert!(
        both_failed * 10 < ran,
        "too many generated queries fail on both engines ({both_failed} of {ran})"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {ran} queries differ from SQLite; the first ones:\n\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(
                std::env::var("EMBER_DIFF_SHOW")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(5)
            )
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
