//! `ember serve` through a real gRPC client (generated from the same `.proto` files):
//! SQL and DataFrame relations come back as Arrow batches, settings round-trip,
//! sessions keep their views apart, unsupported relations and functions are errors
//! naming them, a token is required off loopback, and Interrupt stops a running query.

use std::sync::Arc;

use arrow::array::{AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use ember::connect::proto::execute_plan_response::ResponseType;
use ember::connect::proto::expression::{self, ExprType};
use ember::connect::proto::relation::RelType;
use ember::connect::proto::spark_connect_service_client::SparkConnectServiceClient;
use ember::connect::proto::*;
use ember::connect::{ServeOptions, Server};
use tonic::transport::Channel;

fn start(host: &str, token: Option<&str>) -> Server {
    let mut options = ServeOptions {
        host: host.into(),
        port: 0,
        token: token.map(str::to_string),
        ..ServeOptions::default()
    };
    options.config.threads = 2;
    options.config.target_partitions = 2;
    Server::start(options).expect("server starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn client(server: &Server) -> SparkConnectServiceClient<Channel> {
    let url = format!("http://127.0.0.1:{}", server.addr().port());
    SparkConnectServiceClient::connect(url)
        .await
        .expect("connects")
}

fn rel(t: RelType) -> Relation {
    Relation {
        common: None,
        rel_type: Some(t),
    }
}

fn rel_id(t: RelType, plan_id: i64) -> Relation {
    Relation {
        common: Some(RelationCommon {
            plan_id: Some(plan_id),
            ..Default::default()
        }),
        rel_type: Some(t),
    }
}

fn boxed(r: Relation) -> Option<Box<Relation>> {
    Some(Box::new(r))
}

fn ex(t: ExprType) -> Expression {
    Expression {
        common: None,
        expr_type: Some(t),
    }
}

fn col(name: &str) -> Expression {
    ex(ExprType::UnresolvedAttribute(
        expression::UnresolvedAttribute {
            unparsed_identifier: name.into(),
            ..Default::default()
        },
    ))
}

fn col_of(name: &str, plan_id: i64) -> Expression {
    ex(ExprType::UnresolvedAttribute(
        expression::UnresolvedAttribute {
            unparsed_identifier: name.into(),
            plan_id: Some(plan_id),
            ..Default::default()
        },
    ))
}

fn long(n: i64) -> Expression {
    ex(ExprType::Literal(expression::Literal {
        literal_type: Some(expression::literal::LiteralType::Long(n)),
        ..Default::default()
    }))
}

fn call(name: &str, args: Vec<Expression>) -> Expression {
    ex(ExprType::UnresolvedFunction(
        expression::UnresolvedFunction {
            function_name: name.into(),
            arguments: args,
            ..Default::default()
        },
    ))
}

fn alias(e: Expression, name: &str) -> Expression {
    ex(ExprType::Alias(Box::new(expression::Alias {
        expr: Some(Box::new(e)),
        name: vec![name.into()],
        metadata: None,
    })))
}

fn sql(query: &str) -> Relation {
    rel(RelType::Sql(Sql {
        query: query.into(),
        ..Default::default()
    }))
}

fn range(end: i64, plan_id: i64) -> Relation {
    rel_id(
        RelType::Range(Range {
            start: Some(0),
            end,
            step: 1,
            num_partitions: None,
        }),
        plan_id,
    )
}

fn request(session: &str, op: plan::OpType) -> ExecutePlanRequest {
    ExecutePlanRequest {
        session_id: session.into(),
        plan: Some(Plan { op_type: Some(op) }),
        ..Default::default()
    }
}

/// Runs a relation; returns the batches, or the error status.
async fn run(
    c: &mut SparkConnectServiceClient<Channel>,
    session: &str,
    r: Relation,
) -> Result<Vec<RecordBatch>, tonic::Status> {
    let mut stream = c
        .execute_plan(request(session, plan::OpType::Root(r)))
        .await?
        .into_inner();
    let mut batches = Vec::new();
    let mut complete = false;
    while let Some(resp) = stream.message().await? {
        assert_eq!(resp.session_id, session);
        assert!(!resp.server_side_session_id.is_empty());
        match resp.response_type {
            Some(ResponseType::ArrowBatch(b)) => {
                let reader =
                    arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(b.data), None)
                        .unwrap();
                for batch in reader {
                    let batch = batch.unwrap();
                    assert_eq!(batch.num_rows() as i64, b.row_count);
                    batches.push(batch);
                }
            }
            Some(ResponseType::ResultComplete(_)) => complete = true,
            _ => {}
        }
    }
    assert!(complete, "the stream ends with ResultComplete");
    Ok(batches)
}

async fn command(
    c: &mut SparkConnectServiceClient<Channel>,
    session: &str,
    cmd: command::CommandType,
) -> Result<Vec<ExecutePlanResponse>, tonic::Status> {
    let op = plan::OpType::Command(Command {
        command_type: Some(cmd),
    });
    let mut stream = c.execute_plan(request(session, op)).await?.into_inner();
    let mut out = Vec::new();
    while let Some(resp) = stream.message().await? {
        out.push(resp);
    }
    Ok(out)
}

fn longs(batches: &[RecordBatch], column: usize) -> Vec<i64> {
    batches
        .iter()
        .flat_map(|b| {
            b.column(column)
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.unwrap_or(i64::MIN))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn sql_queries_come_back_as_arrow_batches() {
    let server = start("127.0.0.1", None);
    runtime().block_on(async {
        let mut c = client(&server).await;
        let batches = run(&mut c, "s1", sql("SELECT 40 + 2 AS answer, 'x' AS s"))
            .await
            .unwrap();
        assert_eq!(longs(&batches, 0), vec![42]);
        assert_eq!(batches[0].schema().field(0).name(), "answer");
        let empty = run(&mut c, "s1", sql("SELECT 1 AS a WHERE false"))
            .await
            .unwrap();
        assert_eq!(empty.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
        assert_eq!(empty[0].schema().field(0).name(), "a");
        let err = run(&mut c, "s1", sql("SELECT nope FROM nowhere"))
            .await
            .unwrap_err();
        assert!(err.message().contains("nowhere"), "{}", err.message());
    });
}

#[test]
fn a_dataframe_relation_tree_runs() {
    let server = start("127.0.0.1", None);
    runtime().block_on(async {
        let mut c = client(&server).await;
        // spark.range(10).filter(id % 2 == 0).select(id, (id * 10).alias("x"))
        //     .orderBy(desc(id)).limit(3)
        let filtered = rel(RelType::Filter(Box::new(Filter {
            input: boxed(range(10, 1)),
            condition: Some(call(
                "==",
                vec![call("%", vec![col("id"), long(2)]), long(0)],
            )),
        })));
        let projected = rel(RelType::Project(Box::new(Project {
            input: boxed(filtered),
            expressions: vec![col("id"), alias(call("*", vec![col("id"), long(10)]), "x")],
        })));
        let sorted = rel(RelType::Sort(Box::new(Sort {
            input: boxed(projected),
            order: vec![expression::SortOrder {
                child: Some(Box::new(col("id"))),
                direction: expression::sort_order::SortDirection::Descending as i32,
                null_ordering: 0,
            }],
            is_global: Some(true),
        })));
        let limited = rel(RelType::Limit(Box::new(Limit {
            input: boxed(sorted),
            limit: 3,
        })));
        let batches = run(&mut c, "s", limited).await.unwrap();
        assert_eq!(longs(&batches, 0), vec![8, 6, 4]);
        assert_eq!(longs(&batches, 1), vec![80, 60, 40]);

        // groupBy(id % 3).agg(count(*), sum(id)) over range(10), a join on plan ids,
        // and an expression string.
        let grouped = rel(RelType::Aggregate(Box::new(Aggregate {
            input: boxed(range(10, 2)),
            group_type: aggregate::GroupType::Groupby as i32,
            grouping_expressions: vec![alias(call("%", vec![col("id"), long(3)]), "k")],
            aggregate_expressions: vec![
                alias(
                    call(
                        "count",
                        vec![ex(ExprType::UnresolvedStar(Default::default()))],
                    ),
                    "n",
                ),
                call("sum", vec![col("id")]),
            ],
            ..Default::default()
        })));
        let sorted = rel(RelType::Sort(Box::new(Sort {
            input: boxed(grouped),
            order: vec![expression::SortOrder {
                child: Some(Box::new(col("k"))),
                direction: expression::sort_order::SortDirection::Ascending as i32,
                null_ordering: 0,
            }],
            is_global: Some(true),
        })));
        let batches = run(&mut c, "s", sorted).await.unwrap();
        assert_eq!(longs(&batches, 0), vec![0, 1, 2]);
        assert_eq!(longs(&batches, 1), vec![4, 3, 3]);
        assert_eq!(longs(&batches, 2), vec![18, 12, 15]);
        assert_eq!(batches[0].schema().field(2).name(), "sum(id)");

        let joined = rel(RelType::Join(Box::new(Join {
            left: boxed(range(5, 10)),
            right: boxed(range(3, 11)),
            join_condition: Some(call("==", vec![col_of("id", 10), col_of("id", 11)])),
            join_type: join::JoinType::LeftOuter as i32,
            ..Default::default()
        })));
        let counted = rel(RelType::Project(Box::new(Project {
            input: boxed(joined),
            expressions: vec![
                ex(ExprType::ExpressionString(expression::ExpressionString {
                    expression: "count(*) AS n".into(),
                })),
                alias(call("count", vec![col_of("id", 11)]), "matched"),
            ],
        })));
        let batches = run(&mut c, "s", counted).await.unwrap();
        assert_eq!(longs(&batches, 0), vec![5]);
        assert_eq!(longs(&batches, 1), vec![3]);
    });
}

#[test]
fn local_rows_show_and_schema() {
    let server = start("127.0.0.1", None);
    runtime().block_on(async {
        let mut c = client(&server).await;
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3])),
                Arc::new(StringArray::from(vec![Some("ann"), None, Some("bo")])),
            ],
        )
        .unwrap();
        let mut data = Vec::new();
        {
            let mut w = arrow::ipc::writer::StreamWriter::try_new(&mut data, &schema).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        let local = rel(RelType::LocalRelation(LocalRelation {
            data: Some(data.into()),
            schema: None,
        }));
        let show = rel(RelType::ShowString(Box::new(ShowString {
            input: boxed(local.clone()),
            num_rows: 2,
            truncate: 20,
            vertical: false,
        })));
        let batches = run(&mut c, "s", show).await.unwrap();
        let text = batches[0].column(0).as_string::<i32>().value(0).to_string();
        assert_eq!(
            text,
            "+---+----+\n| id|name|\n+---+----+\n|  1| ann|\n|  2|NULL|\n+---+----+\nonly showing top 2 rows\n"
        );

        let analyzed = c
            .analyze_plan(AnalyzePlanRequest {
                session_id: "s".into(),
                analyze: Some(analyze_plan_request::Analyze::TreeString(
                    analyze_plan_request::TreeString {
                        plan: Some(Plan {
                            op_type: Some(plan::OpType::Root(local)),
                        }),
                        level: None,
                    },
                )),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let Some(analyze_plan_response::Result::TreeString(t)) = analyzed.result else {
            panic!("a tree string");
        };
        assert_eq!(
            t.tree_string,
            "root\n |-- id: long (nullable = false)\n |-- name: string (nullable = true)\n"
        );
    });
}

#[test]
fn settings_round_trip_and_sessions_stay_apart() {
    let server = start("127.0.0.1", None);
    runtime().block_on(async {
        let mut c = client(&server).await;
        let config = |session: &str, op: config_request::operation::OpType| ConfigRequest {
            session_id: session.into(),
            operation: Some(config_request::Operation { op_type: Some(op) }),
            ..Default::default()
        };
        let kv = |k: &str, v: &str| KeyValue {
            key: k.into(),
            value: Some(v.into()),
        };
        c.config(config(
            "a",
            config_request::operation::OpType::Set(config_request::Set {
                pairs: vec![
                    kv("ember.execution.target_partitions", "3"),
                    kv("spark.app.name", "test"),
                ],
                silent: None,
            }),
        ))
        .await
        .unwrap();
        let get = |session: &str| {
            config(
                session,
                config_request::operation::OpType::Get(config_request::Get {
                    keys: vec![
                        "ember.execution.target_partitions".into(),
                        "spark.app.name".into(),
                    ],
                }),
            )
        };
        let a = c.config(get("a")).await.unwrap().into_inner().pairs;
        assert_eq!(a[0].value.as_deref(), Some("3"));
        assert_eq!(a[1].value.as_deref(), Some("test"));
        let b = c.config(get("b")).await.unwrap().into_inner().pairs;
        assert_ne!(b[0].value.as_deref(), Some("3"));
        assert_eq!(b[1].value, None);
        let bad = c
            .config(config(
                "a",
                config_request::operation::OpType::Set(config_request::Set {
                    pairs: vec![kv("ember.execution.target_partitionz", "3")],
                    silent: None,
                }),
            ))
            .await
            .unwrap_err();
        assert!(bad.message().contains("target_partitions"), "{}", bad.message());

        // A temp view of session a is not seen by session b.
        command(
            &mut c,
            "a",
            command::CommandType::CreateDataframeView(CreateDataFrameViewCommand {
                input: Some(range(4, 1)),
                name: "nums".into(),
                is_global: false,
                replace: true,
            }),
        )
        .await
        .unwrap();
        let mine = run(&mut c, "a", sql("SELECT count(*) FROM nums")).await.unwrap();
        assert_eq!(longs(&mine, 0), vec![4]);
        let theirs = run(&mut c, "b", sql("SELECT count(*) FROM nums")).await.unwrap_err();
        assert!(theirs.message().contains("nums"), "{}", theirs.message());

        // spark.sql of a command runs it and returns its rows as a local relation.
        let out = command(
            &mut c,
            "b",
            command::CommandType::SqlCommand(SqlCommand {
                input: Some(sql("CREATE VIEW v AS SELECT 7 AS seven")),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
        assert!(out.iter().any(|r| matches!(
            &r.response_type,
            Some(ResponseType::SqlCommandResult(s))
                if matches!(s.relation.as_ref().and_then(|r| r.rel_type.as_ref()), Some(RelType::LocalRelation(_)))
        )));
        let seven = run(&mut c, "b", sql("SELECT seven FROM v")).await.unwrap();
        assert_eq!(longs(&seven, 0), vec![7]);
    });
}

#[test]
fn unsupported_relations_and_functions_are_named_errors() {
    let server = start("127.0.0.1", None);
    runtime().block_on(async {
        let mut c = client(&server).await;
        let sample = rel(RelType::Sample(Box::new(Sample {
            input: boxed(range(10, 1)),
            lower_bound: 0.0,
            upper_bound: 0.5,
            ..Default::default()
        })));
        let err = run(&mut c, "s", sample).await.unwrap_err();
        assert!(
            err.message().contains("unsupported relation: Sample"),
            "{}",
            err.message()
        );
        let foo = rel(RelType::Project(Box::new(Project {
            input: boxed(range(10, 1)),
            expressions: vec![call("foo", vec![col("id")])],
        })));
        let err = run(&mut c, "s", foo).await.unwrap_err();
        assert!(err.message().contains("foo"), "{}", err.message());
        let udf = rel(RelType::Project(Box::new(Project {
            input: boxed(range(10, 1)),
            expressions: vec![ex(ExprType::CommonInlineUserDefinedFunction(
                CommonInlineUserDefinedFunction {
                    function_name: "my_udf".into(),
                    ..Default::default()
                },
            ))],
        })));
        let err = run(&mut c, "s", udf).await.unwrap_err();
        assert!(err.message().contains("my_udf"), "{}", err.message());
    });
}

#[test]
fn off_loopback_a_token_is_required() {
    let refused = Server::start(ServeOptions {
        host: "0.0.0.0".into(),
        port: 0,
        ..ServeOptions::default()
    });
    assert!(refused.err().unwrap().to_string().contains("--token"));
    let server = start("0.0.0.0", Some("s3cret"));
    runtime().block_on(async {
        let mut c = client(&server).await;
        let err = run(&mut c, "s", sql("SELECT 1")).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        let mut req = tonic::Request::new(request("s", plan::OpType::Root(sql("SELECT 1"))));
        req.metadata_mut()
            .insert("authorization", "Bearer s3cret".parse().unwrap());
        let mut stream = c.execute_plan(req).await.unwrap().into_inner();
        let mut rows = 0;
        while let Some(r) = stream.message().await.unwrap() {
            if let Some(ResponseType::ArrowBatch(b)) = r.response_type {
                rows += b.row_count;
            }
        }
        assert_eq!(rows, 1);
    });
}

#[test]
fn interrupt_stops_a_running_query() {
    let server = start("127.0.0.1", None);
    runtime().block_on(async {
        let mut c = client(&server).await;
        let mut c2 = c.clone();
        let long = sql("SELECT count(*) FROM range_big");
        // A long query: a cross join of two ranges registered as views.
        command(
            &mut c,
            "s",
            command::CommandType::CreateDataframeView(CreateDataFrameViewCommand {
                input: Some(rel(RelType::Join(Box::new(Join {
                    left: boxed(range(1_000_000, 1)),
                    right: boxed(range(1_000_000, 2)),
                    join_type: join::JoinType::Cross as i32,
                    ..Default::default()
                })))),
                name: "range_big".into(),
                is_global: false,
                replace: true,
            }),
        )
        .await
        .unwrap();
        let running = tokio::spawn(async move { run(&mut c2, "s", long).await });
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let started = std::time::Instant::now();
        let interrupted = c
            .interrupt(InterruptRequest {
                session_id: "s".into(),
                interrupt_type: interrupt_request::InterruptType::All as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(interrupted.interrupted_ids.len(), 1);
        let err = running.await.unwrap().unwrap_err();
        assert!(err.message().contains("cancelled"), "{}", err.message());
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    });
}
