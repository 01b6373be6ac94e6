//! The spec of the polymorphic bookable: `oneOf` one object schema per type with a `type`
//! discriminator whose `mapping` names each variant, each the common fields + the type's
//! fields (+ for a creation its first calendar exceptions). Written by hand because utoipa
//! derives discriminators only for untagged enums, while serde reads the input as an
//! internally tagged one ([`BookableDetails`]); the parts are the derived schemas of the
//! very structs serde reads, so the two cannot drift apart. Each variant is stated as an
//! `allOf` of its parts; the server's spec pass (`atrium_server::openapi`) merges such
//! `allOf`s of objects into one object, which is what client generators need.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, ArrayBuilder, Discriminator, ObjectBuilder, OneOfBuilder, Ref, Schema,
    SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::model::*;
use crate::views::calendar::{BlockedTimeInput, DateOverrideInput};
use crate::views::certifications::CertificationInput;
use crate::views::{BookableCreate, BookableMeta, BookableView};

/// (discriminator value, name of the type's fields schema, title)
const TYPES: [(&str, &str, &str); 4] = [
    ("provider", "ProviderFields", "Provider"),
    ("company_provider", "CompanyProviderFields", "CompanyProvider"),
    ("asset", "AssetFields", "Asset"),
    ("venue", "VenueFields", "Venue"),
];

/// The discriminator part; closed like the input structs (`deny_unknown_fields`), so a
/// variant merged from closed parts is closed too.
fn tag(value: &str) -> Schema {
    ObjectBuilder::new()
        .property("type", ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some([value])))
        .required("type")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
        .into()
}

/// What a creation carries besides the input state: its first calendar exceptions, and
/// for providers their certifications.
fn create_extras(value: &str) -> Schema {
    let mut extras = ObjectBuilder::new()
        .property("date_overrides", ArrayBuilder::new().items(Ref::from_schema_name("DateOverrideInput")))
        .property("blocked_times", ArrayBuilder::new().items(Ref::from_schema_name("BlockedTimeInput")));
    if value == "provider" {
        extras =
            extras.property("certifications", ArrayBuilder::new().items(Ref::from_schema_name("CertificationInput")));
    }
    extras.additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false))).into()
}

/// `<Title><suffix>` = allOf(`before`…, BookableCommon, `<Type>Fields`, {type: <value>}, `after`).
fn variants(suffix: &str, before: &[&str], after: impl Fn(&str) -> Option<Schema>) -> Vec<(String, RefOr<Schema>)> {
    TYPES
        .iter()
        .map(|(value, fields, title)| {
            let mut all = AllOfBuilder::new();
            for e in before {
                all = all.item(Ref::from_schema_name(*e));
            }
            let mut all =
                all.item(Ref::from_schema_name("BookableCommon")).item(Ref::from_schema_name(*fields)).item(tag(value));
            if let Some(extra) = after(value) {
                all = all.item(extra);
            }
            let all = all.title(Some(format!("{title}{suffix}")));
            (format!("{title}{suffix}"), Schema::AllOf(all.build()).into())
        })
        .collect()
}

fn one_of(suffix: &str, description: &str) -> OneOfBuilder {
    let mut one = OneOfBuilder::new().description(Some(description));
    let mut mapping = Vec::new();
    for (value, _, title) in TYPES {
        one = one.item(Ref::from_schema_name(format!("{title}{suffix}")));
        mapping.push((value, format!("#/components/schemas/{title}{suffix}")));
    }
    one.discriminator(Some(Discriminator::with_mapping("type", mapping)))
}

fn parts(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push(("BookableCommon".into(), BookableCommon::schema()));
    <BookableCommon as ToSchema>::schemas(out);
    out.push(("ProviderFields".into(), ProviderFields::schema()));
    <ProviderFields as ToSchema>::schemas(out);
    out.push(("CompanyProviderFields".into(), CompanyProviderFields::schema()));
    <CompanyProviderFields as ToSchema>::schemas(out);
    out.push(("AssetFields".into(), AssetFields::schema()));
    <AssetFields as ToSchema>::schemas(out);
    out.push(("VenueFields".into(), VenueFields::schema()));
    <VenueFields as ToSchema>::schemas(out);
}

/// A merge patch of a bookable's input: every field of every type, none required (the
/// type never changes; the server refuses a field the bookable's type does not have).
#[allow(deprecated)]
fn patch() -> RefOr<Schema> {
    let mut patch = ObjectBuilder::new().description(Some(
        "A JSON merge patch (RFC 7396) of a bookable's input: send only what changes, `null` clears. \
         The fields are those of the bookable's `type`, which cannot change.",
    ));
    let mut seen = std::collections::HashSet::new();
    for part in [
        BookableCommon::schema(),
        ProviderFields::schema(),
        CompanyProviderFields::schema(),
        AssetFields::schema(),
        VenueFields::schema(),
    ] {
        if let RefOr::T(Schema::Object(object)) = part {
            for (name, schema) in object.properties {
                if seen.insert(name.clone()) {
                    patch = patch.property(name, schema);
                }
            }
        }
    }
    patch.example(Some(serde_json::json!({"status": "maintenance", "calendar": {"post_buffer_minutes": 15}}))).into()
}

impl PartialSchema for BookableState {
    fn schema() -> RefOr<Schema> {
        patch()
    }
}

impl ToSchema for BookableState {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("BookablePatch")
    }

    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        parts(out);
    }
}

impl PartialSchema for BookableView {
    fn schema() -> RefOr<Schema> {
        one_of("Bookable", "A bookable: its common fields, calendar and the fields of its `type`.").into()
    }
}

impl ToSchema for BookableView {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Bookable")
    }

    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        parts(out);
        out.push(("BookableMeta".into(), BookableMeta::schema()));
        <BookableMeta as ToSchema>::schemas(out);
        out.extend(variants("Bookable", &["BookableMeta"], |_| None));
    }
}

impl PartialSchema for BookableCreate {
    // `example` (not 3.1's `examples`): what derived schemas carry and Swagger UI fills forms from.
    #[allow(deprecated)]
    fn schema() -> RefOr<Schema> {
        one_of(
            "BookableCreate",
            "A new bookable, optionally with its first calendar exceptions and (providers) certifications.",
        )
        .example(Some(crate::views::provider_example()))
        .into()
    }
}

impl ToSchema for BookableCreate {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        parts(out);
        out.extend(variants("BookableCreate", &[], |value| Some(create_extras(value))));
        for (name, schema) in [
            ("DateOverrideInput", DateOverrideInput::schema()),
            ("BlockedTimeInput", BlockedTimeInput::schema()),
            ("CertificationInput", CertificationInput::schema()),
        ] {
            out.push((name.into(), schema));
        }
        <DateOverrideInput as ToSchema>::schemas(out);
        <BlockedTimeInput as ToSchema>::schemas(out);
        <CertificationInput as ToSchema>::schemas(out);
    }
}
