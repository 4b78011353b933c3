//! Elastic Load Balancing v2: application load balancers, listeners and
//! target groups.

mod access_logs;
mod listener;
mod load_balancer;
mod target_group;

pub use access_logs::{ELB_ACCOUNTS, ELB_ACCOUNT_MAPPING, LOG_DELIVERY_SERVICE};
pub use listener::{ApplicationListener, ApplicationListenerProps, ListenerArn, DEFAULT_SSL_POLICY};
pub use load_balancer::{ApplicationLoadBalancer, ApplicationLoadBalancerProps, LoadBalancerArn};
pub use target_group::{
    ApplicationProtocol, ApplicationTargetGroup, ApplicationTargetGroupProps, HealthCheck, TargetGroupArn, TargetType,
};

#[cfg(test)]
mod tests;
