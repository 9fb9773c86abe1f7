//! Procedural macros of `workflow-core`. Use them through `workflow_core::prelude`.
