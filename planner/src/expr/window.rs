//! Window calls: `func(args) OVER (PARTITION BY .. ORDER BY .. frame)`.
//!
//! A [`WindowCall`] sits inside [`Expr::Window`] while SQL is planned; the SQL planner
//! moves each into a [`crate::logical::LogicalPlan::Window`] node and reads its result
//! back as a column. Frames are always explicit here: the SQL default is filled in
//! when the call is built (see [`WindowFrame::default_for`]).

use std::fmt;

use arrow::datatypes::DataType;

use crate::error::{PlanError, Result};
use crate::expr::{AggFunc, Expr, SortExpr};
use crate::scalar::ScalarValue;
use crate::schema::PlanSchema;
use crate::types;

/// What a window call computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowFunc {
    /// An aggregate over the frame (count, sum, avg, min, max).
    Aggregate(AggFunc),
    /// 1, 2, 3, ... within the partition.
    RowNumber,
    /// Rank with gaps (peers share a rank).
    Rank,
    /// Rank without gaps.
    DenseRank,
    /// `(rank - 1) / (rows - 1)`, 0 for a one-row partition.
    PercentRank,
    /// Rows up to and including the current row's peers, over the partition's rows.
    CumeDist,
    /// The bucket 1..=n of an even split of the partition.
    Ntile,
    /// The value `offset` rows before (or a default).
    Lag,
    /// The value `offset` rows after (or a default).
    Lead,
    /// The value at the frame's first row.
    FirstValue,
    /// The value at the frame's last row.
    LastValue,
    /// The value at the frame's n-th row.
    NthValue,
}

impl WindowFunc {
    /// Looks up a function usable with OVER.
    pub fn from_name(name: &str) -> Option<WindowFunc> {
        Some(match name {
            "row_number" => WindowFunc::RowNumber,
            "rank" => WindowFunc::Rank,
            "dense_rank" => WindowFunc::DenseRank,
            "percent_rank" => WindowFunc::PercentRank,
            "cume_dist" => WindowFunc::CumeDist,
            "ntile" => WindowFunc::Ntile,
            "lag" => WindowFunc::Lag,
            "lead" => WindowFunc::Lead,
            "first_value" => WindowFunc::FirstValue,
            "last_value" => WindowFunc::LastValue,
            "nth_value" => WindowFunc::NthValue,
            _ => match AggFunc::from_name(name)? {
                f
                @ (AggFunc::Count | AggFunc::Sum | AggFunc::Avg | AggFunc::Min | AggFunc::Max) => {
                    WindowFunc::Aggregate(f)
                }
                _ => return None,
            },
        })
    }

    /// The SQL name.
    pub fn name(self) -> &'static str {
        match self {
            WindowFunc::Aggregate(f) => f.name(),
            WindowFunc::RowNumber => "row_number",
            WindowFunc::Rank => "rank",
            WindowFunc::DenseRank => "dense_rank",
            WindowFunc::PercentRank => "percent_rank",
            WindowFunc::CumeDist => "cume_dist",
            WindowFunc::Ntile => "ntile",
            WindowFunc::Lag => "lag",
            WindowFunc::Lead => "lead",
            WindowFunc::FirstValue => "first_value",
            WindowFunc::LastValue => "last_value",
            WindowFunc::NthValue => "nth_value",
        }
    }

    /// True for functions that look at the frame (aggregates and the value functions
    /// first/last/nth_value); the others see the whole partition.
    pub fn uses_frame(self) -> bool {
        matches!(
            self,
            WindowFunc::Aggregate(_)
                | WindowFunc::FirstValue
                | WindowFunc::LastValue
                | WindowFunc::NthValue
        )
    }

    /// The result type given the argument types.
    pub fn return_type(self, args: &[DataType]) -> Result<DataType> {
        match self {
            WindowFunc::Aggregate(f) => f.return_type(args.first()),
            WindowFunc::RowNumber
            | WindowFunc::Rank
            | WindowFunc::DenseRank
            | WindowFunc::Ntile => Ok(DataType::Int64),
            WindowFunc::PercentRank | WindowFunc::CumeDist => Ok(DataType::Float64),
            WindowFunc::Lag | WindowFunc::Lead => {
                let value = args.first().cloned().unwrap_or(DataType::Null);
                match args.get(2) {
                    Some(d) => types::common_type(&value, d).ok_or_else(|| {
                        PlanError::type_mismatch(format!(
                            "{}() default of type {} does not match the value type {}",
                            self.name(),
                            types::SqlType(d),
                            types::SqlType(&value)
                        ))
                    }),
                    None => Ok(value),
                }
            }
            WindowFunc::FirstValue | WindowFunc::LastValue | WindowFunc::NthValue => {
                Ok(args.first().cloned().unwrap_or(DataType::Null))
            }
        }
    }
}

/// ROWS counts rows; RANGE compares ORDER BY values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameUnits {
    /// Physical rows.
    Rows,
    /// Rows whose ORDER BY value is within an offset (peers move together).
    Range,
}

/// One end of a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum FrameBound {
    /// The partition's first row.
    UnboundedPreceding,
    /// `n PRECEDING` (a non-negative constant).
    Preceding(ScalarValue),
    /// The current row (with RANGE: its first or last peer).
    CurrentRow,
    /// `n FOLLOWING` (a non-negative constant).
    Following(ScalarValue),
    /// The partition's last row.
    UnboundedFollowing,
}

impl FrameBound {
    /// Position on the line preceding .. current .. following, for order checks.
    fn rank(&self) -> u8 {
        match self {
            FrameBound::UnboundedPreceding => 0,
            FrameBound::Preceding(_) => 1,
            FrameBound::CurrentRow => 2,
            FrameBound::Following(_) => 3,
            FrameBound::UnboundedFollowing => 4,
        }
    }

    /// The offset of an `n PRECEDING` / `n FOLLOWING` bound.
    pub fn offset(&self) -> Option<&ScalarValue> {
        match self {
            FrameBound::Preceding(v) | FrameBound::Following(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for FrameBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameBound::UnboundedPreceding => f.write_str("UNBOUNDED PRECEDING"),
            FrameBound::Preceding(v) => write!(f, "{v} PRECEDING"),
            FrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            FrameBound::Following(v) => write!(f, "{v} FOLLOWING"),
            FrameBound::UnboundedFollowing => f.write_str("UNBOUNDED FOLLOWING"),
        }
    }
}

/// `units BETWEEN start AND end`.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowFrame {
    /// ROWS or RANGE.
    pub units: FrameUnits,
    /// First row of the frame.
    pub start: FrameBound,
    /// Last row of the frame (inclusive).
    pub end: FrameBound,
}

impl WindowFrame {
    /// SQL's default: with ORDER BY, the rows up to the current row's last peer;
    /// without, the whole partition.
    pub fn default_for(has_order_by: bool) -> WindowFrame {
        WindowFrame {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: if has_order_by {
                FrameBound::CurrentRow
            } else {
                FrameBound::UnboundedFollowing
            },
        }
    }

    /// Rejects frames whose start comes after their end or that end before they begin.
    pub fn check(&self) -> Result<()> {
        if self.start == FrameBound::UnboundedFollowing {
            return Err(PlanError::plan("frame start cannot be UNBOUNDED FOLLOWING"));
        }
        if self.end == FrameBound::UnboundedPreceding {
            return Err(PlanError::plan("frame end cannot be UNBOUNDED PRECEDING"));
        }
        if self.start.rank() > self.end.rank() {
            return Err(PlanError::plan(format!(
                "frame starting from {} cannot end with {}",
                self.start, self.end
            )));
        }
        Ok(())
    }
}

impl fmt::Display for WindowFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = match self.units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
        };
        write!(f, "{units} BETWEEN {} AND {}", self.start, self.end)
    }
}

/// A window function call with its window.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    /// The function.
    pub func: WindowFunc,
    /// Arguments (for lag/lead: value, offset, default; ntile: buckets; nth_value:
    /// value, n; offsets and counts are constants).
    pub args: Vec<Expr>,
    /// PARTITION BY.
    pub partition_by: Vec<Expr>,
    /// ORDER BY within a partition.
    pub order_by: Vec<SortExpr>,
    /// The frame (always explicit).
    pub frame: WindowFrame,
}

impl WindowCall {
    /// The result type against the input schema.
    pub fn data_type(&self, schema: &PlanSchema) -> Result<DataType> {
        let args = self
            .args
            .iter()
            .map(|a| a.data_type(schema))
            .collect::<Result<Vec<_>>>()?;
        self.func.return_type(&args)
    }

    /// True when `other` has the same PARTITION BY and ORDER BY (one sort serves both).
    pub fn same_window(&self, other: &WindowCall) -> bool {
        self.partition_by == other.partition_by && self.order_by == other.order_by
    }
}

impl fmt::Display for WindowCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> = self.args.iter().map(|a| a.to_string()).collect();
        let args = if args.is_empty() && self.func == WindowFunc::Aggregate(AggFunc::Count) {
            "*".to_string()
        } else {
            args.join(", ")
        };
        write!(f, "{}({args}) OVER (", self.func.name())?;
        let mut parts = Vec::new();
        if !self.partition_by.is_empty() {
            let p: Vec<String> = self.partition_by.iter().map(|e| e.to_string()).collect();
            parts.push(format!("PARTITION BY {}", p.join(", ")));
        }
        if !self.order_by.is_empty() {
            let o: Vec<String> = self.order_by.iter().map(|e| e.to_string()).collect();
            parts.push(format!("ORDER BY {}", o.join(", ")));
        }
        if self.func.uses_frame()
            && self.frame != WindowFrame::default_for(!self.order_by.is_empty())
        {
            parts.push(self.frame.to_string());
        }
        write!(f, "{})", parts.join(" "))
    }
}
