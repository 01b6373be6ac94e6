"""Parses .ics texts with the `icalendar` library (PyPI) and prints what a calendar
client would read: one line per input, `METHOD UID DTSTART DTEND SEQUENCE STATUS`, the
instants in UTC ISO 8601. Input: a JSON list of .ics strings on stdin."""

import json
import sys
from datetime import timezone

import icalendar

for text in json.load(sys.stdin):
    cal = icalendar.Calendar.from_ical(text)
    [event] = [c for c in cal.walk() if c.name == "VEVENT"]
    start = event.decoded("DTSTART").astimezone(timezone.utc)
    end = event.decoded("DTEND").astimezone(timezone.utc)
    print(
        str(cal.get("METHOD")),
        str(event.get("UID")),
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        int(event.get("SEQUENCE")),
        str(event.get("STATUS")),
    )
