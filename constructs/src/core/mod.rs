//! The synthesis core: construct tree, stacks, template elements, values,
//! logical IDs, cross-stack references, tags, assets and the Cloud Assembly.

mod annotations;
mod app;
mod arn;
mod aspects;
mod assembly;
mod assembly_reader;
mod asset_manifest;
mod assets;
mod bootstrap_names;
mod construct;
mod context;
mod element;
mod error;
pub mod logical_id;
mod order;
mod prepare;
mod render;
mod resolve;
pub(crate) mod schema_check;
mod stack;
mod synth;
mod tags;
mod tree_json;
mod validate;
mod value;

pub use annotations::{Annotation, AnnotationLevel, Annotations};
pub use app::App;
pub use arn::{Arn, ArnFormat};
pub use aspects::{Aspect, Aspects};
pub use assembly::{to_cdk_json, write_assembly, CloudAssembly, MANIFEST_VERSION};
pub use assembly_reader::{
    ArtifactManifest, AssemblyManifest, ReadAssemblyError, StackProperties, MAX_READ_MANIFEST_MAJOR,
};
pub use asset_manifest::{AssetManifest, FileAssetDestination, FileAssetEntry, FileAssetPackaging, FileAssetSource};
pub(crate) use assets::hex_digest;
pub use assets::{deterministic_zip, sha256_hex, AssetLocation, FileAsset, ZipEntry};
pub use bootstrap_names::{BootstrapNames, QUALIFIER_CONTEXT};
pub use construct::{Construct, ContextValue, Prepare, Scope, Validation};

pub use context::{
    availability_zones_key, MissingContext, AVAILABILITY_ZONES_PROVIDER, CONTEXT_FILE, DUMMY_AVAILABILITY_ZONES,
};
pub use element::{
    CfnCondition, CfnMapping, CfnOutput, CfnOutputProps, CfnParameter, CfnParameterProps, CfnResource, CfnRule,
    ParameterType, RemovalPolicy,
};
pub use error::{SynthError, SynthErrors};
pub use schema_check::UNKNOWN_TYPE_WARNING;
pub use stack::{Environment, Stack, StackProps, Synthesizer, BOOTSTRAP_QUALIFIER, REQUIRED_BOOTSTRAP_VERSION};
pub(crate) use synth::annotations;
pub use synth::{Synthesis, SynthesizedStack};
pub use tags::{cdk_key_order, TagFormat, Tags};
pub use tree_json::ConstructTree;
pub use value::{ElementRef, Intrinsic, Lazy, Pseudo, Value};
