//! Pure expressions to JSONata: variables, fields, indexing, literals, arithmetic,
//! comparisons, `&&`/`||`/`!`, struct literals (objects), tuples, arrays and `vec![]`
//! (arrays), `format!` (string concatenation), `Option` tests, `if`/`else` (conditional) and
//! the methods of [`METHODS`].

use quote::ToTokens;
use syn::{BinOp, Expr, Lit, Member, Pat, UnOp};

/// The methods an expression may call, as the README documents them.
pub(crate) const METHODS: &[&str] = &[
    "clone",
    "to_owned",
    "to_string",
    "into",
    "as_str",
    "len",
    "is_empty",
    "contains",
    "to_uppercase",
    "to_lowercase",
    "trim",
    "starts_with",
    "ends_with",
    "is_some",
    "is_none",
    "unwrap_or",
    "abs",
    "floor",
    "ceil",
    "min",
    "max",
    "iter",
    "into_iter",
    "map",
    "filter",
    "collect",
    "sum",
    "count",
    "any",
    "all",
];

/// Where expression lowering looks up variables.
pub(crate) trait Env {
    /// The JSONata text of a Rust variable, such as `$order`.
    fn var(&self, name: &str) -> Option<String>;
}

/// Lowers one expression; problems go to `errors` and the result is then meaningless.
pub(crate) struct Lowerer<'e> {
    env: &'e dyn Env,
    /// Closure parameters in scope (`iter().map(|x| ..)`), innermost last.
    locals: Vec<(String, String)>,
    pub errors: Vec<syn::Error>,
}

const KEYWORDS: &[&str] = &["and", "or", "in", "true", "false", "null", "function"];

fn field_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain && !KEYWORDS.contains(&name) {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

/// A JSONata string literal.
pub(crate) fn string_lit(s: &str) -> String {
    crate::graph::json_str(s)
}

/// The hint at the end of most messages.
pub(crate) const MOVE_TO_TASK: &str = "move this logic into a `#[task]`";

impl<'e> Lowerer<'e> {
    pub(crate) fn new(env: &'e dyn Env) -> Self {
        Lowerer {
            env,
            locals: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn error(&mut self, node: impl ToTokens, message: impl std::fmt::Display) -> String {
        self.errors.push(syn::Error::new_spanned(node, message));
        "null".to_string()
    }

    fn lookup(&self, name: &str) -> Option<String> {
        self.locals
            .iter()
            .rev()
            .find(|(rust, _)| rust == name)
            .map(|(_, j)| j.clone())
            .or_else(|| self.env.var(name))
    }

    /// The JSONata text of `expr`.
    pub(crate) fn expr(&mut self, expr: &Expr) -> String {
        match expr {
            Expr::Lit(lit) => self.lit(&lit.lit),
            Expr::Path(path) => {
                if path.qself.is_some() {
                    return self.error(path, format!("qualified paths are not supported in a workflow; {MOVE_TO_TASK}"));
                }
                let segments = &path.path.segments;
                if segments.len() == 1 {
                    let name = segments[0].ident.to_string();
                    if name == "None" {
                        return "null".to_string();
                    }
                    match self.lookup(&name) {
                        Some(text) => text,
                        None => self.error(
                            path,
                            format!("`{name}` is not a variable of this workflow; a workflow expression reads its parameters and the variables it binds (constants and statics are not supported)"),
                        ),
                    }
                } else {
                    // `Enum::Variant`: a unit variant serializes as its name.
                    let variant = segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                    string_lit(&variant)
                }
            }
            Expr::Field(field) => {
                let base = self.expr(&field.base);
                match &field.member {
                    Member::Named(ident) => {
                        format!("{base}.{}", field_name(&ident.to_string()))
                    }
                    Member::Unnamed(index) => format!("{base}[{}]", index.index),
                }
            }
            Expr::Index(index) => {
                let base = self.expr(&index.expr);
                let at = self.expr(&index.index);
                format!("{base}[{at}]")
            }
            Expr::Paren(paren) => format!("({})", self.expr(&paren.expr)),
            Expr::Group(group) => self.expr(&group.expr),
            Expr::Reference(reference) => self.expr(&reference.expr),
            Expr::Unary(unary) => {
                let inner = self.expr(&unary.expr);
                match unary.op {
                    UnOp::Not(_) => format!("$not({inner})"),
                    UnOp::Neg(_) => format!("-{inner}"),
                    UnOp::Deref(_) => inner,
                    _ => self.error(unary, "this operator is not supported in a workflow"),
                }
            }
            Expr::Binary(binary) => self.binary(binary),
            Expr::Struct(strukt) => {
                if let Some(rest) = &strukt.rest {
                    return self.error(rest, "struct update syntax (`..base`) is not supported in a workflow; list every field");
                }
                let fields: Vec<String> = strukt
                    .fields
                    .iter()
                    .map(|f| {
                        let name = match &f.member {
                            Member::Named(ident) => ident.to_string(),
                            Member::Unnamed(index) => index.index.to_string(),
                        };
                        format!("{}: {}", string_lit(&name), self.expr(&f.expr))
                    })
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            Expr::Tuple(tuple) => {
                if tuple.elems.is_empty() {
                    return "null".to_string();
                }
                let elems: Vec<&Expr> = tuple.elems.iter().collect();
                self.array(&elems)
            }
            Expr::Array(array) => {
                let elems: Vec<&Expr> = array.elems.iter().collect();
                self.array(&elems)
            }
            Expr::Macro(mac) => self.mac(&mac.mac),
            Expr::MethodCall(call) => self.method(call),
            Expr::Call(call) => {
                if let Expr::Path(path) = &*call.func {
                    let text = path.path.to_token_stream().to_string().replace(' ', "");
                    if (text == "Some" || text == "String::from" || text == "Box::new")
                        && call.args.len() == 1
                    {
                        return self.expr(&call.args[0]);
                    }
                }
                self.error(call, format!("function calls are not supported in a workflow expression; call a `#[task]` in its own statement (`let x = task(..).await?;`), or {MOVE_TO_TASK}"))
            }
            Expr::If(expr_if) => {
                let Some((_, else_branch)) = &expr_if.else_branch else {
                    return self.error(expr_if, "an `if` used as a value needs an `else`");
                };
                let cond = self.expr(&expr_if.cond);
                let then = self.block_value(&expr_if.then_branch.stmts, expr_if);
                let otherwise = match &**else_branch {
                    Expr::Block(block) => self.block_value(&block.block.stmts, block),
                    other => self.expr(other),
                };
                format!("({cond} ? {then} : {otherwise})")
            }
            Expr::Block(block) if block.attrs.is_empty() && block.label.is_none() => {
                self.block_value(&block.block.stmts, block)
            }
            Expr::Cast(cast) => {
                let ty = cast.ty.to_token_stream().to_string();
                if ty == "f64" || ty == "f32" {
                    self.expr(&cast.expr)
                } else {
                    self.error(cast, "only `as f64` casts are supported in a workflow: JSON numbers have no integer types")
                }
            }
            Expr::Await(await_expr) => self.error(await_expr, "`.await` is only supported on a task call in its own statement: `let x = task(..).await?;`"),
            Expr::Try(try_expr) => self.error(try_expr, "`?` is only supported on a task call in its own statement: `let x = task(..).await?;`"),
            Expr::Closure(closure) => self.error(closure, format!("closures are only supported as the argument of `map`, `callback` and `iter().map/filter/any/all`; {MOVE_TO_TASK}")),
            other => self.error(other, format!("this expression is not supported in a workflow; {MOVE_TO_TASK}")),
        }
    }

    /// An array of `elems`. JSONata's array constructor splices an element whose value is an
    /// array (`[$xs, 1]` is `[..xs, 1]`), so when an element may hold an array the array is
    /// built with `$map` over the positions, which keeps each value whole.
    fn array(&mut self, elems: &[&Expr]) -> String {
        let items: Vec<String> = elems.iter().map(|e| self.expr(e)).collect();
        if items.len() < 2 || !elems.iter().any(|e| may_be_array(e)) {
            return format!("[{}]", items.join(", "));
        }
        let last = items.len() - 1;
        let mut body = items[last].clone();
        for (i, item) in items.iter().enumerate().take(last).rev() {
            body = format!("$i = {i} ? {item} : {body}");
        }
        let positions: Vec<String> = (0..items.len()).map(|i| i.to_string()).collect();
        format!(
            "$map([{}], function($i) {{ {body} }})",
            positions.join(", ")
        )
    }

    fn block_value(&mut self, stmts: &[syn::Stmt], node: impl ToTokens) -> String {
        match stmts {
            [syn::Stmt::Expr(expr, None)] => self.expr(expr),
            _ => self.error(node, "a block used as a value may only hold one expression"),
        }
    }

    fn lit(&mut self, lit: &Lit) -> String {
        match lit {
            Lit::Str(s) => string_lit(&s.value()),
            Lit::Char(c) => string_lit(&c.value().to_string()),
            Lit::Int(i) => i.base10_digits().to_string(),
            Lit::Float(f) => f.base10_digits().to_string(),
            Lit::Bool(b) => b.value.to_string(),
            other => self.error(
                other,
                "this literal is not supported in a workflow; use a string, number or bool",
            ),
        }
    }

    fn binary(&mut self, binary: &syn::ExprBinary) -> String {
        let left = self.expr(&binary.left);
        let right = self.expr(&binary.right);
        let is_str = |e: &Expr| matches!(e, Expr::Lit(l) if matches!(l.lit, Lit::Str(_)));
        let op = match binary.op {
            BinOp::Add(_) if is_str(&binary.left) || is_str(&binary.right) => "&",
            BinOp::Add(_) => "+",
            BinOp::Sub(_) => "-",
            BinOp::Mul(_) => "*",
            BinOp::Div(_) => "/",
            BinOp::Rem(_) => "%",
            BinOp::Eq(_) => "=",
            BinOp::Ne(_) => "!=",
            BinOp::Lt(_) => "<",
            BinOp::Le(_) => "<=",
            BinOp::Gt(_) => ">",
            BinOp::Ge(_) => ">=",
            BinOp::And(_) => "and",
            BinOp::Or(_) => "or",
            _ => {
                return self.error(
                    binary.op,
                    "this operator is not supported in a workflow; use arithmetic, comparisons, `&&`, `||` or `!`",
                );
            }
        };
        format!("{left} {op} {right}")
    }

    fn mac(&mut self, mac: &syn::Macro) -> String {
        let name = mac.path.to_token_stream().to_string();
        match name.as_str() {
            "vec" => {
                let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
                match mac.parse_body_with(parser) {
                    Ok(items) => {
                        let elems: Vec<&Expr> = items.iter().collect();
                        self.array(&elems)
                    }
                    Err(_) => self.error(mac, "`vec![x; n]` is not supported in a workflow; list the elements"),
                }
            }
            "format" => self.format(mac),
            _ => self.error(
                &mac.path,
                format!("the macro `{name}!` is not supported in a workflow; the supported macros are `fail!`, `join!`, `format!` and `vec!`"),
            ),
        }
    }

    fn format(&mut self, mac: &syn::Macro) -> String {
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let Ok(args) = mac.parse_body_with(parser) else {
            return self.error(mac, "cannot read this `format!`");
        };
        let mut args = args.into_iter();
        let Some(Expr::Lit(syn::ExprLit {
            lit: Lit::Str(template),
            ..
        })) = args.next()
        else {
            return self.error(mac, "`format!` needs a string literal first");
        };
        let args: Vec<Expr> = args.collect();
        let text = template.value();
        let mut parts: Vec<String> = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        let mut next_arg = 0;
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut spec = String::new();
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        spec.push(c);
                    }
                    if !literal.is_empty() {
                        parts.push(string_lit(&std::mem::take(&mut literal)));
                    }
                    let value = if spec.is_empty() {
                        let Some(arg) = args.get(next_arg) else {
                            return self
                                .error(&template, "this `format!` has more `{}` than arguments");
                        };
                        next_arg += 1;
                        self.expr(arg)
                    } else if spec.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && !spec.starts_with(|c: char| c.is_ascii_digit())
                    {
                        match self.lookup(&spec) {
                            Some(text) => text,
                            None => {
                                return self.error(
                                    &template,
                                    format!("`{spec}` is not a variable of this workflow"),
                                );
                            }
                        }
                    } else {
                        return self.error(&template, format!("`{{{spec}}}` is not supported in a workflow's `format!`; use `{{}}` or `{{name}}`"));
                    };
                    parts.push(format!("$string({value})"));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() || parts.is_empty() {
            parts.push(string_lit(&literal));
        }
        if parts.len() == 1 {
            return parts.remove(0);
        }
        format!("({})", parts.join(" & "))
    }

    fn closure(&mut self, expr: &Expr, what: &str) -> Option<(String, String)> {
        let Expr::Closure(closure) = expr else {
            self.error(
                expr,
                format!("`{what}` takes a closure here, such as `|x| x.price`"),
            );
            return None;
        };
        if closure.inputs.len() != 1 {
            self.error(
                &closure.inputs,
                format!("the closure of `{what}` takes one parameter"),
            );
            return None;
        }
        let mut pat = &closure.inputs[0];
        while let Pat::Reference(reference) = pat {
            pat = &reference.pat;
        }
        let Pat::Ident(ident) = pat else {
            self.error(pat, "a closure parameter must be a plain name");
            return None;
        };
        let rust = ident.ident.to_string();
        let var = format!("${}", crate::names::Vars::default().fresh(&rust));
        self.locals.push((rust, var.clone()));
        let body = self.expr(&closure.body);
        self.locals.pop();
        Some((var, body))
    }

    fn method(&mut self, call: &syn::ExprMethodCall) -> String {
        let method = call.method.to_string();
        let args = &call.args;
        let arity = |n: usize| args.len() == n;
        match method.as_str() {
            "clone" | "to_owned" | "into" | "as_str" | "iter" | "into_iter" if arity(0) => {
                self.expr(&call.receiver)
            }
            "to_string" if arity(0) => format!("$string({})", self.expr(&call.receiver)),
            "len" | "count" if arity(0) => {
                let x = self.expr(&call.receiver);
                format!("($type({x}) = \"string\" ? $length({x}) : $count({x}))")
            }
            "is_empty" if arity(0) => {
                let x = self.expr(&call.receiver);
                format!("(($type({x}) = \"string\" ? $length({x}) : $count({x})) = 0)")
            }
            "contains" if arity(1) => {
                let x = self.expr(&call.receiver);
                let y = self.expr(&args[0]);
                format!("($type({x}) = \"string\" ? $contains({x}, {y}) : ({y} in {x}))")
            }
            "to_uppercase" if arity(0) => format!("$uppercase({})", self.expr(&call.receiver)),
            "to_lowercase" if arity(0) => format!("$lowercase({})", self.expr(&call.receiver)),
            "trim" if arity(0) => format!("$trim({})", self.expr(&call.receiver)),
            "starts_with" if arity(1) => {
                let x = self.expr(&call.receiver);
                let p = self.expr(&args[0]);
                format!("($substring({x}, 0, $length({p})) = {p})")
            }
            "ends_with" if arity(1) => {
                let x = self.expr(&call.receiver);
                let p = self.expr(&args[0]);
                format!(
                    "($length({x}) >= $length({p}) and $substring({x}, $length({x}) - $length({p})) = {p})"
                )
            }
            "is_some" if arity(0) => {
                let x = self.expr(&call.receiver);
                format!("($exists({x}) and {x} != null)")
            }
            "is_none" if arity(0) => {
                let x = self.expr(&call.receiver);
                format!("$not($exists({x}) and {x} != null)")
            }
            "unwrap_or" if arity(1) => {
                let x = self.expr(&call.receiver);
                let d = self.expr(&args[0]);
                format!("(($exists({x}) and {x} != null) ? {x} : {d})")
            }
            "abs" | "floor" | "ceil" if arity(0) => {
                format!("${method}({})", self.expr(&call.receiver))
            }
            "min" | "max" if arity(1) => {
                let x = self.expr(&call.receiver);
                let y = self.expr(&args[0]);
                format!("${method}([{x}, {y}])")
            }
            "map" if arity(1) => {
                let items = self.expr(&call.receiver);
                match self.closure(&args[0], "map") {
                    Some((var, body)) => format!("$map({items}, function({var}) {{ {body} }})"),
                    None => "null".into(),
                }
            }
            "filter" if arity(1) => {
                let items = self.expr(&call.receiver);
                match self.closure(&args[0], "filter") {
                    Some((var, body)) => format!("$filter({items}, function({var}) {{ {body} }})"),
                    None => "null".into(),
                }
            }
            "any" if arity(1) => {
                let items = self.expr(&call.receiver);
                match self.closure(&args[0], "any") {
                    Some((var, body)) => {
                        format!("($count($filter({items}, function({var}) {{ {body} }})) > 0)")
                    }
                    None => "null".into(),
                }
            }
            "all" if arity(1) => {
                let items = self.expr(&call.receiver);
                match self.closure(&args[0], "all") {
                    Some((var, body)) => format!(
                        "($count($filter({items}, function({var}) {{ $not({body}) }})) = 0)"
                    ),
                    None => "null".into(),
                }
            }
            "collect" if arity(0) => format!("[{}]", self.expr(&call.receiver)),
            "sum" if arity(0) => format!("$sum([{}])", self.expr(&call.receiver)),
            _ => {
                let hint = match crate::attr::did_you_mean(&method, METHODS) {
                    Some(close) if close != method => format!(" (did you mean `{close}`?)"),
                    _ => String::new(),
                };
                self.error(
                    &call.method,
                    format!(
                        "the method `{method}` with {} argument{} is not supported in a workflow{hint}; the supported methods are listed in the README; {MOVE_TO_TASK}",
                        args.len(),
                        if args.len() == 1 { "" } else { "s" }
                    ),
                )
            }
        }
    }
}

/// A short description of an expression for state names: `stock.available` -> `StockAvailable`.
pub(crate) fn describe(expr: &Expr) -> String {
    let mut out = String::new();
    describe_into(expr, &mut out);
    out.chars().take(40).collect()
}

fn describe_into(expr: &Expr, out: &mut String) {
    match expr {
        Expr::Path(path) => {
            if let Some(last) = path.path.segments.last() {
                out.push_str(&crate::names::pascal(&last.ident.to_string()));
            }
        }
        Expr::Field(field) => {
            describe_into(&field.base, out);
            if let Member::Named(ident) = &field.member {
                out.push_str(&crate::names::pascal(&ident.to_string()));
            }
        }
        Expr::Unary(unary) => {
            if matches!(unary.op, UnOp::Not(_)) {
                out.push_str("Not");
            }
            describe_into(&unary.expr, out);
        }
        Expr::Binary(binary) => describe_into(&binary.left, out),
        Expr::Paren(paren) => describe_into(&paren.expr, out),
        Expr::MethodCall(call) => {
            describe_into(&call.receiver, out);
            out.push_str(&crate::names::pascal(&call.method.to_string()));
        }
        Expr::Index(index) => describe_into(&index.expr, out),
        Expr::Reference(reference) => describe_into(&reference.expr, out),
        _ => {}
    }
}

/// Whether an expression's value may be a JSON array (so JSONata's array constructor would
/// splice it): variables, fields, indexing and method results may; literals, arithmetic,
/// comparisons, objects and strings may not.
fn may_be_array(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) | Expr::Binary(_) | Expr::Unary(_) | Expr::Struct(_) | Expr::Cast(_) => false,
        Expr::Macro(mac) => mac.mac.path.is_ident("vec"),
        Expr::Paren(paren) => may_be_array(&paren.expr),
        Expr::Reference(reference) => may_be_array(&reference.expr),
        Expr::MethodCall(call) => !matches!(
            call.method.to_string().as_str(),
            "len"
                | "count"
                | "is_empty"
                | "contains"
                | "to_uppercase"
                | "to_lowercase"
                | "trim"
                | "starts_with"
                | "ends_with"
                | "is_some"
                | "is_none"
                | "abs"
                | "floor"
                | "ceil"
                | "sum"
                | "any"
                | "all"
                | "to_string"
        ),
        Expr::Path(path) => path.path.segments.len() == 1 && !path.path.is_ident("None"),
        _ => true,
    }
}
