//! Types between Spark Connect and Arrow: Spark's `DataType` messages for schemas sent
//! to clients, and back from the messages and DDL strings (`"a INT, b STRING"`)
//! clients send (casts, `createDataFrame` schemas).
//!
//! In: Arrow types, Spark `DataType` messages, Spark type names. Out: the other side,
//! or an error naming the type Ember has no counterpart for. May import `arrow` and
//! `super::proto`.

use arrow::datatypes::{DataType, Field, Fields, IntervalUnit, TimeUnit};

use super::proto::DataType as SparkType;
use super::proto::data_type::{self as dt, Kind};

/// The Spark type of an Arrow column type.
pub fn to_spark(t: &DataType) -> Result<SparkType, String> {
    let kind = match t {
        DataType::Null => Kind::Null(dt::Null::default()),
        DataType::Boolean => Kind::Boolean(dt::Boolean::default()),
        DataType::Int8 => Kind::Byte(dt::Byte::default()),
        DataType::Int16 | DataType::UInt8 => Kind::Short(dt::Short::default()),
        DataType::Int32 | DataType::UInt16 => Kind::Integer(dt::Integer::default()),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Kind::Long(dt::Long::default()),
        DataType::Float16 | DataType::Float32 => Kind::Float(dt::Float::default()),
        DataType::Float64 => Kind::Double(dt::Double::default()),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => Kind::Decimal(dt::Decimal {
            precision: Some(i32::from(*p)),
            scale: Some(i32::from(*s)),
            type_variation_reference: 0,
        }),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Kind::String(dt::String::default())
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            Kind::Binary(dt::Binary::default())
        }
        DataType::Date32 | DataType::Date64 => Kind::Date(dt::Date::default()),
        DataType::Timestamp(_, Some(_)) => Kind::Timestamp(dt::Timestamp::default()),
        DataType::Timestamp(_, None) => Kind::TimestampNtz(dt::TimestampNtz::default()),
        DataType::Interval(IntervalUnit::YearMonth) => {
            Kind::YearMonthInterval(dt::YearMonthInterval::default())
        }
        DataType::Interval(_) => Kind::CalendarInterval(dt::CalendarInterval::default()),
        DataType::Duration(_) => Kind::DayTimeInterval(dt::DayTimeInterval::default()),
        DataType::List(f) | DataType::LargeList(f) => Kind::Array(Box::new(dt::Array {
            element_type: Some(Box::new(to_spark(f.data_type())?)),
            contains_null: f.is_nullable(),
            type_variation_reference: 0,
        })),
        DataType::Struct(fields) => Kind::Struct(struct_of(fields)?),
        DataType::Map(entries, _) => {
            let DataType::Struct(kv) = entries.data_type() else {
                return Err(format!("map type {t} without key and value"));
            };
            let (Some(k), Some(v)) = (kv.first(), kv.get(1)) else {
                return Err(format!("map type {t} without key and value"));
            };
            Kind::Map(Box::new(dt::Map {
                key_type: Some(Box::new(to_spark(k.data_type())?)),
                value_type: Some(Box::new(to_spark(v.data_type())?)),
                value_contains_null: v.is_nullable(),
                type_variation_reference: 0,
            }))
        }
        other => return Err(format!("type {other} has no Spark counterpart")),
    };
    Ok(SparkType { kind: Some(kind) })
}

/// A Spark struct type of Arrow fields (a schema).
pub fn struct_of(fields: &Fields) -> Result<dt::Struct, String> {
    let fields = fields
        .iter()
        .map(|f| {
            Ok(dt::StructField {
                name: f.name().clone(),
                data_type: Some(to_spark(f.data_type())?),
                nullable: f.is_nullable(),
                metadata: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(dt::Struct {
        fields,
        type_variation_reference: 0,
    })
}

/// The Arrow type Ember uses for a Spark type.
pub fn from_spark(t: &SparkType) -> Result<DataType, String> {
    let Some(kind) = &t.kind else {
        return Err("a data type without its kind".into());
    };
    Ok(match kind {
        Kind::Null(_) => DataType::Null,
        Kind::Boolean(_) => DataType::Boolean,
        Kind::Byte(_) => DataType::Int8,
        Kind::Short(_) => DataType::Int16,
        Kind::Integer(_) => DataType::Int32,
        Kind::Long(_) => DataType::Int64,
        Kind::Float(_) => DataType::Float32,
        Kind::Double(_) => DataType::Float64,
        Kind::Decimal(d) => decimal(d.precision.unwrap_or(10), d.scale.unwrap_or(0))?,
        Kind::String(_) | Kind::Char(_) | Kind::VarChar(_) => DataType::Utf8,
        Kind::Binary(_) => DataType::Binary,
        Kind::Date(_) => DataType::Date32,
        Kind::Timestamp(_) => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        Kind::TimestampNtz(_) => DataType::Timestamp(TimeUnit::Microsecond, None),
        Kind::Array(a) => {
            let element = a
                .element_type
                .as_deref()
                .ok_or("an array type without its element type")?;
            DataType::List(Field::new("element", from_spark(element)?, a.contains_null).into())
        }
        Kind::Struct(s) => DataType::Struct(
            s.fields
                .iter()
                .map(|f| {
                    let t = f
                        .data_type
                        .as_ref()
                        .ok_or_else(|| format!("struct field '{}' without a type", f.name))?;
                    Ok(Field::new(&f.name, from_spark(t)?, f.nullable))
                })
                .collect::<Result<Vec<_>, String>>()?
                .into(),
        ),
        Kind::Unparsed(u) => parse_type(&u.data_type_string)?,
        other => return Err(format!("Spark type {} is not supported", kind_name(other))),
    })
}

fn kind_name(k: &Kind) -> String {
    let debug = format!("{k:?}");
    debug.split('(').next().unwrap_or("?").to_string()
}

fn decimal(precision: i32, scale: i32) -> Result<DataType, String> {
    let (Ok(p), Ok(s)) = (u8::try_from(precision), i8::try_from(scale)) else {
        return Err(format!("DECIMAL({precision},{scale}) is out of range"));
    };
    if p == 0 || p > 38 || i32::from(s) > i32::from(p) {
        return Err(format!(
            "DECIMAL({precision},{scale}): expected a precision of 1 to 38 and a scale of at most the precision"
        ));
    }
    Ok(DataType::Decimal128(p, s))
}

/// A Spark type name (`int`, `bigint`, `string`, `decimal(10,2)`, `array<int>`) as an
/// Arrow type.
pub fn parse_type(text: &str) -> Result<DataType, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    if let Some(args) = lower
        .strip_prefix("decimal")
        .or_else(|| lower.strip_prefix("numeric"))
        .or_else(|| lower.strip_prefix("dec"))
    {
        let args = args.trim();
        if args.is_empty() {
            return decimal(10, 0);
        }
        let inner = args
            .strip_prefix('(')
            .and_then(|a| a.strip_suffix(')'))
            .ok_or_else(|| format!("cannot read the type '{t}'"))?;
        let mut parts = inner.split(',').map(|p| p.trim().parse::<i32>());
        let p = parts.next().and_then(|p| p.ok());
        let s = parts.next().map(|s| s.ok()).unwrap_or(Some(0));
        return match (p, s) {
            (Some(p), Some(s)) => decimal(p, s),
            _ => Err(format!("cannot read the type '{t}'")),
        };
    }
    if let Some(inner) = lower
        .strip_prefix("array<")
        .and_then(|r| r.strip_suffix('>'))
    {
        let element = parse_type(&t[6..6 + inner.len()])?;
        return Ok(DataType::List(Field::new("element", element, true).into()));
    }
    if lower.starts_with("varchar(") || lower.starts_with("char(") {
        return Ok(DataType::Utf8);
    }
    Ok(match lower.as_str() {
        "void" | "null" => DataType::Null,
        "boolean" | "bool" => DataType::Boolean,
        "tinyint" | "byte" => DataType::Int8,
        "smallint" | "short" => DataType::Int16,
        "int" | "integer" => DataType::Int32,
        "bigint" | "long" => DataType::Int64,
        "float" | "real" => DataType::Float32,
        "double" => DataType::Float64,
        "string" | "varchar" | "char" => DataType::Utf8,
        "binary" => DataType::Binary,
        "date" => DataType::Date32,
        "timestamp" | "timestamp_ltz" => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        "timestamp_ntz" => DataType::Timestamp(TimeUnit::Microsecond, None),
        _ => return Err(format!("unsupported type '{t}'")),
    })
}

/// A DDL schema (`"a INT, b STRING NOT NULL"`, also `"a: int"` and `struct<...>`) as
/// Arrow fields.
pub fn parse_ddl(text: &str) -> Result<Vec<Field>, String> {
    let mut t = text.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("struct<") && t.ends_with('>') {
        t = &t[7..t.len() - 1];
    }
    let mut fields = Vec::new();
    for part in split_top_level(t) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (name, rest) = split_name(part)
            .ok_or_else(|| format!("cannot read the column '{part}' of the schema '{text}'"))?;
        let rest = rest.trim().trim_start_matches(':').trim();
        let (type_text, nullable) = match rest.to_ascii_lowercase().strip_suffix("not null") {
            Some(_) => (rest[..rest.len() - 8].trim(), false),
            None => (rest, true),
        };
        fields.push(Field::new(name, parse_type(type_text)?, nullable));
    }
    if fields.is_empty() {
        return Err(format!("the schema '{text}' has no columns"));
    }
    Ok(fields)
}

/// `text` cut at commas outside `<>` and `()`.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '<' | '(' => depth += 1,
            '>' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A column name (plain or in backquotes) and the rest of its declaration.
fn split_name(part: &str) -> Option<(String, &str)> {
    if let Some(rest) = part.strip_prefix('`') {
        let end = rest.find('`')?;
        return Some((rest[..end].to_string(), &rest[end + 1..]));
    }
    let end = part.find(|c: char| c.is_whitespace() || c == ':')?;
    Some((part[..end].to_string(), &part[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddl_schemas_read_as_arrow_fields() {
        let f = parse_ddl("a INT, b decimal(10, 2) NOT NULL, `c d`: string").unwrap();
        assert_eq!(f[0], Field::new("a", DataType::Int32, true));
        assert_eq!(f[1], Field::new("b", DataType::Decimal128(10, 2), false));
        assert_eq!(f[2], Field::new("c d", DataType::Utf8, true));
        assert!(parse_ddl("a foo").unwrap_err().contains("foo"));
    }

    #[test]
    fn types_round_trip_through_spark() {
        for t in [
            DataType::Int64,
            DataType::Utf8,
            DataType::Decimal128(15, 2),
            DataType::Date32,
            DataType::Float64,
        ] {
            assert_eq!(from_spark(&to_spark(&t).unwrap()).unwrap(), t);
        }
    }
}
