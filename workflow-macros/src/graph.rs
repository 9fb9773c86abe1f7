//! The lowered IR: a state machine as plain data (states, transitions, JSONata text) plus the
//! spans of the task paths it refers to, and its JSON writer.
//!
//! Some parts of the JSON are only known to the task's own macro (its retry rules, timeout,
//! heartbeat and parameter names): the writer leaves them as [`Piece::Const`], a constant of
//! the task's module, and `expand` concatenates the pieces at compile time.

use proc_macro2::Span;

use crate::attr::Retry;

#[derive(Debug)]
pub(crate) struct Machine {
    pub name: String,
    pub comment: Option<String>,
    pub express: bool,
    pub program: Program,
}

/// One state graph: the top level, a Parallel branch or a Map processor.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub states: Vec<State>,
}

#[derive(Debug)]
pub(crate) struct State {
    pub name: String,
    /// `file.rs:LINE`.
    pub comment: String,
    pub kind: Kind,
    /// Where the state goes next; `Next::Unset` is a hole the lowering patches.
    pub next: Next,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Next {
    Unset,
    To(String),
}

/// A field value: JSONata text (written `{% .. %}`) or literal JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Jsonata(String),
    Json(String),
}

pub(crate) type Assign = Vec<(String, Value)>;

#[derive(Debug)]
pub(crate) enum Kind {
    Pass {
        assign: Assign,
        output: Option<Value>,
    },
    Task(Box<Task>),
    Choice {
        rules: Vec<(String, Next)>,
        default: Next,
    },
    Wait {
        seconds: Option<Value>,
        timestamp: Option<Value>,
    },
    Succeed {
        output: Option<Value>,
    },
    Fail {
        error: Value,
        cause: Option<Value>,
    },
    Map {
        items: String,
        max_concurrency: Option<u64>,
        processor: Program,
        assign: Assign,
    },
    Parallel {
        branches: Vec<Program>,
        assign: Assign,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resource {
    LambdaInvoke,
    WaitForTaskToken,
    StartExecutionSync2,
}

impl Resource {
    pub(crate) fn arn(self) -> &'static str {
        match self {
            Resource::LambdaInvoke => "arn:aws:states:::lambda:invoke",
            Resource::WaitForTaskToken => "arn:aws:states:::lambda:invoke.waitForTaskToken",
            Resource::StartExecutionSync2 => "arn:aws:states:::states:startExecution.sync:2",
        }
    }
}

/// A `#[task]` or `#[workflow]` function the machine calls, by its path in the user's code.
#[derive(Debug, Clone)]
pub(crate) struct TaskRef {
    pub segments: Vec<String>,
    pub span: Span,
}

impl TaskRef {
    /// The task's name: the function's name.
    pub(crate) fn name(&self) -> &str {
        self.segments.last().map_or("", String::as_str)
    }
}

/// A task setting: the one the task declares, or one given for this call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Setting<T> {
    FromTask,
    Given(T),
}

#[derive(Debug)]
pub(crate) struct Task {
    pub resource: Resource,
    pub target: TaskRef,
    /// The arguments, in order; one argument is the payload itself, several are keyed by the
    /// callee's parameter names.
    pub args: Vec<Value>,
    pub assign: Assign,
    pub retry: Setting<Vec<Retry>>,
    pub timeout: Setting<Option<u64>>,
    pub heartbeat: Setting<Option<u64>>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug)]
pub(crate) struct Catcher {
    pub errors: Vec<String>,
    pub assign: Assign,
    pub next: Next,
}

/// A piece of the JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Lit(String),
    /// A `&str` constant of a task's (or child workflow's) module.
    Const {
        target: Vec<String>,
        span_of: usize,
        name: String,
    },
}

/// Writes JSON text as pieces.
pub(crate) struct Writer<'m> {
    pub pieces: Vec<Piece>,
    /// The task references consts point to (`Piece::Const::span_of` indexes it).
    pub targets: Vec<&'m TaskRef>,
}

/// `s` as a JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Value {
    pub(crate) fn to_json(&self) -> String {
        match self {
            Value::Jsonata(text) => json_str(&format!("{{% {text} %}}")),
            Value::Json(text) => text.clone(),
        }
    }
}

impl<'m> Writer<'m> {
    pub(crate) fn new() -> Self {
        Writer {
            pieces: Vec::new(),
            targets: Vec::new(),
        }
    }

    fn lit(&mut self, s: &str) {
        if let Some(Piece::Lit(last)) = self.pieces.last_mut() {
            last.push_str(s);
        } else {
            self.pieces.push(Piece::Lit(s.to_string()));
        }
    }

    fn konst(&mut self, target: &'m TaskRef, name: &str) {
        self.targets.push(target);
        self.pieces.push(Piece::Const {
            target: target.segments.clone(),
            span_of: self.targets.len() - 1,
            name: name.to_string(),
        });
    }

    pub(crate) fn machine(&mut self, machine: &'m Machine) {
        self.lit("{");
        if let Some(comment) = &machine.comment {
            self.lit(&format!("\"Comment\":{},", json_str(comment)));
        }
        self.lit("\"QueryLanguage\":\"JSONata\",");
        self.program_body(&machine.program);
        self.lit("}");
    }

    fn program(&mut self, program: &'m Program) {
        self.lit("{");
        self.program_body(program);
        self.lit("}");
    }

    fn program_body(&mut self, program: &'m Program) {
        let start = program.states.first().map_or("", |s| s.name.as_str());
        self.lit(&format!("\"StartAt\":{},\"States\":{{", json_str(start)));
        for (i, state) in program.states.iter().enumerate() {
            if i > 0 {
                self.lit(",");
            }
            self.state(state);
        }
        self.lit("}");
    }

    fn assign(&mut self, assign: &Assign) {
        if assign.is_empty() {
            return;
        }
        let fields: Vec<String> = assign
            .iter()
            .map(|(name, value)| format!("{}:{}", json_str(name), value.to_json()))
            .collect();
        self.lit(&format!(",\"Assign\":{{{}}}", fields.join(",")));
    }

    fn next(&mut self, next: &Next) {
        match next {
            Next::To(name) => self.lit(&format!(",\"Next\":{}", json_str(name))),
            Next::Unset => {}
        }
    }

    fn state(&mut self, state: &'m State) {
        let ty = match &state.kind {
            Kind::Pass { .. } => "Pass",
            Kind::Task(_) => "Task",
            Kind::Choice { .. } => "Choice",
            Kind::Wait { .. } => "Wait",
            Kind::Succeed { .. } => "Succeed",
            Kind::Fail { .. } => "Fail",
            Kind::Map { .. } => "Map",
            Kind::Parallel { .. } => "Parallel",
        };
        self.lit(&format!(
            "{}:{{\"Type\":\"{ty}\",\"Comment\":{}",
            json_str(&state.name),
            json_str(&state.comment)
        ));
        match &state.kind {
            Kind::Pass { assign, output } => {
                self.assign(assign);
                if let Some(output) = output {
                    self.lit(&format!(",\"Output\":{}", output.to_json()));
                }
                self.next(&state.next);
            }
            Kind::Task(task) => self.task(task, &state.next),
            Kind::Choice { rules, default } => {
                let rules: Vec<String> = rules
                    .iter()
                    .map(|(condition, next)| {
                        let next = match next {
                            Next::To(name) => name.as_str(),
                            _ => "",
                        };
                        format!(
                            "{{\"Condition\":{},\"Next\":{}}}",
                            json_str(&format!("{{% {condition} %}}")),
                            json_str(next)
                        )
                    })
                    .collect();
                self.lit(&format!(",\"Choices\":[{}]", rules.join(",")));
                if let Next::To(name) = default {
                    self.lit(&format!(",\"Default\":{}", json_str(name)));
                }
            }
            Kind::Wait { seconds, timestamp } => {
                if let Some(seconds) = seconds {
                    self.lit(&format!(",\"Seconds\":{}", seconds.to_json()));
                }
                if let Some(timestamp) = timestamp {
                    self.lit(&format!(",\"Timestamp\":{}", timestamp.to_json()));
                }
                self.next(&state.next);
            }
            Kind::Succeed { output } => {
                if let Some(output) = output {
                    self.lit(&format!(",\"Output\":{}", output.to_json()));
                }
            }
            Kind::Fail { error, cause } => {
                self.lit(&format!(",\"Error\":{}", error.to_json()));
                if let Some(cause) = cause {
                    self.lit(&format!(",\"Cause\":{}", cause.to_json()));
                }
            }
            Kind::Map {
                items,
                max_concurrency,
                processor,
                assign,
            } => {
                self.lit(&format!(
                    ",\"Items\":{}",
                    json_str(&format!("{{% {items} %}}"))
                ));
                if let Some(n) = max_concurrency {
                    self.lit(&format!(",\"MaxConcurrency\":{n}"));
                }
                self.lit(",\"ItemProcessor\":{\"ProcessorConfig\":{\"Mode\":\"INLINE\"},");
                self.program_body(processor);
                self.lit("}");
                self.assign(assign);
                self.next(&state.next);
            }
            Kind::Parallel { branches, assign } => {
                self.lit(",\"Branches\":[");
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        self.lit(",");
                    }
                    self.program(branch);
                }
                self.lit("]");
                self.assign(assign);
                self.next(&state.next);
            }
        }
        self.lit("}");
    }

    fn task(&mut self, task: &'m Task, next: &Next) {
        self.lit(&format!(",\"Resource\":\"{}\"", task.resource.arn()));
        match task.resource {
            Resource::LambdaInvoke | Resource::WaitForTaskToken => {
                self.lit(&format!(
                    ",\"Arguments\":{{\"FunctionName\":\"${{{}}}\",\"Payload\":",
                    task.target.name()
                ));
                self.args(task);
                self.lit("}");
            }
            Resource::StartExecutionSync2 => {
                self.lit(",\"Arguments\":{\"StateMachineArn\":\"${");
                self.konst(&task.target, "NAME");
                self.lit("}\",\"Input\":");
                self.args(task);
                self.lit("}");
            }
        }
        self.assign(&task.assign);
        match &task.retry {
            Setting::FromTask => self.konst(&task.target, "__RETRY"),
            Setting::Given(retries) => self.lit(&retry_json(retries)),
        }
        if !task.catch.is_empty() {
            let catchers: Vec<String> = task
                .catch
                .iter()
                .map(|c| {
                    let errors: Vec<String> = c.errors.iter().map(|e| json_str(e)).collect();
                    let mut text = format!("{{\"ErrorEquals\":[{}]", errors.join(","));
                    if !c.assign.is_empty() {
                        let fields: Vec<String> = c
                            .assign
                            .iter()
                            .map(|(name, value)| format!("{}:{}", json_str(name), value.to_json()))
                            .collect();
                        text.push_str(&format!(",\"Assign\":{{{}}}", fields.join(",")));
                    }
                    if let Next::To(name) = &c.next {
                        text.push_str(&format!(",\"Next\":{}", json_str(name)));
                    }
                    text.push('}');
                    text
                })
                .collect();
            self.lit(&format!(",\"Catch\":[{}]", catchers.join(",")));
        }
        match &task.timeout {
            Setting::FromTask => self.konst(&task.target, "__TIMEOUT"),
            Setting::Given(Some(n)) => self.lit(&format!(",\"TimeoutSeconds\":{n}")),
            Setting::Given(None) => {}
        }
        match &task.heartbeat {
            Setting::FromTask => self.konst(&task.target, "__HEARTBEAT"),
            Setting::Given(Some(n)) => self.lit(&format!(",\"HeartbeatSeconds\":{n}")),
            Setting::Given(None) => {}
        }
        self.next(next);
    }

    fn args(&mut self, task: &'m Task) {
        match task.args.as_slice() {
            [] => self.lit("{}"),
            [single] => self.lit(&single.to_json()),
            many => {
                self.lit("{");
                for (i, arg) in many.iter().enumerate() {
                    if i > 0 {
                        self.lit(",");
                    }
                    self.lit("\"");
                    self.konst(&task.target, &format!("__PARAM_{i}"));
                    self.lit(&format!("\":{}", arg.to_json()));
                }
                self.lit("}");
            }
        }
    }
}

/// The `Retry` field (with its leading comma), or nothing for no rules.
pub(crate) fn retry_json(retries: &[Retry]) -> String {
    if retries.is_empty() {
        return String::new();
    }
    let rules: Vec<String> = retries
        .iter()
        .map(|r| {
            let on: Vec<String> = r.on.iter().map(|e| json_str(e)).collect();
            let mut text = format!("{{\"ErrorEquals\":[{}]", on.join(","));
            if let Some(n) = r.interval {
                text.push_str(&format!(",\"IntervalSeconds\":{n}"));
            }
            if let Some(n) = r.max_attempts {
                text.push_str(&format!(",\"MaxAttempts\":{n}"));
            }
            if let Some(b) = r.backoff {
                let mut s = format!("{b}");
                if !s.contains('.') {
                    s.push_str(".0");
                }
                text.push_str(&format!(",\"BackoffRate\":{s}"));
            }
            if let Some(n) = r.max_delay {
                text.push_str(&format!(",\"MaxDelaySeconds\":{n}"));
            }
            if let Some(j) = &r.jitter {
                text.push_str(&format!(",\"JitterStrategy\":{}", json_str(j)));
            }
            text.push('}');
            text
        })
        .collect();
    format!(",\"Retry\":[{}]", rules.join(","))
}

/// The pieces as one text, with constants shown as `«path::NAME»` (for tests and messages).
#[cfg(test)]
pub(crate) fn render(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(s) => s.clone(),
            Piece::Const { target, name, .. } => format!("«{}::{name}»", target.join("::")),
        })
        .collect()
}
