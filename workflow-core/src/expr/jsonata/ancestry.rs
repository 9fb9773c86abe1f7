//! The parent operator `%`, resolved at compile time.
//!
//! `%` is the value from which the current context was reached: inside the last step of
//! `Account.Order.Product.{...}`, `%` is the Order a Product came from and `%.%` the Account.
//! Each `%` is matched to the path step that navigated to its context (walking back over the
//! steps, one per level: a name or wildcard step takes a level, a `%` step adds one, a block
//! or path step is searched from its last step, and contiguous `@` steps count as one).
//! That step then runs in tuple mode and binds its input under the `%`'s label, which the
//! `%` reads like a variable.
//!
//! A `%` in a predicate refers to the step the predicate filters. A `%` that no step can
//! serve is error S0217.

use super::error::{JsonataError, Result};
use super::parse::{Kind, Label, Node, Stage};

/// One `%` operator: how many steps back its parent still is, and its label.
struct Slot {
    level: usize,
    label: usize,
}

struct Resolver {
    slots: Vec<Slot>,
}

/// Matches every `%` of the tree to the step that binds its parent, and names the labels.
pub(crate) fn resolve(root: &mut Node, parents: usize) -> Result<()> {
    let mut cx = Resolver {
        slots: (0..parents).map(|i| Slot { level: 1, label: i }).collect(),
    };
    let seeking = cx.node(root)?;
    if matches!(root.kind, Kind::Parent(_)) || seeking.iter().any(|&s| cx.slots[s].level > 0) {
        return Err(no_parent(root.pos));
    }
    cx.rename(root);
    Ok(())
}

fn no_parent(pos: usize) -> JsonataError {
    JsonataError::new(
        "S0217",
        "The object representing the 'parent' cannot be derived from this expression".into(),
    )
    .at(pos)
}

impl Resolver {
    /// Resolves inside `node`; returns the `%` slots still looking for their parent above it.
    fn node(&mut self, node: &mut Node) -> Result<Vec<usize>> {
        let mut seeking = match &mut node.kind {
            Kind::Parent(label) => vec![label.slot],
            Kind::Path { steps, .. } => self.path(steps)?,
            _ => self.contents(node)?,
        };
        if let Some(group) = &mut node.group {
            for (k, v) in &mut group.pairs {
                self.node(k)?;
                self.node(v)?;
            }
        }
        seeking.extend(self.filters(node)?);
        Ok(seeking)
    }

    /// The slots of a node's children (not of its filters).
    fn contents(&mut self, node: &mut Node) -> Result<Vec<usize>> {
        let mut out = Vec::new();
        match &mut node.kind {
            Kind::Parent(_) => {}
            Kind::Path { steps, .. } => out = self.path(steps)?,
            Kind::Neg(e) | Kind::Bind(_, e) => out = self.node(e)?,
            Kind::Binary(_, l, r) | Kind::Apply(l, r) => {
                out = self.node(l)?;
                out.extend(self.node(r)?);
            }
            Kind::Array(items) | Kind::Block(items) => {
                for item in items {
                    out.extend(self.node(item)?);
                }
            }
            Kind::Object(pairs) => {
                for (k, v) in pairs {
                    out.extend(self.node(k)?);
                    out.extend(self.node(v)?);
                }
            }
            Kind::Cond(c, t, e) => {
                out = self.node(c)?;
                out.extend(self.node(t)?);
                if let Some(e) = e {
                    out.extend(self.node(e)?);
                }
            }
            Kind::Call { func, args, .. } => {
                // The function expression resolves on its own; only arguments look outside.
                self.node(func)?;
                for a in args {
                    out.extend(self.node(a)?);
                }
            }
            Kind::Sort(terms) => {
                for t in terms {
                    out.extend(self.node(&mut t.expr)?);
                }
            }
            Kind::Lambda(def) => {
                if let Some(def) = std::sync::Arc::get_mut(def) {
                    self.node(&mut def.body)?;
                }
            }
            Kind::Transform(p, u, d) => {
                self.node(p)?;
                self.node(u)?;
                if let Some(d) = d {
                    self.node(d)?;
                }
            }
            Kind::Str(_)
            | Kind::Num(_)
            | Kind::Bool(_)
            | Kind::Null
            | Kind::Regex(_)
            | Kind::Name(_)
            | Kind::Var(_)
            | Kind::Wildcard
            | Kind::Descendant
            | Kind::Placeholder => {}
        }
        Ok(out)
    }

    /// A `%` in a predicate at level one is the input of the filtered step itself; deeper
    /// ones look further back from it.
    fn filters(&mut self, node: &mut Node) -> Result<Vec<usize>> {
        let mut stages = std::mem::take(&mut node.stages);
        let mut predicate = std::mem::take(&mut node.predicate);
        let mut out = Vec::new();
        let mut res = Ok(());
        for stage in stages.iter_mut().chain(predicate.iter_mut()) {
            let Stage::Filter(f) = stage else { continue };
            let found = match self.node(f) {
                Ok(found) => found,
                Err(e) => {
                    res = Err(e);
                    break;
                }
            };
            for &s in &found {
                match self.slots[s].level {
                    0 => {}
                    1 => {
                        if let Err(e) = self.seek(node, s) {
                            res = Err(e);
                        }
                    }
                    _ => self.slots[s].level -= 1,
                }
            }
            out.extend(found);
        }
        node.stages = stages;
        node.predicate = predicate;
        res.map(|()| out)
    }

    /// Resolves the steps of a path; returns the slots that look before its first step.
    fn path(&mut self, steps: &mut [Node]) -> Result<Vec<usize>> {
        let mut outside = Vec::new();
        for i in 0..steps.len() {
            let mut found = match &steps[i].kind {
                Kind::Parent(label) => vec![label.slot],
                _ => Vec::new(),
            };
            let inner = self.contents(&mut steps[i])?;
            if let Some(group) = &mut steps[i].group {
                for (k, v) in &mut group.pairs {
                    self.node(k)?;
                    self.node(v)?;
                }
            }
            let filtered = self.filters(&mut steps[i])?;
            if i == 0 {
                // Only a leading `%` looks outside the path (as in jsonata).
                outside.extend(found);
                continue;
            }
            found.extend(inner);
            found.extend(filtered);
            for s in found {
                if !self.walk_back(&mut steps[..i], s, true)? {
                    outside.push(s);
                }
            }
        }
        Ok(outside)
    }

    /// Walks back over `steps` (last first) until the slot finds its step; `false` when the
    /// steps run out first.
    fn walk_back(&mut self, steps: &mut [Node], slot: usize, skip_focus: bool) -> Result<bool> {
        let mut index = steps.len();
        while self.slots[slot].level > 0 {
            if index == 0 {
                return Ok(false);
            }
            index -= 1;
            let mut k = index;
            // Contiguous steps that bind a focus variable count as the first of them.
            while skip_focus
                && index > 0
                && steps[k].focus.is_some()
                && steps[index - 1].focus.is_some()
            {
                index -= 1;
                k = index;
            }
            self.seek(&mut steps[k], slot)?;
        }
        Ok(true)
    }

    /// Lets one step (or the expression of one) serve the slot.
    fn seek(&mut self, node: &mut Node, slot: usize) -> Result<()> {
        match &mut node.kind {
            Kind::Name(_) | Kind::Wildcard => {
                self.slots[slot].level -= 1;
                if self.slots[slot].level == 0 {
                    if let Some(existing) = &node.ancestor {
                        // Two `%`s served by one step share its label.
                        self.slots[slot].label = self.slots[existing.slot].label;
                    }
                    node.ancestor = Some(Box::new(Label {
                        slot,
                        name: String::new(),
                    }));
                    node.tuple = true;
                }
            }
            Kind::Parent(_) => self.slots[slot].level += 1,
            Kind::Block(items) => {
                if let Some(last) = items.last_mut() {
                    node.tuple = true;
                    node.stream = true;
                    self.seek(last, slot)?;
                }
            }
            Kind::Path { steps, .. } => {
                node.tuple = true;
                node.stream = true;
                self.walk_back(steps, slot, false)?;
            }
            _ => return Err(no_parent(node.pos)),
        }
        Ok(())
    }

    /// Names every `%` and binding step after its slot's final label.
    fn rename(&self, node: &mut Node) {
        let name = |label: &mut Label| {
            label.name = format!("!{}", self.slots[label.slot].label);
        };
        if let Kind::Parent(label) = &mut node.kind {
            name(label);
        }
        if let Some(label) = &mut node.ancestor {
            name(label);
        }
        for stage in node.stages.iter_mut().chain(node.predicate.iter_mut()) {
            if let Stage::Filter(f) = stage {
                self.rename(f);
            }
        }
        if let Some(group) = &mut node.group {
            for (k, v) in &mut group.pairs {
                self.rename(k);
                self.rename(v);
            }
        }
        match &mut node.kind {
            Kind::Path { steps: items, .. } | Kind::Array(items) | Kind::Block(items) => {
                for item in items {
                    self.rename(item);
                }
            }
            Kind::Neg(e) | Kind::Bind(_, e) => self.rename(e),
            Kind::Binary(_, l, r) | Kind::Apply(l, r) => {
                self.rename(l);
                self.rename(r);
            }
            Kind::Object(pairs) => {
                for (k, v) in pairs {
                    self.rename(k);
                    self.rename(v);
                }
            }
            Kind::Cond(c, t, e) => {
                self.rename(c);
                self.rename(t);
                if let Some(e) = e {
                    self.rename(e);
                }
            }
            Kind::Call { func, args, .. } => {
                self.rename(func);
                for a in args {
                    self.rename(a);
                }
            }
            Kind::Sort(terms) => {
                for t in terms {
                    self.rename(&mut t.expr);
                }
            }
            Kind::Lambda(def) => {
                if let Some(def) = std::sync::Arc::get_mut(def) {
                    self.rename(&mut def.body);
                }
            }
            Kind::Transform(p, u, d) => {
                self.rename(p);
                self.rename(u);
                if let Some(d) = d {
                    self.rename(d);
                }
            }
            _ => {}
        }
    }
}
