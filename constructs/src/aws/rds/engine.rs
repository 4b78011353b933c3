//! Cluster engines and their versions, with the instance classes and log
//! types each supports.

/// An Aurora MySQL engine version (`EngineVersion`).
///
/// Aurora MySQL 2 (MySQL 5.7 compatible, e.g. the seed's 2.09.1) reached the
/// end of standard support and can no longer be created; versions 3.x are
/// MySQL 8.0 compatible.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AuroraMysqlEngineVersion {
    /// `8.0.mysql_aurora.3.04.6` (the 3.04 long-term support line).
    V3_04_6,
    /// `8.0.mysql_aurora.3.08.0`.
    V3_08_0,
    /// `8.0.mysql_aurora.3.08.2`.
    V3_08_2,
    /// `8.0.mysql_aurora.3.09.0`.
    V3_09_0,
    /// `8.0.mysql_aurora.3.10.0` (the 3.10 long-term support line).
    #[default]
    V3_10_0,
    /// `8.0.mysql_aurora.3.12.0`.
    V3_12_0,
    /// `8.0.mysql_aurora.3.13.0`.
    V3_13_0,
    /// Any other version string, e.g. `8.0.mysql_aurora.3.10.3`.
    Other(String),
}

impl AuroraMysqlEngineVersion {
    /// The version string.
    pub fn as_str(&self) -> &str {
        match self {
            AuroraMysqlEngineVersion::V3_04_6 => "8.0.mysql_aurora.3.04.6",
            AuroraMysqlEngineVersion::V3_08_0 => "8.0.mysql_aurora.3.08.0",
            AuroraMysqlEngineVersion::V3_08_2 => "8.0.mysql_aurora.3.08.2",
            AuroraMysqlEngineVersion::V3_09_0 => "8.0.mysql_aurora.3.09.0",
            AuroraMysqlEngineVersion::V3_10_0 => "8.0.mysql_aurora.3.10.0",
            AuroraMysqlEngineVersion::V3_12_0 => "8.0.mysql_aurora.3.12.0",
            AuroraMysqlEngineVersion::V3_13_0 => "8.0.mysql_aurora.3.13.0",
            AuroraMysqlEngineVersion::Other(v) => v,
        }
    }

    /// The major version: 3 for `8.0.mysql_aurora.3.*` (and `8.0`), 2 for
    /// `5.7...`, 1 for `5.6...`.
    pub fn major(&self) -> Option<u32> {
        let v = self.as_str();
        if v.starts_with("8.0") {
            Some(3)
        } else if v.starts_with("5.7") {
            Some(2)
        } else if v.starts_with("5.6") {
            Some(1)
        } else {
            None
        }
    }
}

/// The engine of a [`DatabaseCluster`](super::DatabaseCluster).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterEngine {
    /// Aurora MySQL (`aurora-mysql`).
    AuroraMysql(AuroraMysqlEngineVersion),
    /// Aurora PostgreSQL (`aurora-postgresql`) of a version, e.g. `16.6`.
    AuroraPostgresql(String),
}

impl Default for ClusterEngine {
    fn default() -> Self {
        ClusterEngine::AuroraMysql(AuroraMysqlEngineVersion::default())
    }
}

impl ClusterEngine {
    /// The `Engine` value.
    pub fn engine(&self) -> &'static str {
        match self {
            ClusterEngine::AuroraMysql(_) => "aurora-mysql",
            ClusterEngine::AuroraPostgresql(_) => "aurora-postgresql",
        }
    }

    /// The `EngineVersion` value.
    pub fn version(&self) -> &str {
        match self {
            ClusterEngine::AuroraMysql(v) => v.as_str(),
            ClusterEngine::AuroraPostgresql(v) => v,
        }
    }

    /// Why the engine version cannot be created, if it cannot.
    pub(crate) fn version_problem(&self) -> Option<String> {
        match self {
            ClusterEngine::AuroraMysql(v) => match v.major() {
                Some(3) => None,
                Some(n) => Some(format!(
                    "engine version {} is Aurora MySQL {n} (MySQL 5.{} compatible), which reached the end of standard support and can no longer be created: use an Aurora MySQL 3 version such as {}",
                    v.as_str(),
                    if n == 2 { 7 } else { 6 },
                    AuroraMysqlEngineVersion::default().as_str()
                )),
                None => Some(format!(
                    "engine version '{}' is not an Aurora MySQL version: expected 8.0.mysql_aurora.3.xx.x",
                    v.as_str()
                )),
            },
            ClusterEngine::AuroraPostgresql(_) => None,
        }
    }

    /// Why the instance class does not run this engine, if it does not.
    pub(crate) fn instance_class_problem(&self, class: &str) -> Option<String> {
        let Some(t) = class.strip_prefix("db.") else {
            return Some(format!(
                "instance class '{class}' is invalid: RDS classes start with 'db.', e.g. db.t3.medium"
            ));
        };
        if t.split('.').count() != 2 || t.split('.').any(str::is_empty) {
            return Some(format!(
                "instance class '{class}' is invalid: expected db.FAMILY.SIZE, e.g. db.t3.medium"
            ));
        }
        // Aurora supports burstable classes from medium up only (db.t3.small and
        // smaller ran Aurora MySQL 2 only).
        let too_small = ["t2.", "t3.micro", "t3.small", "t4g.micro", "t4g.small"];
        if too_small.iter().any(|p| t.starts_with(p)) {
            return Some(format!(
                "instance class {class} does not run {} {}: the smallest burstable Aurora classes are db.t3.medium and db.t4g.medium",
                self.engine(),
                self.version()
            ));
        }
        None
    }

    /// The log types the engine can export to CloudWatch Logs.
    pub(crate) fn supports_log(&self, log: LogExport) -> bool {
        match self {
            ClusterEngine::AuroraMysql(_) => !matches!(log, LogExport::Postgresql),
            ClusterEngine::AuroraPostgresql(_) => matches!(log, LogExport::Postgresql | LogExport::IamDbAuthError),
        }
    }
}

/// A log a cluster exports to CloudWatch Logs (`/aws/rds/cluster/NAME/TYPE`).
///
/// Aurora MySQL writes the general and audit logs only when the cluster
/// parameter group turns them on (`general_log`, `server_audit_logging`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogExport {
    /// `audit` (Aurora MySQL).
    Audit,
    /// `error` (Aurora MySQL).
    Error,
    /// `general` (Aurora MySQL).
    General,
    /// `slowquery` (Aurora MySQL).
    SlowQuery,
    /// `iam-db-auth-error` (both engines).
    IamDbAuthError,
    /// `postgresql` (Aurora PostgreSQL).
    Postgresql,
}

impl LogExport {
    /// The log type's name.
    pub fn name(self) -> &'static str {
        match self {
            LogExport::Audit => "audit",
            LogExport::Error => "error",
            LogExport::General => "general",
            LogExport::SlowQuery => "slowquery",
            LogExport::IamDbAuthError => "iam-db-auth-error",
            LogExport::Postgresql => "postgresql",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_versions_and_small_classes_are_refused() {
        let seed = ClusterEngine::AuroraMysql(AuroraMysqlEngineVersion::Other("5.7.mysql_aurora.2.09.1".into()));
        assert!(seed
            .version_problem()
            .is_some_and(|e| e.contains("Aurora MySQL 2 (MySQL 5.7 compatible)")));
        let current = ClusterEngine::default();
        assert_eq!(current.version_problem(), None);
        assert!(current
            .instance_class_problem("db.t3.small")
            .is_some_and(|e| e.contains("db.t3.medium and db.t4g.medium")));
        assert_eq!(current.instance_class_problem("db.t3.medium"), None);
        assert_eq!(current.instance_class_problem("db.r7g.large"), None);
        assert!(current.instance_class_problem("t3.medium").is_some());
        assert!(!current.supports_log(LogExport::Postgresql));
    }
}
