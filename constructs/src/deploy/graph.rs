//! Which stacks a command touches, and the work graph that runs them in
//! dependency order: up to N at once, nothing starts before what it depends
//! on is done, and a failure stops its dependents from starting while the
//! stacks already running finish.

use std::collections::HashMap;
use std::future::Future;

use tokio::task::JoinSet;

use super::error::DeployError;
use crate::core::{CloudAssembly, SynthesizedStack};

/// Which stacks a command is about.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Stacks by artifact id or stack name; `*` matches any characters. Default: none.
    pub stacks: Vec<String>,
    /// Every stack of the app. Default: false.
    pub all: bool,
    /// Only the named stacks: deploy adds no dependencies, destroy no dependents. Default: false.
    pub exclusively: bool,
}

/// How a selection grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expand {
    /// Add the stacks the selected ones depend on (deploy).
    Upstream,
    /// Add the stacks that depend on the selected ones (destroy).
    Downstream,
    /// Exactly what was named (diff).
    Exact,
}

fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn names(assembly: &CloudAssembly) -> String {
    assembly
        .synthesis
        .stacks
        .iter()
        .map(|s| s.artifact_id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The selected stacks, in the assembly's dependency order.
pub(crate) fn select<'a>(
    assembly: &'a CloudAssembly,
    selection: &Selection,
    expand: Expand,
) -> Result<Vec<&'a SynthesizedStack>, DeployError> {
    let stacks = &assembly.synthesis.stacks;
    let mut chosen = vec![false; stacks.len()];
    if selection.all {
        chosen.iter_mut().for_each(|c| *c = true);
    } else if selection.stacks.is_empty() {
        match stacks.len() {
            1 => chosen[0] = true,
            0 => {}
            n => {
                return Err(DeployError::AmbiguousSelection {
                    count: n,
                    available: names(assembly),
                })
            }
        }
    } else {
        let mut unknown = Vec::new();
        for pattern in &selection.stacks {
            let mut hit = false;
            for (i, s) in stacks.iter().enumerate() {
                if glob(pattern, &s.artifact_id) || glob(pattern, &s.stack_name) {
                    chosen[i] = true;
                    hit = true;
                }
            }
            if !hit {
                unknown.push(format!("'{pattern}'"));
            }
        }
        if !unknown.is_empty() {
            return Err(DeployError::UnknownStacks {
                names: unknown.join(", "),
                available: names(assembly),
            });
        }
    }
    if !selection.exclusively && expand != Expand::Exact {
        let index: HashMap<&str, usize> = stacks
            .iter()
            .enumerate()
            .map(|(i, s)| (s.artifact_id.as_str(), i))
            .collect();
        let mut changed = true;
        while changed {
            changed = false;
            for (i, s) in stacks.iter().enumerate() {
                for d in &s.dependencies {
                    let Some(&j) = index.get(d.as_str()) else { continue };
                    let (from, to) = match expand {
                        Expand::Upstream => (i, j),
                        _ => (j, i),
                    };
                    if chosen[from] && !chosen[to] {
                        chosen[to] = true;
                        changed = true;
                    }
                }
            }
        }
    }
    Ok(stacks.iter().zip(chosen).filter(|(_, c)| *c).map(|(s, _)| s).collect())
}

/// A node of the work graph.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// The stack, for messages.
    pub id: String,
    /// Indices of the nodes that must finish first.
    pub after: Vec<usize>,
}

/// The nodes of the selected stacks, each after the selected stacks it
/// depends on (`reverse`: after the selected stacks that depend on it).
pub(crate) fn nodes(stacks: &[&SynthesizedStack], reverse: bool) -> Vec<Node> {
    let index: HashMap<&str, usize> = stacks
        .iter()
        .enumerate()
        .map(|(i, s)| (s.artifact_id.as_str(), i))
        .collect();
    let mut out: Vec<Node> = stacks
        .iter()
        .map(|s| Node {
            id: s.artifact_id.clone(),
            after: Vec::new(),
        })
        .collect();
    for (i, s) in stacks.iter().enumerate() {
        for d in &s.dependencies {
            if let Some(&j) = index.get(d.as_str()) {
                if reverse {
                    out[j].after.push(i);
                } else {
                    out[i].after.push(j);
                }
            }
        }
    }
    out
}

/// How one stack of a deploy or destroy ended.
#[derive(Debug)]
pub enum StackResult<T> {
    /// It ran and succeeded.
    Done(T),
    /// It ran and failed.
    Failed(DeployError),
    /// It never started because the stack `blocked_by` failed.
    NotStarted {
        /// The failed stack this one waited for.
        blocked_by: String,
    },
}

enum State<T> {
    Pending,
    Running,
    Finished(StackResult<T>),
}

impl<T> State<T> {
    /// The failed stack behind a node that did not succeed.
    fn blocker(&self, id: &str) -> Option<String> {
        match self {
            State::Finished(StackResult::Failed(_)) => Some(id.to_owned()),
            State::Finished(StackResult::NotStarted { blocked_by }) => Some(blocked_by.clone()),
            _ => None,
        }
    }
}

/// Runs `start(i)` for every node once its predecessors are done, with at
/// most `concurrency` running at once. Returns each node's result, by index,
/// and the indices of the nodes that ran in the order they finished.
pub(crate) async fn run<T, F, Fut>(
    nodes: &[Node],
    concurrency: usize,
    mut start: F,
) -> Result<(Vec<StackResult<T>>, Vec<usize>), DeployError>
where
    T: Send + 'static,
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<T, DeployError>> + Send + 'static,
{
    let concurrency = concurrency.max(1);
    let mut state: Vec<State<T>> = nodes.iter().map(|_| State::Pending).collect();
    let mut tasks = JoinSet::new();
    let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
    let mut finished = Vec::new();
    loop {
        // Nodes behind a failure will never start.
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..nodes.len() {
                if !matches!(state[i], State::Pending) {
                    continue;
                }
                if let Some(blocked_by) = nodes[i].after.iter().find_map(|&j| state[j].blocker(&nodes[j].id)) {
                    state[i] = State::Finished(StackResult::NotStarted { blocked_by });
                    changed = true;
                }
            }
        }
        for i in 0..nodes.len() {
            if running.len() >= concurrency {
                break;
            }
            let ready = matches!(state[i], State::Pending)
                && nodes[i]
                    .after
                    .iter()
                    .all(|&j| matches!(state[j], State::Finished(StackResult::Done(_))));
            if ready {
                let handle = tasks.spawn(start(i));
                running.insert(handle.id(), i);
                state[i] = State::Running;
            }
        }
        if running.is_empty() {
            let stuck: Vec<&str> = nodes
                .iter()
                .zip(&state)
                .filter(|(_, s)| matches!(s, State::Pending))
                .map(|(n, _)| n.id.as_str())
                .collect();
            if !stuck.is_empty() {
                return Err(DeployError::Cycle(stuck.join(", ")));
            }
            break;
        }
        let Some(joined) = tasks.join_next_with_id().await else {
            break;
        };
        let (id, result) = match joined {
            Ok((id, Ok(v))) => (id, StackResult::Done(v)),
            Ok((id, Err(e))) => (id, StackResult::Failed(e)),
            Err(e) => {
                let i = running.get(&e.id()).copied().unwrap_or(0);
                let message = if e.is_panic() {
                    "it panicked"
                } else {
                    "it was cancelled"
                };
                (
                    e.id(),
                    StackResult::Failed(DeployError::Task {
                        stack: nodes.get(i).map(|n| n.id.clone()).unwrap_or_default(),
                        message: message.to_owned(),
                    }),
                )
            }
        };
        if let Some(i) = running.remove(&id) {
            state[i] = State::Finished(result);
            finished.push(i);
        }
    }
    let results = state
        .into_iter()
        .map(|s| match s {
            State::Finished(r) => r,
            // Unreachable: the loop ends only when nothing is pending or running.
            State::Pending | State::Running => StackResult::NotStarted {
                blocked_by: String::new(),
            },
        })
        .collect();
    Ok((results, finished))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn node(id: &str, after: &[usize]) -> Node {
        Node {
            id: id.into(),
            after: after.to_vec(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob("Web*", "WebAppStack"));
        assert!(glob("*Stack", "WebAppStack"));
        assert!(glob("W?b*", "WebAppStack"));
        assert!(!glob("Web", "WebAppStack"));
    }

    #[tokio::test]
    async fn a_failure_stops_dependents_and_lets_others_finish() {
        // 0 fails; 1 depends on 0; 2 depends on 1; 3 is independent.
        let nodes = vec![node("A", &[]), node("B", &[0]), node("C", &[1]), node("D", &[])];
        let (results, _) = run(&nodes, 2, |i| async move {
            if i == 0 {
                Err(DeployError::Cycle("boom".into()))
            } else {
                Ok(i)
            }
        })
        .await
        .expect("runs");
        assert!(matches!(results[0], StackResult::Failed(_)));
        assert!(matches!(&results[1], StackResult::NotStarted { blocked_by } if blocked_by == "A"));
        assert!(matches!(&results[2], StackResult::NotStarted { blocked_by } if blocked_by == "A"));
        assert!(matches!(results[3], StackResult::Done(3)));
    }

    #[tokio::test]
    async fn respects_order_and_concurrency() {
        let nodes = vec![node("A", &[]), node("B", &[]), node("C", &[]), node("D", &[0, 1, 2])];
        let live = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (results, finished) = run(&nodes, 2, |i| {
            let (live, peak, order) = (live.clone(), peak.clone(), order.clone());
            async move {
                let now = live.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                live.fetch_sub(1, Ordering::SeqCst);
                order.lock().map(|mut o| o.push(i)).ok();
                Ok(i)
            }
        })
        .await
        .expect("runs");
        assert!(results.iter().all(|r| matches!(r, StackResult::Done(_))));
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(order.lock().ok().and_then(|o| o.last().copied()), Some(3));
        assert_eq!(finished.last(), Some(&3));
    }

    #[tokio::test]
    async fn independent_nodes_overlap_their_waits() {
        // Stacks mostly wait on CloudFormation: four waits of 100 ms take about 100 ms at --concurrency 4.
        let nodes: Vec<Node> = ["A", "B", "C", "D"].iter().map(|id| node(id, &[])).collect();
        let mut elapsed = Vec::new();
        for concurrency in [1, 4] {
            let start = std::time::Instant::now();
            let (results, _) = run(&nodes, concurrency, |i| async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(i)
            })
            .await
            .expect("runs");
            assert!(results.iter().all(|r| matches!(r, StackResult::Done(_))));
            elapsed.push(start.elapsed());
        }
        assert!(elapsed[0] >= Duration::from_millis(400), "{elapsed:?}");
        assert!(elapsed[1] < Duration::from_millis(300), "{elapsed:?}");
    }

    #[tokio::test]
    async fn reports_a_cycle() {
        let nodes = vec![node("A", &[1]), node("B", &[0])];
        let err = run(&nodes, 1, |i| async move { Ok(i) }).await.err();
        assert!(matches!(err, Some(DeployError::Cycle(s)) if s == "A, B"));
    }
}
