//! How a bookable's tags are stored: one text column `,a,b,` (empty without tags), so
//! "carries tag t" is a substring match on `,t,`.

pub(crate) fn tags_of(column: &str) -> Vec<String> {
    column.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

pub(crate) fn tags_column(tags: &[String]) -> String {
    if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) }
}

/// What the column contains when it carries `tag` (already checked to be a tag).
pub(crate) fn tag_needle(tag: &str) -> String {
    format!(",{tag},")
}
