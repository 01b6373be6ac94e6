// End to end through the generated TypeScript client only (sdk/typescript, from
// scripts/gen-sdks; openapi-fetch typed by the spec): sign up, switch plugins on, one
// bookable of each type, a template, availability, book, list, cancel.
// Compiled with `tsc --strict` by tests/e2e/sdk.sh, then run: node e2e.js http://127.0.0.1:PORT
import { createClient, type Schemas } from "./index.js";

declare const process: { argv: string[] }; // Node's, without @types/node
const base = process.argv[2];

function ok<T>(r: { data?: T; error?: unknown; response: Response }, status: number): T {
  if (r.response.status !== status || r.data === undefined) {
    throw new Error(`${r.response.url}: ${r.response.status} ${JSON.stringify(r.error)}`);
  }
  return r.data;
}

const slug = `sdk-ts-${Math.random().toString(16).slice(2, 10)}`;
const signup = ok(
  await createClient(base).POST("/v1/signup", {
    body: {
      tenant: { slug, name: "SDK TypeScript", type: "small_business", timezone: "UTC", currency: "EUR" },
      owner: { email: `owner@${slug}.example`, password: "correct horse battery staple", name: "Owner" },
    },
  }),
  201,
);
const api = createClient(base, signup.access_token);

const plugins = ok(await api.GET("/v1/plugins"), 200);
const optional = plugins.filter((p) => p.optional).map((p) => p.name);
ok(await api.PATCH("/v1/tenant", { body: { enabled_plugins: optional } }), 200);

const day = [{ start: "00:00", end: "23:59" }];
const calendar: Schemas["Calendar"] = {
  timezone: "UTC", slot_duration_minutes: 60, slot_interval_minutes: 60, max_advance_days: 365,
  pre_buffer_minutes: 0, post_buffer_minutes: 0, min_advance_hours: 0,
  weekly_schedule: { monday: day, tuesday: day, wednesday: day, thursday: day, friday: day, saturday: day, sunday: day },
};

const company = ok(await api.POST("/v1/households", { body: { name: "ABC Plumbing", type: "company" } }), 201);
const bodies: Schemas["BookableCreate"][] = [
  { type: "provider", name: "Ana", email: "ana@x.example", calendar },
  {
    type: "company_provider", name: "ABC Plumbing", household_id: company.id, email: "dispatch@abc.example",
    phone: "+1 555 0100", service_radius_km: 25, calendar,
  },
  { type: "asset", name: "Chair 1", asset_type: "equipment", calendar },
  { type: "venue", name: "Studio A", capacity: { max: 12 }, calendar },
];
const created: Schemas["Bookable"][] = [];
for (const body of bodies) {
  created.push(ok(await api.POST("/v1/bookables", { body }), 201));
}
const types = created.map((b) => b.type);
if (types.join() !== "provider,company_provider,asset,venue") throw new Error(`types ${types}`);
const venue = created[3];
if (venue.type !== "venue" || venue.capacity.max !== 12) throw new Error("venue capacity");
const provider = created[0];

const template = ok(
  await api.POST("/v1/service-templates", {
    body: {
      name: "Consultation", type: "appointment",
      duration: { type: "fixed", fixed_minutes: 60 },
      required_bookables: [{ bookable_type: "provider", specific_bookable_id: provider.id }],
      pricing: { base_price: "100.00", currency: "EUR", timezone: "UTC" },
      status: "active",
    },
  }),
  201,
);

const day_ms = 24 * 3600 * 1000;
const slots = ok(
  await api.GET("/v1/availability", {
    params: {
      query: {
        service_template_id: template.id,
        from: new Date(Date.now() + 2 * day_ms).toISOString(),
        to: new Date(Date.now() + 3 * day_ms).toISOString(),
      },
    },
  }),
  200,
);
if (slots.slots.length === 0) throw new Error("no slots");

const booking = ok(
  await api.POST("/v1/bookings", { body: { service_template_id: template.id, start: slots.slots[0].start } }),
  201,
);
const mine = ok(await api.GET("/v1/bookings", { params: { query: { bookable_id: provider.id } } }), 200);
if (mine.data.map((b) => b.id).join() !== booking.id) throw new Error("list");
const cancelled = ok(
  await api.POST("/v1/bookings/{id}/cancel", { params: { path: { id: booking.id } }, body: { reason: "SDK test" } }),
  200,
);
if (cancelled.status !== "cancelled") throw new Error(`status ${cancelled.status}`);
console.log(`typescript sdk: ok (tenant ${slug}, 4 bookables, booking ${booking.id} booked and cancelled)`);
