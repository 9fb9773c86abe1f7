//! The typed model of an Amazon States Language document.
//!
//! Every state type and field of the specification has a place here, in both query languages.
//! Fields whose content is a payload template or an expression (`Parameters`, `Arguments`,
//! `Output`, `Assign`, `Result`, ...) are kept as JSON values; they are compiled by `exec` when
//! a definition is loaded.
//! The model is lossless: each object remembers the order of its keys, so that serialising a
//! parsed document gives back the same JSON, key order included.

use indexmap::IndexMap;
use serde_json::{Number, Value};

/// The query language of a state machine or of one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryLanguage {
    /// `"JSONPath"`, the default.
    JsonPath,
    /// `"JSONata"`.
    Jsonata,
}

impl QueryLanguage {
    /// The spelling used in ASL documents.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryLanguage::JsonPath => "JSONPath",
            QueryLanguage::Jsonata => "JSONata",
        }
    }
}

/// The order in which an object's keys appeared in the source document.
///
/// Serialisation writes keys in this order; keys that are set but not listed (for example on a
/// model built in code) follow in the model's canonical order.
pub type KeyOrder = Vec<String>;

/// A whole state machine: the top-level document.
#[derive(Debug, Clone, PartialEq)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub start_at: String,
    pub states: IndexMap<String, State>,
    pub version: Option<String>,
    pub timeout_seconds: Option<u64>,
    pub query_language: Option<QueryLanguage>,
    pub key_order: KeyOrder,
}

impl StateMachine {
    /// The query language that applies at the top level (JSONPath unless set).
    pub fn query_language(&self) -> QueryLanguage {
        self.query_language.unwrap_or(QueryLanguage::JsonPath)
    }
}

/// A nested state graph: a Parallel branch, a Map `ItemProcessor` or a legacy `Iterator`.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub comment: Option<String>,
    pub start_at: String,
    pub states: IndexMap<String, State>,
    /// Only for `ItemProcessor`.
    pub processor_config: Option<ProcessorConfig>,
    /// Allowed by AWS inside a Map `ItemProcessor` / Parallel branch (ignored at run time).
    pub query_language: Option<QueryLanguage>,
    pub key_order: KeyOrder,
}

/// `ItemProcessor.ProcessorConfig` of a Map state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessorConfig {
    pub mode: Option<ProcessorMode>,
    pub execution_type: Option<ExecutionType>,
    pub key_order: KeyOrder,
}

/// `ProcessorConfig.Mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessorMode {
    Inline,
    Distributed,
}

/// `ProcessorConfig.ExecutionType` (and the type of a state machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionType {
    Standard,
    Express,
}

/// One named state.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub comment: Option<String>,
    pub query_language: Option<QueryLanguage>,
    pub kind: StateKind,
    pub key_order: KeyOrder,
}

impl State {
    /// The state's `Type` as written in ASL.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// The query language of this state, given the one inherited from the state machine.
    pub fn query_language(&self, inherited: QueryLanguage) -> QueryLanguage {
        self.query_language.unwrap_or(inherited)
    }

    /// The fields common to most state types, if this state has them.
    pub fn io(&self) -> Option<&Io> {
        match &self.kind {
            StateKind::Pass(s) => Some(&s.io),
            StateKind::Task(s) => Some(&s.io),
            StateKind::Choice(s) => Some(&s.io),
            StateKind::Wait(s) => Some(&s.io),
            StateKind::Succeed(s) => Some(&s.io),
            StateKind::Fail(_) => None,
            StateKind::Parallel(s) => Some(&s.io),
            StateKind::Map(s) => Some(&s.io),
        }
    }

    /// `Next` or `End`, for the state types that have a transition.
    pub fn transition(&self) -> Option<&Transition> {
        match &self.kind {
            StateKind::Pass(s) => Some(&s.transition),
            StateKind::Task(s) => Some(&s.transition),
            StateKind::Wait(s) => Some(&s.transition),
            StateKind::Parallel(s) => Some(&s.transition),
            StateKind::Map(s) => Some(&s.transition),
            StateKind::Choice(_) | StateKind::Succeed(_) | StateKind::Fail(_) => None,
        }
    }

    /// `Retry` and `Catch`, for Task, Parallel and Map.
    pub fn errors(&self) -> Option<&ErrorHandling> {
        match &self.kind {
            StateKind::Task(s) => Some(&s.errors),
            StateKind::Parallel(s) => Some(&s.errors),
            StateKind::Map(s) => Some(&s.errors),
            _ => None,
        }
    }
}

/// The state types.
// A definition holds a few hundred states at most and is built once, so the size of the Map
// variant costs nothing measurable; boxing it would only make every match clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum StateKind {
    Pass(Pass),
    Task(Task),
    Choice(Choice),
    Wait(Wait),
    Succeed(Succeed),
    Fail(Fail),
    Parallel(Parallel),
    Map(Map),
}

impl StateKind {
    /// The `Type` as written in ASL.
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed(_) => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// `Next` or `End`.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Next(String),
    End,
}

/// A path field that may also be JSON `null` (`InputPath`, `OutputPath`, `ResultPath`).
#[derive(Debug, Clone, PartialEq)]
pub enum PathOrNull {
    Path(String),
    Null,
}

/// An integer field that JSONata mode lets be a `{% %}` expression instead
/// (`TimeoutSeconds`, `HeartbeatSeconds`, `Seconds`, `MaxConcurrency`, `ToleratedFailureCount`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum NumberOrExpr {
    Number(Number),
    Expr(String),
}

/// The input and output processing fields. Which of them a state type may use, and in which
/// query language, is checked by the validator, not by the type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Io {
    pub input_path: Option<PathOrNull>,
    pub output_path: Option<PathOrNull>,
    pub parameters: Option<Value>,
    pub result_selector: Option<Value>,
    pub result_path: Option<PathOrNull>,
    /// JSONata mode.
    pub arguments: Option<Value>,
    /// JSONata mode.
    pub output: Option<Value>,
    pub assign: Option<Value>,
}

/// `Retry` and `Catch`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorHandling {
    pub retry: Option<Vec<Retrier>>,
    pub catch: Option<Vec<Catcher>>,
}

/// One element of `Retry`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: Option<Number>,
    pub max_attempts: Option<Number>,
    pub backoff_rate: Option<Number>,
    pub max_delay_seconds: Option<Number>,
    pub jitter_strategy: Option<JitterStrategy>,
    pub comment: Option<String>,
    pub key_order: KeyOrder,
}

/// `Retry[].JitterStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JitterStrategy {
    Full,
    None,
}

/// One element of `Catch`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    pub result_path: Option<PathOrNull>,
    pub assign: Option<Value>,
    pub output: Option<Value>,
    pub comment: Option<String>,
    pub key_order: KeyOrder,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    pub transition: Transition,
    pub io: Io,
    pub result: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub transition: Transition,
    pub io: Io,
    pub errors: ErrorHandling,
    pub resource: String,
    pub timeout_seconds: Option<NumberOrExpr>,
    pub timeout_seconds_path: Option<String>,
    pub heartbeat_seconds: Option<NumberOrExpr>,
    pub heartbeat_seconds_path: Option<String>,
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub io: Io,
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// A top-level element of `Choices` (with `Next`), or a nested rule inside `And`/`Or`/`Not`
/// (without `Next`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: Option<String>,
    pub comment: Option<String>,
    pub assign: Option<Value>,
    /// JSONata mode.
    pub output: Option<Value>,
    pub key_order: KeyOrder,
}

/// What a choice rule tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// JSONata `Condition`: a `{% %}` expression, or a boolean literal.
    Jsonata(Value),
    And(Vec<ChoiceRule>),
    Or(Vec<ChoiceRule>),
    Not(Box<ChoiceRule>),
    /// `Variable` with one comparison operator.
    Compare {
        variable: String,
        op: ComparisonOp,
        operand: Operand,
    },
}

/// The right-hand side of a comparison: a literal, or a path (the `...Path` operator forms).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(String),
}

/// The 39 comparison operators, as (operator, is-path-form) pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOp {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

impl ComparisonOp {
    /// All operators without the `Path` suffix.
    pub const ALL: [ComparisonOp; 23] = [
        ComparisonOp::StringEquals,
        ComparisonOp::StringLessThan,
        ComparisonOp::StringGreaterThan,
        ComparisonOp::StringLessThanEquals,
        ComparisonOp::StringGreaterThanEquals,
        ComparisonOp::StringMatches,
        ComparisonOp::NumericEquals,
        ComparisonOp::NumericLessThan,
        ComparisonOp::NumericGreaterThan,
        ComparisonOp::NumericLessThanEquals,
        ComparisonOp::NumericGreaterThanEquals,
        ComparisonOp::BooleanEquals,
        ComparisonOp::TimestampEquals,
        ComparisonOp::TimestampLessThan,
        ComparisonOp::TimestampGreaterThan,
        ComparisonOp::TimestampLessThanEquals,
        ComparisonOp::TimestampGreaterThanEquals,
        ComparisonOp::IsNull,
        ComparisonOp::IsPresent,
        ComparisonOp::IsNumeric,
        ComparisonOp::IsString,
        ComparisonOp::IsBoolean,
        ComparisonOp::IsTimestamp,
    ];

    /// The operator's name without the `Path` suffix.
    pub fn name(self) -> &'static str {
        self.key_str(false)
    }

    /// The ASL key of the operator, in literal or path form (`"NumericEquals"`,
    /// `"NumericEqualsPath"`). The path form of an operator that has none gives its plain name.
    pub fn key_str(self, path: bool) -> &'static str {
        macro_rules! keys {
            ($($name:ident),*) => {
                match self {
                    $(ComparisonOp::$name => if path && self.has_path_form() {
                        concat!(stringify!($name), "Path")
                    } else {
                        stringify!($name)
                    },)*
                }
            };
        }
        keys!(
            StringEquals,
            StringLessThan,
            StringGreaterThan,
            StringLessThanEquals,
            StringGreaterThanEquals,
            StringMatches,
            NumericEquals,
            NumericLessThan,
            NumericGreaterThan,
            NumericLessThanEquals,
            NumericGreaterThanEquals,
            BooleanEquals,
            TimestampEquals,
            TimestampLessThan,
            TimestampGreaterThan,
            TimestampLessThanEquals,
            TimestampGreaterThanEquals,
            IsNull,
            IsPresent,
            IsNumeric,
            IsString,
            IsBoolean,
            IsTimestamp
        )
    }

    /// Whether a `...Path` form exists (all but `StringMatches` and the `Is*` tests).
    pub fn has_path_form(self) -> bool {
        !matches!(
            self,
            ComparisonOp::StringMatches
                | ComparisonOp::IsNull
                | ComparisonOp::IsPresent
                | ComparisonOp::IsNumeric
                | ComparisonOp::IsString
                | ComparisonOp::IsBoolean
                | ComparisonOp::IsTimestamp
        )
    }

    /// Parses an ASL operator key (`"NumericEqualsPath"`), giving the operator and whether it
    /// is the path form.
    pub fn from_key(key: &str) -> Option<(ComparisonOp, bool)> {
        if let Some(base) = key.strip_suffix("Path")
            && let Some(op) = Self::ALL.iter().find(|op| op.name() == base)
        {
            return op.has_path_form().then_some((*op, true));
        }
        Self::ALL
            .iter()
            .find(|op| op.name() == key)
            .map(|op| (*op, false))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    pub transition: Transition,
    pub io: Io,
    pub seconds: Option<NumberOrExpr>,
    pub seconds_path: Option<String>,
    /// A timestamp literal, or in JSONata mode a `{% %}` expression.
    pub timestamp: Option<String>,
    pub timestamp_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Succeed {
    pub io: Io,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fail {
    pub error: Option<String>,
    pub error_path: Option<String>,
    pub cause: Option<String>,
    pub cause_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parallel {
    pub transition: Transition,
    pub io: Io,
    pub errors: ErrorHandling,
    pub branches: Vec<Branch>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub transition: Transition,
    pub io: Io,
    pub errors: ErrorHandling,
    /// `ItemProcessor`, or the legacy `Iterator` (see `processor_is_iterator`).
    pub item_processor: Branch,
    pub processor_is_iterator: bool,
    pub items_path: Option<String>,
    /// JSONata mode: an array, or a `{% %}` expression.
    pub items: Option<Value>,
    pub item_selector: Option<Value>,
    pub item_reader: Option<ItemReader>,
    pub item_batcher: Option<ItemBatcher>,
    pub result_writer: Option<ResultWriter>,
    pub max_concurrency: Option<NumberOrExpr>,
    pub max_concurrency_path: Option<String>,
    pub tolerated_failure_percentage: Option<NumberOrExpr>,
    pub tolerated_failure_percentage_path: Option<String>,
    pub tolerated_failure_count: Option<NumberOrExpr>,
    pub tolerated_failure_count_path: Option<String>,
    pub label: Option<String>,
}

/// `ItemReader` of a distributed Map.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemReader {
    pub resource: String,
    pub reader_config: Option<Value>,
    pub parameters: Option<Value>,
    pub arguments: Option<Value>,
    pub key_order: KeyOrder,
}

/// `ItemBatcher` of a Map.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ItemBatcher {
    pub max_items_per_batch: Option<NumberOrExpr>,
    pub max_items_per_batch_path: Option<String>,
    pub max_input_bytes_per_batch: Option<NumberOrExpr>,
    pub max_input_bytes_per_batch_path: Option<String>,
    pub batch_input: Option<Value>,
    pub key_order: KeyOrder,
}

/// `ResultWriter` of a distributed Map.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultWriter {
    pub resource: Option<String>,
    pub parameters: Option<Value>,
    pub arguments: Option<Value>,
    pub writer_config: Option<Value>,
    pub key_order: KeyOrder,
}
