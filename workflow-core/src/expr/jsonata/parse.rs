//! Lexer and parser: source text to the tree that [`super::eval`] walks.
//!
//! The parser is a Pratt (top-down operator precedence) parser over JSONata 2.0's operator
//! table, followed by a pass that turns the raw tree into paths with steps, stages and
//! annotations (predicates, group-by, focus `@` and index `#` bindings, parent `%` slots).

use std::sync::Arc;

use super::error::JsonataError;
use super::signature::Signature;

/// Nesting limit of the parser and of the tree pass; deeper input is an error, not a crash.
const MAX_PARSE_DEPTH: usize = 500;

/// Native stack the parser may use (frames are large in debug builds).
const PARSE_STACK_BUDGET: usize = 512 << 10;

fn stack_address() -> usize {
    let marker = 0u8;
    &marker as *const u8 as usize
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Op(&'static str),
    Str(String),
    Num(f64),
    Name(String),
    Var(String),
    Regex(String, String),
    Value(Lit),
    End,
}

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    True,
    False,
    Null,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Position just after the token, as JSONata reports it.
    pos: usize,
}

/// The operator starting with `c` (and `next`): a two-character one first.
fn operator(c: char, next: Option<char>) -> Option<&'static str> {
    let two = match (c, next) {
        ('.', Some('.')) => Some(".."),
        (':', Some('=')) => Some(":="),
        ('!', Some('=')) => Some("!="),
        ('<', Some('=')) => Some("<="),
        ('>', Some('=')) => Some(">="),
        ('~', Some('>')) => Some("~>"),
        ('*', Some('*')) => Some("**"),
        _ => None,
    };
    two.or_else(|| single_operator(c))
}

fn single_operator(c: char) -> Option<&'static str> {
    Some(match c {
        '.' => ".",
        '[' => "[",
        ']' => "]",
        '{' => "{",
        '}' => "}",
        '(' => "(",
        ')' => ")",
        ',' => ",",
        '@' => "@",
        '#' => "#",
        ';' => ";",
        ':' => ":",
        '?' => "?",
        '+' => "+",
        '-' => "-",
        '*' => "*",
        '/' => "/",
        '%' => "%",
        '|' => "|",
        '=' => "=",
        '<' => "<",
        '>' => ">",
        '^' => "^",
        '&' => "&",
        '!' => "!",
        '~' => "~",
        _ => return None,
    })
}

fn binding_power(op: &str) -> u32 {
    match op {
        "." => 75,
        "[" | "(" | "@" | "#" => 80,
        "{" => 70,
        "]" | "}" | ")" | "," | ";" | ":" | "!" | "~" | "|" => 0,
        "?" | ".." => 20,
        "+" | "-" | "&" => 50,
        "*" | "/" | "%" | "**" => 60,
        "=" | "<" | ">" | "^" | "!=" | "<=" | ">=" | "~>" | "in" => 40,
        ":=" => 10,
        "and" => 30,
        "or" => 25,
        _ => 0,
    }
}

struct Lexer<'s> {
    src: &'s str,
    chars: Vec<char>,
    /// Byte offset of each char, for slicing.
    pos: usize,
}

impl<'s> Lexer<'s> {
    fn new(src: &'s str) -> Self {
        Lexer {
            src,
            chars: src.chars().collect(),
            pos: 0,
        }
    }

    fn err(&self, code: &str, message: String) -> JsonataError {
        JsonataError::new(code, message).at(self.pos)
    }

    fn next(&mut self, prefix: bool) -> Result<Token, JsonataError> {
        let chars = &self.chars;
        // Skip whitespace and comments.
        loop {
            while self.pos < chars.len() && chars[self.pos].is_whitespace() {
                self.pos += 1;
            }
            if self.pos + 1 < chars.len() && chars[self.pos] == '/' && chars[self.pos + 1] == '*' {
                let start = self.pos;
                self.pos += 2;
                loop {
                    if self.pos + 1 >= chars.len() {
                        self.pos = start;
                        return Err(self.err("S0106", "Comment has no closing tag".into()));
                    }
                    if chars[self.pos] == '*' && chars[self.pos + 1] == '/' {
                        self.pos += 2;
                        break;
                    }
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        if self.pos >= chars.len() {
            return Ok(Token {
                tok: Tok::End,
                pos: self.pos,
            });
        }
        let c = chars[self.pos];
        // Regex literal where an operand is expected.
        if prefix && c == '/' {
            self.pos += 1;
            let start = self.pos;
            let mut depth = 0i32;
            let mut pattern = None;
            while self.pos < chars.len() {
                let ch = chars[self.pos];
                if ch == '/' && depth == 0 && !self.escaped(start) {
                    pattern = Some(chars[start..self.pos].iter().collect::<String>());
                    break;
                }
                match ch {
                    '(' | '[' | '{' if !self.escaped(start) => depth += 1,
                    ')' | ']' | '}' if !self.escaped(start) => depth -= 1,
                    _ => {}
                }
                self.pos += 1;
            }
            let Some(pattern) = pattern else {
                return Err(self.err("S0302", "No terminating / in regular expression".into()));
            };
            if pattern.is_empty() {
                return Err(self.err("S0301", "Empty regular expressions are not allowed".into()));
            }
            self.pos += 1;
            let fstart = self.pos;
            while self.pos < chars.len() && matches!(chars[self.pos], 'i' | 'm') {
                self.pos += 1;
            }
            let flags: String = chars[fstart..self.pos].iter().collect();
            return Ok(Token {
                tok: Tok::Regex(pattern, flags),
                pos: self.pos,
            });
        }
        if let Some(op) = operator(c, chars.get(self.pos + 1).copied()) {
            // `1..2` must not lex `.` inside a number, handled by the number lexer below.
            self.pos += op.len();
            if op == "!" {
                // `!` only exists as part of `!=`.
                return Err(self.err("S0204", "Unknown operator: \"!\"".into()));
            }
            return Ok(Token {
                tok: Tok::Op(op),
                pos: self.pos,
            });
        }
        if c == '"' || c == '\'' {
            return self.string(c);
        }
        if c.is_ascii_digit() {
            return self.number();
        }
        if c == '`' {
            self.pos += 1;
            let start = self.pos;
            while self.pos < chars.len() && chars[self.pos] != '`' {
                self.pos += 1;
            }
            if self.pos >= chars.len() {
                self.pos = start - 1;
                return Err(self.err(
                    "S0105",
                    "Quoted property name must be terminated with a backquote (`)".into(),
                ));
            }
            let name: String = chars[start..self.pos].iter().collect();
            self.pos += 1;
            return Ok(Token {
                tok: Tok::Name(name),
                pos: self.pos,
            });
        }
        // Names, variables and keywords run until whitespace or an operator character.
        let start = self.pos;
        while self.pos < chars.len() {
            let ch = chars[self.pos];
            if ch.is_whitespace()
                || single_operator(ch).is_some()
                || ch == '"'
                || ch == '\''
                || ch == '`'
            {
                break;
            }
            self.pos += 1;
        }
        let word: String = chars[start..self.pos].iter().collect();
        let tok = if let Some(var) = word.strip_prefix('$') {
            Tok::Var(var.to_string())
        } else {
            match word.as_str() {
                "and" => Tok::Op("and"),
                "or" => Tok::Op("or"),
                "in" => Tok::Op("in"),
                "true" => Tok::Value(Lit::True),
                "false" => Tok::Value(Lit::False),
                "null" => Tok::Value(Lit::Null),
                _ => Tok::Name(word),
            }
        };
        let _ = self.src;
        Ok(Token { tok, pos: self.pos })
    }

    fn escaped(&self, start: usize) -> bool {
        let mut n = 0;
        let mut i = self.pos;
        while i > start && self.chars[i - 1] == '\\' {
            n += 1;
            i -= 1;
        }
        n % 2 == 1
    }

    fn string(&mut self, quote: char) -> Result<Token, JsonataError> {
        let chars = &self.chars;
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        while self.pos < chars.len() {
            let ch = chars[self.pos];
            if ch == '\\' {
                self.pos += 1;
                let Some(&esc) = chars.get(self.pos) else {
                    break;
                };
                match esc {
                    '"' | '\\' | '/' | '\'' => out.push(esc),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let hex = |at: usize| -> Option<u32> {
                            let s: String = chars.get(at..at + 4)?.iter().collect();
                            if s.chars().all(|c| c.is_ascii_hexdigit()) {
                                u32::from_str_radix(&s, 16).ok()
                            } else {
                                None
                            }
                        };
                        let Some(code) = hex(self.pos + 1) else {
                            return Err(self.err(
                                "S0104",
                                "The escape sequence \\u must be followed by 4 hex digits".into(),
                            ));
                        };
                        self.pos += 4;
                        if (0xD800..0xDC00).contains(&code)
                            && chars.get(self.pos + 1) == Some(&'\\')
                            && chars.get(self.pos + 2) == Some(&'u')
                            && let Some(low) =
                                hex(self.pos + 3).filter(|l| (0xDC00..0xE000).contains(l))
                        {
                            let cp = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                            self.pos += 6;
                            self.pos += 1;
                            continue;
                        }
                        out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                    }
                    other => {
                        return Err(
                            self.err("S0103", format!("Unsupported escape sequence: \\{other}"))
                        );
                    }
                }
                self.pos += 1;
            } else if ch == quote {
                self.pos += 1;
                return Ok(Token {
                    tok: Tok::Str(out),
                    pos: self.pos,
                });
            } else {
                out.push(ch);
                self.pos += 1;
            }
        }
        self.pos = start;
        Err(self.err(
            "S0101",
            "String literal must be terminated by a matching quote".into(),
        ))
    }

    fn number(&mut self) -> Result<Token, JsonataError> {
        let chars = &self.chars;
        let start = self.pos;
        let mut i = self.pos;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < chars.len() && chars[*i].is_ascii_digit() {
                *i += 1;
            }
            *i > s
        };
        if chars[i] == '0' {
            i += 1;
        } else {
            digits(&mut i);
        }
        if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
            i += 1;
            digits(&mut i);
        }
        if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
            let mut j = i + 1;
            if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                j += 1;
            }
            if digits(&mut j) {
                i = j;
            }
        }
        let text: String = chars[start..i].iter().collect();
        let n: f64 = text.parse().unwrap_or(f64::NAN);
        self.pos = i;
        if !n.is_finite() {
            return Err(
                JsonataError::new("S0102", format!("Number out of range: {text}")).at(start),
            );
        }
        Ok(Token {
            tok: Tok::Num(n),
            pos: self.pos,
        })
    }
}

/// The raw parse tree, before path processing.
#[derive(Debug)]
enum Raw {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(String, String),
    Name(String),
    Var(String),
    Wildcard,
    Descendant,
    Parent,
    Placeholder,
    Neg(Box<RawNode>),
    Array(Vec<RawNode>),
    Object(Vec<(RawNode, RawNode)>),
    Block(Vec<RawNode>),
    Binary(&'static str, Box<RawNode>, Box<RawNode>),
    Predicate(Box<RawNode>, Box<RawNode>),
    Group(Box<RawNode>, Vec<(RawNode, RawNode)>),
    Sort(Box<RawNode>, Vec<(bool, RawNode)>),
    Focus(Box<RawNode>, String),
    Index(Box<RawNode>, String),
    Call(Box<RawNode>, Vec<RawNode>),
    Lambda(Vec<String>, Option<Signature>, Box<RawNode>),
    Cond(Box<RawNode>, Box<RawNode>, Option<Box<RawNode>>),
    Bind(String, Box<RawNode>),
    Transform(Box<RawNode>, Box<RawNode>, Option<Box<RawNode>>),
}

#[derive(Debug)]
struct RawNode {
    raw: Raw,
    pos: usize,
    keep_array: bool,
}

fn raw(raw: Raw, pos: usize) -> RawNode {
    RawNode {
        raw,
        pos,
        keep_array: false,
    }
}

struct Parser<'s> {
    lexer: Lexer<'s>,
    token: Token,
    depth: usize,
    stack_base: usize,
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Op(o) => o.to_string(),
        Tok::Str(s) => s.clone(),
        Tok::Num(n) => n.to_string(),
        Tok::Name(n) => n.clone(),
        Tok::Var(v) => format!("${v}"),
        Tok::Regex(p, _) => format!("/{p}/"),
        Tok::Value(Lit::True) => "true".into(),
        Tok::Value(Lit::False) => "false".into(),
        Tok::Value(Lit::Null) => "null".into(),
        Tok::End => "(end)".into(),
    }
}

impl Parser<'_> {
    fn advance(&mut self, expected: Option<&str>) -> Result<(), JsonataError> {
        if let Some(id) = expected {
            let matches = matches!(&self.token.tok, Tok::Op(op) if *op == id);
            if !matches {
                let got = tok_text(&self.token.tok);
                let err = if self.token.tok == Tok::End {
                    JsonataError::new(
                        "S0203",
                        format!("Expected \"{id}\" before end of expression"),
                    )
                } else {
                    JsonataError::new("S0202", format!("Expected \"{id}\", got \"{got}\""))
                };
                return Err(err.at(self.token.pos));
            }
        }
        // An operand is expected after any operator except a closing bracket.
        let prefix = match &self.token.tok {
            Tok::Op(op) => !matches!(*op, ")" | "]" | "}"),
            _ => false,
        };
        self.token = self.lexer.next(prefix)?;
        Ok(())
    }

    fn is_op(&self, id: &str) -> bool {
        matches!(&self.token.tok, Tok::Op(op) if *op == id)
    }

    fn lbp(&self) -> u32 {
        match &self.token.tok {
            Tok::Op(op) => binding_power(op),
            _ => 0,
        }
    }

    fn expression(&mut self, rbp: u32) -> Result<RawNode, JsonataError> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH
            || self.stack_base.abs_diff(stack_address()) > PARSE_STACK_BUDGET
        {
            return Err(
                JsonataError::new("S0208", "Expression is nested too deeply".into())
                    .at(self.token.pos),
            );
        }
        let t = self.token.clone();
        self.advance(None)?;
        let mut left = self.nud(t)?;
        while rbp < self.lbp() {
            let t = self.token.clone();
            self.advance(None)?;
            left = self.led(t, left)?;
        }
        self.depth -= 1;
        Ok(left)
    }

    fn nud(&mut self, t: Token) -> Result<RawNode, JsonataError> {
        let pos = t.pos;
        let node = |r| Ok(raw(r, pos));
        match t.tok {
            Tok::Str(s) => node(Raw::Str(s)),
            Tok::Num(n) => node(Raw::Num(n)),
            Tok::Value(Lit::True) => node(Raw::Bool(true)),
            Tok::Value(Lit::False) => node(Raw::Bool(false)),
            Tok::Value(Lit::Null) => node(Raw::Null),
            Tok::Regex(p, f) => node(Raw::Regex(p, f)),
            Tok::Var(v) => node(Raw::Var(v)),
            Tok::Name(n) => node(Raw::Name(n)),
            Tok::End => {
                Err(JsonataError::new("S0207", "Unexpected end of expression".into()).at(pos))
            }
            Tok::Op(op) => match op {
                "and" | "or" | "in" => node(Raw::Name(op.to_string())),
                "*" => node(Raw::Wildcard),
                "**" => node(Raw::Descendant),
                "%" => node(Raw::Parent),
                "-" => {
                    let e = self.expression(70)?;
                    node(Raw::Neg(Box::new(e)))
                }
                "(" => {
                    let mut items = Vec::new();
                    while !self.is_op(")") {
                        items.push(self.expression(0)?);
                        if !self.is_op(";") {
                            break;
                        }
                        self.advance(Some(";"))?;
                    }
                    self.advance(Some(")"))?;
                    node(Raw::Block(items))
                }
                "[" => {
                    let mut items = Vec::new();
                    if !self.is_op("]") {
                        loop {
                            let mut item = self.expression(0)?;
                            if self.is_op("..") {
                                let p = self.token.pos;
                                self.advance(Some(".."))?;
                                let rhs = self.expression(0)?;
                                item = raw(Raw::Binary("..", Box::new(item), Box::new(rhs)), p);
                            }
                            items.push(item);
                            if !self.is_op(",") {
                                break;
                            }
                            self.advance(Some(","))?;
                        }
                    }
                    self.advance(Some("]"))?;
                    node(Raw::Array(items))
                }
                "{" => {
                    let pairs = self.object_body()?;
                    node(Raw::Object(pairs))
                }
                "|" => {
                    let pattern = self.expression(0)?;
                    self.advance(Some("|"))?;
                    let update = self.expression(0)?;
                    let mut delete = None;
                    if self.is_op(",") {
                        self.advance(Some(","))?;
                        delete = Some(Box::new(self.expression(0)?));
                    }
                    self.advance(Some("|"))?;
                    node(Raw::Transform(Box::new(pattern), Box::new(update), delete))
                }
                _ => Err(JsonataError::new(
                    "S0211",
                    format!("The symbol {op} cannot be used as a unary operator"),
                )
                .at(pos)),
            },
        }
    }

    fn object_body(&mut self) -> Result<Vec<(RawNode, RawNode)>, JsonataError> {
        let mut pairs = Vec::new();
        if !self.is_op("}") {
            loop {
                let k = self.expression(0)?;
                self.advance(Some(":"))?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if !self.is_op(",") {
                    break;
                }
                self.advance(Some(","))?;
            }
        }
        self.advance(Some("}"))?;
        Ok(pairs)
    }

    fn led(&mut self, t: Token, left: RawNode) -> Result<RawNode, JsonataError> {
        let pos = t.pos;
        let Tok::Op(op) = t.tok else {
            return Err(JsonataError::new(
                "S0201",
                format!("Syntax error: \"{}\"", tok_text(&t.tok)),
            )
            .at(pos));
        };
        let lhs = Box::new(left);
        let r = match op {
            "(" => {
                let mut args = Vec::new();
                if !self.is_op(")") {
                    loop {
                        if self.is_op("?") {
                            let p = self.token.pos;
                            self.advance(Some("?"))?;
                            args.push(raw(Raw::Placeholder, p));
                        } else {
                            args.push(self.expression(0)?);
                        }
                        if !self.is_op(",") {
                            break;
                        }
                        self.advance(Some(","))?;
                    }
                }
                self.advance(Some(")"))?;
                if let Raw::Name(n) = &lhs.raw
                    && (n == "function" || n == "λ")
                {
                    return self.lambda(args, pos);
                }
                Raw::Call(lhs, args)
            }
            "[" => {
                if self.is_op("]") {
                    self.advance(Some("]"))?;
                    let mut left = *lhs;
                    let mut step = &mut left;
                    while let Raw::Predicate(inner, _) = &mut step.raw {
                        step = inner;
                    }
                    step.keep_array = true;
                    return Ok(left);
                }
                let rhs = self.expression(0)?;
                self.advance(Some("]"))?;
                Raw::Predicate(lhs, Box::new(rhs))
            }
            "{" => {
                let pairs = self.object_body()?;
                Raw::Group(lhs, pairs)
            }
            "^" => {
                self.advance(Some("("))?;
                let mut terms = Vec::new();
                loop {
                    let mut descending = false;
                    if self.is_op("<") {
                        self.advance(Some("<"))?;
                    } else if self.is_op(">") {
                        descending = true;
                        self.advance(Some(">"))?;
                    }
                    let term = self.expression(0)?;
                    terms.push((descending, term));
                    if !self.is_op(",") {
                        break;
                    }
                    self.advance(Some(","))?;
                }
                self.advance(Some(")"))?;
                Raw::Sort(lhs, terms)
            }
            "@" | "#" => {
                let Tok::Var(v) = self.token.tok.clone() else {
                    return Err(JsonataError::new(
                        "S0214",
                        format!("The right side of {op} must be a variable name (start with $)"),
                    )
                    .at(self.token.pos));
                };
                self.advance(None)?;
                if op == "@" {
                    Raw::Focus(lhs, v)
                } else {
                    Raw::Index(lhs, v)
                }
            }
            "?" => {
                let then = self.expression(0)?;
                let mut otherwise = None;
                if self.is_op(":") {
                    self.advance(Some(":"))?;
                    otherwise = Some(Box::new(self.expression(0)?));
                }
                Raw::Cond(lhs, Box::new(then), otherwise)
            }
            ":=" => {
                let Raw::Var(name) = &lhs.raw else {
                    return Err(JsonataError::new(
                        "S0212",
                        "The left side of := must be a variable name (start with $)".into(),
                    )
                    .at(lhs.pos));
                };
                let name = name.clone();
                let rhs = self.expression(binding_power(":=") - 1)?;
                Raw::Bind(name, Box::new(rhs))
            }
            "**" | "*" | "/" | "%" | "+" | "-" | "&" | "=" | "!=" | "<" | "<=" | ">" | ">="
            | "and" | "or" | "in" | "." | ".." | "~>" => {
                let rhs = self.expression(binding_power(op))?;
                Raw::Binary(op, lhs, Box::new(rhs))
            }
            _ => {
                return Err(JsonataError::new("S0201", format!("Syntax error: \"{op}\"")).at(pos));
            }
        };
        Ok(raw(r, pos))
    }

    fn lambda(&mut self, args: Vec<RawNode>, pos: usize) -> Result<RawNode, JsonataError> {
        let mut params = Vec::new();
        for (i, a) in args.iter().enumerate() {
            match &a.raw {
                Raw::Var(v) => params.push(v.clone()),
                _ => {
                    return Err(JsonataError::new(
                        "S0208",
                        format!(
                            "Parameter {} of function definition must be a variable name (start with $)",
                            i + 1
                        ),
                    )
                    .at(a.pos));
                }
            }
        }
        let mut signature = None;
        if self.is_op("<") {
            // The signature runs to the matching `>`; read it from the characters.
            let start = self.lexer.pos;
            let chars = &self.lexer.chars;
            let mut depth = 1;
            let mut i = start;
            while i < chars.len() {
                match chars[i] {
                    '<' => depth += 1,
                    '>' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let text: String = chars[start..i.min(chars.len())].iter().collect();
            signature = Some(Signature::parse(&text).map_err(|e| e.at(start))?);
            self.lexer.pos = (i + 1).min(chars.len());
            self.token = self.lexer.next(false)?;
        }
        self.advance(Some("{"))?;
        let body = self.expression(0)?;
        self.advance(Some("}"))?;
        Ok(raw(Raw::Lambda(params, signature, Box::new(body)), pos))
    }
}

/// A binary operator other than path `.`, function application `~>` and binding `:=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
    Range,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Concat => "&",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::In => "in",
            BinOp::Range => "..",
        }
    }
}

/// A filter or index binding applied to the results of a step.
#[derive(Debug)]
pub(crate) enum Stage {
    Filter(Node),
    Index(String),
}

#[derive(Debug)]
pub(crate) struct Group {
    pub pairs: Vec<(Node, Node)>,
}

#[derive(Debug)]
pub(crate) struct SortTerm {
    pub descending: bool,
    pub expr: Node,
}

#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub params: Vec<String>,
    pub signature: Option<Signature>,
    pub body: Node,
}

/// A compiled regular expression literal.
#[derive(Debug)]
pub(crate) struct RegexLit {
    pub regex: regex::Regex,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(Arc<RegexLit>),
    Name(String),
    Var(String),
    Wildcard,
    Descendant,
    /// The parent operator `%`: reads the ancestor a path step bound under this label.
    Parent(Label),
    Placeholder,
    Path {
        steps: Vec<Node>,
        keep_singleton: bool,
    },
    Neg(Box<Node>),
    Binary(BinOp, Box<Node>, Box<Node>),
    Apply(Box<Node>, Box<Node>),
    Array(Vec<Node>),
    Object(Vec<(Node, Node)>),
    Block(Vec<Node>),
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    Bind(String, Box<Node>),
    Call {
        func: Box<Node>,
        args: Vec<Node>,
        partial: bool,
    },
    Lambda(Arc<LambdaDef>),
    Transform(Box<Node>, Box<Node>, Option<Box<Node>>),
    Sort(Vec<SortTerm>),
}

/// A processed node: what it is, where it ends in the source, and its annotations.
#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub pos: usize,
    /// Filters applied to the value of this node (outside paths).
    pub predicate: Vec<Stage>,
    /// Filters and index bindings applied per input item (steps of a path).
    pub stages: Vec<Stage>,
    pub group: Option<Box<Group>>,
    pub focus: Option<Box<str>>,
    pub index: Option<Box<str>>,
    pub tuple: bool,
    pub keep_array: bool,
    pub cons_array: bool,
    /// This step binds its input under the label for the `%` operators that refer to it.
    pub ancestor: Option<Box<Label>>,
    /// This block or path, as a step, passes its tuple stream (and so the ancestors bound
    /// inside it) to the enclosing path.
    pub stream: bool,
}

/// The variable under which a parent (`%`) is bound in a tuple: `slot` numbers the `%`
/// during parsing, `name` is the variable after [`super::ancestry::resolve`].
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub slot: usize,
    pub name: String,
}

impl Node {
    fn new(kind: Kind, pos: usize) -> Node {
        Node {
            kind,
            pos,
            predicate: Vec::new(),
            stages: Vec::new(),
            group: None,
            focus: None,
            index: None,
            tuple: false,
            keep_array: false,
            cons_array: false,
            ancestor: None,
            stream: false,
        }
    }
}

/// Parses `source` into a processed tree.
pub(crate) fn parse(source: &str) -> Result<Node, JsonataError> {
    let mut lexer = Lexer::new(source);
    let token = lexer.next(true)?;
    let mut parser = Parser {
        lexer,
        token,
        depth: 0,
        stack_base: stack_address(),
    };
    let tree = parser.expression(0)?;
    if parser.token.tok != Tok::End {
        let got = tok_text(&parser.token.tok);
        return Err(
            JsonataError::new("S0201", format!("Syntax error: \"{got}\"")).at(parser.token.pos),
        );
    }
    let mut cx = Process {
        depth: 0,
        stack_base: stack_address(),
        parents: 0,
    };
    let mut root = cx.node(tree)?;
    if cx.parents > 0 {
        super::ancestry::resolve(&mut root, cx.parents)?;
    }
    Ok(root)
}

struct Process {
    depth: usize,
    stack_base: usize,
    /// How many `%` operators were seen.
    parents: usize,
}

fn into_path(node: Node) -> (Vec<Node>, bool, usize) {
    let pos = node.pos;
    match node.kind {
        Kind::Path {
            steps,
            keep_singleton,
        } if node.group.is_none() => (steps, keep_singleton || node.keep_array, pos),
        _ => {
            let keep = node.keep_array;
            (vec![node], keep, pos)
        }
    }
}

impl Process {
    fn node(&mut self, r: RawNode) -> Result<Node, JsonataError> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH
            || self.stack_base.abs_diff(stack_address()) > PARSE_STACK_BUDGET
        {
            return Err(
                JsonataError::new("S0208", "Expression is nested too deeply".into()).at(r.pos),
            );
        }
        let res = self.node_inner(r);
        self.depth -= 1;
        res
    }

    fn node_inner(&mut self, r: RawNode) -> Result<Node, JsonataError> {
        let pos = r.pos;
        let keep_array = r.keep_array;
        let mut node = match r.raw {
            Raw::Str(s) => Node::new(Kind::Str(s), pos),
            Raw::Num(n) => Node::new(Kind::Num(n), pos),
            Raw::Bool(b) => Node::new(Kind::Bool(b), pos),
            Raw::Null => Node::new(Kind::Null, pos),
            Raw::Regex(p, f) => Node::new(Kind::Regex(Arc::new(compile_regex(&p, &f, pos)?)), pos),
            Raw::Name(n) => {
                let mut step = Node::new(Kind::Name(n), pos);
                step.keep_array = keep_array;
                return Ok(Node::new(
                    Kind::Path {
                        steps: vec![step],
                        keep_singleton: keep_array,
                    },
                    pos,
                ));
            }
            Raw::Var(v) => Node::new(Kind::Var(v), pos),
            Raw::Wildcard => Node::new(Kind::Wildcard, pos),
            Raw::Descendant => Node::new(Kind::Descendant, pos),
            Raw::Parent => {
                self.parents += 1;
                Node::new(
                    Kind::Parent(Label {
                        slot: self.parents - 1,
                        name: String::new(),
                    }),
                    pos,
                )
            }
            Raw::Placeholder => Node::new(Kind::Placeholder, pos),
            Raw::Neg(e) => {
                let inner = self.node(*e)?;
                match inner.kind {
                    Kind::Num(n) if inner.predicate.is_empty() => Node::new(Kind::Num(-n), pos),
                    _ => Node::new(Kind::Neg(Box::new(inner)), pos),
                }
            }
            Raw::Array(items) => {
                let items = items
                    .into_iter()
                    .map(|i| self.node(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Node::new(Kind::Array(items), pos)
            }
            Raw::Object(pairs) => Node::new(Kind::Object(self.pairs(pairs)?), pos),
            Raw::Block(items) => {
                let items = items
                    .into_iter()
                    .map(|i| self.node(i))
                    .collect::<Result<Vec<_>, _>>()?;
                Node::new(Kind::Block(items), pos)
            }
            Raw::Binary(".", lhs, rhs) => {
                let left = self.node(*lhs)?;
                let (mut steps, mut keep, _) = into_path(left);
                let right = self.node(*rhs)?;
                let right_keep = right.keep_array;
                match right.kind {
                    Kind::Path {
                        steps: more,
                        keep_singleton,
                    } if right.group.is_none() => {
                        steps.extend(more);
                        keep |= keep_singleton || right_keep;
                    }
                    _ => {
                        let mut right = right;
                        if !right.predicate.is_empty() {
                            right.stages = std::mem::take(&mut right.predicate);
                        }
                        steps.push(right);
                    }
                }
                for step in &mut steps {
                    match &step.kind {
                        Kind::Num(_) | Kind::Bool(_) | Kind::Null => {
                            return Err(JsonataError::new(
                                "S0213",
                                "The literal value cannot be used as a step within a path expression".into(),
                            )
                            .at(step.pos));
                        }
                        Kind::Str(s) => {
                            step.kind = Kind::Name(s.clone());
                        }
                        _ => {}
                    }
                    keep |= step.keep_array;
                }
                if let Some(first) = steps.first_mut()
                    && matches!(first.kind, Kind::Array(_))
                {
                    first.cons_array = true;
                }
                if let Some(last) = steps.last_mut()
                    && matches!(last.kind, Kind::Array(_))
                {
                    last.cons_array = true;
                }
                Node::new(
                    Kind::Path {
                        steps,
                        keep_singleton: keep,
                    },
                    pos,
                )
            }
            Raw::Binary("~>", lhs, rhs) => {
                let lhs = self.node(*lhs)?;
                let rhs = self.node(*rhs)?;
                let keep = lhs.keep_array || rhs.keep_array;
                let mut node = Node::new(Kind::Apply(Box::new(lhs), Box::new(rhs)), pos);
                node.keep_array = keep;
                node
            }
            Raw::Binary(op, lhs, rhs) => {
                let op = match op {
                    "+" => BinOp::Add,
                    "-" => BinOp::Sub,
                    "*" => BinOp::Mul,
                    "/" => BinOp::Div,
                    "%" => BinOp::Mod,
                    "=" => BinOp::Eq,
                    "!=" => BinOp::Ne,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    "&" => BinOp::Concat,
                    "and" => BinOp::And,
                    "or" => BinOp::Or,
                    "in" => BinOp::In,
                    ".." => BinOp::Range,
                    other => {
                        return Err(JsonataError::new(
                            "S0204",
                            format!("Unknown operator: \"{other}\""),
                        )
                        .at(pos));
                    }
                };
                Node::new(
                    Kind::Binary(op, Box::new(self.node(*lhs)?), Box::new(self.node(*rhs)?)),
                    pos,
                )
            }
            Raw::Predicate(lhs, rhs) => {
                let mut result = self.node(*lhs)?;
                let filter = self.node(*rhs)?;
                let in_path = matches!(result.kind, Kind::Path { .. }) && result.group.is_none();
                let step = if in_path {
                    match &mut result.kind {
                        Kind::Path { steps, .. } => steps.last_mut(),
                        _ => None,
                    }
                } else {
                    Some(&mut result)
                };
                if let Some(step) = step {
                    if step.group.is_some() {
                        return Err(JsonataError::new(
                            "S0209",
                            "A predicate cannot follow a grouping expression in a step".into(),
                        )
                        .at(pos));
                    }
                    if in_path {
                        step.stages.push(Stage::Filter(filter));
                    } else {
                        step.predicate.push(Stage::Filter(filter));
                    }
                }
                result
            }
            Raw::Group(lhs, pairs) => {
                let mut result = self.node(*lhs)?;
                if result.group.is_some() {
                    return Err(JsonataError::new(
                        "S0210",
                        "Each step can only have one grouping expression".into(),
                    )
                    .at(pos));
                }
                result.group = Some(Box::new(Group {
                    pairs: self.pairs(pairs)?,
                }));
                result
            }
            Raw::Sort(lhs, terms) => {
                let left = self.node(*lhs)?;
                let (mut steps, keep, _) = into_path(left);
                let terms = terms
                    .into_iter()
                    .map(|(descending, t)| {
                        Ok(SortTerm {
                            descending,
                            expr: self.node(t)?,
                        })
                    })
                    .collect::<Result<Vec<_>, JsonataError>>()?;
                steps.push(Node::new(Kind::Sort(terms), pos));
                Node::new(
                    Kind::Path {
                        steps,
                        keep_singleton: keep,
                    },
                    pos,
                )
            }
            Raw::Focus(lhs, var) => {
                let mut result = self.node(*lhs)?;
                let step = match &mut result.kind {
                    Kind::Path { steps, .. } if result.group.is_none() => steps.last_mut(),
                    _ => Some(&mut result),
                };
                if let Some(step) = step {
                    if !step.stages.is_empty() || !step.predicate.is_empty() {
                        return Err(JsonataError::new(
                            "S0215",
                            "A context variable binding must precede any predicates on a step"
                                .into(),
                        )
                        .at(pos));
                    }
                    if matches!(step.kind, Kind::Sort(_)) {
                        return Err(JsonataError::new(
                            "S0216",
                            "A context variable binding must precede the 'order-by' clause on a step".into(),
                        )
                        .at(pos));
                    }
                    step.focus = Some(var.into());
                    step.tuple = true;
                }
                result
            }
            Raw::Index(lhs, var) => {
                let left = self.node(*lhs)?;
                let (mut steps, keep, lpos) = match left.kind {
                    Kind::Path { .. } if left.group.is_none() => into_path(left),
                    _ => {
                        let mut left = left;
                        if !left.predicate.is_empty() {
                            left.stages = std::mem::take(&mut left.predicate);
                        }
                        let p = left.pos;
                        (vec![left], false, p)
                    }
                };
                if let Some(step) = steps.last_mut() {
                    if step.stages.is_empty() {
                        step.index = Some(var.into());
                    } else {
                        step.stages.push(Stage::Index(var));
                    }
                    step.tuple = true;
                }
                Node::new(
                    Kind::Path {
                        steps,
                        keep_singleton: keep,
                    },
                    lpos,
                )
            }
            Raw::Call(func, args) => {
                let func = self.node(*func)?;
                let args = args
                    .into_iter()
                    .map(|a| self.node(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let partial = args.iter().any(|a| matches!(a.kind, Kind::Placeholder));
                Node::new(
                    Kind::Call {
                        func: Box::new(func),
                        args,
                        partial,
                    },
                    pos,
                )
            }
            Raw::Lambda(params, signature, body) => {
                let body = self.node(*body)?;
                Node::new(
                    Kind::Lambda(Arc::new(LambdaDef {
                        params,
                        signature,
                        body,
                    })),
                    pos,
                )
            }
            Raw::Cond(c, t, e) => Node::new(
                Kind::Cond(
                    Box::new(self.node(*c)?),
                    Box::new(self.node(*t)?),
                    match e {
                        Some(e) => Some(Box::new(self.node(*e)?)),
                        None => None,
                    },
                ),
                pos,
            ),
            Raw::Bind(name, value) => {
                Node::new(Kind::Bind(name, Box::new(self.node(*value)?)), pos)
            }
            Raw::Transform(p, u, d) => Node::new(
                Kind::Transform(
                    Box::new(self.node(*p)?),
                    Box::new(self.node(*u)?),
                    match d {
                        Some(d) => Some(Box::new(self.node(*d)?)),
                        None => None,
                    },
                ),
                pos,
            ),
        };
        if keep_array {
            node.keep_array = true;
        }
        Ok(node)
    }

    fn pairs(&mut self, pairs: Vec<(RawNode, RawNode)>) -> Result<Vec<(Node, Node)>, JsonataError> {
        pairs
            .into_iter()
            .map(|(k, v)| Ok((self.node(k)?, self.node(v)?)))
            .collect()
    }
}

/// Translates a JSONata (JavaScript) regular expression to the `regex` crate's syntax.
///
/// The `regex` crate matches in linear time, so catastrophic backtracking cannot happen; the
/// price is that look-around and back-references are not supported, and such a pattern is a
/// compile error here while JavaScript would accept it.
fn compile_regex(pattern: &str, flags: &str, pos: usize) -> Result<RegexLit, JsonataError> {
    let mut builder = regex::RegexBuilder::new(pattern);
    builder
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .size_limit(1 << 22);
    let regex = builder.build().map_err(|e| {
        JsonataError::new(
            "S0303",
            format!("Invalid or unsupported regular expression: {e}"),
        )
        .at(pos)
    })?;
    Ok(RegexLit { regex })
}
