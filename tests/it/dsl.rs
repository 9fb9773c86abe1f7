//! `#[task]` and `#[workflow]`, one mapping row of DESIGN.md section 3 at a time: each workflow
//! below asserts the shape of its exported ASL, and runs on the engine with the same result as
//! its direct (plain Rust) form.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use workflow_core::exec::{Engine, EngineConfig, VirtualClock};
use workflow_core::prelude::*;
use workflow_core::{ExecutionError, WorkflowExecution};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, WorkflowType)]
pub struct Item {
    pub name: String,
    pub price: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, WorkflowType)]
pub enum Size {
    Small,
    Large,
}

#[derive(Debug, Serialize, Deserialize, TaskError)]
pub enum ShopError {
    SoldOut { name: String },
    Flaky,
}

#[task]
pub async fn double(n: i64) -> Result<i64, ShopError> {
    Ok(n * 2)
}

#[task]
pub async fn add(a: i64, b: i64) -> Result<i64, ShopError> {
    Ok(a + b)
}

#[task(retry(on = ["ShopError.Flaky"], interval = 1, max_attempts = 3, backoff = 1.5), timeout = 30, heartbeat = 10)]
pub async fn buy(item: Item) -> Result<String, ShopError> {
    if item.name == "gone" {
        return Err(ShopError::SoldOut { name: item.name });
    }
    Ok(format!("bought {}", item.name))
}

static FLAKY_CALLS: AtomicU32 = AtomicU32::new(0);

/// Fails with `ShopError.Flaky` on every other call.
#[task(retry(on = ["ShopError.Flaky"], interval = 1, max_attempts = 2))]
pub async fn flaky(n: i64) -> Result<i64, ShopError> {
    if FLAKY_CALLS.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
        return Err(ShopError::Flaky);
    }
    Ok(n + 1)
}

#[task]
pub async fn panics(n: i64) -> Result<i64, ShopError> {
    if n > 0 {
        panic!("the task broke");
    }
    Ok(n)
}

#[task]
pub async fn notify(token: String, n: i64) -> Result<(), ShopError> {
    TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((token, n));
    Ok(())
}

static TOKENS: std::sync::Mutex<Vec<(String, i64)>> = std::sync::Mutex::new(Vec::new());

fn virtual_engine() -> Engine {
    Engine::new(EngineConfig {
        clock: Arc::new(VirtualClock::starting_now()),
        ..EngineConfig::default()
    })
}

fn state<'a>(asl: &'a Value, name: &str) -> &'a Value {
    let found = find_state(asl, name);
    found.unwrap_or_else(|| panic!("no state {name} in {asl:#}"))
}

/// A state by name, in the top level or nested in a Map or Parallel.
fn find_state<'a>(asl: &'a Value, name: &str) -> Option<&'a Value> {
    let states = asl.get("States")?;
    if let Some(state) = states.get(name) {
        return Some(state);
    }
    states.as_object()?.values().find_map(|state| {
        state
            .get("ItemProcessor")
            .and_then(|p| find_state(p, name))
            .or_else(|| {
                state
                    .get("Branches")?
                    .as_array()?
                    .iter()
                    .find_map(|b| find_state(b, name))
            })
    })
}

type Outcome<T> = Result<T, (String, Option<String>)>;

/// Runs the direct form and the engine; both must agree; returns the result.
async fn agree<T: PartialEq + std::fmt::Debug + serde::de::DeserializeOwned>(
    direct: impl std::future::Future<Output = Result<T, WorkflowError>>,
    engine: Result<WorkflowExecution<T>, workflow_core::StartWorkflowError>,
) -> Outcome<T> {
    let direct = direct.await.map_err(|e| (e.error, e.cause));
    let engine = engine
        .expect("the workflow starts")
        .result()
        .await
        .map_err(|e: ExecutionError| (e.error, e.cause));
    assert_eq!(engine, direct, "the engine and the direct form disagree");
    direct
}

// Row: `let x = task(a, b).await?;` -> Task, Arguments built from a and b, Assign from the result.
#[workflow]
pub async fn task_call(n: i64) -> Result<i64, WorkflowError> {
    let doubled = double(n).await?;
    let sum = add(doubled, n).await?;
    Ok(sum)
}

#[test]
fn task_call_shape() {
    let asl = task_call::asl();
    assert_eq!(asl["QueryLanguage"], "JSONata");
    let task = state(&asl, "Double");
    assert_eq!(task["Resource"], "arn:aws:states:::lambda:invoke");
    assert_eq!(
        task["Arguments"],
        json!({"FunctionName": "${double}", "Payload": "{% $n %}"})
    );
    assert_eq!(
        task["Assign"],
        json!({"doubled": "{% $states.result.Payload %}"})
    );
    assert_eq!(
        state(&asl, "Add")["Arguments"]["Payload"],
        json!({"a": "{% $doubled %}", "b": "{% $n %}"})
    );
}

#[tokio::test]
async fn task_call_runs() {
    assert_eq!(
        agree(task_call(5), task_call::start(&virtual_engine(), 5)).await,
        Ok(15)
    );
}

// Row: `let x = expr;` -> Pass with Assign; consecutive ones merge.
#[workflow]
pub async fn pure_lets(item: Item) -> Result<String, WorkflowError> {
    let label = format!("{} at {}", item.name.to_uppercase(), item.price);
    let cheap = item.price < 10.0;
    let tags = vec![
        label.clone(),
        if cheap {
            "cheap".to_string()
        } else {
            "dear".to_string()
        },
    ];
    Ok(format!("{}/{}", tags[0], tags.len()))
}

#[test]
fn pure_lets_shape() {
    let asl = pure_lets::asl();
    let pass = state(&asl, "SetLabel");
    assert_eq!(pass["Type"], "Pass");
    assert_eq!(
        pass["Assign"].as_object().map(|a| a.len()),
        Some(2),
        "label and cheap merge: {pass}"
    );
    assert_eq!(pass["Next"], "SetTags");
}

#[tokio::test]
async fn pure_lets_run() {
    let item = Item {
        name: "pen".into(),
        price: 2.5,
    };
    assert_eq!(
        agree(
            pure_lets(item.clone()),
            pure_lets::start(&virtual_engine(), item)
        )
        .await,
        Ok("PEN at 2.5/2".to_string())
    );
}

// Row: `if cond { .. } else { .. }` -> Choice with Condition; branches rejoin.
#[workflow]
pub async fn if_else(n: i64) -> Result<i64, WorkflowError> {
    let mut result = 1;
    if n > 10 {
        result = double(n).await?;
    } else if n < 0 {
        result = -n;
    } else {
        let a = add(n, 100).await?;
        result += a;
    }
    Ok(result + 1)
}

#[test]
fn if_else_shape() {
    let asl = if_else::asl();
    let choice = state(&asl, "IfN");
    assert_eq!(choice["Type"], "Choice");
    assert_eq!(choice["Choices"][0]["Condition"], "{% $n > 10 %}");
    assert_eq!(choice["Choices"][1]["Condition"], "{% $n < 0 %}");
    assert_eq!(choice["Default"], "Add");
    assert_eq!(state(&asl, "Double")["Next"], "Done", "the branches rejoin");
    assert_eq!(state(&asl, "UpdateResult")["Next"], "Done");
    assert_eq!(state(&asl, "UpdateResult2")["Next"], "Done");
}

#[tokio::test]
async fn if_else_runs() {
    for (n, expected) in [(20, 41), (-3, 4), (1, 103)] {
        assert_eq!(
            agree(if_else(n), if_else::start(&virtual_engine(), n)).await,
            Ok(expected)
        );
    }
}

// Row: `match v { lit/enum arms, _ }` -> Choice, one rule per arm, Default from `_`.
#[workflow]
pub async fn match_arms(size: Size, n: i64) -> Result<i64, WorkflowError> {
    let bonus = match n {
        0 => 100,
        1 | 2 => 10,
        _ => 0,
    };
    match size {
        Size::Small => {
            let d = double(n).await?;
            Ok(d + bonus)
        }
        Size::Large => Ok(n * 100 + bonus),
    }
}

#[test]
fn match_arms_shape() {
    let asl = match_arms::asl();
    let choice = state(&asl, "MatchSize");
    assert_eq!(choice["Choices"][0]["Condition"], "{% $size = \"Small\" %}");
    assert_eq!(choice["Choices"][1]["Condition"], "{% $size = \"Large\" %}");
    assert!(
        state(&asl, "SetBonus")["Assign"]["bonus"]
            .as_str()
            .is_some_and(|s| s.contains('?'))
    );
}

#[tokio::test]
async fn match_arms_run() {
    for (size, n, expected) in [
        (Size::Small, 1, 12),
        (Size::Large, 3, 300),
        (Size::Small, 0, 100),
    ] {
        let engine = match_arms::start(&virtual_engine(), size, n);
        assert_eq!(agree(match_arms(size, n), engine).await, Ok(expected));
    }
}

// Row: `while cond { .. }` -> Choice loop with a back-edge.
#[workflow]
pub async fn while_loop(n: i64) -> Result<i64, WorkflowError> {
    let mut value = 1;
    let mut rounds = 0;
    while value < n {
        value = double(value).await?;
        rounds += 1;
    }
    Ok(rounds)
}

#[test]
fn while_loop_shape() {
    let asl = while_loop::asl();
    let choice = state(&asl, "WhileValue");
    assert_eq!(choice["Choices"][0]["Next"], "Double");
    assert_eq!(
        state(&asl, "UpdateRounds")["Next"],
        "WhileValue",
        "the back-edge"
    );
}

#[tokio::test]
async fn while_loop_runs() {
    assert_eq!(
        agree(while_loop(100), while_loop::start(&virtual_engine(), 100)).await,
        Ok(7)
    );
}

// Row: `for x in xs { .. }` -> Choice loop over an index variable.
#[workflow]
pub async fn for_loop(items: Vec<Item>) -> Result<f64, WorkflowError> {
    let mut total = 0.0;
    for item in items {
        if item.price > 1.0 {
            total += item.price;
        }
    }
    Ok(total)
}

#[test]
fn for_loop_shape() {
    let asl = for_loop::asl();
    assert_eq!(state(&asl, "ForEachItem")["Assign"]["item_index"], 0);
    assert_eq!(state(&asl, "HasNextItem")["Type"], "Choice");
    assert_eq!(
        state(&asl, "NextItem")["Assign"]["item"],
        "{% $item_items[$item_index] %}"
    );
}

#[tokio::test]
async fn for_loop_runs() {
    let items = vec![
        Item {
            name: "a".into(),
            price: 2.0,
        },
        Item {
            name: "b".into(),
            price: 0.5,
        },
        Item {
            name: "c".into(),
            price: 3.5,
        },
    ];
    assert_eq!(
        agree(
            for_loop(items.clone()),
            for_loop::start(&virtual_engine(), items)
        )
        .await,
        Ok(5.5)
    );
}

/// Nested arrays and one-element lists keep their shape through a `for` loop.
#[workflow]
pub async fn row_sums(rows: Vec<Vec<i64>>) -> Result<(i64, usize), WorkflowError> {
    let mut total = 0;
    let mut cells = 0;
    for row in rows {
        let sum: i64 = row.iter().sum();
        total += sum;
        cells += row.len();
    }
    Ok((total, cells))
}

#[tokio::test]
async fn for_loop_keeps_nested_arrays() {
    for rows in [vec![vec![1, 2], vec![3]], vec![vec![5]], vec![]] {
        let engine = row_sums::start(&virtual_engine(), rows.clone());
        let expected = (
            rows.iter().flatten().sum::<i64>(),
            rows.iter().map(Vec::len).sum::<usize>(),
        );
        assert_eq!(
            agree(row_sums(rows.clone()), engine).await,
            Ok(expected),
            "{rows:?}"
        );
    }
}

/// Iterator adaptors in expressions: `collect` keeps an array for zero, one or many items.
#[workflow]
pub async fn cheap_names(items: Vec<Item>) -> Result<(Vec<String>, bool, f64), WorkflowError> {
    let names = items
        .iter()
        .filter(|i| i.price < 10.0)
        .map(|i| i.name.to_uppercase())
        .collect::<Vec<_>>();
    let any_free = items.iter().any(|i| i.price == 0.0);
    let total: f64 = items.iter().map(|i| i.price).sum();
    Ok((names, any_free, total))
}

#[tokio::test]
async fn iterator_adaptors_run() {
    let item = |name: &str, price| Item {
        name: name.into(),
        price,
    };
    for items in [
        vec![],
        vec![item("pen", 2.0)],
        vec![item("pen", 2.0), item("car", 900.0), item("gift", 0.0)],
    ] {
        let engine = cheap_names::start(&virtual_engine(), items.clone());
        let result = agree(cheap_names(items.clone()), engine).await;
        assert!(result.is_ok(), "{items:?}: {result:?}");
    }
}

// Row: `map(xs, |x| async move { .. }).max_concurrency(n).await?` -> Map with ItemProcessor.
#[workflow]
pub async fn map_items(numbers: Vec<i64>, offset: i64) -> Result<Vec<i64>, WorkflowError> {
    let results = map(numbers, |n| async move {
        let d = double(n).await?;
        Ok(d + offset)
    })
    .max_concurrency(2)
    .await?;
    Ok(results)
}

#[test]
fn map_items_shape() {
    let asl = map_items::asl();
    let map_state = state(&asl, "MapResults");
    assert_eq!(map_state["Type"], "Map");
    assert_eq!(map_state["Items"], "{% $numbers %}");
    assert_eq!(map_state["MaxConcurrency"], 2);
    assert_eq!(map_state["ItemProcessor"]["StartAt"], "MapResultsItem");
    assert_eq!(
        state(&asl, "Done")["Output"],
        "{% $d + $offset %}",
        "the iteration reads an outer variable"
    );
}

#[tokio::test]
async fn map_items_runs() {
    let engine = map_items::start(&virtual_engine(), vec![1, 2, 3], 10);
    assert_eq!(
        agree(map_items(vec![1, 2, 3], 10), engine).await,
        Ok(vec![12, 14, 16])
    );
}

// Row: `join!(async { .. }, async { .. })` -> Parallel, results by position.
#[workflow]
pub async fn join_branches(n: i64) -> Result<i64, WorkflowError> {
    let (a, b) = join!(
        async {
            let a = double(n).await?;
            Ok(a)
        },
        async {
            let b = add(n, 1).await?;
            Ok(b)
        },
    )?;
    Ok(a * 1000 + b)
}

#[test]
fn join_branches_shape() {
    let asl = join_branches::asl();
    let parallel = state(&asl, "JoinA");
    assert_eq!(parallel["Type"], "Parallel");
    assert_eq!(parallel["Branches"].as_array().map(Vec::len), Some(2));
    assert_eq!(parallel["Assign"]["a2"], "{% $states.result[0] %}");
}

#[tokio::test]
async fn join_branches_run() {
    assert_eq!(
        agree(join_branches(4), join_branches::start(&virtual_engine(), 4)).await,
        Ok(8005)
    );
}

// Row: `sleep(secs).await`, `sleep_until(ts).await` -> Wait Seconds / Timestamp.
#[workflow]
pub async fn waits(at: String) -> Result<String, WorkflowError> {
    sleep(5).await;
    sleep_until(at.clone()).await;
    Ok(at)
}

#[test]
fn waits_shape() {
    let asl = waits::asl();
    assert_eq!(state(&asl, "Sleep")["Seconds"], 5);
    assert_eq!(state(&asl, "SleepUntil")["Timestamp"], "{% $at %}");
}

#[tokio::test(start_paused = true)]
async fn waits_run() {
    let at = "2020-01-01T00:00:00Z".to_string();
    assert_eq!(
        agree(
            waits(at.clone()),
            waits::start(&virtual_engine(), at.clone())
        )
        .await,
        Ok(at)
    );
}

// Row: `callback(|token| task(token, ..)).await?` -> Task `.waitForTaskToken`.
#[workflow]
pub async fn wait_for_callback(n: i64) -> Result<i64, WorkflowError> {
    let answer: i64 = callback(|token| notify(token, n)).await?;
    Ok(answer + n)
}

#[test]
fn callback_shape() {
    let asl = wait_for_callback::asl();
    let task = state(&asl, "Notify");
    assert_eq!(
        task["Resource"],
        "arn:aws:states:::lambda:invoke.waitForTaskToken"
    );
    assert_eq!(
        task["Arguments"]["Payload"]["token"],
        "{% $states.context.Task.Token %}"
    );
    assert_eq!(task["Assign"]["answer"], "{% $states.result %}");
}

#[tokio::test]
async fn callback_runs() {
    let engine = Engine::default();
    let execution = wait_for_callback::start(&engine, 7).expect("starts");
    let token = loop {
        let found = TOKENS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(t, n)| *n == 7 && t.starts_with(execution.arn()))
            .map(|(t, _)| t.clone());
        if let Some(token) = found {
            break token;
        }
        tokio::task::yield_now().await;
    };
    engine
        .send_task_success(&token, json!(35))
        .await
        .expect("the token waits");
    assert_eq!(execution.result().await, Ok(42));
}

// Row: `child_workflow(x).await?` -> Task `states:startExecution.sync:2`.
#[workflow(name = "Doubler")]
pub async fn doubler(n: i64) -> Result<i64, WorkflowError> {
    let d = double(n).await?;
    Ok(d)
}

#[workflow]
pub async fn parent(n: i64) -> Result<i64, WorkflowError> {
    let d = child_workflow(doubler(n + 1)).await?;
    Ok(d)
}

#[test]
fn child_shape() {
    let asl = parent::asl();
    let task = state(&asl, "Doubler");
    assert_eq!(
        task["Resource"],
        "arn:aws:states:::states:startExecution.sync:2"
    );
    assert_eq!(
        task["Arguments"],
        json!({"StateMachineArn": "${Doubler}", "Input": "{% $n + 1 %}"})
    );
    assert_eq!(task["Assign"]["d"], "{% $states.result.Output %}");
}

#[tokio::test]
async fn child_runs() {
    assert_eq!(
        agree(parent(4), parent::start(&virtual_engine(), 4)).await,
        Ok(10)
    );
}

// Row: `match task(x).await { Ok(v) => .., Err(E::V{..}) => .. }` -> Catch by error name.
#[workflow]
pub async fn catch_errors(item: Item) -> Result<String, WorkflowError> {
    let outcome = match buy(item).await {
        Ok(receipt) => receipt,
        Err(ShopError::SoldOut { .. }) => "sold out".to_string(),
        Err(e) => return Err(e.into()),
    };
    Ok(outcome)
}

#[test]
fn catch_shape() {
    let asl = catch_errors::asl();
    let task = state(&asl, "Buy");
    assert_eq!(
        task["Catch"][0]["ErrorEquals"],
        json!(["ShopError.SoldOut"])
    );
    assert_eq!(
        task["Catch"][0]["Assign"]["outcome"],
        "{% $string(\"sold out\") %}"
    );
    assert_eq!(task["Catch"][1]["ErrorEquals"], json!(["States.ALL"]));
    assert_eq!(task["Catch"][1]["Assign"]["e"], "{% $states.errorOutput %}");
}

#[tokio::test]
async fn catch_runs() {
    for (name, expected) in [("pen", "bought pen"), ("gone", "sold out")] {
        let item = Item {
            name: name.into(),
            price: 1.0,
        };
        let engine = catch_errors::start(&virtual_engine(), item.clone());
        assert_eq!(
            agree(catch_errors(item), engine).await,
            Ok(expected.to_string())
        );
    }
}

// Row: `?` on a task call -> no Catch: the failure (or panic) fails the execution.
#[workflow]
pub async fn question_mark(item: Item) -> Result<String, WorkflowError> {
    let receipt = buy(item).await?;
    Ok(receipt)
}

#[workflow]
pub async fn task_panics(n: i64) -> Result<i64, WorkflowError> {
    let m = panics(n).await?;
    Ok(m)
}

#[tokio::test]
async fn question_mark_fails_the_execution() {
    assert!(question_mark::asl()["States"]["Buy"].get("Catch").is_none());
    let item = Item {
        name: "gone".into(),
        price: 1.0,
    };
    let result = agree(
        question_mark(item.clone()),
        question_mark::start(&virtual_engine(), item),
    )
    .await;
    let (error, cause) = result.expect_err("fails");
    assert_eq!(error, "ShopError.SoldOut");
    let cause: Value =
        serde_json::from_str(&cause.expect("has a cause")).expect("Lambda's JSON cause");
    assert_eq!(cause["errorType"], "ShopError.SoldOut");

    let panicked = task_panics::start(&virtual_engine(), 1)
        .expect("starts")
        .result()
        .await;
    assert_eq!(
        panicked.map_err(|e| e.error),
        Err("States.TaskFailed".to_string())
    );
}

// Row: `#[task(retry(..), timeout, heartbeat)]`, or per call -> Retry, TimeoutSeconds, HeartbeatSeconds.
#[workflow]
pub async fn retries(item: Item, n: i64) -> Result<i64, WorkflowError> {
    let _receipt = buy(item).await?;
    #[task(retry(on = ["ShopError.Flaky"], max_attempts = 5), timeout = 9)]
    let m = flaky(n).await?;
    Ok(m)
}

#[test]
fn retries_shape() {
    let asl = retries::asl();
    let buy_state = state(&asl, "Buy");
    assert_eq!(
        buy_state["Retry"],
        json!([{"ErrorEquals": ["ShopError.Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1.5}])
    );
    assert_eq!(buy_state["TimeoutSeconds"], 30);
    assert_eq!(buy_state["HeartbeatSeconds"], 10);
    let flaky_state = state(&asl, "Flaky");
    assert_eq!(
        flaky_state["Retry"],
        json!([{"ErrorEquals": ["ShopError.Flaky"], "MaxAttempts": 5}])
    );
    assert_eq!(flaky_state["TimeoutSeconds"], 9);
}

#[tokio::test]
async fn retries_run() {
    FLAKY_CALLS.store(0, Ordering::SeqCst);
    let item = Item {
        name: "pen".into(),
        price: 1.0,
    };
    let result = retries::start(&virtual_engine(), item, 1)
        .expect("starts")
        .result()
        .await;
    assert_eq!(result, Ok(2), "the first call fails and is retried");
}

// Rows: `return Ok(v)` / tail `Ok(v)` -> Succeed with Output; `return Err(e)` / `fail!` -> Fail.
#[workflow]
pub async fn returns(n: i64) -> Result<i64, WorkflowError> {
    if n == 0 {
        return Ok(-1);
    }
    if n < 0 {
        return Err(WorkflowError::new("Negative", format!("{} is negative", n)));
    }
    if n > 100 {
        fail!("TooBig", "over 100");
    }
    Ok(n)
}

#[test]
fn returns_shape() {
    let asl = returns::asl();
    assert_eq!(
        state(&asl, "Done")["Output"],
        json!(-1).to_string().replace("-1", "{% -1 %}")
    );
    assert_eq!(state(&asl, "Negative")["Type"], "Fail");
    assert_eq!(
        state(&asl, "TooBig"),
        &json!({"Type": "Fail", "Comment": state(&asl, "TooBig")["Comment"], "Error": "TooBig", "Cause": "over 100"})
    );
}

#[tokio::test]
async fn returns_run() {
    for n in [0, -5, 500, 7] {
        let _ = agree(returns(n), returns::start(&virtual_engine(), n)).await;
    }
    let failed = returns::start(&virtual_engine(), -5)
        .expect("starts")
        .result()
        .await;
    assert_eq!(
        failed.map_err(|e| (e.error, e.cause)),
        Err(("Negative".to_string(), Some("-5 is negative".to_string())))
    );
}

// `#[state("..")]` and `#[workflow(name, kind, comment)]`.
#[workflow(name = "Named", kind = "express", comment = "names and kinds")]
pub async fn named(n: i64) -> Result<i64, WorkflowError> {
    #[state("Double the number")]
    let d = double(n).await?;
    Ok(d)
}

#[test]
fn named_shape() {
    let asl = named::asl();
    assert_eq!(named::NAME, "Named");
    assert!(named::workflow().is_express());
    assert_eq!(asl["Comment"], "names and kinds");
    assert_eq!(state(&asl, "Double the number")["Type"], "Task");
    assert!(
        state(&asl, "Double the number")["Comment"]
            .as_str()
            .is_some_and(|c| c.starts_with("dsl.rs:")),
        "comments name the source line"
    );
}

#[tokio::test]
async fn named_runs() {
    assert_eq!(
        agree(named(21), named::start(&virtual_engine(), 21)).await,
        Ok(42)
    );
}

// Every workflow above exports ASL that our validator accepts.
#[test]
fn every_workflow_validates() {
    let workflows = [
        task_call::workflow(),
        pure_lets::workflow(),
        if_else::workflow(),
        match_arms::workflow(),
        while_loop::workflow(),
        for_loop::workflow(),
        map_items::workflow(),
        join_branches::workflow(),
        waits::workflow(),
        wait_for_callback::workflow(),
        parent::workflow(),
        catch_errors::workflow(),
        question_mark::workflow(),
        retries::workflow(),
        returns::workflow(),
        named::workflow(),
    ];
    for workflow in workflows {
        if let Err(diagnostics) = workflow_core::asl::load_str(workflow.asl_text()) {
            panic!("{}: {diagnostics}", workflow.name());
        }
    }
}
