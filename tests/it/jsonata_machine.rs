//! The JSONata + variables state machine of `modern_asl`, shared with the
//! simulator's bench (`app/benches/simulate.rs` includes this file): a notice
//! sent when a list is long. Its scenarios are
//! `tests/it/fixtures/simulations/JsonataLists.json`.

use constructs::aws::sns::Topic;
use constructs::aws::stepfunctions::*;
use constructs::core::{App, Stack, StackProps, Value};

/// The state machine's construct path.
pub const STATE_MACHINE: &str = "JsonataStack/Lists";

/// The mock file's name, under `tests/it/fixtures/simulations/`.
pub const MOCK_FILE: &str = "JsonataLists.json";

/// Builds `JsonataStack` with the machine `Lists`.
pub fn build(app: &App) {
    let stack = Stack::new(app, "JsonataStack", StackProps::default());
    let topic = Topic::new(&stack, "Notices", Default::default());
    let g = StateGraph::new();
    g.set_query_language(QueryLanguage::Jsonata);
    let count = g
        .pass("CountItems", PassProps::default())
        .output(Value::map().with("items", "{% $states.input.items %}"))
        .assign(Value::map().with("total", "{% $count($states.input.items) %}"));
    let notify = g
        .task(
            "NotifyLong",
            SnsPublish::new(&topic, TaskInput::whole_input()),
            TaskProps::default(),
        )
        .output(Value::map().with("Notified", "{% $total %}"));
    let long = g.choice("IsLong");
    let done = g.succeed("Done");
    count.next(&long);
    long.when(Condition::jsonata("$total > 10"), &notify).otherwise(&done);
    notify.next(&done);
    StateMachine::new(
        &stack,
        "Lists",
        StateMachineProps {
            definition: g,
            timeout: Some(std::time::Duration::from_secs(300)),
            ..Default::default()
        },
    );
}
