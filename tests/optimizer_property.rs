//! The optimizer must not change answers: random queries over small random tables (with
//! NULLs and duplicate rows) give the same rows with the optimizer on, with
//! `ember.optimizer.enabled = false`, with `ember.optimizer.cost_based = false`, and with
//! each `ember.optimizer.batch.<name>` that can be switched off, off in turn.
//!
//! Tables and queries come from a seeded xorshift generator. The seed is printed with
//! any mismatch; `EMBER_PROPTEST_SEED=<n>` reruns from seed n, and
//! `EMBER_PROPTEST_CASES=<n>` changes how many queries run. Rows are compared as a
//! multiset unless the query's ORDER BY fixes their order (it then lists every output
//! column).

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use ember::SessionContext;
use ember::config::REQUIRED_BATCHES;
use ember::planner::optimizer::Optimizer;

/// A small xorshift64* generator: deterministic for a seed, good enough for tests.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Spread small seeds out, and never start at zero (xorshift's fixed point).
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const TABLES: &[&str] = &["t1", "t2", "t3", "t4"];
const STRINGS: &[&str] = &["a", "b", "c", "d"];
/// The table whose `k` is declared NOT NULL (and has no NULLs).
const NON_NULL_K: &str = "t4";

/// `name(k BIGINT, v BIGINT, s VARCHAR)`, all nullable but `t4.k`, in two partitions.
fn register_table(ctx: &SessionContext, rng: &mut Rng, name: &str) {
    let rows = 4 + rng.below(10);
    let mut k: Vec<Option<i64>> = Vec::new();
    let mut v: Vec<Option<i64>> = Vec::new();
    let mut s: Vec<Option<&str>> = Vec::new();
    for i in 0..rows {
        if i > 0 && rng.chance(25) {
            let j = rng.below(i);
            let (a, b, c) = (k[j], v[j], s[j]);
            k.push(a);
            v.push(b);
            s.push(c);
            continue;
        }
        let k_null = name != NON_NULL_K && rng.chance(20);
        k.push((!k_null).then(|| rng.range(0, 4)));
        v.push((!rng.chance(15)).then(|| rng.range(-5, 10)));
        s.push((!rng.chance(20)).then(|| *rng.pick(STRINGS)));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, name != NON_NULL_K),
        Field::new("v", DataType::Int64, true),
        Field::new("s", DataType::Utf8, true),
    ]));
    let split = rows / 2;
    let batch = |from: usize, to: usize| {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(k[from..to].to_vec())),
            Arc::new(Int64Array::from(v[from..to].to_vec())),
            Arc::new(StringArray::from(s[from..to].to_vec())),
        ];
        RecordBatch::try_new(schema.clone(), cols).expect("valid batch")
    };
    ctx.register_batches(
        name,
        schema.clone(),
        vec![vec![batch(0, split)], vec![batch(split, rows)]],
    )
    .expect("register table");
}

/// A query and whether its ORDER BY fixes the order of its rows.
struct Query {
    sql: String,
    ordered: bool,
}

/// Builds random queries over the aliases in scope.
struct Gen<'a> {
    rng: &'a mut Rng,
    aliases: Vec<String>,
    /// The conditions of comma joins, for the WHERE clause.
    comma_conds: Vec<String>,
}

impl Gen<'_> {
    fn int_col(&mut self) -> String {
        let a = self.rng.pick(&self.aliases).clone();
        format!("{a}.{}", self.rng.pick(&["k", "v"]))
    }

    fn str_col(&mut self) -> String {
        let a = self.rng.pick(&self.aliases).clone();
        format!("{a}.s")
    }

    fn int_lit(&mut self) -> String {
        if self.rng.chance(5) {
            "NULL".to_string()
        } else {
            self.rng.range(-2, 6).to_string()
        }
    }

    fn cmp_op(&mut self) -> &'static str {
        const OPS: [&str; 6] = ["=", "<>", "<", "<=", ">", ">="];
        OPS[self.rng.below(OPS.len())]
    }

    fn pred(&mut self, depth: usize) -> String {
        if depth > 0 && self.rng.chance(40) {
            return match self.rng.below(3) {
                0 => format!("({} AND {})", self.pred(depth - 1), self.pred(depth - 1)),
                1 => format!("({} OR {})", self.pred(depth - 1), self.pred(depth - 1)),
                _ => format!("(NOT {})", self.pred(depth - 1)),
            };
        }
        match self.rng.below(15) {
            12 => {
                // Constant parts the optimizer may fold, around a real predicate.
                let p = self.pred(0);
                match self.rng.below(6) {
                    0 => format!("({p} AND true)"),
                    1 => format!("({p} OR NULL)"),
                    2 => format!("(NULL AND {p})"),
                    3 => format!("(NOT (NOT {p}))"),
                    4 => format!("(1 > 2 OR {p})"),
                    _ => format!("CASE WHEN 1 = 1 THEN {p} ELSE false END"),
                }
            }
            13 => {
                let c = self.int_col();
                match self.rng.below(4) {
                    0 => format!("{c} = {c}"),
                    1 => format!("{c} > 1 + 2 * 1"),
                    2 => format!("{c} * 1.5 > 1.50 + 0.25"),
                    _ => format!("{c} + 0.5 <= 2.25 - 1"),
                }
            }
            14 => {
                let c = self.int_col();
                format!("{c} IN (1, 1 + 1, NULL + 1)")
            }
            0 | 1 => {
                let (c, op, l) = (self.int_col(), self.cmp_op(), self.int_lit());
                format!("{c} {op} {l}")
            }
            2 => {
                let (c, op, d) = (self.int_col(), self.cmp_op(), self.int_col());
                format!("{c} {op} {d}")
            }
            3 => {
                let c = self.int_col();
                let not = if self.rng.chance(50) { " NOT" } else { "" };
                format!("{c} IS{not} NULL")
            }
            4 => {
                let c = self.int_col();
                let not = if self.rng.chance(30) { " NOT" } else { "" };
                let n = 1 + self.rng.below(3);
                let items: Vec<String> = (0..n).map(|_| self.int_lit()).collect();
                format!("{c}{not} IN ({})", items.join(", "))
            }
            5 => {
                let c = self.int_col();
                let not = if self.rng.chance(30) { " NOT" } else { "" };
                let lo = self.rng.range(-3, 4);
                let hi = lo + self.rng.range(-1, 5);
                format!("{c}{not} BETWEEN {lo} AND {hi}")
            }
            6 => {
                let c = self.str_col();
                match self.rng.below(4) {
                    0 => format!("{c} = '{}'", self.rng.pick(STRINGS)),
                    1 => format!("{c} < '{}'", self.rng.pick(STRINGS)),
                    2 => format!(
                        "{c} IN ('{}', '{}')",
                        self.rng.pick(STRINGS),
                        self.rng.pick(STRINGS)
                    ),
                    _ => {
                        let d = self.str_col();
                        format!("{c} = {d}")
                    }
                }
            }
            7 => {
                let (c, n, op, m) = (
                    self.int_col(),
                    self.rng.range(-2, 3),
                    self.cmp_op(),
                    self.rng.range(0, 6),
                );
                format!("{c} + {n} {op} {m}")
            }
            8 => self
                .rng
                .pick(&[
                    "1 = 1",
                    "1 = 2",
                    "NULL IS NULL",
                    "(1 < 2 AND 2 < 3)",
                    "true",
                ])
                .to_string(),
            9 => {
                let (c, l, op, m) = (
                    self.int_col(),
                    self.rng.range(-1, 3),
                    self.cmp_op(),
                    self.rng.range(0, 4),
                );
                format!("coalesce({c}, {l}) {op} {m}")
            }
            10 => {
                let (c, d, m) = (self.int_col(), self.int_col(), self.rng.range(0, 4));
                format!("CASE WHEN {c} > 1 THEN {d} ELSE 0 END > {m}")
            }
            _ => {
                let (c, d) = (self.int_col(), self.int_col());
                format!("{c} = {d}")
            }
        }
    }

    /// EXISTS / NOT EXISTS / IN / NOT IN over another table, correlated by equality or not.
    fn subquery_pred(&mut self) -> String {
        let t = *self.rng.pick(TABLES);
        let outer = self.int_col();
        let col = *self.rng.pick(&["k", "v"]);
        let extra = if self.rng.chance(50) {
            format!(" AND x.v > {}", self.rng.range(-3, 5))
        } else {
            String::new()
        };
        match self.rng.below(4) {
            0 => format!("EXISTS (SELECT 1 FROM {t} x WHERE x.{col} = {outer}{extra})"),
            1 => format!("NOT EXISTS (SELECT 1 FROM {t} x WHERE x.{col} = {outer}{extra})"),
            2 => format!("{outer} IN (SELECT x.{col} FROM {t} x WHERE x.s <> 'a'{extra})"),
            _ => format!("{outer} NOT IN (SELECT x.{col} FROM {t} x WHERE x.k IS NOT NULL{extra})"),
        }
    }

    /// `t2 AS r1 JOIN t1 AS r2 ON ...`, 1 to 4 relations.
    fn relations(&mut self) -> String {
        let n = 1 + self.rng.below(4);
        let mut sql = String::new();
        let mut group_start = 0;
        for i in 0..n {
            let alias = format!("r{i}");
            let table = *self.rng.pick(TABLES);
            if i == 0 {
                sql = format!("{table} AS {alias}");
                self.aliases.push(alias);
                continue;
            }
            // ON sees only the relations since the last comma (a comma binds loosest).
            let prev = self.rng.pick(&self.aliases[group_start..]).clone();
            let kind = *self.rng.pick(&[
                "JOIN",
                "JOIN",
                "LEFT JOIN",
                "LEFT JOIN",
                "RIGHT JOIN",
                "FULL JOIN",
                ",",
            ]);
            let (lc, rc) = (
                *self.rng.pick(&["k", "k", "v"]),
                *self.rng.pick(&["k", "k", "v"]),
            );
            let mut on = format!("{alias}.{lc} = {prev}.{rc}");
            let non_equi_only = matches!(kind, "JOIN" | "LEFT JOIN") && self.rng.chance(15);
            if non_equi_only {
                on = format!("{alias}.v < {prev}.v");
            } else if self.rng.chance(35) {
                on += &match self.rng.below(3) {
                    0 => format!(" AND {alias}.v < {prev}.v"),
                    1 => format!(" AND {alias}.v > {}", self.rng.range(-3, 5)),
                    _ => format!(" AND {prev}.s <> 'b'"),
                };
            }
            self.aliases.push(alias.clone());
            if kind == "," {
                // A comma join: the condition goes to WHERE, which the caller adds.
                group_start = self.aliases.len() - 1;
                sql += &format!(", {table} AS {alias}");
                self.comma_conds.push(on);
            } else {
                sql += &format!(" {kind} {table} AS {alias} ON {on}");
            }
        }
        sql
    }
}

fn gen_query(seed: u64) -> Query {
    let mut rng = Rng::new(seed);
    let mut g = Gen {
        rng: &mut rng,
        aliases: Vec::new(),
        comma_conds: Vec::new(),
    };
    let from = g.relations();
    let mut conds = std::mem::take(&mut g.comma_conds);
    if g.rng.chance(70) {
        let depth = g.rng.below(3);
        conds.push(g.pred(depth));
    }
    if g.rng.chance(25) {
        conds.push(g.subquery_pred());
    }
    if g.rng.chance(8) {
        // A correlated scalar subquery.
        let (c, op, t) = (g.int_col(), g.cmp_op(), *g.rng.pick(TABLES));
        let o = g.int_col();
        conds.push(format!(
            "{c} {op} (SELECT max(x.v) FROM {t} x WHERE x.k = {o})"
        ));
    }
    let where_clause = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    let limit = |g: &mut Gen| {
        let offset = if g.rng.chance(30) {
            format!(" OFFSET {}", g.rng.below(3))
        } else {
            String::new()
        };
        format!(" LIMIT {}{offset}", g.rng.below(6))
    };
    match g.rng.below(12) {
        // A filter over a derived table: grouped, or sorted and limited.
        10 | 11 => {
            let (k, v) = (g.int_col(), g.int_col());
            let inner = if g.rng.chance(50) {
                format!(
                    "SELECT {k} AS g, count(*) AS c, sum({v}) AS sv FROM {from}{where_clause} GROUP BY {k}"
                )
            } else {
                let lim = g.rng.below(8);
                let ord = if g.rng.chance(50) { "" } else { " DESC" };
                let limit = if g.rng.chance(60) {
                    format!(" LIMIT {lim}")
                } else {
                    String::new()
                };
                format!(
                    "SELECT {k} AS g, {v} AS c, {k} + {v} AS sv FROM {from}{where_clause} \
                     ORDER BY 1{ord} NULLS FIRST, 2, 3{limit}"
                )
            };
            let outer = std::mem::replace(&mut g.aliases, vec!["d".to_string()]);
            let mut p = Vec::new();
            for _ in 0..1 + g.rng.below(2) {
                let (c, op, l) = (
                    *g.rng.pick(&["d.g", "d.c", "d.sv"]),
                    g.cmp_op(),
                    g.rng.range(-1, 5),
                );
                p.push(format!("{c} {op} {l}"));
            }
            g.aliases = outer;
            let join = if g.rng.chance(40) {
                let t = *g.rng.pick(TABLES);
                format!(" LEFT JOIN {t} AS e ON e.k = d.g")
            } else {
                String::new()
            };
            let e_col = if join.is_empty() { "d.g" } else { "e.v" };
            Query {
                sql: format!(
                    "SELECT d.g, d.c, d.sv, {e_col} FROM ({inner}) AS d{join} WHERE {}",
                    p.join(if g.rng.chance(70) { " AND " } else { " OR " })
                ),
                ordered: false,
            }
        }
        // Grouped aggregate.
        0..=2 => {
            let n = 1 + g.rng.below(2);
            let mut groups: Vec<String> = Vec::new();
            for _ in 0..n {
                let c = if g.rng.chance(70) {
                    g.int_col()
                } else {
                    g.str_col()
                };
                if !groups.contains(&c) {
                    groups.push(c);
                }
            }
            let (sum_col, max_col, cnt_col) = (g.int_col(), g.int_col(), g.str_col());
            let mut cols = groups.clone();
            cols.extend([
                "count(*)".to_string(),
                format!("sum({sum_col})"),
                format!("max({max_col})"),
                format!("count({cnt_col})"),
            ]);
            let having = if g.rng.chance(30) {
                format!(" HAVING count(*) > {}", g.rng.below(3))
            } else {
                String::new()
            };
            let mut sql = format!(
                "SELECT {} FROM {from}{where_clause} GROUP BY {}{having}",
                cols.join(", "),
                groups.join(", ")
            );
            let ordered = g.rng.chance(40);
            if ordered {
                let ords: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
                sql += &format!(" ORDER BY {}", ords.join(", "));
                sql += &limit(&mut g);
            }
            Query { sql, ordered }
        }
        // Aggregate without GROUP BY: one row, unless HAVING drops it.
        3 => {
            let (a, b) = (g.int_col(), g.int_col());
            let having = if g.rng.chance(35) {
                let h = *g
                    .rng
                    .pick(&["1 = 2", "1 = 1", "NULL IS NULL", "count(*) > 2"]);
                format!(" HAVING {h}")
            } else {
                String::new()
            };
            Query {
                sql: format!(
                    "SELECT count(*), sum({a}), min({b}) FROM {from}{where_clause}{having}"
                ),
                ordered: false,
            }
        }
        // UNION ALL of two filtered selections.
        4 => {
            let (a, b) = (g.int_col(), g.str_col());
            // The second branch sees only `u`.
            let outer = std::mem::replace(&mut g.aliases, vec!["u".to_string()]);
            let p = g.pred(1);
            g.aliases = outer;
            let t = *g.rng.pick(TABLES);
            let mut sql = format!(
                "SELECT {a} AS x, {b} AS y FROM {from}{where_clause} \
                 UNION ALL SELECT u.v, u.s FROM {t} u WHERE {p}"
            );
            let ordered = g.rng.chance(50);
            if ordered {
                sql += " ORDER BY 1, 2";
                sql += &limit(&mut g);
            }
            Query { sql, ordered }
        }
        // Plain selection, maybe DISTINCT, maybe ORDER BY + LIMIT.
        _ => {
            let n = 1 + g.rng.below(4);
            let mut cols: Vec<String> = Vec::new();
            for _ in 0..n {
                let c = if g.rng.chance(75) {
                    g.int_col()
                } else {
                    g.str_col()
                };
                if !cols.contains(&c) {
                    cols.push(c);
                }
            }
            let distinct = if g.rng.chance(15) { "DISTINCT " } else { "" };
            let mut sql = format!(
                "SELECT {distinct}{} FROM {from}{where_clause}",
                cols.join(", ")
            );
            let ordered = g.rng.chance(45);
            if ordered {
                let ords: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
                let dirs = ords
                    .iter()
                    .map(|o| {
                        format!(
                            "{o}{}",
                            g.rng
                                .pick(&["", " DESC", " ASC NULLS FIRST", " DESC NULLS LAST"])
                        )
                    })
                    .collect::<Vec<_>>();
                sql += &format!(" ORDER BY {}", dirs.join(", "));
                sql += &limit(&mut g);
            }
            Query { sql, ordered }
        }
    }
}

/// One result as text rows (NULL printed as NULL).
fn rows(ctx: &SessionContext, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let df = ctx.sql(sql).map_err(|e| e.to_string())?;
    let batches = df.collect().map_err(|e| e.to_string())?;
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in &batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        for row in 0..batch.num_rows() {
            out.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    Ok(out)
}

/// The settings each query runs under, by name; the first is the reference. Then
/// one mode per optimizer batch switched off.
fn modes() -> Vec<(String, Vec<(String, &'static str)>)> {
    let mut modes = vec![
        (
            "optimizer off".to_string(),
            vec![("ember.optimizer.enabled".to_string(), "false")],
        ),
        ("optimizer on".to_string(), vec![]),
        (
            "cost-based off".to_string(),
            vec![("ember.optimizer.cost_based".to_string(), "false")],
        ),
    ];
    for b in Optimizer::new().batch_names() {
        if REQUIRED_BATCHES.contains(&b) {
            continue;
        }
        modes.push((
            format!("batch {b} off"),
            vec![(format!("ember.optimizer.batch.{b}"), "false")],
        ));
    }
    modes
}

fn run_mode(
    ctx: &SessionContext,
    settings: &[(String, &str)],
    q: &Query,
) -> Result<Vec<Vec<String>>, String> {
    ctx.set("ember.optimizer.enabled", "true").unwrap();
    ctx.set("ember.optimizer.cost_based", "true").unwrap();
    for b in Optimizer::new().batch_names() {
        ctx.set(&format!("ember.optimizer.batch.{b}"), "true")
            .unwrap();
    }
    for (k, v) in settings {
        ctx.set(k, v).unwrap();
    }
    let mut r = rows(ctx, &q.sql)?;
    if !q.ordered {
        r.sort();
    }
    Ok(r)
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn optimized_queries_return_the_same_rows() {
    let seed = env_u64("EMBER_PROPTEST_SEED", 20_261_125);
    let cases = env_u64("EMBER_PROPTEST_CASES", 400);
    let ctx = SessionContext::new();
    ctx.set("ember.execution.target_partitions", "3").unwrap();
    let mut rng = Rng::new(seed);
    for t in TABLES {
        register_table(&ctx, &mut rng, t);
    }
    let modes = modes();
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut non_empty = 0;
    for i in 0..cases {
        let q = gen_query(seed.wrapping_add(i + 1));
        let results: Vec<_> = modes
            .iter()
            .map(|(name, settings)| (name, run_mode(&ctx, settings, &q)))
            .collect();
        let (ref_name, reference) = &results[0];
        let reference = match reference {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!(
                    "query seed {}: {ref_name} failed: {e}\n  {}",
                    seed.wrapping_add(i + 1),
                    q.sql
                ));
                continue;
            }
        };
        non_empty += usize::from(!reference.is_empty());
        for (name, r) in &results[1..] {
            match r {
                Ok(r) if r == reference => {}
                Ok(r) => failures.push(format!(
                    "query seed {}: {name} differs from {ref_name}\n  {}\n  {ref_name}: {reference:?}\n  {name}: {r:?}",
                    seed.wrapping_add(i + 1),
                    q.sql
                )),
                Err(e) => failures.push(format!(
                    "query seed {}: {name} failed: {e}\n  {}",
                    seed.wrapping_add(i + 1),
                    q.sql
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "table seed {seed}: {} of {cases} queries went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Queries that all return nothing would prove little.
    assert!(
        non_empty * 3 > cases as usize,
        "only {non_empty} of {cases} queries returned rows"
    );
    eprintln!(
        "{cases} queries in {:.1}s, {non_empty} with rows",
        started.elapsed().as_secs_f64()
    );
}
