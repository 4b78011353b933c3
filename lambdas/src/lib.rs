//! Lambda handlers (being written).

pub mod send_command_to_instance;
