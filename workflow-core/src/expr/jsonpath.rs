//! JSONPath as Step Functions evaluates it (the Jayway dialect), rooted at the state input (`$`),
//! the context object (`$$`) or a variable (`$name`).
//!
//! A [`Path`] is compiled once and evaluated many times. What it selects depends on whether it
//! is *definite*:
//!
//! - a definite path (only `.name`, `['name']`, `[n]`, and a trailing `['a','b']`) selects one
//!   value, or nothing;
//! - an indefinite path (`*`, `..`, `[a:b]`, `[0,1]`, filters) selects the array of its matches,
//!   empty when nothing matches, and never fails for a missing node.
//!
//! Where Jayway and Step Functions have quirks, this module follows them; each one is written
//! down where it is implemented:
//!
//! - `name()` is a property name, not a function call: Step Functions does not evaluate path
//!   functions, so `$.items.length()` finds nothing;
//! - a trailing `['a','b']` is definite and gives one object with the fields that exist;
//! - a filter on an array only tests the elements that are objects, and on an object tests the
//!   object itself;
//! - slices follow Jayway's arithmetic (see [`Segment::Slice`]);
//! - inside a quoted name a backslash is kept as written.
//!
//! Failures are reported with AWS's texts: [`Path::invalid_path_error`] for `InputPath`,
//! `OutputPath`, `ItemsPath` and the like, [`Path::not_found_error`] for payload templates and
//! `ErrorPath`/`CausePath`, and [`ReferencePath::apply`] for `ResultPath`.

use std::borrow::Cow;
use std::fmt::Write;

use serde_json::Value;

use super::{CompileError, ErrorName, EvalError, Scope};

mod eval;
mod filter;
mod parse;
#[cfg(test)]
mod tests;

pub(crate) use super::java::hash_map_order;
pub use super::java::to_json_string;
pub use filter::Filter;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `$`: the state input (or whatever value the field applies to).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Field(String),
    /// `['a','b']`: several fields. At the end of a path it selects one object holding those
    /// of the fields that exist; elsewhere it selects each field that exists.
    Fields(Vec<String>),
    /// `[n]`; negative counts from the end.
    Index(i64),
    /// `[0,2]`: several elements; negative indexes count from the end.
    Indexes(Vec<i64>),
    /// `[start:end]`, `[start:]`, `[:end]`, with Jayway's arithmetic: a negative `start` alone
    /// and a negative `end` alone count from the end, but in `[start:end]` neither is
    /// normalised, so `[1:-1]` selects nothing and `[-2:2]` walks -2, -1, 0, 1. The `step` of
    /// `[start:end:step]` is parsed and, as in Jayway, ignored.
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    /// `.*` or `[*]`: every member of an object or element of an array.
    Wildcard,
    /// `..`: the following segment applied at every depth, the current node included.
    Descendants,
    /// `[?(...)]`.
    Filter(Box<Filter>),
}

impl Segment {
    /// Jayway's rendering of the segment in a normalised path: `['a']`, `[0]`, `[1:3]`, `[*]`,
    /// `..`, `[?]`.
    pub fn fragment(&self) -> String {
        let mut out = String::new();
        match self {
            Segment::Field(name) => {
                let _ = write!(out, "['{name}']");
            }
            Segment::Fields(names) => {
                out.push('[');
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "'{name}'");
                }
                out.push(']');
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Segment::Indexes(indexes) => {
                out.push('[');
                for (n, i) in indexes.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{i}");
                }
                out.push(']');
            }
            Segment::Slice { start, end, .. } => {
                out.push('[');
                if let Some(start) = start {
                    let _ = write!(out, "{start}");
                }
                out.push(':');
                if let Some(end) = end {
                    let _ = write!(out, "{end}");
                }
                out.push(']');
            }
            Segment::Wildcard => out.push_str("[*]"),
            Segment::Descendants => out.push_str(".."),
            Segment::Filter(_) => out.push_str("[?]"),
        }
        out
    }

    /// Whether the segment selects at most one value; `last` says whether it ends the path,
    /// which makes `['a','b']` definite.
    fn is_definite(&self, last: bool) -> bool {
        match self {
            Segment::Field(_) | Segment::Index(_) => true,
            Segment::Fields(_) => last,
            Segment::Indexes(_)
            | Segment::Slice { .. }
            | Segment::Wildcard
            | Segment::Descendants
            | Segment::Filter(_) => false,
        }
    }
}

/// A compiled path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    source: String,
    root: Root,
    segments: Vec<Segment>,
    definite: bool,
    /// Only `Field` and `Index` segments: the path can be followed without recursion.
    simple: bool,
}

impl Path {
    /// Parses a path such as `$.order.items[0]`, `$$.Execution.Input`, `$total.amount` or
    /// `$.items[?(@.price < 10)].name`.
    pub fn parse(source: &str) -> Result<Path, CompileError> {
        let (root, segments) = parse::path(source)
            .map_err(|reason| CompileError::new(format!("invalid path '{source}': {reason}")))?;
        let definite = segments
            .iter()
            .enumerate()
            .all(|(i, s)| s.is_definite(i + 1 == segments.len()));
        let simple = segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)));
        Ok(Path {
            source: source.to_string(),
            root,
            segments,
            definite,
            simple,
        })
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the path selects at most one value (no wildcard, slice, union, descendant or
    /// filter), so that its result is that value rather than an array of matches.
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// Whether the path is a reference path in the ASL sense: only `.name`, `['name']` and
    /// `[n]` steps, so that it names exactly one node.
    pub fn is_reference(&self) -> bool {
        self.simple
    }

    /// Whether the path is `$` alone.
    pub fn is_identity(&self) -> bool {
        self.root == Root::Input && self.segments.is_empty()
    }

    /// Evaluates the path. A definite path gives the value it points at, or `None` when nothing
    /// is there; an indefinite one gives the array of its matches. A variable that is not in
    /// scope selects nothing.
    ///
    /// The result borrows from `input` or `scope` whenever it can: `$` and field/index chains
    /// never clone.
    pub fn select<'v>(
        &self,
        input: &'v Value,
        scope: &'v dyn Scope,
    ) -> Result<Option<Cow<'v, Value>>, EvalError> {
        let Some(start) = self.start(input, scope) else {
            return Ok(None);
        };
        if self.simple {
            let mut current = start;
            for segment in &self.segments {
                let next = match (segment, current) {
                    (Segment::Field(name), Value::Object(map)) => map.get(name),
                    (Segment::Index(i), Value::Array(items)) => eval::element(items, *i),
                    _ => None,
                };
                match next {
                    Some(v) => current = v,
                    None => return Ok(None),
                }
            }
            return Ok(Some(Cow::Borrowed(current)));
        }
        let mut found = eval::select_segments(start, &self.segments, start);
        if self.definite {
            Ok(found.pop())
        } else {
            Ok(Some(Cow::Owned(Value::Array(
                found.into_iter().map(Cow::into_owned).collect(),
            ))))
        }
    }

    fn start<'v>(&self, input: &'v Value, scope: &'v dyn Scope) -> Option<&'v Value> {
        match &self.root {
            Root::Input => Some(input),
            Root::Context => Some(scope.context()),
            Root::Variable(name) => scope.variable(name),
        }
    }

    /// The path in Jayway's normalised notation, as AWS quotes it: `$['a'][0]['b c']`. Every
    /// root is written `$`, because Step Functions evaluates `$$.x` and `$var.x` as `$.x`
    /// against the context object or the variable.
    pub fn normalized(&self) -> String {
        let mut out = String::from("$");
        for segment in &self.segments {
            out.push_str(&segment.fragment());
        }
        out
    }

    /// `Invalid path '$.x' : No results for path: $['x']`, the `States.Runtime` cause for a
    /// definite `InputPath`, `OutputPath`, `ItemsPath`, ... that selects nothing, without
    /// looking at why. Prefer [`Path::invalid_path_error`], which words the other cases (a
    /// missing intermediate field, a step into a non-object) as Jayway does.
    pub fn no_results_error(&self) -> EvalError {
        EvalError::runtime(format!(
            "Invalid path '{}' : No results for path: {}",
            self.source,
            self.normalized()
        ))
    }

    /// The `States.Runtime` error for a path that selected nothing where a value is required
    /// (`InputPath`, `OutputPath`, `ItemsPath`, `SecondsPath`, ...): `Invalid path '<path>' :
    /// <reason>`, where the reason is Jayway's, for instance `No results for path: $['x']` or
    /// `Missing property in path $['a']`.
    pub fn invalid_path_error(&self, input: &Value, scope: &dyn Scope) -> EvalError {
        let normalized = self.normalized();
        let reason = match self.start(input, scope) {
            Some(start) if self.definite => eval::miss_message(start, &self.segments, &normalized),
            _ => format!("No results for path: {normalized}"),
        };
        EvalError::runtime(format!("Invalid path '{}' : {reason}", self.source))
    }

    /// The `States.Runtime` error for a payload-template field (`"value.$"`) or a field such as
    /// `ErrorPath` whose path selected nothing: `The JSONPath '<path>' specified for the field
    /// '<field>' could not be found in the input '<input as compact JSON>'`. AWS quotes the
    /// state input here, for `$$` and `$var` paths too.
    pub fn not_found_error(&self, field: &str, input: &Value) -> EvalError {
        not_found_error(&self.source, field, input)
    }
}

pub(crate) fn not_found_error(source: &str, field: &str, input: &Value) -> EvalError {
    EvalError::runtime(format!(
        "The JSONPath '{source}' specified for the field '{field}' could not be found in the input '{}'",
        to_json_string(input)
    ))
}

/// The `States.Runtime` error AWS raises when a path is applied to a `null` state input:
/// `Unable to apply Path transformation to null or empty input.`
pub fn null_input_error() -> EvalError {
    EvalError::runtime("Unable to apply Path transformation to null or empty input.")
}

/// A reference path (`ResultPath`): a definite path that says where to write a value into the
/// state input.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    path: Path,
}

impl ReferencePath {
    /// Parses a `ResultPath`: `$`, or `$` followed by `.name`, `['name']` and `[n]` steps.
    pub fn parse(source: &str) -> Result<ReferencePath, CompileError> {
        let path = Path::parse(source)?;
        if path.root != Root::Input {
            return Err(CompileError::new(format!(
                "the reference path '{source}' must start with '$.' or '$['; the context object \
                 and variables cannot be written"
            )));
        }
        if !path.is_reference() {
            return Err(CompileError::new(format!(
                "the reference path '{source}' must name a single node; use only '.name', \
                 \"['name']\" and '[n]' steps"
            )));
        }
        Ok(ReferencePath { path })
    }

    pub fn source(&self) -> &str {
        self.path.source()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `value` at the path inside `target`, creating objects for missing fields on the
    /// way, and returns the combined value. `$` replaces the whole target.
    ///
    /// When the path cannot be applied this fails with AWS's `States.ReferencePathConflict`:
    /// `Unable to apply ReferencePath $.x to input "text"` when the target is not an object or
    /// array, and `Unable to apply step "b" to input {"a":1}` when a step meets a value it
    /// cannot go into (a field of a non-object, an index of a non-array or out of range). AWS
    /// gives these causes without the "An error occurred while executing the state" prefix.
    pub fn apply(&self, mut target: Value, value: Value) -> Result<Value, EvalError> {
        let segments = &self.path.segments;
        if segments.is_empty() {
            return Ok(value);
        }
        if let Some(error) = self.conflict(&target) {
            return Err(error);
        }
        // The walk above proved every step applies, so the lookups below cannot miss; the
        // `else` arms only keep the code free of panics.
        let mut current = &mut target;
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => {
                    if last {
                        map.insert(name.clone(), value);
                        return Ok(target);
                    }
                    map.entry(name.clone())
                        .or_insert_with(|| Value::Object(Default::default()))
                }
                (Segment::Index(index), Value::Array(items)) => {
                    let len = items.len() as i64;
                    let position = if *index < 0 { len + index } else { *index };
                    let Some(slot) = usize::try_from(position)
                        .ok()
                        .and_then(|p| items.get_mut(p))
                    else {
                        break;
                    };
                    if last {
                        *slot = value;
                        return Ok(target);
                    }
                    slot
                }
                _ => break,
            };
        }
        Err(self.conflict_error(segments.last(), &Value::Null))
    }

    /// Checks, without changing anything, that every step applies to `target`.
    fn conflict(&self, target: &Value) -> Option<EvalError> {
        if !matches!(target, Value::Object(_) | Value::Array(_)) {
            return Some(EvalError {
                name: ErrorName::ReferencePathConflict,
                message: format!(
                    "Unable to apply ReferencePath {} to input {}",
                    self.path.source,
                    to_json_string(target)
                ),
            });
        }
        // `None` stands for an object that the write will create.
        let mut current = Some(target);
        let segments = &self.path.segments;
        for segment in segments {
            current = match (segment, current) {
                (Segment::Field(_), None) => None,
                (Segment::Field(name), Some(Value::Object(map))) => map.get(name),
                (Segment::Index(index), Some(Value::Array(items))) => {
                    match eval::element(items, *index) {
                        Some(element) => Some(element),
                        None => return Some(self.conflict_error(Some(segment), target)),
                    }
                }
                _ => return Some(self.conflict_error(Some(segment), target)),
            };
        }
        None
    }

    fn conflict_error(&self, step: Option<&Segment>, target: &Value) -> EvalError {
        let step = match step {
            Some(Segment::Field(name)) => name.clone(),
            Some(Segment::Index(index)) => index.to_string(),
            Some(other) => other.fragment(),
            None => String::new(),
        };
        EvalError {
            name: ErrorName::ReferencePathConflict,
            message: format!(
                "Unable to apply step \"{step}\" to input {}",
                to_json_string(target)
            ),
        }
    }
}
