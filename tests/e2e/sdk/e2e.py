"""End to end through the generated Python client only (sdk/python, from scripts/gen-sdks):
sign up, switch plugins on, one bookable of each type, a template, availability, book,
list, cancel.   python tests/e2e/sdk/e2e.py http://127.0.0.1:PORT
"""

import datetime as dt
import sys
import uuid

from atrium_client import AuthenticatedClient, Client
from atrium_client.api.auth import signup_create
from atrium_client.api.bookables import bookables_create, bookables_list
from atrium_client.api.bookings import availability_search, bookings_cancel, bookings_create, bookings_list
from atrium_client.api.households import households_create
from atrium_client.api.service_templates import service_templates_create
from atrium_client.api.tenant import plugins_list, tenant_update
from atrium_client.models import (
    AssetBookable,
    AssetBookableCreate,
    AssetBookableCreateType,
    AssetType,
    BookingCreate,
    BookingStatus,
    Calendar,
    CompanyProviderBookable,
    CompanyProviderBookableCreate,
    CompanyProviderBookableCreateType,
    HouseholdCreate,
    HouseholdType,
    ProviderBookable,
    ProviderBookableCreate,
    ProviderBookableCreateType,
    ServiceTemplateState,
    SignupRequest,
    TenantPatch,
    TransitionInput,
    VenueBookable,
    VenueBookableCreate,
    VenueBookableCreateType,
    VenueCapacity,
)


def ok(response, status):
    assert response.status_code == status, f"{response.status_code}: {response.content[:500]!r}"
    return response.parsed


def main(base: str) -> None:
    slug = f"sdk-py-{uuid.uuid4().hex[:8]}"
    signup = ok(
        signup_create.sync_detailed(
            client=Client(base_url=base),
            body=SignupRequest.from_dict(
                {
                    "tenant": {"slug": slug, "name": "SDK Python", "type": "small_business",
                               "timezone": "UTC", "currency": "EUR"},
                    "owner": {"email": f"owner@{slug}.example", "password": "correct horse battery staple",
                              "name": "Owner"},
                }
            ),
        ),
        201,
    )
    api = AuthenticatedClient(base_url=base, token=signup.access_token, raise_on_unexpected_status=True)

    plugins = ok(plugins_list.sync_detailed(client=api), 200)
    optional = [p.name for p in plugins if p.optional]
    ok(tenant_update.sync_detailed(client=api, body=TenantPatch(enabled_plugins=optional)), 200)

    day = [{"start": "00:00", "end": "23:59"}]
    week = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    calendar = Calendar.from_dict(
        {"timezone": "UTC", "slot_duration_minutes": 60, "slot_interval_minutes": 60, "max_advance_days": 365,
         "weekly_schedule": {d: day for d in week}}
    )

    company = ok(
        households_create.sync_detailed(client=api, body=HouseholdCreate(name="ABC Plumbing", type_=HouseholdType.COMPANY)),
        201,
    )
    bodies = [
        ProviderBookableCreate(type_=ProviderBookableCreateType.PROVIDER, name="Ana", email="ana@x.example",
                               calendar=calendar),
        CompanyProviderBookableCreate(
            type_=CompanyProviderBookableCreateType.COMPANY_PROVIDER, name="ABC Plumbing", household_id=company.id,
            email="dispatch@abc.example", phone="+1 555 0100", service_radius_km=25, calendar=calendar,
        ),
        AssetBookableCreate(type_=AssetBookableCreateType.ASSET, name="Chair 1", asset_type=AssetType.EQUIPMENT,
                            calendar=calendar),
        VenueBookableCreate(type_=VenueBookableCreateType.VENUE, name="Studio A", capacity=VenueCapacity(max_=12),
                            calendar=calendar),
    ]
    created = [ok(bookables_create.sync_detailed(client=api, body=body), 201) for body in bodies]
    kinds = [ProviderBookable, CompanyProviderBookable, AssetBookable, VenueBookable]
    for item, kind in zip(created, kinds):
        assert isinstance(item, kind), f"{type(item).__name__} is not {kind.__name__}"
    venue = created[3]
    assert venue.capacity.max_ == 12 and venue.max_overlapping_bookings == 1, venue
    listed = ok(bookables_list.sync_detailed(client=api), 200)
    assert {type(b).__name__ for b in listed.data} == {k.__name__ for k in kinds}, listed.data
    provider = created[0]

    template = ok(
        service_templates_create.sync_detailed(
            client=api,
            body=ServiceTemplateState.from_dict(
                {"name": "Consultation", "type": "appointment",
                 "duration": {"type": "fixed", "fixed_minutes": 60},
                 "required_bookables": [{"bookable_type": "provider", "specific_bookable_id": str(provider.id)}],
                 "pricing": {"base_price": "100.00", "currency": "EUR", "timezone": "UTC"},
                 "status": "active"}
            ),
        ),
        201,
    )

    now = dt.datetime.now(dt.timezone.utc)
    slots = ok(
        availability_search.sync_detailed(
            client=api, service_template_id=template.id, from_=now + dt.timedelta(days=2), to=now + dt.timedelta(days=3)
        ),
        200,
    )
    assert slots.slots, "no slots"
    start = slots.slots[0].start

    booking = ok(bookings_create.sync_detailed(client=api, body=BookingCreate(service_template_id=template.id, start=start)), 201)
    assert booking.status in (BookingStatus.CONFIRMED, BookingStatus.PENDING), booking.status
    mine = ok(bookings_list.sync_detailed(client=api, bookable_id=provider.id), 200)
    assert [b.id for b in mine.data] == [booking.id], mine.data
    cancelled = ok(bookings_cancel.sync_detailed(booking.id, client=api, body=TransitionInput(reason="SDK test")), 200)
    assert cancelled.status == BookingStatus.CANCELLED, cancelled.status
    print(f"python sdk: ok (tenant {slug}, 4 bookables, booking {booking.id} booked and cancelled)")


if __name__ == "__main__":
    main(sys.argv[1])
