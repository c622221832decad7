//! Where CSV records start: a byte-level scanner that follows quoting exactly as the
//! Arrow CSV reader (csv-core) does, so that errors can name physical lines.
//!
//! In: the bytes of one file and its delimiter. Out: [`CheckedReader`], a reader that
//! passes the bytes through and fails at the end of the file when a quoted field was
//! never closed (naming the line and column of its opening quote), and [`find_record`],
//! the line on which the n-th record starts and its number of fields (records and lines
//! differ when quoted fields hold line breaks or blank lines are skipped).
//!
//! Quoting follows csv-core's defaults: `"` opens a quoted field only at the start of a
//! field, `""` inside one is a quote, `\r`, `\n` and `\r\n` end a record, and empty
//! lines are no records. The reader's check runs on every byte read, so it jumps from
//! quote to quote with `memchr` and counts no lines; lines are counted only once
//! something is wrong. May import: `std`, `memchr`.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

/// Where the scanner is inside the CSV grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before a record (blank lines are skipped here).
    StartRecord,
    /// At the start of a field.
    StartField,
    /// Inside an unquoted field.
    InField,
    /// Inside a quoted field.
    InQuoted,
    /// Just after a quote inside a quoted field: it closes the field or, doubled,
    /// stands for a quote.
    QuoteInQuoted,
}

impl State {
    /// The state after byte `b`.
    #[inline]
    fn next(self, b: u8, delimiter: u8) -> State {
        match self {
            State::StartRecord if b == b'\n' || b == b'\r' => State::StartRecord,
            State::StartRecord | State::StartField if b == b'"' => State::InQuoted,
            State::InQuoted if b == b'"' => State::QuoteInQuoted,
            State::InQuoted => State::InQuoted,
            State::QuoteInQuoted if b == b'"' => State::InQuoted,
            _ if b == delimiter => State::StartField,
            _ if b == b'\n' || b == b'\r' => State::StartRecord,
            _ => State::InField,
        }
    }
}

/// A line and column (1-based; columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// The line.
    pub line: u64,
    /// The column.
    pub column: u64,
}

/// A quoted field still open at the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnterminatedQuote {
    /// Where its opening quote is.
    pub at: Position,
}

impl fmt::Display for UnterminatedQuote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: unterminated quoted field (the quote opened here is \
             never closed, so the rest of the file would be one value)",
            self.at.line, self.at.column
        )
    }
}

impl std::error::Error for UnterminatedQuote {}

/// Passes a CSV file's bytes through, failing at its end with an [`UnterminatedQuote`]
/// (as the source of an `InvalidData` I/O error) when a quoted field was never closed.
pub(crate) struct CheckedReader<R> {
    inner: R,
    delimiter: u8,
    state: State,
    /// Bytes read so far.
    offset: u64,
    /// Where the latest quoted field opened.
    quote_offset: u64,
    /// The unclosed quote, once found.
    fault: Option<UnterminatedQuote>,
}

impl<R: Read + Seek> CheckedReader<R> {
    /// Wraps `inner`, a CSV file with fields separated by `delimiter`, read from its
    /// start.
    pub(crate) fn new(inner: R, delimiter: u8) -> Self {
        CheckedReader {
            inner,
            delimiter,
            state: State::StartRecord,
            offset: 0,
            quote_offset: 0,
            fault: None,
        }
    }

    /// Follows `bytes`, remembering where the latest quoted field opened. Only quotes
    /// can open or close a quoted field, so this jumps from quote to quote (memchr)
    /// and looks at the bytes around each; the state between quotes follows from the
    /// byte before the next quote, or the chunk's last byte.
    fn follow(&mut self, bytes: &[u8]) {
        let d = self.delimiter;
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            match self.state {
                State::InQuoted => match memchr::memchr(b'"', rest) {
                    Some(q) => {
                        self.state = State::QuoteInQuoted;
                        i += q + 1;
                    }
                    None => break,
                },
                State::QuoteInQuoted => {
                    self.state = self.state.next(rest[0], d);
                    i += 1;
                }
                _ => {
                    // Outside quotes, after a run of other bytes the state depends on
                    // the run's last byte alone (a delimiter starts a field, a line
                    // break a record, anything else is inside a field).
                    let Some(q) = memchr::memchr(b'"', rest) else {
                        if let Some(&last) = rest.last() {
                            self.state = State::InField.next(last, d);
                        }
                        break;
                    };
                    if q > 0 {
                        self.state = State::InField.next(rest[q - 1], d);
                    }
                    // The quote opens a field only at a field's start.
                    self.state = self.state.next(b'"', d);
                    if self.state == State::InQuoted {
                        self.quote_offset = self.offset + (i + q) as u64;
                    }
                    i += q + 1;
                }
            }
        }
        self.offset += bytes.len() as u64;
    }

    /// The unclosed quote, if the input read so far ends inside a quoted field.
    /// Finding its line reads the file again from the start.
    pub(crate) fn unterminated_quote(&mut self) -> Option<UnterminatedQuote> {
        if self.state != State::InQuoted {
            return None;
        }
        if self.fault.is_none() {
            let at = self
                .inner
                .seek(SeekFrom::Start(0))
                .and_then(|_| position_of(&mut self.inner, self.quote_offset))
                // Without a second read the byte offset still says where.
                .unwrap_or(Position {
                    line: 0,
                    column: self.quote_offset + 1,
                });
            let _ = self.inner.seek(SeekFrom::End(0));
            self.fault = Some(UnterminatedQuote { at });
        }
        self.fault
    }
}

impl<R: Read + Seek> Read for CheckedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if let Some(fault) = self.unterminated_quote() {
                return Err(io::Error::new(io::ErrorKind::InvalidData, fault));
            }
            return Ok(0);
        }
        self.follow(&buf[..n]);
        Ok(n)
    }
}

/// The line and column of byte `offset` of `input`.
fn position_of(input: &mut impl Read, offset: u64) -> io::Result<Position> {
    let mut at = Position { line: 1, column: 1 };
    let mut left = offset;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = input.read(&mut buf[..want])?;
        if n == 0 {
            break;
        }
        for &b in &buf[..n] {
            advance(&mut at, b);
        }
        left -= n as u64;
    }
    Ok(at)
}

/// Moves past byte `b`: a new line, or a new character unless `b` continues one.
#[inline]
fn advance(at: &mut Position, b: u8) {
    if b == b'\n' {
        at.line += 1;
        at.column = 1;
    } else if b & 0xC0 != 0x80 {
        at.column += 1;
    }
}

/// Where a record is: the line it starts on and how many fields it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordInfo {
    /// The line its first character is on.
    pub line: u64,
    /// Its fields.
    pub fields: u64,
}

/// Record `record` (1-based, the header counting as record 1) of `input`; `None` if
/// there are fewer records.
pub(crate) fn find_record(
    mut input: impl Read,
    delimiter: u8,
    record: u64,
) -> io::Result<Option<RecordInfo>> {
    let mut state = State::StartRecord;
    let mut at = Position { line: 1, column: 1 };
    let (mut started, mut ended) = (0u64, 0u64);
    let mut current = RecordInfo { line: 0, fields: 0 };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            // The last record may end with the file rather than a line break.
            return Ok((started == record && state != State::StartRecord).then_some(current));
        }
        for &b in &buf[..n] {
            let next = state.next(b, delimiter);
            if state == State::StartRecord && next != State::StartRecord {
                started += 1;
                current = RecordInfo {
                    line: at.line,
                    fields: 1,
                };
            }
            if next == State::StartField {
                current.fields += 1;
            }
            if next == State::StartRecord && state != State::StartRecord {
                ended += 1;
                if ended == record {
                    return Ok(Some(current));
                }
            }
            state = next;
            advance(&mut at, b);
        }
    }
}

/// The [`UnterminatedQuote`] inside an I/O error made by [`CheckedReader`], if any.
pub(crate) fn unterminated_quote_in(e: &io::Error) -> Option<UnterminatedQuote> {
    e.get_ref()?.downcast_ref::<UnterminatedQuote>().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_through(text: &str) -> io::Result<String> {
        let mut out = String::new();
        CheckedReader::new(io::Cursor::new(text.as_bytes()), b',').read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn an_unclosed_quote_fails_at_the_end_naming_where_it_opened() {
        let err = read_through("id,name\n1,a\n10,\"broken name\n11,b\n12,c\n").unwrap_err();
        let fault = unterminated_quote_in(&err).unwrap();
        assert_eq!(fault.at, Position { line: 3, column: 4 });
        assert!(
            fault
                .to_string()
                .starts_with("line 3, column 4: unterminated quoted field")
        );
        // Columns count characters, not bytes.
        let err = read_through("é,\"x\n").unwrap_err();
        assert_eq!(
            unterminated_quote_in(&err).unwrap().at,
            Position { line: 1, column: 3 }
        );
    }

    #[test]
    fn closed_quotes_doubled_quotes_and_mid_field_quotes_pass() {
        for text in [
            "a,b\n\"x\ny\",2\n",
            "a,b\n\"say \"\"hi\"\"\",2\n",
            "a,b\n5\"6,2\n",
            "a,b\n\"\",\"\"",
            "a,b\r\n\"q\"\r\n",
        ] {
            assert_eq!(read_through(text).unwrap(), text);
        }
        // A quote inside an unquoted field is a character, not an opening quote.
        assert!(read_through("a,b\nx\"y,2\n").is_ok());
    }

    #[test]
    fn jumping_between_quotes_agrees_with_the_byte_by_byte_grammar() {
        // Pseudo-random texts over the bytes that matter, read in uneven chunks.
        let mut seed = 0x2545_f491_u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize
        };
        for _ in 0..2000 {
            let len = next() % 40;
            let text: Vec<u8> = (0..len).map(|_| b"a,\"\n\r"[next() % 5]).collect();
            let mut state = State::StartRecord;
            let mut opened = 0;
            for (i, &b) in text.iter().enumerate() {
                let to = state.next(b, b',');
                if to == State::InQuoted && matches!(state, State::StartRecord | State::StartField)
                {
                    opened = i as u64;
                }
                state = to;
            }
            let mut r = CheckedReader::new(io::Cursor::new(Vec::new()), b',');
            let mut at = 0;
            while at < text.len() {
                let step = (1 + next() % 7).min(text.len() - at);
                r.follow(&text[at..at + step]);
                at += step;
            }
            assert_eq!(r.state, state, "{:?}", String::from_utf8_lossy(&text));
            if state == State::InQuoted {
                assert_eq!(
                    r.quote_offset,
                    opened,
                    "{:?}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }

    #[test]
    fn records_start_on_physical_lines() {
        let text = "h1,h2\n\"a\nb\",1\n\n2,\"x\r\ny\",\"\"\r\n3,3,,";
        let at = |line, fields| Some(RecordInfo { line, fields });
        let find = |r| find_record(text.as_bytes(), b',', r).unwrap();
        assert_eq!(find(1), at(1, 2));
        assert_eq!(find(2), at(2, 2));
        // The blank line 4 is no record.
        assert_eq!(find(3), at(5, 3));
        // The last record ends with the file.
        assert_eq!(find(4), at(7, 4));
        assert_eq!(find(5), None);
        let tabs = "a\tb\n\"1\t2\"\t3\n4\t5\n";
        assert_eq!(find_record(tabs.as_bytes(), b'\t', 2).unwrap(), at(2, 2));
    }
}
