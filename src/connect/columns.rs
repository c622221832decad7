//! Relations that compute columns: `groupBy().agg()` (with ROLLUP, CUBE and
//! grouping sets), `withColumn(s)`, and the renames (`withColumnRenamed`, `toDF`) —
//! each one SQL query over its input.
//!
//! In: `Aggregate`, `WithColumns`, renames. Out: [`Rel`]s. May import
//! `super::{expr, plan}`.

use super::plan::{Rel, Translator};
use super::proto;
use super::unsupported;
use crate::error::{EmberError, Result};

use super::expr::quote;

impl Translator<'_> {
    pub(super) fn aggregate(&self, a: &proto::Aggregate) -> Result<Rel> {
        use proto::aggregate::GroupType;
        let input = self.child(&a.input, "groupBy")?;
        let kind = GroupType::try_from(a.group_type).unwrap_or(GroupType::Unspecified);
        if kind == GroupType::Pivot {
            return Err(unsupported("groupBy().pivot()"));
        }
        self.over_one(&input, |s, v| {
            let groups = a
                .grouping_expressions
                .iter()
                .map(|e| s.unaliased_sql(e))
                .collect::<Result<Vec<_>>>()?;
            let mut cols = a
                .grouping_expressions
                .iter()
                .map(|e| s.named_sql(e))
                .collect::<Result<Vec<_>>>()?;
            for e in &a.aggregate_expressions {
                cols.push(s.named_sql(e)?);
            }
            if cols.is_empty() {
                return Err(EmberError::execution("agg() of no columns"));
            }
            let group_by = match kind {
                _ if groups.is_empty() && kind != GroupType::GroupingSets => String::new(),
                GroupType::Rollup => format!(" GROUP BY ROLLUP ({})", groups.join(", ")),
                GroupType::Cube => format!(" GROUP BY CUBE ({})", groups.join(", ")),
                GroupType::GroupingSets => {
                    let sets = a
                        .grouping_sets
                        .iter()
                        .map(|set| {
                            let cols = set
                                .grouping_set
                                .iter()
                                .map(|e| s.unaliased_sql(e))
                                .collect::<Result<Vec<_>>>()?;
                            Ok(format!("({})", cols.join(", ")))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    format!(" GROUP BY GROUPING SETS ({})", sets.join(", "))
                }
                _ => format!(" GROUP BY {}", groups.join(", ")),
            };
            Ok(format!("SELECT {} FROM {v}{group_by}", cols.join(", ")))
        })
    }

    pub(super) fn with_columns(&self, w: &proto::WithColumns) -> Result<Rel> {
        let input = self.child(&w.input, "withColumns")?;
        self.over_one(&input, |s, v| {
            let mut new: Vec<(String, String)> = Vec::new();
            for a in &w.aliases {
                let [name] = a.name.as_slice() else {
                    return Err(unsupported("withColumns of a multi-name alias"));
                };
                let e = a
                    .expr
                    .as_deref()
                    .ok_or_else(|| EmberError::execution("withColumn without its expression"))?;
                new.push((name.clone(), s.sql(e)?));
            }
            let schema = &s.inputs[0].schema;
            let mut cols = Vec::new();
            let mut used = vec![false; new.len()];
            for (i, f) in schema.fields.iter().enumerate() {
                match new
                    .iter()
                    .position(|(n, _)| n.eq_ignore_ascii_case(f.user_name()))
                {
                    Some(k) => {
                        used[k] = true;
                        cols.push(format!("{} AS {}", new[k].1, quote(&new[k].0)));
                    }
                    None => cols.push(s.inputs[0].select_sql(i)),
                }
            }
            for (k, (name, sql)) in new.iter().enumerate() {
                if !used[k] {
                    cols.push(format!("{sql} AS {}", quote(name)));
                }
            }
            Ok(format!("SELECT {} FROM {v}", cols.join(", ")))
        })
    }

    /// Every column, renamed where `new_name(index, name)` says.
    pub(super) fn rename(
        &self,
        input: &Rel,
        new_name: impl Fn(usize, &str) -> Option<String>,
    ) -> Result<Rel> {
        self.over_one(input, |s, v| {
            let cols: Vec<String> = s.inputs[0]
                .schema
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| match new_name(i, f.user_name()) {
                    Some(n) => format!("{} AS {}", s.inputs[0].column_sql(i), quote(&n)),
                    None => s.inputs[0].select_sql(i),
                })
                .collect();
            Ok(format!("SELECT {} FROM {v}", cols.join(", ")))
        })
    }
}
