//! Stack order: each stack after the stacks it depends on, cycles named.

use indexmap::{IndexMap, IndexSet};

/// Orders stacks so each comes after its dependencies, keeping creation order
/// otherwise. On a cycle, returns the cycle (first stack repeated at the end).
pub(crate) fn topo_order(
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
