//! JSONPath as Step Functions evaluates it (the Jayway dialect), rooted at the state input (`$`),
//! the context object (`$$`) or a variable (`$name`).
//!
//! FIXME(skeleton): only `.name`, `['name']` and `[n]` segments are supported so far; the full
//! dialect (wildcards, slices, unions, descendants, filters) is being written.

use std::borrow::Cow;

use serde_json::Value;

use super::{CompileError, EvalError, Scope};

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
    /// `[n]`; negative counts from the end.
    Index(i64),
}

/// A compiled path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    source: String,
    root: Root,
    segments: Vec<Segment>,
}

impl Path {
    /// Parses a path such as `$.order.items[0]`, `$$.Execution.Input` or `$total.amount`.
    pub fn parse(source: &str) -> Result<Path, CompileError> {
        let (root, rest) = if let Some(rest) = source.strip_prefix("$$") {
            (Root::Context, rest)
        } else if let Some(rest) = source.strip_prefix('$') {
            let name_len = rest
                .find(|c: char| c == '.' || c == '[')
                .unwrap_or(rest.len());
            if name_len > 0 {
                (
                    Root::Variable(rest[..name_len].to_string()),
                    &rest[name_len..],
                )
            } else {
                (Root::Input, rest)
            }
        } else {
            return Err(CompileError::new(format!(
                "the path '{source}' must start with '$'"
            )));
        };
        let mut segments = Vec::new();
        let mut chars = rest;
        while !chars.is_empty() {
            if let Some(after) = chars.strip_prefix('.') {
                let end = after
                    .find(|c: char| c == '.' || c == '[')
                    .unwrap_or(after.len());
                if end == 0 {
                    return Err(CompileError::new(format!(
                        "the path '{source}' has an empty field name"
                    )));
                }
                segments.push(Segment::Field(after[..end].to_string()));
                chars = &after[end..];
            } else if let Some(after) = chars.strip_prefix("['") {
                let end = after.find("']").ok_or_else(|| {
                    CompileError::new(format!("the path '{source}' has an unclosed '['"))
                })?;
                segments.push(Segment::Field(after[..end].to_string()));
                chars = &after[end + 2..];
            } else if let Some(after) = chars.strip_prefix('[') {
                let end = after.find(']').ok_or_else(|| {
                    CompileError::new(format!("the path '{source}' has an unclosed '['"))
                })?;
                let index: i64 = after[..end].trim().parse().map_err(|_| {
                    CompileError::new(format!(
                        "the path '{source}' has an unsupported selector '[{}]'",
                        &after[..end]
                    ))
                })?;
                segments.push(Segment::Index(index));
                chars = &after[end + 1..];
            } else {
                return Err(CompileError::new(format!(
                    "the path '{source}' is not a valid JSONPath"
                )));
            }
        }
        Ok(Path {
            source: source.to_string(),
            root,
            segments,
        })
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn root(&self) -> &Root {
        &self.root
    }

    /// Whether the path selects at most one value (no wildcard, slice, union, descendant or
    /// filter), so that its result is that value rather than an array of matches.
    pub fn is_definite(&self) -> bool {
        true
    }

    /// Jayway's normalized form, e.g. `$['a']['b'][0]`.
    pub fn normalized(&self) -> String {
        let mut out = String::from("$");
        for segment in &self.segments {
            match segment {
                Segment::Field(name) => out.push_str(&format!("['{name}']")),
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// Whether the path is `$` alone.
    pub fn is_identity(&self) -> bool {
        self.root == Root::Input && self.segments.is_empty()
    }

    /// Evaluates the path. A definite path gives the value it points at, or `None` when nothing
    /// is there; an indefinite one gives the array of its matches. A variable that is not in
    /// scope is an error.
    pub fn select<'v>(
        &self,
        input: &'v Value,
        scope: &'v dyn Scope,
    ) -> Result<Option<Cow<'v, Value>>, EvalError> {
        let mut current = match &self.root {
            Root::Input => input,
            Root::Context => scope.context(),
            Root::Variable(name) => scope.variable(name).ok_or_else(|| {
                EvalError::runtime(format!("The variable '${name}' is not defined"))
            })?,
        };
        for segment in &self.segments {
            let next = match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => map.get(name),
                (Segment::Index(i), Value::Array(items)) => {
                    let i = if *i < 0 { items.len() as i64 + i } else { *i };
                    usize::try_from(i).ok().and_then(|i| items.get(i))
                }
                _ => None,
            };
            match next {
                Some(v) => current = v,
                None => return Ok(None),
            }
        }
        Ok(Some(Cow::Borrowed(current)))
    }
}

/// A reference path (`ResultPath`): a definite path that says where to write a value into the
/// state input.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferencePath {
    path: Path,
}

impl ReferencePath {
    pub fn parse(source: &str) -> Result<ReferencePath, CompileError> {
        let path = Path::parse(source)?;
        if path.root != Root::Input {
            return Err(CompileError::new(format!(
                "the reference path '{source}' must start with '$.'"
            )));
        }
        Ok(ReferencePath { path })
    }

    pub fn source(&self) -> &str {
        self.path.source()
    }

    /// Writes `value` at the path inside `target`, creating objects on the way, and returns the
    /// combined value. `$` replaces the whole target.
    pub fn apply(&self, mut target: Value, value: Value) -> Result<Value, EvalError> {
        if self.path.segments.is_empty() {
            return Ok(value);
        }
        let mut current = &mut target;
        for (i, segment) in self.path.segments.iter().enumerate() {
            let last = i + 1 == self.path.segments.len();
            current = match (segment, current) {
                (Segment::Field(name), Value::Object(map)) => {
                    if last {
                        map.insert(name.clone(), value);
                        return Ok(target);
                    }
                    map.entry(name.clone())
                        .or_insert_with(|| Value::Object(Default::default()))
                }
                _ => {
                    return Err(EvalError {
                        name: super::ErrorName::ResultPathMatchFailure,
                        message: format!(
                            "Unable to apply ReferencePath {} to input",
                            self.path.source
                        ),
                    });
                }
            };
        }
        Ok(target)
    }
}
