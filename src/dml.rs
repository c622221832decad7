//! Statements that create and change tables in the session's catalog: CREATE TABLE
//! (columns or AS query), INSERT, UPDATE, DELETE, TRUNCATE, ALTER TABLE, DROP TABLE,
//! CREATE/DROP INDEX.
//!
//! In: planned [`Statement`] parts (queries already planned against the catalog).
//! Out: the catalog changed, or an error with the table as it was: every statement
//! computes the table's new rows completely (converted, checked against NOT NULL,
//! lengths and unique keys) before it swaps them in. Writes to one table are
//! serialized; queries running meanwhile read the rows they started with.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use ember_planner::sql::{AlterTableOp, TableDefinition};
use ember_planner::{LogicalPlan, PlanError};

use crate::context::{Entry, SessionContext};
use crate::dataframe::DataFrame;
use crate::error::{EmberError, Result};
use crate::sources::ManagedTable;
use crate::sources::external::ExternalTable;
use crate::write::conform::Target;
use crate::write::{SaveMode, WriteFormat, WriteOptions, write_rdd};
use ember_planner::sql::OptionValue;

/// What a statement wrote, for its `count` result.
pub(crate) type Count = usize;

impl SessionContext {
    /// `CREATE TABLE name (columns)`.
    pub(crate) fn create_table(
        &self,
        name: &str,
        definition: TableDefinition,
        if_not_exists: bool,
        or_replace: bool,
    ) -> Result<()> {
        if !self.may_create(name, if_not_exists, or_replace)? {
            return Ok(());
        }
        let table = ManagedTable::try_new(definition.schema, definition.unique_keys)?;
        self.put_entry(name, Entry::Managed(Arc::new(table)))
    }

    /// `CREATE TABLE name AS query`: the query's columns (all nullable) and rows.
    pub(crate) fn create_table_as(
        &self,
        name: &str,
        plan: LogicalPlan,
        if_not_exists: bool,
        or_replace: bool,
    ) -> Result<Count> {
        if !self.may_create(name, if_not_exists, or_replace)? {
            return Ok(0);
        }
        let df = DataFrame::new(self.clone(), plan);
        let table = self.table_from_frame(&df)?;
        let rows = table.num_rows();
        self.put_entry(name, Entry::Managed(Arc::new(table)))?;
        Ok(rows)
    }

    /// A new table holding `df`'s columns (all nullable; untyped NULL columns become
    /// VARCHAR) and rows.
    pub(crate) fn table_from_frame(&self, df: &DataFrame) -> Result<ManagedTable> {
        let schema = df.schema();
        let mut fields = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            if fields
                .iter()
                .any(|g: &Field| g.name().eq_ignore_ascii_case(f.name()))
            {
                return Err(EmberError::execution(format!(
                    "column '{}' specified more than once; give the columns distinct names",
                    f.name()
                )));
            }
            let t = match f.data_type() {
                DataType::Null => DataType::Utf8,
                t => t.clone(),
            };
            fields.push(Field::new(f.name(), t, true));
        }
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let table = ManagedTable::try_new(schema.clone(), vec![])?;
        let target = Target {
            name: "new table",
            schema: &schema,
            partition: None,
        };
        let rows = conform_whole_rows(&target, df.collect()?)?;
        table.replace(rows, self.config().target_partitions)?;
        Ok(table)
    }

    /// Whether CREATE may go on: false for IF NOT EXISTS over an existing name; an
    /// error for an existing name otherwise (unless OR REPLACE).
    fn may_create(&self, name: &str, if_not_exists: bool, or_replace: bool) -> Result<bool> {
        if !self.has_entry(name) || or_replace {
            if or_replace {
                self.check_no_dependents(name, "replace")?;
            }
            return Ok(true);
        }
        if if_not_exists {
            return Ok(false);
        }
        Err(PlanError::plan(format!("table '{name}' already exists")).into())
    }

    /// `INSERT [OVERWRITE] INTO table ...`.
    pub(crate) fn insert(
        &self,
        table: &str,
        source: LogicalPlan,
        columns: &[Option<usize>],
        overwrite: bool,
    ) -> Result<Count> {
        let df = DataFrame::new(self.clone(), source);
        match self.writable(table)? {
            Writable::Managed(t) => {
                let _guard = t.lock_writes();
                let schema = t.schema_ref();
                let target = Target {
                    name: table,
                    schema: &schema,
                    partition: None,
                };
                let new_rows = conform_all(&target, df.collect()?, columns)?;
                let added: usize = new_rows.iter().map(|b| b.num_rows()).sum();
                let mut rows = if overwrite { Vec::new() } else { t.batches() };
                let before: usize = rows.iter().map(|b| b.num_rows()).sum();
                rows.extend(new_rows);
                target.check_unique(&rows, &t.unique_keys(), before)?;
                t.replace(rows, self.config().target_partitions)?;
                Ok(added)
            }
            Writable::Files(entry) => self.insert_files(table, &entry, df, columns, overwrite),
        }
    }

    /// `UPDATE table SET ...`: `rows` is every row of the table after the update.
    pub(crate) fn update(&self, table: &str, rows: LogicalPlan) -> Result<Count> {
        let t = self.managed(table, "UPDATE")?;
        let _guard = t.lock_writes();
        let schema = t.schema_ref();
        // The last column says whether the row was updated: counted, then dropped.
        let mut updated = 0;
        let mut batches = Vec::new();
        for b in DataFrame::new(self.clone(), rows).collect()? {
            let last = b.num_columns().saturating_sub(1);
            let flags = b
                .column(last)
                .as_boolean_opt()
                .ok_or_else(|| EmberError::internal("UPDATE's rows lack their updated flag"))?;
            updated += flags.true_count();
            batches.push(b.project(&(0..last).collect::<Vec<_>>())?);
        }
        let target = Target {
            name: table,
            schema: &schema,
            partition: None,
        };
        let rows = conform_whole_rows(&target, batches)?;
        target.check_unique(&rows, &t.unique_keys(), 0)?;
        t.replace(rows, self.config().target_partitions)?;
        Ok(updated)
    }

    /// `DELETE FROM table [WHERE ...]`: `keep` holds the rows that stay.
    pub(crate) fn delete(&self, table: &str, keep: Option<LogicalPlan>) -> Result<Count> {
        let t = self.managed(table, "DELETE")?;
        let _guard = t.lock_writes();
        let before = t.num_rows();
        let rows = match keep {
            None => Vec::new(),
            Some(plan) => {
                let schema = t.schema_ref();
                let target = Target {
                    name: table,
                    schema: &schema,
                    partition: None,
                };
                conform_whole_rows(&target, DataFrame::new(self.clone(), plan).collect()?)?
            }
        };
        let after: usize = rows.iter().map(|b| b.num_rows()).sum();
        t.replace(rows, self.config().target_partitions)?;
        Ok(before - after.min(before))
    }

    /// `TRUNCATE table`.
    pub(crate) fn truncate(&self, table: &str, if_exists: bool) -> Result<()> {
        if if_exists && !self.has_entry(table) {
            return Ok(());
        }
        let t = self.managed(table, "TRUNCATE")?;
        let _guard = t.lock_writes();
        t.replace(Vec::new(), 1)
    }

    /// `ALTER TABLE table ...`.
    pub(crate) fn alter_table(&self, table: &str, if_exists: bool, op: AlterTableOp) -> Result<()> {
        if if_exists && !self.has_entry(table) {
            return Ok(());
        }
        if let AlterTableOp::RenameTable { new } = &op {
            return self.rename_entry(table, new);
        }
        let t = self.managed(table, "ALTER TABLE")?;
        self.check_no_dependents(table, "alter")?;
        let _guard = t.lock_writes();
        let schema = t.schema_ref();
        let position = |name: &str| {
            schema
                .fields()
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(name))
        };
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        let mut keys = t.unique_keys();
        let mut rows = t.batches();
        match op {
            AlterTableOp::AddColumn {
                field,
                if_not_exists,
            } => {
                if position(field.name()).is_some() {
                    if if_not_exists {
                        return Ok(());
                    }
                    return Err(EmberError::execution(format!(
                        "column '{}' of table '{table}' already exists",
                        field.name()
                    )));
                }
                if !field.is_nullable() && t.num_rows() > 0 {
                    return Err(EmberError::execution(format!(
                        "column '{}' is NOT NULL but table '{table}' has rows, which would hold NULL in it",
                        field.name()
                    )));
                }
                let t = field.data_type().clone();
                fields.push(field);
                rows = rows
                    .into_iter()
                    .map(|b| {
                        let mut columns = b.columns().to_vec();
                        columns.push(arrow::array::new_null_array(&t, b.num_rows()));
                        Ok(RecordBatch::try_new(
                            Arc::new(Schema::new(fields.clone())),
                            columns,
                        )?)
                    })
                    .collect::<Result<_>>()?;
            }
            AlterTableOp::DropColumn { name, if_exists } => {
                let Some(i) = position(&name) else {
                    if if_exists {
                        return Ok(());
                    }
                    return Err(missing_column(table, &name, &schema));
                };
                if fields.len() == 1 {
                    return Err(EmberError::execution(format!(
                        "cannot drop '{name}', the only column of table '{table}'"
                    )));
                }
                fields.remove(i);
                keys.retain(|k| !k.contains(&i));
                for k in &mut keys {
                    for c in k.iter_mut() {
                        if *c > i {
                            *c -= 1;
                        }
                    }
                }
                let keep: Vec<usize> = (0..schema.fields().len()).filter(|&c| c != i).collect();
                rows = rows
                    .iter()
                    .map(|b| Ok(b.project(&keep)?))
                    .collect::<Result<_>>()?;
            }
            AlterTableOp::RenameColumn { old, new } => {
                let Some(i) = position(&old) else {
                    return Err(missing_column(table, &old, &schema));
                };
                if position(&new).is_some_and(|j| j != i) {
                    return Err(EmberError::execution(format!(
                        "column '{new}' of table '{table}' already exists"
                    )));
                }
                fields[i] = Field::new(new, fields[i].data_type().clone(), fields[i].is_nullable())
                    .with_metadata(fields[i].metadata().clone());
            }
            AlterTableOp::RenameTable { .. } => {
                return Err(EmberError::internal("RENAME TO is handled above"));
            }
        }
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let rows = rows
            .into_iter()
            .map(|b| Ok(RecordBatch::try_new(schema.clone(), b.columns().to_vec())?))
            .collect::<Result<Vec<_>>>()?;
        let altered = ManagedTable::try_new(schema, keys)?;
        altered.replace(rows, self.config().target_partitions)?;
        self.put_entry(table, Entry::Managed(Arc::new(altered)))
    }

    /// `DROP TABLE [IF EXISTS] name`; a table a view reads cannot be dropped.
    pub(crate) fn drop_table(&self, name: &str, if_exists: bool) -> Result<()> {
        if !self.has_entry(name) {
            if if_exists {
                return Ok(());
            }
            let names = self.table_names();
            return Err(PlanError::not_found(
                "table",
                name,
                names.iter().map(String::as_str),
                Default::default(),
            )
            .into());
        }
        self.check_no_dependents(name, "drop")?;
        self.remove_entry(name)?;
        self.drop_indexes_of(name);
        Ok(())
    }

    /// `CREATE [UNIQUE] INDEX`: no index is built (scans do not use one); a UNIQUE
    /// index becomes a unique key of the table, checked now and on every write.
    /// Returns the notice to show.
    pub(crate) fn create_index(
        &self,
        name: Option<String>,
        table: &str,
        columns: &[String],
        unique: bool,
        if_not_exists: bool,
    ) -> Result<String> {
        let t = self.managed(table, "CREATE INDEX")?;
        let schema = t.schema_ref();
        let key = columns
            .iter()
            .map(|c| {
                schema
                    .fields()
                    .iter()
                    .position(|f| f.name().eq_ignore_ascii_case(c))
                    .ok_or_else(|| missing_column(table, c, &schema))
            })
            .collect::<Result<Vec<_>>>()?;
        let name = name.unwrap_or_else(|| format!("{table}_{}_idx", columns.join("_")));
        let mut indexes = self.indexes()?;
        if indexes.contains_key(&name.to_lowercase()) {
            if if_not_exists {
                return Ok(format!("index '{name}' already exists; nothing done"));
            }
            return Err(EmberError::execution(format!(
                "index '{name}' already exists"
            )));
        }
        if unique {
            let _guard = t.lock_writes();
            let target = Target {
                name: table,
                schema: &schema,
                partition: None,
            };
            target.check_unique(&t.batches(), std::slice::from_ref(&key), 0)?;
            t.add_unique_key(key.clone());
        }
        indexes.insert(
            name.to_lowercase(),
            (table.to_lowercase(), unique.then_some(key)),
        );
        Ok(if unique {
            format!(
                "index '{name}' created: no index is built, but rows of '{table}' are kept unique on ({})",
                columns.join(", ")
            )
        } else {
            format!("index '{name}' created: no index is built (Ember scans do not use indexes)")
        })
    }

    /// `DROP INDEX [IF EXISTS] name`.
    pub(crate) fn drop_index(&self, name: &str, if_exists: bool) -> Result<()> {
        let removed = self.indexes()?.remove(&name.to_lowercase());
        match removed {
            None if if_exists => Ok(()),
            None => Err(EmberError::execution(format!(
                "index '{name}' does not exist"
            ))),
            Some((table, key)) => {
                if let (Some(key), Ok(Writable::Managed(t))) = (key, self.writable(&table)) {
                    t.remove_unique_key(&key);
                }
                Ok(())
            }
        }
    }

    /// Forgets the indexes of a dropped table.
    fn drop_indexes_of(&self, table: &str) {
        if let Ok(mut indexes) = self.indexes() {
            indexes.retain(|_, (t, _)| !t.eq_ignore_ascii_case(table));
        }
    }

    /// INSERT into a table of files: the rows, converted to the table's columns in the
    /// write tasks, become new files in its folder (all of them, for OVERWRITE).
    fn insert_files(
        &self,
        table: &str,
        files: &Arc<ExternalTable>,
        df: DataFrame,
        columns: &[Option<usize>],
        overwrite: bool,
    ) -> Result<Count> {
        let _guard = files.lock_writes();
        if !std::path::Path::new(files.location()).is_dir() {
            return Err(EmberError::execution(format!(
                "cannot INSERT INTO '{table}': its location '{}' is not a folder (INSERT adds files to a folder)",
                files.location()
            )));
        }
        let schema = crate::sources::DataSource::schema(files.as_ref());
        let name = table.to_string();
        let columns = columns.to_vec();
        let conform_schema = schema.clone();
        let rdd = df.rdd()?.map_partitions("Conform", move |task, batches| {
            let (name, schema, columns) = (name.clone(), conform_schema.clone(), columns.clone());
            let partition = task.partition;
            let mut row = 1;
            let out: crate::rdd::PartitionIter<RecordBatch> = Box::new(batches.map(move |b| {
                let b = b?;
                let target = Target {
                    name: &name,
                    schema: &schema,
                    partition: Some(partition),
                };
                let converted = target.conform(&b, &columns, row)?;
                row += b.num_rows();
                Ok(converted)
            }));
            Ok(out)
        });
        let mut options = WriteOptions::new(WriteFormat::parse(files.format())?);
        options.mode = if overwrite {
            SaveMode::Overwrite
        } else {
            SaveMode::Append
        };
        options.partition_by = files.partition_columns();
        options.max_rows_per_file = self.config().max_rows_per_file;
        for (k, v) in files.options() {
            if matches!(k.as_str(), "header" | "has_header" | "delimiter") {
                options.set(
                    if k == "has_header" { "header" } else { k },
                    &OptionValue::Text(v.clone()),
                )?;
            }
        }
        let summary = write_rdd(&rdd, &schema, files.location(), &options)?;
        files.refresh()?;
        Ok(summary.rows)
    }

    /// The managed table `name`, for a statement that changes its rows in place.
    fn managed(&self, name: &str, what: &str) -> Result<Arc<ManagedTable>> {
        match self.writable(name)? {
            Writable::Managed(t) => Ok(t),
            Writable::Files(_) => Err(EmberError::Unsupported(format!(
                "{what} on '{name}', a table of files (INSERT INTO adds files to it)"
            ))),
        }
    }

    /// Fails when a view reads table `name` (it would see a table that no longer
    /// matches the plan it was made with).
    fn check_no_dependents(&self, name: &str, verb: &str) -> Result<()> {
        let Some(source) = self.entry_source(name) else {
            return Ok(());
        };
        let views = self.views_reading(&source);
        match views.first() {
            None => Ok(()),
            Some(v) => Err(EmberError::execution(format!(
                "cannot {verb} table '{name}': view '{v}' depends on it (drop the view first)"
            ))),
        }
    }
}

/// A table a statement can write to.
pub(crate) enum Writable {
    /// A table Ember owns, rows in memory.
    Managed(Arc<ManagedTable>),
    /// A table of files (CREATE EXTERNAL TABLE); writes add files.
    Files(Arc<ExternalTable>),
}

/// `batches` in the table's columns, rows numbered from 1 across batches.
/// [`conform_all`] for batches holding every column of the table, in its order.
fn conform_whole_rows(target: &Target, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
    let identity: Vec<Option<usize>> = (0..target.schema.fields().len()).map(Some).collect();
    conform_all(target, batches, &identity)
}

fn conform_all(
    target: &Target,
    batches: Vec<RecordBatch>,
    columns: &[Option<usize>],
) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::with_capacity(batches.len());
    let mut row = 1;
    for b in batches {
        out.push(target.conform(&b, columns, row)?);
        row += b.num_rows();
    }
    Ok(out)
}

fn missing_column(table: &str, name: &str, schema: &SchemaRef) -> EmberError {
    let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    PlanError::plan(format!(
        "table {table} has no column '{name}' (its columns: {})",
        columns.join(", ")
    ))
    .into()
}
