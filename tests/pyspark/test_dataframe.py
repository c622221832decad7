"""The DataFrame API of PySpark (Spark Connect) on Ember: every call returns what
Spark would, and what Ember cannot do fails with an error naming it."""

import datetime
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pytest
from pyspark.sql import Row, Window
from pyspark.sql import functions as F
from pyspark.sql.types import LongType, StringType, StructField, StructType


@pytest.fixture(scope="module")
def people(spark):
    return spark.createDataFrame(
        [(1, "ann", 30, "x"), (2, "bob", 25, "y"), (3, "cy", None, "x"), (4, "dee", 41, "y")],
        "id long, name string, age long, team string",
    )


def test_sql_returns_rows(spark):
    assert spark.sql("SELECT 1 + 1 AS two, 'a' AS s").collect() == [Row(two=2, s="a")]


def test_range(spark):
    assert spark.range(100).count() == 100
    assert [r.id for r in spark.range(0, 10, 3).collect()] == [0, 3, 6, 9]
    assert spark.range(5).schema == StructType([StructField("id", LongType(), False)])


def test_create_dataframe_from_rows_pandas_and_arrow(spark):
    df = spark.createDataFrame([Row(a=1, b="x"), Row(a=2, b=None)])
    assert df.collect() == [Row(a=1, b="x"), Row(a=2, b=None)]
    pdf = pd.DataFrame({"a": [1.5, 2.5], "b": ["p", "q"]})
    assert spark.createDataFrame(pdf).agg(F.sum("a")).collect()[0][0] == 4.0
    table = pa.table({"k": [1, 2, 3], "d": [datetime.date(2024, 1, d) for d in (1, 2, 3)]})
    got = spark.createDataFrame(table).filter(F.col("k") > 1).collect()
    assert got == [Row(k=2, d=datetime.date(2024, 1, 2)), Row(k=3, d=datetime.date(2024, 1, 3))]


def test_select_filter_with_column(people):
    df = (
        people.select("id", "name", (F.col("age") + 1).alias("next"))
        .filter(F.col("next") > 26)
        .where("id < 4")
        .withColumn("double", F.col("id") * 2)
        .withColumnRenamed("name", "who")
        .drop("next")
        .orderBy("id")
    )
    assert df.columns == ["id", "who", "double"]
    assert df.collect() == [Row(id=1, who="ann", double=2)]
    assert people.selectExpr("id * 10 AS t", "upper(name) AS n").orderBy("t").first() == Row(
        t=10, n="ANN"
    )
    assert people.filter(F.expr("age IS NULL")).select("name").collect() == [Row(name="cy")]


def test_spark_division_and_names(people):
    row = people.filter(F.col("id") == 1).select(F.col("id") / 2, F.col("id") + 1).first()
    assert row[0] == 0.5
    assert people.select(F.col("id") + 1).columns == ["(id + 1)"]


def test_group_by_agg(people):
    got = (
        people.groupBy("team")
        .agg(
            F.count("*").alias("n"),
            F.sum("age").alias("total"),
            F.avg("age").alias("mean"),
            F.min("id").alias("lo"),
            F.max("name").alias("hi"),
            F.countDistinct("age").alias("ages"),
        )
        .orderBy("team")
        .collect()
    )
    assert got == [
        Row(team="x", n=2, total=30, mean=30.0, lo=1, hi="cy", ages=1),
        Row(team="y", n=2, total=66, mean=33.0, lo=2, hi="dee", ages=2),
    ]
    assert people.groupBy().count().collect() == [Row(count=4)]
    assert people.agg({"age": "max"}).collect() == [Row(**{"max(age)": 41})]


def test_joins(spark, people):
    teams = spark.createDataFrame([("x", "red"), ("z", "blue")], "team string, color string")
    inner = people.join(teams, "team").select("name", "color").orderBy("name").collect()
    assert inner == [Row(name="ann", color="red"), Row(name="cy", color="red")]
    left = people.join(teams, people.team == teams.team, "left").select(people.name, teams.color)
    assert left.orderBy("name").collect()[1] == Row(name="bob", color=None)
    assert people.join(teams, "team", "left_anti").count() == 2
    assert people.join(teams, "team", "left_semi").count() == 2
    full = people.join(teams, "team", "full").count()
    assert full == 5
    a, b = people.alias("a"), people.alias("b")
    pairs = a.join(b, F.col("a.id") < F.col("b.id")).select("a.id", "b.id")
    assert pairs.count() == 6
    assert people.crossJoin(teams).count() == 8


def test_order_limit_offset(people):
    assert [r.id for r in people.orderBy(F.desc("id")).limit(2).collect()] == [4, 3]
    assert [r.id for r in people.orderBy("id").offset(1).limit(2).collect()] == [2, 3]
    nulls_last = people.orderBy(F.col("age").asc_nulls_last()).collect()
    assert nulls_last[-1].name == "cy"
    assert people.sort(F.col("age").asc()).first().name == "cy"


def test_set_operations_and_distinct(spark):
    a = spark.createDataFrame([(1,), (2,), (2,)], "v long")
    b = spark.createDataFrame([(2,), (3,)], "v long")
    assert sorted(r.v for r in a.union(b).collect()) == [1, 2, 2, 2, 3]
    assert sorted(r.v for r in a.union(b).distinct().collect()) == [1, 2, 3]
    assert [r.v for r in a.intersect(b).collect()] == [2]
    assert [r.v for r in a.subtract(b).collect()] == [1]
    assert sorted(r.v for r in a.exceptAll(b).collect()) == [1, 2]
    c = spark.createDataFrame([("q", 9)], "s string, v long")
    by_name = a.unionByName(c, allowMissingColumns=True).orderBy("v").collect()
    assert by_name[-1] == Row(v=9, s="q")
    d = spark.createDataFrame([(1, "a"), (1, "b"), (2, "c")], "k long, s string")
    assert d.dropDuplicates(["k"]).count() == 2
    assert d.dropDuplicates().count() == 3


def test_actions(spark, people, capsys):
    assert people.count() == 4
    assert people.first() == Row(id=1, name="ann", age=30, team="x")
    assert len(people.take(2)) == 2
    pdf = people.orderBy("id").toPandas()
    assert list(pdf["name"]) == ["ann", "bob", "cy", "dee"]
    assert people.toArrow().num_rows == 4
    people.orderBy("id").show(2)
    out = capsys.readouterr().out
    assert out == (
        "+---+----+---+----+\n"
        "| id|name|age|team|\n"
        "+---+----+---+----+\n"
        "|  1| ann| 30|   x|\n"
        "|  2| bob| 25|   y|\n"
        "+---+----+---+----+\n"
        "only showing top 2 rows\n\n"
    )
    people.printSchema()
    assert " |-- name: string (nullable = true)" in capsys.readouterr().out
    assert people.schema["name"].dataType == StringType()
    assert people.dtypes == [("id", "bigint"), ("name", "string"), ("age", "bigint"), ("team", "string")]
    people.explain()
    assert capsys.readouterr().out.strip() != ""


def test_functions(people):
    row = (
        people.filter(F.col("id") == 1)
        .select(
            F.when(F.col("age") > 40, "old").otherwise("young").alias("w"),
            F.col("age").cast("string").alias("s"),
            F.lit(7).alias("seven"),
            F.upper("name").alias("u"),
            F.length("name").alias("len"),
            F.substring("name", 1, 2).alias("sub"),
            F.concat(F.col("name"), F.lit("!")).alias("c"),
            F.abs(F.lit(-3)).alias("a"),
            F.round(F.lit(2.567), 1).alias("r"),
            F.col("name").startswith("a").alias("sw"),
            F.col("name").isin("ann", "bob").alias("inlist"),
            F.coalesce(F.col("age"), F.lit(0)).alias("co"),
        )
        .first()
    )
    assert row == Row(
        w="young", s="30", seven=7, u="ANN", len=3, sub="an", c="ann!", a=3, r=2.6,
        sw=True, inlist=True, co=30,
    )
    dates = people.sparkSession.sql("SELECT DATE '2024-03-15' AS d").select(
        F.year("d").alias("y"), F.month("d").alias("m"), F.dayofmonth("d").alias("day")
    )
    assert dates.first() == Row(y=2024, m=3, day=15)


def test_window_functions(people):
    w = Window.partitionBy("team").orderBy("id")
    got = (
        people.select(
            "id",
            F.row_number().over(w).alias("rn"),
            F.sum("id").over(w).alias("running"),
        )
        .orderBy("id")
        .collect()
    )
    assert [(r.id, r.rn, r.running) for r in got] == [(1, 1, 1), (2, 1, 2), (3, 2, 4), (4, 2, 6)]


def test_temp_views(spark, people):
    people.createOrReplaceTempView("people_v")
    assert spark.sql("SELECT count(*) AS n FROM people_v WHERE team = 'x'").first().n == 2
    assert spark.table("people_v").count() == 4
    assert spark.read.table("people_v").count() == 4


def test_sessions_keep_their_views_apart(new_session):
    s1, s2 = new_session(), new_session()
    s1.range(3).createOrReplaceTempView("only_mine")
    s2.range(5).createOrReplaceTempView("only_yours")
    assert s1.sql("SELECT count(*) FROM only_mine").first()[0] == 3
    assert s2.sql("SELECT count(*) FROM only_yours").first()[0] == 5
    with pytest.raises(Exception, match="only_mine"):
        s2.sql("SELECT * FROM only_mine").collect()


def test_conf(spark):
    spark.conf.set("ember.execution.target_partitions", "3")
    assert spark.conf.get("ember.execution.target_partitions") == "3"
    spark.conf.set("spark.my.setting", "v")
    assert spark.conf.get("spark.my.setting") == "v"
    with pytest.raises(Exception, match="target_partitions"):
        spark.conf.set("ember.execution.target_partitionz", "3")


def test_unsupported_calls_name_what_is_missing(spark, people):
    with pytest.raises(Exception, match="Sample"):
        people.sample(0.5).collect()
    with pytest.raises(Exception, match="no_such_function"):
        people.select(F.call_function("no_such_function", F.col("id"))).collect()

    @F.udf("long")
    def plus_one(x):
        return x + 1

    with pytest.raises(Exception, match="plus_one"):
        people.select(plus_one("id")).collect()


def test_read_files(spark, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n2,y\n")
    df = spark.read.csv(str(path), header=True, inferSchema=True)
    assert df.orderBy("a").collect() == [Row(a=1, b="x"), Row(a=2, b="y")]
    jpath = tmp_path / "t.json"
    jpath.write_text('{"a": 1}\n{"a": 5}\n')
    assert spark.read.json(str(jpath)).agg(F.sum("a")).first()[0] == 6


def test_cache_and_catalog(spark):
    df = spark.range(10).withColumn("sq", F.col("id") * F.col("id"))
    df.cache()
    assert df.storageLevel.useMemory
    assert df.agg(F.sum("sq")).first()[0] == 285
    assert df.filter("id > 5").count() == 4
    df.unpersist()
    assert df.count() == 10
    df.createOrReplaceTempView("squares")
    names = {t.name: t for t in spark.catalog.listTables()}
    assert names["squares"].isTemporary
    assert "lineitem" in names and not names["lineitem"].isTemporary
    assert spark.catalog.tableExists("squares")
    assert spark.catalog.currentDatabase() == "default"
    assert spark.catalog.dropTempView("squares")
    assert not spark.catalog.tableExists("squares")


def test_write_and_read_back(spark, tmp_path):
    df = spark.range(6).withColumn("part", F.col("id") % 2)
    out = str(tmp_path / "out")
    df.write.mode("overwrite").partitionBy("part").parquet(out)
    back = spark.read.parquet(out)
    assert back.count() == 6
    assert sorted(r.id for r in back.filter(F.col("part") == 1).collect()) == [1, 3, 5]
    with pytest.raises(Exception):
        df.write.parquet(out)  # exists, and the default mode is errorifexists
    csv_out = str(tmp_path / "csv")
    df.write.csv(csv_out, header=True)
    assert spark.read.csv(csv_out, header=True).count() == 6
    df.write.saveAsTable("saved")
    assert spark.table("saved").count() == 6


def test_interrupt_all_stops_a_running_query(spark):
    import threading
    import time

    big = spark.range(2_000_000).crossJoin(spark.range(2_000_000).withColumnRenamed("id", "j"))
    errors = []

    def run():
        try:
            big.count()
        except Exception as e:  # the interrupted query fails
            errors.append(str(e))

    t = threading.Thread(target=run)
    t.start()
    time.sleep(1.0)
    spark.interruptAll()
    t.join(60)
    assert not t.is_alive()
    assert errors and "cancelled" in errors[0]
