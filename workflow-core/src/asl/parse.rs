//! JSON -> model. Structural problems (missing, unknown or mistyped fields) become
//! `SCHEMA_VALIDATION_FAILED` diagnostics with the JSON pointer of the offending value; the
//! parser keeps going so that one pass reports every problem.

use indexmap::IndexMap;
use serde_json::{Map as JsonMap, Number, Value};

use super::diag::{Code, Diagnostic, pointer_push};
use super::model::*;

/// Parses a definition from JSON text.
pub fn parse_str(text: &str) -> Result<StateMachine, Vec<Diagnostic>> {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => parse_value(&value),
        Err(err) => Err(vec![Diagnostic::error(
            Code::InvalidJsonDescription,
            "",
            format!(
                "the definition is not valid JSON: {err} (line {}, column {})",
                err.line(),
                err.column()
            )
            .replace(
                &format!(" at line {} column {}", err.line(), err.column()),
                "",
            ),
        )]),
    }
}

/// Parses a definition from a JSON value.
pub fn parse_value(value: &Value) -> Result<StateMachine, Vec<Diagnostic>> {
    let mut parser = Parser::default();
    let machine = parser.state_machine(value);
    match machine {
        Some(machine) if parser.diags.is_empty() => Ok(machine),
        _ => Err(parser.diags),
    }
}

#[derive(Default)]
struct Parser {
    diags: Vec<Diagnostic>,
}

/// Reads the fields of one JSON object, remembering which were consumed so that the rest can be
/// reported as unknown.
struct Fields<'a> {
    obj: &'a JsonMap<String, Value>,
    pointer: String,
    used: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    fn key_order(&self) -> KeyOrder {
        self.obj.keys().cloned().collect()
    }

    fn at(&self, key: &str) -> String {
        pointer_push(&self.pointer, key)
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.used.push(key);
        self.obj.get(key)
    }
}

impl Parser {
    fn err(&mut self, location: String, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(
            Code::SchemaValidationFailed,
            location,
            message,
        ));
    }

    fn object<'a>(&mut self, value: &'a Value, pointer: &str, what: &str) -> Option<Fields<'a>> {
        match value {
            Value::Object(obj) => Some(Fields {
                obj,
                pointer: pointer.to_string(),
                used: Vec::new(),
            }),
            other => {
                self.err(
                    pointer.to_string(),
                    format!("{what} must be an object, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// Reports every key of `fields` that no accessor asked for.
    fn finish(&mut self, fields: &Fields<'_>, what: &str) {
        for key in fields.obj.keys() {
            if !fields.used.contains(&key.as_str()) {
                self.err(fields.at(key), format!("unknown field `{key}` in {what}"));
            }
        }
    }

    fn string(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<String> {
        match fields.get(key)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.err(
                    fields.at(key),
                    format!("`{key}` must be a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn required_string(
        &mut self,
        fields: &mut Fields<'_>,
        key: &'static str,
        what: &str,
    ) -> String {
        if !fields.obj.contains_key(key) {
            fields.used.push(key);
            self.err(
                fields.pointer.clone(),
                format!("{what} is missing the required field `{key}`"),
            );
            return String::new();
        }
        self.string(fields, key).unwrap_or_default()
    }

    fn value(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Value> {
        fields.get(key).cloned()
    }

    fn object_value(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Value> {
        let value = fields.get(key)?;
        if value.is_object() {
            Some(value.clone())
        } else {
            self.err(
                fields.at(key),
                format!("`{key}` must be an object, found {}", type_name(value)),
            );
            None
        }
    }

    /// An object, or in JSONata mode also a `{% %}` string (`Arguments`, `Assign`).
    fn object_or_expr(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Value> {
        let value = fields.get(key)?;
        if value.is_object() || value.is_string() {
            Some(value.clone())
        } else {
            self.err(
                fields.at(key),
                format!(
                    "`{key}` must be an object or a JSONata expression, found {}",
                    type_name(value)
                ),
            );
            None
        }
    }

    fn path_or_null(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<PathOrNull> {
        match fields.get(key)? {
            Value::Null => Some(PathOrNull::Null),
            Value::String(s) => Some(PathOrNull::Path(s.clone())),
            other => {
                self.err(
                    fields.at(key),
                    format!(
                        "`{key}` must be a path string or null, found {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    fn bool(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<bool> {
        match fields.get(key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.err(
                    fields.at(key),
                    format!("`{key}` must be a boolean, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn number(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<Number> {
        match fields.get(key)? {
            Value::Number(n) => Some(n.clone()),
            other => {
                self.err(
                    fields.at(key),
                    format!("`{key}` must be a number, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn unsigned(&mut self, fields: &mut Fields<'_>, key: &'static str) -> Option<u64> {
        let value = fields.get(key)?;
        match value.as_u64() {
            Some(n) => Some(n),
            None => {
                self.err(
                    fields.at(key),
                    format!(
                        "`{key}` must be a non-negative integer, found {}",
                        short(value)
                    ),
                );
                None
            }
        }
    }

    fn number_or_expr(
        &mut self,
        fields: &mut Fields<'_>,
        key: &'static str,
    ) -> Option<NumberOrExpr> {
        match fields.get(key)? {
            Value::Number(n) => Some(NumberOrExpr::Number(n.clone())),
            Value::String(s) => Some(NumberOrExpr::Expr(s.clone())),
            other => {
                self.err(
                    fields.at(key),
                    format!(
                        "`{key}` must be a number or a JSONata expression, found {}",
                        type_name(other)
                    ),
                );
                None
            }
        }
    }

    fn query_language(&mut self, fields: &mut Fields<'_>) -> Option<QueryLanguage> {
        let at = fields.at("QueryLanguage");
        match self.string(fields, "QueryLanguage")?.as_str() {
            "JSONPath" => Some(QueryLanguage::JsonPath),
            "JSONata" => Some(QueryLanguage::Jsonata),
            other => {
                self.err(
                    at,
                    format!(
                        "`QueryLanguage` must be \"JSONPath\" or \"JSONata\", found \"{other}\""
                    ),
                );
                None
            }
        }
    }

    fn state_machine(&mut self, value: &Value) -> Option<StateMachine> {
        let Value::Object(_) = value else {
            self.diags.push(Diagnostic::error(
                Code::InvalidJsonDescription,
                "",
                format!(
                    "the definition must be a JSON object, found {}",
                    type_name(value)
                ),
            ));
            return None;
        };
        let mut fields = self.object(value, "", "the state machine")?;
        let comment = self.string(&mut fields, "Comment");
        let start_at = self.required_string(&mut fields, "StartAt", "the state machine");
        let states = self.states(&mut fields, "the state machine");
        let version = self.string(&mut fields, "Version");
        let timeout_seconds = self.unsigned(&mut fields, "TimeoutSeconds");
        let query_language = self.query_language(&mut fields);
        self.finish(&fields, "the state machine");
        Some(StateMachine {
            comment,
            start_at,
            states,
            version,
            timeout_seconds,
            query_language,
            key_order: fields.key_order(),
        })
    }

    fn states(&mut self, fields: &mut Fields<'_>, what: &str) -> IndexMap<String, State> {
        let mut out = IndexMap::new();
        if !fields.obj.contains_key("States") {
            fields.used.push("States");
            self.err(
                fields.pointer.clone(),
                format!("{what} is missing the required field `States`"),
            );
            return out;
        }
        let at = fields.at("States");
        let Some(value) = fields.get("States") else {
            return out;
        };
        let Value::Object(obj) = value else {
            self.err(
                at,
                format!("`States` must be an object, found {}", type_name(value)),
            );
            return out;
        };
        if obj.is_empty() {
            self.err(at.clone(), "`States` must contain at least one state");
        }
        for (name, state) in obj {
            let pointer = pointer_push(&at, name);
            if let Some(state) = self.state(state, &pointer, name) {
                out.insert(name.clone(), state);
            }
        }
        out
    }

    fn branch(&mut self, value: &Value, pointer: &str, what: &str, processor: bool) -> Branch {
        let empty = Branch {
            comment: None,
            start_at: String::new(),
            states: IndexMap::new(),
            processor_config: None,
            query_language: None,
            key_order: Vec::new(),
        };
        let Some(mut fields) = self.object(value, pointer, what) else {
            return empty;
        };
        let comment = self.string(&mut fields, "Comment");
        let start_at = self.required_string(&mut fields, "StartAt", what);
        let states = self.states(&mut fields, what);
        let query_language = self.query_language(&mut fields);
        let processor_config = if processor {
            fields
                .get("ProcessorConfig")
                .map(|v| self.processor_config(v, &pointer_push(pointer, "ProcessorConfig")))
        } else {
            None
        };
        self.finish(&fields, what);
        Branch {
            comment,
            start_at,
            states,
            processor_config,
            query_language,
            key_order: fields.key_order(),
        }
    }

    fn processor_config(&mut self, value: &Value, pointer: &str) -> ProcessorConfig {
        let Some(mut fields) = self.object(value, pointer, "`ProcessorConfig`") else {
            return ProcessorConfig::default();
        };
        let mode_at = fields.at("Mode");
        let mode = match self.string(&mut fields, "Mode").as_deref() {
            None => None,
            Some("INLINE") => Some(ProcessorMode::Inline),
            Some("DISTRIBUTED") => Some(ProcessorMode::Distributed),
            Some(other) => {
                self.err(
                    mode_at,
                    format!("`Mode` must be \"INLINE\" or \"DISTRIBUTED\", found \"{other}\""),
                );
                None
            }
        };
        let type_at = fields.at("ExecutionType");
        let execution_type = match self.string(&mut fields, "ExecutionType").as_deref() {
            None => None,
            Some("STANDARD") => Some(ExecutionType::Standard),
            Some("EXPRESS") => Some(ExecutionType::Express),
            Some(other) => {
                self.err(
                    type_at,
                    format!(
                        "`ExecutionType` must be \"STANDARD\" or \"EXPRESS\", found \"{other}\""
                    ),
                );
                None
            }
        };
        self.finish(&fields, "`ProcessorConfig`");
        ProcessorConfig {
            mode,
            execution_type,
            key_order: fields.key_order(),
        }
    }

    fn state(&mut self, value: &Value, pointer: &str, name: &str) -> Option<State> {
        let what = format!("state '{name}'");
        let mut fields = self.object(value, pointer, &what)?;
        let type_at = fields.at("Type");
        let type_name_value = if fields.obj.contains_key("Type") {
            self.string(&mut fields, "Type")
        } else {
            fields.used.push("Type");
            self.err(
                pointer.to_string(),
                format!("{what} is missing the required field `Type`"),
            );
            None
        };
        let comment = self.string(&mut fields, "Comment");
        let query_language = self.query_language(&mut fields);
        let kind = match type_name_value.as_deref() {
            Some("Pass") => {
                let transition = self.transition(&mut fields, &what);
                let io = self.io(&mut fields);
                let result = self.value(&mut fields, "Result");
                Some(StateKind::Pass(Pass {
                    transition,
                    io,
                    result,
                }))
            }
            Some("Task") => {
                let transition = self.transition(&mut fields, &what);
                let io = self.io(&mut fields);
                let errors = self.errors(&mut fields);
                let resource = self.required_string(&mut fields, "Resource", &what);
                let timeout_seconds = self.number_or_expr(&mut fields, "TimeoutSeconds");
                let timeout_seconds_path = self.string(&mut fields, "TimeoutSecondsPath");
                let heartbeat_seconds = self.number_or_expr(&mut fields, "HeartbeatSeconds");
                let heartbeat_seconds_path = self.string(&mut fields, "HeartbeatSecondsPath");
                let credentials = self.object_or_expr(&mut fields, "Credentials");
                Some(StateKind::Task(Task {
                    transition,
                    io,
                    errors,
                    resource,
                    timeout_seconds,
                    timeout_seconds_path,
                    heartbeat_seconds,
                    heartbeat_seconds_path,
                    credentials,
                }))
            }
            Some("Choice") => {
                let io = self.io(&mut fields);
                let choices = self.choices(&mut fields, &what);
                let default = self.string(&mut fields, "Default");
                Some(StateKind::Choice(Choice {
                    io,
                    choices,
                    default,
                }))
            }
            Some("Wait") => {
                let transition = self.transition(&mut fields, &what);
                let io = self.io(&mut fields);
                let seconds = self.number_or_expr(&mut fields, "Seconds");
                let seconds_path = self.string(&mut fields, "SecondsPath");
                let timestamp = self.string(&mut fields, "Timestamp");
                let timestamp_path = self.string(&mut fields, "TimestampPath");
                Some(StateKind::Wait(Wait {
                    transition,
                    io,
                    seconds,
                    seconds_path,
                    timestamp,
                    timestamp_path,
                }))
            }
            Some("Succeed") => {
                let io = self.io(&mut fields);
                Some(StateKind::Succeed(Succeed { io }))
            }
            Some("Fail") => {
                let error = self.string(&mut fields, "Error");
                let error_path = self.string(&mut fields, "ErrorPath");
                let cause = self.string(&mut fields, "Cause");
                let cause_path = self.string(&mut fields, "CausePath");
                Some(StateKind::Fail(Fail {
                    error,
                    error_path,
                    cause,
                    cause_path,
                }))
            }
            Some("Parallel") => {
                let transition = self.transition(&mut fields, &what);
                let io = self.io(&mut fields);
                let errors = self.errors(&mut fields);
                let branches_at = fields.at("Branches");
                let branches = match fields.get("Branches") {
                    Some(Value::Array(items)) => items
                        .iter()
                        .enumerate()
                        .map(|(i, b)| {
                            self.branch(
                                b,
                                &pointer_push(&branches_at, &i.to_string()),
                                "a Parallel branch",
                                false,
                            )
                        })
                        .collect(),
                    Some(other) => {
                        self.err(
                            branches_at,
                            format!("`Branches` must be an array, found {}", type_name(other)),
                        );
                        Vec::new()
                    }
                    None => {
                        self.err(
                            pointer.to_string(),
                            format!("{what} is missing the required field `Branches`"),
                        );
                        Vec::new()
                    }
                };
                Some(StateKind::Parallel(Parallel {
                    transition,
                    io,
                    errors,
                    branches,
                }))
            }
            Some("Map") => Some(StateKind::Map(self.map(&mut fields, pointer, &what))),
            Some(other) => {
                self.err(
                    type_at,
                    format!(
                        "unknown state type \"{other}\"; expected one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map"
                    ),
                );
                None
            }
            None => None,
        };
        let kind = kind?;
        self.finish(&fields, &what);
        Some(State {
            comment,
            query_language,
            kind,
            key_order: fields.key_order(),
        })
    }

    fn map(&mut self, fields: &mut Fields<'_>, pointer: &str, what: &str) -> Map {
        let transition = self.transition(fields, what);
        let io = self.io(fields);
        let errors = self.errors(fields);
        let (item_processor, processor_is_iterator) =
            match (fields.get("ItemProcessor"), fields.get("Iterator")) {
                (Some(p), None) => (
                    self.branch(
                        p,
                        &pointer_push(pointer, "ItemProcessor"),
                        "`ItemProcessor`",
                        true,
                    ),
                    false,
                ),
                (None, Some(it)) => (
                    self.branch(it, &pointer_push(pointer, "Iterator"), "`Iterator`", true),
                    true,
                ),
                (Some(p), Some(_)) => {
                    self.err(
                    pointer_push(pointer, "Iterator"),
                    format!(
                        "{what} has both `ItemProcessor` and `Iterator`; use only `ItemProcessor`"
                    ),
                );
                    (
                        self.branch(
                            p,
                            &pointer_push(pointer, "ItemProcessor"),
                            "`ItemProcessor`",
                            true,
                        ),
                        false,
                    )
                }
                (None, None) => {
                    self.err(
                        pointer.to_string(),
                        format!("{what} is missing the required field `ItemProcessor`"),
                    );
                    (
                        Branch {
                            comment: None,
                            start_at: String::new(),
                            states: IndexMap::new(),
                            processor_config: None,
                            query_language: None,
                            key_order: Vec::new(),
                        },
                        false,
                    )
                }
            };
        let items_path = self.string(fields, "ItemsPath");
        let items = self.value(fields, "Items");
        let item_selector = self.value(fields, "ItemSelector");
        let item_reader = fields
            .get("ItemReader")
            .map(|v| self.item_reader(v, &pointer_push(pointer, "ItemReader")));
        let item_batcher = fields
            .get("ItemBatcher")
            .map(|v| self.item_batcher(v, &pointer_push(pointer, "ItemBatcher")));
        let result_writer = fields
            .get("ResultWriter")
            .map(|v| self.result_writer(v, &pointer_push(pointer, "ResultWriter")));
        let max_concurrency = self.number_or_expr(fields, "MaxConcurrency");
        let max_concurrency_path = self.string(fields, "MaxConcurrencyPath");
        let tolerated_failure_percentage =
            self.number_or_expr(fields, "ToleratedFailurePercentage");
        let tolerated_failure_percentage_path =
            self.string(fields, "ToleratedFailurePercentagePath");
        let tolerated_failure_count = self.number_or_expr(fields, "ToleratedFailureCount");
        let tolerated_failure_count_path = self.string(fields, "ToleratedFailureCountPath");
        let label = self.string(fields, "Label");
        Map {
            transition,
            io,
            errors,
            item_processor,
            processor_is_iterator,
            items_path,
            items,
            item_selector,
            item_reader,
            item_batcher,
            result_writer,
            max_concurrency,
            max_concurrency_path,
            tolerated_failure_percentage,
            tolerated_failure_percentage_path,
            tolerated_failure_count,
            tolerated_failure_count_path,
            label,
        }
    }

    fn item_reader(&mut self, value: &Value, pointer: &str) -> ItemReader {
        let Some(mut fields) = self.object(value, pointer, "`ItemReader`") else {
            return ItemReader::default();
        };
        let resource = self.required_string(&mut fields, "Resource", "`ItemReader`");
        let reader_config = self.object_value(&mut fields, "ReaderConfig");
        let parameters = self.object_value(&mut fields, "Parameters");
        let arguments = self.object_or_expr(&mut fields, "Arguments");
        self.finish(&fields, "`ItemReader`");
        ItemReader {
            resource,
            reader_config,
            parameters,
            arguments,
            key_order: fields.key_order(),
        }
    }

    fn item_batcher(&mut self, value: &Value, pointer: &str) -> ItemBatcher {
        let Some(mut fields) = self.object(value, pointer, "`ItemBatcher`") else {
            return ItemBatcher::default();
        };
        let max_items_per_batch = self.number_or_expr(&mut fields, "MaxItemsPerBatch");
        let max_items_per_batch_path = self.string(&mut fields, "MaxItemsPerBatchPath");
        let max_input_bytes_per_batch = self.number_or_expr(&mut fields, "MaxInputBytesPerBatch");
        let max_input_bytes_per_batch_path = self.string(&mut fields, "MaxInputBytesPerBatchPath");
        let batch_input = self.object_or_expr(&mut fields, "BatchInput");
        self.finish(&fields, "`ItemBatcher`");
        ItemBatcher {
            max_items_per_batch,
            max_items_per_batch_path,
            max_input_bytes_per_batch,
            max_input_bytes_per_batch_path,
            batch_input,
            key_order: fields.key_order(),
        }
    }

    fn result_writer(&mut self, value: &Value, pointer: &str) -> ResultWriter {
        let Some(mut fields) = self.object(value, pointer, "`ResultWriter`") else {
            return ResultWriter::default();
        };
        let resource = self.string(&mut fields, "Resource");
        let parameters = self.object_value(&mut fields, "Parameters");
        let arguments = self.object_or_expr(&mut fields, "Arguments");
        let writer_config = self.object_value(&mut fields, "WriterConfig");
        self.finish(&fields, "`ResultWriter`");
        ResultWriter {
            resource,
            parameters,
            arguments,
            writer_config,
            key_order: fields.key_order(),
        }
    }

    fn transition(&mut self, fields: &mut Fields<'_>, what: &str) -> Transition {
        let next = self.string(fields, "Next");
        let end_at = fields.at("End");
        let end = self.bool(fields, "End");
        match (next, end) {
            (Some(next), None | Some(false)) => Transition::Next(next),
            (None, Some(true)) => Transition::End,
            (Some(next), Some(true)) => {
                self.err(
                    end_at,
                    format!("{what} has both `Next` and `End: true`; use one of them"),
                );
                Transition::Next(next)
            }
            (None, _) => {
                self.err(
                    fields.pointer.clone(),
                    format!("{what} must have either `Next` or `End: true`"),
                );
                Transition::End
            }
        }
    }

    fn io(&mut self, fields: &mut Fields<'_>) -> Io {
        Io {
            input_path: self.path_or_null(fields, "InputPath"),
            output_path: self.path_or_null(fields, "OutputPath"),
            parameters: self.value(fields, "Parameters"),
            result_selector: self.value(fields, "ResultSelector"),
            result_path: self.path_or_null(fields, "ResultPath"),
            arguments: self.value(fields, "Arguments"),
            output: self.value(fields, "Output"),
            assign: self.value(fields, "Assign"),
        }
    }

    fn errors(&mut self, fields: &mut Fields<'_>) -> ErrorHandling {
        let retry_at = fields.at("Retry");
        let retry = match fields.get("Retry") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| self.retrier(r, &pointer_push(&retry_at, &i.to_string())))
                    .collect(),
            ),
            Some(other) => {
                self.err(
                    retry_at,
                    format!("`Retry` must be an array, found {}", type_name(other)),
                );
                None
            }
        };
        let catch_at = fields.at("Catch");
        let catch = match fields.get("Catch") {
            None => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, c)| self.catcher(c, &pointer_push(&catch_at, &i.to_string())))
                    .collect(),
            ),
            Some(other) => {
                self.err(
                    catch_at,
                    format!("`Catch` must be an array, found {}", type_name(other)),
                );
                None
            }
        };
        ErrorHandling { retry, catch }
    }

    fn error_equals(&mut self, fields: &mut Fields<'_>, what: &str) -> Vec<String> {
        let at = fields.at("ErrorEquals");
        match fields.get("ErrorEquals") {
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => self.err(
                            pointer_push(&at, &i.to_string()),
                            format!("error names must be strings, found {}", type_name(other)),
                        ),
                    }
                }
                if items.is_empty() {
                    self.err(at, "`ErrorEquals` must name at least one error");
                }
                out
            }
            Some(other) => {
                self.err(
                    at,
                    format!("`ErrorEquals` must be an array, found {}", type_name(other)),
                );
                Vec::new()
            }
            None => {
                self.err(
                    fields.pointer.clone(),
                    format!("{what} is missing the required field `ErrorEquals`"),
                );
                Vec::new()
            }
        }
    }

    fn retrier(&mut self, value: &Value, pointer: &str) -> Option<Retrier> {
        let mut fields = self.object(value, pointer, "a retrier")?;
        let error_equals = self.error_equals(&mut fields, "a retrier");
        let interval_seconds = self.number(&mut fields, "IntervalSeconds");
        let max_attempts = self.number(&mut fields, "MaxAttempts");
        let backoff_rate = self.number(&mut fields, "BackoffRate");
        let max_delay_seconds = self.number(&mut fields, "MaxDelaySeconds");
        let jitter_at = fields.at("JitterStrategy");
        let jitter_strategy = match self.string(&mut fields, "JitterStrategy").as_deref() {
            None => None,
            Some("FULL") => Some(JitterStrategy::Full),
            Some("NONE") => Some(JitterStrategy::None),
            Some(other) => {
                self.err(
                    jitter_at,
                    format!("`JitterStrategy` must be \"FULL\" or \"NONE\", found \"{other}\""),
                );
                None
            }
        };
        let comment = self.string(&mut fields, "Comment");
        self.finish(&fields, "a retrier");
        Some(Retrier {
            error_equals,
            interval_seconds,
            max_attempts,
            backoff_rate,
            max_delay_seconds,
            jitter_strategy,
            comment,
            key_order: fields.key_order(),
        })
    }

    fn catcher(&mut self, value: &Value, pointer: &str) -> Option<Catcher> {
        let mut fields = self.object(value, pointer, "a catcher")?;
        let error_equals = self.error_equals(&mut fields, "a catcher");
        let next = self.required_string(&mut fields, "Next", "a catcher");
        let result_path = self.path_or_null(&mut fields, "ResultPath");
        let assign = self.value(&mut fields, "Assign");
        let output = self.value(&mut fields, "Output");
        let comment = self.string(&mut fields, "Comment");
        self.finish(&fields, "a catcher");
        Some(Catcher {
            error_equals,
            next,
            result_path,
            assign,
            output,
            comment,
            key_order: fields.key_order(),
        })
    }

    fn choices(&mut self, fields: &mut Fields<'_>, what: &str) -> Vec<ChoiceRule> {
        let at = fields.at("Choices");
        match fields.get("Choices") {
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    self.err(at.clone(), "`Choices` must contain at least one rule");
                }
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| {
                        self.choice_rule(r, &pointer_push(&at, &i.to_string()), true)
                    })
                    .collect()
            }
            Some(other) => {
                self.err(
                    at,
                    format!("`Choices` must be an array, found {}", type_name(other)),
                );
                Vec::new()
            }
            None => {
                self.err(
                    fields.pointer.clone(),
                    format!("{what} is missing the required field `Choices`"),
                );
                Vec::new()
            }
        }
    }

    fn choice_rule(&mut self, value: &Value, pointer: &str, top_level: bool) -> Option<ChoiceRule> {
        let what = if top_level {
            "a choice rule"
        } else {
            "a nested choice rule"
        };
        let mut fields = self.object(value, pointer, what)?;
        let next = if top_level {
            Some(self.required_string(&mut fields, "Next", what))
        } else {
            None
        };
        let comment = self.string(&mut fields, "Comment");
        let assign = if top_level {
            self.value(&mut fields, "Assign")
        } else {
            None
        };
        let output = if top_level {
            self.value(&mut fields, "Output")
        } else {
            None
        };

        // Exactly one of: Condition, And, Or, Not, or Variable + one operator.
        let mut conditions: Vec<(String, Condition)> = Vec::new();
        if let Some(cond) = fields.get("Condition") {
            match cond {
                Value::String(_) | Value::Bool(_) => {
                    conditions.push(("Condition".into(), Condition::Jsonata(cond.clone())))
                }
                other => self.err(
                    fields.at("Condition"),
                    format!(
                        "`Condition` must be a JSONata expression or a boolean, found {}",
                        type_name(other)
                    ),
                ),
            }
        }
        for key in ["And", "Or"] {
            let key_static: &'static str = if key == "And" { "And" } else { "Or" };
            if let Some(v) = fields.get(key_static) {
                let at = fields.at(key);
                match v {
                    Value::Array(items) => {
                        if items.is_empty() {
                            self.err(
                                at.clone(),
                                format!("`{key}` must contain at least one rule"),
                            );
                        }
                        let rules = items
                            .iter()
                            .enumerate()
                            .filter_map(|(i, r)| {
                                self.choice_rule(r, &pointer_push(&at, &i.to_string()), false)
                            })
                            .collect();
                        let cond = if key == "And" {
                            Condition::And(rules)
                        } else {
                            Condition::Or(rules)
                        };
                        conditions.push((key.into(), cond));
                    }
                    other => self.err(
                        at,
                        format!("`{key}` must be an array, found {}", type_name(other)),
                    ),
                }
            }
        }
        if let Some(v) = fields.get("Not") {
            let at = fields.at("Not");
            if let Some(rule) = self.choice_rule(v, &at, false) {
                conditions.push(("Not".into(), Condition::Not(Box::new(rule))));
            }
        }
        let variable = self.string(&mut fields, "Variable");
        let mut operators: Vec<(&String, ComparisonOp, bool)> = Vec::new();
        for key in fields.obj.keys() {
            if let Some((op, path)) = ComparisonOp::from_key(key) {
                operators.push((key, op, path));
            }
        }
        let obj = fields.obj;
        for key in obj.keys() {
            if ComparisonOp::from_key(key).is_some() {
                fields.used.push(key);
            }
        }
        match (&variable, operators.as_slice()) {
            (None, []) => {}
            (Some(variable), [(key, op, path)]) => {
                let operand_value = &fields.obj[key.as_str()];
                let operand = if *path {
                    match operand_value {
                        Value::String(s) => Some(Operand::Path(s.clone())),
                        other => {
                            self.err(
                                fields.at(key),
                                format!(
                                    "`{key}` must be a path string, found {}",
                                    type_name(other)
                                ),
                            );
                            None
                        }
                    }
                } else {
                    self.check_operand(*op, operand_value, &fields.at(key), key);
                    Some(Operand::Literal(operand_value.clone()))
                };
                if let Some(operand) = operand {
                    conditions.push((
                        (*key).clone(),
                        Condition::Compare {
                            variable: variable.clone(),
                            op: *op,
                            operand,
                        },
                    ));
                }
            }
            (Some(_), []) => self.err(
                fields.pointer.clone(),
                format!("{what} has a `Variable` but no comparison operator"),
            ),
            (None, [(key, _, _), ..]) => self.err(
                fields.at(key),
                format!("{what} has the comparison `{key}` but no `Variable`"),
            ),
            (Some(_), [_, (key, _, _), ..]) => self.err(
                fields.at(key),
                format!("{what} has more than one comparison operator; use `And` to combine them"),
            ),
        }
        self.finish(&fields, what);
        let condition = match conditions.len() {
            1 => conditions.pop().map(|(_, c)| c)?,
            0 => {
                self.err(
                    pointer.to_string(),
                    format!("{what} has no condition: expected `Condition`, `And`, `Or`, `Not`, or `Variable` with a comparison operator"),
                );
                return None;
            }
            _ => {
                let keys: Vec<_> = conditions.iter().map(|(k, _)| format!("`{k}`")).collect();
                self.err(
                    pointer.to_string(),
                    format!(
                        "{what} has several conditions ({}); use exactly one",
                        keys.join(", ")
                    ),
                );
                return None;
            }
        };
        Some(ChoiceRule {
            condition,
            next,
            comment,
            assign,
            output,
            key_order: fields.key_order(),
        })
    }

    fn check_operand(&mut self, op: ComparisonOp, value: &Value, at: &str, key: &str) {
        use ComparisonOp::*;
        let ok = match op {
            StringEquals
            | StringLessThan
            | StringGreaterThan
            | StringLessThanEquals
            | StringGreaterThanEquals
            | StringMatches
            | TimestampEquals
            | TimestampLessThan
            | TimestampGreaterThan
            | TimestampLessThanEquals
            | TimestampGreaterThanEquals => value.is_string(),
            NumericEquals
            | NumericLessThan
            | NumericGreaterThan
            | NumericLessThanEquals
            | NumericGreaterThanEquals => value.is_number(),
            BooleanEquals | IsNull | IsPresent | IsNumeric | IsString | IsBoolean | IsTimestamp => {
                value.is_boolean()
            }
        };
        if !ok {
            let expected = match op {
                NumericEquals
                | NumericLessThan
                | NumericGreaterThan
                | NumericLessThanEquals
                | NumericGreaterThanEquals => "a number",
                BooleanEquals | IsNull | IsPresent | IsNumeric | IsString | IsBoolean
                | IsTimestamp => "a boolean",
                _ => "a string",
            };
            self.err(
                at.to_string(),
                format!("`{key}` must be {expected}, found {}", type_name(value)),
            );
        }
    }
}

/// The JSON type of a value, as named in messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short rendering of a value for messages.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 40 {
        format!("{}...", &text[..text.floor_char_boundary(37)])
    } else {
        text
    }
}
