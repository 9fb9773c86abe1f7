//! The `workflow` command, run in-process: exit codes, JSON output shapes, and clear errors for
//! every kind of bad input. Fixtures live in `tests/cli/`.

use std::io::Write as _;
use std::time::Instant;

use chrono::DateTime;
use clap::Parser;
use serde_json::{Value, json};
use workflow_cli::{Cli, Io};

/// What one command printed, and its exit code.
pub(crate) struct Ran {
    pub(crate) code: u8,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Ran {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `workflow ARGS...` the way `main` does.
pub(crate) fn workflow(args: &[&str]) -> Ran {
    let cli = match Cli::try_parse_from(std::iter::once("workflow").chain(args.iter().copied())) {
        Ok(cli) => cli,
        Err(err) => {
            let (stdout, stderr) = if err.use_stderr() {
                (String::new(), err.to_string())
            } else {
                (err.to_string(), String::new())
            };
            return Ran {
                code: err.exit_code() as u8,
                stdout,
                stderr,
            };
        }
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    let code = match workflow_cli::run(cli, &mut io) {
        Ok(exit) => exit.code(),
        Err(err) => {
            writeln!(stderr, "error: {err:#}").expect("writes to a Vec");
            2
        }
    };
    Ran {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

pub(crate) fn fixture(name: &str) -> String {
    format!("{}/cli/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs a definition that cannot start and returns its error message.
pub(crate) fn run_error(args: &[&str]) -> String {
    let ran = workflow(args);
    assert_eq!(
        ran.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        ran.stdout, ran.stderr
    );
    assert!(ran.stdout.is_empty(), "stdout:\n{}", ran.stdout);
    assert!(ran.stderr.starts_with("error: "), "{}", ran.stderr);
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    ran.stderr
}

/// `validate --json` on one file: its diagnostics.
fn diagnostics(name: &str) -> Vec<Value> {
    let ran = workflow(&["validate", "--json", &fixture(name)]);
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    let report = ran.json();
    assert_eq!(report[0]["result"], "FAIL");
    report[0]["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
        .clone()
}

fn has(diagnostics: &[Value], code: &str, location: &str) -> bool {
    diagnostics
        .iter()
        .any(|d| d["code"] == code && d["location"] == location && d["severity"] == "ERROR")
}

fn event_types(result: &Value) -> Vec<&str> {
    result["history"]
        .as_array()
        .expect("history is an array")
        .iter()
        .map(|e| e["type"].as_str().expect("type is a string"))
        .collect()
}

#[test]
fn truncated_json_names_the_file_line_and_column() {
    let err = run_error(&["run", &fixture("truncated.asl.json")]);
    assert!(err.contains("truncated.asl.json"), "{err}");
    assert!(err.contains("INVALID_JSON_DESCRIPTION"), "{err}");
    assert!(err.contains("line 4, column 35"), "{err}");
    assert!(has(
        &diagnostics("truncated.asl.json"),
        "INVALID_JSON_DESCRIPTION",
        ""
    ));
}

#[test]
fn unknown_state_type_points_at_the_type() {
    let err = run_error(&["run", &fixture("unknown-state-type.asl.json")]);
    assert!(err.contains("/States/Nap/Type"), "{err}");
    assert!(err.contains("Sleep"), "{err}");
    assert!(has(
        &diagnostics("unknown-state-type.asl.json"),
        "SCHEMA_VALIDATION_FAILED",
        "/States/Nap/Type"
    ));
}

#[test]
fn dangling_next_is_one_readable_paragraph() {
    let err = run_error(&["run", &fixture("dangling-next.asl.json")]);
    let err = err.replace(&fixture(""), "");
    assert_eq!(
        err,
        "error: 'dangling-next.asl.json' is not a valid state machine (2 errors)
  ERROR MISSING_TRANSITION_TARGET at /States/Charge/Next: `Next` names the state `Ship`, which does not exist; expected one of `Charge`, `Done`
  ERROR MISSING_TRANSITION_TARGET at /States/Done: the state `Done` is not reachable: no `StartAt`, `Next`, `Default` or catcher of another state names it
"
    );
    assert!(has(
        &diagnostics("dangling-next.asl.json"),
        "MISSING_TRANSITION_TARGET",
        "/States/Charge/Next"
    ));
}

#[test]
fn cycle_without_end_is_invalid() {
    let err = run_error(&["run", &fixture("cycle-without-end.asl.json")]);
    assert!(err.contains("MISSING_END_STATE"), "{err}");
    assert!(has(
        &diagnostics("cycle-without-end.asl.json"),
        "MISSING_END_STATE",
        ""
    ));
}

#[test]
fn wrong_field_types_are_all_reported() {
    let err = run_error(&["run", &fixture("wrong-field-types.asl.json")]);
    assert!(err.contains("/TimeoutSeconds"), "{err}");
    let diagnostics = diagnostics("wrong-field-types.asl.json");
    assert!(has(
        &diagnostics,
        "SCHEMA_VALIDATION_FAILED",
        "/TimeoutSeconds"
    ));
    assert!(has(
        &diagnostics,
        "SCHEMA_VALIDATION_FAILED",
        "/States/Nap/End"
    ));
}

#[test]
fn a_task_without_a_mock_is_an_unknown_resource_and_suggests_mocks() {
    let err = run_error(&["run", &fixture("charge.asl.json")]);
    assert!(err.contains("UNKNOWN_RESOURCE at /States/Charge"), "{err}");
    assert!(err.contains("--mocks"), "{err}");
    // The definition itself is valid: only running it needs mocks.
    assert_eq!(workflow(&["validate", &fixture("charge.asl.json")]).code, 0);
}

#[test]
fn input_that_is_not_json_is_bad_input() {
    let err = run_error(&["run", &fixture("hello.asl.json"), "--input", "{who: 1}"]);
    assert!(err.contains("--input"), "{err}");
    assert!(err.contains("not JSON"), "{err}");
    assert!(err.contains("line 1 column 2"), "{err}");
    let err = run_error(&[
        "run",
        &fixture("hello.asl.json"),
        "--input",
        &format!("@{}", fixture("truncated.asl.json")),
    ]);
    assert!(err.contains("truncated.asl.json' is not JSON"), "{err}");
}

#[test]
fn a_ten_megabyte_input_is_over_the_limit() {
    let input = json!({"blob": "x".repeat(10 * 1024 * 1024)}).to_string();
    let err = run_error(&["run", &fixture("hello.asl.json"), "--input", &input]);
    assert!(err.contains("too large"), "{err}");
    assert!(err.contains("262144 bytes"), "{err}");
    assert!(err.len() < 500, "the message does not echo the input");
}

#[test]
fn unreadable_files_are_bad_input() {
    let missing = fixture("missing.asl.json");
    let err = run_error(&["run", &missing]);
    assert!(err.contains("cannot read"), "{err}");
    assert!(err.contains("missing.asl.json"), "{err}");
    let err = run_error(&["graph", &fixture("")]);
    assert!(err.contains("directory"), "{err}");
    let err = run_error(&[
        "run",
        &fixture("charge.asl.json"),
        "--mocks",
        &fixture("missing.mocks.json"),
    ]);
    assert!(err.contains("missing.mocks.json"), "{err}");
}

#[test]
fn a_successful_run_prints_one_json_object() {
    let ran = workflow(&[
        "run",
        &fixture("hello.asl.json"),
        "--input",
        r#"{"who": "world"}"#,
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let result = ran.json();
    let keys: Vec<&String> = result.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["status", "output", "error", "cause", "history"]);
    assert_eq!(result["status"], "SUCCEEDED");
    assert_eq!(result["output"], json!({"greeting": "hello world"}));
    assert_eq!(result["error"], Value::Null);
    assert_eq!(result["cause"], Value::Null);
    let types = event_types(&result);
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    let entered = &result["history"][1];
    assert_eq!(entered["id"], 2);
    assert_eq!(entered["previousEventId"], 1);
    assert_eq!(entered["stateEnteredEventDetails"]["name"], "Greet");
}

#[test]
fn a_successful_run_prints_history_status_and_output() {
    let ran = workflow(&["run", &fixture("hello.asl.json"), "-i", r#"{"who": "you"}"#]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert!(lines[0].contains("ExecutionStarted"), "{}", ran.stdout);
    assert!(
        lines[1].contains("PassStateEntered") && lines[1].ends_with("Greet"),
        "{}",
        ran.stdout
    );
    assert!(lines.contains(&"status: SUCCEEDED"), "{}", ran.stdout);
    assert!(
        lines.contains(&r#"output: {"greeting":"hello you"}"#),
        "{}",
        ran.stdout
    );
    // A run that ends at once reports no progress.
    assert_eq!(ran.stderr, "");
}

#[test]
fn a_failing_run_exits_1_with_error_and_cause() {
    let path = fixture("fail.asl.json");
    let ran = workflow(&["run", &path, "--json"]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let result = ran.json();
    assert_eq!(result["status"], "FAILED");
    assert_eq!(result["output"], Value::Null);
    assert_eq!(result["error"], "Order.Rejected");
    assert_eq!(result["cause"], "the order total is over the limit");
    assert_eq!(event_types(&result).last(), Some(&"ExecutionFailed"));

    let ran = workflow(&["run", &path]);
    assert_eq!(ran.code, 1);
    assert!(ran.stdout.contains("status: FAILED\n"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("error: Order.Rejected\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("cause: the order total is over the limit\n"),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_mocked_task_is_retried_through_an_aws_mock_file() {
    let (definition, mocks) = (fixture("charge.asl.json"), fixture("charge.mocks.json"));
    let charge = |test_case: &str| {
        workflow(&[
            "run",
            &definition,
            "--mocks",
            &mocks,
            "--test-case",
            test_case,
            "--clock",
            "virtual",
            "--json",
        ])
    };

    let ran = charge("BusyTwiceThenPaid");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let result = ran.json();
    assert_eq!(result["output"], json!({"receipt": "R-1"}));
    let types = event_types(&result);
    assert_eq!(types.iter().filter(|t| **t == "TaskFailed").count(), 2);
    assert_eq!(types.iter().filter(|t| **t == "TaskSucceeded").count(), 1);

    let ran = charge("AlwaysBusy");
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let result = ran.json();
    assert_eq!(result["error"], "Payment.Busy");
    assert_eq!(result["cause"], "the payment service is busy");
    // The first attempt and the three retries.
    let types = event_types(&result);
    assert_eq!(types.iter().filter(|t| **t == "TaskFailed").count(), 4);
}

#[test]
fn mock_file_problems_are_bad_input() {
    let (definition, mocks) = (fixture("charge.asl.json"), fixture("charge.mocks.json"));
    let err = run_error(&["run", &definition, "--mocks", &mocks]);
    assert!(err.contains("several test cases"), "{err}");
    assert!(err.contains("--test-case"), "{err}");
    let err = run_error(&["run", &definition, "--mocks", &mocks, "--test-case", "Nope"]);
    assert!(err.contains("no test case 'Nope'"), "{err}");
    let err = run_error(&[
        "run",
        &definition,
        "--mocks",
        &fixture("truncated.asl.json"),
    ]);
    assert!(err.contains("is not JSON"), "{err}");
    let short = fixture("short.mocks.json");
    let err = run_error(&["run", &definition, "--mocks", &short, "--test-case", "X"]);
    assert!(err.contains("--test-case needs"), "{err}");
}

#[test]
fn short_mock_form_needs_no_test_case() {
    let ran = workflow(&[
        "run",
        &fixture("charge.asl.json"),
        "--mocks",
        &fixture("short.mocks.json"),
        "--clock",
        "virtual",
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.json()["output"], json!({"receipt": "R-2"}));
}

#[test]
fn a_one_day_wait_ends_at_once_on_the_virtual_clock() {
    let started = Instant::now();
    let ran = workflow(&[
        "run",
        &fixture("wait-a-day.asl.json"),
        "--clock",
        "virtual",
        "--json",
    ]);
    assert!(started.elapsed().as_secs() < 10, "the wait took real time");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let result = ran.json();
    assert_eq!(result["output"], "awake");
    let time = |event_type: &str| {
        let event = result["history"]
            .as_array()
            .expect("history")
            .iter()
            .find(|e| e["type"] == event_type)
            .unwrap_or_else(|| panic!("no {event_type} event"));
        DateTime::parse_from_rfc3339(event["timestamp"].as_str().expect("timestamp"))
            .expect("an RFC 3339 timestamp")
    };
    let waited = time("WaitStateExited") - time("WaitStateEntered");
    assert_eq!(waited.num_seconds(), 86_400);
}

#[test]
fn validate_json_reports_each_file() {
    let (good, bad, missing) = (
        fixture("hello.asl.json"),
        fixture("dangling-next.asl.json"),
        fixture("missing.asl.json"),
    );
    let ran = workflow(&["validate", "--json", &good, &bad, &missing]);
    assert_eq!(ran.code, 2);
    let report = ran.json();
    let files = report.as_array().expect("an array");
    assert_eq!(files.len(), 3);
    assert_eq!(files[0]["file"], good.as_str());
    assert_eq!(files[0]["result"], "OK");
    assert_eq!(files[0]["diagnostics"], json!([]));
    assert_eq!(files[1]["result"], "FAIL");
    assert_eq!(
        files[1]["diagnostics"][0],
        json!({
            "severity": "ERROR",
            "code": "MISSING_TRANSITION_TARGET",
            "message": "`Next` names the state `Ship`, which does not exist; expected one of `Charge`, `Done`",
            "location": "/States/Charge/Next"
        })
    );
    assert_eq!(files[2]["result"], "FAIL");
    assert!(
        files[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot read")),
        "{}",
        files[2]
    );

    let ran = workflow(&["validate", "--json", &good, &fixture("charge.asl.json")]);
    assert_eq!(ran.code, 0);
}

#[test]
fn validate_prints_one_line_per_diagnostic() {
    let bad = fixture("dangling-next.asl.json");
    let ran = workflow(&["validate", &bad, &fixture("hello.asl.json")]);
    assert_eq!(ran.code, 2);
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.stdout);
    assert!(lines[0].starts_with(&format!(
        "{bad}: ERROR MISSING_TRANSITION_TARGET at /States/Charge/Next: "
    )));
    assert!(lines[2].ends_with("hello.asl.json: OK"), "{}", ran.stdout);
}

#[test]
fn graph_renders_dot_and_mermaid() {
    let ran = workflow(&["graph", &fixture("hello.asl.json"), "--format", "dot"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.starts_with("digraph"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains(r#"label="Greet\n(Pass)""#),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.trim_end().ends_with('}'), "{}", ran.stdout);

    let ran = workflow(&["graph", &fixture("hello.asl.json")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.starts_with("stateDiagram-v2"), "{}", ran.stdout);

    let err = run_error(&["graph", &fixture("cycle-without-end.asl.json")]);
    assert!(err.contains("MISSING_END_STATE"), "{err}");
}

#[test]
fn command_line_mistakes_exit_2_and_help_exits_0() {
    let ran = workflow(&["run", &fixture("hello.asl.json"), "--clock", "fake"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("possible values: real, virtual"),
        "{}",
        ran.stderr
    );
    let ran = workflow(&["run", &fixture("hello.asl.json"), "--test-case", "X"]);
    assert_eq!(ran.code, 2, "--test-case requires --mocks");
    let ran = workflow(&["--help"]);
    assert_eq!(ran.code, 0);
    assert!(ran.stdout.contains("Exit codes:"), "{}", ran.stdout);
}

#[test]
fn the_mock_file_entry_is_picked_by_name() {
    let (definition, mocks) = (fixture("charge.asl.json"), fixture("charge.mocks.json"));
    let ran = workflow(&[
        "run",
        &definition,
        "--mocks",
        &mocks,
        "--machine",
        "express-charge",
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.json()["output"], json!({"receipt": "R-express"}));

    let err = run_error(&["run", &definition, "--mocks", &mocks, "--machine", "nope"]);
    assert!(err.contains("no state machine named 'nope'"), "{err}");
    assert!(err.contains("'charge', 'express-charge'"), "{err}");
}

/// Takes two seconds of real time; set `WORKFLOW_SKIP_SLOW_TESTS` to skip it.
#[test]
fn a_long_run_reports_progress_on_stderr() {
    if std::env::var_os("WORKFLOW_SKIP_SLOW_TESTS").is_some() {
        return;
    }
    let ran = workflow(&["run", &fixture("wait-two-seconds.asl.json"), "--json"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr
            .starts_with("still running after 1s: 2 events, last entered 'Nap'\n"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.lines().count() <= 2, "{}", ran.stderr);
    assert_eq!(ran.json()["status"], "SUCCEEDED");
}
