//! Integration tests, one binary with a module per topic.

mod build_graph;
mod cli;
mod core;
mod data_services;
mod deploy;
mod extending;
mod imports;
mod jsonata_machine;
mod l1;
mod lambda_functions_stack;
mod modern_asl;
mod operate;
mod patterns;
mod security;
mod simulate;
mod state_machines;
mod support;
mod web_app_stack;
