//! Constructs for AWS services, one module per service.
