//! The Rust AWS SDK (`aws-sdk-sfn`) against the `workflow serve` command, every request signed
//! with SigV4: state machines, executions with paginators, history, stop, activities with a
//! worker, sync executions, tags, validation, TestState, errors by code, and a wrong secret.

use aws_sdk_sfn::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sfn::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::types::{InspectionLevel, MockInput, StateMachineType, Tag};
use aws_sdk_sfn::{Client, Config};
use serde_json::{Value, json};

use crate::serve_clients::serve;

const KEY_ID: &str = "AKIDSDK";
const SECRET: &str = "sdk-secret";
const ROLE: &str = "arn:aws:iam::123456789012:role/sdk";

/// Undoes the `sync-` host prefix that the SDK puts on StartSyncExecution and TestState, before
/// the request is signed: a local endpoint has no `sync-` host. (The README shows it.)
#[derive(Debug)]
struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let request = context.request_mut();
        if let Some(rest) = request.uri().strip_prefix("http://sync-") {
            let uri = format!("http://{rest}");
            request.set_uri(uri)?;
        }
        Ok(())
    }
}

fn client(url: &str, secret: &str) -> Client {
    let config = Config::builder()
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(KEY_ID, secret, None, None, "test"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .interceptor(NoHostPrefix)
        .build();
    Client::from_conf(config)
}

/// The AWS error code of a failed call.
fn code<T, E: ProvideErrorMetadata + std::fmt::Debug>(result: Result<T, E>) -> String {
    match result {
        Ok(_) => panic!("the call succeeded"),
        Err(e) => e.code().unwrap_or("(no code)").to_string(),
    }
}

async fn wait_status(
    sfn: &Client,
    arn: &str,
    status: &str,
) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    for _ in 0..400 {
        let d = sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        if d.status().as_str() == status {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{arn} never became {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_drives_the_server() {
    let dir = std::env::temp_dir().join(format!("workflow-serve-sdk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.with_extension("credentials.json");
    std::fs::write(
        &credentials,
        json!([{"accessKeyId": KEY_ID, "secretAccessKey": SECRET}]).to_string(),
    )
    .unwrap();
    let server = serve(&dir, &["--credentials", credentials.to_str().unwrap()]);
    let sfn = client(&server.url, SECRET);

    // State machines.
    let definition = json!({
        "StartAt": "Review",
        "States": {
            "Review": {"Type": "Task",
                "Resource": "arn:aws:states:us-east-1:123456789012:activity:sdk-review", "End": true}
        }
    })
    .to_string();
    let activity = sfn
        .create_activity()
        .name("sdk-review")
        .send()
        .await
        .unwrap();
    let activity_arn = activity.activity_arn().to_string();
    let created = sfn
        .create_state_machine()
        .name("sdk")
        .definition(&definition)
        .role_arn(ROLE)
        .tags(Tag::builder().key("owner").value("sdk").build())
        .send()
        .await
        .unwrap();
    let machine = created.state_machine_arn().to_string();
    assert_eq!(
        machine,
        "arn:aws:states:us-east-1:123456789012:stateMachine:sdk"
    );
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), definition);
    assert_eq!(described.r#type(), &StateMachineType::Standard);
    let tags = sfn
        .list_tags_for_resource()
        .resource_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].value(), Some("sdk"));
    let validated = sfn
        .validate_state_machine_definition()
        .definition(&definition)
        .send()
        .await
        .unwrap();
    assert_eq!(validated.result().as_str(), "OK");
    assert_eq!(
        code(
            sfn.create_state_machine()
                .name("sdk-bad")
                .definition("{\"StartAt\": \"X\", \"States\": {}}")
                .role_arn(ROLE)
                .send()
                .await
        ),
        "InvalidDefinition"
    );

    // Executions, answered by an activity worker.
    let mut arns = Vec::new();
    for i in 0..3 {
        let started = sfn
            .start_execution()
            .state_machine_arn(&machine)
            .name(format!("e{i}"))
            .input(json!({"i": i}).to_string())
            .send()
            .await
            .unwrap();
        arns.push(started.execution_arn().to_string());
    }
    for _ in 0..3 {
        let task = sfn
            .get_activity_task()
            .activity_arn(&activity_arn)
            .worker_name("sdk-worker")
            .send()
            .await
            .unwrap();
        let token = task.task_token().expect("a task").to_string();
        let input: Value = serde_json::from_str(task.input().unwrap()).unwrap();
        sfn.send_task_heartbeat()
            .task_token(&token)
            .send()
            .await
            .unwrap();
        sfn.send_task_success()
            .task_token(&token)
            .output(json!({"done": input["i"]}).to_string())
            .send()
            .await
            .unwrap();
    }
    for (i, arn) in arns.iter().enumerate() {
        let d = wait_status(&sfn, arn, "SUCCEEDED").await;
        assert_eq!(d.output(), Some(json!({"done": i}).to_string().as_str()));
    }
    let listed: Vec<String> = sfn
        .list_executions()
        .state_machine_arn(&machine)
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|e| e.execution_arn().to_string())
        .collect();
    assert_eq!(listed, arns.iter().rev().cloned().collect::<Vec<_>>());
    let events = sfn
        .get_execution_history()
        .execution_arn(&arns[0])
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.r#type().as_str()).collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert!(types.contains(&"ActivityStarted"), "{types:?}");

    // Stop, and the errors of a missing execution and a spent token.
    let waiting = sfn
        .start_execution()
        .state_machine_arn(&machine)
        .name("stopped")
        .send()
        .await
        .unwrap();
    sfn.stop_execution()
        .execution_arn(waiting.execution_arn())
        .error("Sdk.Stop")
        .send()
        .await
        .unwrap();
    let stopped = wait_status(&sfn, waiting.execution_arn(), "ABORTED").await;
    assert_eq!(stopped.error(), Some("Sdk.Stop"));
    assert_eq!(
        code(
            sfn.describe_execution()
                .execution_arn("arn:aws:states:us-east-1:123456789012:execution:sdk:none")
                .send()
                .await
        ),
        "ExecutionDoesNotExist"
    );
    assert_eq!(
        code(
            sfn.send_task_success()
                .task_token("no-such-token")
                .output("{}")
                .send()
                .await
        ),
        "TaskDoesNotExist"
    );

    // Express machines run synchronously; TestState runs one state.
    sfn.create_state_machine()
        .name("sdk-quick")
        .r#type(StateMachineType::Express)
        .definition(
            json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
                "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": true}}})
            .to_string(),
        )
        .role_arn(ROLE)
        .send()
        .await
        .unwrap();
    let sync = sfn
        .start_sync_execution()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:sdk-quick")
        .input("{\"a\": 2, \"b\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(sync.status().as_str(), "SUCCEEDED");
    assert_eq!(sync.output(), Some("{\"sum\":5}"));
    let tested = sfn
        .test_state()
        .definition(
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "f"}, "End": true})
            .to_string(),
        )
        .role_arn(ROLE)
        .inspection_level(InspectionLevel::Debug)
        .mock(MockInput::builder().result("{\"ok\": 1}").build())
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status().map(|s| s.as_str()), Some("SUCCEEDED"));
    assert_eq!(tested.output(), Some("{\"ok\":1}"));
    assert!(tested.inspection_data().is_some());

    // Update, delete.
    sfn.update_state_machine()
        .state_machine_arn(&machine)
        .role_arn("arn:aws:iam::123456789012:role/other")
        .send()
        .await
        .unwrap();
    sfn.delete_state_machine()
        .state_machine_arn(&machine)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            sfn.describe_state_machine()
                .state_machine_arn(&machine)
                .send()
                .await
        ),
        "StateMachineDoesNotExist"
    );

    // The wrong secret changes nothing.
    let forger = client(&server.url, "not-the-secret");
    assert_eq!(
        code(forger.create_activity().name("forged").send().await),
        "InvalidSignatureException"
    );
    let activities = sfn.list_activities().send().await.unwrap();
    assert!(
        activities.activities().iter().all(|a| a.name() != "forged"),
        "{activities:?}"
    );
    let _ = std::fs::remove_file(credentials);
}
