//! Loading a definition: the model is compiled once into a flat, index-based program with every
//! path, template and expression parsed, so that running a state does no parsing.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::history::{EventType, Payload};
use crate::asl::{self, Code, Diagnostic, QueryLanguage, StateKind, pointer_push};
use crate::expr::choice::Rule;
use crate::expr::jsonata;
use crate::expr::jsonpath::{Path, ReferencePath};
use crate::expr::template::{Template, ValueExpr};

pub(crate) type StateIdx = usize;
pub(crate) type ProgramId = usize;

/// A state graph: the top level, a Parallel branch or a Map item processor.
#[derive(Debug)]
pub(crate) struct Program {
    pub states: Vec<CState>,
    pub start: StateIdx,
    /// A distributed Map's processor: runs as a child workflow that cannot see the variables of
    /// the enclosing scopes.
    pub isolated: bool,
}

#[derive(Debug)]
pub(crate) struct CState {
    pub name: Arc<str>,
    pub entered: EventType,
    pub exited: EventType,
    pub lang: QueryLanguage,
    /// `None` for `End: true` and for states without a transition.
    pub next: Option<StateIdx>,
    pub io: Io,
    pub retriers: Vec<Retrier>,
    pub catchers: Vec<Catcher>,
    pub kind: Kind,
}

/// `InputPath`/`OutputPath`: a path, or `null` (which gives `{}`).
#[derive(Debug)]
pub(crate) enum PathSel {
    Null,
    Path(Path),
}

/// `ResultPath`.
#[derive(Debug)]
pub(crate) enum ResultPath {
    /// Absent or `$`: the result replaces the input.
    Replace,
    /// `null`: the result is discarded and the input passes through.
    Discard,
    Path(ReferencePath),
}

/// A JSON value in JSONata mode whose strings may be `{% %}` expressions.
#[derive(Debug)]
pub(crate) enum JValue {
    Literal(Payload),
    Expr {
        expr: jsonata::Expr,
        /// Where the expression sits, for error messages (`Output/result`).
        field: String,
    },
    Object(Vec<(String, JValue)>),
    Array(Vec<JValue>),
}

/// `Assign` in either query language.
#[derive(Debug)]
pub(crate) enum Assign {
    JsonPath(Template),
    Jsonata(Vec<(String, JValue)>),
}

#[derive(Debug, Default)]
pub(crate) struct Io {
    pub input_path: Option<PathSel>,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: Option<ResultPath>,
    pub output_path: Option<PathSel>,
    pub arguments: Option<JValue>,
    pub output: Option<JValue>,
    pub assign: Option<Assign>,
}

/// Error names a retrier or catcher matches.
#[derive(Debug)]
pub(crate) struct ErrorMatcher {
    names: Vec<String>,
}

impl ErrorMatcher {
    /// AWS's matching rules: `States.ALL` matches everything but the terminal errors
    /// (`States.Runtime`, `States.DataLimitExceeded`); `States.TaskFailed` matches everything
    /// but those and `States.Timeout`.
    pub fn matches(&self, error: &str) -> bool {
        let terminal = matches!(error, "States.Runtime" | "States.DataLimitExceeded");
        self.names.iter().any(|name| match name.as_str() {
            "States.ALL" => !terminal,
            "States.TaskFailed" => !terminal && error != "States.Timeout",
            other => other == error && !terminal,
        })
    }
}

#[derive(Debug)]
pub(crate) struct Retrier {
    pub errors: ErrorMatcher,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter: bool,
}

#[derive(Debug)]
pub(crate) struct Catcher {
    pub errors: ErrorMatcher,
    pub next: StateIdx,
    pub result_path: ResultPath,
    pub output: Option<JValue>,
    pub assign: Option<Assign>,
}

// One per state, built once per definition: the Map variant's size costs nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Kind {
    Pass {
        result: Option<Payload>,
    },
    Task(Box<TaskSpec>),
    Choice {
        rules: Vec<ChoiceRule>,
        default: Option<StateIdx>,
    },
    Wait(WaitSpec),
    Succeed,
    Fail(FailSpec),
    Parallel {
        branches: Vec<ProgramId>,
    },
    Map(Box<MapSpec>),
}

#[derive(Debug)]
pub(crate) struct TaskSpec {
    pub resource: String,
    /// For `lambda:invoke`: the `FunctionName` argument.
    pub function_name: FunctionName,
    pub timeout: Option<Seconds>,
    pub heartbeat: Option<Seconds>,
}

/// A `lambda:invoke` task's `FunctionName`, as far as it is known when loading.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FunctionName {
    /// Not a `lambda:invoke` task, or no `FunctionName` given.
    None,
    Literal(String),
    /// Computed at run time (a path or an expression).
    Dynamic,
}

/// A duration or count given literally, by path, or by JSONata expression.
#[derive(Debug)]
pub(crate) enum Seconds {
    Literal(Value),
    Path(Path),
    Jsonata(JValue),
}

#[derive(Debug)]
pub(crate) struct ChoiceRule {
    pub test: ChoiceTest,
    pub next: StateIdx,
    pub assign: Option<Assign>,
    pub output: Option<JValue>,
}

#[derive(Debug)]
pub(crate) enum ChoiceTest {
    JsonPath(Rule),
    Jsonata(JValue),
}

#[derive(Debug)]
pub(crate) enum WaitSpec {
    Seconds(Seconds),
    Timestamp(Seconds),
}

#[derive(Debug)]
pub(crate) struct FailSpec {
    pub error: Option<FailField>,
    pub cause: Option<FailField>,
}

#[derive(Debug)]
pub(crate) enum FailField {
    Literal(String),
    Path(ValueExpr),
    Jsonata(JValue),
}

#[derive(Debug)]
pub(crate) struct MapSpec {
    pub processor: ProgramId,
    pub distributed: bool,
    pub items_path: Option<Path>,
    pub items: Option<JValue>,
    pub item_selector: Option<Template>,
    pub item_selector_jsonata: Option<JValue>,
    pub max_concurrency: Option<Seconds>,
    pub tolerated_percentage: Option<Seconds>,
    pub tolerated_count: Option<Seconds>,
    pub batcher: Option<BatcherSpec>,
    /// `ItemReader` and `ResultWriter` resources, which the engine cannot serve yet.
    pub external_resources: Vec<(String, &'static str)>,
    pub label: Option<String>,
}

#[derive(Debug)]
pub(crate) struct BatcherSpec {
    pub max_items: Option<Seconds>,
    pub max_bytes: Option<Seconds>,
    pub batch_input: Option<Value>,
}

/// A definition loaded for execution: validated, compiled, immutable and shared.
#[derive(Debug)]
pub struct Machine {
    pub(crate) definition: asl::StateMachine,
    pub(crate) programs: Vec<Program>,
    pub(crate) timeout_seconds: Option<u64>,
}

impl Machine {
    /// The model the machine was compiled from.
    pub fn definition(&self) -> &asl::StateMachine {
        &self.definition
    }

    pub(crate) fn state(&self, program: ProgramId, state: StateIdx) -> &CState {
        &self.programs[program].states[state]
    }
}

/// Compiles a parsed state machine; every problem is reported.
pub(crate) fn compile(definition: asl::StateMachine) -> Result<Machine, Vec<Diagnostic>> {
    let mut cx = Compiler {
        programs: Vec::new(),
        diags: Vec::new(),
    };
    let lang = definition.query_language();
    cx.program(&definition.start_at, &definition.states, lang, false, "");
    if cx.diags.is_empty() {
        Ok(Machine {
            timeout_seconds: definition.timeout_seconds,
            definition,
            programs: cx.programs,
        })
    } else {
        Err(cx.diags)
    }
}

struct Compiler {
    programs: Vec<Program>,
    diags: Vec<Diagnostic>,
}

impl Compiler {
    fn err(&mut self, code: Code, location: String, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, location, message));
    }

    fn program(
        &mut self,
        start_at: &str,
        states: &indexmap::IndexMap<String, asl::State>,
        lang: QueryLanguage,
        isolated: bool,
        pointer: &str,
    ) -> ProgramId {
        let id = self.programs.len();
        self.programs.push(Program {
            states: Vec::new(),
            start: 0,
            isolated,
        });
        let index: HashMap<&str, StateIdx> = states
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i))
            .collect();
        let states_pointer = pointer_push(pointer, "States");
        let start = match index.get(start_at) {
            Some(i) => *i,
            None => {
                self.err(
                    Code::MissingTransitionTarget,
                    pointer_push(pointer, "StartAt"),
                    format!("`StartAt` names the state '{start_at}', which does not exist"),
                );
                0
            }
        };
        let mut compiled = Vec::with_capacity(states.len());
        for (name, state) in states {
            let at = pointer_push(&states_pointer, name);
            compiled.push(self.state(name, state, lang, &index, &at));
        }
        let program = &mut self.programs[id];
        program.states = compiled;
        program.start = start;
        id
    }

    fn target(&mut self, index: &HashMap<&str, StateIdx>, name: &str, at: String) -> StateIdx {
        match index.get(name) {
            Some(i) => *i,
            None => {
                self.err(
                    Code::MissingTransitionTarget,
                    at,
                    format!("the transition target '{name}' does not exist"),
                );
                0
            }
        }
    }

    fn state(
        &mut self,
        name: &str,
        state: &asl::State,
        inherited: QueryLanguage,
        index: &HashMap<&str, StateIdx>,
        at: &str,
    ) -> CState {
        let lang = state.query_language(inherited);
        let type_name = state.type_name();
        let next = match state.transition() {
            Some(asl::Transition::Next(n)) => Some(self.target(index, n, pointer_push(at, "Next"))),
            _ => None,
        };
        let io = match state.io() {
            Some(io) => self.io(io, lang, at),
            None => Io::default(),
        };
        let (retriers, catchers) = match state.errors() {
            Some(errors) => (
                errors.retry.iter().flatten().map(retrier).collect(),
                errors
                    .catch
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, c)| {
                        self.catcher(
                            c,
                            lang,
                            index,
                            &pointer_push(&pointer_push(at, "Catch"), &i.to_string()),
                        )
                    })
                    .collect(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let kind = match &state.kind {
            StateKind::Pass(p) => Kind::Pass {
                result: p.result.clone().map(Arc::new),
            },
            StateKind::Task(t) => Kind::Task(Box::new(TaskSpec {
                resource: t.resource.clone(),
                function_name: function_name(t, lang),
                timeout: self.seconds(
                    t.timeout_seconds.as_ref(),
                    t.timeout_seconds_path.as_deref(),
                    lang,
                    at,
                    "TimeoutSeconds",
                ),
                heartbeat: self.seconds(
                    t.heartbeat_seconds.as_ref(),
                    t.heartbeat_seconds_path.as_deref(),
                    lang,
                    at,
                    "HeartbeatSeconds",
                ),
            })),
            StateKind::Choice(c) => {
                let choices_at = pointer_push(at, "Choices");
                let rules = c
                    .choices
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| {
                        let rule_at = pointer_push(&choices_at, &i.to_string());
                        self.choice_rule(rule, lang, index, &rule_at)
                    })
                    .collect();
                let default = c
                    .default
                    .as_ref()
                    .map(|d| self.target(index, d, pointer_push(at, "Default")));
                Kind::Choice { rules, default }
            }
            StateKind::Wait(w) => {
                let spec = if w.timestamp.is_some() || w.timestamp_path.is_some() {
                    let literal = w
                        .timestamp
                        .as_ref()
                        .map(|t| asl::NumberOrExpr::Expr(t.clone()));
                    self.seconds(
                        literal.as_ref(),
                        w.timestamp_path.as_deref(),
                        lang,
                        at,
                        "Timestamp",
                    )
                    .map(WaitSpec::Timestamp)
                } else {
                    self.seconds(
                        w.seconds.as_ref(),
                        w.seconds_path.as_deref(),
                        lang,
                        at,
                        "Seconds",
                    )
                    .map(WaitSpec::Seconds)
                };
                match spec {
                    Some(spec) => Kind::Wait(spec),
                    None => {
                        self.err(
                            Code::SchemaValidationFailed,
                            at.to_string(),
                            "a Wait state needs one of `Seconds`, `SecondsPath`, `Timestamp` or `TimestampPath`",
                        );
                        Kind::Succeed
                    }
                }
            }
            StateKind::Succeed(_) => Kind::Succeed,
            StateKind::Fail(f) => Kind::Fail(FailSpec {
                error: self.fail_field(
                    f.error.as_deref(),
                    f.error_path.as_deref(),
                    lang,
                    at,
                    "Error",
                ),
                cause: self.fail_field(
                    f.cause.as_deref(),
                    f.cause_path.as_deref(),
                    lang,
                    at,
                    "Cause",
                ),
            }),
            StateKind::Parallel(p) => {
                let branches_at = pointer_push(at, "Branches");
                let branches = p
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let branch_lang = b.query_language.unwrap_or(lang);
                        self.program(
                            &b.start_at,
                            &b.states,
                            branch_lang,
                            false,
                            &pointer_push(&branches_at, &i.to_string()),
                        )
                    })
                    .collect();
                Kind::Parallel { branches }
            }
            StateKind::Map(m) => Kind::Map(Box::new(self.map(m, lang, at))),
        };
        CState {
            name: Arc::from(name),
            entered: EventType::state_entered(type_name),
            exited: EventType::state_exited(type_name),
            lang,
            next,
            io,
            retriers,
            catchers,
            kind,
        }
    }

    fn map(&mut self, m: &asl::Map, lang: QueryLanguage, at: &str) -> MapSpec {
        let distributed = m
            .item_processor
            .processor_config
            .as_ref()
            .and_then(|c| c.mode)
            == Some(asl::ProcessorMode::Distributed);
        let processor_key = if m.processor_is_iterator {
            "Iterator"
        } else {
            "ItemProcessor"
        };
        let processor = self.program(
            &m.item_processor.start_at,
            &m.item_processor.states,
            m.item_processor.query_language.unwrap_or(lang),
            distributed,
            &pointer_push(at, processor_key),
        );
        let items_path = m
            .items_path
            .as_deref()
            .and_then(|p| self.path(p, &pointer_push(at, "ItemsPath")));
        let items = m
            .items
            .as_ref()
            .map(|v| self.jvalue(v, "Items", &pointer_push(at, "Items")));
        let (item_selector, item_selector_jsonata) =
            match (lang, &m.item_selector, &m.io.parameters) {
                (QueryLanguage::Jsonata, Some(sel), _) => (
                    None,
                    Some(self.jvalue(sel, "ItemSelector", &pointer_push(at, "ItemSelector"))),
                ),
                (QueryLanguage::JsonPath, Some(sel), _) => {
                    (self.template(sel, &pointer_push(at, "ItemSelector")), None)
                }
                (QueryLanguage::JsonPath, None, Some(params)) => {
                    (self.template(params, &pointer_push(at, "Parameters")), None)
                }
                _ => (None, None),
            };
        let batcher = m.item_batcher.as_ref().map(|b| {
            let bat = pointer_push(at, "ItemBatcher");
            BatcherSpec {
                max_items: self.seconds(
                    b.max_items_per_batch.as_ref(),
                    b.max_items_per_batch_path.as_deref(),
                    lang,
                    &bat,
                    "MaxItemsPerBatch",
                ),
                max_bytes: self.seconds(
                    b.max_input_bytes_per_batch.as_ref(),
                    b.max_input_bytes_per_batch_path.as_deref(),
                    lang,
                    &bat,
                    "MaxInputBytesPerBatch",
                ),
                batch_input: b.batch_input.clone(),
            }
        });
        MapSpec {
            processor,
            distributed,
            items_path,
            items,
            item_selector,
            item_selector_jsonata,
            max_concurrency: self.seconds(
                m.max_concurrency.as_ref(),
                m.max_concurrency_path.as_deref(),
                lang,
                at,
                "MaxConcurrency",
            ),
            tolerated_percentage: self.seconds(
                m.tolerated_failure_percentage.as_ref(),
                m.tolerated_failure_percentage_path.as_deref(),
                lang,
                at,
                "ToleratedFailurePercentage",
            ),
            tolerated_count: self.seconds(
                m.tolerated_failure_count.as_ref(),
                m.tolerated_failure_count_path.as_deref(),
                lang,
                at,
                "ToleratedFailureCount",
            ),
            batcher,
            external_resources: m
                .item_reader
                .iter()
                .map(|r| (r.resource.clone(), "ItemReader"))
                .chain(
                    m.result_writer
                        .iter()
                        .filter_map(|w| w.resource.clone().map(|r| (r, "ResultWriter"))),
                )
                .collect(),
            label: m.label.clone(),
        }
    }

    fn io(&mut self, io: &asl::Io, lang: QueryLanguage, at: &str) -> Io {
        let mut out = Io::default();
        match lang {
            QueryLanguage::JsonPath => {
                out.input_path = io
                    .input_path
                    .as_ref()
                    .and_then(|p| self.path_sel(p, &pointer_push(at, "InputPath")));
                out.output_path = io
                    .output_path
                    .as_ref()
                    .and_then(|p| self.path_sel(p, &pointer_push(at, "OutputPath")));
                out.parameters = io
                    .parameters
                    .as_ref()
                    .and_then(|p| self.template(p, &pointer_push(at, "Parameters")));
                out.result_selector = io
                    .result_selector
                    .as_ref()
                    .and_then(|p| self.template(p, &pointer_push(at, "ResultSelector")));
                out.result_path = io
                    .result_path
                    .as_ref()
                    .map(|p| self.result_path(p, &pointer_push(at, "ResultPath")));
            }
            QueryLanguage::Jsonata => {
                out.arguments = io
                    .arguments
                    .as_ref()
                    .map(|v| self.jvalue(v, "Arguments", &pointer_push(at, "Arguments")));
                out.output = io
                    .output
                    .as_ref()
                    .map(|v| self.jvalue(v, "Output", &pointer_push(at, "Output")));
            }
        }
        out.assign = io
            .assign
            .as_ref()
            .and_then(|a| self.assign(a, lang, &pointer_push(at, "Assign"), "Assign"));
        out
    }

    /// `field` names the `Assign` in AWS's error messages (`Assign`, `Choices[0]/Assign`).
    fn assign(
        &mut self,
        value: &Value,
        lang: QueryLanguage,
        at: &str,
        field: &str,
    ) -> Option<Assign> {
        match lang {
            QueryLanguage::JsonPath => self.template(value, at).map(Assign::JsonPath),
            QueryLanguage::Jsonata => match value {
                Value::Object(map) => Some(Assign::Jsonata(
                    map.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                self.jvalue(v, &format!("{field}/{k}"), &pointer_push(at, k)),
                            )
                        })
                        .collect(),
                )),
                _ => {
                    self.err(
                        Code::SchemaValidationFailed,
                        at.to_string(),
                        "`Assign` must be an object",
                    );
                    None
                }
            },
        }
    }

    fn catcher(
        &mut self,
        c: &asl::Catcher,
        lang: QueryLanguage,
        index: &HashMap<&str, StateIdx>,
        at: &str,
    ) -> Catcher {
        let n = at.rsplit('/').next().unwrap_or("0");
        let field = format!("Catch[{n}]");
        Catcher {
            errors: ErrorMatcher {
                names: c.error_equals.clone(),
            },
            next: self.target(index, &c.next, pointer_push(at, "Next")),
            result_path: match (&c.result_path, lang) {
                (Some(p), QueryLanguage::JsonPath) => {
                    self.result_path(p, &pointer_push(at, "ResultPath"))
                }
                _ => ResultPath::Replace,
            },
            output: match lang {
                QueryLanguage::Jsonata => c.output.as_ref().map(|v| {
                    self.jvalue(v, &format!("{field}/Output"), &pointer_push(at, "Output"))
                }),
                QueryLanguage::JsonPath => None,
            },
            assign: c.assign.as_ref().and_then(|a| {
                self.assign(
                    a,
                    lang,
                    &pointer_push(at, "Assign"),
                    &format!("{field}/Assign"),
                )
            }),
        }
    }

    fn choice_rule(
        &mut self,
        rule: &asl::ChoiceRule,
        lang: QueryLanguage,
        index: &HashMap<&str, StateIdx>,
        at: &str,
    ) -> ChoiceRule {
        // AWS names a rule's fields `Choices[1]/Condition`, `Choices[1]/Output/v`, ...
        let n = at.rsplit('/').next().unwrap_or("0");
        let field = format!("Choices[{n}]");
        let test = match &rule.condition {
            asl::Condition::Jsonata(cond) => ChoiceTest::Jsonata(self.jvalue(
                cond,
                &format!("{field}/Condition"),
                &pointer_push(at, "Condition"),
            )),
            _ => match Rule::compile(rule) {
                Ok(rule) => ChoiceTest::JsonPath(rule),
                Err(e) => {
                    self.err(Code::InvalidJsonPath, at.to_string(), e.message);
                    ChoiceTest::Jsonata(JValue::Literal(Arc::new(Value::Bool(false))))
                }
            },
        };
        let next = match &rule.next {
            Some(n) => self.target(index, n, pointer_push(at, "Next")),
            None => 0,
        };
        ChoiceRule {
            test,
            next,
            assign: rule.assign.as_ref().and_then(|a| {
                self.assign(
                    a,
                    lang,
                    &pointer_push(at, "Assign"),
                    &format!("{field}/Assign"),
                )
            }),
            output: match lang {
                QueryLanguage::Jsonata => rule.output.as_ref().map(|v| {
                    self.jvalue(v, &format!("{field}/Output"), &pointer_push(at, "Output"))
                }),
                QueryLanguage::JsonPath => None,
            },
        }
    }

    fn seconds(
        &mut self,
        literal: Option<&asl::NumberOrExpr>,
        path: Option<&str>,
        lang: QueryLanguage,
        at: &str,
        field: &str,
    ) -> Option<Seconds> {
        if let Some(path) = path {
            let path_at = pointer_push(at, &format!("{field}Path"));
            return self.path(path, &path_at).map(Seconds::Path);
        }
        match literal? {
            asl::NumberOrExpr::Number(n) => Some(Seconds::Literal(Value::Number(n.clone()))),
            asl::NumberOrExpr::Expr(s) => {
                if lang == QueryLanguage::Jsonata && jsonata::strip_delimiters(s).is_some() {
                    Some(Seconds::Jsonata(self.jvalue(
                        &Value::String(s.clone()),
                        field,
                        &pointer_push(at, field),
                    )))
                } else {
                    Some(Seconds::Literal(Value::String(s.clone())))
                }
            }
        }
    }

    fn fail_field(
        &mut self,
        literal: Option<&str>,
        path: Option<&str>,
        lang: QueryLanguage,
        at: &str,
        field: &str,
    ) -> Option<FailField> {
        if let Some(path) = path {
            let path_at = pointer_push(at, &format!("{field}Path"));
            return match ValueExpr::parse(path) {
                Ok(expr) => Some(FailField::Path(expr)),
                Err(e) => {
                    self.err(Code::InvalidJsonPath, path_at, e.message);
                    None
                }
            };
        }
        let literal = literal?;
        if lang == QueryLanguage::Jsonata && jsonata::strip_delimiters(literal).is_some() {
            return Some(FailField::Jsonata(self.jvalue(
                &Value::String(literal.to_string()),
                field,
                &pointer_push(at, field),
            )));
        }
        Some(FailField::Literal(literal.to_string()))
    }

    fn path(&mut self, source: &str, at: &str) -> Option<Path> {
        match Path::parse(source) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(Code::InvalidJsonPath, at.to_string(), e.message);
                None
            }
        }
    }

    fn path_sel(&mut self, p: &asl::PathOrNull, at: &str) -> Option<PathSel> {
        match p {
            asl::PathOrNull::Null => Some(PathSel::Null),
            asl::PathOrNull::Path(s) => self.path(s, at).map(PathSel::Path),
        }
    }

    fn result_path(&mut self, p: &asl::PathOrNull, at: &str) -> ResultPath {
        match p {
            asl::PathOrNull::Null => ResultPath::Discard,
            asl::PathOrNull::Path(s) if s == "$" => ResultPath::Replace,
            asl::PathOrNull::Path(s) => match ReferencePath::parse(s) {
                Ok(p) => ResultPath::Path(p),
                Err(e) => {
                    self.err(Code::InvalidJsonPath, at.to_string(), e.message);
                    ResultPath::Replace
                }
            },
        }
    }

    fn template(&mut self, value: &Value, at: &str) -> Option<Template> {
        match Template::compile(value) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(Code::InvalidJsonPath, at.to_string(), e.message);
                None
            }
        }
    }

    /// Compiles a JSONata-mode value; `field` names it in AWS's error messages.
    fn jvalue(&mut self, value: &Value, field: &str, at: &str) -> JValue {
        if !contains_expr(value) {
            return JValue::Literal(Arc::new(value.clone()));
        }
        match value {
            Value::String(s) => match jsonata::strip_delimiters(s).map(str::trim) {
                // AWS quotes the expression trimmed in its messages.
                Some(src) => match jsonata::Expr::compile(src) {
                    Ok(expr) => JValue::Expr {
                        expr,
                        field: field.to_string(),
                    },
                    Err(e) => {
                        self.err(
                            Code::InvalidJsonata,
                            at.to_string(),
                            format!("the JSONata expression '{src}' is invalid: {}", e.message),
                        );
                        JValue::Literal(Arc::new(Value::Null))
                    }
                },
                None => JValue::Literal(Arc::new(value.clone())),
            },
            Value::Object(map) => JValue::Object(
                map.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            self.jvalue(v, &format!("{field}/{k}"), &pointer_push(at, k)),
                        )
                    })
                    .collect(),
            ),
            Value::Array(items) => JValue::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        self.jvalue(
                            v,
                            &format!("{field}[{i}]"),
                            &pointer_push(at, &i.to_string()),
                        )
                    })
                    .collect(),
            ),
            other => JValue::Literal(Arc::new(other.clone())),
        }
    }
}

fn contains_expr(value: &Value) -> bool {
    match value {
        Value::String(s) => jsonata::strip_delimiters(s).is_some(),
        Value::Object(map) => map.values().any(contains_expr),
        Value::Array(items) => items.iter().any(contains_expr),
        _ => false,
    }
}

fn function_name(task: &asl::Task, lang: QueryLanguage) -> FunctionName {
    let args = match lang {
        QueryLanguage::JsonPath => task.io.parameters.as_ref(),
        QueryLanguage::Jsonata => task.io.arguments.as_ref(),
    };
    let Some(Value::Object(args)) = args else {
        return match args {
            Some(_) => FunctionName::Dynamic,
            None => FunctionName::None,
        };
    };
    match (args.get("FunctionName"), args.get("FunctionName.$")) {
        (_, Some(_)) => FunctionName::Dynamic,
        (Some(Value::String(s)), None) if jsonata::strip_delimiters(s).is_some() => {
            FunctionName::Dynamic
        }
        (Some(Value::String(s)), None) => FunctionName::Literal(s.clone()),
        (Some(_), None) => FunctionName::Dynamic,
        (None, None) => FunctionName::None,
    }
}

fn retrier(r: &asl::Retrier) -> Retrier {
    let f = |n: &Option<serde_json::Number>| n.as_ref().and_then(|n| n.as_f64());
    Retrier {
        errors: ErrorMatcher {
            names: r.error_equals.clone(),
        },
        interval_seconds: f(&r.interval_seconds).unwrap_or(1.0),
        max_attempts: f(&r.max_attempts)
            .map(|n| n.clamp(0.0, u32::MAX as f64) as u32)
            .unwrap_or(3),
        backoff_rate: f(&r.backoff_rate).unwrap_or(2.0),
        max_delay_seconds: f(&r.max_delay_seconds),
        jitter: r.jitter_strategy == Some(asl::JitterStrategy::Full),
    }
}
