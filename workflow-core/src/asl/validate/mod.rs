//! The validator: every rule a definition must follow beyond its JSON shape, reported all at
//! once with the codes of AWS's `ValidateStateMachineDefinition` and JSON-pointer locations.
//!
//! The parser accepts the union of the fields of every state type in both query languages; the
//! validator decides which of them are legal where:
//!
//! - graph rules, per state graph (the machine, each Parallel branch, each Map processor):
//!   `StartAt`, `Next`, `Default` and catcher targets name a state of the same graph
//!   (`MISSING_TRANSITION_TARGET`); every state is named by `StartAt` or another state's
//!   transition (`MISSING_TRANSITION_TARGET`, as AWS reports it); some state is terminal
//!   (`MISSING_END_STATE`); nesting stays within [`MAX_NESTING_DEPTH`] (`TOO_DEEPLY_NESTED`);
//! - names: unique in the whole machine (`DUPLICATE_STATE_NAME`), at most 80 characters
//!   (`INVALID_STATE_NAME`); Map labels valid and unique (`INVALID_LABEL_NAME`,
//!   `DUPLICATE_LABEL_NAME`); variable names in `Assign`;
//! - fields per state type and query language, a JSONPath state under a JSONata machine,
//!   `QueryLanguage` on a Map processor;
//! - mutually exclusive fields, numeric ranges, `States.ALL` placement, timestamps;
//! - values: `Resource` ARNs (`INVALID_RESOURCE`), paths, reference paths, payload templates
//!   (`.$` keys), JSONata `{% %}` expressions (through [`jsonata_syntax_error`]);
//! - warnings `NO_DOLLAR`, `NO_PATH` and `PASS_RESULT_IS_STATIC`.
//!
//! Everything that is not a graph, name or resource rule is `SCHEMA_VALIDATION_FAILED`, as on
//! AWS.

mod dup;
mod state;
mod syntax;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde_json::Value;

use super::diag::{Code, Diagnostic, Diagnostics, Severity, pointer_push};
use super::graph::{self, StateGraph};
use super::model::*;
use super::parse::{parse_str, parse_value};

pub use syntax::jsonata_syntax_error;

/// How deeply Parallel and Map states may nest. AWS reports `TOO_DEEPLY_NESTED` beyond some
/// depth but does not document it; this limit is ours and is meant to be out of reach of
/// real definitions.
pub const MAX_NESTING_DEPTH: usize = 20;

/// A definition that parsed and has no errors, with the warnings found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub machine: StateMachine,
    pub warnings: Vec<Diagnostic>,
}

/// Checks a parsed definition. Returns every problem found, errors and warnings, in document
/// order within each rule; an empty list means the definition is valid and clean.
pub fn validate(machine: &StateMachine) -> Vec<Diagnostic> {
    let mut validator = Validator::new(machine);
    validator.machine(machine);
    validator.diags
}

/// Parses and validates a definition from JSON text. Fails with every diagnostic (warnings
/// included) when there is at least one error.
pub fn load_str(text: &str) -> Result<Validated, Diagnostics> {
    if text.trim().is_empty() {
        return Err(Diagnostics(vec![Diagnostic::error(
            Code::MissingDescription,
            "",
            "the definition is empty; expected a JSON object with `StartAt` and `States`",
        )]));
    }
    let duplicates = dup::duplicate_state_names(text);
    match parse_str(text) {
        Ok(machine) => finish(machine, duplicates),
        Err(mut diags) => {
            diags.extend(duplicates);
            Err(Diagnostics(diags))
        }
    }
}

/// Parses and validates a definition from a JSON value. Fails with every diagnostic (warnings
/// included) when there is at least one error.
pub fn load_value(value: &Value) -> Result<Validated, Diagnostics> {
    let machine = parse_value(value).map_err(Diagnostics)?;
    finish(machine, Vec::new())
}

fn finish(machine: StateMachine, mut diags: Vec<Diagnostic>) -> Result<Validated, Diagnostics> {
    diags.extend(validate(&machine));
    if diags.iter().any(|d| d.severity == Severity::Error) {
        Err(Diagnostics(diags))
    } else {
        Ok(Validated {
            machine,
            warnings: diags,
        })
    }
}

/// The error collector, and what the rules need to know about the whole machine.
struct Validator<'m> {
    diags: Vec<Diagnostic>,
    /// The query language of the state machine; states inherit it unless they set their own
    /// (nested states inherit the machine's, not their Parallel's or Map's).
    top_language: QueryLanguage,
    /// Every state name, with the pointer of the graph holding its first occurrence.
    graph_of: HashMap<&'m str, String>,
    /// The pointer of the first state with each name, for `DUPLICATE_STATE_NAME`.
    first_state: HashMap<&'m str, String>,
    /// The pointer of the first Map with each `Label`.
    first_label: HashMap<&'m str, String>,
}

impl<'m> Validator<'m> {
    fn new(machine: &'m StateMachine) -> Self {
        let mut graph_of = HashMap::new();
        for graph in graph::state_graphs(machine) {
            for name in graph.states.keys() {
                graph_of
                    .entry(name.as_str())
                    .or_insert_with(|| graph.pointer.clone());
            }
        }
        Validator {
            diags: Vec::new(),
            top_language: machine.query_language(),
            graph_of,
            first_state: HashMap::new(),
            first_label: HashMap::new(),
        }
    }

    fn error(&mut self, code: Code, location: impl Into<String>, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, location, message));
    }

    fn schema(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.error(Code::SchemaValidationFailed, location, message);
    }

    fn warning(&mut self, code: Code, location: impl Into<String>, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::warning(code, location, message));
    }

    fn machine(&mut self, machine: &'m StateMachine) {
        if machine.timeout_seconds == Some(0) {
            self.schema(
                "/TimeoutSeconds",
                "`TimeoutSeconds` must be a positive integer, found 0",
            );
        }
        self.graph(StateGraph::of_machine(machine));
    }

    /// Checks one state graph, then the graphs nested in its states.
    fn graph(&mut self, graph: StateGraph<'m>) {
        for (name, state) in graph.states {
            let at = graph.state_pointer(name);
            self.state_name(name, &at);
            self.state(state, &at);
            let children = graph.children(name, state);
            if children
                .first()
                .is_some_and(|c| c.depth > MAX_NESTING_DEPTH)
            {
                self.error(
                    Code::TooDeeplyNested,
                    at.clone(),
                    format!(
                        "this {} state is nested {} levels deep in Parallel and Map states; at most {MAX_NESTING_DEPTH} are allowed",
                        state.type_name(),
                        graph.depth + 1
                    ),
                );
                continue;
            }
            for child in children {
                self.graph(child);
            }
        }
        self.transitions(&graph);
    }

    fn state_name(&mut self, name: &'m str, at: &str) {
        if let Some(message) = syntax::state_name_error(name) {
            self.error(Code::InvalidStateName, at, message);
        }
        match self.first_state.get(name) {
            Some(first) => {
                let message = format!(
                    "the state name `{name}` is already used at `{first}`; state names must be unique in the whole state machine, nested graphs included"
                );
                self.error(Code::DuplicateStateName, at, message);
            }
            None => {
                self.first_state.insert(name, at.to_string());
            }
        }
    }

    /// `StartAt` and every transition name a state of this graph; there is a terminal state;
    /// every state is the target of `StartAt` or of another state's transition.
    fn transitions(&mut self, graph: &StateGraph<'m>) {
        if !graph.states.contains_key(graph.start_at) {
            self.missing_target(
                graph,
                pointer_push(&graph.pointer, "StartAt"),
                "StartAt",
                graph.start_at,
            );
        }
        for (name, state) in graph.states {
            let at = graph.state_pointer(name);
            for edge in graph::successors(state) {
                if !graph.states.contains_key(edge.target) {
                    let field = match edge.kind {
                        graph::EdgeKind::Default => "Default",
                        _ => "Next",
                    };
                    self.missing_target(
                        graph,
                        format!("{at}{}", edge.kind.pointer_suffix()),
                        field,
                        edge.target,
                    );
                }
            }
        }
        if graph.states.is_empty() {
            return;
        }
        if !graph.states.values().any(graph::is_terminal) {
            let what = if graph.depth == 0 {
                "the state machine"
            } else {
                "this nested state graph"
            };
            self.error(
                Code::MissingEndState,
                graph.pointer.clone(),
                format!(
                    "{what} has no terminal state; at least one state must have `End: true` or be a Succeed or Fail state"
                ),
            );
            // As on AWS, a graph without a terminal state is not also checked for unreachable
            // states.
            return;
        }
        let mut referenced: Vec<&str> = vec![graph.start_at];
        for (name, state) in graph.states {
            referenced.extend(
                graph::successors(state)
                    .into_iter()
                    .map(|e| e.target)
                    .filter(|target| target != name),
            );
        }
        for name in graph.states.keys() {
            if !referenced.contains(&name.as_str()) {
                self.error(
                    Code::MissingTransitionTarget,
                    graph.state_pointer(name),
                    format!(
                        "the state `{name}` is not reachable: no `StartAt`, `Next`, `Default` or catcher of another state names it"
                    ),
                );
            }
        }
    }

    fn missing_target(&mut self, graph: &StateGraph<'m>, at: String, field: &str, target: &str) {
        let message = match self.graph_of.get(target) {
            Some(other) => {
                let other = if other.is_empty() {
                    "the top level of the state machine".to_string()
                } else {
                    format!("the nested state graph at `{other}`")
                };
                format!(
                    "`{field}` names `{target}`, which is in {other}; a transition cannot enter or leave a Parallel branch or a Map processor"
                )
            }
            None => {
                let mut names: Vec<String> = graph
                    .states
                    .keys()
                    .take(8)
                    .map(|n| format!("`{n}`"))
                    .collect();
                if graph.states.len() > 8 {
                    names.push("...".to_string());
                }
                format!(
                    "`{field}` names the state `{target}`, which does not exist; expected one of {}",
                    names.join(", ")
                )
            }
        };
        self.error(Code::MissingTransitionTarget, at, message);
    }
}
