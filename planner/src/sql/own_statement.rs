//! The statements Ember reads itself because sqlparser's generic dialect does not:
//! `CREATE [OR REPLACE] EXTERNAL TABLE [IF NOT EXISTS] name STORED AS PARQUET|CSV
//! LOCATION 'path' [OPTIONS ('key' 'value', ...)]`, `CACHE TABLE name`, `UNCACHE TABLE name`.
//!
//! In: the statement's non-blank tokens. Out: the [`Statement`], or `None` when the
//! tokens are some other statement (left to sqlparser).

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::error::{Location, PlanError, Result};
use crate::sql::statement::{FileFormat, Statement};

/// Statements Ember reads itself; `None` when the text is not one of them.
pub(crate) fn own_statement(words: &[TokenWithSpan]) -> Result<Option<Statement>> {
    let mut r = Words { words, pos: 0 };
    if r.keyword(Keyword::CACHE) {
        r.expect(Keyword::TABLE)?;
        let name = r.ident()?;
        r.end()?;
        return Ok(Some(Statement::CacheTable { name }));
    }
    if r.keyword(Keyword::UNCACHE) {
        r.expect(Keyword::TABLE)?;
        let name = r.ident()?;
        r.end()?;
        return Ok(Some(Statement::UncacheTable { name }));
    }
    if !r.keyword(Keyword::CREATE) {
        return Ok(None);
    }
    let or_replace = r.keyword(Keyword::OR);
    if or_replace && !r.keyword(Keyword::REPLACE) {
        return Ok(None);
    }
    if !r.keyword(Keyword::EXTERNAL) {
        return Ok(None);
    }
    r.expect(Keyword::TABLE)?;
    let if_not_exists = if r.keyword(Keyword::IF) {
        r.expect(Keyword::NOT)?;
        r.expect(Keyword::EXISTS)?;
        true
    } else {
        false
    };
    let name = r.ident()?;
    if r.peek_is(&Token::LParen) {
        return Err(PlanError::unsupported_at(
            "column definitions in CREATE EXTERNAL TABLE (the schema comes from the files)",
            r.location(),
        ));
    }
    r.expect(Keyword::STORED)?;
    r.expect(Keyword::AS)?;
    let format_at = r.location();
    let format = match r.ident()?.to_ascii_lowercase().as_str() {
        "parquet" => FileFormat::Parquet,
        "csv" => FileFormat::Csv,
        other => {
            return Err(PlanError::unsupported_at(
                format!("file format '{other}'"),
                format_at,
            ));
        }
    };
    r.expect(Keyword::LOCATION)?;
    let location = r.string()?;
    let mut options = Vec::new();
    if r.keyword(Keyword::OPTIONS) {
        r.expect_token(&Token::LParen)?;
        while !r.peek_is(&Token::RParen) {
            let key = r.string_or_ident()?.to_ascii_lowercase();
            r.optional_token(&Token::Eq);
            let value = r.string_or_ident()?;
            options.push((key, value));
            if !r.optional_token(&Token::Comma) {
                break;
            }
        }
        r.expect_token(&Token::RParen)?;
    }
    r.end()?;
    Ok(Some(Statement::CreateExternalTable {
        name,
        location,
        format,
        options,
        if_not_exists,
        or_replace,
    }))
}

/// A cursor over non-blank tokens.
struct Words<'t> {
    words: &'t [TokenWithSpan],
    pos: usize,
}

impl Words<'_> {
    fn peek(&self) -> Option<&TokenWithSpan> {
        self.words.get(self.pos)
    }

    fn location(&self) -> Location {
        match self.peek().or_else(|| self.words.last()) {
            Some(t) => t.span.start.into(),
            None => Location::default(),
        }
    }

    fn peek_is(&self, token: &Token) -> bool {
        self.peek().is_some_and(|t| &t.token == token)
    }

    fn keyword(&mut self, k: Keyword) -> bool {
        let hit = matches!(self.peek(), Some(TokenWithSpan { token: Token::Word(w), .. }) if w.keyword == k && w.quote_style.is_none());
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn error(&self, expected: &str) -> PlanError {
        let found = match self.peek() {
            Some(t) => t.token.to_string(),
            None => "end of input".to_string(),
        };
        PlanError::Parse {
            message: format!("Expected: {expected}, found: {found}"),
            location: self.location(),
        }
    }

    fn expect(&mut self, k: Keyword) -> Result<()> {
        if self.keyword(k) {
            Ok(())
        } else {
            Err(self.error(&format!("{k:?}")))
        }
    }

    fn optional_token(&mut self, token: &Token) -> bool {
        let hit = self.peek_is(token);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_token(&mut self, token: &Token) -> Result<()> {
        if self.optional_token(token) {
            Ok(())
        } else {
            Err(self.error(&token.to_string()))
        }
    }

    fn ident(&mut self) -> Result<String> {
        match self.peek() {
            Some(TokenWithSpan {
                token: Token::Word(w),
                ..
            }) => {
                let v = w.value.clone();
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error("a name")),
        }
    }

    fn string(&mut self) -> Result<String> {
        match self.peek() {
            Some(TokenWithSpan {
                token: Token::SingleQuotedString(s),
                ..
            }) => {
                let v = s.clone();
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.error("a quoted string")),
        }
    }

    fn string_or_ident(&mut self) -> Result<String> {
        match self.peek() {
            Some(TokenWithSpan {
                token: Token::Number(s, _),
                ..
            }) => {
                let v = s.clone();
                self.pos += 1;
                Ok(v)
            }
            Some(TokenWithSpan {
                token: Token::Word(_),
                ..
            }) => self.ident(),
            _ => self.string(),
        }
    }

    fn end(&mut self) -> Result<()> {
        self.optional_token(&Token::SemiColon);
        match self.peek() {
            None
            | Some(TokenWithSpan {
                token: Token::EOF, ..
            }) => Ok(()),
            Some(_) => Err(self.error("end of statement")),
        }
    }
}
