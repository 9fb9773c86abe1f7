//! Payload templates: JSON values whose keys ending in `.$` take their value from a path, a
//! context-object path, a variable or an intrinsic function call (`Parameters`,
//! `ResultSelector`, `ItemSelector`, JSONPath `Assign`, ...).

use serde_json::{Map, Value};

use super::intrinsic::Call;
use super::jsonpath::Path;
use super::{CompileError, EvalError, Scope};

/// A value computed from the input: a path or an intrinsic function call. This is what a `.$`
/// key, `ErrorPath` or `CausePath` holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    Path(Path),
    Intrinsic(Call),
}

impl ValueExpr {
    pub fn parse(source: &str) -> Result<ValueExpr, CompileError> {
        if Call::looks_like_call(source) {
            Call::parse(source).map(ValueExpr::Intrinsic)
        } else {
            Path::parse(source).map(ValueExpr::Path)
        }
    }

    pub fn source(&self) -> &str {
        match self {
            ValueExpr::Path(p) => p.source(),
            ValueExpr::Intrinsic(c) => c.source(),
        }
    }

    pub fn uses_context(&self) -> bool {
        match self {
            ValueExpr::Path(p) => *p.root() == super::jsonpath::Root::Context,
            ValueExpr::Intrinsic(c) => c.uses_context(),
        }
    }

    /// Evaluates; `Ok(None)` when a path matches nothing.
    pub fn eval(&self, input: &Value, scope: &dyn Scope) -> Result<Option<Value>, EvalError> {
        match self {
            ValueExpr::Path(p) => Ok(p.select(input, scope)?.map(|v| v.into_owned())),
            ValueExpr::Intrinsic(c) => c.eval(input, scope).map(Some),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Literal(Value),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    /// A `.$` key: the key as written (for error messages) and its expression.
    Expr {
        key: String,
        expr: ValueExpr,
    },
}

/// A compiled payload template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    root: Node,
    uses_context: bool,
}

impl Template {
    /// Compiles a template. Keys ending in `.$` must hold a string that is a path or an
    /// intrinsic function call.
    pub fn compile(value: &Value) -> Result<Template, CompileError> {
        let mut uses_context = false;
        let root = compile_node(value, &mut uses_context)?;
        Ok(Template { root, uses_context })
    }

    /// Whether evaluating needs the context object.
    pub fn uses_context(&self) -> bool {
        self.uses_context
    }

    /// Builds the payload.
    pub fn eval(&self, input: &Value, scope: &dyn Scope) -> Result<Value, EvalError> {
        eval_node(&self.root, input, scope)
    }
}

fn compile_node(value: &Value, uses_context: &mut bool) -> Result<Node, CompileError> {
    Ok(match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, v) in map {
                if let Some(name) = key.strip_suffix(".$") {
                    let Value::String(src) = v else {
                        return Err(CompileError::new(format!(
                            "the value of '{key}' must be a string holding a path or an intrinsic function"
                        )));
                    };
                    let expr = ValueExpr::parse(src)?;
                    *uses_context |= expr.uses_context();
                    fields.push((
                        name.to_string(),
                        Node::Expr {
                            key: key.clone(),
                            expr,
                        },
                    ));
                } else {
                    fields.push((key.clone(), compile_node(v, uses_context)?));
                }
            }
            Node::Object(fields)
        }
        Value::Array(items) => Node::Array(
            items
                .iter()
                .map(|v| compile_node(v, uses_context))
                .collect::<Result<_, _>>()?,
        ),
        other => Node::Literal(other.clone()),
    })
}

fn eval_node(node: &Node, input: &Value, scope: &dyn Scope) -> Result<Value, EvalError> {
    Ok(match node {
        Node::Literal(v) => v.clone(),
        Node::Array(items) => Value::Array(
            items
                .iter()
                .map(|n| eval_node(n, input, scope))
                .collect::<Result<_, _>>()?,
        ),
        Node::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (name, node) in fields {
                let value = match node {
                    Node::Expr { key, expr } => match expr.eval(input, scope)? {
                        Some(v) => v,
                        None => {
                            return Err(EvalError::runtime(format!(
                                "The JSONPath '{}' specified for the field '{key}' could not be found in the input '{}'",
                                expr.source(),
                                input
                            )));
                        }
                    },
                    other => eval_node(other, input, scope)?,
                };
                out.insert(name.clone(), value);
            }
            Value::Object(out)
        }
        Node::Expr { expr, .. } => expr.eval(input, scope)?.unwrap_or(Value::Null),
    })
}
