//! Integration tests, one binary with a module per topic.

mod cli;
mod core;
mod support;
