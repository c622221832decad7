//! SQL text to logical plans and statements.
