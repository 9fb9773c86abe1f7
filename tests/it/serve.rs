//! `workflow serve` over raw HTTP: the wire protocol (targets, errors, limits), the checks that
//! come before any operation (size, origin, authentication), and what the API does to the
//! store (update, delete, restart). The real clients' suites are `serve_clients.rs` and
//! `serve_sdk.rs`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use workflow_core::exec::{CommitPolicy, Engine, EngineConfig};
use workflow_core::serve::{Api, Credentials, ServeConfig};
use workflow_core::store::SqliteStore;

const MACHINE: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";
const ACTIVITY: &str = "arn:aws:states:us-east-1:123456789012:activity:review";
const ROLE: &str = "arn:aws:iam::123456789012:role/r";

/// A server on a fresh port over the store at `path`, hosted on its own runtime.
struct Server {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    fn start(path: &std::path::Path, credentials: Credentials) -> Server {
        Server::start_with(path, credentials, Default::default())
    }

    /// A server whose machines' Task states are answered by `mocks` (by machine name).
    fn start_with(
        path: &std::path::Path,
        credentials: Credentials,
        mocks: std::collections::HashMap<String, workflow_core::exec::Mocks>,
    ) -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let store: Arc<dyn workflow_core::store::Store> =
            Arc::new(SqliteStore::open(path).unwrap());
        let engine = Engine::new(EngineConfig {
            store: Some(store.clone()),
            commit: CommitPolicy::EveryTransition,
            ..EngineConfig::default()
        });
        engine.forget_finished();
        let api = Arc::new(Api::new(engine.clone(), store, mocks));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(workflow_core::serve::serve(
            api,
            ServeConfig { credentials },
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        // What `serve` does besides: host what the store has RUNNING.
        runtime.spawn(async move {
            loop {
                let _ = engine.recover().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Server {
            addr,
            runtime: Some(runtime),
            stop: Some(stop),
        }
    }

    fn call(&self, operation: &str, body: Value) -> (u16, Value) {
        let headers = [(
            "X-Amz-Target".to_string(),
            format!("AWSStepFunctions.{operation}"),
        )];
        let (status, _, body) = request(
            self.addr,
            "POST",
            "/",
            &headers,
            body.to_string().as_bytes(),
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// An operation that must succeed.
    fn ok(&self, operation: &str, body: Value) -> Value {
        let (status, answer) = self.call(operation, body);
        assert_eq!(status, 200, "{operation}: {answer}");
        answer
    }

    /// An operation that must fail with `code`.
    fn fails(&self, operation: &str, body: Value, code: &str) -> Value {
        let (status, answer) = self.call(operation, body);
        assert_eq!(status, 400, "{operation}: {answer}");
        let kind = answer["__type"].as_str().unwrap_or_default();
        assert_eq!(kind.rsplit('#').next(), Some(code), "{operation}: {answer}");
        answer
    }

    fn wait_for_status(&self, arn: &str, status: &str) -> Value {
        for _ in 0..500 {
            let e = self.ok("DescribeExecution", json!({"executionArn": arn}));
            if e["status"] == status {
                return e;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let history = self.ok("GetExecutionHistory", json!({"executionArn": arn}));
        panic!("{arn} never became {status}: {history}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// One HTTP/1.1 request on its own connection: status, headers (lowercase names), body.
pub(crate) fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before reading a refused body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn store_path(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("workflow-serve-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.db")
}

/// A machine that waits on the `review` activity, then branches on its answer.
fn review_definition() -> String {
    json!({
        "StartAt": "Review",
        "States": {
            "Review": {"Type": "Task", "Resource": ACTIVITY, "Next": "Approved?"},
            "Approved?": {"Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}],
                "Default": "Rejected"},
            "Done": {"Type": "Succeed"},
            "Rejected": {"Type": "Fail", "Error": "Rejected"}
        }
    })
    .to_string()
}

fn create_review(server: &Server) {
    server.ok("CreateActivity", json!({"name": "review"}));
    server.ok(
        "CreateStateMachine",
        json!({"name": "m", "roleArn": ROLE, "definition": review_definition()}),
    );
}

#[test]
fn an_activity_execution_runs_through_the_api_and_its_history_pages() {
    let path = store_path("lifecycle");
    let server = Server::start(&path, Credentials::default());
    create_review(&server);
    let started = server.ok(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "e1", "input": "{\"n\": 1}"}),
    );
    let arn = started["executionArn"].as_str().unwrap().to_string();
    assert_eq!(arn, "arn:aws:states:us-east-1:123456789012:execution:m:e1");
    assert!(started["startDate"].is_f64(), "{started}");

    let task = server.ok(
        "GetActivityTask",
        json!({"activityArn": ACTIVITY, "workerName": "w1"}),
    );
    assert_eq!(task["input"], "{\"n\":1}");
    let token = task["taskToken"].as_str().unwrap();
    server.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"ok\": true}"}),
    );
    let done = server.wait_for_status(&arn, "SUCCEEDED");
    assert_eq!(done["output"], "{\"ok\":true}");
    // The token is spent.
    server.fails(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{}"}),
        "TaskTimedOut",
    );

    // The history, two events a page, forwards and backwards, is the whole history once.
    let mut pages = Vec::new();
    for reverse in [false, true] {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request =
                json!({"executionArn": arn, "maxResults": 2, "reverseOrder": reverse});
            if let Some(t) = &token {
                request["nextToken"] = json!(t);
            }
            let page = server.ok("GetExecutionHistory", request);
            let events = page["events"].as_array().unwrap();
            assert!(events.len() <= 2);
            ids.extend(events.iter().map(|e| e["id"].as_u64().unwrap()));
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        pages.push(ids);
    }
    let forward = &pages[0];
    assert_eq!(*forward, (1..=forward.len() as u64).collect::<Vec<_>>());
    let mut backward = pages[1].clone();
    backward.reverse();
    assert_eq!(*forward, backward);
    let history = server.ok("GetExecutionHistory", json!({"executionArn": arn}));
    let types: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "ActivityScheduled",
            "ActivityStarted",
            "ActivitySucceeded",
            "TaskStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded"
        ]
    );
    // The execution runs as the machine's role.
    assert_eq!(
        history["events"][0]["executionStartedEventDetails"]["roleArn"],
        ROLE
    );
    let started_event = &history["events"][3];
    assert_eq!(
        started_event["activityStartedEventDetails"]["workerName"],
        "w1"
    );
    // Without execution data, the payloads are left out.
    let bare = server.ok(
        "GetExecutionHistory",
        json!({"executionArn": arn, "includeExecutionData": false}),
    );
    assert!(
        bare["events"][0]["executionStartedEventDetails"]
            .get("input")
            .is_none()
    );

    // Listing by status.
    server.ok(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "e2"}),
    );
    let running = server.ok(
        "ListExecutions",
        json!({"stateMachineArn": MACHINE, "statusFilter": "RUNNING"}),
    );
    let names: Vec<&str> = running["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e2"]);
    // The same name with other input is refused; with the same input it is the same execution.
    server.fails(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "e2", "input": "{\"other\": 1}"}),
        "ExecutionAlreadyExists",
    );
}

#[test]
fn errors_carry_aws_codes() {
    let path = store_path("errors");
    let server = Server::start(&path, Credentials::default());
    let missing_machine = "arn:aws:states:us-east-1:123456789012:stateMachine:none";
    server.fails(
        "DescribeStateMachine",
        json!({"stateMachineArn": missing_machine}),
        "StateMachineDoesNotExist",
    );
    server.fails(
        "DescribeStateMachine",
        json!({"stateMachineArn": "not-an-arn"}),
        "InvalidArn",
    );
    server.fails(
        "DescribeExecution",
        json!({"executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:none"}),
        "ExecutionDoesNotExist",
    );
    let bad = server.fails(
        "CreateStateMachine",
        json!({"name": "bad", "roleArn": ROLE,
               "definition": "{\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\", \"Next\": \"B\"}}}"}),
        "InvalidDefinition",
    );
    let message = bad["message"].as_str().unwrap();
    assert!(
        message.contains("MISSING_TRANSITION_TARGET") && message.contains("/States/A/Next"),
        "{message}"
    );
    server.fails(
        "CreateStateMachine",
        json!({"name": "has space", "roleArn": ROLE, "definition": review_definition()}),
        "InvalidName",
    );
    server.fails(
        "ListStateMachines",
        json!({"maxResults": 1001}),
        "ValidationException",
    );
    server.fails(
        "ListStateMachines",
        json!({"nextToken": "garbage"}),
        "InvalidToken",
    );
    create_review(&server);
    server.fails(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "input": "{not json"}),
        "InvalidExecutionInput",
    );
    server.fails(
        "StartSyncExecution",
        json!({"stateMachineArn": MACHINE}),
        "StateMachineTypeNotSupported",
    );
    server.fails(
        "SendTaskSuccess",
        json!({"taskToken": "no-such-token", "output": "{}"}),
        "TaskDoesNotExist",
    );
    server.fails(
        "GetActivityTask",
        json!({"activityArn": "arn:aws:states:us-east-1:123456789012:activity:none"}),
        "ActivityDoesNotExist",
    );
    server.fails("NoSuchOperation", json!({}), "UnknownOperationException");

    // Not JSON at all, and no target.
    let (status, _, body) = request(
        server.addr,
        "POST",
        "/",
        &[(
            "X-Amz-Target".into(),
            "AWSStepFunctions.ListStateMachines".into(),
        )],
        b"{oops",
    );
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("SerializationException"));
    let (status, _, body) = request(server.addr, "POST", "/", &[], b"{}");
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("X-Amz-Target"));
    let (status, _, _) = request(server.addr, "GET", "/nowhere", &[], b"");
    assert_eq!(status, 404);
}

#[test]
fn requests_are_checked_before_anything_runs() {
    let path = store_path("checks");
    let mut keys = Credentials::default();
    keys.insert("AKIDSERVE".into(), "serve-secret".into());
    let server = Server::start(&path, keys);
    let create = |extra: &[(String, String)], body: &[u8]| {
        let mut headers = vec![(
            "X-Amz-Target".to_string(),
            "AWSStepFunctions.CreateActivity".to_string(),
        )];
        headers.extend_from_slice(extra);
        request(server.addr, "POST", "/", &headers, body)
    };
    // Unsigned: refused.
    let (status, _, body) = create(&[], br#"{"name": "a1"}"#);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("MissingAuthenticationToken"));
    // Signed by a stranger: refused.
    let forged = "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20261125/us-east-1/states/aws4_request, \
                  SignedHeaders=host;x-amz-date, Signature=00";
    let (status, _, body) = create(
        &[
            ("Authorization".into(), forged.into()),
            (
                "X-Amz-Date".into(),
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
            ),
        ],
        br#"{"name": "a2"}"#,
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("UnrecognizedClient"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // Too large: refused from the declared length, before reading.
    let big = vec![b' '; workflow_core::serve::BODY_LIMIT + 1];
    let (status, _, body) = create(&[], &big);
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    // From a page elsewhere: refused.
    let (status, _, _) = create(&[("Origin".into(), "http://evil.example".into())], b"{}");
    assert_eq!(status, 403);
    // Nothing was created.
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        workflow_core::store::Store::list_activities(&store)
            .unwrap()
            .is_empty()
    );

    // The console asks for the key and its secret (HTTP Basic).
    let (status, headers, _) = request(server.addr, "GET", "/", &[], b"");
    assert_eq!(status, 401);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "www-authenticate" && v.starts_with("Basic"))
    );
    let wrong = [(
        "Authorization".to_string(),
        "Basic QUtJRFNFUlZFOm5vcGU=".to_string(),
    )];
    assert_eq!(request(server.addr, "GET", "/", &wrong, b"").0, 401);
    // "AKIDSERVE:serve-secret"
    let right = [(
        "Authorization".to_string(),
        "Basic QUtJRFNFUlZFOnNlcnZlLXNlY3JldA==".to_string(),
    )];
    let (status, headers, page) = request(server.addr, "GET", "/", &right, b"");
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/html"))
    );
    assert!(
        String::from_utf8_lossy(&page).contains("<html")
            || String::from_utf8_lossy(&page).contains("<!doctype")
    );
    let mut console = right.to_vec();
    console.push((
        "X-Amz-Target".into(),
        "AWSStepFunctions.ListStateMachines".into(),
    ));
    let (status, _, body) = request(server.addr, "POST", "/console/api", &console, b"{}");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    // Listening beyond loopback needs credentials.
    let refused =
        workflow_core::serve::check_bind(&"0.0.0.0:8083".parse().unwrap(), &Credentials::default())
            .unwrap_err();
    assert!(refused.contains("--credentials"), "{refused}");
}

#[test]
fn updating_deleting_and_restarting_keep_executions_right() {
    let path = store_path("restart");
    let server = Server::start(&path, Credentials::default());
    create_review(&server);
    let waiting = server.ok(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "before-restart"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    server.wait_for_status(&waiting, "RUNNING");
    // An update: new executions run the new definition.
    let quick =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": true}}});
    let updated = server.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": quick.to_string()}),
    );
    assert!(updated["updateDate"].is_f64());
    let described = server.ok("DescribeStateMachine", json!({"stateMachineArn": MACHINE}));
    assert_eq!(described["definition"], quick.to_string());
    let v2 = server.ok(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "after-update"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(server.wait_for_status(&v2, "SUCCEEDED")["output"], "\"v2\"");
    drop(server);

    // A new process on the same store carries on with the waiting execution.
    let server = Server::start(&path, Credentials::default());
    let task = server.ok("GetActivityTask", json!({"activityArn": ACTIVITY}));
    let token = task["taskToken"]
        .as_str()
        .expect("the activity task survives");
    server.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"ok\": false}"}),
    );
    let failed = server.wait_for_status(&waiting, "FAILED");
    assert_eq!(failed["error"], "Rejected");
    assert_eq!(failed["redriveStatus"], "REDRIVABLE");

    // Deleting the machine stops what still runs, and hides the machine.
    server.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": MACHINE, "definition": review_definition()}),
    );
    let running = server.ok(
        "StartExecution",
        json!({"stateMachineArn": MACHINE, "name": "deleted-under-it"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    server.wait_for_status(&running, "RUNNING");
    server.ok("DeleteStateMachine", json!({"stateMachineArn": MACHINE}));
    server.wait_for_status(&running, "ABORTED");
    server.fails(
        "DescribeStateMachine",
        json!({"stateMachineArn": MACHINE}),
        "StateMachineDoesNotExist",
    );
    let listed = server.ok("ListStateMachines", json!({}));
    assert_eq!(listed["stateMachines"], json!([]));
}

#[test]
fn test_state_sync_executions_and_validation() {
    let path = store_path("test-state");
    let server = Server::start(&path, Credentials::default());
    let task = |extra: Value| {
        let mut state = json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload.$": "$.in"},
            "ResultSelector": {"body.$": "$.Payload"},
            "ResultPath": "$.out",
            "Next": "After"
        });
        for (k, v) in extra.as_object().unwrap() {
            state[k] = v.clone();
        }
        state.to_string()
    };
    // A mocked result, with the data flow at DEBUG.
    let ok = server.ok(
        "TestState",
        json!({
            "definition": task(json!({})),
            "input": "{\"in\": {\"x\": 1}}",
            "inspectionLevel": "DEBUG",
            "mock": {"result": "{\"Payload\": {\"y\": 2}}"}
        }),
    );
    assert_eq!(ok["status"], "SUCCEEDED", "{ok}");
    assert_eq!(ok["nextState"], "After");
    let output: Value = serde_json::from_str(ok["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"in": {"x": 1}, "out": {"body": {"y": 2}}}));
    let data = &ok["inspectionData"];
    assert_eq!(
        data["afterParameters"],
        "{\"FunctionName\":\"f\",\"Payload\":{\"x\":1}}"
    );
    assert_eq!(data["result"], "{\"Payload\":{\"y\":2}}");
    assert_eq!(data["afterResultSelector"], "{\"body\":{\"y\":2}}");
    // INFO leaves the inspection data out.
    let info = server.ok(
        "TestState",
        json!({"definition": task(json!({})), "input": "{\"in\": 1}",
               "mock": {"result": "{\"Payload\": 1}"}}),
    );
    assert!(info.get("inspectionData").is_none(), "{info}");
    // A failure that a catcher takes, one a retrier would retry, and one nothing handles.
    let caught = server.ok(
        "TestState",
        json!({
            "definition": task(json!({"Catch": [
                {"ErrorEquals": ["Other"], "Next": "Nope"},
                {"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Handle"}]})),
            "input": "{\"in\": 1}",
            "inspectionLevel": "DEBUG",
            "mock": {"errorOutput": {"error": "Boom", "cause": "it broke"}}
        }),
    );
    assert_eq!(caught["status"], "CAUGHT_ERROR", "{caught}");
    assert_eq!(caught["nextState"], "Handle");
    assert_eq!(caught["error"], "Boom");
    assert_eq!(caught["inspectionData"]["errorDetails"]["catchIndex"], 1);
    let retriable = server.ok(
        "TestState",
        json!({
            "definition": task(json!({"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3}]})),
            "input": "{\"in\": 1}",
            "inspectionLevel": "DEBUG",
            "mock": {"errorOutput": {"error": "Boom", "cause": "again"}}
        }),
    );
    assert_eq!(retriable["status"], "RETRIABLE", "{retriable}");
    assert_eq!(
        retriable["inspectionData"]["errorDetails"],
        json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 3})
    );
    let failed = server.ok(
        "TestState",
        json!({"definition": task(json!({})), "input": "{\"in\": 1}",
               "mock": {"errorOutput": {"error": "Boom", "cause": "c"}}}),
    );
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["cause"], "c");
    // A Choice and variables.
    let choice = server.ok(
        "TestState",
        json!({
            "definition": json!({"Type": "Choice", "QueryLanguage": "JSONata",
                "Choices": [{"Condition": "{% $limit < $states.input.n %}", "Next": "Big"}],
                "Default": "Small"}).to_string(),
            "input": "{\"n\": 10}",
            "variables": "{\"limit\": 5}"
        }),
    );
    assert_eq!(choice["nextState"], "Big", "{choice}");
    server.fails(
        "TestState",
        json!({"definition": "{\"Type\": \"Pass\", \"Next\": 3}"}),
        "InvalidDefinition",
    );

    // StartSyncExecution runs an EXPRESS machine to the end.
    server.ok(
        "CreateStateMachine",
        json!({"name": "quick", "roleArn": ROLE, "type": "EXPRESS",
               "definition": json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
                   "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}}).to_string()}),
    );
    let quick = "arn:aws:states:us-east-1:123456789012:stateMachine:quick";
    let sync = server.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": quick, "input": "{\"n\": 21}"}),
    );
    assert_eq!(sync["status"], "SUCCEEDED", "{sync}");
    assert_eq!(sync["output"], "{\"doubled\":42}");
    assert!(
        sync["executionArn"]
            .as_str()
            .unwrap()
            .contains(":express:quick:")
    );
    assert!(
        sync["billingDetails"]["billedDurationInMilliseconds"]
            .as_u64()
            .unwrap()
            >= 100
    );
    server.fails(
        "ListExecutions",
        json!({"stateMachineArn": quick}),
        "StateMachineTypeNotSupported",
    );

    // Validation reports AWS's codes and locations without creating anything.
    let verdict = server.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": "{\"StartAt\": \"Nowhere\", \"States\": {\"A\": {\"Type\": \"Succeed\"}}}"}),
    );
    assert_eq!(verdict["result"], "FAIL");
    let codes: Vec<&str> = verdict["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"MISSING_TRANSITION_TARGET"), "{verdict}");
    let fine = server.ok(
        "ValidateStateMachineDefinition",
        json!({"definition": review_definition()}),
    );
    assert_eq!(
        fine,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
}

/// The console in headless Chromium (`tests/browser/console.mjs`, playwright-core): the
/// execution's status, its graph coloured state by state, and its history; the screenshot is
/// kept in `target/test-artifacts/console.png`.
#[test]
fn the_console_shows_an_execution_in_a_browser() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser = root.join("browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        browser.join("node_modules/playwright-core").is_dir()
            && std::path::Path::new(&chromium).exists(),
        "the browser test needs playwright-core and Chromium: run scripts/test-deps"
    );
    let mocks = json!({"Charge": [{"Throw": {"Error": "Card.Declined", "Cause": "no funds"}}]});
    let mocks = workflow_core::exec::Mocks::from_json(&mocks, None, None).unwrap();
    let path = store_path("console");
    let server = Server::start_with(
        &path,
        Credentials::default(),
        [("orders".to_string(), mocks)].into(),
    );
    let definition = json!({
        "StartAt": "Validate",
        "States": {
            "Validate": {"Type": "Pass", "Next": "Charge"},
            "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "charge", "Payload.$": "$"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}],
                "Next": "Fanout"},
            "Notify": {"Type": "Pass", "Next": "Fanout"},
            "Fanout": {"Type": "Parallel", "ResultPath": null, "Next": "Decide", "Branches": [
                {"StartAt": "Email", "States": {"Email": {"Type": "Pass", "End": true}}},
                {"StartAt": "Audit", "States": {"Audit": {"Type": "Pass", "End": true}}}]},
            "Decide": {"Type": "Choice",
                "Choices": [{"Variable": "$.error", "IsPresent": true, "Next": "Done"}],
                "Default": "Reject"},
            "Done": {"Type": "Succeed"},
            "Reject": {"Type": "Fail", "Error": "Unexpected"}
        }
    });
    server.ok(
        "CreateStateMachine",
        json!({"name": "orders", "roleArn": ROLE, "definition": definition.to_string()}),
    );
    let arn = server.ok(
        "StartExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:orders",
               "name": "order-1", "input": "{\"order\": 42}"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    server.wait_for_status(&arn, "SUCCEEDED");
    let history = server.ok(
        "GetExecutionHistory",
        json!({"executionArn": arn, "maxResults": 1000}),
    );
    let events: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let expected = json!({
        "machine": "orders",
        "status": "SUCCEEDED",
        "states": {
            "Validate": "succeeded", "Charge": "caught", "Notify": "succeeded",
            "Fanout": "succeeded", "Email": "succeeded", "Audit": "succeeded",
            "Decide": "succeeded", "Done": "succeeded", "Reject": "not-reached"
        },
        "events": events,
    });
    // An execution that waits on an activity, for the page's callback form to answer.
    let review = "arn:aws:states:us-east-1:123456789012:activity:console-review";
    server.ok("CreateActivity", json!({"name": "console-review"}));
    server.ok(
        "CreateStateMachine",
        json!({"name": "approvals", "roleArn": ROLE, "definition": json!({
            "StartAt": "Approve",
            "States": {"Approve": {"Type": "Task", "Resource": review, "End": true}}
        }).to_string()}),
    );
    let waiting = server.ok(
        "StartExecution",
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:approvals",
               "name": "waiting-1"}),
    )["executionArn"]
        .as_str()
        .unwrap()
        .to_string();
    server.wait_for_status(&waiting, "RUNNING");
    let target = root.parent().unwrap().join("target/test-artifacts");
    let screenshot = target.join("console.png");
    let _ = std::fs::remove_file(&screenshot);
    let output = std::process::Command::new("node")
        .arg(browser.join("console.mjs"))
        .arg(format!("http://{}/", server.addr))
        .arg(&arn)
        .arg(expected.to_string())
        .arg(&screenshot)
        .arg(&waiting)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs (install Node.js)");
    assert!(
        output.status.success(),
        "the console check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(&screenshot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
}
