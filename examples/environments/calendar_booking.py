import random


class Env:
    """One working day (9:00-17:00) of a calendar, with meetings drawn from the seed."""

    def reset(self, seed: int) -> str:
        rng = random.Random(seed)
        starts = sorted(rng.sample(range(9, 16), 3))
        self.events = [{"id": i + 1, "title": f"Meeting {i + 1}", "start": h, "end": h + 1}
                       for i, h in enumerate(starts)]
        self.next_id = len(self.events) + 1
        return "Today's calendar has 3 meetings between 9:00 and 17:00."

    def list_events(self) -> list:
        """Every event of the day, in start order, with start and end hours."""
        return sorted(self.events, key=lambda e: e["start"])

    def add_event(self, title: str, start: int, end: int) -> dict:
        """Book an event; it may not overlap another one.

        Args:
            title: what the event is called
            start: start hour, 9 to 16
            end: end hour, after start, at most 17
        """
        if not 9 <= start < end <= 17:
            raise ValueError("events must lie within 9:00-17:00 and end after they start")
        for event in self.events:
            if start < event["end"] and event["start"] < end:
                raise ValueError(f"overlaps {event['title']} ({event['start']}-{event['end']})")
        event = {"id": self.next_id, "title": title, "start": start, "end": end}
        self.next_id += 1
        self.events.append(event)
        return event

    def cancel_event(self, event_id: int) -> str:
        """Delete an event.

        Args:
            event_id: the id list_events shows
        """
        before = len(self.events)
        self.events = [e for e in self.events if e["id"] != event_id]
        if len(self.events) == before:
            raise ValueError(f"no event with id {event_id}")
        return "cancelled"

    def _first_free(self, taken):
        for hour in range(9, 17):
            if all(not (hour < e["end"] and e["start"] < hour + 1) for e in taken):
                return hour
        return None

    def score(self, response: str) -> float:
        originals = [e for e in self.events if e["title"].startswith("Meeting ")]
        reviews = [e for e in self.events if e["title"] == "Design review"]
        if len(originals) != 3 or len(reviews) != 1:
            return 0.0
        review = reviews[0]
        expected = self._first_free(originals)
        if review["end"] - review["start"] != 1 or review["start"] != expected:
            return 0.0
        return 1.0 if response.strip() == str(expected) else 0.5
