//! Names derived from the source: state names (`CheckInventory`, then `CheckInventory2`) and
//! JSONata variable names.

use std::collections::{HashMap, HashSet};

/// `check_inventory` -> `CheckInventory`.
pub(crate) fn pascal(snake: &str) -> String {
    let mut out = String::new();
    for part in snake.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// Hands out unique names: the base name first, then `Base2`, `Base3`, ...; names reserved by
/// `#[state("..")]` are never handed out.
#[derive(Debug, Default)]
pub(crate) struct Names {
    taken: HashSet<String>,
    reserved: HashSet<String>,
    counters: HashMap<String, usize>,
}

impl Names {
    pub(crate) fn reserve(&mut self, name: &str) -> bool {
        self.reserved.insert(name.to_string())
    }

    /// A fresh name from `base`.
    pub(crate) fn fresh(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "State" } else { base };
        let base: String = base.chars().take(70).collect();
        let counter = self.counters.entry(base.clone()).or_insert(1);
        loop {
            let candidate = if *counter == 1 {
                base.clone()
            } else {
                format!("{base}{counter}")
            };
            *counter += 1;
            if !self.taken.contains(&candidate) && !self.reserved.contains(&candidate) {
                self.taken.insert(candidate.clone());
                return candidate;
            }
        }
    }

    /// Takes a name given with `#[state("..")]` (already reserved).
    pub(crate) fn explicit(&mut self, name: &str) -> String {
        self.taken.insert(name.to_string());
        name.to_string()
    }
}

/// JSONata function names the lowering calls: a variable with one of these names would hide the
/// function, so such variables get a trailing `_`.
const JSONATA_NAMES: &[&str] = &[
    "states",
    "count",
    "length",
    "string",
    "contains",
    "uppercase",
    "lowercase",
    "trim",
    "map",
    "filter",
    "sum",
    "exists",
    "not",
    "abs",
    "floor",
    "ceil",
    "substring",
    "type",
    "number",
    "boolean",
    "append",
    "merge",
    "reduce",
    "max",
    "min",
    "keys",
    "lookup",
];

/// Unique JSONata variable names, one per Rust binding: `x`, then `x2` for a binding that
/// shadows it.
#[derive(Debug, Default)]
pub(crate) struct Vars {
    counters: HashMap<String, usize>,
}

impl Vars {
    pub(crate) fn fresh(&mut self, rust_name: &str) -> String {
        let base = rust_name.trim_start_matches("r#");
        let base = if JSONATA_NAMES.contains(&base) {
            format!("{base}_")
        } else {
            base.to_string()
        };
        let counter = self.counters.entry(base.clone()).or_insert(0);
        *counter += 1;
        if *counter == 1 {
            base
        } else {
            format!("{base}{counter}")
        }
    }
}
