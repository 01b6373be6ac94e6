//! Small helpers for JSON columns.

/// The strings of a JSON array column (`["a", "b"]`); anything else reads as empty.
pub fn strings(value: &serde_json::Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}
