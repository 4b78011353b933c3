//! The shipped simulator scenarios (`app/simulations/*.json`): Step Functions
//! Local mock files, one per state machine, each test case with its input and
//! expectations. Run one with
//! `cargo run -p app -- simulate WebAppStopStateMachineStack/SystemStopStateMachine --mock-config app/simulations/SystemStopStateMachine.json`
//! (add `-c examples=true` for the pattern examples).

use std::path::PathBuf;

/// A mock file and the state machine it is for.
#[derive(Clone, Copy, Debug)]
pub struct Scenarios {
    /// The file name under `app/simulations/`.
    pub file: &'static str,
    /// The state machine's construct path.
    pub state_machine: &'static str,
    /// Whether the machine is one of the pattern examples (`-c examples=true`).
    pub examples: bool,
}

/// Every shipped mock file.
pub const SCENARIOS: [Scenarios; 5] = [
    Scenarios {
        file: "SystemStopStateMachine.json",
        state_machine: "WebAppStopStateMachineStack/SystemStopStateMachine",
        examples: false,
    },
    Scenarios {
        file: "SystemStartStateMachine.json",
        state_machine: "WebAppStartStateMachineStack/SystemStartStateMachine",
        examples: false,
    },
    Scenarios {
        file: "RunPeriodicTasks.json",
        state_machine: "ScheduledCommandStack/RunPeriodicTasks/StateMachine",
        examples: true,
    },
    Scenarios {
        file: "DailyAggregation.json",
        state_machine: "RunOnOneInstanceStack/DailyAggregation/StateMachine",
        examples: true,
    },
    Scenarios {
        file: "MorningStartup.json",
        state_machine: "OrderedServiceStartupStack/MorningStartup/StateMachine",
        examples: true,
    },
];

impl Scenarios {
    /// The mock file's path.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("simulations")
            .join(self.file)
    }
}
