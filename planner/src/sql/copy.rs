//! `COPY`: query results or tables out to files, and files into tables.
//!
//! ```sql
//! COPY (query) TO 'path' [WITH] (FORMAT parquet, PARTITION_BY (c1, c2), COMPRESSION zstd, OVERWRITE true)
//! COPY t TO 'path' (FORMAT csv, HEADER true)
//! COPY t FROM 'file.csv' (HEADER true, DELIMITER ',')
//! ```
//!
//! sqlparser's COPY knows PostgreSQL's options only, so the statement is read here with
//! sqlparser's parser for the query, the names and the strings. In: the statement's
//! text. Out: [`Statement::CopyTo`] / [`Statement::CopyFrom`] with the options as
//! written (keys lower-cased); which options apply, and their values, the runtime's
//! writers and readers check.

use sqlparser::ast;
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use crate::error::{PlanError, Result};
use crate::sql::errors::{loc, parse_error};
use crate::sql::from::Ctes;
use crate::sql::statement::{SqlPlanner, Statement, object_name};

/// The value of a COPY or writer option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// The key alone (`HEADER`): true.
    Flag,
    /// One word, number or string.
    Text(String),
    /// A parenthesized list of names (`PARTITION_BY (a, b)`).
    List(Vec<String>),
}

impl OptionValue {
    /// The value as text: a flag is `true`, a list its names joined by `,`.
    pub fn as_text(&self) -> String {
        match self {
            OptionValue::Flag => "true".into(),
            OptionValue::Text(t) => t.clone(),
            OptionValue::List(l) => l.join(","),
        }
    }
}

/// What is copied out: a query, or a table or view by name.
enum CopySource {
    Query(Box<ast::Query>),
    Table(ast::ObjectName),
}

impl SqlPlanner<'_> {
    /// Plans `sql` if it is a COPY statement; `None` when it is something else.
    pub(crate) fn plan_copy(&self, sql: &str) -> Result<Option<Statement>> {
        let dialect = GenericDialect {};
        let mut p = Parser::new(&dialect)
            .try_with_sql(sql)
            .map_err(parse_error)?;
        if !p.parse_keyword(Keyword::COPY) {
            return Ok(None);
        }
        let source = if p.consume_token(&Token::LParen) {
            let q = p.parse_query().map_err(parse_error)?;
            p.expect_token(&Token::RParen).map_err(parse_error)?;
            CopySource::Query(q)
        } else {
            CopySource::Table(p.parse_object_name(false).map_err(parse_error)?)
        };
        let to = match p.expect_one_of_keywords(&[Keyword::TO, Keyword::FROM]) {
            Ok(Keyword::TO) => true,
            Ok(_) => false,
            Err(e) => return Err(parse_error(e)),
        };
        let path = p.parse_literal_string().map_err(parse_error)?;
        let options = parse_options(&mut p)?;
        match source {
            CopySource::Query(q) => {
                if !to {
                    return Err(PlanError::plan_at(
                        "COPY (query) FROM: a query cannot be copied into; name a table",
                        loc(q.as_ref()),
                    ));
                }
                Ok(Some(Statement::CopyTo {
                    plan: self.plan_top_query(&q)?,
                    path,
                    options,
                }))
            }
            CopySource::Table(name) => {
                if !to {
                    let table = object_name(&name)?;
                    self.target_table(&table, loc(&name))?;
                    return Ok(Some(Statement::CopyFrom {
                        table,
                        path,
                        options,
                    }));
                }
                // The table or view as FROM would find it (in remote mode, also a
                // table of the cluster's catalog).
                let plan = self.plan_table_name(&name, &Ctes::default())?.build();
                Ok(Some(Statement::CopyTo {
                    plan,
                    path,
                    options,
                }))
            }
        }
    }
}

/// `[WITH] (key [value], ...)`, then the end of the statement.
fn parse_options(p: &mut Parser) -> Result<Vec<(String, OptionValue)>> {
    let mut options = Vec::new();
    let with = p.parse_keyword(Keyword::WITH);
    if with || p.peek_token().token == Token::LParen {
        p.expect_token(&Token::LParen).map_err(parse_error)?;
        loop {
            let key = p.parse_identifier().map_err(parse_error)?.value;
            let value = match p.peek_token().token {
                Token::Comma | Token::RParen => OptionValue::Flag,
                Token::LParen => {
                    p.next_token();
                    let mut names = Vec::new();
                    loop {
                        names.push(p.parse_identifier().map_err(parse_error)?.value);
                        if !p.consume_token(&Token::Comma) {
                            break;
                        }
                    }
                    p.expect_token(&Token::RParen).map_err(parse_error)?;
                    OptionValue::List(names)
                }
                _ => {
                    let t = p.next_token();
                    match t.token {
                        Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => {
                            OptionValue::Text(s)
                        }
                        Token::Number(n, _) => OptionValue::Text(n),
                        Token::Word(w) => OptionValue::Text(w.value),
                        other => {
                            return Err(PlanError::Parse {
                                message: format!(
                                    "Expected: a value for COPY option '{key}', found: {other}"
                                ),
                                location: t.span.start.into(),
                            });
                        }
                    }
                }
            };
            options.push((key.to_ascii_lowercase(), value));
            if !p.consume_token(&Token::Comma) {
                break;
            }
        }
        p.expect_token(&Token::RParen).map_err(parse_error)?;
    }
    let _ = p.consume_token(&Token::SemiColon);
    let next = p.peek_token();
    if next.token != Token::EOF {
        return Err(PlanError::Parse {
            message: format!("Expected: end of statement, found: {}", next.token),
            location: next.span.start.into(),
        });
    }
    Ok(options)
}
