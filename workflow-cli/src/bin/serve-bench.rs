//! Load test of a Step Functions API server (ours or a peer): starts N executions from C
//! concurrent clients over keep-alive HTTP/1.1 and reports throughput and latency, then checks
//! that every execution is accounted for.
//!
//! `serve-bench --url http://127.0.0.1:8083 --label ours --operation StartExecution --verify`
//! prints one JSON line: `{"peer", "operation", "clients", "executions", "seconds", "per_s",
//! "p50_ms", "p99_ms", "errors", "accounted", "succeeded"}`. Requests are unsigned: run the
//! server without credentials. `scripts/bench-serve` runs it against `workflow serve` and moto.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser, Debug)]
#[command(
    about = "Load test of a Step Functions API server: StartExecution or StartSyncExecution from concurrent clients"
)]
struct Args {
    /// The server, e.g. http://127.0.0.1:8083
    #[arg(long)]
    url: String,
    /// The peer's name in the report
    #[arg(long, default_value = "server")]
    label: String,
    /// Concurrent clients, each on its own connection
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Executions to start in all
    #[arg(long, default_value_t = 10_000)]
    executions: usize,
    /// StartExecution (STANDARD machine) or StartSyncExecution (EXPRESS machine)
    #[arg(long, default_value = "StartExecution")]
    operation: String,
    /// After the load, page through ListExecutions until every execution is listed and none is
    /// RUNNING (StartExecution)
    #[arg(long)]
    verify: bool,
    /// How long --verify waits for the executions to end
    #[arg(long, default_value_t = 300.0)]
    verify_seconds: f64,
}

/// One keep-alive HTTP/1.1 connection speaking awsJson1_0.
struct Connection {
    host: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Connection {
    fn new(host: &str) -> Connection {
        Connection {
            host: host.to_string(),
            stream: None,
        }
    }

    /// Sends one operation; reconnects when the server closed the connection.
    fn call(&mut self, operation: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        for attempt in 0..2 {
            match self.try_call(operation, body) {
                Ok(answer) => return Ok(answer),
                Err(e) if attempt == 0 && self.stream.is_none() => {
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        unreachable!("the loop returns")
    }

    fn try_call(&mut self, operation: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let fresh = self.stream.is_none();
        if fresh {
            let stream = TcpStream::connect(&self.host)
                .with_context(|| format!("cannot connect to {}", self.host))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(Duration::from_secs(120)))?;
            self.stream = Some(BufReader::new(stream));
        }
        let payload = body.to_string();
        // Unsigned: the placeholder Authorization only names the region (moto reads it from
        // there); neither server checks it when run without credentials.
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AWSStepFunctions.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=0000\r\nContent-Length: {}\r\n\r\n{payload}",
            self.host,
            payload.len()
        );
        let reader = self.stream.as_mut().expect("connected");
        let sent = reader.get_mut().write_all(request.as_bytes());
        let answer = sent
            .map_err(anyhow::Error::from)
            .and_then(|()| read_response(reader));
        match answer {
            Ok((status, close, body)) => {
                if close {
                    self.stream = None;
                }
                let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                Ok((status, value))
            }
            Err(e) => {
                self.stream = None;
                if fresh {
                    Err(e)
                } else {
                    // A kept-alive connection the server had closed: the caller retries once.
                    Err(e.context("the connection was closed"))
                }
            }
        }
    }
}

/// Reads one response: status, whether the server closes the connection, body.
fn read_response(reader: &mut BufReader<TcpStream>) -> anyhow::Result<(u16, bool, Vec<u8>)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        bail!("the server closed the connection");
    }
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or("").to_string();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {line:?}"))?;
    let mut length = None;
    let mut close = version == "HTTP/1.0";
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16)?;
            if size == 0 {
                line.clear();
                reader.read_line(&mut line)?;
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = length {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
        close = true;
    }
    Ok((status, close, body))
}

/// What one client saw: each request's latency, the executions it started, its failures.
struct ClientRun {
    latencies: Vec<Duration>,
    arns: Vec<String>,
    errors: Vec<String>,
}

/// The machine every peer runs: a Pass, a Choice, and two ends.
fn definition() -> String {
    json!({
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "kind": "bench"}, "Next": "Even?"},
            "Even?": {"Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 0, "Next": "Done"}],
                "Default": "Odd"},
            "Done": {"Type": "Pass", "Result": "ok", "ResultPath": "$.result", "End": true},
            "Odd": {"Type": "Fail", "Error": "Bench.Negative"}
        }
    })
    .to_string()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let host = args
        .url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--url must be http://HOST:PORT"))?
        .trim_end_matches('/')
        .to_string();
    let sync = match args.operation.as_str() {
        "StartExecution" => false,
        "StartSyncExecution" => true,
        other => bail!("--operation must be StartExecution or StartSyncExecution, not {other}"),
    };
    let stamp = chrono::Utc::now().timestamp_millis();
    let name = format!("bench-{}-{stamp}", if sync { "sync" } else { "std" });
    let mut setup = Connection::new(&host);
    let (status, created) = setup.call(
        "CreateStateMachine",
        &json!({
            "name": name,
            "definition": definition(),
            "roleArn": "arn:aws:iam::123456789012:role/bench",
            "type": if sync { "EXPRESS" } else { "STANDARD" },
        }),
    )?;
    if status != 200 {
        bail!("CreateStateMachine failed: {created}");
    }
    let machine = created["stateMachineArn"]
        .as_str()
        .ok_or_else(|| anyhow!("no stateMachineArn in {created}"))?
        .to_string();

    let per_client = args.executions / args.clients.max(1);
    let started = Instant::now();
    let results: Vec<anyhow::Result<ClientRun>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..args.clients)
            .map(|client| {
                let (host, machine, operation) = (&host, &machine, &args.operation);
                scope.spawn(move || {
                    let mut connection = Connection::new(host);
                    let mut latencies = Vec::with_capacity(per_client);
                    let mut arns = Vec::with_capacity(per_client);
                    let mut errors = Vec::new();
                    for i in 0..per_client {
                        let n = client * per_client + i;
                        let body = json!({
                            "stateMachineArn": machine,
                            "name": format!("e-{client}-{i}"),
                            "input": json!({"n": n}).to_string(),
                        });
                        let t0 = Instant::now();
                        let (status, answer) = connection.call(operation, &body)?;
                        latencies.push(t0.elapsed());
                        let ok = status == 200
                            && (!sync
                                || (answer["status"] == "SUCCEEDED"
                                    && serde_json::from_str::<Value>(
                                        answer["output"].as_str().unwrap_or(""),
                                    )
                                    .ok()
                                        == Some(json!({"n": n, "kind": "bench", "result": "ok"}))));
                        if ok {
                            if let Some(arn) = answer["executionArn"].as_str() {
                                arns.push(arn.to_string());
                            }
                        } else {
                            errors.push(format!("{status} {answer}"));
                        }
                    }
                    Ok(ClientRun {
                        latencies,
                        arns,
                        errors,
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a client panicked")))
            })
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    let mut arns = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        let run = result?;
        latencies.extend(run.latencies);
        arns.extend(run.arns);
        errors.extend(run.errors);
    }
    latencies.sort();
    let total = latencies.len();
    let mut report = json!({
        "peer": args.label,
        "operation": args.operation,
        "clients": args.clients,
        "executions": total,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "per_s": (total as f64 / seconds * 10.0).round() / 10.0,
        "p50_ms": (percentile(&latencies, 0.50) * 100.0).round() / 100.0,
        "p99_ms": (percentile(&latencies, 0.99) * 100.0).round() / 100.0,
        "errors": errors.len(),
    });
    if let Some(first) = errors.first() {
        eprintln!(
            "serve-bench: {} error responses; the first: {first}",
            errors.len()
        );
    }
    if args.verify && !sync {
        let (accounted, succeeded) = verify(&mut setup, &machine, &arns, args.verify_seconds)?;
        report["accounted"] = json!(accounted);
        report["succeeded"] = json!(succeeded);
        if accounted != arns.len() || succeeded != arns.len() {
            println!("{report}");
            bail!(
                "{} executions were started; {accounted} are listed and {succeeded} succeeded",
                arns.len()
            );
        }
    }
    if sync {
        report["succeeded"] = json!(arns.len());
    }
    println!("{report}");
    if !errors.is_empty() {
        bail!("{} requests failed", errors.len());
    }
    Ok(())
}

/// Pages through ListExecutions until every started execution is listed and none runs; returns
/// how many were listed and how many succeeded.
fn verify(
    connection: &mut Connection,
    machine: &str,
    arns: &[String],
    bound: f64,
) -> anyhow::Result<(usize, usize)> {
    let wanted: std::collections::HashSet<&str> = arns.iter().map(String::as_str).collect();
    let deadline = Instant::now() + Duration::from_secs_f64(bound);
    loop {
        let mut listed = std::collections::HashMap::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = json!({"stateMachineArn": machine, "maxResults": 1000});
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let (status, page) = connection.call("ListExecutions", &request)?;
            if status != 200 {
                bail!("ListExecutions failed: {page}");
            }
            for e in page["executions"].as_array().into_iter().flatten() {
                let arn = e["executionArn"].as_str().unwrap_or("").to_string();
                listed.insert(arn, e["status"].as_str().unwrap_or("").to_string());
            }
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        let accounted = wanted.iter().filter(|a| listed.contains_key(**a)).count();
        let running = listed.values().filter(|s| *s == "RUNNING").count();
        let succeeded = wanted
            .iter()
            .filter(|a| listed.get(**a).is_some_and(|s| s == "SUCCEEDED"))
            .count();
        if (accounted == wanted.len() && running == 0) || Instant::now() >= deadline {
            return Ok((accounted, succeeded));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
