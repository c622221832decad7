//! Unit tests of expression evaluation: decimals, NULLs, three-valued logic, IN,
//! dates, casts, CASE, LIKE and every registered function.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array,
    RecordBatch, StringArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Float64Type, Int64Type, IntervalMonthDayNano,
    Schema,
};
use ember_planner::ScalarValue;
use ember_planner::expr::BinaryOp;
use ember_planner::functions::FUNCTIONS;
use ember_planner::physical::PhysExpr;
use ember_planner::scalar::parse_date32;
use ember_planner::types::decimal_result;

use super::*;
use crate::error::EmberError;

fn batch(columns: Vec<ArrayRef>) -> RecordBatch {
    let fields: Vec<Field> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| Field::new(format!("c{i}"), c.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
}

fn col(i: usize) -> PhysExpr {
    PhysExpr::column(i, format!("c{i}"))
}

fn lit(v: ScalarValue) -> PhysExpr {
    PhysExpr::Literal(v)
}

fn bin(l: PhysExpr, op: BinaryOp, r: PhysExpr, t: DataType) -> PhysExpr {
    PhysExpr::Binary {
        left: Box::new(l),
        op,
        right: Box::new(r),
        data_type: t,
    }
}

fn decimals(values: Vec<Option<i128>>, p: u8, s: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values)
            .with_precision_and_scale(p, s)
            .unwrap(),
    )
}

fn dec_values(a: &ArrayRef) -> Vec<Option<i128>> {
    let d = a.as_primitive::<Decimal128Type>();
    (0..d.len())
        .map(|i| d.is_valid(i).then(|| d.value(i)))
        .collect()
}

fn bools(a: &ArrayRef) -> Vec<Option<bool>> {
    a.as_boolean().iter().collect()
}

fn func(name: &str, args: Vec<PhysExpr>, t: DataType) -> PhysExpr {
    PhysExpr::Function {
        name: name.into(),
        args,
        data_type: t,
    }
}

fn utf8(s: &str) -> PhysExpr {
    lit(ScalarValue::Utf8(Some(s.into())))
}

fn i64_lit(v: i64) -> PhysExpr {
    lit(ScalarValue::Int64(Some(v)))
}

#[test]
fn decimal_multiply_adds_scales_exactly() {
    let t = decimal_result(15, 2, BinaryOp::Multiply, 15, 2);
    assert_eq!(t, DataType::Decimal128(31, 4));
    let b = batch(vec![
        decimals(vec![Some(1234), None], 15, 2),
        decimals(vec![Some(567), Some(1)], 15, 2),
    ]);
    let out = evaluate(&bin(col(0), BinaryOp::Multiply, col(1), t.clone()), &b).unwrap();
    assert_eq!(out.data_type(), &t);
    assert_eq!(dec_values(&out), vec![Some(699678), None]);
}

#[test]
fn one_minus_discount() {
    let t = decimal_result(15, 2, BinaryOp::Minus, 15, 2);
    let b = batch(vec![decimals(vec![Some(5), Some(10)], 15, 2)]);
    let one = lit(ScalarValue::Decimal128(Some(100), 15, 2));
    let out = evaluate(&bin(one, BinaryOp::Minus, col(0), t.clone()), &b).unwrap();
    assert_eq!(dec_values(&out), vec![Some(95), Some(90)]);
    assert_eq!(out.data_type(), &t);
}

#[test]
fn decimal_plus_rescales_operands() {
    // 1.5 (scale 1) + 0.25 (scale 2) = 1.75 at scale 2
    let b = batch(vec![
        decimals(vec![Some(15)], 5, 1),
        decimals(vec![Some(25)], 5, 2),
    ]);
    let t = decimal_result(5, 1, BinaryOp::Plus, 5, 2);
    let out = evaluate(&bin(col(0), BinaryOp::Plus, col(1), t), &b).unwrap();
    assert_eq!(dec_values(&out), vec![Some(175)]);
}

#[test]
fn decimal_division_rounds_half_up() {
    let t = decimal_result(5, 2, BinaryOp::Divide, 5, 2);
    assert_eq!(t, DataType::Decimal128(13, 8));
    let b = batch(vec![
        decimals(vec![Some(200), Some(-200), Some(100)], 5, 2),
        decimals(vec![Some(300), Some(300), Some(800)], 5, 2),
    ]);
    let out = evaluate(&bin(col(0), BinaryOp::Divide, col(1), t), &b).unwrap();
    assert_eq!(
        dec_values(&out),
        vec![Some(66666667), Some(-66666667), Some(12500000)]
    );
}

#[test]
fn division_by_zero_is_an_error_but_not_on_null_rows() {
    let t = decimal_result(5, 2, BinaryOp::Divide, 5, 2);
    let b = batch(vec![
        decimals(vec![Some(200)], 5, 2),
        decimals(vec![Some(0)], 5, 2),
    ]);
    let err = evaluate(&bin(col(0), BinaryOp::Divide, col(1), t.clone()), &b).unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    let ints = batch(vec![
        Arc::new(Int64Array::from(vec![Some(7), Some(9)])),
        Arc::new(Int64Array::from(vec![Some(0), Some(2)])),
    ]);
    let err = evaluate(
        &bin(col(0), BinaryOp::Divide, col(1), DataType::Int64),
        &ints,
    )
    .unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
    // A NULL divisor row is just NULL.
    let b = batch(vec![
        decimals(vec![Some(200), Some(100)], 5, 2),
        decimals(vec![None, Some(200)], 5, 2),
    ]);
    let out = evaluate(&bin(col(0), BinaryOp::Divide, col(1), t), &b).unwrap();
    assert_eq!(dec_values(&out), vec![None, Some(50000000)]);
}

#[test]
fn integer_division_and_overflow() {
    let b = batch(vec![Arc::new(Int64Array::from(vec![
        Some(7),
        None,
        Some(i64::MAX),
    ]))]);
    let div = bin(col(0), BinaryOp::Divide, i64_lit(2), DataType::Int64);
    let b2 = b.slice(0, 2);
    let out = evaluate(&div, &b2).unwrap();
    let out = out.as_primitive::<Int64Type>();
    assert_eq!(out.value(0), 3);
    assert!(out.is_null(1));
    let err = evaluate(
        &bin(col(0), BinaryOp::Plus, i64_lit(1), DataType::Int64),
        &b,
    )
    .unwrap_err();
    assert!(matches!(err, EmberError::Execution(_)), "{err}");
    assert!(err.to_string().contains("overflow"), "{err}");
}

#[test]
fn float_arithmetic_and_negation() {
    let b = batch(vec![Arc::new(Float64Array::from(vec![Some(1.5), None]))]);
    let e = PhysExpr::Negative(Box::new(bin(
        col(0),
        BinaryOp::Multiply,
        lit(ScalarValue::Float64(Some(2.0))),
        DataType::Float64,
    )));
    let out = evaluate(&e, &b).unwrap();
    let out = out.as_primitive::<Float64Type>();
    assert_eq!(out.value(0), -3.0);
    assert!(out.is_null(1));
}

#[test]
fn three_valued_logic() {
    let b = batch(vec![
        Arc::new(BooleanArray::from(vec![None, None, None, Some(true)])),
        Arc::new(BooleanArray::from(vec![
            Some(false),
            Some(true),
            None,
            Some(false),
        ])),
    ]);
    let and = evaluate(&bin(col(0), BinaryOp::And, col(1), DataType::Boolean), &b).unwrap();
    assert_eq!(bools(&and), vec![Some(false), None, None, Some(false)]);
    let or = evaluate(&bin(col(0), BinaryOp::Or, col(1), DataType::Boolean), &b).unwrap();
    assert_eq!(bools(&or), vec![None, Some(true), None, Some(true)]);
    let not = evaluate(&PhysExpr::Not(Box::new(col(0))), &b).unwrap();
    assert_eq!(bools(&not), vec![None, None, None, Some(false)]);
    let mask =
        evaluate_predicate(&bin(col(0), BinaryOp::Or, col(1), DataType::Boolean), &b).unwrap();
    assert_eq!(mask, BooleanArray::from(vec![false, true, false, true]));
}

#[test]
fn comparisons_propagate_null() {
    let b = batch(vec![
        Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
        Arc::new(Int64Array::from(vec![Some(1), Some(2), None])),
    ]);
    let lt = evaluate(&bin(col(0), BinaryOp::Lt, utf8("b"), DataType::Boolean), &b).unwrap();
    assert_eq!(bools(&lt), vec![Some(true), None, Some(false)]);
    let ge = evaluate(
        &bin(col(1), BinaryOp::GtEq, i64_lit(2), DataType::Boolean),
        &b,
    )
    .unwrap();
    assert_eq!(bools(&ge), vec![Some(false), Some(true), None]);
    let is_null = evaluate(&PhysExpr::IsNull(Box::new(col(1))), &b).unwrap();
    assert_eq!(bools(&is_null), vec![Some(false), Some(false), Some(true)]);
}

#[test]
fn in_list_with_nulls() {
    let b = batch(vec![Arc::new(Int64Array::from(vec![
        Some(1),
        Some(2),
        None,
    ]))]);
    let list = vec![i64_lit(1), lit(ScalarValue::Int64(None))];
    let e = PhysExpr::InList {
        expr: Box::new(col(0)),
        list: list.clone(),
        negated: false,
    };
    assert_eq!(
        bools(&evaluate(&e, &b).unwrap()),
        vec![Some(true), None, None]
    );
    let e = PhysExpr::InList {
        expr: Box::new(col(0)),
        list,
        negated: true,
    };
    assert_eq!(
        bools(&evaluate(&e, &b).unwrap()),
        vec![Some(false), None, None]
    );
    let e = PhysExpr::InList {
        expr: Box::new(col(0)),
        list: vec![i64_lit(2), i64_lit(3)],
        negated: true,
    };
    assert_eq!(
        bools(&evaluate(&e, &b).unwrap()),
        vec![Some(true), Some(false), None]
    );
}

#[test]
fn dates_and_intervals() {
    let d = parse_date32("1998-01-31").unwrap();
    let b = batch(vec![Arc::new(Date32Array::from(vec![Some(d), None]))]);
    let month = lit(ScalarValue::Interval(Some(IntervalMonthDayNano::new(
        1, 0, 0,
    ))));
    let e = bin(col(0), BinaryOp::Plus, month.clone(), DataType::Date32);
    let out = evaluate(&e, &b).unwrap();
    let out = out.as_primitive::<Date32Type>();
    assert_eq!(out.value(0), parse_date32("1998-02-28").unwrap());
    assert!(out.is_null(1));
    let e = bin(col(0), BinaryOp::Minus, month, DataType::Date32);
    let out = evaluate(&e, &b).unwrap();
    assert_eq!(
        out.as_primitive::<Date32Type>().value(0),
        parse_date32("1997-12-31").unwrap()
    );
    let e = bin(col(0), BinaryOp::Plus, i64_lit(1), DataType::Date32);
    let out = evaluate(&e, &b).unwrap();
    assert_eq!(
        out.as_primitive::<Date32Type>().value(0),
        parse_date32("1998-02-01").unwrap()
    );
    let other = lit(ScalarValue::Date32(parse_date32("1998-01-01")));
    let e = bin(col(0), BinaryOp::Minus, other, DataType::Int64);
    let out = evaluate(&e, &b).unwrap();
    assert_eq!(out.as_primitive::<Int64Type>().value(0), 30);
}

#[test]
fn failing_cast_names_the_value() {
    let b = batch(vec![Arc::new(StringArray::from(vec![
        Some("12"),
        None,
        Some("abc"),
    ]))]);
    let e = PhysExpr::Cast {
        expr: Box::new(col(0)),
        data_type: DataType::Int64,
    };
    let err = evaluate(&e, &b).unwrap_err();
    assert_eq!(err.to_string(), "cannot cast 'abc' to BIGINT");
    let ok = evaluate(&e, &b.slice(0, 2)).unwrap();
    assert_eq!(ok.as_primitive::<Int64Type>().value(0), 12);
    let e = PhysExpr::Cast {
        expr: Box::new(utf8("1998-12-01")),
        data_type: DataType::Date32,
    };
    let out = evaluate(&e, &b).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!(
        out.as_primitive::<Date32Type>().value(2),
        parse_date32("1998-12-01").unwrap()
    );
}

#[test]
fn case_picks_first_true_branch_and_guards_others() {
    let b = batch(vec![Arc::new(Int64Array::from(vec![
        Some(0),
        Some(5),
        None,
        Some(20),
    ]))]);
    let is_zero = bin(col(0), BinaryOp::Eq, i64_lit(0), DataType::Boolean);
    let big = bin(col(0), BinaryOp::Gt, i64_lit(10), DataType::Boolean);
    let e = PhysExpr::Case {
        when_then: vec![(is_zero, i64_lit(-1)), (big, i64_lit(100))],
        else_expr: Some(Box::new(bin(
            i64_lit(10),
            BinaryOp::Divide,
            col(0),
            DataType::Int64,
        ))),
        data_type: DataType::Int64,
    };
    let out = evaluate(&e, &b).unwrap();
    let out = out.as_primitive::<Int64Type>();
    assert_eq!(out.value(0), -1);
    assert_eq!(out.value(1), 2);
    assert!(out.is_null(2));
    assert_eq!(out.value(3), 100);
    let no_else = PhysExpr::Case {
        when_then: vec![(
            bin(col(0), BinaryOp::Gt, i64_lit(1), DataType::Boolean),
            utf8("big"),
        )],
        else_expr: None,
        data_type: DataType::Utf8,
    };
    let out = evaluate(&no_else, &b).unwrap();
    let out = out.as_string::<i32>();
    assert!(out.is_null(0));
    assert_eq!(out.value(1), "big");
    assert!(out.is_null(2));
}

#[test]
fn like_and_ilike() {
    let b = batch(vec![Arc::new(StringArray::from(vec![
        Some("PROMO BRUSHED"),
        Some("promo x"),
        Some("50%off"),
        None,
    ]))]);
    let like = |pattern: &str, negated: bool, ci: bool| {
        let e = PhysExpr::Like {
            expr: Box::new(col(0)),
            pattern: Box::new(utf8(pattern)),
            negated,
            case_insensitive: ci,
            escape: Some('\\'),
        };
        bools(&evaluate(&e, &b).unwrap())
    };
    assert_eq!(
        like("PROMO%", false, false),
        vec![Some(true), Some(false), Some(false), None]
    );
    assert_eq!(
        like("PROMO%", false, true),
        vec![Some(true), Some(true), Some(false), None]
    );
    assert_eq!(
        like("PROMO%", true, false),
        vec![Some(false), Some(true), Some(true), None]
    );
    assert_eq!(
        like("__\\%off", false, false),
        vec![Some(false), Some(false), Some(true), None]
    );
}

#[test]
fn string_functions() {
    let b = batch(vec![Arc::new(StringArray::from(vec![
        Some("héllo "),
        None,
    ]))]);
    let one = |e: PhysExpr| -> ArrayRef { evaluate(&e, &b).unwrap() };
    let s = one(func(
        "substring",
        vec![col(0), i64_lit(0), i64_lit(3)],
        DataType::Utf8,
    ));
    assert_eq!(s.as_string::<i32>().value(0), "hé");
    assert!(s.is_null(1));
    let s = one(func("substring", vec![col(0), i64_lit(2)], DataType::Utf8));
    assert_eq!(s.as_string::<i32>().value(0), "éllo ");
    let s = one(func(
        "substring",
        vec![utf8("abcdef"), i64_lit(3), i64_lit(2)],
        DataType::Utf8,
    ));
    assert_eq!(s.as_string::<i32>().value(0), "cd");
    let s = one(func("upper", vec![col(0)], DataType::Utf8));
    assert_eq!(s.as_string::<i32>().value(0), "HÉLLO ");
    let s = one(func("lower", vec![utf8("AbC")], DataType::Utf8));
    assert_eq!(s.as_string::<i32>().value(1), "abc");
    let s = one(func("length", vec![col(0)], DataType::Int64));
    assert_eq!(s.as_primitive::<Int64Type>().value(0), 6);
    assert!(s.is_null(1));
    let s = one(func("trim", vec![utf8("  x y  ")], DataType::Utf8));
    assert_eq!(s.as_string::<i32>().value(0), "x y");
    let s = one(func(
        "concat",
        vec![utf8("a"), col(0), utf8("b")],
        DataType::Utf8,
    ));
    assert_eq!(s.as_string::<i32>().value(0), "ahéllo b");
    assert_eq!(s.as_string::<i32>().value(1), "ab");
    let s = one(bin(
        col(0),
        BinaryOp::StringConcat,
        utf8("!"),
        DataType::Utf8,
    ));
    assert_eq!(s.as_string::<i32>().value(0), "héllo !");
    assert!(s.is_null(1));
}

#[test]
fn numeric_functions() {
    let b = batch(vec![
        Arc::new(Float64Array::from(vec![Some(2.5), Some(-2.5), None])),
        decimals(vec![Some(1235), Some(-1235), Some(1)], 10, 3),
        Arc::new(Int64Array::from(vec![Some(-4), None, Some(3)])),
    ]);
    let r = evaluate(&func("round", vec![col(0)], DataType::Float64), &b).unwrap();
    let r = r.as_primitive::<Float64Type>();
    // A DOUBLE rounds half to even.
    assert_eq!((r.value(0), r.value(1)), (2.0, -2.0));
    assert!(r.is_null(2));
    let t = DataType::Decimal128(10, 3);
    let r = evaluate(&func("round", vec![col(1), i64_lit(2)], t.clone()), &b).unwrap();
    assert_eq!(dec_values(&r), vec![Some(1240), Some(-1240), Some(0)]);
    let r = evaluate(&func("abs", vec![col(1)], t), &b).unwrap();
    assert_eq!(dec_values(&r), vec![Some(1235), Some(1235), Some(1)]);
    let r = evaluate(&func("abs", vec![col(2)], DataType::Int64), &b).unwrap();
    let r = r.as_primitive::<Int64Type>();
    assert_eq!(r.value(0), 4);
    assert!(r.is_null(1));
    let r = evaluate(
        &func("coalesce", vec![col(2), i64_lit(0)], DataType::Int64),
        &b,
    )
    .unwrap();
    assert_eq!(
        r.as_primitive::<Int64Type>().values().to_vec(),
        vec![-4, 0, 3]
    );
    let r = evaluate(
        &func("nullif", vec![col(2), i64_lit(3)], DataType::Int64),
        &b,
    )
    .unwrap();
    let r = r.as_primitive::<Int64Type>();
    assert_eq!(r.value(0), -4);
    assert!(r.is_null(1));
    assert!(r.is_null(2));
}

#[test]
fn date_part_fields() {
    let d = parse_date32("1998-08-15").unwrap();
    let b = batch(vec![Arc::new(Date32Array::from(vec![Some(d), None]))]);
    let part = |p: &str| -> Option<i64> {
        let out = evaluate(
            &func("date_part", vec![utf8(p), col(0)], DataType::Int64),
            &b,
        )
        .unwrap();
        let out = out.as_primitive::<Int64Type>();
        assert!(out.is_null(1));
        out.is_valid(0).then(|| out.value(0))
    };
    assert_eq!(part("year"), Some(1998));
    assert_eq!(part("quarter"), Some(3));
    assert_eq!(part("month"), Some(8));
    assert_eq!(part("day"), Some(15));
    assert_eq!(part("dow"), Some(6)); // a Saturday
    assert_eq!(part("doy"), Some(227));
    assert_eq!(part("week"), Some(33));
    let err = evaluate(
        &func("date_part", vec![utf8("eon"), col(0)], DataType::Int64),
        &b,
    );
    assert!(err.is_err());
}

#[test]
fn every_registered_function_is_implemented() {
    for f in FUNCTIONS {
        let out = functions::evaluate_function(f.name, &[], &DataType::Null, 1);
        if let Err(e) = out {
            assert!(
                !matches!(e, EmberError::Unsupported(_)),
                "{} has no implementation: {e}",
                f.name
            );
        }
    }
    let missing = functions::evaluate_function("no_such_fn", &[], &DataType::Null, 1);
    assert!(matches!(missing, Err(EmberError::Unsupported(_))));
}

#[test]
fn constants_are_broadcast() {
    let b = batch(vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]);
    let e = bin(i64_lit(2), BinaryOp::Multiply, i64_lit(21), DataType::Int64);
    let out = evaluate(&e, &b).unwrap();
    assert_eq!(
        out.as_primitive::<Int64Type>().values().to_vec(),
        vec![42, 42, 42]
    );
    let out = evaluate(&lit(ScalarValue::Null), &b).unwrap();
    assert_eq!(out.len(), 3);
}

#[test]
fn text_functions_read_string_views() {
    let view: ArrayRef = Arc::new(arrow::array::StringViewArray::from(vec![
        Some("a,b,c"),
        None,
        Some("xyz"),
    ]));
    let b = batch(vec![view]);
    let out = evaluate(
        &func(
            "split_part",
            vec![col(0), utf8(","), i64_lit(2)],
            DataType::Utf8,
        ),
        &b,
    )
    .unwrap();
    let out = out.as_string::<i32>();
    assert_eq!(out.value(0), "b");
    assert!(out.is_null(1));
    assert_eq!(out.value(2), "");
    let upper = evaluate(&func("upper", vec![col(0)], DataType::Utf8), &b).unwrap();
    assert_eq!(upper.as_string::<i32>().value(2), "XYZ");
}

#[test]
fn extreme_arguments_are_errors_or_values_not_panics() {
    let b = batch(vec![decimals(vec![Some(12345)], 10, 2)]);
    let t = DataType::Decimal128(10, 2);
    let r = evaluate(&func("round", vec![col(0), i64_lit(i64::MIN)], t), &b).unwrap();
    assert_eq!(dec_values(&r), vec![Some(0)]);
    let pad = evaluate(
        &func("lpad", vec![utf8("a"), i64_lit(i64::MAX)], DataType::Utf8),
        &b,
    );
    assert!(
        pad.unwrap_err()
            .to_string()
            .contains("lpad(): requested length too large")
    );
    let left = evaluate(
        &func("left", vec![utf8("abc"), i64_lit(i64::MIN)], DataType::Utf8),
        &b,
    )
    .unwrap();
    assert_eq!(left.as_string::<i32>().value(0), "");
}

#[test]
fn deep_expressions_evaluate_on_a_small_stack() {
    // `c0 + 1 + 1 + ...` nested 5,000 deep, evaluated on a thread of 1 MiB (a worker's
    // stack is fixed at start; the depth limit may be raised at any time): each level
    // grows the stack when it runs short instead of overflowing it.
    const DEPTH: usize = 5_000;
    let out = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let one = || lit(ScalarValue::Int64(Some(1)));
            let mut e = col(0);
            for _ in 0..DEPTH {
                e = bin(e, BinaryOp::Plus, one(), DataType::Int64);
            }
            let b = batch(vec![Arc::new(Int64Array::from(vec![Some(1), None]))]);
            let out = evaluate(&e, &b).map(|a| a.as_primitive::<Int64Type>().clone());
            // Dropping the tree recurses too, in small frames: on a stack of its own.
            stacker::grow(64 << 20, move || drop(e));
            out
        })
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(out.value(0), 1 + DEPTH as i64);
    assert!(out.is_null(1));
}
