//! Base64 with the standard alphabet (RFC 4648 section 4), for `States.Base64Encode` and
//! `States.Base64Decode`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes with `=` padding and no line breaks.
pub(super) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Why a text is not Base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DecodeError {
    /// A character outside the alphabet, at this character index.
    InvalidCharacter(usize, char),
    /// The data ends in the middle of a byte (one character left over in the last group).
    Truncated,
    /// Something other than `=` follows the first `=`.
    DataAfterPadding,
}

/// Decodes; the `=` padding is optional, as for Java's basic decoder.
pub(super) fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut group = 0u32;
    let mut n_chars = 0usize;
    let mut padding_started = false;
    for (index, c) in text.chars().enumerate() {
        if c == '=' {
            padding_started = true;
            continue;
        }
        if padding_started {
            return Err(DecodeError::DataAfterPadding);
        }
        let sextet = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            _ => return Err(DecodeError::InvalidCharacter(index, c)),
        };
        group = (group << 6) | sextet;
        n_chars += 1;
        if n_chars.is_multiple_of(4) {
            out.extend_from_slice(&[(group >> 16) as u8, (group >> 8) as u8, group as u8]);
            group = 0;
        }
    }
    match n_chars % 4 {
        0 => {}
        1 => return Err(DecodeError::Truncated),
        2 => out.push((group >> 4) as u8),
        _ => out.extend_from_slice(&[(group >> 10) as u8, (group >> 2) as u8]),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vectors of RFC 4648 section 10.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn encodes_the_rfc_vectors() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn decodes_the_rfc_vectors_with_and_without_padding() {
        for (plain, encoded) in VECTORS {
            assert_eq!(decode(encoded).as_deref(), Ok(plain.as_bytes()));
            assert_eq!(
                decode(encoded.trim_end_matches('=')).as_deref(),
                Ok(plain.as_bytes())
            );
        }
    }

    #[test]
    fn rejects_broken_input() {
        assert_eq!(decode("Zm9v!"), Err(DecodeError::InvalidCharacter(4, '!')));
        assert_eq!(decode("Zm9vY"), Err(DecodeError::Truncated));
        assert_eq!(decode("Zg==Zg"), Err(DecodeError::DataAfterPadding));
    }

    #[test]
    fn round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)), Ok(bytes));
    }
}
