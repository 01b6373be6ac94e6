//! A block by number and hash: what the mirror's head, an ancestor and a refused
//! batch's answer name.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BlockRef {
    #[schema(example = 21_000_000)]
    pub number: i64,
    #[schema(example = "0x6b1c4e0f6c1a1f0b7b0b5e8f4c1e7a9d2f3b4c5d6e7f8091a2b3c4d5e6f70819")]
    pub hash: String,
}
