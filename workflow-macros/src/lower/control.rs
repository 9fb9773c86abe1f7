//! Control flow: `if`/`else` and `match` on values (Choice), `while` and `for` (Choice loops).

use super::*;

impl Lowering {
    pub(super) fn if_stmt(&mut self, expr_if: &syn::ExprIf, tail: &Tail) {
        if let Tail::Assign(dest) = tail
            && is_pure(&Expr::If(expr_if.clone()))
        {
            let value = self.jsonata(&Expr::If(expr_if.clone()));
            self.assign(
                &format!("Set{}", pascal(dest)),
                expr_if.span(),
                vec![(dest.clone(), Value::Jsonata(value))],
            );
            return;
        }
        // Flatten `if a {..} else if b {..} else {..}` into one Choice.
        let mut arms: Vec<(&Expr, &syn::Block)> = vec![(&expr_if.cond, &expr_if.then_branch)];
        let mut otherwise: Option<&Expr> = None;
        let mut next = &expr_if.else_branch;
        while let Some((_, else_expr)) = next {
            match &**else_expr {
                Expr::If(inner) => {
                    arms.push((&inner.cond, &inner.then_branch));
                    next = &inner.else_branch;
                }
                other => {
                    otherwise = Some(other);
                    break;
                }
            }
        }
        let rules: Vec<(String, Next)> = arms
            .iter()
            .map(|(cond, _)| {
                if !is_pure(cond) {
                    self.error(cond, "an `if` condition must be a pure expression; bind a task's result with `let` first");
                }
                (self.jsonata(cond), Next::Unset)
            })
            .collect();
        let base = format!("If{}", expr::describe(&expr_if.cond));
        let name = self.state_name(&base);
        let comment = self.comment(expr_if.span());
        let choice = self.emit(State {
            name,
            comment,
            kind: Kind::Choice {
                rules,
                default: Next::Unset,
            },
            next: Next::Unset,
        });
        let mut out = Vec::new();
        for (r, (_, block)) in arms.iter().enumerate() {
            self.set_holes(vec![Hole::Rule(choice, r)]);
            self.block(&block.stmts, tail, block.span());
            out.extend(self.take_holes());
        }
        self.set_holes(vec![Hole::Default(choice)]);
        match otherwise {
            Some(Expr::Block(block)) => self.block(&block.block.stmts, tail, block.span()),
            Some(other) => self.expr_stmt(other, tail),
            None => {
                if !matches!(tail, Tail::Unit) {
                    self.error(expr_if, "an `if` used as a value needs an `else`");
                }
            }
        }
        out.extend(self.take_holes());
        self.set_holes(out);
    }

    pub(super) fn while_stmt(&mut self, expr_while: &syn::ExprWhile) {
        if let Some(label) = &expr_while.label {
            self.error(label, "loop labels are not supported in a workflow");
        }
        if !is_pure(&expr_while.cond) {
            self.error(
                &expr_while.cond,
                "a `while` condition must be a pure expression (`while let` is not supported)",
            );
        }
        let cond = self.jsonata(&expr_while.cond);
        let base = format!("While{}", expr::describe(&expr_while.cond));
        let name = self.state_name(&base);
        let comment = self.comment(expr_while.span());
        let choice = self.emit(State {
            name: name.clone(),
            comment,
            kind: Kind::Choice {
                rules: vec![(cond, Next::Unset)],
                default: Next::Unset,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Rule(choice, 0)]);
        self.block(&expr_while.body.stmts, &Tail::Unit, expr_while.body.span());
        let back = self.take_holes();
        self.patch(&back, &name);
        self.set_holes(vec![Hole::Default(choice)]);
    }

    pub(super) fn for_stmt(&mut self, expr_for: &syn::ExprForLoop) {
        if let Some(label) = &expr_for.label {
            self.error(label, "loop labels are not supported in a workflow");
        }
        let Some((var, _)) = single_ident(&expr_for.pat) else {
            self.error(
                &expr_for.pat,
                "a `for` loop in a workflow binds a plain name: `for item in items`",
            );
            return;
        };
        if !is_pure(&expr_for.expr) {
            self.error(
                &expr_for.expr,
                "a `for` loop goes over a pure expression; bind a task's result with `let` first",
            );
        }
        let items_text = self.jsonata(&expr_for.expr);
        let items = self.vars.fresh(&format!("{var}_items"));
        let index = self.vars.fresh(&format!("{var}_index"));
        let span = expr_for.span();
        let pascal_var = pascal(&var);
        // Start: the items (evaluated once, as Rust does) and the index.
        let name = self.state_name(&format!("ForEach{pascal_var}"));
        let comment = self.comment(span);
        let init = self.emit(State {
            name,
            comment: comment.clone(),
            kind: Kind::Pass {
                assign: vec![
                    (items.clone(), Value::Jsonata(items_text)),
                    (index.clone(), Value::Json("0".into())),
                ],
                output: None,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Next(init)]);
        let check_name = self.names.fresh(&format!("HasNext{pascal_var}"));
        let choice = self.emit(State {
            name: check_name.clone(),
            comment: comment.clone(),
            kind: Kind::Choice {
                rules: vec![(format!("${index} < $count(${items})"), Next::Unset)],
                default: Next::Unset,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Rule(choice, 0)]);
        self.scopes.push(Vec::new());
        let var_asl = self.new_var(&var);
        let next_name = self.names.fresh(&format!("Next{pascal_var}"));
        let item = self.emit(State {
            name: next_name,
            comment,
            kind: Kind::Pass {
                assign: vec![
                    (var_asl, Value::Jsonata(format!("${items}[${index}]"))),
                    (index.clone(), Value::Jsonata(format!("${index} + 1"))),
                ],
                output: None,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Next(item)]);
        self.block(&expr_for.body.stmts, &Tail::Unit, expr_for.body.span());
        self.scopes.pop();
        let back = self.take_holes();
        self.patch(&back, &check_name);
        self.set_holes(vec![Hole::Default(choice)]);
    }

    pub(super) fn match_stmt(&mut self, expr_match: &syn::ExprMatch, tail: &Tail) {
        let scrutinee = strip_parens(&expr_match.expr);
        if let Expr::Await(await_expr) = scrutinee {
            let awaited = strip_parens(&await_expr.base);
            if let Some(step) = self.step(awaited) {
                self.catch_match(step, expr_match, tail);
                return;
            }
        }
        if !is_pure(scrutinee) {
            self.error(scrutinee, "`match` in a workflow is on a pure expression or on an awaited task call (`match task(..).await { Ok(v) => .., Err(E::V) => .. }`)");
            return;
        }
        let value = self.jsonata(scrutinee);
        // All arms pure and the value used: one conditional expression.
        if let Tail::Assign(dest) = tail
            && expr_match
                .arms
                .iter()
                .all(|arm| is_pure(&arm.body) && !matches!(arm.pat, Pat::Guard(_)))
        {
            let mut text = String::from("null");
            let mut conditions = Vec::new();
            for arm in &expr_match.arms {
                conditions.push((self.pattern(&arm.pat, &value), self.jsonata(&arm.body)));
            }
            for (cond, body) in conditions.into_iter().rev() {
                text = match cond {
                    Some(cond) => format!("({cond} ? {body} : {text})"),
                    None => body,
                };
            }
            self.assign(
                &format!("Set{}", pascal(dest)),
                expr_match.span(),
                vec![(dest.clone(), Value::Jsonata(text))],
            );
            return;
        }
        let mut rules = Vec::new();
        let mut default_arm = None;
        let mut rule_arms = Vec::new();
        for (i, arm) in expr_match.arms.iter().enumerate() {
            match self.pattern(&arm.pat, &value) {
                Some(cond) => {
                    rules.push((cond, Next::Unset));
                    rule_arms.push(i);
                }
                None => default_arm = Some(i),
            }
        }
        let base = format!("Match{}", expr::describe(scrutinee));
        let name = self.state_name(&base);
        let comment = self.comment(expr_match.span());
        let choice = self.emit(State {
            name,
            comment,
            kind: Kind::Choice {
                rules,
                default: Next::Unset,
            },
            next: Next::Unset,
        });
        let mut out = Vec::new();
        for (r, i) in rule_arms.iter().enumerate() {
            self.set_holes(vec![Hole::Rule(choice, r)]);
            self.arm_body(&expr_match.arms[*i].body, tail);
            out.extend(self.take_holes());
        }
        if let Some(i) = default_arm {
            self.set_holes(vec![Hole::Default(choice)]);
            self.arm_body(&expr_match.arms[i].body, tail);
            out.extend(self.take_holes());
        }
        self.set_holes(out);
    }

    pub(super) fn arm_body(&mut self, body: &Expr, tail: &Tail) {
        match strip_parens(body) {
            Expr::Block(block) if block.label.is_none() => {
                self.block(&block.block.stmts, tail, block.span())
            }
            other => {
                self.scopes.push(Vec::new());
                self.tail(other, tail);
                self.scopes.pop();
            }
        }
    }

    /// The condition a pattern tests on `value`; `None` for `_`.
    pub(super) fn pattern(&mut self, pat: &Pat, value: &str) -> Option<String> {
        match pat {
            Pat::Wild(_) => None,
            Pat::Lit(lit) => {
                let mut lowerer = expr::Lowerer::new(self);
                let text = lowerer.expr(&Expr::Lit(lit.clone()));
                Some(format!("{value} = {text}"))
            }
            Pat::Path(path) => {
                let variant = path
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                if variant == "None" {
                    Some(format!("$not($exists({value}) and {value} != null)"))
                } else {
                    Some(format!("{value} = {}", expr::string_lit(&variant)))
                }
            }
            Pat::Or(or) => {
                let mut parts = Vec::new();
                for case in &or.cases {
                    match self.pattern(case, value) {
                        Some(cond) => parts.push(format!("({cond})")),
                        None => return None,
                    }
                }
                Some(parts.join(" or "))
            }
            Pat::Paren(paren) => self.pattern(&paren.pat, value),
            Pat::Guard(guard) => {
                self.error(
                    guard,
                    "match guards are not supported in a workflow; use `if` inside the arm",
                );
                Some("false".into())
            }
            other => {
                self.error(other, "a `match` arm in a workflow tests a literal, a unit enum variant (`Kind::Big`), `None`, or `_`");
                Some("false".into())
            }
        }
    }
}
