//! Graph helpers on real definitions: every corpus definition renders to Mermaid and DOT, the
//! same way twice, with one node per state.

use serde_json::Value;
use workflow_core::asl::{self, graph};

#[test]
fn every_corpus_definition_renders_deterministically() {
    let text = include_str!("../conformance/localstack-aws-recorded.jsonl");
    let mut rendered = 0;
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).expect("corpus line is JSON");
        let machine = asl::parse_value(&case["definition"]).expect("corpus definitions parse");
        let n_states: usize = graph::state_graphs(&machine)
            .iter()
            .map(|g| g.states.len())
            .sum();
        let mermaid = graph::to_mermaid(&machine);
        assert_eq!(mermaid, graph::to_mermaid(&machine));
        assert_eq!(mermaid.matches("\" as s").count(), n_states, "{mermaid}");
        let dot = graph::to_dot(&machine);
        assert_eq!(dot, graph::to_dot(&machine));
        assert!(dot.starts_with("digraph") && dot.ends_with("}\n"), "{dot}");
        let top = graph::reachable(&machine.start_at, &machine.states);
        assert_eq!(top.first().copied(), Some(machine.start_at.as_str()));
        rendered += 1;
    }
    assert!(rendered > 800);
}
