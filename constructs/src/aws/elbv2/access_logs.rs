//! Who writes ELB access logs into a bucket: the regional Elastic Load
//! Balancing account in the regions that existed before August 2022, the
//! `logdelivery.elasticloadbalancing.amazonaws.com` service principal in the
//! regions opened since.

use indexmap::IndexMap;

use crate::aws::iam::Principal;
use crate::core::{CfnMapping, Intrinsic, Pseudo, Scope, Stack, Value};

/// The service principal that writes access logs in regions opened since August 2022.
pub const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// The id (and logical ID) of the stack mapping of region to ELB account.
pub const ELB_ACCOUNT_MAPPING: &str = "ElbAccessLogsAccounts";

/// The Elastic Load Balancing account of each region that existed before
/// August 2022 (the table the CDK's region-info and the ELB user guide give).
pub const ELB_ACCOUNTS: [(&str, &str); 26] = [
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-south-1", "718504428378"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-southeast-3", "589379963580"),
    ("ca-central-1", "985666609251"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
    ("eu-central-1", "054676820928"),
    ("eu-north-1", "897822967062"),
    ("eu-south-1", "635631232127"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-gov-east-1", "190560391635"),
    ("us-gov-west-1", "048591011584"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
];

fn account_root(account: Value) -> Principal {
    Principal::Aws(Value::concat([
        Value::from("arn:"),
        Value::Pseudo(Pseudo::Partition),
        Value::from(":iam::"),
        account,
        Value::from(":root"),
    ]))
}

/// The principal to grant `s3:PutObject` on the log prefix.
///
/// With the stack's region known, the region's ELB account, or the service
/// principal for newer regions. With the region unknown (an environment
/// agnostic stack), the account is looked up at deploy in a stack mapping
/// (`ElbAccessLogsAccounts`), as the CDK does with region facts; deploying
/// such a stack to a region opened since August 2022 then fails on the
/// lookup: give the stack its region to use the service principal there.
pub(crate) fn log_delivery_principal(stack: &Stack) -> Principal {
    if let Some(region) = stack.environment().region {
        return match ELB_ACCOUNTS.iter().find(|(r, _)| *r == region) {
            Some((_, account)) => account_root(Value::from(*account)),
            None => Principal::service(LOG_DELIVERY_SERVICE),
        };
    }
    if stack.node().child(ELB_ACCOUNT_MAPPING).is_none() {
        let mapping: IndexMap<String, IndexMap<String, Value>> = ELB_ACCOUNTS
            .iter()
            .map(|(region, account)| {
                let mut inner = IndexMap::new();
                inner.insert("account".to_owned(), Value::from(*account));
                ((*region).to_owned(), inner)
            })
            .collect();
        CfnMapping::new(stack, ELB_ACCOUNT_MAPPING, mapping);
    }
    account_root(Value::Fn(Box::new(Intrinsic::FindInMap(
        Value::from(ELB_ACCOUNT_MAPPING),
        Value::Pseudo(Pseudo::Region),
        Value::from("account"),
    ))))
}
