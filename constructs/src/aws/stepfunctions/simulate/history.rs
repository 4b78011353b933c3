//! The execution history, with the event types and detail fields of the real
//! service (`GetExecutionHistory`), on the virtual clock.

use serde::Serialize;
use serde_json::{Map, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One history event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The event's number, from 1, in time order.
    pub id: u64,
    /// The event this one follows (0 for the first).
    pub previous_event_id: u64,
    /// When it happened on the virtual clock (RFC 3339).
    pub timestamp: String,
    /// Seconds since the execution started, on the virtual clock.
    pub elapsed_seconds: f64,
    /// The event type, e.g. `TaskStateEntered`, `MapIterationStarted`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The details, under the service's key (e.g. `stateEnteredEventDetails`).
    #[serde(flatten)]
    pub details: Map<String, Json>,
}

/// The events of an execution as it runs.
#[derive(Debug, Default)]
pub(super) struct History {
    events: Vec<Event>,
    /// The event the next one follows (a branch sets it to its start).
    pub(super) previous: u64,
}

impl History {
    /// Records an event; returns its (provisional) id.
    pub(super) fn push(&mut self, clock: f64, kind: &str, details: Option<(&str, Json)>) -> u64 {
        let id = self.events.len() as u64 + 1;
        let mut map = Map::new();
        if let Some((key, value)) = details {
            map.insert(key.to_owned(), value);
        }
        self.events.push(Event {
            id,
            previous_event_id: self.previous,
            timestamp: String::new(),
            elapsed_seconds: clock,
            kind: kind.to_owned(),
            details: map,
        });
        self.previous = id;
        id
    }

    /// The number of events so far.
    pub(super) fn len(&self) -> usize {
        self.events.len()
    }

    /// The events in time order (concurrent branches run one after the other
    /// in the simulator, so they are sorted by virtual time and renumbered).
    pub(super) fn finish(mut self, start: OffsetDateTime) -> Vec<Event> {
        self.events
            .sort_by(|a, b| a.elapsed_seconds.total_cmp(&b.elapsed_seconds));
        let mut renumber = vec![0u64; self.events.len() + 1];
        for (i, e) in self.events.iter().enumerate() {
            renumber[e.id as usize] = i as u64 + 1;
        }
        for e in &mut self.events {
            e.id = renumber[e.id as usize];
            e.previous_event_id = renumber[e.previous_event_id as usize];
            let at = start + time::Duration::seconds_f64(e.elapsed_seconds);
            e.timestamp = at.format(&Rfc3339).unwrap_or_default();
        }
        self.events
    }
}
