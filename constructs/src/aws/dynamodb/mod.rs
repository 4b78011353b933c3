//! Amazon DynamoDB: tables billed per request, with point-in-time recovery,
//! retained when they leave the stack, and granted by least-privilege data actions.

mod attribute;
mod table;

pub use attribute::{
    Attribute, AttributeType, BillingMode, GlobalSecondaryIndex, Projection, StreamViewType, TableEncryption,
};
pub use table::{Table, TableArn, TableName, TableProps, TableRef, TableStreamArn};
