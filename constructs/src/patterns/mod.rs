//! Reusable job-net patterns built only from the service constructs.
