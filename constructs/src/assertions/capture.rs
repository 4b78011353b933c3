//! Captures: read values out of a template while matching it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Serialize, Serializer};
use serde_json::{Map, Value as Json};

use super::matcher::{pattern_or_invalid, Matcher};

static NEXT_CAPTURE: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The live captures of this thread, by id: a pattern names its captures
    /// by id, and a successful assertion records the values here.
    static CAPTURES: RefCell<HashMap<u64, Weak<CaptureState>>> = RefCell::new(HashMap::new());
}

struct CaptureState {
    id: u64,
    matcher: Matcher,
    values: RefCell<Vec<Json>>,
    position: Cell<usize>,
}

impl Drop for CaptureState {
    fn drop(&mut self) {
        // During thread teardown the registry may already be gone: nothing to clean then.
        let _ = CAPTURES.try_with(|c| c.borrow_mut().remove(&self.id));
    }
}

/// A matcher that remembers what it matched, as the AWS CDK's `Capture`.
///
/// Put it in a pattern (inside `json!` too); after an assertion or a `find_*`
/// query, it holds the value it matched in every resource (or output ...)
/// that matched as a whole, in template order: [`Capture::value`] is the
/// current one, [`Capture::next`] moves to the next. A capture records values
/// on the thread that created it.
///
/// ```
/// use constructs::assertions::{Capture, Template};
/// use serde_json::json;
///
/// let template = Template::from_json(json!({"Resources": {
///     "A": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}},
///     "B": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}}
/// }}));
/// let timeout = Capture::new();
/// template.has_resource_properties("AWS::SQS::Queue", json!({"VisibilityTimeout": timeout}));
/// assert_eq!(timeout.as_u64(), 30);
/// assert!(timeout.next());
/// assert_eq!(timeout.as_u64(), 60);
/// assert!(!timeout.next());
/// ```
#[derive(Clone)]
pub struct Capture(Rc<CaptureState>);

impl Default for Capture {
    fn default() -> Self {
        Capture::new()
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("values", &self.0.values.borrow())
            .field("position", &self.0.position.get())
            .finish()
    }
}

impl Serialize for Capture {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.matcher.serialize(serializer)
    }
}

impl Capture {
    /// A capture of any value (present; `null` included).
    pub fn new() -> Capture {
        Capture::make(None)
    }

    /// A capture of a value that also matches `pattern`.
    pub fn with_pattern(pattern: impl Serialize) -> Capture {
        Capture::make(Some(pattern_or_invalid(pattern)))
    }

    fn make(pattern: Option<Json>) -> Capture {
        let id = NEXT_CAPTURE.fetch_add(1, Ordering::Relaxed);
        let mut fields = vec![("id", Json::from(id))];
        fields.extend(pattern.map(|p| ("pattern", p)));
        let state = Rc::new(CaptureState {
            id,
            matcher: Matcher::new("capture", fields),
            values: RefCell::new(Vec::new()),
            position: Cell::new(0),
        });
        CAPTURES.with(|c| c.borrow_mut().insert(id, Rc::downgrade(&state)));
        Capture(state)
    }

    /// Every value captured so far, in order.
    pub fn values(&self) -> Vec<Json> {
        self.0.values.borrow().clone()
    }

    /// Moves to the next captured value; false (staying put) when there is none.
    pub fn next(&self) -> bool {
        let p = self.0.position.get();
        if p + 1 < self.0.values.borrow().len() {
            self.0.position.set(p + 1);
            true
        } else {
            false
        }
    }

    /// The current captured value, or `None` when nothing was captured.
    pub fn try_value(&self) -> Option<Json> {
        self.0.values.borrow().get(self.0.position.get()).cloned()
    }

    /// The current captured value.
    ///
    /// # Panics
    /// When nothing was captured (no assertion matched it yet).
    #[track_caller]
    pub fn value(&self) -> Json {
        self.try_value().unwrap_or_else(|| {
            panic!("the capture holds no value: no assertion or find_* query has matched it yet (a capture records values on the thread that created it)")
        })
    }

    /// The current value as a string. Panics when it is none or not a string.
    #[track_caller]
    pub fn as_str(&self) -> String {
        self.typed("a string", |v| v.as_str().map(str::to_owned))
    }

    /// The current value as an unsigned integer. Panics when it is none or not one.
    #[track_caller]
    pub fn as_u64(&self) -> u64 {
        self.typed("an unsigned integer", Json::as_u64)
    }

    /// The current value as a number. Panics when it is none or not a number.
    #[track_caller]
    pub fn as_f64(&self) -> f64 {
        self.typed("a number", Json::as_f64)
    }

    /// The current value as a boolean. Panics when it is none or not a boolean.
    #[track_caller]
    pub fn as_bool(&self) -> bool {
        self.typed("a boolean", Json::as_bool)
    }

    /// The current value as an array. Panics when it is none or not an array.
    #[track_caller]
    pub fn as_array(&self) -> Vec<Json> {
        self.typed("an array", |v| v.as_array().cloned())
    }

    /// The current value as an object. Panics when it is none or not an object.
    #[track_caller]
    pub fn as_object(&self) -> Map<String, Json> {
        self.typed("an object", |v| v.as_object().cloned())
    }

    #[track_caller]
    fn typed<T>(&self, what: &str, read: impl Fn(&Json) -> Option<T>) -> T {
        let v = self.value();
        read(&v).unwrap_or_else(|| panic!("the captured value is not {what}: {v}"))
    }
}

/// Records the values a successful match saw in its captures.
pub(crate) fn record(captures: Vec<(u64, Json)>) {
    CAPTURES.with(|c| {
        let live = c.borrow();
        for (id, value) in captures {
            if let Some(state) = live.get(&id).and_then(Weak::upgrade) {
                state.values.borrow_mut().push(value);
            }
        }
    });
}
