//! Payload templates: JSON values whose keys ending in `.$` take their value from a path, a
//! context-object path, a variable or an intrinsic function call (`Parameters`,
//! `ResultSelector`, `ItemSelector`, JSONPath `Assign`, ...).
//!
//! What a template builds, as Step Functions builds it:
//!
//! - a `.$` path that is definite gives the value it selects, and fails with `States.Runtime`
//!   when it selects nothing; an indefinite one gives the array of its matches, maybe empty;
//! - objects and arrays nest, and keys without `.$` are copied as written, even when their
//!   value looks like a path;
//! - in each built object the plain fields come first, in the template's order, followed by
//!   the `.$` fields in the order a `java.util.HashMap` iterates them, which is what AWS emits;
//! - a `.$` path on the state input fails when that input is `null`.

use serde_json::{Map, Value};

use super::intrinsic::Call;
use super::jsonpath::{self, Path, Root};
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
            ValueExpr::Path(p) => *p.root() == Root::Context,
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

    /// Evaluates the expression held by `field` (`"value.$"`, `"ErrorPath"`, ...) and fails
    /// with AWS's `States.Runtime` causes when a path selects nothing or reads a `null` input.
    pub fn eval_field(
        &self,
        field: &str,
        input: &Value,
        scope: &dyn Scope,
    ) -> Result<Value, EvalError> {
        if let ValueExpr::Path(path) = self
            && input.is_null()
            && *path.root() == Root::Input
        {
            return Err(jsonpath::null_input_error());
        }
        match self.eval(input, scope)? {
            Some(value) => Ok(value),
            None => Err(self.not_found_error(field, input)),
        }
    }

    /// `The JSONPath '<expr>' specified for the field '<field>' could not be found in the input
    /// '<input>'`.
    pub fn not_found_error(&self, field: &str, input: &Value) -> EvalError {
        jsonpath::not_found_error(self.source(), field, input)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A subtree without any `.$` key, copied as it is.
    Literal(Value),
    /// Fields in output order (see the module docs).
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

    /// Whether the template has no `.$` key at all, so that it always builds the same value.
    pub fn is_literal(&self) -> bool {
        matches!(self.root, Node::Literal(_))
    }

    /// Builds the payload.
    pub fn eval(&self, input: &Value, scope: &dyn Scope) -> Result<Value, EvalError> {
        eval_node(&self.root, input, scope)
    }
}

fn has_expr(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(key, v)| key.ends_with(".$") || has_expr(v)),
        Value::Array(items) => items.iter().any(has_expr),
        _ => false,
    }
}

fn compile_node(value: &Value, uses_context: &mut bool) -> Result<Node, CompileError> {
    if !has_expr(value) {
        return Ok(Node::Literal(value.clone()));
    }
    Ok(match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            let mut exprs = Vec::new();
            for (key, v) in map {
                if let Some(name) = key.strip_suffix(".$") {
                    let Value::String(src) = v else {
                        return Err(CompileError::new(format!(
                            "the value for the field '{key}' must be a valid JSONPath or a valid \
                             intrinsic function call, not {}",
                            kind_of(v)
                        )));
                    };
                    let expr = ValueExpr::parse(src).map_err(|e| {
                        CompileError::new(format!(
                            "the value for the field '{key}' must be a valid JSONPath or a valid \
                             intrinsic function call: {e}"
                        ))
                    })?;
                    *uses_context |= expr.uses_context();
                    exprs.push((
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
            // AWS adds the computed fields to a Java HashMap before writing them after the
            // plain ones; reproduce that order once, here.
            let order = jsonpath::hash_map_order(
                &exprs
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            );
            let mut exprs: Vec<Option<(String, Node)>> = exprs.into_iter().map(Some).collect();
            fields.extend(order.into_iter().filter_map(|i| exprs.get_mut(i)?.take()));
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

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
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
                    Node::Expr { key, expr } => expr.eval_field(key, input, scope)?,
                    other => eval_node(other, input, scope)?,
                };
                out.insert(name.clone(), value);
            }
            Value::Object(out)
        }
        Node::Expr { key, expr } => expr.eval_field(key, input, scope)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::expr::{ErrorName, SimpleScope};

    fn scope() -> SimpleScope {
        let mut scope = SimpleScope {
            context: json!({"Execution": {"Id": "arn:exec", "Input": {"a": 1}}, "Map": {"Item": {"Index": 2, "Value": "x"}}}),
            ..SimpleScope::default()
        };
        scope
            .variables
            .insert("order".into(), json!({"items": [{"id": 7}]}));
        scope
    }

    /// Compiles and evaluates `template` against `input`, rendered compactly so that field
    /// order is part of what the test checks.
    fn check(template: Value, input: Value, expected: &str) {
        let compiled = Template::compile(&template)
            .unwrap_or_else(|e| panic!("{template} does not compile: {e}"));
        let out = compiled
            .eval(&input, &scope())
            .unwrap_or_else(|e| panic!("{template} on {input} failed: {e}"));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            expected,
            "template {template}"
        );
    }

    fn check_error(template: Value, input: Value, expected: &str) {
        let compiled = Template::compile(&template).unwrap();
        let err = compiled.eval(&input, &scope()).unwrap_err();
        assert_eq!(err.name, ErrorName::Runtime);
        assert_eq!(err.message, expected, "template {template}");
    }

    fn check_compile_error(template: Value, expected: &str) {
        let err = Template::compile(&template).unwrap_err();
        assert_eq!(err.message, expected, "template {template}");
    }

    #[test]
    fn paths() {
        let input = json!({"a": {"b": [1, 2, 3]}, "n": null, "s": "x"});
        check(json!({"v.$": "$.a.b[1]"}), input.clone(), r#"{"v":2}"#);
        check(
            json!({"v.$": "$"}),
            input.clone(),
            r#"{"v":{"a":{"b":[1,2,3]},"n":null,"s":"x"}}"#,
        );
        check(json!({"v.$": "$.n"}), input.clone(), r#"{"v":null}"#);
        check(
            json!({"v.$": "$.a.b[*]"}),
            input.clone(),
            r#"{"v":[1,2,3]}"#,
        );
        check(json!({"v.$": "$.missing[*]"}), input.clone(), r#"{"v":[]}"#);
        check(json!({"v.$": "$.a.b[1:]"}), input.clone(), r#"{"v":[2,3]}"#);
        check(
            json!({"v.$": "$$.Execution.Id"}),
            input.clone(),
            r#"{"v":"arn:exec"}"#,
        );
        check(
            json!({"v.$": "$$.Map.Item.Index"}),
            input.clone(),
            r#"{"v":2}"#,
        );
        check(
            json!({"v.$": "$order.items[0].id"}),
            input.clone(),
            r#"{"v":7}"#,
        );
        check(
            json!({"v.$": "$['a','s']"}),
            input,
            r#"{"v":{"a":{"b":[1,2,3]},"s":"x"}}"#,
        );
    }

    #[test]
    fn literals_are_copied() {
        check(
            json!({"p": "$.a", "q": 1, "r": [true, null], "s": {"t": "$$"}}),
            json!({"a": 1}),
            r#"{"p":"$.a","q":1,"r":[true,null],"s":{"t":"$$"}}"#,
        );
        assert!(Template::compile(&json!({"a": [1]})).unwrap().is_literal());
        assert!(
            !Template::compile(&json!({"a": [{"b.$": "$"}]}))
                .unwrap()
                .is_literal()
        );
    }

    #[test]
    fn nesting_through_objects_and_arrays() {
        check(
            json!({"outer": {"inner.$": "$.x", "list": [{"y.$": "$.y"}, "$.y", 3]}}),
            json!({"x": "X", "y": "Y"}),
            r#"{"outer":{"list":[{"y":"Y"},"$.y",3],"inner":"X"}}"#,
        );
        check(
            json!([{"a.$": "$.a"}, 1]),
            json!({"a": 0}),
            r#"[{"a":0},1]"#,
        );
    }

    #[test]
    fn key_that_is_only_the_suffix() {
        check(json!({".$": "$.a"}), json!({"a": 5}), r#"{"":5}"#);
    }

    /// The orders below are the ones AWS recorded for these templates.
    #[test]
    fn field_order_matches_aws() {
        check(
            json!({
                "original_input.$": "$",
                "iteration_input_value.$": "$$.Map.Item.Value",
                "iteration_index.$": "$$.Map.Item.Index",
                "from_input_constant.$": "$.p",
                "constant_value": "HelloWorld"
            }),
            json!({"p": "UQS"}),
            r#"{"constant_value":"HelloWorld","iteration_input_value":"x","from_input_constant":"UQS","iteration_index":2,"original_input":{"p":"UQS"}}"#,
        );
        check(
            json!({"Iterations.$": "$.i", "Values.$": "$.v"}),
            json!({"i": 1, "v": [0]}),
            r#"{"Values":[0],"Iterations":1}"#,
        );
        check(
            json!({"value.$": "$$.Map.Item.Value", "bucketName": "$bucket"}),
            json!({}),
            r#"{"bucketName":"$bucket","value":"x"}"#,
        );
        // Thirteen computed fields make the hash map grow to 32 buckets.
        let keys = [
            "context_object",
            "execution",
            "execution_id",
            "execution_input",
            "execution_name",
            "execution_rolearn",
            "execution_starttime",
            "state",
            "state_enteredtime",
            "state_name",
            "statemachine",
            "statemachine_id",
            "statemachine_name",
        ];
        let template: Map<String, Value> = keys
            .iter()
            .map(|k| (format!("{k}.$"), json!("$.n")))
            .collect();
        let out = Template::compile(&Value::Object(template))
            .unwrap()
            .eval(&json!({"n": 0}), &scope())
            .unwrap();
        let order: Vec<&str> = out
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            order,
            [
                "execution",
                "execution_rolearn",
                "execution_name",
                "statemachine_id",
                "execution_id",
                "execution_input",
                "execution_starttime",
                "state_name",
                "state_enteredtime",
                "statemachine",
                "state",
                "context_object",
                "statemachine_name"
            ]
        );
    }

    #[test]
    fn computed_field_overrides_a_plain_one_in_place() {
        check(
            json!({"a": 1, "b": 2, "a.$": "$.x"}),
            json!({"x": "X"}),
            r#"{"a":"X","b":2}"#,
        );
    }

    #[test]
    fn missing_paths_fail_with_aws_message() {
        check_error(
            json!({"value.$": "$.no_such_jsonpath"}),
            json!({"int-literal": 0}),
            "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'",
        );
        check_error(
            json!({"value.$": "$$.Execution.Input.no_such_jsonpath"}),
            json!({"int-literal": 0}),
            "The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{\"int-literal\":0}'",
        );
        check_error(
            json!({"outer": {"userId.$": "$.detail.userId"}}),
            json!({"Error": "States.Timeout", "Cause": ""}),
            "The JSONPath '$.detail.userId' specified for the field 'userId.$' could not be found in the input '{\"Error\":\"States.Timeout\",\"Cause\":\"\"}'",
        );
        check_error(
            json!({"v.$": "$noSuchVar"}),
            json!({}),
            "The JSONPath '$noSuchVar' specified for the field 'v.$' could not be found in the input '{}'",
        );
        // Functions are not evaluated: `sum()` is looked up as a field.
        check_error(
            json!({"Jobs.$": "$.Jobs.sum()"}),
            json!({"Jobs": [0, 1]}),
            "The JSONPath '$.Jobs.sum()' specified for the field 'Jobs.$' could not be found in the input '{\"Jobs\":[0,1]}'",
        );
    }

    #[test]
    fn null_input() {
        check_error(
            json!({"Input.$": "$"}),
            Value::Null,
            "Unable to apply Path transformation to null or empty input.",
        );
        check(
            json!({"id.$": "$$.Execution.Id"}),
            Value::Null,
            r#"{"id":"arn:exec"}"#,
        );
    }

    #[test]
    fn compile_errors() {
        check_compile_error(
            json!({"a.$": 1}),
            "the value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call, not a number",
        );
        check_compile_error(
            json!({"outer": [{"a.$": "nope"}]}),
            "the value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call: invalid path 'nope': a path must start with '$'",
        );
        check_compile_error(
            json!({"a.$": "$.a b"}),
            "the value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call: invalid path '$.a b': use bracket notation ['my prop'] if a property contains blank characters",
        );
    }

    #[test]
    fn uses_context() {
        let uses = |t: Value| Template::compile(&t).unwrap().uses_context();
        assert!(uses(json!({"a": {"b.$": "$$.Execution.Id"}})));
        assert!(!uses(json!({"a.$": "$.x", "b": "$$"})));
        assert!(uses(json!({"a.$": "States.Format('{}', $$.Execution.Id)"})));
    }

    #[test]
    fn value_expr_fields() {
        let expr = ValueExpr::parse("$.ErrorX").unwrap();
        let err = expr
            .eval_field("ErrorPath", &json!({"Error": "e"}), &scope())
            .unwrap_err();
        assert_eq!(
            err.message,
            "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{\"Error\":\"e\"}'"
        );
        let expr = ValueExpr::parse("$$.Execution.Id").unwrap();
        assert_eq!(
            expr.eval_field("CausePath", &json!({}), &scope()).unwrap(),
            json!("arn:exec")
        );
        assert!(matches!(
            ValueExpr::parse("States.Format('{}', $.a)").unwrap(),
            ValueExpr::Intrinsic(_)
        ));
    }
}
