//! Building expressions in code, as the DataFrame API and the planner's rules do:
//! [`col`], [`lit`] (with the `From` conversions it accepts), the combinators
//! (`a.eq(b)`, `a.and(b)`, `a.alias("x")`, ...), AND lists split and joined, and
//! AND and OR chains built as balanced trees.
//!
//! In: expressions and Rust values. Out: expressions.

use arrow::datatypes::DataType;

use crate::expr::{BinaryOp, Column, Expr, SortExpr};
use crate::scalar::ScalarValue;

impl Expr {
    /// Splits `a AND b AND c` into `[a, b, c]` (in order, whatever the tree's shape,
    /// with a stack of its own rather than by recursion).
    pub fn split_conjunction(self) -> Vec<Expr> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(e) = pending.pop() {
            match e {
                Expr::Binary {
                    left,
                    op: BinaryOp::And,
                    right,
                } => {
                    pending.push(*right);
                    pending.push(*left);
                }
                Expr::Alias { expr, .. } => pending.push(*expr),
                e => out.push(e),
            }
        }
        out
    }

    /// Joins predicates with AND; `None` for an empty list. The tree is balanced (see
    /// [`Expr::balanced`]), so a long conjunction stays shallow.
    pub fn conjunction(exprs: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        Expr::balanced(BinaryOp::And, exprs.into_iter().collect())
    }

    /// Joins predicates with OR; `None` for an empty list. Balanced like
    /// [`Expr::conjunction`].
    pub fn disjunction(exprs: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        Expr::balanced(BinaryOp::Or, exprs.into_iter().collect())
    }

    /// `e1 op e2 op ... op en` for an associative `op` (AND, OR) as a balanced tree:
    /// 100,000 operands nest 17 deep instead of 100,000, so every recursive walk over
    /// the result stays within its stack. Up to three operands the tree is the
    /// left-deep one a parser builds; `None` for no operands.
    pub fn balanced(op: BinaryOp, exprs: Vec<Expr>) -> Option<Expr> {
        fn build(op: BinaryOp, items: &mut std::vec::IntoIter<Expr>, n: usize) -> Option<Expr> {
            if n <= 1 {
                return items.next();
            }
            let left = build(op, items, n.div_ceil(2))?;
            let right = build(op, items, n / 2)?;
            Some(left.binary(op, right))
        }
        let n = exprs.len();
        build(op, &mut exprs.into_iter(), n)
    }

    /// `self AS name`.
    pub fn alias(self, name: impl Into<String>) -> Expr {
        Expr::Alias {
            expr: Box::new(self.unalias().clone()),
            name: name.into(),
        }
    }

    fn binary(self, op: BinaryOp, other: Expr) -> Expr {
        Expr::Binary {
            left: Box::new(self),
            op,
            right: Box::new(other),
        }
    }

    /// `self = other`
    pub fn eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Eq, other)
    }
    /// `self <> other`
    pub fn not_eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::NotEq, other)
    }
    /// `self < other`
    pub fn lt(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Lt, other)
    }
    /// `self <= other`
    pub fn lt_eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::LtEq, other)
    }
    /// `self > other`
    pub fn gt(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Gt, other)
    }
    /// `self >= other`
    pub fn gt_eq(self, other: Expr) -> Expr {
        self.binary(BinaryOp::GtEq, other)
    }
    /// `self AND other`
    pub fn and(self, other: Expr) -> Expr {
        self.binary(BinaryOp::And, other)
    }
    /// `self OR other`
    pub fn or(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Or, other)
    }
    /// `self + other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").add(lit(1))`
    pub fn add(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Plus, other)
    }
    /// `self - other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").sub(lit(1))`
    pub fn sub(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Minus, other)
    }
    /// `self * other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").mul(lit(1))`
    pub fn mul(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Multiply, other)
    }
    /// `self / other`
    #[allow(clippy::should_implement_trait)] // builder style, as in `col("a").div(lit(1))`
    pub fn div(self, other: Expr) -> Expr {
        self.binary(BinaryOp::Divide, other)
    }
    /// `self BETWEEN low AND high`
    pub fn between(self, low: Expr, high: Expr) -> Expr {
        Expr::Between {
            expr: Box::new(self),
            negated: false,
            low: Box::new(low),
            high: Box::new(high),
        }
    }
    /// `self LIKE pattern`
    pub fn like(self, pattern: Expr) -> Expr {
        Expr::Like {
            expr: Box::new(self),
            pattern: Box::new(pattern),
            negated: false,
            case_insensitive: false,
            escape: Some(crate::expr::DEFAULT_LIKE_ESCAPE),
        }
    }
    /// `self IN (list)`
    pub fn in_list(self, list: Vec<Expr>) -> Expr {
        Expr::InList {
            expr: Box::new(self),
            list,
            negated: false,
        }
    }
    /// `self IS NULL`
    pub fn is_null(self) -> Expr {
        Expr::IsNull(Box::new(self))
    }
    /// `self IS NOT NULL`
    pub fn is_not_null(self) -> Expr {
        Expr::IsNotNull(Box::new(self))
    }
    /// `CAST(self AS data_type)`
    pub fn cast(self, data_type: DataType) -> Expr {
        Expr::Cast {
            expr: Box::new(self),
            data_type,
        }
    }
    /// Ascending sort key.
    pub fn sort_asc(self) -> SortExpr {
        SortExpr::new(self, true)
    }
    /// Descending sort key.
    pub fn sort_desc(self) -> SortExpr {
        SortExpr::new(self, false)
    }
}

/// A column reference: `col("l_orderkey")` or `col("l.l_orderkey")`.
pub fn col(name: &str) -> Expr {
    match name.split_once('.') {
        Some((r, n)) => Expr::Column(Column::qualified(r, n)),
        None => Expr::Column(Column::new(name)),
    }
}

/// A literal.
pub fn lit(value: impl Into<ScalarValue>) -> Expr {
    Expr::Literal(value.into())
}

impl From<i64> for ScalarValue {
    fn from(v: i64) -> Self {
        ScalarValue::Int64(Some(v))
    }
}
impl From<i32> for ScalarValue {
    fn from(v: i32) -> Self {
        ScalarValue::Int64(Some(v as i64))
    }
}
impl From<f64> for ScalarValue {
    fn from(v: f64) -> Self {
        ScalarValue::Float64(Some(v))
    }
}
impl From<bool> for ScalarValue {
    fn from(v: bool) -> Self {
        ScalarValue::Boolean(Some(v))
    }
}
impl From<&str> for ScalarValue {
    fn from(v: &str) -> Self {
        ScalarValue::Utf8(Some(v.to_string()))
    }
}
impl From<String> for ScalarValue {
    fn from(v: String) -> Self {
        ScalarValue::Utf8(Some(v))
    }
}
