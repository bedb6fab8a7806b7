// Reads one iCalendar file on stdin and prints its events as JSON, as Thunderbird sees them:
// each start and end as a UTC instant (or a plain date for all-day events).
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}

function instant(time) {
  if (!time) return null;
  if (time.isDate) return time.toString();
  if (time.zone === ICAL.Timezone.localTimezone || time.zone === undefined) {
    throw new Error(`floating time ${time.toString()}`);
  }
  return time.toJSDate().toISOString().replace(".000Z", "Z");
}

const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    description: event.description,
    location: event.location,
    status: component.getFirstPropertyValue("status"),
    start: instant(event.startDate),
    end: instant(event.endDate),
    all_day: event.startDate.isDate,
    conference: component.getFirstPropertyValue("conference"),
    alarms: component
      .getAllSubcomponents("valarm")
      .map((alarm) => alarm.getFirstPropertyValue("trigger").toString()),
  };
});

process.stdout.write(
  JSON.stringify({
    method: calendar.getFirstPropertyValue("method"),
    name: calendar.getFirstPropertyValue("name") ?? calendar.getFirstPropertyValue("x-wr-calname"),
    events,
  }),
);
