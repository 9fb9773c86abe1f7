//! Function signatures (`<s-n?:s>`): parsing and argument validation.

use super::error::{JsonataError, Result};

/// One parameter of a signature.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    /// Accepted type symbols: `b n s l a o f` (boolean, number, string, null, array, object,
    /// function).
    pub types: String,
    /// For `a<...>`: the element types that are accepted.
    pub array_of: Option<String>,
    pub optional: bool,
    pub variadic: bool,
    /// `-`: when the argument is missing, the context value is used.
    pub context: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Signature {
    pub params: Vec<Param>,
}

fn expand(sym: char) -> Option<&'static str> {
    Some(match sym {
        'b' => "b",
        'n' => "n",
        's' => "s",
        'l' => "l",
        'a' => "a",
        'o' => "o",
        'f' => "f",
        'j' => "bnslao",
        'x' => "bnslaof",
        'u' => "bnsl",
        _ => return None,
    })
}

impl Signature {
    /// Parses the text between `<` and `>`.
    pub(crate) fn parse(text: &str) -> Result<Signature> {
        let chars: Vec<char> = text.chars().collect();
        let err = |i: usize| {
            JsonataError::new(
                "S0401",
                format!("Type parameter can only be applied to functions and arrays: {text}"),
            )
            .at(i)
        };
        let mut params: Vec<Param> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                ':' => break,
                '?' | '+' | '-' => {
                    let Some(last) = params.last_mut() else {
                        return Err(err(i));
                    };
                    match c {
                        '?' => last.optional = true,
                        '+' => last.variadic = true,
                        _ => last.context = true,
                    }
                    i += 1;
                }
                '(' => {
                    let mut types = String::new();
                    i += 1;
                    while i < chars.len() && chars[i] != ')' {
                        if chars[i] == '<' {
                            return Err(JsonataError::new(
                                "S0402",
                                format!("Choice groups containing parameterized types are not supported: {text}"),
                            )
                            .at(i));
                        }
                        let Some(t) = expand(chars[i]) else {
                            return Err(JsonataError::new(
                                "S0402",
                                format!("Choice groups containing parameterized types are not supported: {text}"),
                            )
                            .at(i));
                        };
                        types.push_str(t);
                        i += 1;
                    }
                    i += 1;
                    params.push(Param {
                        types,
                        array_of: None,
                        optional: false,
                        variadic: false,
                        context: false,
                    });
                }
                '<' => {
                    let Some(last) = params.last_mut() else {
                        return Err(err(i));
                    };
                    if last.types != "a" && last.types != "f" {
                        return Err(err(i));
                    }
                    let start = i + 1;
                    let mut depth = 0;
                    while i < chars.len() {
                        if chars[i] == '<' {
                            depth += 1;
                        } else if chars[i] == '>' {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        i += 1;
                    }
                    if last.types == "a" {
                        let inner: String = chars[start..i.min(chars.len())].iter().collect();
                        let mut types = String::new();
                        for ch in inner.chars() {
                            if let Some(t) = expand(ch) {
                                types.push_str(t);
                            }
                        }
                        last.array_of = Some(types);
                    }
                    i += 1;
                }
                _ => {
                    let Some(t) = expand(c) else {
                        return Err(JsonataError::new(
                            "S0401",
                            format!("Unknown type symbol in signature: {c}"),
                        )
                        .at(i));
                    };
                    params.push(Param {
                        types: t.to_string(),
                        array_of: None,
                        optional: false,
                        variadic: false,
                        context: false,
                    });
                    i += 1;
                }
            }
        }
        Ok(Signature { params })
    }
}
