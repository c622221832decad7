//! `spark.catalog`: the `Catalog` relation's calls answered from the session's
//! catalog, as the small tables PySpark reads back (`listTables`, `tableExists`,
//! `currentDatabase`, `dropTempView`, ...). Ember has one database, `default`; temp
//! views are its views, everything else its tables.
//!
//! In: a `Catalog` message and the session. Out: a DataFrame of the answer. May
//! import `arrow`, `crate::{context, session, sources}` and `super::proto`.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, ListBuilder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};
use ember_planner::LogicalPlanBuilder;

use super::proto::Catalog;
use super::proto::catalog::CatType;
use super::unsupported;
use crate::context::Entry;
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::session::SessionContext;
use crate::sources::{MemTable, Table};

/// The answer to one catalog call.
pub fn catalog(ctx: &SessionContext, c: &Catalog) -> Result<DataFrame> {
    let Some(t) = &c.cat_type else {
        return Err(EmberError::execution("a catalog call without its kind"));
    };
    match t {
        CatType::CurrentDatabase(_) => one_string(ctx, "value", "default"),
        CatType::CurrentCatalog(_) => one_string(ctx, "value", "spark_catalog"),
        CatType::SetCurrentDatabase(s) if s.db_name.eq_ignore_ascii_case("default") => {
            one_string(ctx, "value", "default")
        }
        CatType::ListDatabases(_) => {
            let schema = Arc::new(Schema::new(vec![
                Field::new("name", DataType::Utf8, false),
                Field::new("catalog", DataType::Utf8, true),
                Field::new("description", DataType::Utf8, true),
                Field::new("locationUri", DataType::Utf8, true),
            ]));
            let columns: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(vec!["default"])),
                Arc::new(StringArray::from(vec!["spark_catalog"])),
                Arc::new(StringArray::from(vec![Some("Ember's session catalog")])),
                Arc::new(StringArray::from(vec![Option::<&str>::None])),
            ];
            frame(ctx, RecordBatch::try_new(schema, columns)?)
        }
        CatType::ListTables(l) => {
            if l.db_name
                .as_deref()
                .is_some_and(|d| !d.eq_ignore_ascii_case("default"))
            {
                return Err(EmberError::execution(format!(
                    "database '{}' not found (Ember has one: default)",
                    l.db_name.as_deref().unwrap_or_default()
                )));
            }
            let pattern = l.pattern.as_deref().map(pattern_regex).transpose()?;
            list_tables(ctx, pattern.as_ref())
        }
        CatType::TableExists(t) => {
            let exists = ctx.has_entry(&t.table_name);
            one_bool(ctx, exists)
        }
        CatType::DropTempView(v) => {
            let is_view = matches!(
                ctx.state
                    .tables
                    .read()
                    .map_err(|_| EmberError::internal("catalog lock poisoned"))?
                    .get(&v.view_name.to_lowercase()),
                Some(Entry::View(_))
            );
            if is_view {
                ctx.remove_entry(&v.view_name)?;
            }
            one_bool(ctx, is_view)
        }
        other => {
            let debug = format!("{other:?}");
            Err(unsupported(format!(
                "catalog call: {}",
                debug.split('(').next().unwrap_or("?")
            )))
        }
    }
}

fn list_tables(ctx: &SessionContext, pattern: Option<&regex::Regex>) -> Result<DataFrame> {
    let tables = ctx
        .state
        .tables
        .read()
        .map_err(|_| EmberError::internal("catalog lock poisoned"))?;
    let mut names = Vec::new();
    let mut kinds = Vec::new();
    let mut temporary = Vec::new();
    let mut namespaces = ListBuilder::new(StringBuilder::new());
    for (name, entry) in tables.iter() {
        if pattern.is_some_and(|p| !p.is_match(name)) {
            continue;
        }
        let view = matches!(entry, Entry::View(_));
        names.push(name.clone());
        kinds.push(if view { "TEMPORARY" } else { "MANAGED" });
        temporary.push(view);
        if !view {
            namespaces.values().append_value("default");
        }
        namespaces.append(true);
    }
    let n = names.len();
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, false),
        Field::new("catalog", DataType::Utf8, true),
        Field::new(
            "namespace",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("description", DataType::Utf8, true),
        Field::new("tableType", DataType::Utf8, false),
        Field::new("isTemporary", DataType::Boolean, false),
    ]));
    let catalogs: Vec<Option<&str>> = temporary
        .iter()
        .map(|t| if *t { None } else { Some("spark_catalog") })
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(names)),
        Arc::new(StringArray::from(catalogs)),
        Arc::new(namespaces.finish()),
        Arc::new(StringArray::from(vec![Option::<&str>::None; n])),
        Arc::new(StringArray::from(kinds)),
        Arc::new(BooleanArray::from(temporary)),
    ];
    drop(tables);
    frame(ctx, RecordBatch::try_new(schema, columns)?)
}

/// Spark's table name pattern (`*` any characters, `|` alternatives) as a regex.
fn pattern_regex(p: &str) -> Result<regex::Regex> {
    let alternatives: Vec<String> = p
        .split('|')
        .map(|a| regex::escape(a.trim()).replace("\\*", ".*"))
        .collect();
    regex::Regex::new(&format!("(?i)^(?:{})$", alternatives.join("|")))
        .map_err(|e| EmberError::execution(format!("bad table pattern '{p}': {e}")))
}

fn one_string(ctx: &SessionContext, name: &str, value: &str) -> Result<DataFrame> {
    let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, false)]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec![value]))])?;
    frame(ctx, batch)
}

fn one_bool(ctx: &SessionContext, value: bool) -> Result<DataFrame> {
    let schema = Arc::new(Schema::new(vec![Field::new(
        "value",
        DataType::Boolean,
        false,
    )]));
    let batch = RecordBatch::try_new(schema, vec![Arc::new(BooleanArray::from(vec![value]))])?;
    frame(ctx, batch)
}

fn frame(ctx: &SessionContext, batch: RecordBatch) -> Result<DataFrame> {
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
    let plan = LogicalPlanBuilder::scan("catalog", Arc::new(Table::new(table)))?.build();
    Ok(DataFrame::new(ctx.clone(), plan))
}
