//! Walking a value along path segments the way Jayway does, and explaining a miss in Jayway's
//! words.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::Segment;
use crate::expr::java;

/// Every match of `segments` below `node`, in Jayway's order. `root` is what `$` means inside
/// filters.
pub(super) fn select_segments<'v>(
    node: &'v Value,
    segments: &[Segment],
    root: &'v Value,
) -> Vec<Cow<'v, Value>> {
    let mut out = Vec::new();
    walk(node, segments, root, &mut out);
    out
}

fn walk<'v>(node: &'v Value, segments: &[Segment], root: &'v Value, out: &mut Vec<Cow<'v, Value>>) {
    let Some((segment, rest)) = segments.split_first() else {
        out.push(Cow::Borrowed(node));
        return;
    };
    match segment {
        Segment::Field(name) => {
            if let Some(child) = node.as_object().and_then(|m| m.get(name)) {
                walk(child, rest, root, out);
            }
        }
        Segment::Fields(names) => {
            let Value::Object(map) = node else { return };
            if rest.is_empty() {
                // A trailing multi-property selection merges into one object (Jayway's
                // "multi property merge"), skipping the names that are not there.
                let mut merged = Map::new();
                for name in names {
                    if let Some(child) = map.get(name) {
                        merged.insert(name.clone(), child.clone());
                    }
                }
                out.push(Cow::Owned(Value::Object(merged)));
            } else {
                for name in names {
                    if let Some(child) = map.get(name) {
                        walk(child, rest, root, out);
                    }
                }
            }
        }
        Segment::Index(i) => {
            if let Some(child) = node.as_array().and_then(|a| element(a, *i)) {
                walk(child, rest, root, out);
            }
        }
        Segment::Indexes(indexes) => {
            let Value::Array(items) = node else { return };
            for i in indexes {
                if let Some(child) = element(items, *i) {
                    walk(child, rest, root, out);
                }
            }
        }
        Segment::Slice { start, end, .. } => {
            let Value::Array(items) = node else { return };
            for i in slice_indexes(items.len(), *start, *end) {
                if let Some(child) = element(items, i) {
                    walk(child, rest, root, out);
                }
            }
        }
        Segment::Wildcard => match node {
            Value::Object(map) => {
                for child in map.values() {
                    walk(child, rest, root, out);
                }
            }
            Value::Array(items) => {
                for child in items {
                    walk(child, rest, root, out);
                }
            }
            _ => {}
        },
        Segment::Descendants => {
            if let Some(target) = rest.first() {
                scan(node, target, rest, root, out);
            }
        }
        Segment::Filter(filter) => match node {
            // On an object a filter tests the object itself.
            Value::Object(_) if filter.matches(node, root) => walk(node, rest, root, out),
            // Step Functions' `@` only matches objects, so scalar elements never pass.
            Value::Array(items) => {
                for child in items {
                    if child.is_object() && filter.matches(child, root) {
                        walk(child, rest, root, out);
                    }
                }
            }
            _ => {}
        },
    }
}

/// `..`: visits `node` and every container below it, depth first, parents before children,
/// and applies `segments` (which start with `target`) where `target` can apply.
fn scan<'v>(
    node: &'v Value,
    target: &Segment,
    segments: &[Segment],
    root: &'v Value,
    out: &mut Vec<Cow<'v, Value>>,
) {
    let children: Box<dyn Iterator<Item = &'v Value>> = match node {
        Value::Object(map) => Box::new(map.values()),
        Value::Array(items) => Box::new(items.iter()),
        _ => return,
    };
    let leaf = segments.len() == 1;
    let applies = match target {
        Segment::Field(name) => node.as_object().is_some_and(|m| m.contains_key(name)),
        Segment::Fields(names) => node
            .as_object()
            .is_some_and(|m| !leaf || names.iter().all(|n| m.contains_key(n))),
        Segment::Index(_) | Segment::Indexes(_) | Segment::Slice { .. } => node.is_array(),
        Segment::Wildcard => true,
        Segment::Filter(filter) => node.is_object() && filter.matches(node, root),
        Segment::Descendants => false,
    };
    if applies {
        match target {
            // The object already passed the filter; go on with what follows it.
            Segment::Filter(_) => walk(node, &segments[1..], root, out),
            _ => walk(node, segments, root, out),
        }
    }
    for child in children {
        if child.is_object() || child.is_array() {
            scan(child, target, segments, root, out);
        }
    }
}

/// The element at `i`, counting from the end when negative.
pub(super) fn element(items: &[Value], i: i64) -> Option<&Value> {
    let len = items.len() as i64;
    let i = if i < 0 { len.checked_add(i)? } else { i };
    usize::try_from(i).ok().and_then(|i| items.get(i))
}

/// The indexes a Jayway slice visits, before negative ones are counted from the end.
///
/// Jayway normalises a negative start only when there is no end (`[-2:]`) and a negative end
/// only when there is no start (`[:-1]`); in `[from:to]` a negative `from` walks through the
/// negative indexes, each counted from the end, and a negative `to` selects nothing. The step
/// of `[from:to:step]` is ignored.
pub(super) fn slice_indexes(
    len: usize,
    start: Option<i64>,
    end: Option<i64>,
) -> std::ops::Range<i64> {
    let len = len as i64;
    match (start, end) {
        (Some(from), None) => {
            let from = if from < 0 { len + from } else { from }.max(0);
            if len == 0 || from >= len {
                0..0
            } else {
                from..len
            }
        }
        (Some(from), Some(to)) => {
            let to = to.min(len);
            // Indexes below -len are out of range either way; skip them without visiting.
            let from = from.max(-len);
            if from >= to || len == 0 {
                0..0
            } else {
                from..to
            }
        }
        (None, Some(to)) => {
            if len == 0 {
                return 0..0;
            }
            let to = if to < 0 { len + to } else { to }.min(len);
            0..to.max(0)
        }
        (None, None) => 0..0,
    }
}

/// Jayway's text for a definite path that found nothing: why, as its `PathNotFoundException`
/// says it. `normalized` is the whole path in Jayway's notation.
pub(super) fn miss_message(root: &Value, segments: &[Segment], normalized: &str) -> String {
    let no_results = || format!("No results for path: {normalized}");
    let mut current = String::from("$");
    let mut node = root;
    for (i, segment) in segments.iter().enumerate() {
        let leaf = i + 1 == segments.len();
        match segment {
            Segment::Field(_) | Segment::Fields(_) => {
                let Value::Object(map) = node else {
                    return format!(
                        "Expected to find an object with property {} in path {current} but found '{}'. \
                         This is not a json object according to the JsonProvider: '{}'.",
                        segment.fragment(),
                        java::java_class_name(node),
                        java::JSON_PROVIDER
                    );
                };
                let Segment::Field(name) = segment else {
                    // A trailing multi-property selection always finds its (maybe empty) object.
                    return no_results();
                };
                match map.get(name) {
                    Some(child) => {
                        current.push_str(&segment.fragment());
                        node = child;
                    }
                    None if leaf => return no_results(),
                    None => return format!("Missing property in path {current}['{name}']"),
                }
            }
            Segment::Index(index) => match node {
                Value::Null => return format!("The path {current} is null"),
                Value::Array(items) => match element(items, *index) {
                    Some(child) => {
                        current.push_str(&segment.fragment());
                        node = child;
                    }
                    None => return no_results(),
                },
                other => {
                    let rest: String = segments[i..].iter().map(Segment::fragment).collect();
                    return format!(
                        "Filter: {rest} can only be applied to arrays. Current context is: {}",
                        java::to_java_string(other)
                    );
                }
            },
            _ => return no_results(),
        }
    }
    no_results()
}
