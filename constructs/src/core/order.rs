//! Stack order: each stack after the stacks it depends on, cycles named.

use indexmap::{IndexMap, IndexSet};

use super::construct::Tree;
use super::error::SynthError;

/// Each stack's dependencies: stack -> the stacks it depends on -> why.
pub(crate) type StackDeps = IndexMap<usize, IndexMap<usize, Vec<String>>>;

/// Orders the stacks by their dependencies (consumer, producer, reason); a
/// cycle is an error naming the stacks and the references that close it.
pub(crate) fn order_stacks(
    tree: &Tree,
    stacks: &[usize],
    deps: Vec<(usize, usize, String)>,
) -> Result<(Vec<usize>, StackDeps), SynthError> {
    let mut stack_deps: StackDeps = stacks.iter().map(|&s| (s, IndexMap::new())).collect();
    for (c, p, reason) in deps {
        if c == p {
            continue;
        }
        if let Some(m) = stack_deps.get_mut(&c) {
            m.entry(p).or_default().push(reason);
        }
    }
    match topo_order(stacks, &stack_deps) {
        Ok(order) => Ok((order, stack_deps)),
        Err(cycle) => {
            let names: Vec<String> = cycle.iter().map(|&s| tree.path(s)).collect();
            let reasons: Vec<String> = cycle
                .windows(2)
                .map(|w| {
                    let why = stack_deps[&w[0]].get(&w[1]).map(|r| r.join("; ")).unwrap_or_default();
                    format!("'{}' depends on '{}' ({why})", tree.path(w[0]), tree.path(w[1]))
                })
                .collect();
            Err(SynthError::DependencyCycle {
                cycle: names.join(" -> "),
                reasons: reasons.join(", "),
            })
        }
    }
}

/// Orders stacks so each comes after its dependencies, keeping creation order
/// otherwise. On a cycle, returns the cycle (first stack repeated at the end).
fn topo_order(
    stacks: &[usize],
    deps: &IndexMap<usize, IndexMap<usize, Vec<String>>>,
) -> Result<Vec<usize>, Vec<usize>> {
    let mut done: IndexSet<usize> = IndexSet::new();
    while done.len() < stacks.len() {
        let next = stacks
            .iter()
            .find(|s| !done.contains(*s) && deps[*s].keys().all(|d| done.contains(d)));
        match next {
            Some(&s) => {
                done.insert(s);
            }
            None => return Err(find_cycle(stacks, deps, &done)),
        }
    }
    Ok(done.into_iter().collect())
}

fn find_cycle(
    stacks: &[usize],
    deps: &IndexMap<usize, IndexMap<usize, Vec<String>>>,
    done: &IndexSet<usize>,
) -> Vec<usize> {
    // Every remaining stack has an unfinished dependency: walk until a stack repeats.
    let Some(&start) = stacks.iter().find(|s| !done.contains(*s)) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut cur = start;
    loop {
        let Some(&next) = deps[&cur].keys().find(|d| !done.contains(*d)) else {
            return path;
        };
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(next);
            return cycle;
        }
        path.push(next);
        cur = next;
    }
}
