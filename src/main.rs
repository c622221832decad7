//! The `ember` binary: the SQL shell (`ember --help`), or `ember serve`, a Spark
//! Connect server for PySpark (`ember serve --help`).

use clap::Parser;

/// `ember serve`: a Spark Connect server, so PySpark programs run on Ember.
#[derive(Debug, Parser)]
#[command(
    name = "ember serve",
    bin_name = "ember serve",
    about = "Serve Spark Connect: PySpark connects with SparkSession.builder.remote(\"sc://localhost:15002\")"
)]
struct ServeCli {
    /// Address to listen on; anything but loopback also needs --token.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 15002)]
    port: u16,
    /// Clients must send this token (sc://host:port/;token=...).
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Register the eight TPC-H tables, generated at scale factor SF, in every session.
    #[arg(long, value_name = "SF")]
    tpch: Option<f64>,
    /// Worker threads shared by every session (default: the number of cores).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Memory all sessions' queries may hold at once (e.g. 4GB, 50%); past it sorts
    /// and aggregations spill to disk (default: 80% of physical memory).
    #[arg(long, value_name = "SIZE")]
    memory_limit: Option<String>,
}

fn serve(args: &[String]) -> i32 {
    let cli = match ServeCli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let mut config = ember::SessionConfig::default();
    if let Some(n) = cli.threads {
        config.threads = n;
    }
    if let Some(limit) = &cli.memory_limit
        && let Err(e) = config.set("ember.memory.limit", limit)
    {
        eprintln!("error: --memory-limit: {e}");
        return 2;
    }
    if let Err(e) = config.validate() {
        eprintln!("error: {e}");
        return 2;
    }
    let options = ember::connect::ServeOptions {
        host: cli.host,
        port: cli.port,
        token: cli.token,
        config,
        tpch: cli.tpch,
    };
    match ember::connect::serve(options) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        std::process::exit(serve(&args[1..]));
    }
    std::process::exit(ember::shell::main());
}
