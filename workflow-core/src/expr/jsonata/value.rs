//! The evaluator's values: borrowed JSON from the input and bindings, or values built during
//! the evaluation.
//!
//! The input is never converted: a field lookup returns [`Val::Json`] pointing into the
//! caller's `serde_json::Value`. Only values that an expression builds (numbers from
//! arithmetic, constructed arrays and objects, functions) are owned.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use super::eval::Env;
use super::parse::{LambdaDef, RegexLit};

#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Undef,
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Json(&'a Value),
    Arr(Rc<Arr<'a>>),
    Obj(Rc<Obj<'a>>),
    Func(Rc<Func<'a>>),
}

pub(crate) type Obj<'a> = IndexMap<String, Val<'a>>;

/// An array built during evaluation, with JSONata's sequence flags.
#[derive(Debug, Default)]
pub(crate) struct Arr<'a> {
    pub items: Vec<Val<'a>>,
    /// A result sequence (flattened and unwrapped when it has one item).
    pub seq: bool,
    pub keep: Cell<bool>,
    /// Built by an array constructor: not flattened by path steps.
    pub cons: bool,
    /// The wrapper around an array given as the whole input.
    pub outer: bool,
}

#[derive(Debug)]
pub(crate) enum Func<'a> {
    Lambda {
        def: &'a LambdaDef,
        env: Rc<Env<'a>>,
        input: Val<'a>,
    },
    Builtin(&'static super::functions::Builtin),
    Partial {
        func: Val<'a>,
        args: Vec<Option<Val<'a>>>,
    },
    /// `$f ~> $g`: apply `first`, then `second`.
    Chain(Val<'a>, Val<'a>),
    Regex(Arc<RegexLit>),
    /// The function returned by a transform expression `| pattern | update, delete |`.
    Transform {
        node: &'a super::parse::Node,
        env: Rc<Env<'a>>,
    },
    /// A native function built by a built-in (e.g. the `next` of a `$match` result).
    Native(NativeFn<'a>),
}

#[derive(Debug)]
pub(crate) enum NativeFn<'a> {
    /// The `next` function of a regex match: continues from the given byte offset.
    MatchNext {
        regex: Arc<RegexLit>,
        text: Rc<str>,
        from: usize,
    },
    #[allow(dead_code)]
    Phantom(std::marker::PhantomData<&'a ()>),
}

impl<'a> Func<'a> {
    /// The number of arguments a higher-order function passes to this function.
    pub(crate) fn arity(&self) -> usize {
        match self {
            Func::Lambda { def, .. } => def.params.len(),
            Func::Builtin(b) => b.arity,
            Func::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Func::Chain(..) | Func::Regex(_) | Func::Transform { .. } => 1,
            Func::Native(_) => 0,
        }
    }
}

pub(crate) fn seq<'a>(items: Vec<Val<'a>>) -> Val<'a> {
    Val::Arr(Rc::new(Arr {
        items,
        seq: true,
        ..Arr::default()
    }))
}

pub(crate) fn array<'a>(items: Vec<Val<'a>>) -> Val<'a> {
    Val::Arr(Rc::new(Arr {
        items,
        ..Arr::default()
    }))
}

pub(crate) fn string<'a>(s: &str) -> Val<'a> {
    Val::Str(Rc::from(s))
}

impl<'a> Val<'a> {
    /// Normalises a borrowed scalar into its owned form; containers stay borrowed.
    #[inline]
    pub(crate) fn scalar(&self) -> Val<'a> {
        match self {
            Val::Json(v) => match v {
                Value::Null => Val::Null,
                Value::Bool(b) => Val::Bool(*b),
                Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
                Value::String(s) => Val::Str(Rc::from(s.as_str())),
                _ => self.clone(),
            },
            _ => self.clone(),
        }
    }

    pub(crate) fn is_undef(&self) -> bool {
        matches!(self, Val::Undef)
    }

    #[inline]
    pub(crate) fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Json(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Json(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Json(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Val::Null | Val::Json(Value::Null))
    }

    pub(crate) fn is_array(&self) -> bool {
        matches!(self, Val::Arr(_) | Val::Json(Value::Array(_)))
    }

    pub(crate) fn is_object(&self) -> bool {
        matches!(self, Val::Obj(_) | Val::Json(Value::Object(_)))
    }

    pub(crate) fn is_func(&self) -> bool {
        matches!(self, Val::Func(_))
    }

    pub(crate) fn is_seq(&self) -> bool {
        matches!(self, Val::Arr(a) if a.seq)
    }

    pub(crate) fn is_cons(&self) -> bool {
        matches!(self, Val::Arr(a) if a.cons)
    }

    /// JSONata's type symbol of a value, as in signatures (`m` for undefined).
    pub(crate) fn type_sym(&self) -> char {
        match self {
            Val::Undef => 'm',
            Val::Null | Val::Json(Value::Null) => 'l',
            Val::Bool(_) | Val::Json(Value::Bool(_)) => 'b',
            Val::Num(_) | Val::Json(Value::Number(_)) => 'n',
            Val::Str(_) | Val::Json(Value::String(_)) => 's',
            Val::Arr(_) | Val::Json(Value::Array(_)) => 'a',
            Val::Obj(_) | Val::Json(Value::Object(_)) => 'o',
            Val::Func(_) => 'f',
        }
    }

    /// The members of an array value (empty for anything else).
    pub(crate) fn members(&self) -> Vec<Val<'a>> {
        match self {
            Val::Arr(a) => a.items.clone(),
            Val::Json(Value::Array(items)) => items.iter().map(Val::Json).collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Val::Arr(a) => a.items.len(),
            Val::Json(Value::Array(items)) => items.len(),
            _ => 0,
        }
    }

    /// The value of `key` in an object, or undefined.
    #[inline]
    pub(crate) fn field(&self, key: &str) -> Val<'a> {
        match self {
            Val::Json(Value::Object(map)) => map.get(key).map(Val::Json).unwrap_or(Val::Undef),
            Val::Obj(map) => map.get(key).cloned().unwrap_or(Val::Undef),
            _ => Val::Undef,
        }
    }

    pub(crate) fn keys(&self) -> Vec<String> {
        match self {
            Val::Json(Value::Object(map)) => map.keys().cloned().collect(),
            Val::Obj(map) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn entries(&self) -> Vec<(String, Val<'a>)> {
        match self {
            Val::Json(Value::Object(map)) => {
                map.iter().map(|(k, v)| (k.clone(), Val::Json(v))).collect()
            }
            Val::Obj(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => Vec::new(),
        }
    }

    /// Wraps a non-array in a sequence; undefined stays an empty sequence.
    pub(crate) fn into_seq(self) -> Vec<Val<'a>> {
        match self {
            Val::Undef => Vec::new(),
            v if v.is_array() => v.members(),
            v => vec![v],
        }
    }

    /// Converts to JSON. Functions become `""` (as JSON.stringify drops them, but inside an
    /// array they would be `null`; JSONata's own output does the former for object members).
    pub(crate) fn to_json(&self) -> Option<Value> {
        Some(match self {
            Val::Undef => return None,
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => num_to_json(*n),
            Val::Str(s) => Value::String(s.to_string()),
            Val::Json(v) => (*v).clone(),
            Val::Arr(a) => Value::Array(a.items.iter().filter_map(|v| v.to_json()).collect()),
            Val::Obj(m) => Value::Object(
                m.iter()
                    .filter_map(|(k, v)| v.to_json().map(|j| (k.clone(), j)))
                    .collect(),
            ),
            Val::Func(_) => Value::String(String::new()),
        })
    }
}

/// A JSON number for a double: integral values within the exact range become integers, as
/// AWS returns them (`10`, not `10.0`).
pub(crate) fn num_to_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        if n == 0.0 {
            return Value::from(0);
        }
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Deep equality as JSONata's `=` defines it.
pub(crate) fn deep_equal<'a>(a: &Val<'a>, b: &Val<'a>) -> bool {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_bool(), b.as_bool()) {
        return x == y;
    }
    if a.is_null() && b.is_null() {
        return true;
    }
    if a.is_array() && b.is_array() {
        let (x, y) = (a.members(), b.members());
        return x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| deep_equal(p, q));
    }
    if a.is_object() && b.is_object() {
        let (x, y) = (a.entries(), b.entries());
        return x.len() == y.len()
            && x.iter().all(|(k, v)| {
                let w = b.field(k);
                !w.is_undef() && deep_equal(v, &w)
            });
    }
    if let (Val::Func(x), Val::Func(y)) = (a, b) {
        return Rc::ptr_eq(x, y);
    }
    false
}
