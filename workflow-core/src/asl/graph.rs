//! The state graph of a definition: the transitions out of a state, reachability, the nested
//! graphs of Parallel branches and Map processors, and Mermaid and DOT renderings.
//!
//! A *state graph* is one `StartAt` + `States` pair: the state machine itself, a Parallel branch,
//! or a Map `ItemProcessor` (or legacy `Iterator`). Transitions never cross from one state graph
//! into another.

use std::collections::VecDeque;
use std::fmt::Write as _;

use indexmap::{IndexMap, IndexSet};
use serde_json::Value;

use super::diag::pointer_push;
use super::model::*;

/// Why a transition exists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EdgeKind<'a> {
    /// The state's `Next`.
    Next,
    /// A Choice rule's `Next`; `index` is its position in `Choices`.
    Choice { index: usize, rule: &'a ChoiceRule },
    /// A Choice state's `Default`.
    Default,
    /// A catcher's `Next`; `index` is its position in `Catch`.
    Catch { index: usize, catcher: &'a Catcher },
}

impl EdgeKind<'_> {
    /// The JSON pointer of the field holding the target, relative to the state
    /// (`/Next`, `/Choices/0/Next`, `/Default`, `/Catch/1/Next`).
    pub fn pointer_suffix(&self) -> String {
        match self {
            EdgeKind::Next => "/Next".to_string(),
            EdgeKind::Choice { index, .. } => format!("/Choices/{index}/Next"),
            EdgeKind::Default => "/Default".to_string(),
            EdgeKind::Catch { index, .. } => format!("/Catch/{index}/Next"),
        }
    }

    /// A short human-readable label for renderings: the choice rule's condition, `default`, or
    /// the errors a catcher handles. `None` for a plain `Next`.
    pub fn label(&self) -> Option<String> {
        match self {
            EdgeKind::Next => None,
            EdgeKind::Choice { rule, .. } => Some(shorten(&condition_label(&rule.condition))),
            EdgeKind::Default => Some("default".to_string()),
            EdgeKind::Catch { catcher, .. } => Some(shorten(&format!(
                "catch {}",
                catcher.error_equals.join(", ")
            ))),
        }
    }
}

/// One transition out of a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge<'a> {
    /// The name of the state the transition goes to (which may not exist in a broken
    /// definition).
    pub target: &'a str,
    pub kind: EdgeKind<'a>,
}

/// The transitions out of a state, in document order: `Next`, the Choice rules, `Default`, then
/// the catchers.
pub fn successors(state: &State) -> Vec<Edge<'_>> {
    let mut out = Vec::new();
    if let Some(Transition::Next(next)) = state.transition() {
        out.push(Edge {
            target: next,
            kind: EdgeKind::Next,
        });
    }
    if let StateKind::Choice(choice) = &state.kind {
        for (index, rule) in choice.choices.iter().enumerate() {
            if let Some(next) = &rule.next {
                out.push(Edge {
                    target: next,
                    kind: EdgeKind::Choice { index, rule },
                });
            }
        }
        if let Some(default) = &choice.default {
            out.push(Edge {
                target: default,
                kind: EdgeKind::Default,
            });
        }
    }
    if let Some(catchers) = state.errors().and_then(|e| e.catch.as_ref()) {
        for (index, catcher) in catchers.iter().enumerate() {
            out.push(Edge {
                target: &catcher.next,
                kind: EdgeKind::Catch { index, catcher },
            });
        }
    }
    out
}

/// Whether the state ends its state graph: `End: true`, Succeed or Fail.
pub fn is_terminal(state: &State) -> bool {
    match &state.kind {
        StateKind::Succeed(_) | StateKind::Fail(_) => true,
        _ => matches!(state.transition(), Some(Transition::End)),
    }
}

/// The states reachable from `start_at` by following transitions, in breadth-first order,
/// `start_at` first. Targets that do not exist are skipped. Empty when `start_at` does not exist.
pub fn reachable<'a>(start_at: &str, states: &'a IndexMap<String, State>) -> IndexSet<&'a str> {
    let mut seen = IndexSet::new();
    let Some((start, _)) = states.get_key_value(start_at) else {
        return seen;
    };
    let mut queue = VecDeque::from([start.as_str()]);
    seen.insert(start.as_str());
    while let Some(name) = queue.pop_front() {
        let Some(state) = states.get(name) else {
            continue;
        };
        for edge in successors(state) {
            if let Some((target, _)) = states.get_key_value(edge.target)
                && seen.insert(target.as_str())
            {
                queue.push_back(target.as_str());
            }
        }
    }
    seen
}

/// One `StartAt` + `States` pair: the state machine, a Parallel branch or a Map processor.
#[derive(Debug, Clone)]
pub struct StateGraph<'a> {
    pub start_at: &'a str,
    pub states: &'a IndexMap<String, State>,
    /// The JSON pointer of the object holding `StartAt` and `States` (`""` for the state
    /// machine, `/States/P/Branches/0`, `/States/M/ItemProcessor`, ...).
    pub pointer: String,
    /// 0 for the state machine, 1 inside a top-level Parallel or Map, and so on.
    pub depth: usize,
}

impl<'a> StateGraph<'a> {
    /// The state machine's own graph.
    pub fn of_machine(machine: &'a StateMachine) -> Self {
        StateGraph {
            start_at: &machine.start_at,
            states: &machine.states,
            pointer: String::new(),
            depth: 0,
        }
    }

    /// The JSON pointer of one of this graph's states.
    pub fn state_pointer(&self, name: &str) -> String {
        pointer_push(&pointer_push(&self.pointer, "States"), name)
    }

    /// The graphs nested directly in `state` (named `name` in this graph): Parallel branches
    /// or a Map processor.
    pub fn children(&self, name: &str, state: &'a State) -> Vec<StateGraph<'a>> {
        let at = self.state_pointer(name);
        nested_branches(state)
            .into_iter()
            .map(|(suffix, branch)| StateGraph {
                start_at: &branch.start_at,
                states: &branch.states,
                pointer: format!("{at}{suffix}"),
                depth: self.depth + 1,
            })
            .collect()
    }
}

/// The graphs nested directly in a state, with the pointer of each relative to the state
/// (`/Branches/0`, `/ItemProcessor`, `/Iterator`).
pub fn nested_branches(state: &State) -> Vec<(String, &Branch)> {
    match &state.kind {
        StateKind::Parallel(parallel) => parallel
            .branches
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("/Branches/{i}"), b))
            .collect(),
        StateKind::Map(map) => {
            let key = if map.processor_is_iterator {
                "/Iterator"
            } else {
                "/ItemProcessor"
            };
            vec![(key.to_string(), &map.item_processor)]
        }
        _ => Vec::new(),
    }
}

/// Every state graph of the machine, the machine's own first, then nested ones in document
/// order (depth first).
pub fn state_graphs(machine: &StateMachine) -> Vec<StateGraph<'_>> {
    fn walk<'a>(graph: StateGraph<'a>, out: &mut Vec<StateGraph<'a>>) {
        let children: Vec<_> = graph
            .states
            .iter()
            .flat_map(|(name, state)| graph.children(name, state))
            .collect();
        out.push(graph);
        for child in children {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    walk(StateGraph::of_machine(machine), &mut out);
    out
}

/// A one-line rendering of a choice rule's condition, e.g. `$.x == 1`, `$.a is present and
/// $.b > 2`, or the text of a JSONata `Condition` without its `{% %}`.
pub fn condition_label(condition: &Condition) -> String {
    fn nested(rule: &ChoiceRule) -> String {
        match &rule.condition {
            c @ (Condition::And(_) | Condition::Or(_)) => format!("({})", condition_label(c)),
            c => condition_label(c),
        }
    }
    match condition {
        Condition::Jsonata(Value::String(text)) => jsonata_body(text).to_string(),
        Condition::Jsonata(other) => other.to_string(),
        Condition::And(rules) => rules.iter().map(nested).collect::<Vec<_>>().join(" and "),
        Condition::Or(rules) => rules.iter().map(nested).collect::<Vec<_>>().join(" or "),
        Condition::Not(rule) => format!("not {}", nested_not(rule)),
        Condition::Compare {
            variable,
            op,
            operand,
        } => compare_label(variable, *op, operand),
    }
}

fn nested_not(rule: &ChoiceRule) -> String {
    format!("({})", condition_label(&rule.condition))
}

fn compare_label(variable: &str, op: ComparisonOp, operand: &Operand) -> String {
    use ComparisonOp::*;
    let rhs = match operand {
        Operand::Literal(value) => value.to_string(),
        Operand::Path(path) => path.clone(),
    };
    let test = |what: &str| match operand {
        Operand::Literal(Value::Bool(false)) => format!("{variable} is not {what}"),
        Operand::Literal(Value::Bool(true)) => format!("{variable} is {what}"),
        _ => format!("{variable} is {what} == {rhs}"),
    };
    let symbol = match op {
        StringEquals | NumericEquals | BooleanEquals | TimestampEquals => "==",
        StringLessThan | NumericLessThan | TimestampLessThan => "<",
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => ">",
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => "<=",
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => ">=",
        StringMatches => "matches",
        IsNull => return test("null"),
        IsPresent => return test("present"),
        IsNumeric => return test("numeric"),
        IsString => return test("a string"),
        IsBoolean => return test("a boolean"),
        IsTimestamp => return test("a timestamp"),
    };
    format!("{variable} {symbol} {rhs}")
}

/// The text between `{%` and `%}`, trimmed; the whole string when it is not wrapped.
fn jsonata_body(text: &str) -> &str {
    let trimmed = text.trim();
    trimmed
        .strip_prefix("{%")
        .and_then(|t| t.strip_suffix("%}"))
        .map(str::trim)
        .unwrap_or(trimmed)
}

const MAX_LABEL_CHARS: usize = 48;

fn shorten(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_LABEL_CHARS {
        one_line
    } else {
        let mut out: String = one_line.chars().take(MAX_LABEL_CHARS - 3).collect();
        out.push_str("...");
        out
    }
}

/// Gives every state of the machine a short, unique node id (`s0`, `s1`, ...) in document order,
/// nested graphs right after the state that holds them.
struct NodeIds {
    next: usize,
}

impl NodeIds {
    fn take(&mut self) -> String {
        let id = format!("s{}", self.next);
        self.next += 1;
        id
    }

    /// The ids of a graph's states, in the graph's order.
    fn assign<'a>(&mut self, states: &'a IndexMap<String, State>) -> IndexMap<&'a str, String> {
        states
            .keys()
            .map(|name| (name.as_str(), self.take()))
            .collect()
    }
}

/// Renders the machine as a Mermaid `stateDiagram-v2`. Parallel and Map states become composite
/// states holding their branches (separated by `--`) or their processor; Choice rules, `Default`
/// and catchers label their edges. The output is deterministic.
pub fn to_mermaid(machine: &StateMachine) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    let mut ids = NodeIds { next: 0 };
    mermaid_graph(&mut out, &mut ids, &machine.start_at, &machine.states, 1);
    out
}

fn mermaid_graph(
    out: &mut String,
    ids: &mut NodeIds,
    start_at: &str,
    states: &IndexMap<String, State>,
    indent: usize,
) {
    let pad = "    ".repeat(indent);
    let node_ids = ids.assign(states);
    for (name, state) in states {
        let id = &node_ids[name.as_str()];
        let _ = writeln!(out, "{pad}state \"{}\" as {id}", mermaid_text(name));
        let branches = nested_branches(state);
        if branches.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{pad}state {id} {{");
        for (i, (_, branch)) in branches.iter().enumerate() {
            if i > 0 {
                let _ = writeln!(out, "{pad}    --");
            }
            mermaid_graph(out, ids, &branch.start_at, &branch.states, indent + 1);
        }
        let _ = writeln!(out, "{pad}}}");
    }
    if let Some(start) = node_ids.get(start_at) {
        let _ = writeln!(out, "{pad}[*] --> {start}");
    }
    for (name, state) in states {
        let id = &node_ids[name.as_str()];
        for edge in successors(state) {
            let Some(target) = node_ids.get(edge.target) else {
                continue;
            };
            match edge.kind.label() {
                Some(label) => {
                    let _ = writeln!(out, "{pad}{id} --> {target} : {}", mermaid_text(&label));
                }
                None => {
                    let _ = writeln!(out, "{pad}{id} --> {target}");
                }
            }
        }
        if is_terminal(state) {
            match &state.kind {
                StateKind::Fail(_) => {
                    let _ = writeln!(out, "{pad}{id} --> [*] : fail");
                }
                _ => {
                    let _ = writeln!(out, "{pad}{id} --> [*]");
                }
            }
        }
    }
}

/// Escapes text for a Mermaid label: entity codes for the characters Mermaid would read as
/// syntax, one line.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            ';' => out.push_str("#59;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Renders the machine as a Graphviz `digraph`. Each Parallel branch and Map processor is a
/// `cluster` subgraph with its own start and end points, entered by a dashed edge from the
/// state that runs it. Choice states are diamonds, Fail states red, terminal states have an
/// edge to the end point. The output is deterministic.
pub fn to_dot(machine: &StateMachine) -> String {
    let mut out = String::from("digraph \"state machine\" {\n");
    out.push_str("    rankdir=TB;\n");
    out.push_str("    graph [fontname=\"Helvetica\"];\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
    let mut ids = NodeIds { next: 0 };
    dot_graph(
        &mut out,
        &mut ids,
        "start",
        "end",
        &machine.start_at,
        &machine.states,
        1,
    );
    out.push_str("}\n");
    out
}

fn dot_graph(
    out: &mut String,
    ids: &mut NodeIds,
    start_id: &str,
    end_id: &str,
    start_at: &str,
    states: &IndexMap<String, State>,
    indent: usize,
) {
    let pad = "    ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}{start_id} [shape=circle, label=\"\", width=0.2, style=filled, fillcolor=black];"
    );
    let _ = writeln!(
        out,
        "{pad}{end_id} [shape=doublecircle, label=\"\", width=0.15, style=filled, fillcolor=black];"
    );
    let node_ids = ids.assign(states);
    for (name, state) in states {
        let id = &node_ids[name.as_str()];
        let attrs = match &state.kind {
            StateKind::Choice(_) => ", shape=diamond, style=\"\"",
            StateKind::Fail(_) => ", color=red",
            StateKind::Succeed(_) => ", color=darkgreen",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{pad}{id} [label=\"{}\\n({})\"{attrs}];",
            dot_text(name),
            state.type_name()
        );
    }
    if let Some(start) = node_ids.get(start_at) {
        let _ = writeln!(out, "{pad}{start_id} -> {start};");
    }
    for (name, state) in states {
        let id = &node_ids[name.as_str()];
        for edge in successors(state) {
            let Some(target) = node_ids.get(edge.target) else {
                continue;
            };
            let style = match edge.kind {
                EdgeKind::Catch { .. } => ", style=dashed, color=red",
                _ => "",
            };
            match edge.kind.label() {
                Some(label) => {
                    let _ = writeln!(
                        out,
                        "{pad}{id} -> {target} [label=\"{}\"{style}];",
                        dot_text(&label)
                    );
                }
                None => {
                    let _ = writeln!(out, "{pad}{id} -> {target};");
                }
            }
        }
        if is_terminal(state) {
            let _ = writeln!(out, "{pad}{id} -> {end_id};");
        }
        for (i, (suffix, branch)) in nested_branches(state).into_iter().enumerate() {
            let cluster = format!("{id}_{i}");
            let title = match &state.kind {
                StateKind::Parallel(_) => format!("{name}: branch {}", i + 1),
                _ => format!("{name}: {}", suffix.trim_start_matches('/')),
            };
            let _ = writeln!(out, "{pad}subgraph cluster_{cluster} {{");
            let _ = writeln!(out, "{pad}    label=\"{}\";", dot_text(&title));
            let _ = writeln!(out, "{pad}    style=dashed;");
            let (inner_start, inner_end) = (format!("{cluster}_start"), format!("{cluster}_end"));
            dot_graph(
                out,
                ids,
                &inner_start,
                &inner_end,
                &branch.start_at,
                &branch.states,
                indent + 1,
            );
            let _ = writeln!(out, "{pad}}}");
            let _ = writeln!(
                out,
                "{pad}{id} -> {inner_start} [style=dotted, arrowhead=none];"
            );
        }
    }
}

/// Escapes text for a quoted DOT string.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::parse_value;
    use serde_json::json;

    fn machine(value: Value) -> StateMachine {
        parse_value(&value).expect("fixture parses")
    }

    fn branching() -> StateMachine {
        machine(json!({
            "StartAt": "Check",
            "States": {
                "Check": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Work"},
                        {"And": [
                            {"Variable": "$.a", "IsPresent": true},
                            {"Not": {"Variable": "$.b", "StringEquals": "x"}}
                        ], "Next": "Done"}
                    ],
                    "Default": "Oops"
                },
                "Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}],
                    "Next": "Done"
                },
                "Done": {"Type": "Succeed"},
                "Oops": {"Type": "Fail", "Error": "E"},
                "Island": {"Type": "Pass", "Next": "Done"}
            }
        }))
    }

    #[test]
    fn successors_are_in_document_order_with_kinds() {
        let m = branching();
        let edges = successors(&m.states["Check"]);
        let targets: Vec<_> = edges.iter().map(|e| e.target).collect();
        assert_eq!(targets, ["Work", "Done", "Oops"]);
        assert_eq!(edges[0].kind.pointer_suffix(), "/Choices/0/Next");
        assert_eq!(edges[2].kind, EdgeKind::Default);
        let work = successors(&m.states["Work"]);
        assert_eq!(work[0].kind, EdgeKind::Next);
        assert_eq!(work[1].kind.pointer_suffix(), "/Catch/0/Next");
        assert_eq!(work[1].kind.label().as_deref(), Some("catch States.ALL"));
    }

    #[test]
    fn condition_labels_read_like_expressions() {
        let m = branching();
        let edges = successors(&m.states["Check"]);
        assert_eq!(edges[0].kind.label().as_deref(), Some("$.n > 1"));
        assert_eq!(
            edges[1].kind.label().as_deref(),
            Some("$.a is present and not ($.b == \"x\")")
        );
    }

    #[test]
    fn reachable_follows_every_kind_of_edge_and_skips_islands() {
        let m = branching();
        let seen: Vec<_> = reachable(&m.start_at, &m.states).into_iter().collect();
        assert_eq!(seen, ["Check", "Work", "Done", "Oops"]);
        assert!(reachable("Nowhere", &m.states).is_empty());
    }

    #[test]
    fn state_graphs_lists_nested_graphs_with_pointers_and_depth() {
        let m = machine(json!({
            "StartAt": "P",
            "States": {
                "P": {"Type": "Parallel", "End": true, "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
                        "ItemProcessor": {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}}}}
                ]}
            }
        }));
        let graphs: Vec<_> = state_graphs(&m)
            .into_iter()
            .map(|g| (g.pointer, g.depth, g.start_at.to_string()))
            .collect();
        assert_eq!(
            graphs,
            [
                (String::new(), 0, "P".to_string()),
                ("/States/P/Branches/0".to_string(), 1, "A".to_string()),
                ("/States/P/Branches/1".to_string(), 1, "M".to_string()),
                (
                    "/States/P/Branches/1/States/M/ItemProcessor".to_string(),
                    2,
                    "B".to_string()
                ),
            ]
        );
    }

    fn nested() -> StateMachine {
        machine(json!({
            "StartAt": "Fan out",
            "States": {
                "Fan out": {"Type": "Parallel", "Next": "Each", "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
                    {"StartAt": "B \"quoted\"", "States": {"B \"quoted\"": {"Type": "Succeed"}}}
                ]},
                "Each": {"Type": "Map", "End": true,
                    "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Fail"}}}}
            }
        }))
    }

    #[test]
    fn mermaid_output_nests_branches_and_processors() {
        let want = "\
stateDiagram-v2
    state \"Fan out\" as s0
    state s0 {
        state \"A\" as s2
        [*] --> s2
        s2 --> [*]
        --
        state \"B #quot;quoted#quot;\" as s3
        [*] --> s3
        s3 --> [*]
    }
    state \"Each\" as s1
    state s1 {
        state \"C\" as s4
        [*] --> s4
        s4 --> [*] : fail
    }
    [*] --> s0
    s0 --> s1
    s1 --> [*]
";
        assert_eq!(to_mermaid(&nested()), want);
    }

    #[test]
    fn mermaid_labels_choice_and_catch_edges() {
        let text = to_mermaid(&branching());
        assert!(text.contains("s0 --> s1 : $.n > 1\n"), "{text}");
        assert!(text.contains("s0 --> s3 : default\n"), "{text}");
        assert!(text.contains("s1 --> s3 : catch States.ALL\n"), "{text}");
    }

    #[test]
    fn dot_output_uses_clusters_for_nested_graphs() {
        let text = to_dot(&nested());
        assert!(text.starts_with("digraph \"state machine\" {\n"), "{text}");
        assert!(
            text.contains("    subgraph cluster_s0_0 {\n        label=\"Fan out: branch 1\";"),
            "{text}"
        );
        assert!(
            text.contains("s3 [label=\"B \\\"quoted\\\"\\n(Succeed)\", color=darkgreen];"),
            "{text}"
        );
        assert!(
            text.contains("    subgraph cluster_s1_0 {\n        label=\"Each: ItemProcessor\";"),
            "{text}"
        );
        assert!(text.contains("    s0 -> s1;\n"), "{text}");
        assert!(text.contains("    start -> s0;\n"), "{text}");
        assert!(text.ends_with("}\n"));
        assert_eq!(text, to_dot(&nested()), "output is deterministic");
    }

    #[test]
    fn dot_styles_catch_edges_and_labels_choices() {
        let text = to_dot(&branching());
        assert!(text.contains("s0 -> s1 [label=\"$.n > 1\"];"), "{text}");
        assert!(
            text.contains("s1 -> s3 [label=\"catch States.ALL\", style=dashed, color=red];"),
            "{text}"
        );
        assert!(
            text.contains("s0 [label=\"Check\\n(Choice)\", shape=diamond, style=\"\"];"),
            "{text}"
        );
    }
}
