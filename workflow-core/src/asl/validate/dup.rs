//! Duplicate state names inside one `States` object. A JSON parser keeps only the last of two
//! equal keys, so this is the one check that reads the document text rather than the model.

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::asl::diag::{Code, Diagnostic, pointer_push};

/// `DUPLICATE_STATE_NAME` for every state name that appears twice in the same `States` object
/// of the document. Text that is not JSON gives nothing (the parser reports it).
pub fn duplicate_state_names(text: &str) -> Vec<Diagnostic> {
    let mut duplicates = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let walk = Walk {
        pointer: String::new(),
        duplicates: &mut duplicates,
    };
    if walk.deserialize(&mut de).is_err() {
        return Vec::new();
    }
    duplicates
        .into_iter()
        .filter_map(|(parent, name)| {
            is_states_object(&parent).then(|| {
                Diagnostic::error(
                    Code::DuplicateStateName,
                    pointer_push(&parent, &name),
                    format!(
                        "the state name `{name}` appears more than once in the same `States` object; state names must be unique"
                    ),
                )
            })
        })
        .collect()
}

/// Whether a pointer is that of a `States` object: the machine's, a Parallel branch's or a Map
/// processor's (and not, say, a `States` key inside `Parameters`).
fn is_states_object(pointer: &str) -> bool {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    match tokens.as_slice() {
        ["States"] => true,
        [.., "States", _state, "ItemProcessor" | "Iterator", "States"] => true,
        [.., "States", _state, "Branches", index, "States"] => {
            index.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// Walks a JSON document, recording `(object pointer, key)` for every repeated key.
struct Walk<'a> {
    pointer: String,
    duplicates: &'a mut Vec<(String, String)>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let pointer = pointer_push(&self.pointer, &key);
            if !seen.insert(key.clone()) {
                self.duplicates.push((self.pointer.clone(), key));
            }
            map.next_value_seed(Walk {
                pointer,
                duplicates: &mut *self.duplicates,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let seed = Walk {
                pointer: pointer_push(&self.pointer, &index.to_string()),
                duplicates: &mut *self.duplicates,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}
