//! `StringMatches` patterns: `*` matches zero or more characters, and nothing else is special
//! except the escapes `\*` (a literal star) and `\\` (a literal backslash).

/// A compiled `StringMatches` pattern: the literal text between its unescaped stars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    /// One more piece than there are stars; a pattern without stars has exactly one.
    pieces: Vec<String>,
}

impl Pattern {
    /// Compiles a pattern. Every string is a pattern: a backslash that escapes neither `*` nor
    /// `\` stands for itself.
    pub(super) fn parse(source: &str) -> Pattern {
        let mut pieces = vec![String::new()];
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            let literal = match c {
                '*' => {
                    pieces.push(String::new());
                    continue;
                }
                '\\' => match chars.peek() {
                    Some(&escaped @ ('*' | '\\')) => {
                        chars.next();
                        escaped
                    }
                    _ => '\\',
                },
                other => other,
            };
            if let Some(piece) = pieces.last_mut() {
                piece.push(literal);
            }
        }
        Pattern { pieces }
    }

    pub(super) fn matches(&self, text: &str) -> bool {
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return text.is_empty(),
        };
        let Some((last, middle)) = rest.split_last() else {
            return text == first;
        };
        if text.len() < first.len() + last.len()
            || !text.starts_with(first.as_str())
            || !text.ends_with(last.as_str())
        {
            return false;
        }
        // The prefix and suffix are whole UTF-8 strings, so these offsets are char boundaries.
        let Some(mut between) = text.get(first.len()..text.len() - last.len()) else {
            return false;
        };
        // Taking the leftmost occurrence of each middle piece never loses a match, because
        // the stars around it absorb whatever is skipped.
        for piece in middle {
            match between.find(piece.as_str()) {
                Some(at) => between = &between[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}
