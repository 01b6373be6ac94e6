//! The spec of the polymorphic bookable: `oneOf` one schema per type with a `type`
//! discriminator, each the common fields + the type's fields. Written by hand because
//! utoipa derives discriminators only for untagged enums, while serde reads the input as
//! an internally tagged one ([`BookableDetails`]); the parts are the derived schemas of the
//! very structs serde reads, so the two cannot drift apart.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AllOfBuilder, ArrayBuilder, Discriminator, ObjectBuilder, OneOfBuilder, Ref, Schema, SchemaType, Type,
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

fn tag(value: &str) -> Schema {
    ObjectBuilder::new()
        .property("type", ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some([value])))
        .required("type")
        .into()
}

/// `<Title><suffix>` = allOf(`extra`…, BookableCommon, `<Type>Fields`, {type: <value>}).
fn variants(suffix: &str, extra: &[&str]) -> Vec<(String, RefOr<Schema>)> {
    TYPES
        .iter()
        .map(|(value, fields, title)| {
            let mut all = AllOfBuilder::new();
            for e in extra {
                all = all.item(Ref::from_schema_name(*e));
            }
            let all = all
                .item(Ref::from_schema_name("BookableCommon"))
                .item(Ref::from_schema_name(*fields))
                .item(tag(value))
                .title(Some(format!("{title}{suffix}")));
            (format!("{title}{suffix}"), Schema::AllOf(all.build()).into())
        })
        .collect()
}

fn one_of(suffix: &str, description: &str) -> RefOr<Schema> {
    let mut one = OneOfBuilder::new().description(Some(description));
    let mut mapping = Vec::new();
    for (value, _, title) in TYPES {
        one = one.item(Ref::from_schema_name(format!("{title}{suffix}")));
        mapping.push((value, format!("#/components/schemas/{title}{suffix}")));
    }
    one.discriminator(Some(Discriminator::with_mapping("type", mapping))).into()
}

/// A part of an `allOf`: serde refuses unknown fields of the whole (see
/// [`BookableDetails`]), but each part alone must admit the other parts' fields.
fn open(schema: RefOr<Schema>) -> RefOr<Schema> {
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            object.additional_properties = None;
            RefOr::T(Schema::Object(object))
        }
        other => other,
    }
}

fn parts(out: &mut Vec<(String, RefOr<Schema>)>) {
    out.push(("BookableCommon".into(), BookableCommon::schema()));
    <BookableCommon as ToSchema>::schemas(out);
    out.push(("ProviderFields".into(), open(ProviderFields::schema())));
    <ProviderFields as ToSchema>::schemas(out);
    out.push(("CompanyProviderFields".into(), open(CompanyProviderFields::schema())));
    <CompanyProviderFields as ToSchema>::schemas(out);
    out.push(("AssetFields".into(), open(AssetFields::schema())));
    <AssetFields as ToSchema>::schemas(out);
    out.push(("VenueFields".into(), open(VenueFields::schema())));
    <VenueFields as ToSchema>::schemas(out);
}

impl PartialSchema for BookableState {
    fn schema() -> RefOr<Schema> {
        one_of("Input", "A bookable's input: the common fields and those of its `type`.")
    }
}

impl ToSchema for BookableState {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("BookableInput")
    }

    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        parts(out);
        out.extend(variants("Input", &[]));
    }
}

impl PartialSchema for BookableView {
    fn schema() -> RefOr<Schema> {
        one_of("Bookable", "A bookable: its common fields, calendar and the fields of its `type`.")
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
        out.extend(variants("Bookable", &["BookableMeta"]));
    }
}

impl PartialSchema for BookableCreate {
    // `example` (not 3.1's `examples`): what derived schemas carry and Swagger UI fills forms from.
    #[allow(deprecated)]
    fn schema() -> RefOr<Schema> {
        AllOfBuilder::new()
            .item(Ref::from_schema_name("BookableInput"))
            .item(
                ObjectBuilder::new()
                    .property("date_overrides", ArrayBuilder::new().items(Ref::from_schema_name("DateOverrideInput")))
                    .property("blocked_times", ArrayBuilder::new().items(Ref::from_schema_name("BlockedTimeInput")))
                    .property("certifications", ArrayBuilder::new().items(Ref::from_schema_name("CertificationInput"))),
            )
            .description(Some("A new bookable, optionally with its first calendar exceptions and certifications."))
            .example(Some(crate::views::provider_example()))
            .into()
    }
}

impl ToSchema for BookableCreate {
    fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
        out.push(("BookableInput".into(), BookableState::schema()));
        <BookableState as ToSchema>::schemas(out);
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
