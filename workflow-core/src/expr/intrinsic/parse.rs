//! The call syntax: `States.Name(arg, ...)`, where an argument is a string literal in single
//! quotes, a number, `true`, `false`, `null`, a path (`$.x`, `$$.Execution.Id`, `$var.x`) or
//! another call.
//!
//! Inside a string literal a backslash escapes the four reserved characters `'`, `{`, `}` and
//! `\`; any other backslash is an error, as AWS documents. An unescaped `{}` in a literal is a
//! `States.Format` placeholder; an escaped one (`\{\}`) is plain text.

use serde_json::{Number, Value};

use super::func::Func;
use crate::expr::CompileError;
use crate::expr::jsonpath::{Path, Root};

/// AWS allows at most 10 intrinsic functions nested in one field.
pub(super) const MAX_NESTING: usize = 10;

/// One parsed call.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub func: Func,
    pub args: Vec<Arg>,
    /// For `States.Format` with a literal first argument: that argument split at its
    /// placeholders, so that escaped braces stay text.
    pub template: Option<Template>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Arg {
    Literal(Value),
    Path(Path),
    Call(Box<Node>),
}

impl Node {
    pub fn uses_context(&self) -> bool {
        self.args.iter().any(|arg| match arg {
            Arg::Literal(_) => false,
            Arg::Path(path) => *path.root() == Root::Context,
            Arg::Call(node) => node.uses_context(),
        })
    }

    pub fn uses_randomness(&self) -> bool {
        // A seeded `States.MathRandom` always gives the same number.
        let random = match self.func {
            Func::Uuid => true,
            Func::MathRandom => self.args.len() < 3,
            _ => false,
        };
        random
            || self.args.iter().any(|arg| match arg {
                Arg::Call(node) => node.uses_randomness(),
                _ => false,
            })
    }
}

/// A `States.Format` format string cut at its `{}` placeholders: `pieces.len() - 1` holes.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Template {
    pieces: Vec<String>,
}

impl Template {
    /// A format string that comes from the input at run time: every `{}` is a placeholder.
    pub fn from_text(text: &str) -> Template {
        Template {
            pieces: text.split("{}").map(str::to_string).collect(),
        }
    }

    pub fn n_holes(&self) -> usize {
        self.pieces.len() - 1
    }

    /// Fills the holes in order; `values` has exactly [`Template::n_holes`] items.
    pub fn render(&self, values: &[String]) -> String {
        let mut out = String::new();
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                out.push_str(&values[i - 1]);
            }
            out.push_str(piece);
        }
        out
    }
}

/// Parses a whole call; `source` must hold nothing else but surrounding whitespace.
pub(super) fn parse(source: &str) -> Result<Node, CompileError> {
    let mut parser = Parser {
        source,
        chars: source.char_indices().collect(),
        pos: 0,
    };
    parser.skip_whitespace();
    let node = parser.call(1)?;
    parser.skip_whitespace();
    if let Some(c) = parser.peek() {
        return Err(parser.error_at(
            parser.pos,
            format!("unexpected `{c}` after the end of the call"),
        ));
    }
    Ok(node)
}

struct Parser<'s> {
    source: &'s str,
    chars: Vec<(usize, char)>,
    /// Index into `chars`.
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).map(|&(_, c)| c)
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).map(|&(_, c)| c)
    }

    fn byte_offset(&self, pos: usize) -> usize {
        self.chars.get(pos).map_or(self.source.len(), |&(i, _)| i)
    }

    fn rest(&self) -> &str {
        &self.source[self.byte_offset(self.pos)..]
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// A syntax error at the character index `pos`, reported as a 1-based column.
    fn error_at(&self, pos: usize, what: impl std::fmt::Display) -> CompileError {
        CompileError::new(format!(
            "invalid intrinsic function call `{}`: {what} (column {})",
            self.source,
            pos + 1
        ))
    }

    fn call(&mut self, depth: usize) -> Result<Node, CompileError> {
        let start = self.pos;
        if depth > MAX_NESTING {
            return Err(self.error_at(
                start,
                format!("intrinsic functions are nested more than {MAX_NESTING} deep"),
            ));
        }
        if !self.rest().starts_with("States.") {
            return Err(self.error_at(
                start,
                "expected an intrinsic function such as `States.Format`",
            ));
        }
        self.pos += "States.".len();
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.pos += 1;
        }
        let name = &self.source[self.byte_offset(start)..self.byte_offset(self.pos)];
        let func = Func::from_name(name).ok_or_else(|| {
            self.error_at(
                start,
                format!(
                    "unknown intrinsic function `{name}`; expected one of {}",
                    Func::names_list()
                ),
            )
        })?;
        self.skip_whitespace();
        if self.peek() != Some('(') {
            return Err(self.error_at(self.pos, format!("expected `(` after `{name}`")));
        }
        self.pos += 1;

        let mut args = Vec::new();
        let mut template = None;
        self.skip_whitespace();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_whitespace();
                let (arg, literal_template) = self.arg(depth)?;
                if func == Func::Format && args.is_empty() {
                    template = literal_template;
                }
                args.push(arg);
                self.skip_whitespace();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(c) => {
                        return Err(self
                            .error_at(self.pos, format!("unexpected `{c}`; expected `,` or `)`")));
                    }
                    None => {
                        return Err(self.error_at(
                            self.pos,
                            format!("the argument list of `{name}` is not closed with `)`"),
                        ));
                    }
                }
            }
        }

        let node = Node {
            func,
            args,
            template,
        };
        func.check_arity(node.args.len())
            .map_err(|message| self.error_at(start, message))?;
        func.check_literals(&node)
            .map_err(|message| self.error_at(start, message))?;
        Ok(node)
    }

    /// One argument, and for a string literal its placeholders.
    fn arg(&mut self, depth: usize) -> Result<(Arg, Option<Template>), CompileError> {
        let start = self.pos;
        match self.peek() {
            Some('\'') => {
                let (text, template) = self.string()?;
                Ok((Arg::Literal(Value::String(text)), Some(template)))
            }
            Some('$') => self.path().map(|path| (Arg::Path(path), None)),
            Some(c) if c == '-' || c.is_ascii_digit() => {
                self.number().map(|number| (Arg::Literal(number), None))
            }
            Some(_) if self.rest().starts_with("States.") => {
                let node = self.call(depth + 1)?;
                Ok((Arg::Call(Box::new(node)), None))
            }
            Some(_) => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.rest().starts_with(word) {
                        let after = self.peek_at(word.len());
                        if after.is_none_or(|c| !c.is_alphanumeric() && c != '_') {
                            self.pos += word.len();
                            return Ok((Arg::Literal(value), None));
                        }
                    }
                }
                Err(self.error_at(start, EXPECTED_ARG))
            }
            None => Err(self.error_at(start, EXPECTED_ARG)),
        }
    }

    /// A single-quoted string literal; the opening quote is at `self.pos`.
    fn string(&mut self) -> Result<(String, Template), CompileError> {
        let start = self.pos;
        self.pos += 1;
        let mut pieces = vec![String::new()];
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error_at(start, "unterminated string literal"));
            };
            let piece = pieces
                .last_mut()
                .expect("`pieces` starts non-empty and only grows");
            match c {
                '\'' => {
                    self.pos += 1;
                    break;
                }
                '\\' => match self.peek_at(1) {
                    Some(escaped @ ('\'' | '{' | '}' | '\\')) => {
                        piece.push(escaped);
                        self.pos += 2;
                    }
                    Some(other) => {
                        return Err(self.error_at(
                            self.pos,
                            format!(
                                "invalid escape `\\{other}` in a string literal; only `\\'`, `\\{{`, `\\}}` and `\\\\` are allowed"
                            ),
                        ));
                    }
                    None => return Err(self.error_at(start, "unterminated string literal")),
                },
                '{' if self.peek_at(1) == Some('}') => {
                    pieces.push(String::new());
                    self.pos += 2;
                }
                _ => {
                    piece.push(c);
                    self.pos += 1;
                }
            }
        }
        let text = pieces.join("{}");
        Ok((text, Template { pieces }))
    }

    fn number(&mut self) -> Result<Value, CompileError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let digits = |parser: &mut Self| {
            let from = parser.pos;
            while parser.peek().is_some_and(|c| c.is_ascii_digit()) {
                parser.pos += 1;
            }
            parser.pos > from
        };
        let mut is_integer = true;
        let mut well_formed = digits(self);
        if well_formed && self.peek() == Some('.') {
            self.pos += 1;
            is_integer = false;
            well_formed = digits(self);
        }
        if well_formed && matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            is_integer = false;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            well_formed = digits(self);
        }
        let text = &self.source[self.byte_offset(start)..self.byte_offset(self.pos)];
        if !well_formed || self.peek().is_some_and(|c| c.is_alphanumeric() || c == '.') {
            return Err(self.error_at(start, format!("invalid number `{text}`")));
        }
        if is_integer {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Value::from(n));
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(Value::from(n));
            }
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| self.error_at(start, format!("the number `{text}` is out of range")))
    }

    /// A path runs to the first `,`, `)` or whitespace outside brackets and quotes.
    fn path(&mut self) -> Result<Path, CompileError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote = None;
        while let Some(c) = self.peek() {
            match quote {
                Some(q) => {
                    if c == '\\' {
                        self.pos += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '\'' | '"' if depth > 0 => quote = Some(c),
                    '[' | '(' => depth += 1,
                    ']' | ')' if depth > 0 => depth -= 1,
                    ',' | ')' => break,
                    c if c.is_whitespace() && depth == 0 => break,
                    _ => {}
                },
            }
            self.pos += 1;
        }
        let end = self.pos.min(self.chars.len());
        let text = &self.source[self.byte_offset(start)..self.byte_offset(end)];
        Path::parse(text)
            .map_err(|err| self.error_at(start, format!("invalid path argument: {err}")))
    }
}

const EXPECTED_ARG: &str = "expected an argument: a string literal in single quotes, a number, `true`, `false`, `null`, a path or an intrinsic function call";
