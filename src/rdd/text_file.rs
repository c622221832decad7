//! A leaf RDD of the lines of a text file (Spark's `textFile`).
//!
//! In: a path and a minimum partition count. The file is cut into equal byte
//! ranges; a partition owns the lines that start inside its range, so a line
//! crossing a cut is read whole by the partition where it starts. Out: one
//! `String` per line, without its `\n` or `\r\n`. A missing file is an error
//! naming the path when the RDD is made; a line that is not UTF-8 fails the
//! task reading it, naming the path and byte offset.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::rdd::context::RddContext;
use crate::rdd::error::{RddError, Result};
use crate::rdd::rdd::{PartitionIter, Rdd};

impl RddContext {
    /// The lines of the file at `path`, in at least `min_partitions` (and at
    /// least 1) partitions of about equal bytes.
    pub fn text_file(
        self: &Arc<Self>,
        path: impl AsRef<Path>,
        min_partitions: usize,
    ) -> Result<Rdd<String>> {
        let path = path.as_ref().to_path_buf();
        let len = std::fs::metadata(&path)
            .map_err(|e| RddError::io(&path, e))?
            .len();
        let n = min_partitions.max(1);
        let name = format!("text_file {}", path.display());
        Ok(self.source(&name, n, move |p, _| {
            let start = range_start(len, n, p);
            let end = range_start(len, n, p + 1);
            Ok(Box::new(LineRange::open(&path, start, end)?) as PartitionIter<String>)
        }))
    }
}

/// The first byte of range `p` of `n` over `len` bytes.
fn range_start(len: u64, n: usize, p: usize) -> u64 {
    (u128::from(len) * p as u128 / n.max(1) as u128) as u64
}

/// The lines starting in `[pos, end)` of a file.
struct LineRange {
    path: PathBuf,
    reader: BufReader<File>,
    pos: u64,
    end: u64,
    failed: bool,
}

impl LineRange {
    /// Opens the file and moves to the first line starting at or after `start`.
    fn open(path: &Path, start: u64, end: u64) -> Result<Self> {
        let io = |e| RddError::io(path, e);
        let mut reader = BufReader::new(File::open(path).map_err(io)?);
        let mut pos = 0;
        if start > 0 {
            // The line containing byte start - 1 belongs to the previous range.
            reader.seek(SeekFrom::Start(start - 1)).map_err(io)?;
            let skipped = reader.skip_until(b'\n').map_err(io)?;
            pos = start - 1 + skipped as u64;
        }
        Ok(LineRange {
            path: path.to_path_buf(),
            reader,
            pos,
            end,
            failed: false,
        })
    }
}

impl Iterator for LineRange {
    type Item = Result<String>;
    fn next(&mut self) -> Option<Result<String>> {
        if self.failed || self.pos >= self.end {
            return None;
        }
        let mut line = Vec::new();
        let offset = self.pos;
        match self.reader.read_until(b'\n', &mut line) {
            Ok(0) => return None,
            Ok(read) => self.pos += read as u64,
            Err(e) => {
                self.failed = true;
                return Some(Err(RddError::io(&self.path, e)));
            }
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        Some(String::from_utf8(line).map_err(|_| {
            self.failed = true;
            RddError::Data {
                path: self.path.display().to_string(),
                message: format!("line at byte {offset} is not valid UTF-8"),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::rdd::{RddConfig, RddContext};

    fn temp_file(name: &str, text: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("ember-text-{}-{name}", std::process::id()));
        let written = std::fs::write(&path, text);
        assert!(written.is_ok(), "{written:?}");
        path
    }

    fn ctx() -> Arc<RddContext> {
        RddContext::new(RddConfig::default())
    }

    #[test]
    fn every_line_is_read_once_whatever_the_partitioning() {
        let lines: Vec<String> = (0..200)
            .map(|i| "x".repeat(i % 17) + &format!("line {i}"))
            .collect();
        let mut text = lines.join("\n");
        text.push('\n');
        let path = temp_file("lines.txt", text.as_bytes());
        let ctx = ctx();
        for partitions in [1, 2, 3, 7, 64, 5000] {
            let rdd = ctx.text_file(&path, partitions);
            let got = rdd.and_then(|r| r.collect()).unwrap_or_default();
            assert_eq!(got, lines, "{partitions} partitions");
        }
        let rdd = ctx.text_file(&path, 7).ok();
        assert_eq!(rdd.map(|r| r.num_partitions()), Some(7));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn crlf_last_line_without_newline_and_empty_lines() {
        let path = temp_file("crlf.txt", b"a\r\n\r\nbb\nlast");
        let got = ctx()
            .text_file(&path, 3)
            .and_then(|r| r.collect())
            .unwrap_or_default();
        assert_eq!(got, vec!["a", "", "bb", "last"]);
        let empty = temp_file("empty.txt", b"");
        assert_eq!(
            ctx().text_file(&empty, 4).and_then(|r| r.count()).ok(),
            Some(0)
        );
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(empty);
    }

    #[test]
    fn missing_file_names_the_path_and_bad_utf8_fails_the_task() {
        let error = ctx()
            .text_file("/no/such/dir/words.txt", 2)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("/no/such/dir/words.txt"), "{error}");
        let path = temp_file("bad.txt", b"ok\n\xff\xfe\n");
        let error = ctx()
            .text_file(&path, 1)
            .and_then(|r| r.collect())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("not valid UTF-8") && error.contains("byte 3"),
            "{error}"
        );
        let _ = std::fs::remove_file(path);
    }
}
