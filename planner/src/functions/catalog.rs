//! The list of every scalar function and aggregate Ember knows: name, signature and a
//! one-line description. `docs/functions.md` documents the same names (a test keeps
//! the two in step); return types live in [`super::return_type`].

use super::FunctionSpec;

const fn spec(
    name: &'static str,
    signature: &'static str,
    description: &'static str,
) -> FunctionSpec {
    FunctionSpec {
        name,
        signature,
        description,
    }
}

/// Every scalar function Ember knows.
pub const FUNCTIONS: &[FunctionSpec] = &[
    // strings
    spec(
        "substring",
        "substring(s VARCHAR, start BIGINT [, length BIGINT]) -> VARCHAR",
        "characters of s from 1-based start, at most length of them",
    ),
    spec("upper", "upper(s VARCHAR) -> VARCHAR", "s in upper case"),
    spec("lower", "lower(s VARCHAR) -> VARCHAR", "s in lower case"),
    spec(
        "length",
        "length(s VARCHAR) -> BIGINT",
        "number of characters in s",
    ),
    spec(
        "char_length",
        "char_length(s VARCHAR) -> BIGINT",
        "number of characters in s (same as length)",
    ),
    spec(
        "trim",
        "trim(s VARCHAR [, chars VARCHAR]) -> VARCHAR",
        "s without leading and trailing chars (default a space); also TRIM([BOTH|LEADING|TRAILING] [chars] FROM s)",
    ),
    spec(
        "ltrim",
        "ltrim(s VARCHAR [, chars VARCHAR]) -> VARCHAR",
        "s without leading chars (default a space)",
    ),
    spec(
        "rtrim",
        "rtrim(s VARCHAR [, chars VARCHAR]) -> VARCHAR",
        "s without trailing chars (default a space)",
    ),
    spec(
        "replace",
        "replace(s VARCHAR, from VARCHAR, to VARCHAR) -> VARCHAR",
        "s with every from replaced by to",
    ),
    spec(
        "concat",
        "concat(a ANY, ...) -> VARCHAR",
        "the arguments as text joined, NULLs skipped",
    ),
    spec(
        "concat_ws",
        "concat_ws(sep VARCHAR, a ANY, ...) -> VARCHAR",
        "the non-NULL arguments joined with sep",
    ),
    spec(
        "strpos",
        "strpos(s VARCHAR, sub VARCHAR) -> BIGINT",
        "1-based position of sub in s, 0 when absent; also POSITION(sub IN s)",
    ),
    spec(
        "left",
        "left(s VARCHAR, n BIGINT) -> VARCHAR",
        "first n characters (all but the last -n when n < 0)",
    ),
    spec(
        "right",
        "right(s VARCHAR, n BIGINT) -> VARCHAR",
        "last n characters (all but the first -n when n < 0)",
    ),
    spec(
        "lpad",
        "lpad(s VARCHAR, n BIGINT [, fill VARCHAR]) -> VARCHAR",
        "s padded on the left with fill (default a space) to n characters, or cut to n",
    ),
    spec(
        "rpad",
        "rpad(s VARCHAR, n BIGINT [, fill VARCHAR]) -> VARCHAR",
        "s padded on the right with fill (default a space) to n characters, or cut to n",
    ),
    spec(
        "split_part",
        "split_part(s VARCHAR, delim VARCHAR, n BIGINT) -> VARCHAR",
        "the n-th field of s split at delim (from the end when n < 0), '' past the end",
    ),
    spec(
        "starts_with",
        "starts_with(s VARCHAR, prefix VARCHAR) -> BOOLEAN",
        "true when s begins with prefix",
    ),
    spec(
        "ends_with",
        "ends_with(s VARCHAR, suffix VARCHAR) -> BOOLEAN",
        "true when s ends with suffix",
    ),
    spec(
        "regexp_like",
        "regexp_like(s VARCHAR, pattern VARCHAR [, flags VARCHAR]) -> BOOLEAN",
        "true when the regular expression matches somewhere in s (flag i: ignore case)",
    ),
    spec(
        "regexp_replace",
        "regexp_replace(s VARCHAR, pattern VARCHAR, repl VARCHAR [, flags VARCHAR]) -> VARCHAR",
        "s with the first match replaced (flag g: every match, i: ignore case); \\1 in repl is a group",
    ),
    spec(
        "reverse",
        "reverse(s VARCHAR) -> VARCHAR",
        "the characters of s in reverse order",
    ),
    spec(
        "chr",
        "chr(code BIGINT) -> VARCHAR",
        "the character with Unicode code point code (0 and non-characters are errors)",
    ),
    // math
    spec("abs", "abs(x NUMERIC) -> type of x", "absolute value"),
    spec(
        "round",
        "round(x NUMERIC [, digits BIGINT]) -> type of x (integers BIGINT; a DECIMAL with constant digits d has scale d)",
        "x rounded to digits after the point (half away from zero; a DOUBLE without digits half to even)",
    ),
    spec(
        "ceil",
        "ceil(x NUMERIC) -> type of x (decimals DECIMAL(p,0))",
        "smallest integer not below x",
    ),
    spec(
        "ceiling",
        "ceiling(x NUMERIC) -> type of x (decimals DECIMAL(p,0))",
        "same as ceil",
    ),
    spec(
        "floor",
        "floor(x NUMERIC) -> type of x (decimals DECIMAL(p,0))",
        "largest integer not above x",
    ),
    spec(
        "sqrt",
        "sqrt(x DOUBLE) -> DOUBLE",
        "square root; negative x is an error",
    ),
    spec(
        "power",
        "power(x DOUBLE, y DOUBLE) -> DOUBLE",
        "x raised to y",
    ),
    spec("pow", "pow(x DOUBLE, y DOUBLE) -> DOUBLE", "same as power"),
    spec(
        "ln",
        "ln(x DOUBLE) -> DOUBLE",
        "natural logarithm; zero or negative x is an error",
    ),
    spec(
        "log",
        "log([b DOUBLE,] x DOUBLE) -> DOUBLE",
        "logarithm of x to base b (default 10)",
    ),
    spec("log10", "log10(x DOUBLE) -> DOUBLE", "base-10 logarithm"),
    spec("exp", "exp(x DOUBLE) -> DOUBLE", "e raised to x"),
    spec(
        "mod",
        "mod(a NUMERIC, b NUMERIC) -> common type",
        "remainder of a / b with the sign of a, as a % b",
    ),
    spec(
        "sign",
        "sign(x NUMERIC) -> type of x (integers BIGINT)",
        "-1, 0 or 1",
    ),
    spec(
        "greatest",
        "greatest(a, b, ...) -> common type",
        "the largest non-NULL argument",
    ),
    spec(
        "least",
        "least(a, b, ...) -> common type",
        "the smallest non-NULL argument",
    ),
    // conditional
    spec(
        "coalesce",
        "coalesce(a, b, ...) -> common type",
        "the first non-NULL argument",
    ),
    spec(
        "ifnull",
        "ifnull(a, b) -> common type",
        "a unless it is NULL, then b",
    ),
    spec(
        "nullif",
        "nullif(a, b) -> type of a",
        "NULL when a = b, else a",
    ),
    // types
    spec(
        "typeof",
        "typeof(x ANY) -> VARCHAR",
        "the SQL name of the type of x (never NULL)",
    ),
    // dates and times
    spec(
        "date_part",
        "date_part(part VARCHAR, t DATE|TIMESTAMP) -> BIGINT",
        "a field of t: year, quarter, month, week, day, dow, doy, hour, minute, second, millisecond, microsecond, epoch; also EXTRACT(part FROM t)",
    ),
    spec(
        "date_trunc",
        "date_trunc(part VARCHAR, t DATE|TIMESTAMP) -> type of t",
        "t truncated to the start of its year, quarter, month, week, day, hour, minute or second",
    ),
    spec(
        "current_date",
        "current_date() -> DATE",
        "today's date (UTC); also CURRENT_DATE",
    ),
    spec(
        "current_timestamp",
        "current_timestamp() -> TIMESTAMP",
        "the current time (UTC); also CURRENT_TIMESTAMP and now()",
    ),
    spec("now", "now() -> TIMESTAMP", "same as current_timestamp"),
    spec(
        "make_date",
        "make_date(year BIGINT, month BIGINT, day BIGINT) -> DATE",
        "the date with these fields; an impossible date is an error",
    ),
    spec(
        "to_date",
        "to_date(s VARCHAR, format VARCHAR) -> DATE",
        "s parsed with a template such as 'YYYY-MM-DD' (YYYY, MM, DD, Mon, Month, HH24, MI, SS)",
    ),
    spec(
        "to_timestamp",
        "to_timestamp(s VARCHAR, format VARCHAR) -> TIMESTAMP",
        "s parsed with a template such as 'YYYY-MM-DD HH24:MI:SS'",
    ),
    spec(
        "to_char",
        "to_char(t DATE|TIMESTAMP, format VARCHAR) -> VARCHAR",
        "t formatted with a template such as 'YYYY-MM-DD' (the to_date patterns)",
    ),
    spec(
        "strftime",
        "strftime(t DATE|TIMESTAMP, format VARCHAR) -> VARCHAR",
        "t formatted with %-codes such as '%Y-%m-%d %H:%M:%S'",
    ),
];

/// Every aggregate function Ember knows (their types are in `AggFunc::return_type`).
pub const AGGREGATES: &[FunctionSpec] = &[
    spec(
        "count",
        "count(* | x [DISTINCT]) -> BIGINT",
        "number of rows, or of non-NULL x",
    ),
    spec(
        "sum",
        "sum(x NUMERIC) -> BIGINT | DOUBLE | DECIMAL(p+10,s)",
        "sum of the non-NULL values",
    ),
    spec(
        "avg",
        "avg(x NUMERIC) -> DOUBLE | DECIMAL(p+4,s+4)",
        "mean of the non-NULL values",
    ),
    spec(
        "mean",
        "mean(x NUMERIC) -> DOUBLE | DECIMAL(p+4,s+4)",
        "same as avg",
    ),
    spec("min", "min(x) -> type of x", "smallest non-NULL value"),
    spec("max", "max(x) -> type of x", "largest non-NULL value"),
    spec(
        "stddev",
        "stddev(x NUMERIC) -> DOUBLE",
        "sample standard deviation (same as stddev_samp)",
    ),
    spec(
        "stddev_samp",
        "stddev_samp(x NUMERIC) -> DOUBLE",
        "sample standard deviation; NULL for fewer than two values",
    ),
    spec(
        "stddev_pop",
        "stddev_pop(x NUMERIC) -> DOUBLE",
        "population standard deviation",
    ),
    spec(
        "variance",
        "variance(x NUMERIC) -> DOUBLE",
        "sample variance (same as var_samp)",
    ),
    spec(
        "var_samp",
        "var_samp(x NUMERIC) -> DOUBLE",
        "sample variance; NULL for fewer than two values",
    ),
    spec(
        "var_pop",
        "var_pop(x NUMERIC) -> DOUBLE",
        "population variance",
    ),
    spec(
        "bool_and",
        "bool_and(x BOOLEAN) -> BOOLEAN",
        "true when every non-NULL value is true",
    ),
    spec(
        "bool_or",
        "bool_or(x BOOLEAN) -> BOOLEAN",
        "true when some non-NULL value is true",
    ),
    spec(
        "string_agg",
        "string_agg(x VARCHAR, sep VARCHAR [ORDER BY x [ASC|DESC]]) -> VARCHAR",
        "the non-NULL values joined with the constant sep",
    ),
    spec(
        "approx_count_distinct",
        "approx_count_distinct(x) -> BIGINT",
        "estimated number of distinct non-NULL values (HyperLogLog, about 1% error)",
    ),
    spec(
        "median",
        "median(x NUMERIC) -> DOUBLE",
        "the middle value, interpolated (percentile_cont(0.5))",
    ),
    spec(
        "percentile_cont",
        "percentile_cont(f DOUBLE) WITHIN GROUP (ORDER BY x NUMERIC) -> DOUBLE",
        "the value at fraction f of the sorted values, interpolated",
    ),
];
