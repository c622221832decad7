//! Statements that define tables: `CREATE [TEMP] TABLE` with columns or `AS query`,
//! `ALTER TABLE`, `TRUNCATE`, `CREATE INDEX` and `DROP INDEX`.
//!
//! In: sqlparser's statements. Out: [`Statement`]s carrying an Arrow schema for the
//! declared columns: NOT NULL (and PRIMARY KEY) columns are non-nullable fields, a
//! `VARCHAR(n)` column carries its length in the field metadata under
//! [`MAX_LENGTH_KEY`], and PRIMARY KEY / UNIQUE become unique keys (column positions).
//! Whatever would change results and is not done — DEFAULT, CHECK, FOREIGN KEY,
//! `CHAR(n)` padding — is refused.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use sqlparser::ast::{self, ColumnOption, TableConstraint};

use crate::error::{PlanError, Result};
use crate::sql::errors::{loc, unsupported};
use crate::sql::statement::{SqlPlanner, Statement, object_name};
use crate::sql::types::sql_to_arrow_type;

/// Field metadata key holding the most characters a `VARCHAR(n)` column takes.
pub const MAX_LENGTH_KEY: &str = "ember.max_length";

/// Field metadata key marking a `SMALLINT` column (held as INTEGER, values checked to
/// fit 16 bits).
pub const SMALLINT_KEY: &str = "ember.smallint";

/// The columns and keys of a table being created.
#[derive(Debug, Clone)]
pub struct TableDefinition {
    /// The columns: names, types, NOT NULL as non-nullable fields, `VARCHAR(n)` lengths
    /// in the metadata.
    pub schema: SchemaRef,
    /// PRIMARY KEY and UNIQUE column sets (positions in `schema`); rows may not repeat
    /// a key whose columns are all non-NULL.
    pub unique_keys: Vec<Vec<usize>>,
}

/// What an `ALTER TABLE` changes.
#[derive(Debug, Clone)]
pub enum AlterTableOp {
    /// `ADD [COLUMN] [IF NOT EXISTS] name TYPE [NOT NULL]`: existing rows get NULL.
    AddColumn {
        /// The new column.
        field: Field,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP [COLUMN] [IF EXISTS] name`.
    DropColumn {
        /// The column.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `RENAME [COLUMN] old TO new`.
    RenameColumn {
        /// The column's name.
        old: String,
        /// Its new name.
        new: String,
    },
    /// `RENAME TO new`.
    RenameTable {
        /// The table's new name.
        new: String,
    },
}

impl SqlPlanner<'_> {
    /// `CREATE [TEMP] [OR REPLACE] TABLE [IF NOT EXISTS] name (columns) | AS query`.
    pub(crate) fn plan_create_table(&self, c: &ast::CreateTable) -> Result<Statement> {
        let refused: &[(&str, bool)] = &[
            ("CREATE EXTERNAL TABLE without STORED AS", c.external),
            ("UNLOGGED", c.unlogged),
            ("GLOBAL/LOCAL", c.global.is_some()),
            ("TRANSIENT/VOLATILE", c.transient || c.volatile),
            ("LIKE", c.like.is_some()),
            ("CLONE", c.clone.is_some()),
            ("LOCATION (use CREATE EXTERNAL TABLE)", c.location.is_some()),
            (
                "STORED AS (use CREATE EXTERNAL TABLE)",
                c.file_format.is_some(),
            ),
            ("PARTITION BY", c.partition_by.is_some()),
            ("ORDER BY", c.order_by.is_some()),
            (
                "CLUSTER BY",
                c.cluster_by.is_some() || c.clustered_by.is_some(),
            ),
            ("INHERITS", c.inherits.is_some()),
            ("PARTITION OF", c.partition_of.is_some()),
            ("ON COMMIT", c.on_commit.is_some()),
            (
                "table options",
                !matches!(c.table_options, ast::CreateTableOptions::None),
            ),
        ];
        if let Some((what, _)) = refused.iter().find(|(_, set)| *set) {
            return Err(unsupported(format!("CREATE TABLE ... {what}"), &c.name));
        }
        let name = object_name(&c.name)?;
        if let Some(query) = &c.query {
            if !c.columns.is_empty() || !c.constraints.is_empty() {
                return Err(unsupported(
                    "column definitions with CREATE TABLE AS (the query gives the columns)",
                    c,
                ));
            }
            return Ok(Statement::CreateTableAs {
                name,
                plan: self.plan_top_query(query)?,
                if_not_exists: c.if_not_exists,
                or_replace: c.or_replace,
            });
        }
        if c.columns.is_empty() {
            return Err(PlanError::plan_at(
                format!("CREATE TABLE {name} needs at least one column"),
                loc(&c.name),
            ));
        }
        let definition = table_definition(&c.columns, &c.constraints)?;
        Ok(Statement::CreateTable {
            name,
            definition,
            if_not_exists: c.if_not_exists,
            or_replace: c.or_replace,
        })
    }

    /// `ALTER TABLE [IF EXISTS] name op` with one operation.
    pub(crate) fn plan_alter_table(&self, a: &ast::AlterTable) -> Result<Statement> {
        use ast::AlterTableOperation as Op;
        let table = object_name(&a.name)?;
        if a.only || a.location.is_some() || a.on_cluster.is_some() || a.table_type.is_some() {
            return Err(unsupported("ALTER TABLE options", &a.name));
        }
        let [op] = a.operations.as_slice() else {
            return Err(unsupported(
                "ALTER TABLE with several operations (write one statement each)",
                &a.name,
            ));
        };
        let op = match op {
            Op::AddColumn {
                if_not_exists,
                column_def,
                column_position: None,
                ..
            } => {
                let (field, unique) = column_field(column_def)?;
                if unique {
                    return Err(unsupported(
                        "ALTER TABLE ADD COLUMN with PRIMARY KEY or UNIQUE",
                        column_def,
                    ));
                }
                AlterTableOp::AddColumn {
                    field,
                    if_not_exists: *if_not_exists,
                }
            }
            Op::DropColumn {
                column_names,
                if_exists,
                drop_behavior: None,
                ..
            } => {
                let [name] = column_names.as_slice() else {
                    return Err(unsupported("DROP of several columns", &a.name));
                };
                AlterTableOp::DropColumn {
                    name: name.value.clone(),
                    if_exists: *if_exists,
                }
            }
            Op::RenameColumn {
                old_column_name,
                new_column_name,
            } => AlterTableOp::RenameColumn {
                old: old_column_name.value.clone(),
                new: new_column_name.value.clone(),
            },
            Op::RenameTable { table_name } => {
                let (ast::RenameTableNameKind::As(n) | ast::RenameTableNameKind::To(n)) =
                    table_name;
                AlterTableOp::RenameTable {
                    new: object_name(n)?,
                }
            }
            other => return Err(unsupported(format!("ALTER TABLE {other}"), &a.name)),
        };
        Ok(Statement::AlterTable {
            table,
            if_exists: a.if_exists,
            op,
        })
    }

    /// `TRUNCATE [TABLE] name`.
    pub(crate) fn plan_truncate(&self, t: &ast::Truncate) -> Result<Statement> {
        let [target] = t.table_names.as_slice() else {
            return Err(PlanError::unsupported("TRUNCATE of several tables"));
        };
        if t.partitions.is_some()
            || t.identity.is_some()
            || t.cascade.is_some()
            || t.on_cluster.is_some()
            || target.only
        {
            return Err(unsupported("TRUNCATE options", &target.name));
        }
        Ok(Statement::Truncate {
            table: object_name(&target.name)?,
            if_exists: t.if_exists,
        })
    }

    /// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] [name] ON table (columns)`: no index is
    /// built (scans do not use one); a UNIQUE index is a unique key on the table.
    pub(crate) fn plan_create_index(&self, c: &ast::CreateIndex) -> Result<Statement> {
        if c.concurrently
            || c.r#async
            || !c.include.is_empty()
            || c.nulls_distinct == Some(false)
            || !c.with.is_empty()
            || c.predicate.is_some()
        {
            return Err(unsupported(
                "CREATE INDEX options (only CREATE [UNIQUE] INDEX name ON table (columns))",
                &c.table_name,
            ));
        }
        let columns = c
            .columns
            .iter()
            .map(index_column_name)
            .collect::<Result<Vec<_>>>()?;
        Ok(Statement::CreateIndex {
            name: c.name.as_ref().map(object_name).transpose()?,
            table: object_name(&c.table_name)?,
            columns,
            unique: c.unique,
            if_not_exists: c.if_not_exists,
        })
    }
}

/// The schema and keys of `CREATE TABLE`'s column list and table constraints.
fn table_definition(
    columns: &[ast::ColumnDef],
    constraints: &[TableConstraint],
) -> Result<TableDefinition> {
    let mut fields: Vec<Field> = Vec::with_capacity(columns.len());
    let mut unique_keys = Vec::new();
    let mut positions: HashMap<String, usize> = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        let (field, unique) = column_field(c)?;
        if positions
            .insert(field.name().to_ascii_lowercase(), i)
            .is_some()
        {
            return Err(PlanError::plan_at(
                format!("column '{}' specified more than once", field.name()),
                loc(c),
            ));
        }
        if unique {
            unique_keys.push(vec![i]);
        }
        fields.push(field);
    }
    for constraint in constraints {
        let (columns, primary) = match constraint {
            TableConstraint::PrimaryKey(pk) if pk.characteristics.is_none() => (&pk.columns, true),
            TableConstraint::Unique(u) if u.characteristics.is_none() => (&u.columns, false),
            other => {
                return Err(PlanError::unsupported(format!(
                    "table constraint '{other}' (PRIMARY KEY and UNIQUE are supported)"
                )));
            }
        };
        let mut key = Vec::with_capacity(columns.len());
        for c in columns {
            let name = index_column_name(c)?;
            let Some(&i) = positions.get(&name.to_ascii_lowercase()) else {
                return Err(PlanError::plan(format!(
                    "column '{name}' named in a key does not exist"
                )));
            };
            if primary {
                let f = fields[i].clone().with_nullable(false);
                fields[i] = f;
            }
            key.push(i);
        }
        unique_keys.push(key);
    }
    Ok(TableDefinition {
        schema: Arc::new(Schema::new(fields)),
        unique_keys,
    })
}

/// One column definition as a field, and whether it is a one-column key.
fn column_field(c: &ast::ColumnDef) -> Result<(Field, bool)> {
    let at = loc(c);
    let (data_type, max_length) = column_type(&c.data_type, at)?;
    let mut nullable = true;
    let mut unique = false;
    for option in &c.options {
        match &option.option {
            ColumnOption::Null => nullable = true,
            ColumnOption::NotNull => nullable = false,
            ColumnOption::PrimaryKey(pk) if pk.characteristics.is_none() => {
                nullable = false;
                unique = true;
            }
            ColumnOption::Unique(u) if u.characteristics.is_none() => unique = true,
            ColumnOption::Comment(_) => {}
            other => {
                return Err(unsupported(
                    format!(
                        "column option '{other}' (NULL, NOT NULL, PRIMARY KEY and UNIQUE are supported)"
                    ),
                    c,
                ));
            }
        }
    }
    let mut metadata = HashMap::new();
    match max_length {
        Some(ColumnLimit::Length(n)) => {
            metadata.insert(MAX_LENGTH_KEY.to_string(), n.to_string());
        }
        Some(ColumnLimit::SmallInt) => {
            metadata.insert(SMALLINT_KEY.to_string(), "true".to_string());
        }
        None => {}
    }
    let field = Field::new(c.name.value.clone(), data_type, nullable).with_metadata(metadata);
    Ok((field, unique))
}

/// A limit a column's type puts on its values beyond the Arrow type's own.
enum ColumnLimit {
    /// `VARCHAR(n)`: at most n characters.
    Length(u64),
    /// `SMALLINT`: held as INTEGER, values within 16 bits.
    SmallInt,
}

/// A column's type, and the limit on its values the type adds.
fn column_type(
    t: &ast::DataType,
    at: crate::error::Location,
) -> Result<(DataType, Option<ColumnLimit>)> {
    use ast::DataType as S;
    let length = |l: &Option<ast::CharacterLength>| match l {
        Some(ast::CharacterLength::IntegerLength { length, .. }) => {
            Some(ColumnLimit::Length(*length))
        }
        _ => None,
    };
    match t {
        S::Varchar(l) | S::CharacterVarying(l) | S::CharVarying(l) => {
            Ok((DataType::Utf8, length(l)))
        }
        S::SmallInt(_) | S::Int2(_) => Ok((DataType::Int32, Some(ColumnLimit::SmallInt))),
        S::Char(_) | S::Character(_) => Err(PlanError::unsupported_at(
            format!("column type {t}, which pads with blanks (use VARCHAR(n) or TEXT)"),
            at,
        )),
        other => Ok((sql_to_arrow_type(other, at)?, None)),
    }
}

/// The plain column name of an index or key column.
fn index_column_name(c: &ast::IndexColumn) -> Result<String> {
    match &c.column.expr {
        ast::Expr::Identifier(id) if c.operator_class.is_none() => Ok(id.value.clone()),
        other => Err(unsupported(
            format!("key or index on '{other}' (name plain columns)"),
            other,
        )),
    }
}
