//! Built-in functions: JSONata 2.0's library (without `$eval`) and Step Functions' additions.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;
use serde_json::Value;

use super::error::{JsonataError, Result};
use super::eval::{Ev, cmp_utf16, truthy};
use super::parse::RegexLit;
use super::signature::Signature;
use super::value::{Func, NativeFn, Obj, Val, array, deep_equal, seq, string};
use super::{aws, format};

pub(crate) type Imp = for<'a> fn(&Ev<'a>, Vec<Val<'a>>, &Val<'a>) -> Result<Val<'a>>;

pub(crate) struct Builtin {
    pub name: &'static str,
    pub signature: Signature,
    /// The number of arguments a higher-order function passes (JavaScript's `length`).
    pub arity: usize,
    pub imp: Imp,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${}", self.name)
    }
}

static BUILTINS: LazyLock<HashMap<&'static str, Builtin>> = LazyLock::new(|| {
    let table: &[(&str, &str, usize, Imp)] = &[
        ("sum", "a<n>:n", 1, f_sum),
        ("count", "a:n", 1, f_count),
        ("max", "a<n>:n", 1, f_max),
        ("min", "a<n>:n", 1, f_min),
        ("average", "a<n>:n", 1, f_average),
        ("string", "x-b?:s", 1, f_string),
        ("substring", "s-nn?:s", 3, f_substring),
        ("substringBefore", "s-s:s", 2, f_substring_before),
        ("substringAfter", "s-s:s", 2, f_substring_after),
        ("lowercase", "s-:s", 1, f_lowercase),
        ("uppercase", "s-:s", 1, f_uppercase),
        ("length", "s-:n", 1, f_length),
        ("trim", "s-:s", 1, f_trim),
        ("pad", "s-ns?:s", 3, f_pad),
        ("match", "s-f<s:o>n?:a<o>", 3, f_match),
        ("contains", "s-(sf):b", 2, f_contains),
        ("replace", "s-(sf)(sf)n?:s", 4, f_replace),
        ("split", "s-(sf)n?:a<s>", 3, f_split),
        ("join", "a<s>s?:s", 2, f_join),
        ("formatNumber", "n-so?:s", 3, format::format_number),
        ("formatBase", "n-n?:s", 2, format::format_base),
        ("formatInteger", "n-s:s", 2, format::format_integer),
        ("parseInteger", "s-s:n", 2, format::parse_integer),
        ("number", "(nsb)-:n", 1, f_number),
        ("floor", "n-:n", 1, f_floor),
        ("ceil", "n-:n", 1, f_ceil),
        ("round", "n-n?:n", 2, f_round),
        ("abs", "n-:n", 1, f_abs),
        ("sqrt", "n-:n", 1, f_sqrt),
        ("power", "n-n:n", 2, f_power),
        ("random", "n?:n", 0, aws::random),
        ("boolean", "x-:b", 1, f_boolean),
        ("not", "x-:b", 1, f_not),
        ("map", "af", 2, f_map),
        ("zip", "a+", 0, f_zip),
        ("filter", "af", 2, f_filter),
        ("single", "af?", 2, f_single),
        ("reduce", "afj?:j", 3, f_reduce),
        ("sift", "o-f?:o", 2, f_sift),
        ("keys", "x-:a<s>", 1, f_keys),
        ("lookup", "x-s:x", 2, f_lookup),
        ("append", "xx:a", 2, f_append),
        ("exists", "x:b", 1, f_exists),
        ("spread", "x-:a<o>", 1, f_spread),
        ("merge", "a<o>:o", 1, f_merge),
        ("reverse", "a:a", 1, f_reverse),
        ("each", "o-f:a", 2, f_each),
        ("error", "s?:x", 1, f_error),
        ("assert", "bs?:x", 2, f_assert),
        ("type", "x:s", 1, f_type),
        ("sort", "af?:a", 2, f_sort),
        ("shuffle", "a:a", 1, f_shuffle),
        ("distinct", "x:x", 1, f_distinct),
        ("base64encode", "s-:s", 1, f_base64encode),
        ("base64decode", "s-:s", 1, f_base64decode),
        ("encodeUrlComponent", "s-:s", 1, f_encode_url_component),
        ("encodeUrl", "s-:s", 1, f_encode_url),
        ("decodeUrlComponent", "s-:s", 1, f_decode_url_component),
        ("decodeUrl", "s-:s", 1, f_decode_url),
        ("toMillis", "s-s?:n", 2, format::to_millis),
        ("fromMillis", "n-s?s?:s", 3, format::from_millis),
        ("now", "s?s?:s", 2, format::now),
        ("millis", ":n", 0, format::millis),
        // Step Functions' additions.
        ("partition", "an:a", 2, aws::partition),
        ("range", "nnn:a", 3, aws::range),
        ("hash", "ss?:s", 2, aws::hash),
        ("uuid", ":s", 0, aws::uuid),
        ("parse", "s:x", 1, aws::parse),
    ];
    table
        .iter()
        .map(|(name, sig, arity, imp)| {
            let signature = match Signature::parse(sig) {
                Ok(s) => s,
                Err(e) => panic!("built-in signature of ${name} is invalid: {e}"),
            };
            (
                *name,
                Builtin {
                    name,
                    signature,
                    arity: *arity,
                    imp: *imp,
                },
            )
        })
        .collect()
});

pub(crate) fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.get(name)
}

fn arg<'a>(args: &[Val<'a>], i: usize) -> Val<'a> {
    args.get(i).cloned().unwrap_or(Val::Undef)
}

fn num(args: &[Val<'_>], i: usize) -> Option<f64> {
    args.get(i).and_then(|v| v.as_num())
}

fn text<'s>(args: &'s [Val<'_>], i: usize) -> Option<&'s str> {
    args.get(i).and_then(|v| v.as_str())
}

/// A numeric result: infinity is an error; NaN (from `x % 0`, say) passes on and is `null`
/// in the JSON output, as in jsonata.
fn number_result<'a>(n: f64) -> Result<Val<'a>> {
    if !n.is_infinite() {
        Ok(Val::Num(n))
    } else {
        Err(JsonataError::new(
            "D1001",
            format!("Number out of range: {n}"),
        ))
    }
}

/// Validates arguments against a signature: fills context arguments, wraps single values
/// where arrays are expected, and reports mismatches as T0410/T0411/T0412.
pub(crate) fn validate<'a>(
    sig: &Signature,
    args: Vec<Val<'a>>,
    context: &Val<'a>,
    name: &str,
) -> Result<Vec<Val<'a>>> {
    // Assign arguments to parameters with backtracking: how many each consumes.
    fn assign(
        sig: &Signature,
        args: &[Val<'_>],
        pi: usize,
        ai: usize,
        counts: &mut Vec<usize>,
    ) -> bool {
        if pi == sig.params.len() {
            return ai == args.len();
        }
        let p = &sig.params[pi];
        let accepts = |v: &Val<'_>| {
            let t = v.type_sym();
            t == 'm' || p.types.contains(t) || (p.types.contains('a') && p.types.len() == 1)
        };
        let max = if p.variadic {
            args.len() - ai
        } else {
            1.min(args.len() - ai)
        };
        let min = if p.variadic {
            1
        } else if p.optional || p.context {
            0
        } else {
            1
        };
        let mut n = max;
        loop {
            if n < min {
                return false;
            }
            if args[ai..ai + n].iter().all(accepts) {
                counts.push(n);
                if assign(sig, args, pi + 1, ai + n, counts) {
                    return true;
                }
                counts.pop();
            }
            if n == 0 {
                return false;
            }
            n -= 1;
        }
    }
    let mut counts = Vec::with_capacity(sig.params.len());
    if !assign(sig, &args, 0, 0, &mut counts) {
        // Find the first argument that does not fit, for the message.
        let mut index = 1;
        for (i, a) in args.iter().enumerate() {
            if let Some(p) = sig.params.get(i) {
                let t = a.type_sym();
                if !(t == 'm' || p.types.contains(t) || p.types == "a") {
                    index = i + 1;
                    break;
                }
            } else {
                index = i + 1;
                break;
            }
        }
        return Err(JsonataError::new(
            "T0410",
            format!("Argument {index} of function \"{name}\" does not match function signature"),
        ));
    }
    let mut out = Vec::with_capacity(sig.params.len());
    let mut ai = 0;
    for (pi, p) in sig.params.iter().enumerate() {
        let n = counts[pi];
        if n == 0 {
            if p.context {
                let context = &match context {
                    Val::Arr(a) if a.outer => a.items.first().cloned().unwrap_or(Val::Undef),
                    c => c.clone(),
                };
                let t = context.type_sym();
                if t != 'm' && !p.types.contains(t) && p.types != "a" {
                    return Err(JsonataError::new(
                        "T0411",
                        format!(
                            "Context value is not a compatible type with argument {} of function \"{name}\"",
                            pi + 1
                        ),
                    ));
                }
                out.push(wrap_param(p, context.clone(), pi, name)?);
            } else if !p.optional {
                out.push(Val::Undef);
            }
            continue;
        }
        for a in &args[ai..ai + n] {
            out.push(wrap_param(p, a.clone(), pi, name)?);
        }
        ai += n;
    }
    Ok(out)
}

fn wrap_param<'a>(
    p: &super::signature::Param,
    v: Val<'a>,
    pi: usize,
    name: &str,
) -> Result<Val<'a>> {
    if p.types != "a" || v.is_undef() {
        return Ok(v);
    }
    let v = if v.is_array() { v } else { array(vec![v]) };
    if let Some(of) = &p.array_of {
        for m in v.members() {
            if !of.contains(m.type_sym()) {
                let what = match of.as_str() {
                    "n" => "numbers",
                    "s" => "strings",
                    "o" => "objects",
                    "b" => "booleans",
                    _ => "values of the right type",
                };
                return Err(JsonataError::new(
                    "T0412",
                    format!(
                        "Argument {} of function {name} must be an array of {what}",
                        pi + 1
                    ),
                ));
            }
        }
    }
    Ok(v)
}

// ----- conversions -----

/// JavaScript's `Number.prototype.toString()` for finite numbers.
pub(crate) fn js_number(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let e = format!("{:e}", n.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let k = digits.len() as i32;
    let point = exp + 1;
    let mut out = String::new();
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        for _ in 0..(point - k) {
            out.push('0');
        }
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        for _ in 0..(-point) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if point > 0 { '+' } else { '-' });
        out.push_str(&(point - 1).abs().to_string());
    }
    out
}

/// A number rounded to 15 significant digits, as `$string` shows it.
pub(crate) fn precision15(n: f64) -> f64 {
    format!("{n:.14e}").parse().unwrap_or(n)
}

fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON text of a value as JavaScript's `JSON.stringify` with JSONata's replacer writes it.
pub(crate) fn stringify(v: &Val<'_>, pretty: bool, indent: usize, out: &mut String) -> Result<()> {
    let newline = |out: &mut String, level: usize| {
        if pretty {
            out.push('\n');
            for _ in 0..level {
                out.push_str("  ");
            }
        }
    };
    match v {
        Val::Undef => out.push_str("null"),
        Val::Func(_) => out.push_str("\"\""),
        v if v.is_null() => out.push_str("null"),
        v if v.as_bool().is_some() => out.push_str(if v.as_bool() == Some(true) {
            "true"
        } else {
            "false"
        }),
        v if v.as_num().is_some() => {
            let n = v.as_num().unwrap_or(0.0);
            if !n.is_finite() {
                return Err(JsonataError::new(
                    "D1001",
                    format!("Number out of range: {n}"),
                ));
            }
            out.push_str(&js_number(if n.fract() == 0.0 {
                n
            } else {
                precision15(n)
            }));
        }
        v if v.as_str().is_some() => write_json_string(out, v.as_str().unwrap_or("")),
        v if v.is_array() => {
            let items = v.members();
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent + 1);
                if item.is_undef() {
                    out.push_str("null");
                } else {
                    stringify(item, pretty, indent + 1, out)?;
                }
            }
            if !items.is_empty() {
                newline(out, indent);
            }
            out.push(']');
        }
        v => {
            let entries = v.entries();
            out.push('{');
            let mut first = true;
            for (k, item) in entries.iter() {
                if item.is_undef() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                newline(out, indent + 1);
                write_json_string(out, k);
                out.push(':');
                if pretty {
                    out.push(' ');
                }
                stringify(item, pretty, indent + 1, out)?;
            }
            if !first {
                newline(out, indent);
            }
            out.push('}');
        }
    }
    Ok(())
}

/// `$string` semantics (undefined gives the empty string, as `&` needs).
pub(crate) fn to_string_val(v: &Val<'_>) -> Result<Rc<str>> {
    Ok(match v {
        Val::Undef => Rc::from(""),
        Val::Str(s) => s.clone(),
        Val::Json(Value::String(s)) => Rc::from(s.as_str()),
        Val::Func(_) => Rc::from(""),
        v => Rc::from(string_of(v, false)?.as_str()),
    })
}

fn string_of(v: &Val<'_>, pretty: bool) -> Result<String> {
    if let Some(s) = v.as_str() {
        return Ok(s.to_string());
    }
    if let Some(n) = v.as_num() {
        if !n.is_finite() {
            return Err(JsonataError::new(
                "D3001",
                "Attempting to invoke string function on Infinity or NaN".into(),
            ));
        }
        return Ok(js_number(if n.fract() == 0.0 { n } else { precision15(n) }));
    }
    let mut out = String::new();
    stringify(v, pretty, 0, &mut out)?;
    Ok(out)
}

/// A short rendering of a value for error messages.
pub(crate) fn display(v: &Val<'_>) -> String {
    let mut out = String::new();
    match v {
        Val::Undef => "undefined".into(),
        v => {
            let _ = stringify(v, false, 0, &mut out);
            out
        }
    }
}

/// Number of UTF-16 code units, as JavaScript measures strings.
fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

// ----- aggregation -----

fn f_sum<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    number_result(a.members().iter().filter_map(|v| v.as_num()).sum())
}

fn f_count<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    Ok(Val::Num(if a.is_undef() { 0.0 } else { a.len() as f64 }))
}

fn f_max<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(extreme(&args, f64::max))
}

fn f_min<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(extreme(&args, f64::min))
}

/// `$max` / `$min`: the numbers of the first argument folded with `pick`; NaN wins, nothing is
/// undefined.
fn extreme<'a>(args: &[Val<'a>], pick: fn(f64, f64) -> f64) -> Val<'a> {
    arg(args, 0)
        .members()
        .iter()
        .filter_map(|v| v.as_num())
        .reduce(|a, b| {
            if a.is_nan() || b.is_nan() {
                f64::NAN
            } else {
                pick(a, b)
            }
        })
        .map(Val::Num)
        .unwrap_or(Val::Undef)
}

fn f_average<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let nums: Vec<f64> = arg(&args, 0)
        .members()
        .iter()
        .filter_map(|v| v.as_num())
        .collect();
    if nums.is_empty() {
        return Ok(Val::Undef);
    }
    number_result(nums.iter().sum::<f64>() / nums.len() as f64)
}

// ----- strings -----

fn f_string<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let pretty = args.get(1).and_then(|v| v.as_bool()).unwrap_or(false);
    if a.is_func() {
        return Ok(string(""));
    }
    Ok(Val::Str(Rc::from(string_of(&a, pretty)?.as_str())))
}

fn f_substring<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as f64;
    let mut start = num(&args, 1).unwrap_or(0.0);
    if start < 0.0 {
        start = (len + start).max(0.0);
    }
    let start = start.min(len);
    let end = match num(&args, 2) {
        Some(l) => {
            if l <= 0.0 {
                return Ok(string(""));
            }
            (start + l).min(len)
        }
        None => len,
    };
    let (a, b) = (
        start.floor().max(0.0) as usize,
        end.floor().max(0.0) as usize,
    );
    if a >= b {
        return Ok(string(""));
    }
    Ok(Val::Str(Rc::from(chars[a..b].iter().collect::<String>())))
}

fn f_substring_before<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let chars = text(&args, 1).unwrap_or("");
    Ok(string(match s.find(chars) {
        Some(i) => &s[..i],
        None => s,
    }))
}

fn f_substring_after<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let chars = text(&args, 1).unwrap_or("");
    Ok(string(match s.find(chars) {
        Some(i) => &s[i + chars.len()..],
        None => s,
    }))
}

fn f_lowercase<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(text(&args, 0)
        .map(|s| string(&s.to_lowercase()))
        .unwrap_or(Val::Undef))
}

fn f_uppercase<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(text(&args, 0)
        .map(|s| string(&s.to_uppercase()))
        .unwrap_or(Val::Undef))
}

fn f_length<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(text(&args, 0)
        .map(|s| Val::Num(s.chars().count() as f64))
        .unwrap_or(Val::Undef))
}

fn f_trim<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    Ok(string(&out))
}

fn f_pad<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let width = num(&args, 1).unwrap_or(0.0);
    let pad = match text(&args, 2) {
        Some(p) if !p.is_empty() => p,
        _ => " ",
    };
    let len = s.chars().count();
    let target = width.abs().trunc() as usize;
    if target <= len {
        return Ok(string(s));
    }
    let padding: String = pad.chars().cycle().take(target - len).collect();
    Ok(string(&if width > 0.0 {
        format!("{s}{padding}")
    } else {
        format!("{padding}{s}")
    }))
}

fn regex_of(v: &Val<'_>) -> Option<Arc<RegexLit>> {
    match v {
        Val::Func(f) => match &**f {
            Func::Regex(r) => Some(r.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The match object JSONata gives for a regex match: `{match, index, groups, next}`; the
/// index counts UTF-16 code units, like JavaScript.
pub(crate) fn regex_match_object<'a>(
    r: &Arc<RegexLit>,
    arg: &Val<'a>,
    from: usize,
) -> Result<Val<'a>> {
    let Some(s) = arg.as_str() else {
        return Ok(Val::Undef);
    };
    let text: Rc<str> = Rc::from(s);
    match_at(r, &text, from)
}

fn match_at<'a>(r: &Arc<RegexLit>, text: &Rc<str>, from: usize) -> Result<Val<'a>> {
    if from > text.len() {
        return Ok(Val::Undef);
    }
    let Some(caps) = r.regex.captures_at(text, from) else {
        return Ok(Val::Undef);
    };
    let Some(m) = caps.get(0) else {
        return Ok(Val::Undef);
    };
    let mut obj: Obj<'a> = IndexMap::new();
    obj.insert("match".into(), string(m.as_str()));
    obj.insert(
        "index".into(),
        Val::Num(utf16_len(&text[..m.start()]) as f64),
    );
    let groups: Vec<Val<'a>> = caps
        .iter()
        .skip(1)
        .map(|g| string(g.map(|g| g.as_str()).unwrap_or("")))
        .collect();
    obj.insert("groups".into(), array(groups));
    let next_from = if m.end() == m.start() {
        m.end() + next_char_len(text, m.end())
    } else {
        m.end()
    };
    obj.insert(
        "next".into(),
        Val::Func(Rc::new(Func::Native(NativeFn::MatchNext {
            regex: r.clone(),
            text: text.clone(),
            from: next_from,
        }))),
    );
    Ok(Val::Obj(Rc::new(obj)))
}

fn next_char_len(s: &str, at: usize) -> usize {
    s[at..].chars().next().map(char::len_utf8).unwrap_or(1)
}

pub(crate) fn native<'a>(_: &Ev<'a>, n: &NativeFn<'a>) -> Result<Val<'a>> {
    match n {
        NativeFn::MatchNext { regex, text, from } => match_at(regex, text, *from),
        NativeFn::Phantom(_) => Ok(Val::Undef),
    }
}

/// All non-overlapping matches of a regex, as (start, end, groups) in byte offsets.
fn all_matches<'s>(
    r: &regex::Regex,
    s: &'s str,
    limit: Option<usize>,
) -> Result<Vec<regex::Captures<'s>>> {
    let mut out = Vec::new();
    for caps in r.captures_iter(s) {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        if caps.get(0).is_some_and(|m| m.as_str().is_empty()) {
            return Err(JsonataError::new(
                "D1004",
                "Regular expression matches zero length string".into(),
            ));
        }
        out.push(caps);
    }
    Ok(out)
}

/// One match of a custom matcher function, in byte offsets of the searched text.
struct Found<'a> {
    start: usize,
    end: usize,
    text: Val<'a>,
    index: f64,
    groups: Val<'a>,
}

/// Byte offset of a UTF-16 index into `s` (clamped to the end).
fn byte_offset(s: &str, utf16_index: f64) -> usize {
    let mut units = 0f64;
    for (i, c) in s.char_indices() {
        if units >= utf16_index {
            return i;
        }
        units += c.len_utf16() as f64;
    }
    s.len()
}

/// Runs a custom matcher: a function that, given the text, returns
/// `{match, start, end, groups, next}` (or undefined), where `next()` gives the next match.
fn custom_matches<'a>(
    ev: &Ev<'a>,
    matcher: &Val<'a>,
    s: &str,
    input: &Val<'a>,
    limit: Option<usize>,
    function: &str,
) -> Result<Vec<Found<'a>>> {
    let mut out = Vec::new();
    let mut res = ev.apply(matcher, vec![string(s)], input, 0)?;
    // A matcher that never stops is cut off after one match per position.
    let cap = utf16_len(s) + 1;
    while !res.is_undef() && limit.is_none_or(|l| out.len() < l) && out.len() <= cap {
        let start = res.field("start").as_num();
        let end = res.field("end").as_num();
        let text = res.field("match");
        let groups = res.field("groups");
        let (Some(start), Some(end), true, true) =
            (start, end, text.as_str().is_some(), groups.is_array())
        else {
            return Err(JsonataError::new(
                "T1010",
                format!(
                    "The matcher function argument passed to function {function} does not return the correct object structure"
                ),
            ));
        };
        let (from, to) = (byte_offset(s, start), byte_offset(s, end));
        out.push(Found {
            start: from,
            end: to.max(from),
            text,
            index: start,
            groups,
        });
        let next = res.field("next");
        if !next.is_func() {
            break;
        }
        res = ev.apply(&next, Vec::new(), input, 0)?;
    }
    Ok(out)
}

fn match_object<'a>(found: &Found<'a>) -> Val<'a> {
    let mut obj: Obj<'a> = IndexMap::new();
    obj.insert("match".into(), found.text.clone());
    obj.insert("index".into(), Val::Num(found.index));
    obj.insert("groups".into(), found.groups.clone());
    Val::Obj(Rc::new(obj))
}

fn f_match<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let pattern = arg(&args, 1);
    let Some(r) = regex_of(&pattern) else {
        if pattern.is_func() {
            let limit = num(&args, 2).map(|n| n.max(0.0).floor() as usize);
            let found = custom_matches(ev, &pattern, s, input, limit, "match")?;
            return Ok(seq(found.iter().map(match_object).collect()));
        }
        return Err(JsonataError::new(
            "T0410",
            "Argument 2 of function \"match\" does not match function signature".into(),
        ));
    };
    let limit = match num(&args, 2) {
        Some(n) if n < 0.0 => {
            return Err(JsonataError::new(
                "D3040",
                "Third argument of match function must evaluate to a positive number".into(),
            ));
        }
        Some(n) => Some(n.floor() as usize),
        None => None,
    };
    let mut out = Vec::new();
    for caps in all_matches(&r.regex, s, limit)? {
        let Some(m) = caps.get(0) else { continue };
        let mut obj: Obj<'a> = IndexMap::new();
        obj.insert("match".into(), string(m.as_str()));
        obj.insert("index".into(), Val::Num(utf16_len(&s[..m.start()]) as f64));
        obj.insert(
            "groups".into(),
            array(
                caps.iter()
                    .skip(1)
                    .map(|g| string(g.map(|g| g.as_str()).unwrap_or("")))
                    .collect(),
            ),
        );
        out.push(Val::Obj(Rc::new(obj)));
    }
    Ok(seq(out))
}

fn f_contains<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let p = arg(&args, 1);
    if p.is_undef() {
        return Ok(Val::Undef);
    }
    if let Some(r) = regex_of(&p) {
        return Ok(Val::Bool(r.regex.is_match(s)));
    }
    if p.is_func() {
        let found = custom_matches(ev, &p, s, input, Some(1), "contains")?;
        return Ok(Val::Bool(!found.is_empty()));
    }
    Ok(Val::Bool(s.contains(p.as_str().unwrap_or(""))))
}

/// Expands `$0`, `$1`.. and `$$` in a replacement string, as JSONata does.
fn expand_replacement(rep: &str, caps: &regex::Captures<'_>) -> String {
    let groups: Vec<String> = caps
        .iter()
        .skip(1)
        .map(|g| g.map(|g| g.as_str()).unwrap_or("").to_string())
        .collect();
    expand_groups(rep, caps.get(0).map(|m| m.as_str()).unwrap_or(""), &groups)
}

/// Expands `$0` (the match), `$1`.. (its groups) and `$$` in a replacement string.
fn expand_groups(rep: &str, matched: &str, groups: &[String]) -> String {
    let chars: Vec<char> = rep.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let ngroups = groups.len();
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && i + 1 < chars.len() {
            let next = chars[i + 1];
            if next == '$' {
                out.push('$');
                i += 2;
                continue;
            }
            if next.is_ascii_digit() {
                // Take the longest group number that exists (at least one digit).
                let mut j = i + 1;
                let mut value = 0usize;
                let mut best: Option<(usize, usize)> = None;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    value = value * 10 + chars[j].to_digit(10).unwrap_or(0) as usize;
                    if value <= ngroups || best.is_none() {
                        best = Some((value, j + 1));
                    }
                    if value > ngroups {
                        break;
                    }
                    j += 1;
                }
                if let Some((g, end)) = best {
                    if g == 0 {
                        out.push_str(matched);
                    } else if g <= ngroups {
                        out.push_str(&groups[g - 1]);
                    }
                    i = end;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn f_replace<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let pattern = arg(&args, 1);
    let replacement = arg(&args, 2);
    if pattern.as_str() == Some("") {
        return Err(JsonataError::new(
            "D3010",
            "Second argument of replace function cannot be an empty string".into(),
        ));
    }
    let limit = match num(&args, 3) {
        Some(n) if n < 0.0 => {
            return Err(JsonataError::new(
                "D3011",
                "Fourth argument of replace function must evaluate to a positive number".into(),
            ));
        }
        Some(n) => Some(n.floor() as usize),
        None => None,
    };
    if let Some(p) = pattern.as_str() {
        let rep = replacement.as_str().unwrap_or("");
        let mut out = String::new();
        let mut rest = s;
        let mut n = 0;
        while let Some(i) = rest.find(p) {
            if limit.is_some_and(|l| n >= l) {
                break;
            }
            out.push_str(&rest[..i]);
            out.push_str(rep);
            rest = &rest[i + p.len()..];
            n += 1;
        }
        out.push_str(rest);
        return Ok(string(&out));
    }
    let Some(r) = regex_of(&pattern) else {
        if pattern.is_func() {
            let found = custom_matches(ev, &pattern, s, input, limit, "replace")?;
            return replace_found(ev, s, &found, &replacement, input);
        }
        return Ok(Val::Undef);
    };
    let matches = all_matches(&r.regex, s, limit)?;
    let mut out = String::new();
    let mut last = 0;
    for caps in &matches {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        if let Some(rep) = replacement.as_str() {
            out.push_str(&expand_replacement(rep, caps));
        } else if replacement.is_func() {
            let mut obj: Obj<'a> = IndexMap::new();
            obj.insert("match".into(), string(m.as_str()));
            obj.insert("index".into(), Val::Num(utf16_len(&s[..m.start()]) as f64));
            obj.insert(
                "groups".into(),
                array(
                    caps.iter()
                        .skip(1)
                        .map(|g| string(g.map(|g| g.as_str()).unwrap_or("")))
                        .collect(),
                ),
            );
            let res = ev.apply(&replacement, vec![Val::Obj(Rc::new(obj))], input, 0)?;
            match res.as_str() {
                Some(t) => out.push_str(t),
                None => {
                    return Err(JsonataError::new(
                        "D3012",
                        format!(
                            "Attempted to replace a matched string with a non-string value: {}",
                            display(&res)
                        ),
                    ));
                }
            }
        }
        last = m.end();
    }
    out.push_str(&s[last..]);
    Ok(string(&out))
}

/// Replaces the matches of a custom matcher.
fn replace_found<'a>(
    ev: &Ev<'a>,
    s: &str,
    found: &[Found<'a>],
    replacement: &Val<'a>,
    input: &Val<'a>,
) -> Result<Val<'a>> {
    let mut out = String::new();
    let mut last = 0;
    for f in found {
        if f.start < last {
            continue;
        }
        out.push_str(&s[last..f.start]);
        if let Some(rep) = replacement.as_str() {
            let matched = f.text.as_str().unwrap_or("");
            let groups: Vec<String> = f
                .groups
                .members()
                .iter()
                .map(|g| g.as_str().unwrap_or("").to_string())
                .collect();
            out.push_str(&expand_groups(rep, matched, &groups));
        } else {
            let res = ev.apply(replacement, vec![match_object(f)], input, 0)?;
            match res.as_str() {
                Some(t) => out.push_str(t),
                None => {
                    return Err(JsonataError::new(
                        "D3012",
                        format!(
                            "Attempted to replace a matched string with a non-string value: {}",
                            display(&res)
                        ),
                    ));
                }
            }
        }
        last = f.end;
    }
    out.push_str(&s[last..]);
    Ok(string(&out))
}

fn f_split<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let limit = match num(&args, 2) {
        Some(n) if n < 0.0 => {
            return Err(JsonataError::new(
                "D3020",
                "Third argument of split function must evaluate to a positive number".into(),
            ));
        }
        Some(n) => Some(n.floor() as usize),
        None => None,
    };
    let sep = arg(&args, 1);
    let mut parts: Vec<String> = if let Some(p) = sep.as_str() {
        if p.is_empty() {
            s.chars().map(|c| c.to_string()).collect()
        } else {
            s.split(p).map(str::to_string).collect()
        }
    } else if let Some(r) = regex_of(&sep) {
        let mut out = Vec::new();
        let mut last = 0;
        for m in r.regex.find_iter(s) {
            if m.start() == m.end() {
                continue;
            }
            out.push(s[last..m.start()].to_string());
            last = m.end();
        }
        out.push(s[last..].to_string());
        out
    } else if sep.is_func() {
        let found = custom_matches(ev, &sep, s, input, None, "split")?;
        let mut out = Vec::new();
        let mut last = 0;
        for f in &found {
            if f.start < last {
                continue;
            }
            out.push(s[last..f.start].to_string());
            last = f.end;
        }
        out.push(s[last..].to_string());
        out
    } else {
        return Ok(Val::Undef);
    };
    if let Some(l) = limit {
        parts.truncate(l);
    }
    Ok(array(parts.iter().map(|p| string(p)).collect()))
}

fn f_join<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let sep = text(&args, 1).unwrap_or("");
    let parts: Vec<String> = a
        .members()
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect();
    Ok(string(&parts.join(sep)))
}

// ----- numbers -----

/// Parses a string as JSONata's `$number` does (JSON number syntax, plus hex/octal/binary).
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return i64::from_str_radix(rest, radix).ok().map(|n| n as f64);
        }
    }
    let body = t.strip_prefix('-').unwrap_or(t);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mant.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mant, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = (digits(int) || (int.is_empty() && frac.is_some()))
        && frac.is_none_or(digits)
        && exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if !ok || t != s {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn f_number<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    if let Some(n) = a.as_num() {
        return Ok(Val::Num(n));
    }
    if let Some(b) = a.as_bool() {
        return Ok(Val::Num(if b { 1.0 } else { 0.0 }));
    }
    if let Some(s) = a.as_str()
        && let Some(n) = parse_number(s)
    {
        return Ok(Val::Num(n));
    }
    Err(JsonataError::new(
        "D3030",
        format!("Unable to cast value to a number: {}", display(&a)),
    ))
}

fn unary_num<'a>(args: &[Val<'a>], f: impl Fn(f64) -> f64) -> Result<Val<'a>> {
    match num(args, 0) {
        Some(n) => number_result(f(n)),
        None => Ok(Val::Undef),
    }
}

fn f_floor<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    unary_num(&args, f64::floor)
}

fn f_ceil<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    unary_num(&args, f64::ceil)
}

fn f_abs<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    unary_num(&args, f64::abs)
}

fn f_sqrt<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    match num(&args, 0) {
        Some(n) if n < 0.0 => Err(JsonataError::new(
            "D3060",
            format!(
                "The sqrt function cannot be applied to a negative number: {}",
                js_number(n)
            ),
        )),
        _ => unary_num(&args, f64::sqrt),
    }
}

fn f_power<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let (Some(b), Some(e)) = (num(&args, 0), num(&args, 1)) else {
        return Ok(Val::Undef);
    };
    let r = b.powf(e);
    if !r.is_finite() {
        return Err(JsonataError::new(
            "D3061",
            format!(
                "The power function has resulted in a value that cannot be represented as a JSON number: base={}, exponent={}",
                js_number(b),
                js_number(e)
            ),
        ));
    }
    Ok(Val::Num(r))
}

/// Rounds half to even at `precision` decimal places, as JSONata's `$round`.
pub(crate) fn round_half_even(n: f64, precision: i32) -> f64 {
    // Work on the decimal text to avoid binary representation surprises (e.g. 2.675).
    let shifted: f64 = format!("{n}e{precision}").parse().unwrap_or(n);
    if !shifted.is_finite() || shifted.abs() >= 9_007_199_254_740_992.0 {
        // Too large to have digits at that precision: already rounded.
        return n;
    }
    let mut r = shifted.round();
    // Only an exact half is a tie (1234.5000000000002 rounds up), as in jsonata.
    if (r - shifted).abs() == 0.5 && r % 2.0 != 0.0 {
        r -= (r - shifted).signum();
    }
    let out: f64 = format!("{r}e{}", -precision).parse().unwrap_or(r);
    if out == 0.0 { 0.0 } else { out }
}

fn f_round<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(n) = num(&args, 0) else {
        return Ok(Val::Undef);
    };
    let p = num(&args, 1).unwrap_or(0.0) as i32;
    number_result(round_half_even(n, p))
}

// ----- booleans -----

fn f_boolean<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(truthy(&arg(&args, 0)).map(Val::Bool).unwrap_or(Val::Undef))
}

fn f_not<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(truthy(&arg(&args, 0))
        .map(|b| Val::Bool(!b))
        .unwrap_or(Val::Undef))
}

fn f_exists<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    Ok(Val::Bool(!arg(&args, 0).is_undef()))
}

// ----- higher-order functions -----

fn hof_args<'a>(f: &Val<'a>, items: [Val<'a>; 3]) -> Vec<Val<'a>> {
    let arity = match f {
        Val::Func(func) => func.arity(),
        _ => 1,
    };
    let n = arity.clamp(1, 3);
    items.into_iter().take(n).collect()
}

fn f_map<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let f = arg(&args, 1);
    let items = a.members();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let r = ev.apply(
            &f,
            hof_args(&f, [item.clone(), Val::Num(i as f64), a.clone()]),
            input,
            0,
        )?;
        if !r.is_undef() {
            out.push(r);
        }
    }
    Ok(seq(out))
}

fn f_filter<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let f = arg(&args, 1);
    let mut out = Vec::new();
    for (i, item) in a.members().iter().enumerate() {
        let r = ev.apply(
            &f,
            hof_args(&f, [item.clone(), Val::Num(i as f64), a.clone()]),
            input,
            0,
        )?;
        if truthy(&r).unwrap_or(false) {
            out.push(item.clone());
        }
    }
    Ok(seq(out))
}

fn f_single<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let f = arg(&args, 1);
    let mut found: Option<Val<'a>> = None;
    for (i, item) in a.members().iter().enumerate() {
        let ok = if f.is_undef() {
            true
        } else {
            let r = ev.apply(
                &f,
                hof_args(&f, [item.clone(), Val::Num(i as f64), a.clone()]),
                input,
                0,
            )?;
            truthy(&r).unwrap_or(false)
        };
        if ok {
            if found.is_some() {
                return Err(JsonataError::new(
                    "D3138",
                    "The $single() function expected exactly 1 matching result.  Instead it matched more.".into(),
                ));
            }
            found = Some(item.clone());
        }
    }
    found.ok_or_else(|| {
        JsonataError::new(
            "D3139",
            "The $single() function expected exactly 1 matching result.  Instead it matched 0."
                .into(),
        )
    })
}

fn f_reduce<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let f = arg(&args, 1);
    let arity = match &f {
        Val::Func(func) => func.arity(),
        _ => 0,
    };
    if arity < 2 {
        return Err(JsonataError::new(
            "D3050",
            "The second argument of reduce function must be a function with at least two arguments"
                .into(),
        ));
    }
    let items = a.members();
    let (mut acc, start) = match args.get(2) {
        Some(init) if !init.is_undef() => (init.clone(), 0),
        _ if !items.is_empty() => (items[0].clone(), 1),
        _ => (Val::Undef, 0),
    };
    for (i, item) in items.iter().enumerate().skip(start) {
        let mut call = vec![acc, item.clone()];
        if arity >= 3 {
            call.push(Val::Num(i as f64));
        }
        if arity >= 4 {
            call.push(a.clone());
        }
        acc = ev.apply(&f, call, input, 0)?;
    }
    Ok(acc)
}

fn f_sift<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let o = arg(&args, 0);
    if o.is_undef() {
        return Ok(Val::Undef);
    }
    let f = arg(&args, 1);
    let mut out: Obj<'a> = IndexMap::new();
    for (k, v) in o.entries() {
        let r = ev.apply(
            &f,
            hof_args(&f, [v.clone(), string(&k), o.clone()]),
            input,
            0,
        )?;
        if truthy(&r).unwrap_or(false) {
            out.insert(k, v);
        }
    }
    if out.is_empty() {
        return Ok(Val::Undef);
    }
    Ok(Val::Obj(Rc::new(out)))
}

fn f_each<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let o = arg(&args, 0);
    if o.is_undef() {
        return Ok(Val::Undef);
    }
    let f = arg(&args, 1);
    let mut out = Vec::new();
    for (k, v) in o.entries() {
        let r = ev.apply(&f, hof_args(&f, [v, string(&k), o.clone()]), input, 0)?;
        if !r.is_undef() {
            out.push(r);
        }
    }
    Ok(seq(out))
}

fn f_zip<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let arrays: Vec<Vec<Val<'a>>> = args.iter().map(|a| a.members()).collect();
    let n = arrays.iter().map(Vec::len).min().unwrap_or(0);
    Ok(array(
        (0..n)
            .map(|i| array(arrays.iter().map(|a| a[i].clone()).collect()))
            .collect(),
    ))
}

fn f_sort<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, input: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let items = a.members();
    if items.len() <= 1 {
        return Ok(a);
    }
    let f = arg(&args, 1);
    if f.is_undef() {
        let all_num = items.iter().all(|v| v.as_num().is_some());
        let all_str = items.iter().all(|v| v.as_str().is_some());
        if !all_num && !all_str {
            return Err(JsonataError::new(
                "D3070",
                "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function".into(),
            ));
        }
        let sorted = ev.sort_generic(items, |x, y| {
            Ok(if all_num {
                x.as_num()
                    .partial_cmp(&y.as_num())
                    .unwrap_or(std::cmp::Ordering::Equal)
            } else {
                cmp_utf16(x.as_str().unwrap_or(""), y.as_str().unwrap_or(""))
            })
        })?;
        return Ok(array(sorted));
    }
    // The comparator says whether `a` goes after `b`; merge sort keeps it stable.
    let sorted = merge_sort(items, &mut |x, y| {
        let r = ev.apply(&f, vec![x.clone(), y.clone()], input, 0)?;
        Ok(truthy(&r).unwrap_or(false))
    })?;
    Ok(array(sorted))
}

fn merge_sort<'a>(
    items: Vec<Val<'a>>,
    after: &mut dyn FnMut(&Val<'a>, &Val<'a>) -> Result<bool>,
) -> Result<Vec<Val<'a>>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mid = items.len() / 2;
    let mut left = items;
    let right = left.split_off(mid);
    let left = merge_sort(left, after)?;
    let right = merge_sort(right, after)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if after(&left[i], &right[j])? {
            out.push(right[j].clone());
            j += 1;
        } else {
            out.push(left[i].clone());
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    Ok(out)
}

// ----- arrays and objects -----

fn f_keys<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    let mut keys: Vec<String> = Vec::new();
    let mut push = |o: &Val<'a>| {
        for k in o.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    };
    if a.is_array() {
        for m in a.members() {
            push(&m);
        }
    } else {
        push(&a);
    }
    if keys.is_empty() {
        return Ok(Val::Undef);
    }
    Ok(seq(keys.iter().map(|k| string(k)).collect()))
}

fn f_lookup<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    let key = text(&args, 1).unwrap_or("");
    Ok(super::eval::lookup(&a, key))
}

fn f_append<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let (a, b) = (arg(&args, 0), arg(&args, 1));
    if a.is_undef() {
        return Ok(b);
    }
    if b.is_undef() {
        return Ok(a);
    }
    let mut items = if a.is_array() { a.members() } else { vec![a] };
    if b.is_array() {
        items.extend(b.members());
    } else {
        items.push(b);
    }
    Ok(array(items))
}

fn f_spread<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let mut out = Vec::new();
    let mut spread_one = |o: &Val<'a>| {
        if o.is_object() {
            for (k, v) in o.entries() {
                let mut m: Obj<'a> = IndexMap::new();
                m.insert(k, v);
                out.push(Val::Obj(Rc::new(m)));
            }
        } else {
            out.push(o.clone());
        }
    };
    if a.is_array() {
        for m in a.members() {
            spread_one(&m);
        }
    } else {
        spread_one(&a);
    }
    Ok(seq(out))
}

fn f_merge<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let mut out: Obj<'a> = IndexMap::new();
    for o in a.members() {
        for (k, v) in o.entries() {
            out.insert(k, v);
        }
    }
    Ok(Val::Obj(Rc::new(out)))
}

fn f_reverse<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let mut items = a.members();
    items.reverse();
    Ok(array(items))
}

fn f_shuffle<'a>(ev: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if a.is_undef() {
        return Ok(Val::Undef);
    }
    let mut items = a.members();
    for i in (1..items.len()).rev() {
        let j = (aws::next_random(ev) * (i + 1) as f64) as usize;
        items.swap(i, j.min(i));
    }
    Ok(array(items))
}

fn f_distinct<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    if !a.is_array() {
        return Ok(a);
    }
    let mut out: Vec<Val<'a>> = Vec::new();
    for m in a.members() {
        if !out.iter().any(|o| deep_equal(o, &m)) {
            out.push(m);
        }
    }
    Ok(if a.is_seq() { seq(out) } else { array(out) })
}

fn f_error<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let message = text(&args, 0)
        .unwrap_or("$error() function evaluated")
        .to_string();
    Err(JsonataError::new("D3137", message))
}

fn f_assert<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    let Some(ok) = a.as_bool() else {
        return Err(JsonataError::new(
            "T0410",
            "Argument 1 of function \"assert\" does not match function signature".into(),
        ));
    };
    if !ok {
        let message = text(&args, 1)
            .unwrap_or("$assert() statement failed")
            .to_string();
        return Err(JsonataError::new("D3141", message));
    }
    Ok(Val::Undef)
}

fn f_type<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let a = arg(&args, 0);
    Ok(match a.type_sym() {
        'm' => Val::Undef,
        'l' => string("null"),
        'b' => string("boolean"),
        'n' => string("number"),
        's' => string("string"),
        'a' => string("array"),
        'o' => string("object"),
        _ => string("function"),
    })
}

// ----- encoding -----

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn f_base64encode<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    // JavaScript's btoa works on Latin-1 code points; JSONata passes the string through.
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    Ok(string(&base64_encode(&bytes)))
}

fn f_base64decode<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    let bytes = base64_decode(s).unwrap_or_default();
    Ok(string(
        &bytes.iter().map(|&b| b as char).collect::<String>(),
    ))
}

fn percent_encode(s: &str, keep: &str) -> Result<String> {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c) || keep.contains(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Ok(out)
}

fn percent_decode(s: &str, reserved: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            let b = u8::from_str_radix(hex, 16).ok()?;
            if b < 0x80 && reserved.contains(b as char) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(b);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn url_error(s: &str) -> JsonataError {
    JsonataError::new(
        "D3140",
        format!("Malformed URL passed to ${s}(): the string is not valid"),
    )
}

fn f_encode_url_component<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    Ok(string(&percent_encode(s, "")?))
}

fn f_encode_url<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    Ok(string(&percent_encode(s, ";,/?:@&=+$#[]")?))
}

fn f_decode_url_component<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    percent_decode(s, "")
        .map(|d| string(&d))
        .ok_or_else(|| url_error("decodeUrlComponent"))
}

fn f_decode_url<'a>(_: &Ev<'a>, args: Vec<Val<'a>>, _: &Val<'a>) -> Result<Val<'a>> {
    let Some(s) = text(&args, 0) else {
        return Ok(Val::Undef);
    };
    percent_decode(s, ";,/?:@&=+$#")
        .map(|d| string(&d))
        .ok_or_else(|| url_error("decodeUrl"))
}
