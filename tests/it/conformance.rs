//! The AWS-recorded conformance corpus (`tests/conformance/`): every execution is run on our
//! engine and compared with what AWS Step Functions recorded: status, output, error, cause and
//! the types of the history events.
//!
//! Cases listed in `tests/conformance/known-failures.txt` may fail; any other failure fails the
//! test, and so does a listed case that now passes (the list may only shrink).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use workflow_core::exec::{
    Engine, EngineConfig, LoadOptions, Outcome, StartOptions, Status, VirtualClock,
};

/// Names the engine accepts, replaced in our results by the tokens the corpus masked them with.
const MACHINE_NAME: &str = "MaskArnPart0idx";
const EXECUTION_NAME: &str = "MaskExecArnPart0idx";
const EXPRESS_NAME: &str = "MaskSyncExecArnPart1idx";
const SUBSTITUTIONS: [(&str, &str); 3] = [
    (MACHINE_NAME, "<ArnPart_0idx>"),
    (EXECUTION_NAME, "<ExecArnPart_0idx>"),
    (EXPRESS_NAME, "<SyncExecArn_Part1_0idx>"),
];

const CORPUS: &str = include_str!("../conformance/localstack-aws-recorded.jsonl");
const KNOWN_FAILURES: &str = include_str!("../conformance/known-failures.txt");

struct Case {
    id: String,
    group: String,
    jsonata: bool,
    definition: Value,
    input: Value,
    expected: Value,
    express: bool,
    unordered_history: bool,
    masked: Vec<String>,
}

fn cases() -> Vec<Case> {
    CORPUS
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("corpus lines are JSON");
            let features: Vec<&str> = v["features"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let definition = v["definition"].clone();
            let unordered_history = v["history_order_normalised"].as_bool().unwrap_or(false)
                || has_concurrency(&definition);
            Case {
                id: v["id"].as_str().unwrap_or_default().to_string(),
                group: v["group"].as_str().unwrap_or_default().to_string(),
                jsonata: features.contains(&"jsonata"),
                input: v["input"].clone(),
                expected: v["expected"].clone(),
                express: v["state_machine_type"] == "EXPRESS",
                unordered_history,
                masked: v["masked"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                definition,
            }
        })
        .collect()
}

/// Whether the definition has a Parallel state or a Map whose iterations may interleave, so
/// that AWS does not fix the order of their events.
fn has_concurrency(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            let ty = m.get("Type").and_then(Value::as_str);
            if ty == Some("Parallel") {
                return true;
            }
            if ty == Some("Map") && m.get("MaxConcurrency").and_then(Value::as_u64) != Some(1) {
                return true;
            }
            m.values().any(has_concurrency)
        }
        Value::Array(items) => items.iter().any(has_concurrency),
        _ => false,
    }
}

fn engine(express: bool) -> Engine {
    Engine::new(EngineConfig {
        clock: Arc::new(VirtualClock::starting_now()),
        partition: "<partition>".into(),
        region: "<region>".into(),
        account_id: "111111111111".into(),
        // The express recordings masked the role with a different word.
        role_arn: if express {
            "sfn_role_arn"
        } else {
            "snf_role_arn"
        }
        .into(),
        store: None,
        commit: Default::default(),
    })
}

/// The input to run: the corpus fixes clock-relative inputs at 2026-11-23, which keeps them in
/// the past, except for the `[24856]`-days boundary case, which must stay that far ahead of the
/// run's clock (see the corpus README).
fn input_for(case: &Case, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut input = case.input.clone();
    if case
        .id
        .contains("test_timestamp_too_far_in_future_boundary[24856]")
        && let Value::Object(map) = &mut input
    {
        for value in map.values_mut() {
            if value.is_string() {
                let at = now + chrono::Duration::days(24856);
                *value = Value::String(at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            }
        }
    }
    input
}

/// Runs one case; `Err` says how it differs from AWS.
async fn run_case(case: &Case) -> Result<(), String> {
    // One engine per case: every case uses the same execution name.
    let engine = engine(case.express);
    let text = serde_json::to_string(&case.definition).map_err(|e| e.to_string())?;
    let machine = engine
        .load_str(
            &text,
            LoadOptions {
                name: Some(MACHINE_NAME.into()),
                mocks: None,
                express: case.express,
            },
        )
        .map_err(|e| format!("does not load: {e}"))?;
    let name = if case.express {
        EXPRESS_NAME
    } else {
        EXECUTION_NAME
    };
    let handle = engine
        .start(
            &machine,
            input_for(case, engine.config().clock.now()),
            StartOptions {
                name: Some(name.into()),
            },
        )
        .map_err(|e| format!("does not start: {e}"))?;
    let outcome =
        match tokio::time::timeout(std::time::Duration::from_secs(20), handle.result()).await {
            Ok(outcome) => outcome,
            Err(_) => return Err("did not finish within 20 s".into()),
        };
    let history: Vec<String> = handle
        .history()
        .iter()
        .map(|e| e.event_type.as_str().to_string())
        .collect();
    compare(case, &outcome, &history)
}

fn compare(case: &Case, outcome: &Outcome, history: &[String]) -> Result<(), String> {
    let expected = &case.expected;
    let mut problems = Vec::new();
    let status = outcome.status.as_str();
    if expected["status"] != status {
        problems.push(format!("status {status}, AWS {}", expected["status"]));
    }
    let masks = Masks::new(case, &outcome.execution_arn);
    if let Status::Succeeded(output) = &outcome.status {
        if !masks.equal(&expected["output"], output) {
            problems.push(format!("output {output}, AWS {}", expected["output"]));
        }
    } else {
        let error = outcome
            .error()
            .map(|s| Value::String(s.into()))
            .unwrap_or(Value::Null);
        if expected["error"] != error {
            problems.push(format!("error {error}, AWS {}", expected["error"]));
        }
        let cause = outcome.cause().unwrap_or_default();
        let want = expected["cause"].as_str().unwrap_or_default();
        if !masks.cause_equal(want, cause) {
            problems.push(format!("cause {cause:?}, AWS {want:?}"));
        }
    }
    if let Some(want) = expected["history_types"].as_array() {
        let want: Vec<String> = want
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let same = if case.unordered_history {
            let mut a = want.clone();
            let mut b = history.to_vec();
            a.sort();
            b.sort();
            a == b
        } else {
            want == history
        };
        if !same {
            problems.push(format!(
                "history\n      ours {}\n      AWS  {}",
                history.join(" "),
                want.join(" ")
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n    "))
    }
}

/// The corpus's masking rules (see its README): timestamps, random values and UUIDs recorded
/// as placeholder words match any well-formed value; the express execution ARN's last part is
/// ours to make up.
struct Masks {
    words: BTreeSet<String>,
    arn_replacement: Option<(String, String)>,
}

impl Masks {
    fn new(case: &Case, execution_arn: &str) -> Masks {
        let mut words: BTreeSet<String> = ["date", "start-time", "entered-time"]
            .into_iter()
            .map(str::to_string)
            .collect();
        for m in &case.masked {
            if let Some(word) = m.strip_prefix("custom:") {
                words.insert(word.to_string());
            }
        }
        let arn_replacement = if case.express {
            execution_arn.rsplit_once(':').map(|(head, _)| {
                (
                    execution_arn.to_string(),
                    format!("{head}:<SyncExecArn_Part2_0idx>"),
                )
            })
        } else {
            None
        };
        Masks {
            words,
            arn_replacement,
        }
    }

    fn equal(&self, want: &Value, got: &Value) -> bool {
        match (want, got) {
            (Value::String(w), Value::String(g)) => {
                let replaced = match &self.arn_replacement {
                    Some((ours, masked)) => g.replace(ours, masked),
                    None => g.clone(),
                };
                let unmasked = unmask(&replaced);
                let g = &unmasked;
                if w == g {
                    return true;
                }
                if self.words.contains(w) && looks_like_timestamp(g) {
                    return true;
                }
                if w == "RandomNumberGenerated" || w.starts_with("<uuid:") {
                    return true;
                }
                false
            }
            (Value::Number(w), Value::Number(g)) => {
                w == g
                    || (w.as_f64().is_some()
                        && w.as_f64() == g.as_f64()
                        && w.is_f64() == g.is_f64())
            }
            (Value::String(w), Value::Number(_)) => w == "RandomNumberGenerated",
            (Value::Array(w), Value::Array(g)) => {
                w.len() == g.len() && w.iter().zip(g).all(|(a, b)| self.equal(a, b))
            }
            (Value::Object(w), Value::Object(g)) => {
                w.len() == g.len()
                    && w.iter()
                        .all(|(k, a)| g.get(k).is_some_and(|b| self.equal(a, b)))
            }
            _ => want == got,
        }
    }

    fn cause_equal(&self, want: &str, got: &str) -> bool {
        let got = unmask(got);
        let got = got.as_str();
        if want == got {
            return true;
        }
        // `... the input '<json-input:1>'`: the quoted JSON was masked.
        if let Some((head, tail)) = want.split_once("<json-input:1>") {
            return got.starts_with(head) && got.ends_with(tail);
        }
        false
    }
}

fn unmask(s: &str) -> String {
    let mut out = s.to_string();
    for (ours, token) in SUBSTITUTIONS {
        out = out.replace(ours, token);
    }
    out
}

fn looks_like_timestamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_recorded_corpus() {
    let cases = cases();
    let reasons: BTreeMap<&str, &str> = KNOWN_FAILURES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" # "))
        .map(|(id, why)| (id.trim(), why.trim()))
        .collect();
    let known: BTreeSet<&str> = KNOWN_FAILURES
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(" # ").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let mut by_group: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    let mut failed_ids = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    let (mut jsonpath_total, mut jsonpath_passed) = (0, 0);
    for case in &cases {
        let result = run_case(case).await;
        let entry = by_group.entry(case.group.clone()).or_default();
        if !case.jsonata {
            jsonpath_total += 1;
        }
        match result {
            Ok(()) => {
                passed += 1;
                entry.0 += 1;
                if !case.jsonata {
                    jsonpath_passed += 1;
                }
                if known.contains(case.id.as_str()) {
                    now_passing.push(case.id.clone());
                }
            }
            Err(why) => {
                failed += 1;
                entry.1 += 1;
                failed_ids.push(case.id.clone());
                if !known.contains(case.id.as_str()) {
                    unexpected.push(format!("{}\n    {why}", case.id));
                }
            }
        }
    }
    println!("conformance by group (passed/total):");
    for (group, (p, f)) in &by_group {
        println!("  {group:<22} {p:>4}/{:<4}", p + f);
    }
    println!(
        "non-JSONata cases: {jsonpath_passed}/{jsonpath_total} ({:.1}%)",
        100.0 * jsonpath_passed as f64 / jsonpath_total.max(1) as f64
    );
    if std::env::var_os("CONFORMANCE_WRITE_KNOWN").is_some() {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/conformance/known-failures.txt"),
            format!(
                "# Conformance cases that fail today: one id per line, then ` # ` and why.\n# The list may only shrink.\n{}\n",
                failed_ids
                    .iter()
                    .map(|id| match reasons.get(id.as_str()) {
                        Some(why) => format!("{id} # {why}"),
                        None => id.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        )
        .expect("write known-failures.txt");
    }
    println!("{passed} passed, {failed} failed");
    assert!(
        unexpected.is_empty(),
        "{} cases fail that are not in known-failures.txt:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "{} cases in known-failures.txt pass now; remove them from the list:\n{}",
        now_passing.len(),
        now_passing.join("\n")
    );
}
