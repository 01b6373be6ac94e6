// Must NOT type-check (tests/e2e/sdk.sh expects exactly this error): a venue's fields
// under a provider's `type`.
import type { Schemas } from "./index.js";

const calendar: Schemas["Calendar"] = {
  timezone: "UTC", slot_duration_minutes: 60, slot_interval_minutes: 60, max_advance_days: 365,
  pre_buffer_minutes: 0, post_buffer_minutes: 0, min_advance_hours: 0, weekly_schedule: {},
};
export const wrong: Schemas["BookableCreate"] = { type: "provider", name: "Studio A", capacity: { max: 12 }, calendar };
