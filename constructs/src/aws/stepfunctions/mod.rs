//! AWS Step Functions: a typed builder for the Amazon States Language, and the
//! `StateMachine` construct.
//!
//! States live in a [`StateGraph`]; transitions are set by handle
//! ([`Chainable::next`], [`Choice::when`], [`Choice::otherwise`],
//! [`Recoverable::add_catch`]), so a state can be the target of many
//! transitions and loops back to earlier states are ordinary. Everything is
//! validated at synthesis ([`validate_definition`]), and each state machine is
//! drawn as a Mermaid flowchart into the cloud assembly ([`to_mermaid`]).
//! [`PollUntil`] builds a polling loop bounded by a count of polls, with a
//! named failure; [`loop_warnings`] reports loops that have no bound.
//! Workflow variables ([`Assignable::assign`], `$name` in paths, checked for
//! scope at synthesis), the distributed Map ([`StateGraph::distributed_map`],
//! with its IAM) and JSONata ([`QueryLanguage`], [`JsonataState`]) are built
//! the same way.
//!
//! ```
//! use constructs::aws::stepfunctions::*;
//! use constructs::core::{App, Stack, StackProps};
//!
//! let app = App::new();
//! let stack = Stack::new(&app, "Jobs", StackProps::default());
//! let g = StateGraph::new();
//! let wait = g.wait("Wait10Sec", WaitTime::Seconds(10));
//! let check = g.pass("Check", PassProps::default());
//! let is_done = g.choice("IsDone");
//! wait.next(&check).next(&is_done);
//! is_done
//!     .when(Condition::boolean_equals("$.done", true), &g.succeed("Succeed"))
//!     .otherwise(&wait);
//! StateMachine::new(&stack, "Poll", StateMachineProps { definition: g, ..Default::default() });
//! assert!(app.synth().is_ok());
//! ```

mod condition;
mod distributed_map;
mod graph;
mod jsonpath;
mod loops;
mod mermaid;
mod poll;
mod retry;
pub mod simulate;
mod state_machine;
mod task;
mod tasks_dynamodb;
mod tasks_sqs;
mod validate;
mod variables;

pub use condition::{Comparison, Condition, Operand, TypeTest};
pub use distributed_map::{
    ChildExecutionType, CsvHeaders, DistributedMapProps, ItemBatcher, ItemReader, ItemSource, ResultWriter,
};
pub use graph::{
    Assignable, Chainable, Choice, CustomState, Definition, Fail, FailProps, JsonPath, JsonataState, MapProps,
    MapState, Parallel, ParallelProps, Pass, PassProps, QueryLanguage, Recoverable, State, StateGraph, StateRef,
    Succeed, Task, TaskProps, Wait, WaitTime,
};
pub use jsonpath::{check_dynamic_value, check_path, valid_variable_name, variable_name, PathKind};
pub use loops::loop_warnings;
pub use mermaid::{to_mermaid, to_mermaid_with_path};
pub(crate) use poll::format_literal;
pub use poll::{PollUntil, PollUntilProps};
pub use retry::{Catch, Errors, JitterStrategy, Retry};
pub use state_machine::{
    vended_log_group_name, ExecutionStatus, IStateMachine, ImportedStateMachine, LogLevel, LogOptions, StateMachine,
    StateMachineArn, StateMachineLogging, StateMachineName, StateMachineProps, StateMachineType,
    RUN_INPUT_METADATA_KEY, UNBOUNDED_LOOP_WARNING,
};
pub use task::{AwsSdkCall, CustomIntegration, Integration, InvocationType, LambdaInvoke, SnsPublish, TaskInput};
pub use tasks_dynamodb::{
    DynamoAttributeValue, DynamoGetItem, DynamoItem, DynamoPutItem, DynamoReturnValues, DynamoUpdateItem,
};
pub use tasks_sqs::SqsSendMessage;
pub use validate::{validate_definition, AslError};
