//! The rules of single states: which fields each state type allows in each query language,
//! mutually exclusive fields, numeric ranges, paths, payload templates, JSONata expressions,
//! retriers and catchers.

use serde_json::{Number, Value};

use super::Validator;
use super::syntax;
use crate::asl::diag::{Code, pointer_push};
use crate::asl::model::*;
use crate::asl::parse::type_name as json_type;
use crate::expr::jsonpath::{Path, ReferencePath};
use crate::expr::template::ValueExpr;

/// The largest `TimeoutSeconds`, `HeartbeatSeconds`, `Seconds`, `IntervalSeconds` and
/// `MaxAttempts` AWS accepts.
const MAX_SECONDS: u64 = 99_999_999;

/// The largest `MaxDelaySeconds` of a retrier AWS accepts (one year and a day, exclusive).
const MAX_RETRY_DELAY_SECONDS: u64 = 31_622_400;

/// Where a state is and how it reads its fields.
#[derive(Debug, Clone, Copy)]
struct Site<'a> {
    at: &'a str,
    lang: QueryLanguage,
    type_name: &'static str,
}

impl Site<'_> {
    fn field(&self, key: &str) -> String {
        pointer_push(self.at, key)
    }
}

/// Which of the optional input/output fields a state type allows.
#[derive(Debug, Clone, Copy)]
struct IoRules {
    parameters: bool,
    result_selector: bool,
    result_path: bool,
    arguments: bool,
    assign: bool,
}

const PASS_IO: IoRules = IoRules {
    parameters: true,
    result_selector: false,
    result_path: true,
    arguments: false,
    assign: true,
};
const TASK_IO: IoRules = IoRules {
    parameters: true,
    result_selector: true,
    result_path: true,
    arguments: true,
    assign: true,
};
const FLOW_IO: IoRules = IoRules {
    parameters: false,
    result_selector: false,
    result_path: false,
    arguments: false,
    assign: true,
};
const SUCCEED_IO: IoRules = IoRules {
    assign: false,
    ..FLOW_IO
};
const MAP_IO: IoRules = IoRules {
    arguments: false,
    ..TASK_IO
};

/// The states types that allow a field, for messages.
fn allowed_in(key: &str) -> &'static str {
    match key {
        "Parameters" => "Pass, Task, Parallel and Map states",
        "ResultSelector" => "Task, Parallel and Map states",
        "ResultPath" => "Pass, Task, Parallel and Map states",
        "Arguments" => "Task and Parallel states",
        "Assign" => "Pass, Task, Choice, Wait, Parallel and Map states",
        _ => "other state types",
    }
}

/// A numeric rule.
#[derive(Debug, Clone, Copy)]
enum Range {
    Integer { min: u64, max: Option<u64> },
    Number { min: f64, max: Option<f64> },
}

impl<'m> Validator<'m> {
    pub(super) fn state(&mut self, state: &'m State, at: &str) {
        let lang = self.language(state, at);
        let site = Site {
            at,
            lang,
            type_name: state.type_name(),
        };
        match &state.kind {
            StateKind::Pass(pass) => {
                self.io(site, &pass.io, PASS_IO);
                self.pass(site, pass);
            }
            StateKind::Task(task) => {
                self.io(site, &task.io, TASK_IO);
                self.task(site, task);
            }
            StateKind::Choice(choice) => {
                self.io(site, &choice.io, FLOW_IO);
                let at_choices = site.field("Choices");
                for (i, rule) in choice.choices.iter().enumerate() {
                    self.choice_rule(site, rule, &pointer_push(&at_choices, &i.to_string()), true);
                }
            }
            StateKind::Wait(wait) => {
                self.io(site, &wait.io, FLOW_IO);
                self.wait(site, wait);
            }
            StateKind::Succeed(succeed) => self.io(site, &succeed.io, SUCCEED_IO),
            StateKind::Fail(fail) => self.fail(site, fail),
            StateKind::Parallel(parallel) => {
                self.io(site, &parallel.io, TASK_IO);
                if parallel.branches.is_empty() {
                    self.schema(
                        site.field("Branches"),
                        "`Branches` must contain at least one branch",
                    );
                }
            }
            StateKind::Map(map) => {
                self.io(site, &map.io, MAP_IO);
                self.map(site, map);
            }
        }
        if let Some(errors) = state.errors() {
            self.retriers(site, errors);
            self.catchers(site, errors);
        }
    }

    /// The state's query language; a JSONPath state in a JSONata machine is an error.
    fn language(&mut self, state: &State, at: &str) -> QueryLanguage {
        if state.query_language == Some(QueryLanguage::JsonPath)
            && self.top_language == QueryLanguage::Jsonata
        {
            self.schema(
                pointer_push(at, "QueryLanguage"),
                "`QueryLanguage` cannot be `JSONPath` in a state machine whose `QueryLanguage` is `JSONata`; remove it, or set the state machine's to `JSONPath`",
            );
        }
        state.query_language(self.top_language)
    }

    /// Reports a field that the state's query language does not have; returns whether the
    /// field is usable.
    fn only_in(&mut self, site: Site<'_>, key: &str, wanted: QueryLanguage, hint: &str) -> bool {
        if site.lang == wanted {
            return true;
        }
        let hint = if hint.is_empty() {
            String::new()
        } else {
            format!("; {hint}")
        };
        self.schema(
            site.field(key),
            format!(
                "`{key}` is only supported in {} states, and this {} state uses {}{hint}",
                wanted.as_str(),
                site.type_name,
                site.lang.as_str()
            ),
        );
        false
    }

    fn not_supported(&mut self, site: Site<'_>, key: &str) {
        self.schema(
            site.field(key),
            format!(
                "`{key}` is not supported in a {} state; it is allowed in {}",
                site.type_name,
                allowed_in(key)
            ),
        );
    }

    fn exclusive(&mut self, site: Site<'_>, first: (&str, bool), second: (&str, bool)) {
        if first.1 && second.1 {
            self.schema(
                site.field(second.0),
                format!(
                    "`{}` and `{}` cannot both be set; use one of them",
                    first.0, second.0
                ),
            );
        }
    }

    fn io(&mut self, site: Site<'_>, io: &Io, rules: IoRules) {
        use QueryLanguage::{JsonPath, Jsonata};
        for (key, value) in [
            ("InputPath", &io.input_path),
            ("OutputPath", &io.output_path),
        ] {
            if let Some(value) = value
                && self.only_in(
                    site,
                    key,
                    JsonPath,
                    "use `$states.input` in `Arguments` or `Output`",
                )
            {
                self.path_or_null(&site.field(key), key, value, false);
            }
        }
        if let Some(parameters) = &io.parameters {
            if !rules.parameters {
                self.not_supported(site, "Parameters");
            } else if self.only_in(site, "Parameters", JsonPath, parameters_hint(site)) {
                self.template_object(&site.field("Parameters"), "Parameters", parameters);
            }
        }
        if let Some(selector) = &io.result_selector {
            if !rules.result_selector {
                self.not_supported(site, "ResultSelector");
            } else if self.only_in(
                site,
                "ResultSelector",
                JsonPath,
                "use `Output` with `$states.result`",
            ) {
                self.template_object(&site.field("ResultSelector"), "ResultSelector", selector);
            }
        }
        if let Some(result_path) = &io.result_path {
            if !rules.result_path {
                self.not_supported(site, "ResultPath");
            } else if self.only_in(site, "ResultPath", JsonPath, "use `Output` or `Assign`") {
                self.path_or_null(&site.field("ResultPath"), "ResultPath", result_path, true);
            }
        }
        if let Some(arguments) = &io.arguments {
            if !rules.arguments {
                self.not_supported(site, "Arguments");
            } else if self.only_in(
                site,
                "Arguments",
                Jsonata,
                "use `Parameters`, or set `QueryLanguage` to `JSONata`",
            ) {
                self.jsonata_object_or_expr(&site.field("Arguments"), "Arguments", arguments);
            }
        }
        if let Some(output) = &io.output
            && self.only_in(
                site,
                "Output",
                Jsonata,
                "use `OutputPath` or `ResultSelector`, or set `QueryLanguage` to `JSONata`",
            )
        {
            self.jsonata_strings(&site.field("Output"), output);
        }
        if let Some(assign) = &io.assign {
            if rules.assign {
                self.assign(site.lang, &site.field("Assign"), assign);
            } else {
                self.not_supported(site, "Assign");
            }
        }
    }

    fn pass(&mut self, site: Site<'_>, pass: &Pass) {
        let Some(result) = &pass.result else {
            return;
        };
        if !self.only_in(site, "Result", QueryLanguage::JsonPath, "use `Output`") {
            return;
        }
        let dynamic = match result {
            Value::String(text) => syntax::looks_like_path(text),
            other => has_dollar_key(other),
        };
        if dynamic {
            self.warning(
                Code::PassResultIsStatic,
                site.field("Result"),
                "`Result` is used as is, so its paths and `.$` keys are not evaluated; use `Parameters` to build a value from the input",
            );
        }
    }

    fn task(&mut self, site: Site<'_>, task: &Task) {
        if let Some(message) = syntax::arn_error(&task.resource) {
            self.error(Code::InvalidResource, site.field("Resource"), message);
        }
        let seconds = Range::Integer {
            min: 1,
            max: Some(MAX_SECONDS),
        };
        self.number_pair(
            site,
            ("TimeoutSeconds", &task.timeout_seconds),
            ("TimeoutSecondsPath", &task.timeout_seconds_path),
            seconds,
        );
        self.number_pair(
            site,
            ("HeartbeatSeconds", &task.heartbeat_seconds),
            ("HeartbeatSecondsPath", &task.heartbeat_seconds_path),
            seconds,
        );
        if let (Some(NumberOrExpr::Number(heartbeat)), Some(NumberOrExpr::Number(timeout))) =
            (&task.heartbeat_seconds, &task.timeout_seconds)
            && let (Some(heartbeat), Some(timeout)) = (heartbeat.as_f64(), timeout.as_f64())
            && heartbeat >= timeout
            && (1.0..=MAX_SECONDS as f64).contains(&heartbeat)
            && (1.0..=MAX_SECONDS as f64).contains(&timeout)
        {
            self.schema(
                site.field("HeartbeatSeconds"),
                format!(
                    "`HeartbeatSeconds` ({heartbeat}) must be smaller than `TimeoutSeconds` ({timeout})"
                ),
            );
        }
        if let Some(credentials) = &task.credentials {
            let at = site.field("Credentials");
            match site.lang {
                QueryLanguage::JsonPath => self.template_object(&at, "Credentials", credentials),
                QueryLanguage::Jsonata => {
                    self.jsonata_object_or_expr(&at, "Credentials", credentials)
                }
            }
        }
    }

    fn wait(&mut self, site: Site<'_>, wait: &Wait) {
        const KEYS: &str = "`Seconds`, `SecondsPath`, `Timestamp` or `TimestampPath`";
        let present: Vec<&str> = [
            ("Seconds", wait.seconds.is_some()),
            ("SecondsPath", wait.seconds_path.is_some()),
            ("Timestamp", wait.timestamp.is_some()),
            ("TimestampPath", wait.timestamp_path.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, set)| set.then_some(key))
        .collect();
        match present.as_slice() {
            [] => self.schema(site.at, format!("a Wait state needs exactly one of {KEYS}")),
            [first, rest @ ..] => {
                for extra in rest {
                    self.schema(
                        site.field(extra),
                        format!(
                            "`{extra}` cannot be used together with `{first}`; a Wait state takes exactly one of {KEYS}"
                        ),
                    );
                }
            }
        }
        if let Some(seconds) = &wait.seconds {
            let range = Range::Integer {
                min: 0,
                max: Some(MAX_SECONDS),
            };
            self.number_or_expr(site, "Seconds", seconds, range);
        }
        if let Some(path) = &wait.seconds_path {
            self.path_field(
                site,
                "SecondsPath",
                path,
                "use `Seconds` with a JSONata expression",
            );
        }
        if let Some(timestamp) = &wait.timestamp {
            let at = site.field("Timestamp");
            if site.lang == QueryLanguage::Jsonata && syntax::looks_like_jsonata(timestamp) {
                self.jsonata_expr(&at, "Timestamp", timestamp);
            } else if let Some(message) = syntax::timestamp_error(timestamp) {
                self.schema(at, format!("`Timestamp`: {message}"));
            }
        }
        if let Some(path) = &wait.timestamp_path {
            self.path_field(
                site,
                "TimestampPath",
                path,
                "use `Timestamp` with a JSONata expression",
            );
        }
    }

    fn fail(&mut self, site: Site<'_>, fail: &Fail) {
        self.exclusive(
            site,
            ("Error", fail.error.is_some()),
            ("ErrorPath", fail.error_path.is_some()),
        );
        self.exclusive(
            site,
            ("Cause", fail.cause.is_some()),
            ("CausePath", fail.cause_path.is_some()),
        );
        for (key, path_key, value) in [
            ("Error", "ErrorPath", &fail.error),
            ("Cause", "CausePath", &fail.cause),
        ] {
            let Some(text) = value else {
                continue;
            };
            match site.lang {
                QueryLanguage::Jsonata if syntax::looks_like_jsonata(text) => {
                    self.jsonata_expr(&site.field(key), key, text);
                }
                QueryLanguage::JsonPath if syntax::looks_like_path(text) => self.warning(
                    Code::NoPath,
                    site.field(key),
                    format!(
                        "`{key}` holds `{text}`, which looks like a path but is used as a literal; use `{path_key}` to evaluate it"
                    ),
                ),
                _ => {}
            }
        }
        for (key, value) in [
            ("ErrorPath", &fail.error_path),
            ("CausePath", &fail.cause_path),
        ] {
            if let Some(source) = value
                && self.only_in(
                    site,
                    key,
                    QueryLanguage::JsonPath,
                    "use a JSONata expression in `Error` or `Cause`",
                )
                && let Err(err) = ValueExpr::parse(source)
            {
                self.schema(
                    site.field(key),
                    format!("`{key}` must be a valid JSONPath or intrinsic function call: {err}"),
                );
            }
        }
    }

    fn choice_rule(&mut self, site: Site<'_>, rule: &ChoiceRule, at: &str, top_level: bool) {
        use QueryLanguage::{JsonPath, Jsonata};
        match (&rule.condition, site.lang) {
            (Condition::Jsonata(condition), Jsonata) => {
                if let Value::String(text) = condition {
                    self.jsonata_expr(&pointer_push(at, "Condition"), "Condition", text);
                }
            }
            (Condition::Jsonata(_), JsonPath) => self.schema(
                pointer_push(at, "Condition"),
                "`Condition` is only supported in JSONata states, and this Choice state uses JSONPath; use `Variable` with a comparison operator, or set `QueryLanguage` to `JSONata`",
            ),
            (Condition::And(rules) | Condition::Or(rules), _) => {
                let key = if matches!(rule.condition, Condition::And(_)) {
                    "And"
                } else {
                    "Or"
                };
                let at_key = pointer_push(at, key);
                if site.lang == Jsonata {
                    self.schema(
                        at_key,
                        format!("`{key}` is only supported in JSONPath states, and this Choice state uses JSONata; write the whole test in `Condition`"),
                    );
                } else {
                    for (i, nested) in rules.iter().enumerate() {
                        self.choice_rule(site, nested, &pointer_push(&at_key, &i.to_string()), false);
                    }
                }
            }
            (Condition::Not(nested), _) => {
                let at_not = pointer_push(at, "Not");
                if site.lang == Jsonata {
                    self.schema(
                        at_not,
                        "`Not` is only supported in JSONPath states, and this Choice state uses JSONata; write the whole test in `Condition`",
                    );
                } else {
                    self.choice_rule(site, nested, &at_not, false);
                }
            }
            (Condition::Compare { .. }, Jsonata) => self.schema(
                pointer_push(at, "Variable"),
                "`Variable` is only supported in JSONPath states, and this Choice state uses JSONata; use `Condition` with a JSONata expression",
            ),
            (
                Condition::Compare {
                    variable,
                    op,
                    operand,
                },
                JsonPath,
            ) => {
                if let Err(err) = Path::parse(variable) {
                    self.schema(
                        pointer_push(at, "Variable"),
                        format!("`Variable` must be a valid JSONPath: {err}"),
                    );
                }
                match operand {
                    Operand::Path(path) => {
                        let key = op.key_str(true);
                        if let Err(err) = Path::parse(path) {
                            self.schema(
                                pointer_push(at, key),
                                format!("`{key}` must be a valid JSONPath: {err}"),
                            );
                        }
                    }
                    Operand::Literal(Value::String(text)) if op.name().starts_with("Timestamp") => {
                        if let Some(message) = syntax::timestamp_error(text) {
                            let key = op.key_str(false);
                            self.schema(pointer_push(at, key), format!("`{key}`: {message}"));
                        }
                    }
                    Operand::Literal(_) => {}
                }
            }
        }
        if top_level {
            if let Some(output) = &rule.output {
                let rule_site = Site { at, ..site };
                if self.only_in(
                    rule_site,
                    "Output",
                    Jsonata,
                    "set `QueryLanguage` to `JSONata` to use it",
                ) {
                    self.jsonata_strings(&pointer_push(at, "Output"), output);
                }
            }
            if let Some(assign) = &rule.assign {
                self.assign(site.lang, &pointer_push(at, "Assign"), assign);
            }
        }
    }

    fn map(&mut self, site: Site<'_>, map: &'m Map) {
        use QueryLanguage::{JsonPath, Jsonata};
        let processor_key = if map.processor_is_iterator {
            "Iterator"
        } else {
            "ItemProcessor"
        };
        let at_processor = site.field(processor_key);
        if map.item_processor.query_language.is_some() {
            self.schema(
                pointer_push(&at_processor, "QueryLanguage"),
                format!("`QueryLanguage` is not supported in `{processor_key}`; set it on the states inside, or on the state machine"),
            );
        }
        if let Some(config) = &map.item_processor.processor_config
            && config.mode == Some(ProcessorMode::Distributed)
            && config.execution_type.is_none()
        {
            self.schema(
                pointer_push(&at_processor, "ProcessorConfig"),
                "a `DISTRIBUTED` processor needs an `ExecutionType`: `STANDARD` or `EXPRESS`",
            );
        }

        self.exclusive(
            site,
            ("ItemsPath", map.items_path.is_some()),
            ("Items", map.items.is_some()),
        );
        if let Some(path) = &map.items_path {
            self.path_field(site, "ItemsPath", path, "use `Items`");
        }
        if let Some(items) = &map.items
            && self.only_in(
                site,
                "Items",
                Jsonata,
                "use `ItemsPath`, or set `QueryLanguage` to `JSONata`",
            )
        {
            let at = site.field("Items");
            match items {
                Value::String(text) => self.jsonata_expr(&at, "Items", text),
                Value::Array(_) | Value::Object(_) => self.jsonata_strings(&at, items),
                other => self.schema(
                    at,
                    format!(
                        "`Items` must be an array or a JSONata expression, found {}",
                        json_type(other)
                    ),
                ),
            }
        }

        self.exclusive(
            site,
            ("Parameters", map.io.parameters.is_some()),
            ("ItemSelector", map.item_selector.is_some()),
        );
        if let Some(selector) = &map.item_selector {
            let at = site.field("ItemSelector");
            match site.lang {
                JsonPath => self.template_object(&at, "ItemSelector", selector),
                Jsonata => self.jsonata_object_or_expr(&at, "ItemSelector", selector),
            }
        }

        let count = Range::Integer { min: 0, max: None };
        self.number_pair(
            site,
            ("MaxConcurrency", &map.max_concurrency),
            ("MaxConcurrencyPath", &map.max_concurrency_path),
            count,
        );
        self.number_pair(
            site,
            (
                "ToleratedFailurePercentage",
                &map.tolerated_failure_percentage,
            ),
            (
                "ToleratedFailurePercentagePath",
                &map.tolerated_failure_percentage_path,
            ),
            Range::Number {
                min: 0.0,
                max: Some(100.0),
            },
        );
        self.number_pair(
            site,
            ("ToleratedFailureCount", &map.tolerated_failure_count),
            (
                "ToleratedFailureCountPath",
                &map.tolerated_failure_count_path,
            ),
            count,
        );

        if let Some(reader) = &map.item_reader {
            let at = site.field("ItemReader");
            if let Some(message) = syntax::arn_error(&reader.resource) {
                self.error(
                    Code::InvalidResource,
                    pointer_push(&at, "Resource"),
                    message,
                );
            }
            self.nested_payloads(site, &at, &reader.parameters, &reader.arguments);
            if let (Some(config), Jsonata) = (&reader.reader_config, site.lang) {
                self.jsonata_strings(&pointer_push(&at, "ReaderConfig"), config);
            }
        }
        if let Some(writer) = &map.result_writer {
            let at = site.field("ResultWriter");
            if let Some(resource) = &writer.resource
                && let Some(message) = syntax::arn_error(resource)
            {
                self.error(
                    Code::InvalidResource,
                    pointer_push(&at, "Resource"),
                    message,
                );
            }
            self.nested_payloads(site, &at, &writer.parameters, &writer.arguments);
        }
        if let Some(batcher) = &map.item_batcher {
            let at = site.field("ItemBatcher");
            let batcher_site = Site { at: &at, ..site };
            self.number_pair(
                batcher_site,
                ("MaxItemsPerBatch", &batcher.max_items_per_batch),
                ("MaxItemsPerBatchPath", &batcher.max_items_per_batch_path),
                count,
            );
            self.number_pair(
                batcher_site,
                ("MaxInputBytesPerBatch", &batcher.max_input_bytes_per_batch),
                (
                    "MaxInputBytesPerBatchPath",
                    &batcher.max_input_bytes_per_batch_path,
                ),
                count,
            );
            if let Some(input) = &batcher.batch_input {
                let at_input = pointer_push(&at, "BatchInput");
                match site.lang {
                    JsonPath => self.template_object(&at_input, "BatchInput", input),
                    Jsonata => self.jsonata_object_or_expr(&at_input, "BatchInput", input),
                }
            }
        }

        if let Some(label) = &map.label {
            let at = site.field("Label");
            if let Some(message) = syntax::label_error(label) {
                self.error(Code::InvalidLabelName, at.clone(), message);
            }
            match self.first_label.get(label.as_str()) {
                Some(first) => {
                    let message = format!(
                        "the label `{label}` is already used at `{first}`; Map labels must be unique in the state machine"
                    );
                    self.error(Code::DuplicateLabelName, at, message);
                }
                None => {
                    self.first_label.insert(label, at);
                }
            }
        }
    }

    /// `Parameters` (JSONPath) and `Arguments` (JSONata) of an `ItemReader` or `ResultWriter`.
    fn nested_payloads(
        &mut self,
        site: Site<'_>,
        at: &str,
        parameters: &Option<Value>,
        arguments: &Option<Value>,
    ) {
        let nested = Site { at, ..site };
        if let Some(parameters) = parameters
            && self.only_in(
                nested,
                "Parameters",
                QueryLanguage::JsonPath,
                "use `Arguments`",
            )
        {
            self.template_object(&pointer_push(at, "Parameters"), "Parameters", parameters);
        }
        if let Some(arguments) = arguments
            && self.only_in(
                nested,
                "Arguments",
                QueryLanguage::Jsonata,
                "use `Parameters`",
            )
        {
            self.jsonata_object_or_expr(&pointer_push(at, "Arguments"), "Arguments", arguments);
        }
    }

    fn retriers(&mut self, site: Site<'_>, errors: &ErrorHandling) {
        let Some(retriers) = &errors.retry else {
            return;
        };
        let at_retry = site.field("Retry");
        for (i, retrier) in retriers.iter().enumerate() {
            let at = pointer_push(&at_retry, &i.to_string());
            self.error_equals(&at, &retrier.error_equals, i + 1 == retriers.len(), "Retry");
            let checks = [
                (
                    "IntervalSeconds",
                    &retrier.interval_seconds,
                    Range::Integer {
                        min: 1,
                        max: Some(MAX_SECONDS),
                    },
                ),
                (
                    "MaxAttempts",
                    &retrier.max_attempts,
                    Range::Integer {
                        min: 0,
                        max: Some(MAX_SECONDS),
                    },
                ),
                (
                    "BackoffRate",
                    &retrier.backoff_rate,
                    Range::Number {
                        min: 1.0,
                        max: None,
                    },
                ),
                (
                    "MaxDelaySeconds",
                    &retrier.max_delay_seconds,
                    Range::Integer {
                        min: 1,
                        max: Some(MAX_RETRY_DELAY_SECONDS),
                    },
                ),
            ];
            for (key, value, range) in checks {
                if let Some(number) = value {
                    self.number(&pointer_push(&at, key), key, number, range);
                }
            }
        }
    }

    fn catchers(&mut self, site: Site<'_>, errors: &ErrorHandling) {
        let Some(catchers) = &errors.catch else {
            return;
        };
        let at_catch = site.field("Catch");
        for (i, catcher) in catchers.iter().enumerate() {
            let at = pointer_push(&at_catch, &i.to_string());
            let catcher_site = Site { at: &at, ..site };
            self.error_equals(&at, &catcher.error_equals, i + 1 == catchers.len(), "Catch");
            if let Some(result_path) = &catcher.result_path
                && self.only_in(
                    catcher_site,
                    "ResultPath",
                    QueryLanguage::JsonPath,
                    "use `Output` or `Assign` with `$states.errorOutput`",
                )
            {
                self.path_or_null(
                    &pointer_push(&at, "ResultPath"),
                    "ResultPath",
                    result_path,
                    true,
                );
            }
            if let Some(output) = &catcher.output
                && self.only_in(
                    catcher_site,
                    "Output",
                    QueryLanguage::Jsonata,
                    "use `ResultPath`, or set `QueryLanguage` to `JSONata`",
                )
            {
                self.jsonata_strings(&pointer_push(&at, "Output"), output);
            }
            if let Some(assign) = &catcher.assign {
                self.assign(site.lang, &pointer_push(&at, "Assign"), assign);
            }
        }
    }

    /// `States.ALL` stands alone, in the last retrier or catcher.
    fn error_equals(&mut self, at: &str, names: &[String], last: bool, field: &str) {
        if !names.iter().any(|n| n == "States.ALL") {
            return;
        }
        let at = pointer_push(at, "ErrorEquals");
        if names.len() > 1 {
            self.schema(
                at.clone(),
                "`States.ALL` must be the only error name in its `ErrorEquals`",
            );
        }
        if !last {
            let element = if field == "Retry" {
                "retrier"
            } else {
                "catcher"
            };
            self.schema(
                at,
                format!("the {element} matching `States.ALL` must be the last one in `{field}`"),
            );
        }
    }

    /// A number field with its `...Path` twin: not both; the number in range (or a JSONata
    /// expression in a JSONata state); the path valid, in a JSONPath state.
    fn number_pair(
        &mut self,
        site: Site<'_>,
        (key, value): (&str, &Option<NumberOrExpr>),
        (path_key, path): (&str, &Option<String>),
        range: Range,
    ) {
        self.exclusive(site, (key, value.is_some()), (path_key, path.is_some()));
        if let Some(value) = value {
            self.number_or_expr(site, key, value, range);
        }
        if let Some(path) = path {
            let hint = format!("use `{key}` with a JSONata expression");
            self.path_field(site, path_key, path, &hint);
        }
    }

    fn number_or_expr(&mut self, site: Site<'_>, key: &str, value: &NumberOrExpr, range: Range) {
        let at = site.field(key);
        match (value, site.lang) {
            (NumberOrExpr::Number(number), _) => self.number(&at, key, number, range),
            (NumberOrExpr::Expr(_), QueryLanguage::JsonPath) => self.schema(
                at,
                format!("`{key}` must be a number in a JSONPath state, found a string; JSONata expressions need `QueryLanguage` `JSONata`"),
            ),
            (NumberOrExpr::Expr(text), QueryLanguage::Jsonata) => self.jsonata_expr(&at, key, text),
        }
    }

    fn number(&mut self, at: &str, key: &str, number: &Number, range: Range) {
        let Some(value) = number.as_f64() else {
            return;
        };
        let (min, max, integer) = match range {
            Range::Integer { min, max } => (min as f64, max.map(|m| m as f64), true),
            Range::Number { min, max } => (min, max, false),
        };
        if integer && value.fract() != 0.0 {
            self.schema(at, format!("`{key}` must be an integer, found {number}"));
            return;
        }
        let fmt = |v: f64| {
            if integer {
                format!("{v:.0}")
            } else {
                format!("{v:?}")
            }
        };
        if value < min || max.is_some_and(|max| value > max) {
            let allowed = match max {
                Some(max) => format!("between {} and {}", fmt(min), fmt(max)),
                None => format!("at least {}", fmt(min)),
            };
            self.schema(at, format!("`{key}` must be {allowed}, found {number}"));
        }
    }

    /// A `...Path` field: only in JSONPath states, and a valid path.
    fn path_field(&mut self, site: Site<'_>, key: &str, path: &str, hint: &str) {
        if self.only_in(site, key, QueryLanguage::JsonPath, hint)
            && let Err(err) = Path::parse(path)
        {
            self.schema(
                site.field(key),
                format!("`{key}` must be a valid JSONPath: {err}"),
            );
        }
    }

    fn path_or_null(&mut self, at: &str, key: &str, value: &PathOrNull, reference: bool) {
        let PathOrNull::Path(path) = value else {
            return;
        };
        let result = if reference {
            ReferencePath::parse(path).map(|_| ())
        } else {
            Path::parse(path).map(|_| ())
        };
        if let Err(err) = result {
            let what = if reference {
                "a valid reference path (`$` or `$.field...`)"
            } else {
                "a valid JSONPath"
            };
            self.schema(at, format!("`{key}` must be {what}: {err}"));
        }
    }

    /// A payload template: an object whose `.$` keys hold paths or intrinsic function calls.
    fn template_object(&mut self, at: &str, key: &str, value: &Value) {
        if value.is_object() {
            self.template_node(at, value);
        } else {
            self.schema(
                at,
                format!(
                    "`{key}` must be an object (a payload template), found {}",
                    json_type(value)
                ),
            );
        }
    }

    fn template_node(&mut self, at: &str, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let at_key = pointer_push(at, key);
                    if key.ends_with(".$") {
                        self.dollar_value(&at_key, key, value);
                    } else if let Value::String(text) = value {
                        if syntax::looks_like_path(text) {
                            self.warning(
                                Code::NoDollar,
                                at_key,
                                format!(
                                    "`{key}` holds `{text}`, which looks like a path or an intrinsic function but is used as a literal; name the field `{key}.$` to evaluate it"
                                ),
                            );
                        }
                    } else {
                        self.template_node(&at_key, value);
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.template_node(&pointer_push(at, &i.to_string()), item);
                }
            }
            _ => {}
        }
    }

    /// The value of a `.$` key.
    fn dollar_value(&mut self, at: &str, key: &str, value: &Value) {
        match value {
            Value::String(source) => {
                if let Err(err) = ValueExpr::parse(source) {
                    self.schema(
                        at,
                        format!(
                            "the value of `{key}` must be a valid JSONPath or intrinsic function call: {err}"
                        ),
                    );
                }
            }
            other => self.schema(
                at,
                format!(
                    "the value of `{key}` must be a string holding a JSONPath or an intrinsic function call, found {}",
                    json_type(other)
                ),
            ),
        }
    }

    /// `Assign`: an object of variable names; in JSONPath `.$` keys hold paths, in JSONata
    /// strings may be expressions.
    fn assign(&mut self, lang: QueryLanguage, at: &str, value: &Value) {
        let Value::Object(map) = value else {
            self.schema(
                at,
                format!(
                    "`Assign` must be an object mapping variable names to values, found {}",
                    json_type(value)
                ),
            );
            return;
        };
        for (key, value) in map {
            let at_key = pointer_push(at, key);
            let name = match lang {
                QueryLanguage::JsonPath => key.strip_suffix(".$").unwrap_or(key),
                QueryLanguage::Jsonata => key,
            };
            if let Some(message) = syntax::variable_name_error(name) {
                self.schema(at_key.clone(), message);
            }
            match lang {
                QueryLanguage::JsonPath if key.ends_with(".$") => {
                    self.dollar_value(&at_key, key, value)
                }
                QueryLanguage::JsonPath => self.template_node(&at_key, value),
                QueryLanguage::Jsonata => self.jsonata_strings(&at_key, value),
            }
        }
    }

    /// Every string in a JSONata-mode value that is meant as an expression must be one.
    fn jsonata_strings(&mut self, at: &str, value: &Value) {
        match value {
            Value::String(text) if syntax::looks_like_jsonata(text) => {
                if let Some(message) = syntax::jsonata_syntax_error(text) {
                    self.schema(at, message);
                }
            }
            Value::Object(map) => {
                for (key, value) in map {
                    self.jsonata_strings(&pointer_push(at, key), value);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.jsonata_strings(&pointer_push(at, &i.to_string()), item);
                }
            }
            _ => {}
        }
    }

    /// A field that must be one JSONata expression.
    fn jsonata_expr(&mut self, at: &str, key: &str, text: &str) {
        if let Some(message) = syntax::jsonata_syntax_error(text) {
            self.schema(
                at,
                format!("`{key}` is not a valid JSONata expression: {message}"),
            );
        }
    }

    /// An object whose strings may be expressions, or one expression.
    fn jsonata_object_or_expr(&mut self, at: &str, key: &str, value: &Value) {
        match value {
            Value::Object(_) => self.jsonata_strings(at, value),
            Value::String(text) => self.jsonata_expr(at, key, text),
            other => self.schema(
                at,
                format!(
                    "`{key}` must be an object or a JSONata expression, found {}",
                    json_type(other)
                ),
            ),
        }
    }
}

fn parameters_hint(site: Site<'_>) -> &'static str {
    if site.type_name == "Map" {
        "use `ItemSelector`"
    } else {
        "use `Arguments`"
    }
}

/// Whether a value holds an object key ending in `.$`, at any depth.
fn has_dollar_key(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.ends_with(".$") || has_dollar_key(value)),
        Value::Array(items) => items.iter().any(has_dollar_key),
        _ => false,
    }
}
