//! An estimate of a plan's output rows and where it came from.
//!
//! In: nothing but numbers. Out: [`Estimate`], the row count with its
//! [`EstimateSource`]. A node's estimate is as trustworthy as the weakest step that
//! went into it: its own (a counted table, file statistics, a fixed selectivity) and
//! every input's, so a filter guessed over an exactly counted scan is a guess.

use std::fmt;

/// Where an estimate came from, weakest first: an estimate built from several
/// steps takes the weakest of them ([`EstimateSource::weakest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum EstimateSource {
    /// A fixed selectivity or another heuristic (a table without a row count, a filter
    /// with no statistics on its columns, the groups of an aggregate).
    Guess,
    /// Statistics a source read from its files' metadata (Parquet footers' row counts,
    /// column min/max and null counts), or formulas over a table's column statistics
    /// (distinct counts from min/max, range selectivities). The default for
    /// [`crate::catalog::Statistics`], as sources mostly read them.
    #[default]
    Statistics,
    /// A count known without any assumption: an in-memory table's rows, VALUES, a
    /// global aggregate's single row, a LIMIT over an exact input.
    Exact,
}

impl EstimateSource {
    /// The weaker of two sources.
    pub fn weakest(self, other: EstimateSource) -> EstimateSource {
        self.min(other)
    }

    /// A one-word name for EXPLAIN: `exact`, `stats` or `guess`.
    pub fn name(self) -> &'static str {
        match self {
            EstimateSource::Exact => "exact",
            EstimateSource::Statistics => "stats",
            EstimateSource::Guess => "guess",
        }
    }

    /// A short phrase for a reader: what kind of knowledge the estimate rests on.
    pub fn description(self) -> &'static str {
        match self {
            EstimateSource::Exact => "exact count",
            EstimateSource::Statistics => "statistics",
            EstimateSource::Guess => "default guess",
        }
    }
}

impl fmt::Display for EstimateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Estimated output rows of a plan node, and the weakest knowledge they rest on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Estimated rows.
    pub rows: f64,
    /// Where the estimate came from.
    pub source: EstimateSource,
}

impl Estimate {
    /// `rows` from `source`.
    pub fn new(rows: f64, source: EstimateSource) -> Self {
        Estimate { rows, source }
    }

    /// An exact count.
    pub fn exact(rows: f64) -> Self {
        Estimate::new(rows, EstimateSource::Exact)
    }

    /// A guess.
    pub fn guess(rows: f64) -> Self {
        Estimate::new(rows, EstimateSource::Guess)
    }

    /// The same rows, with the weaker of this source and `source`.
    pub fn weakened(self, source: EstimateSource) -> Self {
        Estimate::new(self.rows, self.source.weakest(source))
    }

    /// max(estimate / actual, actual / estimate), each counted as at least one row:
    /// 1 for a perfect estimate, and as large as the factor it was off by.
    pub fn q_error(&self, actual: u64) -> f64 {
        q_error(self.rows, actual)
    }
}

/// max(estimated / actual, actual / estimated), both counted as at least one row.
pub fn q_error(estimated: f64, actual: u64) -> f64 {
    let e = estimated.max(1.0);
    let a = (actual as f64).max(1.0);
    (e / a).max(a / e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weakest_source_wins() {
        use EstimateSource::*;
        assert_eq!(Exact.weakest(Guess), Guess);
        assert_eq!(Statistics.weakest(Exact), Statistics);
        assert_eq!(Exact.weakest(Exact), Exact);
        assert_eq!(Estimate::exact(5.0).weakened(Statistics).source, Statistics);
    }

    #[test]
    fn q_error_is_symmetric_and_at_least_one() {
        assert_eq!(q_error(10.0, 10), 1.0);
        assert_eq!(q_error(100.0, 10), 10.0);
        assert_eq!(q_error(10.0, 100), 10.0);
        // Zero rows count as one on either side.
        assert_eq!(q_error(0.0, 0), 1.0);
        assert_eq!(q_error(4.0, 0), 4.0);
        assert_eq!(q_error(0.3, 3), 3.0);
    }
}
