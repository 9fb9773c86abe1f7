//! The tree-walking evaluator.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::Value;

use super::Bindings;
use super::error::{JsonataError, Result};
use super::functions;
use super::parse::{BinOp, Group, Kind, Node, SortTerm, Stage};
use super::value::{Arr, Func, Obj, Val, array, deep_equal, seq};

/// Evaluation nesting limit; the native stack used is limited separately by
/// [`Ev::stack_budget`], since a level costs far more stack in a debug build.
pub(crate) const MAX_DEPTH: usize = 20_000;

/// Iterations of one chain of tail calls before it is taken for an infinite loop.
const MAX_TAIL_CALLS: usize = 100_000;

/// Largest array a range `[a..b]` may build.
const MAX_RANGE: f64 = 10_000_000.0;

/// A scope of variable bindings.
#[derive(Debug, Default)]
pub(crate) struct Env<'a> {
    vars: RefCell<Vec<(String, Val<'a>)>>,
    parent: Option<Rc<Env<'a>>>,
}

impl<'a> Env<'a> {
    pub(crate) fn child(parent: &Rc<Env<'a>>) -> Rc<Env<'a>> {
        Rc::new(Env {
            vars: RefCell::new(Vec::new()),
            parent: Some(parent.clone()),
        })
    }

    pub(crate) fn bind(&self, name: &str, value: Val<'a>) {
        let mut vars = self.vars.borrow_mut();
        if let Some(slot) = vars.iter_mut().find(|(n, _)| n == name) {
            slot.1 = value;
        } else {
            vars.push((name.to_string(), value));
        }
    }

    fn lookup(&self, name: &str) -> Option<Val<'a>> {
        let mut env = self;
        loop {
            if let Some((_, v)) = env.vars.borrow().iter().find(|(n, _)| n == name) {
                return Some(v.clone());
            }
            env = env.parent.as_deref()?;
        }
    }
}

/// One item of a tuple stream: the context value and the variables bound along the path.
#[derive(Clone, Debug)]
struct Tuple<'a> {
    ctx: Val<'a>,
    vars: Vec<(String, Val<'a>)>,
}

impl<'a> Tuple<'a> {
    fn set(&mut self, name: &str, v: Val<'a>) {
        if let Some(slot) = self.vars.iter_mut().find(|(n, _)| n == name) {
            slot.1 = v;
        } else {
            self.vars.push((name.to_string(), v));
        }
    }
}

pub(crate) struct Ev<'a> {
    pub bindings: &'a dyn Bindings,
    pub depth: Cell<usize>,
    /// The evaluation's timestamp, in milliseconds, fixed at its first use.
    pub now: Cell<Option<i64>>,
    pub rng: Cell<u64>,
    /// Address of a local at the start of the evaluation, and how many bytes of native stack
    /// the evaluation may use below it before failing with U1001.
    pub stack_base: usize,
    pub stack_budget: usize,
    pub max_depth: usize,
}

pub(crate) fn type_error<T>(code: &str, message: String) -> Result<T> {
    Err(JsonataError::new(code, message))
}

/// Boolean casting: JSONata's truthiness.
pub(crate) fn truthy(v: &Val<'_>) -> Option<bool> {
    Some(match v {
        Val::Undef => return None,
        Val::Null | Val::Json(Value::Null) => false,
        Val::Bool(b) | Val::Json(Value::Bool(b)) => *b,
        Val::Num(_) | Val::Json(Value::Number(_)) => v.as_num().is_some_and(|n| n != 0.0),
        Val::Str(_) | Val::Json(Value::String(_)) => v.as_str().is_some_and(|s| !s.is_empty()),
        Val::Arr(_) | Val::Json(Value::Array(_)) => {
            let items = v.members();
            match items.len() {
                0 => false,
                1 => truthy(&items[0]).unwrap_or(false),
                _ => items.iter().any(|i| truthy(i).unwrap_or(false)),
            }
        }
        Val::Obj(_) | Val::Json(Value::Object(_)) => !v.keys().is_empty(),
        Val::Func(_) => false,
    })
}

/// Appends like JSONata's `append`: arrays are concatenated, undefined is dropped.
fn append<'a>(acc: Val<'a>, v: Val<'a>) -> Val<'a> {
    if acc.is_undef() {
        return v;
    }
    if v.is_undef() {
        return acc;
    }
    let mut items = if acc.is_array() {
        acc.members()
    } else {
        vec![acc.clone()]
    };
    let was_seq = acc.is_seq() || !acc.is_array();
    if v.is_array() {
        items.extend(v.members());
    } else {
        items.push(v);
    }
    if was_seq { seq(items) } else { array(items) }
}

/// Flattens a result sequence item into `out` one level, as path steps do.
fn flatten_into<'a>(out: &mut Vec<Val<'a>>, v: Val<'a>) {
    match v {
        Val::Undef => {}
        Val::Arr(ref a) if !a.cons => out.extend(a.items.iter().cloned()),
        Val::Json(Value::Array(items)) => out.extend(items.iter().map(Val::Json)),
        other => out.push(other),
    }
}

impl<'a> Ev<'a> {
    pub(crate) fn eval(
        &self,
        node: &'a Node,
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        let depth = self.depth.get() + 1;
        let marker = 0u8;
        let here = &marker as *const u8 as usize;
        if depth > self.max_depth || self.stack_base.abs_diff(here) > self.stack_budget {
            return Err(JsonataError::new(
                "U1001",
                "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.".into(),
            )
            .at(node.pos));
        }
        self.depth.set(depth);
        if node.stream && !node.predicate.is_empty() {
            // A filtered block or path whose predicates read ancestors (`%`).
            let res = self.stream(node, input, env);
            self.depth.set(depth - 1);
            let values = res.map_err(|e| e.at(node.pos))?;
            return Ok(unwrap_seq(
                seq(values.into_iter().map(|t| t.ctx).collect()),
                node.keep_array,
            ));
        }
        let res = self.eval_inner(node, input, env);
        self.depth.set(depth - 1);
        let mut result = res.map_err(|e| e.at(node.pos))?;
        if !node.predicate.is_empty() {
            for stage in &node.predicate {
                if let Stage::Filter(f) = stage {
                    result = self.filter(f, result, env)?;
                }
            }
        }
        if let Some(group) = &node.group
            && !matches!(node.kind, Kind::Path { .. })
        {
            result = self.group(group, result, env)?;
        }
        Ok(unwrap_seq(result, node.keep_array))
    }

    fn eval_inner(&self, node: &'a Node, input: &Val<'a>, env: &Rc<Env<'a>>) -> Result<Val<'a>> {
        Ok(match &node.kind {
            Kind::Str(s) => Val::Str(Rc::from(s.as_str())),
            Kind::Num(n) => Val::Num(*n),
            Kind::Bool(b) => Val::Bool(*b),
            Kind::Null => Val::Null,
            Kind::Regex(r) => Val::Func(Rc::new(Func::Regex(r.clone()))),
            Kind::Name(name) => lookup(input, name),
            Kind::Var(name) => self.variable(name, input, env),
            Kind::Wildcard => self.wildcard(input),
            Kind::Descendant => {
                let mut out = Vec::new();
                if !input.is_undef() {
                    descendants(input, &mut out);
                }
                if out.len() == 1 {
                    out.pop().unwrap_or(Val::Undef)
                } else {
                    seq(out)
                }
            }
            Kind::Placeholder => Val::Undef,
            Kind::Parent(label) => env.lookup(&label.name).unwrap_or(Val::Undef),
            Kind::Path {
                steps,
                keep_singleton,
            } => self.path(node, steps, *keep_singleton, input, env)?,
            Kind::Neg(inner) => {
                let v = self.eval(inner, input, env)?;
                match v {
                    Val::Undef => Val::Undef,
                    _ => match v.as_num() {
                        Some(n) => Val::Num(-n),
                        None => {
                            return type_error(
                                "D1002",
                                format!(
                                    "Cannot negate a non-numeric value: {}",
                                    functions::display(&v)
                                ),
                            );
                        }
                    },
                }
            }
            Kind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, input, env)?,
            Kind::Apply(lhs, rhs) => self.apply_op(lhs, rhs, input, env)?,
            Kind::Array(items) => {
                let mut out: Vec<Val<'a>> = Vec::new();
                for item in items {
                    let v = self.eval(item, input, env)?;
                    if v.is_undef() {
                        continue;
                    }
                    if matches!(item.kind, Kind::Array(_)) {
                        out.push(v);
                    } else if v.is_array() {
                        out.extend(v.members());
                    } else {
                        out.push(v);
                    }
                }
                Val::Arr(Rc::new(Arr {
                    items: out,
                    cons: node.cons_array,
                    ..Arr::default()
                }))
            }
            Kind::Object(pairs) => {
                self.group_pairs(pairs, input.clone(), env, false, Vec::new())?
            }
            Kind::Block(items) => {
                let frame = Env::child(env);
                let mut result = Val::Undef;
                for item in items {
                    result = self.eval(item, input, &frame)?;
                }
                result
            }
            Kind::Cond(c, t, e) => {
                let cond = self.eval(c, input, env)?;
                if truthy(&cond).unwrap_or(false) {
                    self.eval(t, input, env)?
                } else if let Some(e) = e {
                    self.eval(e, input, env)?
                } else {
                    Val::Undef
                }
            }
            Kind::Bind(name, value) => {
                let v = self.eval(value, input, env)?;
                env.bind(name, v.clone());
                v
            }
            Kind::Call {
                func,
                args,
                partial,
            } => {
                if *partial {
                    self.partial(func, args, input, env)?
                } else {
                    self.call(func, args, input, env, None)?
                }
            }
            Kind::Lambda(def) => Val::Func(Rc::new(Func::Lambda {
                def,
                env: env.clone(),
                input: input.clone(),
            })),
            Kind::Transform(..) => Val::Func(Rc::new(Func::Transform {
                node,
                env: env.clone(),
            })),
            Kind::Sort(terms) => {
                let items = input.clone().into_seq();
                seq(self.sort_vals(terms, items, env)?)
            }
        })
    }

    fn variable(&self, name: &str, input: &Val<'a>, env: &Rc<Env<'a>>) -> Val<'a> {
        if name.is_empty() {
            return match input {
                Val::Arr(a) if a.outer => a.items.first().cloned().unwrap_or(Val::Undef),
                _ => input.clone(),
            };
        }
        if let Some(v) = env.lookup(name) {
            return v;
        }
        if let Some(v) = self.bindings.lookup(name) {
            return Val::Json(v);
        }
        match functions::builtin(name) {
            Some(b) => Val::Func(Rc::new(Func::Builtin(b))),
            None => Val::Undef,
        }
    }

    fn wildcard(&self, input: &Val<'a>) -> Val<'a> {
        let mut input = input.clone();
        if let Val::Arr(a) = &input
            && a.outer
            && !a.items.is_empty()
        {
            input = a.items[0].clone();
        }
        let mut out = Vec::new();
        if input.is_array() {
            flatten_deep(&input, &mut out);
            return seq(out);
        }
        for (_, v) in input.entries() {
            if v.is_array() {
                flatten_deep(&v, &mut out);
            } else {
                out.push(v);
            }
        }
        seq(out)
    }

    fn path(
        &self,
        node: &'a Node,
        steps: &'a [Node],
        keep_singleton: bool,
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        // Fast path: plain field names over single objects, the common `$states.input.x`.
        if !keep_singleton
            && node.group.is_none()
            && let Some(v) = self.simple_path(steps, input, env)
        {
            return Ok(v);
        }
        let (mut result, tuples) = self.steps(steps, input, env)?;
        if let Some(ts) = tuples {
            if let Some(group) = &node.group {
                return self.group_tuples(group, ts, env);
            }
            let v = seq(ts.into_iter().map(|t| t.ctx).collect());
            if keep_singleton && let Val::Arr(a) = &v {
                a.keep.set(true);
            }
            return Ok(v);
        }
        if keep_singleton {
            if result.is_cons() && !result.is_seq() {
                result = seq(vec![result]);
            }
            if let Val::Arr(a) = &result {
                a.keep.set(true);
            }
        }
        if let Some(group) = &node.group {
            return self.group(group, result, env);
        }
        Ok(result)
    }

    /// Runs the steps of a path over `input`; the tuple stream, once a step needs one.
    #[allow(clippy::type_complexity)]
    fn steps(
        &self,
        steps: &'a [Node],
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<(Val<'a>, Option<Vec<Tuple<'a>>>)> {
        let mut input_seq: Val<'a> = match input {
            v if v.is_array() && !matches!(steps[0].kind, Kind::Var(_)) => v.clone(),
            v => seq(vec![v.clone()]),
        };
        let mut result: Val<'a> = Val::Undef;
        let mut tuples: Option<Vec<Tuple<'a>>> = None;
        let last = steps.len() - 1;
        for (i, step) in steps.iter().enumerate() {
            if step.tuple || tuples.is_some() {
                let ts = match tuples.take() {
                    Some(ts) => ts,
                    None => input_seq
                        .members()
                        .into_iter()
                        .map(|v| Tuple {
                            ctx: v,
                            vars: Vec::new(),
                        })
                        .collect(),
                };
                tuples = Some(self.tuple_step(step, ts, env)?);
                continue;
            }
            let res = if i == 0 && step.cons_array {
                self.eval(step, &input_seq, env)?
            } else {
                self.step(step, &input_seq.members(), env, i == last)?
            };
            if res.is_undef() || (res.is_array() && res.len() == 0) {
                result = res;
                break;
            }
            input_seq = res.clone();
            result = res;
        }
        Ok((result, tuples))
    }

    /// A block or path step that carries ancestors: its tuple stream, filtered by its
    /// predicates.
    fn stream(&self, node: &'a Node, input: &Val<'a>, env: &Rc<Env<'a>>) -> Result<Vec<Tuple<'a>>> {
        let plain = |v: Val<'a>| -> Vec<Tuple<'a>> {
            v.into_seq()
                .into_iter()
                .map(|ctx| Tuple {
                    ctx,
                    vars: Vec::new(),
                })
                .collect()
        };
        let mut tuples = match &node.kind {
            Kind::Block(items) if !items.is_empty() => {
                let frame = Env::child(env);
                for item in &items[..items.len() - 1] {
                    self.eval(item, input, &frame)?;
                }
                let last = &items[items.len() - 1];
                if last.stream {
                    self.stream(last, input, &frame)?
                } else {
                    plain(self.eval(last, input, &frame)?)
                }
            }
            Kind::Path { steps, .. } => match self.steps(steps, input, env)? {
                (_, Some(ts)) => ts,
                (v, None) => plain(unwrap_seq(v, false)),
            },
            _ => plain(self.eval(node, input, env)?),
        };
        for stage in &node.predicate {
            if let Stage::Filter(f) = stage {
                tuples = self.filter_tuples(f, tuples, env)?;
            }
        }
        Ok(tuples)
    }

    /// Walks `a.b.c` where every step is a plain name (or a leading variable) and every value
    /// on the way is an object; `None` when the general algorithm is needed.
    fn simple_path(
        &self,
        steps: &'a [Node],
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Option<Val<'a>> {
        let mut cur = input.clone();
        for (i, step) in steps.iter().enumerate() {
            if !step.stages.is_empty()
                || !step.predicate.is_empty()
                || step.group.is_some()
                || step.tuple
                || step.keep_array
            {
                return None;
            }
            cur = match &step.kind {
                Kind::Var(name) if i == 0 && !name.is_empty() => self.variable(name, input, env),
                Kind::Name(name) => match &cur {
                    Val::Json(Value::Object(m)) => {
                        m.get(name.as_str()).map(Val::Json).unwrap_or(Val::Undef)
                    }
                    Val::Obj(m) => m.get(name.as_str()).cloned().unwrap_or(Val::Undef),
                    Val::Undef => return Some(Val::Undef),
                    Val::Json(Value::Array(_)) | Val::Arr(_) | Val::Func(_) => return None,
                    _ => Val::Undef,
                },
                _ => return None,
            };
            if cur.is_array() {
                // Arrays need the flattening rules.
                if i + 1 == steps.len() && !cur.is_seq() {
                    return Some(cur);
                }
                return None;
            }
            if cur.is_undef() {
                return Some(Val::Undef);
            }
        }
        Some(cur)
    }

    fn step(
        &self,
        step: &'a Node,
        input: &[Val<'a>],
        env: &Rc<Env<'a>>,
        last: bool,
    ) -> Result<Val<'a>> {
        if let Kind::Sort(terms) = &step.kind {
            let mut result = seq(self.sort_vals(terms, input.to_vec(), env)?);
            for stage in &step.stages {
                if let Stage::Filter(f) = stage {
                    result = self.filter(f, result, env)?;
                }
            }
            return Ok(result);
        }
        let mut results: Vec<Val<'a>> = Vec::with_capacity(input.len());
        for item in input {
            let mut res = self.eval(step, item, env)?;
            for stage in &step.stages {
                if let Stage::Filter(f) = stage {
                    res = self.filter(f, res, env)?;
                }
            }
            if !res.is_undef() {
                results.push(res);
            }
        }
        if last && results.len() == 1 && results[0].is_array() && !results[0].is_seq() {
            return Ok(results.pop().unwrap_or(Val::Undef));
        }
        let mut out = Vec::new();
        for res in results {
            flatten_into(&mut out, res);
        }
        Ok(seq(out))
    }

    fn tuple_step(
        &self,
        step: &'a Node,
        input: Vec<Tuple<'a>>,
        env: &Rc<Env<'a>>,
    ) -> Result<Vec<Tuple<'a>>> {
        if let Kind::Sort(terms) = &step.kind {
            let mut sorted = self.sort_tuples(terms, input, env)?;
            if let Some(index) = &step.index {
                for (i, t) in sorted.iter_mut().enumerate() {
                    t.set(index, Val::Num(i as f64));
                }
            }
            return self.stages(&step.stages, sorted, env);
        }
        let mut out = Vec::new();
        for tuple in input {
            let frame = frame_from_tuple(env, &tuple);
            if step.stream {
                for inner in self.stream(step, &tuple.ctx, &frame)? {
                    let mut t = tuple.clone();
                    t.ctx = inner.ctx;
                    for (name, v) in inner.vars {
                        t.set(&name, v);
                    }
                    out.push(t);
                }
                continue;
            }
            let res = self.eval(step, &tuple.ctx, &frame)?;
            if res.is_undef() {
                continue;
            }
            let items = if res.is_array() {
                res.members()
            } else {
                vec![res]
            };
            for (i, item) in items.into_iter().enumerate() {
                let mut t = tuple.clone();
                if let Some(focus) = &step.focus {
                    t.set(focus, item);
                } else {
                    t.ctx = item;
                }
                if let Some(index) = &step.index {
                    t.set(index, Val::Num(i as f64));
                }
                if let Some(label) = &step.ancestor {
                    t.set(&label.name, tuple.ctx.clone());
                }
                out.push(t);
            }
        }
        self.stages(&step.stages, out, env)
    }

    fn stages(
        &self,
        stages: &'a [Stage],
        mut tuples: Vec<Tuple<'a>>,
        env: &Rc<Env<'a>>,
    ) -> Result<Vec<Tuple<'a>>> {
        for stage in stages {
            match stage {
                Stage::Filter(f) => tuples = self.filter_tuples(f, tuples, env)?,
                Stage::Index(name) => {
                    for (i, t) in tuples.iter_mut().enumerate() {
                        t.set(name, Val::Num(i as f64));
                    }
                }
            }
        }
        Ok(tuples)
    }

    fn filter_tuples(
        &self,
        pred: &'a Node,
        input: Vec<Tuple<'a>>,
        env: &Rc<Env<'a>>,
    ) -> Result<Vec<Tuple<'a>>> {
        let len = input.len();
        if let Kind::Num(n) = pred.kind {
            let mut idx = n.floor();
            if idx < 0.0 {
                idx += len as f64;
            }
            return Ok(if idx >= 0.0 && (idx as usize) < len {
                vec![input[idx as usize].clone()]
            } else {
                Vec::new()
            });
        }
        let mut out = Vec::new();
        for (i, t) in input.iter().enumerate() {
            let frame = frame_from_tuple(env, t);
            let res = self.eval(pred, &t.ctx, &frame)?;
            if predicate_selects(&res, i, len) {
                out.push(t.clone());
            }
        }
        Ok(out)
    }

    pub(crate) fn filter(
        &self,
        pred: &'a Node,
        input: Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        let items = match &input {
            Val::Undef => Vec::new(),
            v if v.is_array() => v.members(),
            v => vec![v.clone()],
        };
        let len = items.len();
        if let Kind::Num(n) = pred.kind
            && pred.predicate.is_empty()
        {
            let mut idx = n.floor();
            if idx < 0.0 {
                idx += len as f64;
            }
            if idx >= 0.0 && (idx as usize) < len {
                let item = items[idx as usize].clone();
                if item.is_array() {
                    return Ok(item);
                }
                return Ok(seq(vec![item]));
            }
            return Ok(seq(Vec::new()));
        }
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let res = self.eval(pred, item, env)?;
            if predicate_selects(&res, i, len) {
                out.push(item.clone());
            }
        }
        Ok(seq(out))
    }

    fn sort_key_cmp(
        &self,
        terms: &'a [SortTerm],
        a: &Tuple<'a>,
        b: &Tuple<'a>,
        env: &Rc<Env<'a>>,
        tuple: bool,
    ) -> Result<std::cmp::Ordering> {
        use std::cmp::Ordering;
        let mut comp = 0i32;
        for term in terms {
            let (fa, fb);
            let (ea, eb) = if tuple {
                fa = frame_from_tuple(env, a);
                fb = frame_from_tuple(env, b);
                (&fa, &fb)
            } else {
                (env, env)
            };
            let aa = self.eval(&term.expr, &a.ctx, ea)?;
            let bb = self.eval(&term.expr, &b.ctx, eb)?;
            if aa.is_undef() {
                comp = if bb.is_undef() { 0 } else { 1 };
                continue;
            }
            if bb.is_undef() {
                comp = -1;
                continue;
            }
            let ord = match (aa.as_num(), bb.as_num(), aa.as_str(), bb.as_str()) {
                (Some(x), Some(y), _, _) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                (_, _, Some(x), Some(y)) => cmp_utf16(x, y),
                _ => {
                    let comparable = |v: &Val<'_>| v.as_num().is_some() || v.as_str().is_some();
                    if !comparable(&aa) || !comparable(&bb) {
                        return type_error(
                            "T2008",
                            "The expressions within an order-by clause must evaluate to numeric or string values".into(),
                        );
                    }
                    return type_error(
                        "T2007",
                        format!(
                            "Type mismatch when comparing values {} and {} in order-by clause",
                            functions::display(&aa),
                            functions::display(&bb)
                        ),
                    );
                }
            };
            if ord == Ordering::Equal {
                comp = 0;
                continue;
            }
            comp = if ord == Ordering::Less { -1 } else { 1 };
            if term.descending {
                comp = -comp;
            }
            break;
        }
        Ok(match comp {
            1 => Ordering::Greater,
            -1 => Ordering::Less,
            _ => Ordering::Equal,
        })
    }

    fn sort_tuples(
        &self,
        terms: &'a [SortTerm],
        items: Vec<Tuple<'a>>,
        env: &Rc<Env<'a>>,
    ) -> Result<Vec<Tuple<'a>>> {
        self.sort_generic(items, |a, b| self.sort_key_cmp(terms, a, b, env, true))
    }

    fn sort_vals(
        &self,
        terms: &'a [SortTerm],
        items: Vec<Val<'a>>,
        env: &Rc<Env<'a>>,
    ) -> Result<Vec<Val<'a>>> {
        let tuples: Vec<Tuple<'a>> = items
            .into_iter()
            .map(|v| Tuple {
                ctx: v,
                vars: Vec::new(),
            })
            .collect();
        let sorted =
            self.sort_generic(tuples, |a, b| self.sort_key_cmp(terms, a, b, env, false))?;
        Ok(sorted.into_iter().map(|t| t.ctx).collect())
    }

    pub(crate) fn sort_generic<T: Clone>(
        &self,
        mut items: Vec<T>,
        cmp: impl Fn(&T, &T) -> Result<std::cmp::Ordering>,
    ) -> Result<Vec<T>> {
        let mut error = None;
        items.sort_by(|a, b| {
            if error.is_some() {
                return std::cmp::Ordering::Equal;
            }
            match cmp(a, b) {
                Ok(o) => o,
                Err(e) => {
                    error = Some(e);
                    std::cmp::Ordering::Equal
                }
            }
        });
        match error {
            Some(e) => Err(e),
            None => Ok(items),
        }
    }

    fn group(&self, group: &'a Group, input: Val<'a>, env: &Rc<Env<'a>>) -> Result<Val<'a>> {
        self.group_pairs(&group.pairs, input, env, false, Vec::new())
    }

    fn group_tuples(
        &self,
        group: &'a Group,
        tuples: Vec<Tuple<'a>>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        self.group_pairs(&group.pairs, Val::Undef, env, true, tuples)
    }

    fn group_pairs(
        &self,
        pairs: &'a [(Node, Node)],
        input: Val<'a>,
        env: &Rc<Env<'a>>,
        reduce: bool,
        tuples: Vec<Tuple<'a>>,
    ) -> Result<Val<'a>> {
        let items: Vec<Tuple<'a>> = if reduce {
            tuples
        } else {
            let mut v: Vec<Tuple<'a>> = match &input {
                v if v.is_array() => v.members(),
                Val::Undef => Vec::new(),
                v => vec![v.clone()],
            }
            .into_iter()
            .map(|v| Tuple {
                ctx: v,
                vars: Vec::new(),
            })
            .collect();
            if v.is_empty() {
                v.push(Tuple {
                    ctx: Val::Undef,
                    vars: Vec::new(),
                });
            }
            v
        };
        let items = if reduce && items.is_empty() {
            vec![Tuple {
                ctx: Val::Undef,
                vars: Vec::new(),
            }]
        } else {
            items
        };
        // key -> (pair index, collected items)
        let mut groups: IndexMap<String, (usize, Vec<Tuple<'a>>)> = IndexMap::new();
        for item in &items {
            let frame;
            let e = if reduce {
                frame = frame_from_tuple(env, item);
                &frame
            } else {
                env
            };
            for (pi, (k, _)) in pairs.iter().enumerate() {
                let key = self.eval(k, &item.ctx, e)?;
                if key.is_undef() {
                    continue;
                }
                let Some(key) = key.as_str() else {
                    return Err(JsonataError::new(
                        "T1003",
                        format!(
                            "Key in object structure must evaluate to a string; got: {}",
                            functions::display(&key)
                        ),
                    )
                    .at(k.pos));
                };
                match groups.get_mut(key) {
                    Some((idx, data)) => {
                        if *idx != pi {
                            return Err(JsonataError::new(
                                "D1009",
                                format!("Multiple key definitions evaluate to same key: \"{key}\""),
                            )
                            .at(k.pos));
                        }
                        data.push(item.clone());
                    }
                    None => {
                        groups.insert(key.to_string(), (pi, vec![item.clone()]));
                    }
                }
            }
        }
        let mut result: Obj<'a> = IndexMap::with_capacity(groups.len());
        for (key, (pi, data)) in groups {
            let value = if reduce {
                let mut merged = data[0].clone();
                for t in &data[1..] {
                    merged.ctx = append(merged.ctx.clone(), t.ctx.clone());
                    for (name, v) in &t.vars {
                        let cur = merged
                            .vars
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Val::Undef);
                        merged.set(name, append(cur, v.clone()));
                    }
                }
                let frame = frame_from_tuple(env, &merged);
                self.eval(&pairs[pi].1, &merged.ctx, &frame)?
            } else {
                let ctx = if data.len() == 1 {
                    data[0].ctx.clone()
                } else {
                    let mut acc = Val::Undef;
                    for t in data {
                        acc = append(acc, t.ctx);
                    }
                    // A concatenation of several inputs is a plain array, not a sequence.
                    match acc {
                        Val::Arr(a) if a.seq => array(a.items.clone()),
                        other => other,
                    }
                };
                self.eval(&pairs[pi].1, &ctx, env)?
            };
            if !value.is_undef() {
                result.insert(key, value);
            }
        }
        Ok(Val::Obj(Rc::new(result)))
    }

    fn binary(
        &self,
        op: BinOp,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        match op {
            BinOp::And => {
                let l = self.eval(lhs, input, env)?;
                if !truthy(&l).unwrap_or(false) {
                    return Ok(Val::Bool(false));
                }
                let r = self.eval(rhs, input, env)?;
                return Ok(Val::Bool(truthy(&r).unwrap_or(false)));
            }
            BinOp::Or => {
                let l = self.eval(lhs, input, env)?;
                if truthy(&l).unwrap_or(false) {
                    return Ok(Val::Bool(true));
                }
                let r = self.eval(rhs, input, env)?;
                return Ok(Val::Bool(truthy(&r).unwrap_or(false)));
            }
            _ => {}
        }
        let l = self.eval(lhs, input, env)?;
        let r = self.eval(rhs, input, env)?;
        let res = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => {
                let ln = l.as_num();
                let rn = r.as_num();
                if !l.is_undef() && ln.is_none() {
                    return Err(JsonataError::new(
                        "T2001",
                        format!(
                            "The left side of the {} operator must evaluate to a number",
                            op.symbol()
                        ),
                    )
                    .at(lhs.pos)
                    .token(op.symbol()));
                }
                if !r.is_undef() && rn.is_none() {
                    return Err(JsonataError::new(
                        "T2002",
                        format!(
                            "The right side of the {} operator must evaluate to a number",
                            op.symbol()
                        ),
                    )
                    .at(rhs.pos)
                    .token(op.symbol()));
                }
                let (Some(a), Some(b)) = (ln, rn) else {
                    return Ok(Val::Undef);
                };
                let v = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    _ => a % b,
                };
                if v.is_infinite() && op != BinOp::Div {
                    return Err(JsonataError::new(
                        "D1001",
                        format!("Number out of range: {v}"),
                    ));
                }
                Val::Num(v)
            }
            BinOp::Eq | BinOp::Ne => {
                if l.is_undef() || r.is_undef() {
                    return Ok(Val::Bool(false));
                }
                let eq = deep_equal(&l, &r);
                Val::Bool(if op == BinOp::Eq { eq } else { !eq })
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let comparable =
                    |v: &Val<'_>| v.is_undef() || v.as_num().is_some() || v.as_str().is_some();
                if !comparable(&l) || !comparable(&r) {
                    return Err(JsonataError::new(
                        "T2010",
                        format!(
                            "The expressions either side of operator \"{}\" must evaluate to numeric or string values",
                            op.symbol()
                        ),
                    )
                    .token(op.symbol()));
                }
                if l.is_undef() || r.is_undef() {
                    return Ok(Val::Undef);
                }
                let ord = match (l.as_num(), r.as_num(), l.as_str(), r.as_str()) {
                    (Some(a), Some(b), _, _) => a.partial_cmp(&b),
                    (_, _, Some(a), Some(b)) => Some(cmp_utf16(a, b)),
                    _ => {
                        return Err(JsonataError::new(
                            "T2009",
                            format!(
                                "The values {} and {} either side of operator \"{}\" must be of the same data type",
                                functions::display(&l),
                                functions::display(&r),
                                op.symbol()
                            ),
                        )
                        .token(op.symbol()));
                    }
                };
                use std::cmp::Ordering::*;
                Val::Bool(match (op, ord) {
                    (_, None) => false,
                    (BinOp::Lt, Some(o)) => o == Less,
                    (BinOp::Le, Some(o)) => o != Greater,
                    (BinOp::Gt, Some(o)) => o == Greater,
                    (_, Some(o)) => o != Less,
                })
            }
            BinOp::Concat => {
                let a = functions::to_string_val(&l)?;
                let b = functions::to_string_val(&r)?;
                let mut s = String::with_capacity(a.len() + b.len());
                s.push_str(&a);
                s.push_str(&b);
                Val::Str(Rc::from(s))
            }
            BinOp::In => {
                if l.is_undef() || r.is_undef() {
                    return Ok(Val::Bool(false));
                }
                let items = if r.is_array() { r.members() } else { vec![r] };
                Val::Bool(
                    items
                        .iter()
                        .any(|i| !i.is_array() && !i.is_object() && deep_equal(i, &l)),
                )
            }
            BinOp::Range => {
                if !l.is_undef() && !l.as_num().is_some_and(|n| n.fract() == 0.0) {
                    return Err(JsonataError::new(
                        "T2003",
                        "The left side of the range operator (..) must evaluate to an integer"
                            .into(),
                    )
                    .at(lhs.pos));
                }
                if !r.is_undef() && !r.as_num().is_some_and(|n| n.fract() == 0.0) {
                    return Err(JsonataError::new(
                        "T2004",
                        "The right side of the range operator (..) must evaluate to an integer"
                            .into(),
                    )
                    .at(rhs.pos));
                }
                let (Some(a), Some(b)) = (l.as_num(), r.as_num()) else {
                    return Ok(Val::Undef);
                };
                if a > b {
                    return Ok(Val::Undef);
                }
                if b - a >= MAX_RANGE {
                    return Err(JsonataError::new(
                        "D2014",
                        format!(
                            "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {}.",
                            b - a + 1.0
                        ),
                    ));
                }
                let mut out = Vec::with_capacity((b - a + 1.0) as usize);
                let mut x = a;
                while x <= b {
                    out.push(Val::Num(x));
                    x += 1.0;
                }
                array(out)
            }
            BinOp::And | BinOp::Or => Val::Undef,
        };
        Ok(res)
    }

    fn apply_op(
        &self,
        lhs: &'a Node,
        rhs: &'a Node,
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        let l = self.eval(lhs, input, env)?;
        if let Kind::Call {
            func,
            args,
            partial: false,
        } = &rhs.kind
        {
            // As in jsonata-js, a predicate on the called function is not applied here.
            return self.call(func, args, input, env, Some(l));
        }
        let f = self.eval(rhs, input, env)?;
        if !f.is_func() {
            return Err(JsonataError::new(
                "T2006",
                "The right side of the function application operator ~> must be a function".into(),
            )
            .at(rhs.pos));
        }
        if l.is_func() {
            return Ok(Val::Func(Rc::new(Func::Chain(l, f))));
        }
        self.apply(&f, vec![l], input, rhs.pos)
    }

    fn call(
        &self,
        func: &'a Node,
        args: &'a [Node],
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
        first: Option<Val<'a>>,
    ) -> Result<Val<'a>> {
        let f = self.eval(func, input, env)?;
        if !f.is_func() {
            return Err(not_a_function(func, &f, env, "T1006"));
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        if let Some(v) = first {
            values.push(v);
        }
        for a in args {
            values.push(self.eval(a, input, env)?);
        }
        self.apply(&f, values, input, func.pos).map_err(|e| {
            let e = e.at(func.pos);
            match &func.kind {
                Kind::Var(name) => e.token(name.clone()),
                _ => e,
            }
        })
    }

    fn partial(
        &self,
        func: &'a Node,
        args: &'a [Node],
        input: &Val<'a>,
        env: &Rc<Env<'a>>,
    ) -> Result<Val<'a>> {
        let f = self.eval(func, input, env)?;
        if !f.is_func() {
            return Err(not_a_function(func, &f, env, "T1008"));
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            if matches!(a.kind, Kind::Placeholder) {
                values.push(None);
            } else {
                values.push(Some(self.eval(a, input, env)?));
            }
        }
        Ok(Val::Func(Rc::new(Func::Partial {
            func: f,
            args: values,
        })))
    }

    /// Applies a function value to arguments, trampolining tail calls of lambdas.
    pub(crate) fn apply(
        &self,
        f: &Val<'a>,
        args: Vec<Val<'a>>,
        input: &Val<'a>,
        pos: usize,
    ) -> Result<Val<'a>> {
        let Val::Func(func) = f else {
            return Err(
                JsonataError::new("T1006", "Attempted to invoke a non-function".into()).at(pos),
            );
        };
        let mut func = func.clone();
        let mut args = args;
        let mut tail_calls = 0usize;
        loop {
            tail_calls += 1;
            if tail_calls > MAX_TAIL_CALLS {
                return Err(JsonataError::new(
                    "U1001",
                    "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.".into(),
                )
                .at(pos));
            }
            match &*func {
                Func::Lambda {
                    def,
                    env,
                    input: captured,
                } => {
                    let call_args = std::mem::take(&mut args);
                    let call_args = match &def.signature {
                        Some(sig) => functions::validate(sig, call_args, captured, "lambda")?,
                        None => call_args,
                    };
                    let frame = Env::child(env);
                    for (i, p) in def.params.iter().enumerate() {
                        frame.bind(p, call_args.get(i).cloned().unwrap_or(Val::Undef));
                    }
                    // The body is one level deeper, as in jsonata (tail calls do not nest).
                    let depth = self.depth.get() + 1;
                    if depth > self.max_depth {
                        return Err(JsonataError::new(
                            "U1001",
                            "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.".into(),
                        )
                        .at(pos));
                    }
                    self.depth.set(depth);
                    let body = self.tail(&def.body, captured, &frame);
                    self.depth.set(depth - 1);
                    // Tail call: evaluate the callee and arguments here, then loop.
                    match body? {
                        TailResult::Value(v) => return Ok(v),
                        TailResult::Call(next, next_args) => {
                            let Val::Func(n) = next else {
                                return Err(JsonataError::new(
                                    "T1006",
                                    "Attempted to invoke a non-function".into(),
                                ));
                            };
                            func = n;
                            args = next_args;
                        }
                    }
                }
                Func::Builtin(b) => {
                    let args = functions::validate(&b.signature, args, input, b.name)
                        .map_err(|e| e.token(b.name))?;
                    return (b.imp)(self, args, input).map_err(|e| e.token(b.name));
                }
                Func::Partial {
                    func: inner,
                    args: bound,
                } => {
                    let mut supplied = args.into_iter();
                    let full: Vec<Val<'a>> = bound
                        .iter()
                        .map(|b| match b {
                            Some(v) => v.clone(),
                            None => supplied.next().unwrap_or(Val::Undef),
                        })
                        .collect();
                    return self.apply(inner, full, input, pos);
                }
                Func::Chain(first, second) => {
                    let mid = self.apply(first, args, input, pos)?;
                    return self.apply(second, vec![mid], input, pos);
                }
                Func::Regex(r) => {
                    let arg = args.into_iter().next().unwrap_or(Val::Undef);
                    return functions::regex_match_object(r, &arg, 0);
                }
                Func::Native(n) => return functions::native(self, n),
                Func::Transform { node, env } => {
                    let arg = args.into_iter().next().unwrap_or(Val::Undef);
                    return self.transform(node, arg, env);
                }
            }
        }
    }

    /// Evaluates a lambda body, stopping at a function call in tail position.
    fn tail(&self, node: &'a Node, input: &Val<'a>, env: &Rc<Env<'a>>) -> Result<TailResult<'a>> {
        let plain = node.predicate.is_empty() && node.group.is_none() && !node.keep_array;
        if plain {
            match &node.kind {
                Kind::Call {
                    func,
                    args,
                    partial: false,
                } => {
                    let f = self.eval(func, input, env)?;
                    if !f.is_func() {
                        return Err(not_a_function(func, &f, env, "T1006").at(node.pos));
                    }
                    if matches!(&f, Val::Func(inner) if matches!(**inner, Func::Lambda { .. })) {
                        let mut values = Vec::with_capacity(args.len());
                        for a in args {
                            values.push(self.eval(a, input, env)?);
                        }
                        return Ok(TailResult::Call(f, values));
                    }
                }
                Kind::Cond(c, t, e) => {
                    let cond = self.eval(c, input, env)?;
                    return if truthy(&cond).unwrap_or(false) {
                        self.tail(t, input, env)
                    } else if let Some(e) = e {
                        self.tail(e, input, env)
                    } else {
                        Ok(TailResult::Value(Val::Undef))
                    };
                }
                Kind::Block(items) if !items.is_empty() => {
                    let frame = Env::child(env);
                    for item in &items[..items.len() - 1] {
                        self.eval(item, input, &frame)?;
                    }
                    return self.tail(&items[items.len() - 1], input, &frame);
                }
                _ => {}
            }
        }
        Ok(TailResult::Value(self.eval(node, input, env)?))
    }

    fn transform(&self, node: &'a Node, arg: Val<'a>, env: &Rc<Env<'a>>) -> Result<Val<'a>> {
        let Kind::Transform(pattern, update, delete) = &node.kind else {
            return Ok(Val::Undef);
        };
        if arg.is_undef() {
            return Ok(Val::Undef);
        }
        let clone = deep_clone(&arg);
        let matches = self.eval(pattern, &clone, env)?;
        let matches = if matches.is_array() {
            matches.members()
        } else if matches.is_undef() {
            Vec::new()
        } else {
            vec![matches]
        };
        let mut edits: Vec<Edit<'a>> = Vec::new();
        for m in &matches {
            let Val::Obj(o) = m else { continue };
            let upd = self.eval(update, m, env)?;
            let mut sets = Vec::new();
            if !upd.is_undef() {
                if !upd.is_object() {
                    return Err(JsonataError::new(
                        "T2011",
                        format!(
                            "The insert/update clause of the transform expression must evaluate to an object: {}",
                            functions::display(&upd)
                        ),
                    )
                    .at(update.pos));
                }
                sets = upd.entries();
            }
            let mut dels = Vec::new();
            if let Some(d) = delete {
                let del = self.eval(d, m, env)?;
                if !del.is_undef() {
                    let items = if del.is_array() {
                        del.members()
                    } else {
                        vec![del.clone()]
                    };
                    for i in items {
                        match i.as_str() {
                            Some(s) => dels.push(s.to_string()),
                            None => {
                                return Err(JsonataError::new(
                                    "T2012",
                                    format!(
                                        "The delete clause of the transform expression must evaluate to a string or array of strings: {}",
                                        functions::display(&del)
                                    ),
                                )
                                .at(d.pos));
                            }
                        }
                    }
                }
            }
            edits.push((Rc::as_ptr(o), sets, dels));
        }
        Ok(rebuild(&clone, &edits))
    }
}

/// A transform's edit of one matched object: its identity, updates and deletions.
type Edit<'a> = (*const Obj<'a>, Vec<(String, Val<'a>)>, Vec<String>);

enum TailResult<'a> {
    Value(Val<'a>),
    Call(Val<'a>, Vec<Val<'a>>),
}

fn not_a_function<'a>(func: &Node, _f: &Val<'a>, _env: &Rc<Env<'a>>, code: &str) -> JsonataError {
    let name = match &func.kind {
        Kind::Path { steps, .. } => match steps.first().map(|s| &s.kind) {
            Some(Kind::Name(n)) => Some(n.clone()),
            _ => None,
        },
        Kind::Var(n) => Some(n.clone()),
        _ => None,
    };
    if let (Kind::Path { .. }, Some(n)) = (&func.kind, &name)
        && functions::builtin(n).is_some()
    {
        let code = if code == "T1008" { "T1007" } else { "T1005" };
        return JsonataError::new(
            code,
            format!("Attempted to invoke a non-function. Did you mean ${n}?"),
        )
        .at(func.pos)
        .token(n.clone());
    }
    if name.as_deref() == Some("eval") {
        return JsonataError::new(code, "$eval is not supported by Step Functions".into())
            .at(func.pos)
            .token("eval");
    }
    let message = if code == "T1008" {
        "Attempted to partially apply a non-function"
    } else {
        "Attempted to invoke a non-function"
    };
    let e = JsonataError::new(code, message.into()).at(func.pos);
    match name {
        Some(n) => e.token(n),
        None => e,
    }
}

fn frame_from_tuple<'a>(env: &Rc<Env<'a>>, t: &Tuple<'a>) -> Rc<Env<'a>> {
    if t.vars.is_empty() {
        return env.clone();
    }
    let frame = Env::child(env);
    for (k, v) in &t.vars {
        frame.bind(k, v.clone());
    }
    frame
}

fn predicate_selects(res: &Val<'_>, index: usize, len: usize) -> bool {
    let nums: Option<Vec<f64>> = if let Some(n) = res.as_num() {
        Some(vec![n])
    } else if res.is_array() && res.len() > 0 {
        res.members().iter().map(|m| m.as_num()).collect()
    } else {
        None
    };
    if let Some(nums) = nums {
        return nums.iter().any(|n| {
            let mut i = n.floor();
            if i < 0.0 {
                i += len as f64;
            }
            i == index as f64
        });
    }
    truthy(res).unwrap_or(false)
}

/// Unwraps a result sequence: empty is undefined, a singleton is its item.
pub(crate) fn unwrap_seq(v: Val<'_>, keep: bool) -> Val<'_> {
    match &v {
        Val::Arr(a) if a.seq => {
            if keep {
                a.keep.set(true);
            }
            if a.items.is_empty() {
                Val::Undef
            } else if a.items.len() == 1 && !a.keep.get() {
                a.items[0].clone()
            } else {
                v
            }
        }
        _ => v,
    }
}

pub(crate) fn lookup<'a>(input: &Val<'a>, key: &str) -> Val<'a> {
    match input {
        Val::Json(Value::Object(m)) => m.get(key).map(Val::Json).unwrap_or(Val::Undef),
        Val::Obj(m) => m.get(key).cloned().unwrap_or(Val::Undef),
        v if v.is_array() => {
            let mut out = Vec::new();
            for item in v.members() {
                let res = lookup(&item, key);
                match res {
                    Val::Undef => {}
                    r if r.is_array() => out.extend(r.members()),
                    r => out.push(r),
                }
            }
            seq(out)
        }
        _ => Val::Undef,
    }
}

fn flatten_deep<'a>(v: &Val<'a>, out: &mut Vec<Val<'a>>) {
    if v.is_array() {
        for m in v.members() {
            flatten_deep(&m, out);
        }
    } else {
        out.push(v.clone());
    }
}

fn descendants<'a>(v: &Val<'a>, out: &mut Vec<Val<'a>>) {
    if !v.is_array() {
        out.push(v.clone());
    }
    if v.is_array() {
        for m in v.members() {
            descendants(&m, out);
        }
    } else if v.is_object() {
        for (_, m) in v.entries() {
            descendants(&m, out);
        }
    }
}

/// Compares strings by UTF-16 code units, as JavaScript does.
pub(crate) fn cmp_utf16(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A deep copy into owned objects, so that a transform can find its matches by identity.
fn deep_clone<'a>(v: &Val<'a>) -> Val<'a> {
    match v {
        v if v.is_object() => Val::Obj(Rc::new(
            v.entries()
                .into_iter()
                .map(|(k, v)| (k, deep_clone(&v)))
                .collect(),
        )),
        v if v.is_array() => array(v.members().iter().map(deep_clone).collect()),
        other => other.scalar(),
    }
}

fn rebuild<'a>(v: &Val<'a>, edits: &[Edit<'a>]) -> Val<'a> {
    match v {
        Val::Obj(o) => {
            let mut map: Obj<'a> = o
                .iter()
                .map(|(k, v)| (k.clone(), rebuild(v, edits)))
                .collect();
            for (ptr, sets, dels) in edits {
                if std::ptr::eq(*ptr, Rc::as_ptr(o)) {
                    for (k, v) in sets {
                        map.insert(k.clone(), v.clone());
                    }
                    for d in dels {
                        map.shift_remove(d);
                    }
                }
            }
            Val::Obj(Rc::new(map))
        }
        Val::Arr(a) => Val::Arr(Rc::new(Arr {
            items: a.items.iter().map(|i| rebuild(i, edits)).collect(),
            seq: a.seq,
            cons: a.cons,
            ..Arr::default()
        })),
        other => other.clone(),
    }
}
