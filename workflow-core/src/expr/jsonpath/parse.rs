//! The JSONPath grammar Jayway accepts, as Step Functions uses it.
//!
//! Errors are plain reasons; [`super::Path::parse`] wraps them with the path.

use serde_json::{Number, Value};

use super::filter::{Expr, Filter, FilterPath, Op, Operand, Pattern};
use super::{Root, Segment};

type Result<T> = std::result::Result<T, String>;

/// How deeply filters and parentheses may nest; a bound keeps hostile input from exhausting
/// the stack.
const MAX_NESTING: usize = 64;

/// How many segments a path may have; evaluation recurses once per segment.
const MAX_SEGMENTS: usize = 1000;

/// Parses a whole path: its root and its segments.
pub(super) fn path(source: &str) -> Result<(Root, Vec<Segment>)> {
    // Jayway ignores surrounding blanks.
    let text = source.trim();
    let mut c = Cursor::new(text);
    if !c.eat(b'$') {
        return Err("a path must start with '$'".to_string());
    }
    let root = if c.eat(b'$') {
        Root::Context
    } else {
        let name_len = text[c.pos..].find(['.', '[']).unwrap_or(text.len() - c.pos);
        if name_len == 0 {
            Root::Input
        } else {
            let name = &text[c.pos..c.pos + name_len];
            if !name.chars().all(|ch| ch.is_alphanumeric() || ch == '_') {
                return Err(format!(
                    "'${name}' is not a variable name; expected letters, digits and '_' after '$'"
                ));
            }
            c.pos += name_len;
            Root::Variable(name.to_string())
        }
    };
    if c.at_end() {
        return Ok((root, Vec::new()));
    }
    if !matches!(c.peek(), Some(b'.' | b'[')) {
        return Err(format!(
            "unexpected character at position {}; expected '.' or '['",
            c.pos
        ));
    }
    let segments = segments(&mut c)?;
    Ok((root, segments))
}

/// Parses a path inside a filter, which starts with `@` (the item) or `$` (the document).
fn filter_path(text: &str, nesting: usize) -> Result<FilterPath> {
    let mut c = Cursor::new(text);
    c.nesting = nesting;
    let from_root = match c.peek() {
        Some(b'@') => false,
        Some(b'$') => true,
        _ => return Err(format!("'{text}' is not a path; expected '@' or '$'")),
    };
    c.pos = 1;
    if !c.at_end() && !matches!(c.peek(), Some(b'.' | b'[')) {
        return Err(format!(
            "unexpected character in the filter path '{text}'; expected '.' or '['"
        ));
    }
    let segments = segments(&mut c)?;
    let definite = segments
        .iter()
        .enumerate()
        .all(|(i, s)| s.is_definite(i + 1 == segments.len()));
    Ok(FilterPath {
        from_root,
        segments,
        definite,
    })
}

/// Reads segments up to the end of the cursor.
fn segments(c: &mut Cursor<'_>) -> Result<Vec<Segment>> {
    let mut out = Vec::new();
    while !c.at_end() {
        next_segment(c, &mut out)?;
        if out.len() > MAX_SEGMENTS {
            return Err(format!("a path may have at most {MAX_SEGMENTS} segments"));
        }
    }
    if matches!(out.last(), Some(Segment::Descendants)) {
        return Err("a path must not end with '..'".to_string());
    }
    Ok(out)
}

/// Jayway's `readNextToken`: one segment, starting at `[`, `.`, `*` or a property name.
fn next_segment(c: &mut Cursor<'_>, out: &mut Vec<Segment>) -> Result<()> {
    match c.peek() {
        Some(b'[') => bracket(c, out),
        Some(b'.') => {
            if c.peek_at(1) == Some(b'.') {
                out.push(Segment::Descendants);
                c.pos += 2;
            } else {
                c.pos += 1;
            }
            match c.peek() {
                None => Err("a path must not end with '.' or '..'".to_string()),
                Some(b'.') => Err(format!("unexpected '.' at position {}", c.pos)),
                Some(b'[') => bracket(c, out),
                Some(b'*') => {
                    c.pos += 1;
                    out.push(Segment::Wildcard);
                    Ok(())
                }
                Some(_) => property(c, out),
            }
        }
        Some(b'*') => {
            c.pos += 1;
            out.push(Segment::Wildcard);
            Ok(())
        }
        Some(_) => property(c, out),
        None => Ok(()),
    }
}

/// A dot-notation property. A name followed by `(...)`, which Jayway would call a function, is
/// kept as a property name: Step Functions does not evaluate path functions, so `.length()`
/// looks for a field called `length()`.
fn property(c: &mut Cursor<'_>, out: &mut Vec<Segment>) -> Result<()> {
    let start = c.pos;
    while let Some(b) = c.peek() {
        match b {
            b'.' | b'[' => break,
            b' ' => {
                return Err(
                    "use bracket notation ['my prop'] if a property contains blank characters"
                        .to_string(),
                );
            }
            b'(' => {
                let close = c
                    .matching(c.pos, b'(', b')')
                    .ok_or_else(|| format!("unclosed '(' at position {}", c.pos))?;
                c.pos = close + 1;
                break;
            }
            _ => c.pos += 1,
        }
    }
    if c.pos == start {
        return Err(format!("empty property name at position {start}"));
    }
    out.push(Segment::Field(c.text[start..c.pos].to_string()));
    Ok(())
}

/// Anything in square brackets.
fn bracket(c: &mut Cursor<'_>, out: &mut Vec<Segment>) -> Result<()> {
    let open = c.pos;
    let inner = c.next_significant(open + 1);
    match inner.map(|i| c.bytes[i]) {
        Some(q @ (b'\'' | b'"')) => quoted_properties(c, q, out),
        Some(b'?') => {
            let filter = filter(c)?;
            out.push(Segment::Filter(Box::new(filter)));
            Ok(())
        }
        Some(b'*') => {
            let star = inner.unwrap_or(open);
            match c.next_significant(star + 1) {
                Some(close) if c.bytes[close] == b']' => {
                    c.pos = close + 1;
                    out.push(Segment::Wildcard);
                    Ok(())
                }
                _ => Err(format!("expected ']' after '*' at position {star}")),
            }
        }
        Some(b'0'..=b'9' | b'-' | b':') => array_selector(c, out),
        _ => Err(format!(
            "could not parse the selector at position {open}; expected ?, ', \", 0-9, - or *"
        )),
    }
}

/// `['a']`, `["a"]` or `['a','b']`. The text between the quotes is taken as written: a
/// backslash keeps the next character from closing the name but stays part of it, as the
/// Jayway version behind Step Functions does.
fn quoted_properties(c: &mut Cursor<'_>, quote: u8, out: &mut Vec<Segment>) -> Result<()> {
    c.pos += 1;
    let mut names = Vec::new();
    loop {
        c.skip_blanks();
        if !c.eat(quote) {
            return Err(format!(
                "expected a quoted property name at position {}",
                c.pos
            ));
        }
        let start = c.pos;
        let mut escaped = false;
        loop {
            let Some(b) = c.peek() else {
                return Err(format!("unclosed quote at position {}", start - 1));
            };
            c.pos += 1;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == quote {
                break;
            }
        }
        names.push(c.text[start..c.pos - 1].to_string());
        c.skip_blanks();
        if c.eat(b']') {
            break;
        }
        if !c.eat(b',') {
            return Err(format!(
                "property names must be separated by ',' and closed by ']' (position {})",
                c.pos
            ));
        }
    }
    if names.len() == 1 {
        out.extend(names.pop().map(Segment::Field));
    } else {
        out.push(Segment::Fields(names));
    }
    Ok(())
}

/// `[0]`, `[-1]`, `[0,2]`, `[1:3]`, `[:2]`, `[-2:]`.
fn array_selector(c: &mut Cursor<'_>, out: &mut Vec<Segment>) -> Result<()> {
    let open = c.pos;
    let close = c.text[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("unclosed '[' at position {open}"))?;
    let expression = c.text[open + 1..close].trim();
    if !expression
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b',' | b'-' | b':' | b' '))
    {
        return Err(format!("invalid array selector '[{expression}]'"));
    }
    let number = |token: &str| -> Result<i64> {
        token
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("invalid array selector '[{expression}]'"))
    };
    if expression.contains(':') {
        // Like Java's String.split, ignore trailing empty parts.
        let mut parts: Vec<&str> = expression.split(':').collect();
        while parts.last().is_some_and(|p| p.trim().is_empty()) {
            parts.pop();
        }
        let part = |i: usize| -> Result<Option<i64>> {
            match parts.get(i).map(|p| p.trim()) {
                None | Some("") => Ok(None),
                Some(p) => number(p).map(Some),
            }
        };
        let (start, end, step) = (part(0)?, part(1)?, part(2)?);
        if start.is_none() && end.is_none() {
            return Err(format!(
                "invalid slice '[{expression}]'; expected a start or an end"
            ));
        }
        out.push(Segment::Slice { start, end, step });
    } else {
        let indexes = expression
            .split(',')
            .map(number)
            .collect::<Result<Vec<i64>>>()?;
        match indexes.as_slice() {
            [i] => out.push(Segment::Index(*i)),
            _ => out.push(Segment::Indexes(indexes)),
        }
    }
    c.pos = close + 1;
    Ok(())
}

/// `[?( expression )]`.
fn filter(c: &mut Cursor<'_>) -> Result<Filter> {
    c.nest()?;
    c.pos += 1;
    c.skip_blanks();
    if !c.eat(b'?') {
        return Err(format!("expected '?' at position {}", c.pos));
    }
    c.skip_blanks();
    if !c.eat(b'(') {
        return Err(format!("expected '(' after '?' at position {}", c.pos));
    }
    let expr = or_expr(c)?;
    c.skip_blanks();
    if !c.eat(b')') {
        return Err(format!(
            "expected ')' to close the filter at position {}",
            c.pos
        ));
    }
    c.skip_blanks();
    if !c.eat(b']') {
        return Err(format!(
            "expected ']' to close the filter at position {}",
            c.pos
        ));
    }
    c.nesting -= 1;
    Ok(Filter { expr })
}

fn or_expr(c: &mut Cursor<'_>) -> Result<Expr> {
    let mut expr = and_expr(c)?;
    loop {
        c.skip_blanks();
        if !c.eat_str("||") {
            return Ok(expr);
        }
        let right = and_expr(c)?;
        expr = Expr::Or(Box::new(expr), Box::new(right));
    }
}

fn and_expr(c: &mut Cursor<'_>) -> Result<Expr> {
    let mut expr = unary_expr(c)?;
    loop {
        c.skip_blanks();
        if !c.eat_str("&&") {
            return Ok(expr);
        }
        let right = unary_expr(c)?;
        expr = Expr::And(Box::new(expr), Box::new(right));
    }
}

fn unary_expr(c: &mut Cursor<'_>) -> Result<Expr> {
    c.nest()?;
    let expr = unary_expr_inner(c);
    c.nesting -= 1;
    expr
}

fn unary_expr_inner(c: &mut Cursor<'_>) -> Result<Expr> {
    c.skip_blanks();
    if c.peek() == Some(b'!') && c.peek_at(1) != Some(b'=') {
        c.pos += 1;
        c.skip_blanks();
        if matches!(c.peek(), Some(b'@' | b'$')) {
            // `!@.x` is Jayway's "does not exist"; with an operator after it the `!` is
            // ignored, as Jayway does.
            return match relational(c)? {
                Expr::Exists(path) => Ok(Expr::Not(Box::new(Expr::Exists(path)))),
                other => Ok(other),
            };
        }
        return Ok(Expr::Not(Box::new(unary_expr(c)?)));
    }
    if c.eat(b'(') {
        let expr = or_expr(c)?;
        c.skip_blanks();
        if !c.eat(b')') {
            return Err(format!("expected ')' at position {}", c.pos));
        }
        return Ok(expr);
    }
    relational(c)
}

fn relational(c: &mut Cursor<'_>) -> Result<Expr> {
    let left = operand(c)?;
    c.skip_blanks();
    let op = match c.peek() {
        None | Some(b')') => None,
        Some(b'&') if c.peek_at(1) == Some(b'&') => None,
        Some(b'|') if c.peek_at(1) == Some(b'|') => None,
        Some(_) => Some(operator(c)?),
    };
    let Some(op) = op else {
        return match left {
            Operand::Path(path) => Ok(Expr::Exists(path)),
            _ => Err(format!(
                "expected a comparison operator at position {}",
                c.pos
            )),
        };
    };
    let right = operand(c)?;
    if op == Op::Exists && !matches!(right, Operand::Literal(Value::Bool(_))) {
        return Err("'exists' must be followed by true or false".to_string());
    }
    if op == Op::Regex
        && !matches!(
            (&left, &right),
            (_, Operand::Pattern(_)) | (Operand::Pattern(_), _)
        )
    {
        return Err("'=~' needs a /regular expression/ on one side".to_string());
    }
    Ok(Expr::Compare { left, op, right })
}

fn operator(c: &mut Cursor<'_>) -> Result<Op> {
    let start = c.pos;
    if matches!(c.peek(), Some(b'<' | b'>' | b'=' | b'~' | b'!')) {
        while matches!(c.peek(), Some(b'<' | b'>' | b'=' | b'~' | b'!')) {
            c.pos += 1;
        }
        let symbol = &c.text[start..c.pos];
        return Op::from_symbol(symbol).ok_or_else(|| format!("unknown operator '{symbol}'"));
    }
    while c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        c.pos += 1;
    }
    let word = &c.text[start..c.pos];
    if word.is_empty() {
        return Err(format!("expected an operator at position {start}"));
    }
    Op::from_word(word).ok_or_else(|| {
        format!(
            "unsupported operator '{word}'; expected one of ==, !=, ===, !==, <, <=, >, >=, =~, \
             in, nin, contains, all, subsetof, anyof, noneof, size, empty, exists"
        )
    })
}

fn operand(c: &mut Cursor<'_>) -> Result<Operand> {
    c.skip_blanks();
    let start = c.pos;
    match c.peek() {
        Some(b'@' | b'$') => {
            let end = filter_path_end(c, start)?;
            c.pos = end;
            filter_path(&c.text[start..end], c.nesting).map(Operand::Path)
        }
        Some(q @ (b'\'' | b'"')) => {
            let close = c
                .unescaped(start + 1, q)
                .ok_or_else(|| format!("unclosed string at position {start}"))?;
            c.pos = close + 1;
            Ok(Operand::Literal(Value::String(unescape(
                &c.text[start + 1..close],
            ))))
        }
        Some(b'/') => {
            let close = c
                .unescaped(start + 1, b'/')
                .ok_or_else(|| format!("unclosed regular expression at position {start}"))?;
            c.pos = close + 1;
            while c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
                c.pos += 1;
            }
            let pattern = Pattern::new(&c.text[start + 1..close], &c.text[close + 1..c.pos])?;
            Ok(Operand::Pattern(pattern))
        }
        Some(open @ (b'[' | b'{')) => {
            let close_byte = if open == b'[' { b']' } else { b'}' };
            let close = c
                .matching(start, open, close_byte)
                .ok_or_else(|| format!("unclosed JSON literal at position {start}"))?;
            c.pos = close + 1;
            json_literal(&c.text[start..=close]).map(Operand::Literal)
        }
        Some(b'-' | b'0'..=b'9') => {
            while c.peek().is_some_and(|b| {
                b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
            }) {
                c.pos += 1;
            }
            number_literal(&c.text[start..c.pos]).map(Operand::Literal)
        }
        Some(_) => {
            for (word, value) in [
                ("true", Value::Bool(true)),
                ("false", Value::Bool(false)),
                ("null", Value::Null),
            ] {
                if c.text[start..].starts_with(word)
                    && !c
                        .peek_at(word.len())
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    c.pos += word.len();
                    return Ok(Operand::Literal(value));
                }
            }
            Err(format!(
                "unexpected character at position {start} in the filter"
            ))
        }
        None => Err("the filter ends where a value was expected".to_string()),
    }
}

/// Where a path inside a filter ends: at a blank, an operator character, `&&`, `||`, or a `)`
/// that closes the expression rather than a `name()` call. Brackets are skipped whole.
fn filter_path_end(c: &Cursor<'_>, start: usize) -> Result<usize> {
    let mut i = start + 1;
    while i < c.bytes.len() {
        match c.bytes[i] {
            b'[' => {
                let close = c
                    .matching(i, b'[', b']')
                    .ok_or_else(|| format!("unclosed '[' at position {i}"))?;
                i = close + 1;
            }
            b'(' => {
                let close = c
                    .matching(i, b'(', b')')
                    .ok_or_else(|| format!("unclosed '(' at position {i}"))?;
                i = close + 1;
            }
            b' ' | b'\t' | b'<' | b'>' | b'=' | b'~' | b'!' | b')' | b',' => break,
            b'&' if c.bytes.get(i + 1) == Some(&b'&') => break,
            b'|' if c.bytes.get(i + 1) == Some(&b'|') => break,
            _ => i += 1,
        }
    }
    Ok(i)
}

fn number_literal(text: &str) -> Result<Value> {
    let invalid = || format!("invalid number '{text}' in the filter");
    if !text.contains(['.', 'e', 'E'])
        && let Ok(i) = text.parse::<i64>()
    {
        return Ok(Value::Number(Number::from(i)));
    }
    let f: f64 = text.parse().map_err(|_| invalid())?;
    Number::from_f64(f).map(Value::Number).ok_or_else(invalid)
}

/// A JSON array or object written in a filter. Single-quoted strings are accepted, as the
/// lenient parser behind Jayway does.
fn json_literal(text: &str) -> Result<Value> {
    let mut json = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => {
                json.push('"');
                let mut escaped = false;
                for ch in chars.by_ref() {
                    json.push(ch);
                    if escaped {
                        escaped = false;
                    } else if ch == '\\' {
                        escaped = true;
                    } else if ch == '"' {
                        break;
                    }
                }
            }
            '\'' => {
                json.push('"');
                let mut escaped = false;
                for ch in chars.by_ref() {
                    if escaped {
                        escaped = false;
                        if ch == '\'' {
                            json.push('\'');
                        } else {
                            json.push('\\');
                            json.push(ch);
                        }
                    } else if ch == '\\' {
                        escaped = true;
                    } else if ch == '\'' {
                        break;
                    } else if ch == '"' {
                        json.push_str("\\\"");
                    } else {
                        json.push(ch);
                    }
                }
                json.push('"');
            }
            other => json.push(other),
        }
    }
    serde_json::from_str(&json)
        .map_err(|e| format!("invalid JSON literal {text} in the filter: {e}"))
}

/// Java-style escapes in a filter string literal.
fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{08}'),
            Some('f') => out.push('\u{0C}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) => out.push(decoded),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A byte cursor over ASCII-delimited text; every position it stops at is a char boundary.
struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Filters and parenthesised expressions currently open.
    nesting: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            nesting: 0,
        }
    }

    fn nest(&mut self) -> Result<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(format!(
                "filters and parentheses nest more than {MAX_NESTING} deep"
            ));
        }
        Ok(())
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(self.pos + offset).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        if self.text[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The first non-blank position at or after `from`.
    fn next_significant(&self, from: usize) -> Option<usize> {
        (from..self.bytes.len()).find(|&i| !matches!(self.bytes[i], b' ' | b'\t'))
    }

    /// The next `b` at or after `from` that no backslash escapes.
    fn unescaped(&self, from: usize, b: u8) -> Option<usize> {
        let mut escaped = false;
        for i in from..self.bytes.len() {
            let byte = self.bytes[i];
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b {
                return Some(i);
            }
        }
        None
    }

    /// The `close` matching the `open` at `at`, skipping quoted strings.
    fn matching(&self, at: usize, open: u8, close: u8) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = at;
        while i < self.bytes.len() {
            let byte = self.bytes[i];
            if byte == b'\'' || byte == b'"' {
                i = self.unescaped(i + 1, byte)?;
            } else if byte == open {
                depth += 1;
            } else if byte == close {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            i += 1;
        }
        None
    }
}
