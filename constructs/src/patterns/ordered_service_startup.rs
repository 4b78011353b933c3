//! Ordered service start-up (seed 003): start the ECS services of a cluster in
//! a declared dependency order, each one waiting until its running task count
//! reaches its desired count, with an SNS notice after each service and an
//! overall timeout.
//!
//! The user declares the services, their desired counts and what each depends
//! on; the construct sorts them into *waves*: a wave holds the services whose
//! dependencies all started in earlier waves, and the services of one wave
//! start at once (a Parallel state with one branch per service). Each service
//! is the seed's loop, done with Step Functions' AWS SDK integrations only (no
//! Lambda):
//!
//! ```text
//! Start polls of api -> Describe api (ecs:DescribeServices) -> Count polls of api -> Is api running?
//!   no such service / INACTIVE     -> api not found (Fail)
//!   running count >= desired       -> Notice api started (sns:Publish) -> next wave
//!   looked service_start_limit / poll_interval times -> api start timed out (Fail)
//!   desired count below the target -> Start api (ecs:UpdateService DesiredCount) -> Wait for api -> Describe api
//!   otherwise                      -> Wait for api -> Describe api
//! ```
//!
//! The loop is a [`PollUntil`]: each service is looked at a bounded number of
//! times (10 minutes by default), and the state machine has a `TimeoutSeconds`
//! (30 minutes by default) as the last resort.
//!
//! A dependency cycle or a dependency on a service that is not declared is a
//! synth error naming the services. The execution role may only
//! `ecs:DescribeServices` and `ecs:UpdateService` on the declared services'
//! ARNs and publish to the notice topic.
//!
//! Changes from the seed: the seed's services were started one after another
//! by hand-written states (and the last ones by a Lambda function); a running
//! count of 1 counted as started whatever the desired count; a service that
//! was already scaling up was scaled again. Here a service is started when its
//! running count reaches *its* desired count, the desired count is only ever
//! raised, and the start order comes from the declared dependencies.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Duration;

use crate::aws::events::{Rule, Schedule};
use crate::aws::sns::{ITopic, Topic, TopicProps};
use crate::aws::stepfunctions::{
    AwsSdkCall, Chainable, Condition, FailProps, JsonPath, Parallel, ParallelProps, Pass, PollUntil, PollUntilProps,
    Recoverable, Retry, SnsPublish, State, StateGraph, StateMachine, StateMachineProps, StateRef, Task, TaskInput,
    TaskProps,
};
use crate::core::{Construct, Scope, Stack, Value};

/// The longest service name: the state names built from it must fit in 80 characters.
const MAX_SERVICE_NAME_LEN: usize = 60;

/// One ECS service to start, and the services it needs running first.
///
/// ```
/// use constructs::patterns::EcsServiceStart;
/// let api = EcsServiceStart::new("api", 3).after(["db-proxy"]);
/// assert_eq!(api.depends_on, ["db-proxy"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcsServiceStart {
    /// The service name in the cluster. Required.
    pub name: String,
    /// The number of running tasks at which the service counts as started;
    /// its desired count is raised to this if lower. Default: 1.
    pub desired_count: u32,
    /// Names of the services that must be running before this one starts.
    /// Default: none (it starts in the first wave).
    pub depends_on: Vec<String>,
}

impl Default for EcsServiceStart {
    fn default() -> Self {
        EcsServiceStart {
            name: String::new(),
            desired_count: 1,
            depends_on: Vec::new(),
        }
    }
}

impl EcsServiceStart {
    /// A service started with `desired_count` tasks, depending on nothing.
    pub fn new(name: impl Into<String>, desired_count: u32) -> Self {
        EcsServiceStart {
            name: name.into(),
            desired_count,
            depends_on: Vec::new(),
        }
    }

    /// Returns the service with `services` added to what it depends on.
    #[must_use]
    pub fn after<S: Into<String>>(mut self, services: impl IntoIterator<Item = S>) -> Self {
        self.depends_on.extend(services.into_iter().map(Into::into));
        self
    }
}

/// Properties of an [`OrderedServiceStartup`].
#[derive(Clone, Debug)]
pub struct OrderedServiceStartupProps {
    /// The ECS cluster's name. Required.
    pub cluster_name: String,
    /// The services to start, with their dependencies. Required (at least one).
    pub services: Vec<EcsServiceStart>,
    /// The topic notified after each service has started. Default: a topic
    /// created for it (child `NoticeTopic`, see [`OrderedServiceStartup::notice_topic`]).
    pub notice_topic: Option<Rc<dyn ITopic>>,
    /// The longest an execution may run (`TimeoutSeconds`); when it is
    /// reached the execution ends as `TIMED_OUT`. Default: 30 minutes (the
    /// seed's 300 s leaves no room for more than a few services).
    pub timeout: Duration,
    /// How long to wait between two looks at a starting service. Default: 10 s (the seed's).
    pub poll_interval: Duration,
    /// How long one service may take to run its desired count, turned into a
    /// count of looks (`ceil(limit / poll_interval)`); when they are used up
    /// the execution fails with `ServiceStartTimedOut`, naming the service,
    /// the cluster and its last description. Default: 10 minutes.
    pub service_start_limit: Duration,
    /// When to start the services (an EventBridge rule starting the state
    /// machine with the fixed input `{}`). Default: no schedule (start
    /// executions yourself).
    pub schedule: Option<Schedule>,
    /// Whether the schedule is enabled. Default: true.
    pub enabled: bool,
}

impl Default for OrderedServiceStartupProps {
    fn default() -> Self {
        OrderedServiceStartupProps {
            cluster_name: String::new(),
            services: Vec::new(),
            notice_topic: None,
            timeout: Duration::from_secs(30 * 60),
            poll_interval: Duration::from_secs(10),
            service_start_limit: Duration::from_secs(10 * 60),
            schedule: None,
            enabled: true,
        }
    }
}

/// Sorts services into start waves: each wave holds, in declaration order,
/// the services whose dependencies all start in earlier waves.
///
/// Returns every problem instead when the dependencies cannot be ordered: a
/// service declared twice, a dependency on a service that is not declared,
/// or a dependency cycle (named, e.g. `api -> worker -> api`).
///
/// ```
/// use constructs::patterns::{start_waves, EcsServiceStart};
/// let services = [
///     EcsServiceStart::new("web", 2).after(["api"]),
///     EcsServiceStart::new("db-proxy", 1),
///     EcsServiceStart::new("api", 3).after(["db-proxy"]),
///     EcsServiceStart::new("batch", 1).after(["db-proxy"]),
/// ];
/// assert_eq!(
///     start_waves(&services),
///     Ok(vec![vec!["db-proxy".to_owned()], vec!["api".to_owned(), "batch".to_owned()], vec!["web".to_owned()]])
/// );
/// let cycle = [EcsServiceStart::new("a", 1).after(["b"]), EcsServiceStart::new("b", 1).after(["a"])];
/// assert!(start_waves(&cycle).unwrap_err()[0].contains("a -> b -> a"));
/// ```
pub fn start_waves(services: &[EcsServiceStart]) -> Result<Vec<Vec<String>>, Vec<String>> {
    let mut problems = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        if index.insert(s.name.as_str(), i).is_some() {
            problems.push(format!(
                "service '{}' is declared more than once: declare each service once, with all its dependencies",
                s.name
            ));
        }
    }
    for s in services {
        for d in &s.depends_on {
            if !index.contains_key(d.as_str()) {
                let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                problems.push(format!(
                    "service '{}' depends on '{d}', which is not declared: add it to `services` or remove it from depends_on (declared: {})",
                    s.name,
                    known.join(", ")
                ));
            }
        }
    }
    // Cycles among the declared services are reported together with the problems above.
    let deps: Vec<Vec<usize>> = services
        .iter()
        .map(|s| {
            s.depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect()
        })
        .collect();
    for cycle in find_cycles(&deps) {
        let names: Vec<&str> = cycle.iter().map(|&i| services[i].name.as_str()).collect();
        problems.push(format!(
            "dependency cycle {} (each service depends on the next): none of them could ever start; remove one of these depends_on entries",
            names.join(" -> ")
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // The wave of a service: one after the latest wave of its dependencies.
    let mut wave: Vec<Option<usize>> = vec![None; services.len()];
    fn level(i: usize, deps: &[Vec<usize>], wave: &mut Vec<Option<usize>>) -> usize {
        if let Some(w) = wave[i] {
            return w;
        }
        let w = deps[i].iter().map(|&d| level(d, deps, wave) + 1).max().unwrap_or(0);
        wave[i] = Some(w);
        w
    }
    let mut waves: Vec<Vec<String>> = Vec::new();
    for (i, service) in services.iter().enumerate() {
        let w = level(i, &deps, &mut wave);
        if waves.len() <= w {
            waves.resize(w + 1, Vec::new());
        }
        waves[w].push(service.name.clone());
    }
    Ok(waves)
}

/// The dependency cycles found by a depth-first search, each as the services
/// on it with the first repeated at the end. A cycle is reported once, from
/// the service declared first.
fn find_cycles(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(i: usize, deps: &[Vec<usize>], marks: &mut [Mark], path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        marks[i] = Mark::OnPath;
        path.push(i);
        for &d in &deps[i] {
            match marks[d] {
                Mark::New => visit(d, deps, marks, path, out),
                Mark::OnPath => {
                    if let Some(start) = path.iter().position(|&p| p == d) {
                        let mut cycle = path[start..].to_vec();
                        cycle.push(d);
                        out.push(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[i] = Mark::Done;
    }
    let mut marks = vec![Mark::New; deps.len()];
    let mut out = Vec::new();
    for i in 0..deps.len() {
        if marks[i] == Mark::New {
            visit(i, deps, &mut marks, &mut Vec::new(), &mut out);
        }
    }
    let mut seen: HashSet<Vec<usize>> = HashSet::new();
    out.retain(|c| {
        let mut members = c[..c.len() - 1].to_vec();
        members.sort_unstable();
        seen.insert(members)
    });
    out
}

/// A name as ECS accepts it: 1 to 255 letters, digits, `-` and `_`.
fn is_ecs_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn props_problems(props: &OrderedServiceStartupProps) -> Vec<String> {
    let mut problems = Vec::new();
    if !is_ecs_name(&props.cluster_name) {
        problems.push(format!(
            "cluster_name '{}' is not an ECS cluster name: give the cluster's name (1 to 255 letters, digits, '-' and '_'), not its ARN",
            props.cluster_name
        ));
    }
    if props.services.is_empty() {
        problems.push("no services: declare at least one in `services`".to_owned());
    }
    for s in &props.services {
        if !is_ecs_name(&s.name) {
            problems.push(format!(
                "service name '{}' is not an ECS service name: 1 to 255 letters, digits, '-' and '_'",
                s.name
            ));
        } else if s.name.len() > MAX_SERVICE_NAME_LEN {
            problems.push(format!(
                "service name '{}' is longer than {MAX_SERVICE_NAME_LEN} characters: the state names made from it would pass Step Functions' limit of 80",
                s.name
            ));
        }
        if s.desired_count == 0 {
            problems.push(format!(
                "service '{}' has desired_count 0: a service is started when its running count reaches the desired count, so give at least 1",
                s.name
            ));
        }
    }
    let whole_seconds = |d: Duration| d.subsec_nanos() == 0 && d.as_secs() > 0;
    if !whole_seconds(props.timeout) {
        problems.push(format!(
            "timeout {:?} is invalid: give a whole number of seconds, at least 1",
            props.timeout
        ));
    }
    if !whole_seconds(props.poll_interval) {
        problems.push(format!(
            "poll_interval {:?} is invalid: give a whole number of seconds, at least 1",
            props.poll_interval
        ));
    } else if !whole_seconds(props.service_start_limit) || props.service_start_limit < props.poll_interval {
        problems.push(format!(
            "service_start_limit {:?} is invalid: give a whole number of seconds, at least the poll_interval {:?}",
            props.service_start_limit, props.poll_interval
        ));
    } else if props.poll_interval >= props.timeout {
        problems.push(format!(
            "poll_interval {:?} is not shorter than the timeout {:?}: a starting service would be looked at once at most",
            props.poll_interval, props.timeout
        ));
    }
    problems
}

/// The names of the states made for one service.
pub mod state_names {
    /// `Describe <service>`: `ecs:DescribeServices`.
    pub fn describe(service: &str) -> String {
        format!("Describe {service}")
    }
    /// `Is <service> running`: the Choice.
    pub fn is_running(service: &str) -> String {
        format!("Is {service} running")
    }
    /// `Start <service>`: `ecs:UpdateService` with the desired count.
    pub fn start(service: &str) -> String {
        format!("Start {service}")
    }
    /// `Wait for <service>`: the poll interval.
    pub fn wait(service: &str) -> String {
        format!("Wait for {service}")
    }
    /// `Notice <service> started`: `sns:Publish`.
    pub fn notice(service: &str) -> String {
        format!("Notice {service} started")
    }
    /// `Start polls of <service>`: sets the count of looks to 0.
    pub fn start_polls(service: &str) -> String {
        format!("Start polls of {service}")
    }
    /// `Count polls of <service>`: counts a look.
    pub fn count_polls(service: &str) -> String {
        format!("Count polls of {service}")
    }
    /// `<service> start timed out`: the Fail state when the looks are used up.
    pub fn timed_out(service: &str) -> String {
        format!("{service} start timed out")
    }
    /// `<service> not found`: the Fail state for a missing or inactive service.
    pub fn not_found(service: &str) -> String {
        format!("{service} not found")
    }
    /// `Start wave <n>`: the Parallel state of a wave of several services (n from 1).
    pub fn wave(n: usize) -> String {
        format!("Start wave {n}")
    }
    /// The Succeed state at the end.
    pub const ALL_STARTED: &str = "All services started";
}

/// The last state of a wave: the notice of its one service, or its Parallel state.
enum Tail {
    Task(Task),
    Parallel(Parallel),
}

impl Tail {
    fn next(&self, target: &StateRef) {
        match self {
            Tail::Task(t) => {
                t.next(target);
            }
            Tail::Parallel(p) => {
                p.next(target);
            }
        }
    }
}

/// The error of a service that did not run its desired count in time.
pub const SERVICE_START_TIMED_OUT: &str = "ServiceStartTimedOut";

/// Where a service's description is kept in the state data.
const DESCRIBED: &str = "$.Describe";
const SERVICE: &str = "$.Describe.Services[0]";

/// Adds one service's states to `g`; returns the first state and the notice (the last).
fn add_service(
    g: &StateGraph,
    cluster: &str,
    service: &EcsServiceStart,
    service_arn: Value,
    topic: &dyn ITopic,
    polling: (Duration, Duration),
) -> (Pass, Task) {
    let name = service.name.as_str();
    let describe = g.task(
        &state_names::describe(name),
        AwsSdkCall {
            parameters: Some(
                Value::map()
                    .with("Cluster", cluster)
                    .with("Services", Value::list([name])),
            ),
            ..AwsSdkCall::new("ecs", "describeServices", [service_arn.clone()])
        },
        TaskProps {
            result_path: Some(DESCRIBED.into()),
            ..Default::default()
        },
    );
    let start = g.task(
        &state_names::start(name),
        AwsSdkCall {
            parameters: Some(
                Value::map()
                    .with("Cluster", cluster)
                    .with("Service", name)
                    .with("DesiredCount", service.desired_count),
            ),
            ..AwsSdkCall::new("ecs", "updateService", [service_arn])
        },
        TaskProps {
            result_path: Some(JsonPath::Null),
            ..Default::default()
        },
    );
    // As the seed: an UpdateService that fails is tried twice more, 10 s apart.
    start.add_retry(Retry {
        errors: vec!["States.TaskFailed".into()],
        interval_seconds: Some(10),
        max_attempts: Some(2),
        backoff_rate: Some(1.0),
        ..Default::default()
    });
    let poll = PollUntil::new(
        g,
        name,
        &describe,
        PollUntilProps {
            interval: polling.0,
            limit: polling.1,
            check_first: true,
            wait_name: Some(state_names::wait(name)),
            choice_name: Some(state_names::is_running(name)),
            start_name: Some(state_names::start_polls(name)),
            count_name: Some(state_names::count_polls(name)),
            give_up_name: Some(state_names::timed_out(name)),
            error: Some(SERVICE_START_TIMED_OUT.into()),
            subject: format!(
                "ECS service {name} of cluster {cluster} (to reach a running count of {})",
                service.desired_count
            ),
            last_result_path: format!("{DESCRIBED}.Services"),
            ..Default::default()
        },
    );
    let notice = g.task(
        &state_names::notice(name),
        SnsPublish {
            subject: Some(TaskInput::Value(format!("ECS service {name} started").into())),
            ..SnsPublish::new(
                topic,
                TaskInput::Value(
                    Value::map()
                        .with("Cluster", cluster)
                        .with("ServiceName", name)
                        .with("Status.$", format!("{SERVICE}.Status"))
                        .with("DesiredCount.$", format!("{SERVICE}.DesiredCount"))
                        .with("RunningCount.$", format!("{SERVICE}.RunningCount"))
                        .with("PendingCount.$", format!("{SERVICE}.PendingCount"))
                        .with("Deployments.$", format!("{SERVICE}.Deployments")),
                ),
            )
        },
        TaskProps {
            result_path: Some(JsonPath::Null),
            ..Default::default()
        },
    );
    let not_found = g.fail(
        &state_names::not_found(name),
        FailProps {
            error: Some("ServiceNotFound".into()),
            cause: Some(format!(
                "ECS service {name} is not an active service of cluster {cluster}"
            )),
            ..Default::default()
        },
    );
    let desired = i64::from(service.desired_count);
    poll.done_when(Condition::is_not_present(SERVICE), &not_found)
        .done_when(
            Condition::string_equals(format!("{SERVICE}.Status"), "INACTIVE"),
            &not_found,
        )
        .done_when(
            Condition::numeric_greater_than_equals(format!("{SERVICE}.RunningCount"), desired),
            &notice,
        )
        .keep_polling_through(
            Condition::numeric_less_than(format!("{SERVICE}.DesiredCount"), desired),
            &start,
        )
        .otherwise_keep_polling();
    start.next(poll.wait());
    (poll.start().clone(), notice)
}

/// ECS services started in dependency order by a state machine (seed 003).
///
/// ```
/// use constructs::aws::events::Schedule;
/// use constructs::core::{App, Stack, StackProps};
/// use constructs::patterns::{EcsServiceStart, OrderedServiceStartup, OrderedServiceStartupProps};
/// let app = App::new();
/// let stack = Stack::new(&app, "Startup", StackProps::default());
/// let startup = OrderedServiceStartup::new(&stack, "MorningStart", OrderedServiceStartupProps {
///     cluster_name: "shop-dev-cluster".into(),
///     services: vec![
///         EcsServiceStart::new("service-a", 1),
///         EcsServiceStart::new("service-b", 3).after(["service-a"]),
///         EcsServiceStart::new("service-c", 1).after(["service-b"]),
///         EcsServiceStart::new("service-d", 7).after(["service-b"]),
///     ],
///     schedule: Some(Schedule::cron("0 23 ? * SUN-THU *")),
///     ..Default::default()
/// });
/// assert_eq!(startup.waves().len(), 3);
/// assert!(app.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct OrderedServiceStartup {
    node: Construct,
    state_machine: StateMachine,
    rule: Option<Rule>,
    notice_topic: Rc<dyn ITopic>,
    waves: Vec<Vec<String>>,
}

impl Scope for OrderedServiceStartup {
    fn node(&self) -> &Construct {
        &self.node
    }
}

impl OrderedServiceStartup {
    /// Adds the state machine (child `StateMachine`), the notice topic when
    /// none is given, and the schedule rule when a schedule is given. Invalid
    /// props and unorderable dependencies are reported at synth.
    pub fn new(scope: &impl Scope, id: &str, props: OrderedServiceStartupProps) -> OrderedServiceStartup {
        let node = Construct::new_typed(scope, id, "constructs.patterns.OrderedServiceStartup");
        let problems = props_problems(&props);
        let waves = match start_waves(&props.services) {
            Ok(w) => w,
            Err(errors) => {
                for e in errors {
                    node.add_error(e);
                }
                Vec::new()
            }
        };
        for p in &problems {
            node.add_error(p.as_str());
        }
        let notice_topic: Rc<dyn ITopic> = props
            .notice_topic
            .clone()
            .unwrap_or_else(|| Rc::new(Topic::new(&node, "NoticeTopic", TopicProps::default())));

        let g = StateGraph::new();
        if waves.is_empty() || !problems.is_empty() {
            // Nothing valid to start: a placeholder, so the errors above are the only ones.
            g.fail("InvalidServiceStartup", FailProps::default());
        } else {
            let stack = Stack::of(&node);
            let arn = |service: &str| -> Value {
                let resource = format!("service/{}/{service}", props.cluster_name);
                match &stack {
                    Some(s) => s.format_arn("ecs", true, true, resource),
                    None => Value::from(resource),
                }
            };
            let by_name: HashMap<&str, &EcsServiceStart> =
                props.services.iter().map(|s| (s.name.as_str(), s)).collect();
            let poll = (props.poll_interval, props.service_start_limit);
            let mut tail: Option<Tail> = None;
            for (n, wave) in waves.iter().enumerate() {
                let services: Vec<&EcsServiceStart> = wave
                    .iter()
                    .filter_map(|name| by_name.get(name.as_str()).copied())
                    .collect();
                let (first, end): (StateRef, Tail) = if let [one] = services[..] {
                    let (first, notice) = add_service(
                        &g,
                        &props.cluster_name,
                        one,
                        arn(&one.name),
                        notice_topic.as_ref(),
                        poll,
                    );
                    (first.state_ref().clone(), Tail::Task(notice))
                } else {
                    let branches: Vec<StateGraph> = services
                        .iter()
                        .map(|s| {
                            let b = StateGraph::new();
                            let (first, notice) =
                                add_service(&b, &props.cluster_name, s, arn(&s.name), notice_topic.as_ref(), poll);
                            b.start_at(&first);
                            notice.end();
                            b
                        })
                        .collect();
                    let parallel = g.parallel(
                        &state_names::wave(n + 1),
                        &branches,
                        ParallelProps {
                            comment: Some(format!("Starts {} at once", wave.join(", "))),
                            result_path: Some(JsonPath::Null),
                            ..Default::default()
                        },
                    );
                    (parallel.state_ref().clone(), Tail::Parallel(parallel))
                };
                match &tail {
                    Some(t) => t.next(&first),
                    None => g.start_at(&first),
                }
                tail = Some(end);
            }
            if let Some(t) = tail {
                t.next(g.succeed(state_names::ALL_STARTED).state_ref());
            }
        }

        let purpose = format!(
            "Starts the ECS services of cluster {} in dependency order",
            props.cluster_name
        );
        let state_machine = StateMachine::new(
            &node,
            "StateMachine",
            StateMachineProps {
                definition: g,
                timeout: Some(props.timeout),
                logging: super::job_net::logging(&node),
                comment: Some(purpose.clone()),
                ..Default::default()
            },
        );
        let rule = props
            .schedule
            .map(|schedule| super::job_net::schedule(&node, &state_machine, schedule, Some(purpose), props.enabled));
        OrderedServiceStartup {
            node,
            state_machine,
            rule,
            notice_topic,
            waves,
        }
    }

    /// The state machine.
    pub fn state_machine(&self) -> &StateMachine {
        &self.state_machine
    }

    /// The schedule rule, when a schedule was given.
    pub fn rule(&self) -> Option<&Rule> {
        self.rule.as_ref()
    }

    /// The topic notified after each service has started (subscribe to it).
    pub fn notice_topic(&self) -> &dyn ITopic {
        self.notice_topic.as_ref()
    }

    /// The start waves, as [`start_waves`] computed them (empty when the
    /// dependencies cannot be ordered).
    pub fn waves(&self) -> &[Vec<String>] {
        &self.waves
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{App, StackProps};
    use serde_json::{json, Value as Json};

    fn shop() -> Vec<EcsServiceStart> {
        vec![
            EcsServiceStart::new("service-a", 1),
            EcsServiceStart::new("service-b", 3).after(["service-a"]),
            EcsServiceStart::new("service-c", 1).after(["service-b"]),
            EcsServiceStart::new("service-d", 7).after(["service-b"]),
            EcsServiceStart::new("service-e", 1).after(["service-b"]),
        ]
    }

    fn startup(services: Vec<EcsServiceStart>) -> (App, OrderedServiceStartup) {
        let app = App::new();
        let stack = Stack::new(&app, "Ecs", StackProps::default());
        let s = OrderedServiceStartup::new(
            &stack,
            "Startup",
            OrderedServiceStartupProps {
                cluster_name: "shop-dev-cluster".into(),
                services,
                schedule: Some(Schedule::cron("0 23 ? * SUN-THU *")),
                ..Default::default()
            },
        );
        (app, s)
    }

    fn errors(app: &App) -> String {
        app.synth().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn waves_follow_the_dependencies_in_declaration_order() {
        let waves = start_waves(&shop()).expect("orderable");
        assert_eq!(
            waves,
            [
                vec!["service-a"],
                vec!["service-b"],
                vec!["service-c", "service-d", "service-e"]
            ]
        );
        // A service waits for its latest dependency, not for its first.
        let services = [
            EcsServiceStart::new("web", 1).after(["db", "api"]),
            EcsServiceStart::new("api", 1).after(["db"]),
            EcsServiceStart::new("db", 1),
        ];
        assert_eq!(
            start_waves(&services).expect("orderable"),
            [vec!["db"], vec!["api"], vec!["web"]]
        );
    }

    #[test]
    fn a_cycle_is_refused_naming_the_services() {
        let (app, s) = startup(vec![
            EcsServiceStart::new("proxy", 1),
            EcsServiceStart::new("api", 1).after(["proxy", "worker"]),
            EcsServiceStart::new("worker", 1).after(["queue"]),
            EcsServiceStart::new("queue", 1).after(["api"]),
            EcsServiceStart::new("solo", 1).after(["solo"]),
        ]);
        assert!(s.waves().is_empty());
        let err = errors(&app);
        assert!(
            err.contains(
                "Ecs/Startup: dependency cycle api -> worker -> queue -> api (each service depends on the next)"
            ),
            "{err}"
        );
        assert!(err.contains("dependency cycle solo -> solo"), "{err}");
        assert_eq!(err.matches("dependency cycle").count(), 2, "each cycle once: {err}");
        assert!(
            !err.contains("state '"),
            "no follow-up errors of the placeholder graph: {err}"
        );
    }

    #[test]
    fn an_unknown_or_duplicate_service_is_refused() {
        let (app, _) = startup(vec![
            EcsServiceStart::new("api", 1).after(["db"]),
            EcsServiceStart::new("api", 2),
        ]);
        let err = errors(&app);
        assert!(
            err.contains("Ecs/Startup: service 'api' depends on 'db', which is not declared: add it to `services`"),
            "{err}"
        );
        assert!(err.contains("service 'api' is declared more than once"), "{err}");
    }

    #[test]
    fn invalid_props_explain_themselves() {
        let app = App::new();
        let stack = Stack::new(&app, "Ecs", StackProps::default());
        OrderedServiceStartup::new(
            &stack,
            "Startup",
            OrderedServiceStartupProps {
                cluster_name: "arn:aws:ecs:ap-northeast-1:123456789012:cluster/shop".into(),
                services: vec![EcsServiceStart::new("api", 0), EcsServiceStart::new("a b", 1)],
                poll_interval: Duration::from_millis(500),
                ..Default::default()
            },
        );
        let err = errors(&app);
        assert!(err.contains("cluster_name 'arn:aws:ecs"), "{err}");
        assert!(err.contains("not its ARN"), "{err}");
        assert!(err.contains("service 'api' has desired_count 0"), "{err}");
        assert!(err.contains("service name 'a b' is not an ECS service name"), "{err}");
        assert!(err.contains("poll_interval 500ms is invalid"), "{err}");
        let app = App::new();
        let stack = Stack::new(&app, "Ecs", StackProps::default());
        OrderedServiceStartup::new(&stack, "Startup", OrderedServiceStartupProps::default());
        let err = errors(&app);
        assert!(err.contains("no services: declare at least one"), "{err}");
    }

    #[test]
    fn each_service_is_described_started_waited_for_and_noticed() {
        let (_app, s) = startup(shop());
        let def = s.state_machine().definition().render();
        assert!(def.validate().is_empty(), "{:?}", def.validate());
        let states = &def.json["States"];
        assert_eq!(def.json["StartAt"], "Start polls of service-a");
        assert_eq!(states["Start polls of service-a"]["Next"], "Describe service-a");
        assert_eq!(states["Notice service-a started"]["Next"], "Start polls of service-b");
        assert_eq!(states["Notice service-b started"]["Next"], "Start wave 3");
        assert_eq!(states["Start wave 3"]["Next"], "All services started");
        assert_eq!(states["Start wave 3"]["ResultPath"], Json::Null);
        let branches = states["Start wave 3"]["Branches"].as_array().expect("branches");
        assert_eq!(branches.len(), 3);
        assert_eq!(branches[1]["StartAt"], "Start polls of service-d");
        assert_eq!(branches[1]["States"]["Notice service-d started"]["End"], true);

        let b = &states;
        assert_eq!(
            b["Describe service-b"]["Parameters"],
            json!({ "Cluster": "shop-dev-cluster", "Services": ["service-b"] })
        );
        assert_eq!(b["Describe service-b"]["ResultPath"], "$.Describe");
        assert_eq!(b["Describe service-b"]["Next"], "Count polls of service-b");
        assert_eq!(b["Count polls of service-b"]["Next"], "Is service-b running");
        let choices = &b["Is service-b running"]["Choices"];
        assert_eq!(choices[0]["IsPresent"], false);
        assert_eq!(choices[0]["Next"], "service-b not found");
        assert_eq!(choices[1]["StringEquals"], "INACTIVE");
        assert_eq!(choices[2]["Variable"], "$.Describe.Services[0].RunningCount");
        assert_eq!(choices[2]["NumericGreaterThanEquals"], 3);
        assert_eq!(choices[2]["Next"], "Notice service-b started");
        // 10 minutes of looks 10 s apart, then a named failure.
        assert_eq!(
            choices[3],
            json!({ "Variable": "$.Polls.Count", "NumericGreaterThanEquals": 60, "Next": "service-b start timed out" })
        );
        assert_eq!(b["service-b start timed out"]["Error"], "ServiceStartTimedOut");
        let cause = b["service-b start timed out"]["CausePath"].as_str().unwrap_or_default();
        assert!(
            cause.contains("ECS service service-b of cluster shop-dev-cluster (to reach a running count of 3)")
                && cause.contains("States.JsonToString($.Describe.Services)"),
            "{cause}"
        );
        assert_eq!(choices[4]["Variable"], "$.Describe.Services[0].DesiredCount");
        assert_eq!(choices[4]["NumericLessThan"], 3);
        assert_eq!(choices[4]["Next"], "Start service-b");
        assert_eq!(b["Is service-b running"]["Default"], "Wait for service-b");
        assert_eq!(
            b["Start service-b"]["Parameters"],
            json!({ "Cluster": "shop-dev-cluster", "Service": "service-b", "DesiredCount": 3 })
        );
        assert_eq!(
            b["Start service-b"]["Retry"][1],
            json!({ "ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 10, "MaxAttempts": 2, "BackoffRate": 1.0 })
        );
        assert_eq!(b["Start service-b"]["Next"], "Wait for service-b");
        assert_eq!(b["Wait for service-b"]["Seconds"], 10);
        assert_eq!(b["Wait for service-b"]["Next"], "Describe service-b");
        let notice = &b["Notice service-b started"]["Parameters"];
        assert_eq!(notice["Subject"], "ECS service service-b started");
        assert_eq!(
            notice["Message"]["RunningCount.$"],
            "$.Describe.Services[0].RunningCount"
        );
        assert_eq!(b["service-b not found"]["Error"], "ServiceNotFound");
    }

    #[test]
    fn the_role_may_touch_the_declared_services_only_and_the_machine_times_out() {
        let (app, _) = startup(shop());
        let s = app.synth().unwrap_or_else(|e| panic!("{e}"));
        let t = &s.stacks[0].template;
        let resources = t["Resources"].as_object().expect("resources");
        let policy = resources
            .values()
            .find(|r| r["Type"] == "AWS::IAM::Policy")
            .expect("the machine's policy");
        let statements = policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .expect("statements");
        let service_arn = |name: &str| {
            json!({ "Fn::Join": ["", [
                "arn:", { "Ref": "AWS::Partition" }, ":ecs:", { "Ref": "AWS::Region" }, ":",
                { "Ref": "AWS::AccountId" }, format!(":service/shop-dev-cluster/{name}")
            ]] })
        };
        let all: Vec<Json> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|n| service_arn(&format!("service-{n}")))
            .collect();
        for action in ["ecs:DescribeServices", "ecs:UpdateService"] {
            let s = statements
                .iter()
                .find(|s| s["Action"] == action)
                .unwrap_or_else(|| panic!("{action} in {statements:?}"));
            assert_eq!(s["Resource"], Json::Array(all.clone()), "{action}");
        }
        let publish = statements
            .iter()
            .find(|s| s["Action"] == "sns:Publish")
            .expect("publish");
        assert_eq!(
            publish["Resource"]["Ref"]
                .as_str()
                .map(|r| r.starts_with("StartupNoticeTopic")),
            Some(true)
        );
        assert!(!serde_json::to_string(statements).expect("json").contains("lambda:"));
        let machine = resources
            .values()
            .find(|r| r["Type"] == "AWS::StepFunctions::StateMachine")
            .expect("machine");
        let text = serde_json::to_string(&machine["Properties"]["DefinitionString"]).expect("json");
        assert!(text.contains(r#"\"TimeoutSeconds\":1800"#), "{text}");
        let rule = resources
            .values()
            .find(|r| r["Type"] == "AWS::Events::Rule")
            .expect("rule");
        assert_eq!(rule["Properties"]["ScheduleExpression"], "cron(0 23 ? * SUN-THU *)");
        assert_eq!(rule["Properties"]["Targets"][0]["Input"], "{}");
    }
}
