//! `union`, `unionByName` (with `allowMissingColumns`), `intersect(All)`,
//! `subtract`/`exceptAll` as SQL set operations over the two inputs, and
//! `dropDuplicates(columns)`: the first row of each key.
//!
//! In: `SetOperation`, `Deduplicate`. Out: [`Rel`]s. May import `super::{expr, plan}`.

use super::plan::{Rel, Translator};
use super::proto;
use super::unsupported;
use crate::error::{EmberError, Result};

use super::expr::{Input, quote};

impl Translator<'_> {
    pub(super) fn set_operation(&self, s: &proto::SetOperation) -> Result<Rel> {
        use proto::set_operation::SetOpType;
        let left = self.child(&s.left_input, "set operation")?;
        let right = self.child(&s.right_input, "set operation")?;
        let all = s.is_all.unwrap_or(false);
        let op = match SetOpType::try_from(s.set_op_type).unwrap_or(SetOpType::Unspecified) {
            SetOpType::Union => "UNION",
            SetOpType::Intersect => "INTERSECT",
            SetOpType::Except => "EXCEPT",
            SetOpType::Unspecified => {
                return Err(EmberError::execution("a set operation without its kind"));
            }
        };
        let by_name = s.by_name.unwrap_or(false);
        let allow_missing = s.allow_missing_columns.unwrap_or(false);
        let (lview, rview) = ("__left".to_string(), "__right".to_string());
        let inputs = [(&left, lview.as_str()), (&right, rview.as_str())];
        let df = self.sql_over(
            &inputs,
            |sc| {
                let (l, r) = (&sc.inputs[0], &sc.inputs[1]);
                let (mut lcols, mut rcols) = (Vec::new(), Vec::new());
                if by_name {
                    let find = |input: &Input, name: &str| {
                        input
                            .schema
                            .fields
                            .iter()
                            .position(|f| f.user_name().eq_ignore_ascii_case(name))
                    };
                    for (i, f) in l.schema.fields.iter().enumerate() {
                        lcols.push(l.select_sql(i));
                        match find(r, f.user_name()) {
                            Some(j) => rcols.push(r.column_sql(j)),
                            None if allow_missing => rcols.push(format!(
                                "CAST(NULL AS {})",
                                ember_planner::types::SqlType(&f.data_type)
                            )),
                            None => {
                                return Err(EmberError::execution(format!(
                                    "unionByName: column '{}' is not in the right DataFrame",
                                    f.user_name()
                                )));
                            }
                        }
                    }
                    for (j, f) in r.schema.fields.iter().enumerate() {
                        if find(l, f.user_name()).is_none() {
                            if !allow_missing {
                                return Err(EmberError::execution(format!(
                                    "unionByName: column '{}' is not in the left DataFrame",
                                    f.user_name()
                                )));
                            }
                            lcols.push(format!(
                                "CAST(NULL AS {}) AS {}",
                                ember_planner::types::SqlType(&f.data_type),
                                quote(f.user_name())
                            ));
                            rcols.push(r.column_sql(j));
                        }
                    }
                } else {
                    lcols = (0..l.schema.len()).map(|i| l.select_sql(i)).collect();
                    rcols = (0..r.schema.len()).map(|i| r.column_sql(i)).collect();
                }
                Ok(format!(
                    "SELECT {} FROM {} {op}{} SELECT {} FROM {}",
                    lcols.join(", "),
                    quote(&lview),
                    if all { " ALL" } else { "" },
                    rcols.join(", "),
                    quote(&rview)
                ))
            },
            |_, _| Ok(()),
        )?;
        Ok(Rel::new(df))
    }

    pub(super) fn deduplicate(&self, d: &proto::Deduplicate) -> Result<Rel> {
        let input = self.child(&d.input, "dropDuplicates")?;
        if d.within_watermark.unwrap_or(false) {
            return Err(unsupported("dropDuplicatesWithinWatermark"));
        }
        if d.all_columns_as_keys.unwrap_or(false) || d.column_names.is_empty() {
            return Ok(Rel {
                df: input.df.distinct()?,
                plan_ids: input.plan_ids,
            });
        }
        self.over_one(&input, |s, v| {
            let keys = d
                .column_names
                .iter()
                .map(|c| {
                    let (_, i) = s.resolve(&format!("`{}`", c.replace('`', "``")), None)?;
                    Ok(s.inputs[0].column_sql(i))
                })
                .collect::<Result<Vec<_>>>()?;
            let names = &s.inputs[0].view_names;
            let outer: Vec<String> = (0..names.len())
                .map(|i| {
                    format!(
                        "{}.{} AS {}",
                        quote("__dedup"),
                        quote(&names[i]),
                        quote(s.inputs[0].schema.fields[i].user_name())
                    )
                })
                .collect();
            Ok(format!(
                "SELECT {} FROM (SELECT {v}.*, row_number() OVER (PARTITION BY {}) AS {} FROM {v}) AS {} WHERE {} = 1",
                outer.join(", "),
                keys.join(", "),
                quote("__ember_row"),
                quote("__dedup"),
                quote("__ember_row")
            ))
        })
    }
}
