//! Physical expressions: columns by index, every node's result type known, operands
//! already coerced (a `Binary` node's children have the types its operator needs).

use std::fmt;

use arrow::datatypes::DataType;

use crate::expr::display::{write_case, write_in_list};
use crate::expr::{AggFunc, BinaryOp, WindowFrame, WindowFunc};
use crate::scalar::ScalarValue;

/// An expression evaluated over a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum PhysExpr {
    /// Column `index` of the input batch.
    Column {
        /// Position in the input.
        index: usize,
        /// Name, for display.
        name: String,
    },
    /// A constant.
    Literal(ScalarValue),
    /// `left op right`, producing `data_type`.
    Binary {
        /// Left operand.
        left: Box<PhysExpr>,
        /// Operator.
        op: BinaryOp,
        /// Right operand.
        right: Box<PhysExpr>,
        /// Result type (decimal precision and scale included).
        data_type: DataType,
    },
    /// Boolean NOT.
    Not(Box<PhysExpr>),
    /// Arithmetic negation.
    Negative(Box<PhysExpr>),
    /// IS NULL.
    IsNull(Box<PhysExpr>),
    /// IS NOT NULL.
    IsNotNull(Box<PhysExpr>),
    /// Searched CASE (a simple CASE is rewritten into equalities first).
    Case {
        /// WHEN/THEN pairs.
        when_then: Vec<(PhysExpr, PhysExpr)>,
        /// ELSE (NULL when absent).
        else_expr: Option<Box<PhysExpr>>,
        /// Result type.
        data_type: DataType,
    },
    /// CAST; a value that cannot be cast is an error naming it.
    Cast {
        /// Input.
        expr: Box<PhysExpr>,
        /// Target.
        data_type: DataType,
    },
    /// `expr [NOT] IN (constants...)`, with SQL's NULL semantics.
    InList {
        /// Tested value.
        expr: Box<PhysExpr>,
        /// Candidates (same type as expr).
        list: Vec<PhysExpr>,
        /// NOT IN.
        negated: bool,
    },
    /// `expr [NOT] LIKE pattern`.
    Like {
        /// String.
        expr: Box<PhysExpr>,
        /// Pattern.
        pattern: Box<PhysExpr>,
        /// NOT LIKE.
        negated: bool,
        /// ILIKE.
        case_insensitive: bool,
        /// The escape character of the pattern (`None`: no escapes).
        escape: Option<char>,
    },
    /// A registered scalar function.
    Function {
        /// Lower-case name from [`crate::functions::FUNCTIONS`].
        name: String,
        /// Arguments.
        args: Vec<PhysExpr>,
        /// Result type.
        data_type: DataType,
    },
}

impl PhysExpr {
    /// A column reference.
    pub fn column(index: usize, name: impl Into<String>) -> Self {
        PhysExpr::Column {
            index,
            name: name.into(),
        }
    }

    /// Calls `f` on every node, parents first (children left to right). Walks with a
    /// stack of its own, so a tree of any depth is visited without recursing.
    pub fn visit(&self, f: &mut impl FnMut(&PhysExpr)) {
        let mut pending = vec![self];
        while let Some(e) = pending.pop() {
            f(e);
            let first = pending.len();
            e.for_each_child(|c| pending.push(c));
            pending[first..].reverse();
        }
    }

    /// Calls `f` on each direct child, left to right.
    pub fn for_each_child<'e>(&'e self, mut f: impl FnMut(&'e PhysExpr)) {
        match self {
            PhysExpr::Column { .. } | PhysExpr::Literal(_) => {}
            PhysExpr::Binary { left, right, .. } => {
                f(left);
                f(right);
            }
            PhysExpr::Not(e)
            | PhysExpr::Negative(e)
            | PhysExpr::IsNull(e)
            | PhysExpr::IsNotNull(e) => f(e),
            PhysExpr::Cast { expr, .. } => f(expr),
            PhysExpr::Case {
                when_then,
                else_expr,
                ..
            } => {
                for (w, t) in when_then {
                    f(w);
                    f(t);
                }
                if let Some(e) = else_expr {
                    f(e);
                }
            }
            PhysExpr::InList { expr, list, .. } => {
                f(expr);
                list.iter().for_each(f);
            }
            PhysExpr::Like { expr, pattern, .. } => {
                f(expr);
                f(pattern);
            }
            PhysExpr::Function { args, .. } => args.iter().for_each(f),
        }
    }
}

impl fmt::Display for PhysExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhysExpr::Column { index, name } => {
                write!(f, "{}@{index}", crate::schema::display_name(name))
            }
            PhysExpr::Literal(v) => write!(f, "{v}"),
            PhysExpr::Binary { op, .. } if op.is_logical() => {
                // A chain of ANDs (or ORs) prints flat, whatever shape the tree has.
                let mut operands = Vec::new();
                let mut pending = vec![self];
                while let Some(e) = pending.pop() {
                    match e {
                        PhysExpr::Binary {
                            left, op: o, right, ..
                        } if o == op => {
                            pending.push(right);
                            pending.push(left);
                        }
                        other => operands.push(other.to_string()),
                    }
                }
                write!(f, "({})", operands.join(&format!(" {op} ")))
            }
            PhysExpr::Binary {
                left, op, right, ..
            } => write!(f, "({left} {op} {right})"),
            PhysExpr::Not(e) => write!(f, "NOT {e}"),
            PhysExpr::Negative(e) => write!(f, "-{e}"),
            PhysExpr::IsNull(e) => write!(f, "{e} IS NULL"),
            PhysExpr::IsNotNull(e) => write!(f, "{e} IS NOT NULL"),
            PhysExpr::Case {
                when_then,
                else_expr,
                ..
            } => write_case(f, None, when_then, else_expr.as_deref()),
            PhysExpr::Cast { expr, data_type } => {
                write!(f, "CAST({expr} AS {})", crate::types::SqlType(data_type))
            }
            PhysExpr::InList {
                expr,
                list,
                negated,
            } => write_in_list(f, expr, *negated, list),
            PhysExpr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
                escape,
            } => {
                write!(
                    f,
                    "{expr} {}{} {pattern}",
                    if *negated { "NOT " } else { "" },
                    if *case_insensitive { "ILIKE" } else { "LIKE" }
                )?;
                match escape {
                    Some(crate::expr::DEFAULT_LIKE_ESCAPE) => Ok(()),
                    Some(c) => write!(f, " ESCAPE {}", ScalarValue::Utf8(Some(c.to_string()))),
                    None => write!(f, " ESCAPE ''"),
                }
            }
            PhysExpr::Function { name, args, .. } => {
                let a: Vec<String> = args.iter().map(|e| e.to_string()).collect();
                write!(f, "{name}({})", a.join(", "))
            }
        }
    }
}

/// An aggregate call in a physical aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateExpr {
    /// The function.
    pub func: AggFunc,
    /// Argument (`None` for `count(*)`), over the aggregate's input.
    pub arg: Option<PhysExpr>,
    /// DISTINCT inside the call.
    pub distinct: bool,
    /// Constant arguments after the value (string_agg's separator and order,
    /// percentile_cont's fraction).
    pub params: Vec<ScalarValue>,
    /// Type of the argument (`None` for `count(*)`).
    pub input_type: Option<DataType>,
    /// Type of the final result.
    pub return_type: DataType,
    /// Output column name.
    pub name: String,
}

impl fmt::Display for AggregateExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arg = self
            .arg
            .as_ref()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "*".into());
        write!(
            f,
            "{}({}{arg})",
            self.func.name(),
            if self.distinct { "DISTINCT " } else { "" }
        )
    }
}

/// A sort key over column positions/expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct PhysSortKey {
    /// What to sort by.
    pub expr: PhysExpr,
    /// Ascending.
    pub asc: bool,
    /// NULLs first.
    pub nulls_first: bool,
}

impl fmt::Display for PhysSortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.expr, if self.asc { "ASC" } else { "DESC" })?;
        if self.nulls_first == self.asc {
            write!(
                f,
                " {}",
                if self.nulls_first {
                    "NULLS FIRST"
                } else {
                    "NULLS LAST"
                }
            )?;
        }
        Ok(())
    }
}

/// A window call in a physical Window node.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowExpr {
    /// The function.
    pub func: WindowFunc,
    /// Evaluated arguments over the node's input: the value (aggregates, lag, lead,
    /// first/last/nth_value), then lag/lead's default; value and default are already
    /// cast to the result type for lag/lead.
    pub args: Vec<PhysExpr>,
    /// The constant parameter: lag/lead offset, ntile buckets, nth_value's n (else 0).
    pub param: i64,
    /// The frame (used by aggregates and first/last/nth_value).
    pub frame: WindowFrame,
    /// Type of the value argument, if any.
    pub input_type: Option<DataType>,
    /// Type of the result.
    pub return_type: DataType,
    /// Output column name.
    pub name: String,
}

impl fmt::Display for WindowExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut args: Vec<String> = self.args.iter().map(|a| a.to_string()).collect();
        if matches!(
            self.func,
            WindowFunc::Lag | WindowFunc::Lead | WindowFunc::Ntile | WindowFunc::NthValue
        ) {
            args.insert(args.len().min(1), self.param.to_string());
        }
        write!(f, "{}({})", self.func.name(), args.join(", "))?;
        if self.func.uses_frame() {
            write!(f, " {}", self.frame)?;
        }
        Ok(())
    }
}
