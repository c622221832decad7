//! Spark function calls as Ember SQL: operators (`==`, `and`, `+`) and the Spark names
//! whose Ember function differs in name or meaning (`startswith` → `starts_with`,
//! `log(x)` → `ln(x)`, `concat` NULL if any argument is, `year(d)` →
//! `date_part('year', d)`, `/` of integers → a DOUBLE division). Any other name goes
//! to Ember's SQL planner as written, which rejects the ones it does not know; names
//! Ember would get wrong (`first`, `collect_list`, `explode`, ...) are refused here.
//!
//! In: a function name and its argument expressions. Out: SQL text. May import
//! `super::{expr, proto}`.

use ember_planner::types::is_integer;

use super::expr::Scope;
use super::proto::Expression;
use super::proto::expression::ExprType;
use super::unsupported;
use crate::error::{EmberError, Result};

impl Scope<'_> {
    pub(super) fn function(
        &self,
        name: &str,
        args: &[Expression],
        distinct: bool,
    ) -> Result<String> {
        let lower = name.to_ascii_lowercase();
        let a = |i: usize| -> Result<String> {
            args.get(i)
                .ok_or_else(|| {
                    EmberError::execution(format!("function {name}: argument {} is missing", i + 1))
                })
                .and_then(|e| self.sql(e))
        };
        let all = || args.iter().map(|e| self.sql(e)).collect::<Result<Vec<_>>>();
        let arity = |n: usize| -> Result<()> {
            if args.len() == n {
                Ok(())
            } else {
                Err(EmberError::execution(format!(
                    "function {name} takes {n} argument(s), got {}",
                    args.len()
                )))
            }
        };
        let binary = |op: &str| -> Result<String> {
            arity(2)?;
            Ok(format!("({} {op} {})", a(0)?, a(1)?))
        };
        // Both operands and whether both are integers.
        let operands = || -> Result<(String, String, bool)> {
            arity(2)?;
            let (l, r) = (a(0)?, a(1)?);
            let integers = is_integer(&(self.type_of)(&l)?) && is_integer(&(self.type_of)(&r)?);
            Ok((l, r, integers))
        };
        Ok(match lower.as_str() {
            "==" => binary("=")?,
            "!=" | "<>" => binary("<>")?,
            "<" | "<=" | ">" | ">=" | "+" | "*" | "%" => binary(&lower)?,
            "-" if args.len() == 1 => format!("(- {})", a(0)?),
            "-" => binary("-")?,
            "/" => {
                // Spark divides integers into a DOUBLE; SQL would truncate.
                let (l, r, integers) = operands()?;
                if integers {
                    format!("(CAST({l} AS DOUBLE) / {r})")
                } else {
                    format!("({l} / {r})")
                }
            }
            "div" => {
                // Spark's integral division: the quotient truncated toward zero, a BIGINT.
                let (l, r, integers) = operands()?;
                if integers {
                    format!("CAST(({l} / {r}) AS BIGINT)")
                } else {
                    let q = format!("({l} / {r})");
                    format!("CAST(CASE WHEN {q} < 0 THEN ceil({q}) ELSE floor({q}) END AS BIGINT)")
                }
            }
            "and" => binary("AND")?,
            "or" => binary("OR")?,
            "<=>" | "equal_null" => binary("IS NOT DISTINCT FROM")?,
            "not" | "!" => {
                arity(1)?;
                format!("(NOT {})", a(0)?)
            }
            "negative" => {
                arity(1)?;
                format!("(- {})", a(0)?)
            }
            "positive" => {
                arity(1)?;
                a(0)?
            }
            "isnull" => {
                arity(1)?;
                format!("({} IS NULL)", a(0)?)
            }
            "isnotnull" => {
                arity(1)?;
                format!("({} IS NOT NULL)", a(0)?)
            }
            "in" => {
                if args.len() < 2 {
                    return Err(EmberError::execution("isin() needs at least one value"));
                }
                let list = all()?;
                format!("({} IN ({}))", list[0], list[1..].join(", "))
            }
            "like" | "ilike" => {
                if args.len() != 2 {
                    return Err(unsupported(format!("{name} with an escape character")));
                }
                format!("({} {} {})", a(0)?, lower.to_ascii_uppercase(), a(1)?)
            }
            "rlike" | "regexp" | "regexp_like" => {
                arity(2)?;
                format!("regexp_like({}, {})", a(0)?, a(1)?)
            }
            "when" | "case_when" => {
                if args.len() < 2 {
                    return Err(EmberError::execution(
                        "when() needs a condition and a value",
                    ));
                }
                let list = all()?;
                let mut out = String::from("CASE");
                for pair in list.chunks(2) {
                    match pair {
                        [c, v] => out.push_str(&format!(" WHEN {c} THEN {v}")),
                        [otherwise] => out.push_str(&format!(" ELSE {otherwise}")),
                        _ => {}
                    }
                }
                out.push_str(" END");
                out
            }
            "count" | "count_distinct" | "countdistinct" => {
                let distinct = distinct || lower != "count";
                let star = matches!(
                    args,
                    [Expression {
                        expr_type: Some(ExprType::UnresolvedStar(_)),
                        ..
                    }]
                );
                if star && !distinct {
                    "count(*)".into()
                } else if args.len() == 1 {
                    format!(
                        "count({}{})",
                        if distinct { "DISTINCT " } else { "" },
                        a(0)?
                    )
                } else {
                    return Err(unsupported("count of several columns"));
                }
            }
            "sum_distinct" | "sumdistinct" => {
                arity(1)?;
                format!("sum(DISTINCT {})", a(0)?)
            }
            "startswith" => call("starts_with", &all()?),
            "endswith" => call("ends_with", &all()?),
            "contains" => {
                arity(2)?;
                format!("(strpos({}, {}) > 0)", a(0)?, a(1)?)
            }
            "instr" => call("strpos", &all()?),
            "locate" | "position" if args.len() == 2 => call("strpos", &[a(1)?, a(0)?]),
            "substr" => call("substring", &all()?),
            "concat" => {
                // Spark's concat is NULL when any argument is; Ember's concat skips NULLs.
                let list = all()?;
                if list.is_empty() {
                    "''".into()
                } else {
                    format!("({})", list.join(" || "))
                }
            }
            "log" if args.len() == 1 => call("ln", &all()?),
            "pow" => call("power", &all()?),
            "year" | "month" | "quarter" | "hour" | "minute" => {
                arity(1)?;
                format!("date_part('{lower}', {})", a(0)?)
            }
            "dayofmonth" | "day" => {
                arity(1)?;
                format!("date_part('day', {})", a(0)?)
            }
            "dayofyear" => {
                arity(1)?;
                format!("date_part('doy', {})", a(0)?)
            }
            "weekofyear" => {
                arity(1)?;
                format!("date_part('week', {})", a(0)?)
            }
            "dayofweek" => {
                arity(1)?;
                // Spark counts from Sunday = 1.
                format!("(date_part('dow', {}) + 1)", a(0)?)
            }
            "second" => {
                arity(1)?;
                format!("CAST(floor(date_part('second', {})) AS INTEGER)", a(0)?)
            }
            "to_date" if args.len() == 1 => format!("CAST({} AS DATE)", a(0)?),
            "to_timestamp" if args.len() == 1 => format!("CAST({} AS TIMESTAMP)", a(0)?),
            "nvl" => call("coalesce", &all()?),
            "first" | "last" | "collect_list" | "collect_set" | "explode" | "posexplode"
            | "array" | "struct" | "map" | "udf" | "pandas_udf" | "to_date" | "to_timestamp"
            | "date_format" | "regexp_extract" => {
                return Err(unsupported(format!("function: {name}")));
            }
            _ if is_identifier(&lower) => {
                let list = all()?;
                if distinct {
                    format!("{lower}(DISTINCT {})", list.join(", "))
                } else {
                    call(&lower, &list)
                }
            }
            _ => return Err(unsupported(format!("function: {name}"))),
        })
    }
}

fn call(name: &str, args: &[String]) -> String {
    format!("{name}({})", args.join(", "))
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}
