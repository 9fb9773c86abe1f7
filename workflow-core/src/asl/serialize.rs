//! Model -> JSON. Keys come out in the order they were parsed in; keys the source did not have
//! (a model built in code) follow in the canonical order of the specification.

use serde_json::{Map as JsonMap, Value};

use super::model::*;

/// Collects `(key, value)` pairs in canonical order, then writes them in source order.
struct Obj {
    entries: Vec<(&'static str, Value)>,
}

impl Obj {
    fn new() -> Self {
        Obj {
            entries: Vec::with_capacity(8),
        }
    }

    fn put(&mut self, key: &'static str, value: Value) {
        self.entries.push((key, value));
    }

    fn opt(&mut self, key: &'static str, value: Option<Value>) {
        if let Some(value) = value {
            self.entries.push((key, value));
        }
    }

    fn string(&mut self, key: &'static str, value: &Option<String>) {
        self.opt(key, value.clone().map(Value::String));
    }

    fn finish(mut self, key_order: &[String]) -> Value {
        let mut out = JsonMap::with_capacity(self.entries.len());
        for key in key_order {
            if let Some(i) = self.entries.iter().position(|(k, _)| k == key) {
                let (k, v) = self.entries.swap_remove(i);
                out.insert(k.to_string(), v);
            }
        }
        // `swap_remove` disturbed the order of the rest; restore the canonical order.
        let mut rest = self.entries;
        rest.sort_by_key(|(k, _)| canonical_rank(k));
        for (k, v) in rest {
            out.insert(k.to_string(), v);
        }
        Value::Object(out)
    }
}

/// The position of a key in the canonical field order.
fn canonical_rank(key: &str) -> usize {
    const ORDER: &[&str] = &[
        "Comment",
        "QueryLanguage",
        "StartAt",
        "States",
        "Version",
        "TimeoutSeconds",
        "Type",
        "Resource",
        "ProcessorConfig",
        "Mode",
        "ExecutionType",
        "Variable",
        "Condition",
        "And",
        "Or",
        "Not",
        "Choices",
        "Default",
        "Branches",
        "ItemReader",
        "ItemsPath",
        "Items",
        "ItemSelector",
        "ItemBatcher",
        "ItemProcessor",
        "Iterator",
        "ResultWriter",
        "MaxConcurrency",
        "MaxConcurrencyPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "Label",
        "InputPath",
        "Parameters",
        "Arguments",
        "Result",
        "ResultSelector",
        "ResultPath",
        "OutputPath",
        "Output",
        "Assign",
        "Seconds",
        "SecondsPath",
        "Timestamp",
        "TimestampPath",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
        "Credentials",
        "Error",
        "ErrorPath",
        "Cause",
        "CausePath",
        "ErrorEquals",
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
        "JitterStrategy",
        "Retry",
        "Catch",
        "Next",
        "End",
    ];
    ORDER.iter().position(|k| *k == key).unwrap_or(ORDER.len())
}

fn path_or_null(value: &Option<PathOrNull>) -> Option<Value> {
    value.as_ref().map(|p| match p {
        PathOrNull::Path(s) => Value::String(s.clone()),
        PathOrNull::Null => Value::Null,
    })
}

fn number_or_expr(value: &Option<NumberOrExpr>) -> Option<Value> {
    value.as_ref().map(|v| match v {
        NumberOrExpr::Number(n) => Value::Number(n.clone()),
        NumberOrExpr::Expr(s) => Value::String(s.clone()),
    })
}

impl StateMachine {
    /// The definition as JSON, keys in source order.
    pub fn to_json(&self) -> Value {
        let mut obj = Obj::new();
        obj.string("Comment", &self.comment);
        obj.opt(
            "QueryLanguage",
            self.query_language
                .map(|q| Value::String(q.as_str().into())),
        );
        obj.put("StartAt", Value::String(self.start_at.clone()));
        obj.put("States", states_to_json(&self.states));
        obj.string("Version", &self.version);
        obj.opt("TimeoutSeconds", self.timeout_seconds.map(Value::from));
        obj.finish(&self.key_order)
    }
}

fn states_to_json(states: &indexmap::IndexMap<String, State>) -> Value {
    Value::Object(
        states
            .iter()
            .map(|(name, state)| (name.clone(), state.to_json()))
            .collect(),
    )
}

impl Branch {
    pub fn to_json(&self) -> Value {
        let mut obj = Obj::new();
        obj.string("Comment", &self.comment);
        obj.opt(
            "QueryLanguage",
            self.query_language
                .map(|q| Value::String(q.as_str().into())),
        );
        obj.opt(
            "ProcessorConfig",
            self.processor_config.as_ref().map(|c| {
                let mut cfg = Obj::new();
                cfg.opt(
                    "Mode",
                    c.mode.map(|m| {
                        Value::String(
                            match m {
                                ProcessorMode::Inline => "INLINE",
                                ProcessorMode::Distributed => "DISTRIBUTED",
                            }
                            .into(),
                        )
                    }),
                );
                cfg.opt(
                    "ExecutionType",
                    c.execution_type.map(|t| {
                        Value::String(
                            match t {
                                ExecutionType::Standard => "STANDARD",
                                ExecutionType::Express => "EXPRESS",
                            }
                            .into(),
                        )
                    }),
                );
                cfg.finish(&c.key_order)
            }),
        );
        obj.put("StartAt", Value::String(self.start_at.clone()));
        obj.put("States", states_to_json(&self.states));
        obj.finish(&self.key_order)
    }
}

impl State {
    /// The state as JSON, keys in source order.
    pub fn to_json(&self) -> Value {
        let mut obj = Obj::new();
        obj.put("Type", Value::String(self.type_name().into()));
        obj.string("Comment", &self.comment);
        obj.opt(
            "QueryLanguage",
            self.query_language
                .map(|q| Value::String(q.as_str().into())),
        );
        match &self.kind {
            StateKind::Pass(s) => {
                io(&mut obj, &s.io);
                obj.opt("Result", s.result.clone());
                transition(&mut obj, &s.transition);
            }
            StateKind::Task(s) => {
                obj.put("Resource", Value::String(s.resource.clone()));
                io(&mut obj, &s.io);
                obj.opt("TimeoutSeconds", number_or_expr(&s.timeout_seconds));
                obj.string("TimeoutSecondsPath", &s.timeout_seconds_path);
                obj.opt("HeartbeatSeconds", number_or_expr(&s.heartbeat_seconds));
                obj.string("HeartbeatSecondsPath", &s.heartbeat_seconds_path);
                obj.opt("Credentials", s.credentials.clone());
                errors(&mut obj, &s.errors);
                transition(&mut obj, &s.transition);
            }
            StateKind::Choice(s) => {
                obj.put(
                    "Choices",
                    Value::Array(s.choices.iter().map(ChoiceRule::to_json).collect()),
                );
                obj.string("Default", &s.default);
                io(&mut obj, &s.io);
            }
            StateKind::Wait(s) => {
                obj.opt("Seconds", number_or_expr(&s.seconds));
                obj.string("SecondsPath", &s.seconds_path);
                obj.string("Timestamp", &s.timestamp);
                obj.string("TimestampPath", &s.timestamp_path);
                io(&mut obj, &s.io);
                transition(&mut obj, &s.transition);
            }
            StateKind::Succeed(s) => io(&mut obj, &s.io),
            StateKind::Fail(s) => {
                obj.string("Error", &s.error);
                obj.string("ErrorPath", &s.error_path);
                obj.string("Cause", &s.cause);
                obj.string("CausePath", &s.cause_path);
            }
            StateKind::Parallel(s) => {
                obj.put(
                    "Branches",
                    Value::Array(s.branches.iter().map(Branch::to_json).collect()),
                );
                io(&mut obj, &s.io);
                errors(&mut obj, &s.errors);
                transition(&mut obj, &s.transition);
            }
            StateKind::Map(s) => {
                let key = if s.processor_is_iterator {
                    "Iterator"
                } else {
                    "ItemProcessor"
                };
                obj.put(key, s.item_processor.to_json());
                obj.string("ItemsPath", &s.items_path);
                obj.opt("Items", s.items.clone());
                obj.opt("ItemSelector", s.item_selector.clone());
                obj.opt("ItemReader", s.item_reader.as_ref().map(item_reader));
                obj.opt("ItemBatcher", s.item_batcher.as_ref().map(item_batcher));
                obj.opt("ResultWriter", s.result_writer.as_ref().map(result_writer));
                obj.opt("MaxConcurrency", number_or_expr(&s.max_concurrency));
                obj.string("MaxConcurrencyPath", &s.max_concurrency_path);
                obj.opt(
                    "ToleratedFailurePercentage",
                    number_or_expr(&s.tolerated_failure_percentage),
                );
                obj.string(
                    "ToleratedFailurePercentagePath",
                    &s.tolerated_failure_percentage_path,
                );
                obj.opt(
                    "ToleratedFailureCount",
                    number_or_expr(&s.tolerated_failure_count),
                );
                obj.string("ToleratedFailureCountPath", &s.tolerated_failure_count_path);
                obj.string("Label", &s.label);
                io(&mut obj, &s.io);
                errors(&mut obj, &s.errors);
                transition(&mut obj, &s.transition);
            }
        }
        obj.finish(&self.key_order)
    }
}

fn io(obj: &mut Obj, io: &Io) {
    obj.opt("InputPath", path_or_null(&io.input_path));
    obj.opt("Parameters", io.parameters.clone());
    obj.opt("Arguments", io.arguments.clone());
    obj.opt("ResultSelector", io.result_selector.clone());
    obj.opt("ResultPath", path_or_null(&io.result_path));
    obj.opt("OutputPath", path_or_null(&io.output_path));
    obj.opt("Output", io.output.clone());
    obj.opt("Assign", io.assign.clone());
}

fn transition(obj: &mut Obj, transition: &Transition) {
    match transition {
        Transition::Next(next) => obj.put("Next", Value::String(next.clone())),
        Transition::End => obj.put("End", Value::Bool(true)),
    }
}

fn errors(obj: &mut Obj, errors: &ErrorHandling) {
    obj.opt(
        "Retry",
        errors
            .retry
            .as_ref()
            .map(|r| Value::Array(r.iter().map(Retrier::to_json).collect())),
    );
    obj.opt(
        "Catch",
        errors
            .catch
            .as_ref()
            .map(|c| Value::Array(c.iter().map(Catcher::to_json).collect())),
    );
}

fn error_equals(names: &[String]) -> Value {
    Value::Array(names.iter().cloned().map(Value::String).collect())
}

impl Retrier {
    pub fn to_json(&self) -> Value {
        let mut obj = Obj::new();
        obj.put("ErrorEquals", error_equals(&self.error_equals));
        obj.opt(
            "IntervalSeconds",
            self.interval_seconds.clone().map(Value::Number),
        );
        obj.opt("MaxAttempts", self.max_attempts.clone().map(Value::Number));
        obj.opt("BackoffRate", self.backoff_rate.clone().map(Value::Number));
        obj.opt(
            "MaxDelaySeconds",
            self.max_delay_seconds.clone().map(Value::Number),
        );
        obj.opt(
            "JitterStrategy",
            self.jitter_strategy.map(|j| {
                Value::String(
                    match j {
                        JitterStrategy::Full => "FULL",
                        JitterStrategy::None => "NONE",
                    }
                    .into(),
                )
            }),
        );
        obj.string("Comment", &self.comment);
        obj.finish(&self.key_order)
    }
}

impl Catcher {
    pub fn to_json(&self) -> Value {
        let mut obj = Obj::new();
        obj.put("ErrorEquals", error_equals(&self.error_equals));
        obj.opt("ResultPath", path_or_null(&self.result_path));
        obj.opt("Output", self.output.clone());
        obj.opt("Assign", self.assign.clone());
        obj.string("Comment", &self.comment);
        obj.put("Next", Value::String(self.next.clone()));
        obj.finish(&self.key_order)
    }
}

impl ChoiceRule {
    pub fn to_json(&self) -> Value {
        let mut obj = Obj::new();
        obj.string("Comment", &self.comment);
        match &self.condition {
            Condition::Jsonata(cond) => obj.put("Condition", cond.clone()),
            Condition::And(rules) => obj.put(
                "And",
                Value::Array(rules.iter().map(ChoiceRule::to_json).collect()),
            ),
            Condition::Or(rules) => obj.put(
                "Or",
                Value::Array(rules.iter().map(ChoiceRule::to_json).collect()),
            ),
            Condition::Not(rule) => obj.put("Not", rule.to_json()),
            Condition::Compare {
                variable,
                op,
                operand,
            } => {
                obj.put("Variable", Value::String(variable.clone()));
                let (path, value) = match operand {
                    Operand::Literal(v) => (false, v.clone()),
                    Operand::Path(p) => (true, Value::String(p.clone())),
                };
                obj.entries.push((op.key_str(path), value));
            }
        }
        obj.opt("Output", self.output.clone());
        obj.opt("Assign", self.assign.clone());
        obj.opt("Next", self.next.clone().map(Value::String));
        obj.finish(&self.key_order)
    }
}

fn item_reader(r: &ItemReader) -> Value {
    let mut obj = Obj::new();
    obj.put("Resource", Value::String(r.resource.clone()));
    obj.opt("ReaderConfig", r.reader_config.clone());
    obj.opt("Parameters", r.parameters.clone());
    obj.opt("Arguments", r.arguments.clone());
    obj.finish(&r.key_order)
}

fn item_batcher(b: &ItemBatcher) -> Value {
    let mut obj = Obj::new();
    obj.opt("MaxItemsPerBatch", number_or_expr(&b.max_items_per_batch));
    obj.string("MaxItemsPerBatchPath", &b.max_items_per_batch_path);
    obj.opt(
        "MaxInputBytesPerBatch",
        number_or_expr(&b.max_input_bytes_per_batch),
    );
    obj.string(
        "MaxInputBytesPerBatchPath",
        &b.max_input_bytes_per_batch_path,
    );
    obj.opt("BatchInput", b.batch_input.clone());
    obj.finish(&b.key_order)
}

fn result_writer(w: &ResultWriter) -> Value {
    let mut obj = Obj::new();
    obj.string("Resource", &w.resource);
    obj.opt("Parameters", w.parameters.clone());
    obj.opt("Arguments", w.arguments.clone());
    obj.opt("WriterConfig", w.writer_config.clone());
    obj.finish(&w.key_order)
}
