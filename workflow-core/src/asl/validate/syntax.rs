//! Checks of single strings: JSONata wrapping, ARNs, timestamps, state names, labels and variable
//! names. Each returns what is wrong, or `None`.

/// The longest state name AWS accepts, in Unicode characters.
pub const MAX_STATE_NAME_CHARS: usize = 80;

/// The longest Map `Label` AWS accepts, in Unicode characters.
pub const MAX_LABEL_CHARS: usize = 40;

/// Whether a string is a JSONata expression as Step Functions reads it: it starts with `{%` and
/// ends with `%}`.
pub fn is_jsonata_expr(text: &str) -> bool {
    text.len() >= 4 && text.starts_with("{%") && text.ends_with("%}")
}

/// Whether a string is meant as a JSONata expression: it starts with `{%` or ends with `%}`
/// (well-formed or not).
pub fn looks_like_jsonata(text: &str) -> bool {
    text.starts_with("{%") || text.ends_with("%}")
}

/// Checks the syntax of a JSONata expression as written in a definition, `{% ... %}` included.
/// Returns what is wrong, or `None` when the expression is fine.
///
/// FIXME(jsonata): only the `{% %}` wrapping is checked until the JSONata parser lands; it
/// should then parse the text between the delimiters and report its first syntax error.
pub fn jsonata_syntax_error(source: &str) -> Option<String> {
    if !is_jsonata_expr(source) {
        return Some(
            "a JSONata expression must start with `{%` and end with `%}`, as in `{% $states.input %}`"
                .to_string(),
        );
    }
    let body = &source[2..source.len() - 2];
    if body.trim().is_empty() {
        return Some("the JSONata expression between `{%` and `%}` is empty".to_string());
    }
    None
}

/// Checks that a `Resource` is an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, with
/// a partition such as `aws` or `aws-cn`, a service, and a resource (region and account may be
/// empty, as in `arn:aws:states:::lambda:invoke`).
pub fn arn_error(resource: &str) -> Option<String> {
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    let shape = "expected an ARN such as `arn:aws:states:::lambda:invoke` or \
                 `arn:aws:lambda:us-east-1:123456789012:function:name`";
    if parts.len() < 6 || parts[0] != "arn" {
        return Some(format!("`{resource}` is not an ARN; {shape}"));
    }
    let partition_ok = parts[1].split('-').enumerate().all(|(i, part)| {
        if i == 0 {
            part == "aws"
        } else {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase())
        }
    });
    if !partition_ok {
        return Some(format!(
            "`{resource}` has the partition `{}`; expected `aws`, `aws-cn`, `aws-us-gov`, ...",
            parts[1]
        ));
    }
    let service_ok = !parts[2].is_empty()
        && parts[2]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !service_ok {
        return Some(format!(
            "`{resource}` has no valid service name after the partition; {shape}"
        ));
    }
    if parts[5].is_empty() {
        return Some(format!("`{resource}` names no resource; {shape}"));
    }
    None
}

/// Checks an ASL timestamp: the RFC 3339 profile of ISO 8601 with an uppercase `T` between date
/// and time and an uppercase `Z` when there is no numeric offset, e.g. `2016-03-14T01:59:00Z`.
pub fn timestamp_error(text: &str) -> Option<String> {
    let expected = "expected an RFC 3339 timestamp such as `2016-03-14T01:59:00Z`";
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    let shape_ok = bytes.len() >= 20
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19);
    if !shape_ok {
        return Some(format!("`{text}` is not a valid timestamp; {expected}"));
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Some(format!(
                "`{text}` has an empty fraction of a second; {expected}"
            ));
        }
        rest = &fraction[n..];
    }
    let zone_ok = rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest.as_bytes()[3] == b':'
            && rest.as_bytes()[1..3].iter().all(u8::is_ascii_digit)
            && rest.as_bytes()[4..6].iter().all(u8::is_ascii_digit));
    if !zone_ok {
        return Some(format!(
            "`{text}` must end with `Z` or a `+hh:mm`/`-hh:mm` offset; {expected}"
        ));
    }
    if chrono::DateTime::parse_from_rfc3339(text).is_err() {
        return Some(format!("`{text}` is not a valid date and time; {expected}"));
    }
    None
}

/// Checks a state name: 1 to 80 Unicode characters, no control characters.
pub fn state_name_error(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 {
        return Some("state names must not be empty".to_string());
    }
    if n > MAX_STATE_NAME_CHARS {
        return Some(format!(
            "the state name `{}...` is {n} characters long; state names have at most {MAX_STATE_NAME_CHARS}",
            name.chars().take(20).collect::<String>()
        ));
    }
    if name.chars().any(char::is_control) {
        return Some(format!(
            "the state name {name:?} contains a control character; state names may not"
        ));
    }
    None
}

/// Checks a Map `Label`: at most 40 characters, none of white space, brackets, wildcards,
/// ``" # % \ ^ | ~ ` $ & , ; : /`` or control characters.
pub fn label_error(label: &str) -> Option<String> {
    let n = label.chars().count();
    if n == 0 {
        return Some("`Label` must not be empty".to_string());
    }
    if n > MAX_LABEL_CHARS {
        return Some(format!(
            "the label `{label}` is {n} characters long; labels have at most {MAX_LABEL_CHARS}"
        ));
    }
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    if let Some(c) = label
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(*c))
    {
        return Some(format!(
            "the label {label:?} contains {c:?}; labels may not contain white space, brackets, \
             wildcards, control characters or any of \" # % \\ ^ | ~ ` $ & , ; : /"
        ));
    }
    None
}

/// Checks a workflow variable name (an `Assign` key, without any `.$`): letters, digits and
/// `_`, not starting with a digit, and not the reserved `states`.
pub fn variable_name_error(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("variable names must not be empty".to_string());
    }
    if name == "states" {
        return Some(
            "`$states` is reserved by Step Functions; choose another variable name".to_string(),
        );
    }
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_alphanumeric() || c == '_') {
        return Some(format!(
            "`{name}` is not a valid variable name; use letters, digits and `_`, not starting with a digit"
        ));
    }
    None
}

/// Whether a literal string looks like a path or an intrinsic function call (for `NO_DOLLAR`).
pub fn looks_like_path(text: &str) -> bool {
    if text == "$" || text == "$$" {
        return true;
    }
    if let Some(rest) = text.strip_prefix('$') {
        return rest.starts_with(['.', '[', '$'])
            || rest.starts_with(|c: char| c.is_alphabetic() || c == '_');
    }
    text.starts_with("States.") && text.contains('(') && text.ends_with(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        assert_eq!(arn_error("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(arn_error("arn:aws:states:::aws-sdk:s3:listBuckets"), None);
        assert_eq!(
            arn_error("arn:aws:lambda:us-east-1:123456789012:function:Hello"),
            None
        );
        assert_eq!(
            arn_error("arn:aws-us-gov:states:us-gov-west-1:123456789012:activity:A"),
            None
        );
        assert!(arn_error("not-an-arn").is_some());
        assert!(arn_error("arn:aws:states:::").is_some());
        assert!(arn_error("arn:gcp:states:::lambda:invoke").is_some());
        assert!(arn_error("arn:aws::::x").is_some());
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp_error("2016-03-14T01:59:00Z"), None);
        assert_eq!(timestamp_error("2016-03-05T21:29:29.243167252Z"), None);
        assert_eq!(timestamp_error("2016-03-14T01:59:00+01:00"), None);
        assert!(timestamp_error("2016-03-14t01:59:00Z").is_some());
        assert!(timestamp_error("2016-03-14T01:59:00z").is_some());
        assert!(timestamp_error("2016-03-14 01:59:00Z").is_some());
        assert!(timestamp_error("2016-03-14T01:59:00").is_some());
        assert!(timestamp_error("2016-02-30T01:59:00Z").is_some());
        assert!(timestamp_error("2016-03-14T01:59:00.Z").is_some());
        assert!(timestamp_error("soon").is_some());
        assert!(timestamp_error("é016-03-14T01:59:00Z").is_some());
    }

    #[test]
    fn names() {
        assert_eq!(state_name_error("Hello World: step #1"), None);
        assert!(state_name_error("").is_some());
        assert!(state_name_error(&"x".repeat(81)).is_some());
        assert_eq!(state_name_error(&"é".repeat(80)), None);
        assert!(state_name_error("a\u{7}b").is_some());
        assert_eq!(label_error("TestMap"), None);
        assert!(label_error("my label").is_some());
        assert!(label_error(&"l".repeat(41)).is_some());
        assert!(label_error("a:b").is_some());
        assert_eq!(variable_name_error("_x1"), None);
        assert_eq!(variable_name_error("café"), None);
        assert!(variable_name_error("1x").is_some());
        assert!(variable_name_error("a-b").is_some());
        assert!(variable_name_error("states").is_some());
    }

    #[test]
    fn jsonata_wrapping() {
        assert_eq!(jsonata_syntax_error("{% $states.input %}"), None);
        assert!(jsonata_syntax_error("{% $x").is_some());
        assert!(jsonata_syntax_error("$x %}").is_some());
        assert!(jsonata_syntax_error("{%  %}").is_some());
        assert!(jsonata_syntax_error("{%}").is_some());
        assert!(looks_like_path("$.a") && looks_like_path("$$.Execution.Id"));
        assert!(looks_like_path("$var") && looks_like_path("States.Format('{}', $.a)"));
        assert!(!looks_like_path("$5 off") && !looks_like_path("hello"));
    }
}
