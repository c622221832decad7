//! Whether two plans are the same, node by node: the same operators with equal fields
//! and equal expressions over the same inputs (table sources by identity).
//!
//! Rules that rebuild a whole plan use it to tell whether they changed anything.
//! Comparing EXPLAIN texts does the same, but prints every expression twice: for a
//! predicate of 100,000 terms that printing was most of a rule's work, where this is
//! one walk that allocates nothing. Every field is named in the patterns below, so a
//! field added to a plan node must be added here too.

use std::sync::Arc;

use crate::logical::plan::LogicalPlan;

impl LogicalPlan {
    /// True when `self` and `other` are the same plan (see the module documentation).
    pub fn same_as(&self, other: &LogicalPlan) -> bool {
        use LogicalPlan as P;
        if std::ptr::eq(self, other) {
            return true;
        }
        let same_inputs = || {
            let (a, b) = (self.inputs(), other.inputs());
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.same_as(y))
        };
        let fields_equal = match (self, other) {
            (
                P::Scan {
                    table,
                    source,
                    projection,
                    filters,
                    schema,
                },
                P::Scan {
                    table: table2,
                    source: source2,
                    projection: projection2,
                    filters: filters2,
                    schema: schema2,
                },
            ) => {
                table == table2
                    && Arc::ptr_eq(source, source2)
                    && projection == projection2
                    && filters == filters2
                    && schema == schema2
            }
            (
                P::Filter {
                    input: _,
                    predicate,
                },
                P::Filter {
                    input: _,
                    predicate: predicate2,
                },
            ) => predicate == predicate2,
            (
                P::Projection {
                    input: _,
                    exprs,
                    schema,
                },
                P::Projection {
                    input: _,
                    exprs: exprs2,
                    schema: schema2,
                },
            )
            | (
                P::Window {
                    input: _,
                    exprs,
                    schema,
                },
                P::Window {
                    input: _,
                    exprs: exprs2,
                    schema: schema2,
                },
            ) => exprs == exprs2 && schema == schema2,
            (
                P::Aggregate {
                    input: _,
                    group_by,
                    aggregates,
                    schema,
                },
                P::Aggregate {
                    input: _,
                    group_by: group_by2,
                    aggregates: aggregates2,
                    schema: schema2,
                },
            ) => group_by == group_by2 && aggregates == aggregates2 && schema == schema2,
            (
                P::Join {
                    left: _,
                    right: _,
                    kind,
                    on,
                    filter,
                    schema,
                },
                P::Join {
                    left: _,
                    right: _,
                    kind: kind2,
                    on: on2,
                    filter: filter2,
                    schema: schema2,
                },
            ) => kind == kind2 && on == on2 && filter == filter2 && schema == schema2,
            (
                P::Sort { input: _, keys },
                P::Sort {
                    input: _,
                    keys: keys2,
                },
            ) => keys == keys2,
            (
                P::Limit {
                    input: _,
                    skip,
                    fetch,
                },
                P::Limit {
                    input: _,
                    skip: skip2,
                    fetch: fetch2,
                },
            ) => skip == skip2 && fetch == fetch2,
            (
                P::Union { inputs: _, schema },
                P::Union {
                    inputs: _,
                    schema: schema2,
                },
            ) => schema == schema2,
            (P::Distinct { input: _ }, P::Distinct { input: _ }) => true,
            (
                P::Values { rows, schema },
                P::Values {
                    rows: rows2,
                    schema: schema2,
                },
            ) => rows == rows2 && schema == schema2,
            (
                P::SubqueryAlias {
                    input: _,
                    alias,
                    schema,
                },
                P::SubqueryAlias {
                    input: _,
                    alias: alias2,
                    schema: schema2,
                },
            ) => alias == alias2 && schema == schema2,
            (
                P::RecursiveQuery {
                    name,
                    static_term: _,
                    recursive_term: _,
                    distinct,
                    schema,
                },
                P::RecursiveQuery {
                    name: name2,
                    static_term: _,
                    recursive_term: _,
                    distinct: distinct2,
                    schema: schema2,
                },
            ) => name == name2 && distinct == distinct2 && schema == schema2,
            (
                P::WorkTable { name, schema },
                P::WorkTable {
                    name: name2,
                    schema: schema2,
                },
            ) => name == name2 && schema == schema2,
            (
                P::Empty {
                    produce_one_row,
                    schema,
                },
                P::Empty {
                    produce_one_row: produce_one_row2,
                    schema: schema2,
                },
            ) => produce_one_row == produce_one_row2 && schema == schema2,
            _ => false,
        };
        fields_equal && same_inputs()
    }
}

#[cfg(test)]
mod tests {
    use crate::expr::{col, lit};
    use crate::sql::tests::TestCatalog;

    #[test]
    fn equal_plans_are_the_same_and_any_difference_shows() {
        let catalog = TestCatalog::new();
        let a = catalog
            .plan("select n_name from nation where n_nationkey > 1 order by n_name limit 3")
            .unwrap();
        let b = catalog
            .plan("select n_name from nation where n_nationkey > 1 order by n_name limit 3")
            .unwrap();
        assert!(a.same_as(&b));
        for other in [
            "select n_name from nation where n_nationkey > 2 order by n_name limit 3",
            "select n_name from nation where n_nationkey > 1 order by n_name desc limit 3",
            "select n_name from nation where n_nationkey > 1 order by n_name limit 4",
            "select n_comment from nation where n_nationkey > 1 order by n_comment limit 3",
        ] {
            assert!(!a.same_as(&catalog.plan(other).unwrap()), "{other}");
        }
        let filtered = crate::LogicalPlanBuilder::from(a.clone())
            .filter(col("n_name").eq(lit("x")))
            .unwrap()
            .build();
        assert!(!filtered.same_as(&a));
    }
}
